"""task cue levels on cooking and shopping notes, a unit's cue labels, a note's dish and the
client's own reflection

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 18:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dish", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("reflection", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "note_cues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("skill_key", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name="fk_note_cues_note_id_notes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_note_cues"),
        sa.UniqueConstraint("note_id", "skill_key", name="uq_note_cues_note_skill"),
        sa.CheckConstraint("level >= 0 AND level <= 5", name="ck_note_cues_level"),
    )
    with op.batch_alter_table("note_cues", schema=None) as batch_op:
        batch_op.create_index("ix_note_cues_note_id", ["note_id"], unique=False)
    op.create_table(
        "cue_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_cue_labels_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_cue_labels"),
        sa.UniqueConstraint("unit_id", "level", name="uq_cue_labels_unit_level"),
        sa.CheckConstraint("level >= 0 AND level <= 5", name="ck_cue_labels_level"),
    )
    with op.batch_alter_table("cue_labels", schema=None) as batch_op:
        batch_op.create_index("ix_cue_labels_unit_id", ["unit_id"], unique=False)


def downgrade():
    with op.batch_alter_table("cue_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_cue_labels_unit_id")
    op.drop_table("cue_labels")
    with op.batch_alter_table("note_cues", schema=None) as batch_op:
        batch_op.drop_index("ix_note_cues_note_id")
    op.drop_table("note_cues")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_column("reflection")
        batch_op.drop_column("dish")
