"""shop trips carry their form's request key, so a form sent twice is one trip

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01 22:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shop_trips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_shop_trips_request_key", ["request_key"])


def downgrade():
    with op.batch_alter_table("shop_trips", schema=None) as batch_op:
        batch_op.drop_constraint("uq_shop_trips_request_key", type_="unique")
        batch_op.drop_column("request_key")
