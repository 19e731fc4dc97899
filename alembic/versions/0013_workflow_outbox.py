"""workflow_outbox: one row per workflow event, written in the step's transaction, for webhook dispatch

Webhook dispatch reads the outbox instead of following the event log with a cursor, so the cursor
row and the event log's time index go. Events the cursor had not reached yet are put into the
outbox, so that nothing owed to a subscriber is skipped by the upgrade.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa

import govservice.db.base
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workflow_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_outbox")),
    )
    op.execute(
        """
        INSERT INTO workflow_outbox (case_id, seq, at)
        SELECT e.case_id, e.seq, e.at FROM workflow_events e, webhook_cursor c
        WHERE c.id = 1 AND (e.at > c.last_at
               OR (e.at = c.last_at AND (e.case_id > c.last_case_id
                                         OR (e.case_id = c.last_case_id AND e.seq > c.last_seq))))
        ORDER BY e.at, e.case_id, e.seq
        """
    )
    with op.batch_alter_table("workflow_events") as batch_op:
        batch_op.drop_index("ix_workflow_events_at")
    op.drop_table("webhook_cursor")


def downgrade() -> None:
    op.create_table(
        "webhook_cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_at", govservice.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_case_id", BigId, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_cursor")),
    )
    with op.batch_alter_table("workflow_events") as batch_op:
        batch_op.create_index("ix_workflow_events_at", ["at"], unique=False)
    # Resume where the outbox stands: just before its oldest undelivered event, or at the log's end.
    op.execute(
        """
        INSERT INTO webhook_cursor (id, last_at, last_case_id, last_seq)
        SELECT 1, at, case_id, seq - 1 FROM workflow_outbox ORDER BY id LIMIT 1
        """
    )
    op.execute(
        """
        INSERT INTO webhook_cursor (id, last_at, last_case_id, last_seq)
        SELECT 1, at, case_id, seq FROM workflow_events
        WHERE NOT EXISTS (SELECT 1 FROM webhook_cursor) ORDER BY at DESC, case_id DESC, seq DESC LIMIT 1
        """
    )
    op.drop_table("workflow_outbox")
