"""SQLite: the outbox row of a workflow event is written by a trigger on the event's INSERT

On SQLite a step's case, event, outbox row and timers are written statement by statement (it has
no data-modifying CTEs, which make them one statement on PostgreSQL); the trigger makes the event
and its outbox row one statement, in the same transaction. PostgreSQL is unchanged.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "workflow_outbox_of_event"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON workflow_events FOR EACH ROW BEGIN "
        "INSERT INTO workflow_outbox (case_id, seq, at) VALUES (NEW.case_id, NEW.seq, NEW.at); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
