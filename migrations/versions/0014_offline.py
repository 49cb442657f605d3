"""offline check-ins (the time pressed), location at SOS, inbound SMS

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-01 19:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_pressed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("accuracy_m", sa.Float(), nullable=True))
    op.create_table(
        "inbound_sms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notify_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_hash", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("outing_id", sa.Integer(), nullable=True),
        sa.Column("command", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["outing_id"],
            ["outings.id"],
            name="fk_inbound_sms_outing_id_outings",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_inbound_sms_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_sms"),
        sa.UniqueConstraint("notify_id", name="uq_inbound_sms_notify_id"),
    )
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_sms_outing_id", ["outing_id"], unique=False)
        batch_op.create_index("ix_inbound_sms_sender_hash", ["sender_hash"], unique=False)


def downgrade():
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_sms_sender_hash")
        batch_op.drop_index("ix_inbound_sms_outing_id")
    op.drop_table("inbound_sms")
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.drop_column("accuracy_m")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
    with op.batch_alter_table("outings", schema=None) as batch_op:
        batch_op.drop_column("checkin_pressed_at")
