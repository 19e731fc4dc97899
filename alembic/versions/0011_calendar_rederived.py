"""workflow_calendars.rederived_at: when provisional deadlines were re-derived on an official calendar

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa

import govservice.db.base
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN on both databases (SQLite >= 3.35): a batch copy of workflow_calendars would
# drop a table that workflow_cases references.
def upgrade() -> None:
    op.add_column(
        "workflow_calendars",
        sa.Column("rederived_at", govservice.db.base.UtcDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE workflow_calendars DROP COLUMN rederived_at")
