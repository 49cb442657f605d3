"""indexes for the board and its poll: a unit's open outings, delivery health over a window

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-01 19:20:00

"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outings", schema=None) as batch_op:
        batch_op.create_index("ix_outings_unit_status", ["unit_id", "status"], unique=False)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_sent", ["status", "sent_at"], unique=False)
        batch_op.create_index(
            "ix_outbox_messages_attempted", ["status", "last_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_attempted")
        batch_op.drop_index("ix_outbox_messages_sent")
    with op.batch_alter_table("outings", schema=None) as batch_op:
        batch_op.drop_index("ix_outings_unit_status")
