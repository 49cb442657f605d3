"""outbox: priority (emergencies first), claim token, last attempt time

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-01 15:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_outbox_messages_order", ["priority", "next_attempt_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_order")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("priority")
