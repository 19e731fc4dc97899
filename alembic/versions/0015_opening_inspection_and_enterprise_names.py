"""the standard route's on-site inspection (inspector, result, findings, its two deadlines), and
the recorded changes of an enterprise's name

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa

import govservice.db.base
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INSPECTION_COLUMNS = (
    "inspector_sub",
    "inspection_due_on",
    "inspected_on",
    "inspection_result",
    "inspection_findings",
    "decision_due_on",
)


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns too): batch mode would copy `applications`
    # into a new table, which the tables referencing it forbid once they hold rows.
    op.add_column("applications", sa.Column("inspector_sub", sa.String(length=255), nullable=True))
    op.add_column("applications", sa.Column("inspection_due_on", sa.Date(), nullable=True))
    op.add_column("applications", sa.Column("inspected_on", sa.Date(), nullable=True))
    op.add_column("applications", sa.Column("inspection_result", sa.String(length=8), nullable=True))
    op.add_column("applications", sa.Column("inspection_findings", sa.String(length=2000), nullable=True))
    op.add_column("applications", sa.Column("decision_due_on", sa.Date(), nullable=True))
    op.create_table(
        "enterprise_name_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uscc"], ["enterprises.uscc"], name=op.f("fk_enterprise_name_changes_uscc_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_name_changes")),
    )
    with op.batch_alter_table("enterprise_name_changes") as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_name_changes_uscc_at"), ["uscc", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enterprise_name_changes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_name_changes_uscc_at"))
    op.drop_table("enterprise_name_changes")
    for column in reversed(INSPECTION_COLUMNS):
        op.drop_column("applications", column)
