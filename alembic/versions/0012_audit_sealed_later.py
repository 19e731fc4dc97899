"""audit_entries sealed later: ``seq`` (chain position), hashes nullable until sealed

Entries are now inserted unsealed in the transaction of the change they record and chained
afterwards by the sealer. Existing entries were chained in id order, so their position is their id.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UNSEALED = sa.text("seq IS NULL")


# No foreign key references audit_entries, so the batch copy SQLite needs to relax NOT NULL is safe;
# PostgreSQL gets plain ALTERs.
def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entries_seq"), ["seq"])
    op.execute("UPDATE audit_entries SET seq = id")
    op.create_index(
        "ix_audit_entries_unsealed",
        "audit_entries",
        ["id"],
        unique=False,
        postgresql_where=UNSEALED,
        sqlite_where=UNSEALED,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Ids were assigned by the appender (head + 1), never by the column's sequence: move the
        # sequence past them before the database starts assigning ids.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_entries', 'id'), COALESCE(MAX(id), 0) + 1, false)"
            " FROM audit_entries"
        )


# The previous schema chains by id: it can hold the trail only while every entry is sealed at the
# position of its id. Once entries were recorded out of id order, or ids skipped (a rolled-back
# transaction's id on PostgreSQL), going back would break the chain, so the downgrade refuses.
def downgrade() -> None:
    misplaced = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM audit_entries WHERE seq IS NULL OR seq <> id")
    )
    if misplaced:
        raise RuntimeError(
            f"{misplaced} audit entries are unsealed or chained at a position other than their id; "
            "the 0011 schema cannot hold them (restore a backup taken before 0012 instead)"
        )
    op.drop_index(
        "ix_audit_entries_unsealed",
        table_name="audit_entries",
        postgresql_where=UNSEALED,
        sqlite_where=UNSEALED,
    )
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entries_seq"), type_="unique")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("seq")
