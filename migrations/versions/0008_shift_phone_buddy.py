"""a unit's shift phone, which can be an outing's buddy

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-01 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shift_phone", sa.String(length=32), server_default="", nullable=False)
        )
    with op.batch_alter_table("outings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("buddy_phone", sa.String(length=32), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("outings", schema=None) as batch_op:
        batch_op.drop_column("buddy_phone")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("shift_phone")
