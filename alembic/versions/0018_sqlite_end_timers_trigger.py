"""SQLite: a case that ends ends its pending timers, by a trigger on the case's UPDATE

A step into a terminal state sets the case's outcome and cancels every timer still pending (the
engine's rule: a terminal state has no transitions out, so nothing could fire). On PostgreSQL the
cancel is part of the step's one data-modifying statement; on SQLite it was a statement of its own.
The trigger makes the case UPDATE and the cancel one statement, in the same transaction, stamped
with the step's time (the case's ``updated_at``). A timer that fires the step is marked fired before
the case moves, so it is not pending here. PostgreSQL is unchanged.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "workflow_timers_end_with_case"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF outcome ON workflow_cases FOR EACH ROW "
        "WHEN OLD.outcome IS NULL AND NEW.outcome IS NOT NULL BEGIN "
        "UPDATE workflow_timers SET status = 'cancelled', cancelled_at = NEW.updated_at "
        "WHERE case_id = NEW.id AND status = 'pending'; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
