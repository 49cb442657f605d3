"""safety huddles: shift times, observation levels, huddles, attendees, flags, entries, actions

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01 18:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "huddle_unit_settings",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), primary_key=True),
        sa.Column("early_start", sa.String(length=5), nullable=False),
        sa.Column("late_start", sa.String(length=5), nullable=False),
        sa.Column("night_start", sa.String(length=5), nullable=False),
    )
    op.create_table(
        "huddle_observation_levels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
    )
    op.create_table(
        "huddles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("shift", sa.String(length=8), nullable=False),
        sa.Column("shift_date", sa.Date(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("started_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("closed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("unit_id", "shift_date", "shift", name="uq_huddles_unit_shift"),
    )
    op.create_index("ix_huddles_unit_started", "huddles", ["unit_id", "started_at"])
    op.create_table(
        "huddle_attendees",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "huddle_id",
            sa.Integer(),
            sa.ForeignKey("huddles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("visitor", sa.String(length=80), nullable=False),
        sa.UniqueConstraint("huddle_id", "user_id", name="uq_huddle_attendees_user"),
    )
    op.create_table(
        "huddle_flags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "huddle_id",
            sa.Integer(),
            sa.ForeignKey("huddles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("previous_value", sa.String(length=8), nullable=True),
        sa.Column("previous_reason", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.UniqueConstraint("huddle_id", "client_id", name="uq_huddle_flags_client"),
    )
    op.create_index("ix_huddle_flags_client", "huddle_flags", ["client_id"])
    op.create_table(
        "huddle_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "huddle_id",
            sa.Integer(),
            sa.ForeignKey("huddles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id"), nullable=True),
        sa.Column("observation_level", sa.String(length=60), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index("ix_huddle_entries_huddle", "huddle_entries", ["huddle_id"])
    op.create_table(
        "huddle_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("huddle_id", sa.Integer(), sa.ForeignKey("huddles.id"), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("due_kind", sa.String(length=8), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("done_in_huddle_id", sa.Integer(), sa.ForeignKey("huddles.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_huddle_actions_unit_open", "huddle_actions", ["unit_id", "done_at"])
    op.create_index("ix_huddle_actions_owner_open", "huddle_actions", ["owner_id", "done_at"])


def downgrade():
    op.drop_index("ix_huddle_actions_owner_open", table_name="huddle_actions")
    op.drop_index("ix_huddle_actions_unit_open", table_name="huddle_actions")
    op.drop_table("huddle_actions")
    op.drop_index("ix_huddle_entries_huddle", table_name="huddle_entries")
    op.drop_table("huddle_entries")
    op.drop_index("ix_huddle_flags_client", table_name="huddle_flags")
    op.drop_table("huddle_flags")
    op.drop_table("huddle_attendees")
    op.drop_index("ix_huddles_unit_started", table_name="huddles")
    op.drop_table("huddles")
    op.drop_table("huddle_observation_levels")
    op.drop_table("huddle_unit_settings")
