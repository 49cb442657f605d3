"""issued MDT / OT reports (signed, append-only versions)

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-01 19:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issued_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("formulation", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_name", sa.String(length=120), nullable=False),
        sa.Column("issued_role", sa.String(length=16), nullable=False),
        sa.Column("issued_role_label", sa.String(length=60), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "client_id", "period_start", "period_end", "version", name="uq_issued_reports_version"
        ),
    )
    op.create_index("ix_issued_reports_client", "issued_reports", ["client_id", "issued_at"])


def downgrade():
    op.drop_index("ix_issued_reports_client", table_name="issued_reports")
    op.drop_table("issued_reports")
