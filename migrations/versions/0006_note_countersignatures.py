"""notes: every countersignature kept, so an amendment can ask for a new one

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01 16:00:00

An assistant's amendment after a countersignature sends the note back to "waiting for
countersignature" (issue 13 item 11). The note's countersigned_* columns hold the standing
countersignature; this table keeps each one ever given. Existing countersignatures are copied in.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "note_countersignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("by_name", sa.String(length=120), nullable=False),
        sa.Column("role_label", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_note_countersignatures_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_note_countersignatures_note_id_notes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_countersignatures")),
    )
    with op.batch_alter_table("note_countersignatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_note_countersignatures_note_id"), ["note_id"], unique=False
        )
    op.execute(
        "INSERT INTO note_countersignatures (note_id, by_id, by_name, role_label, at) "
        "SELECT id, countersigned_by_id, countersigned_by_name, countersigned_role_label, "
        "countersigned_at FROM notes "
        "WHERE countersigned_at IS NOT NULL AND countersigned_by_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("note_countersignatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_countersignatures_note_id"))
    op.drop_table("note_countersignatures")
