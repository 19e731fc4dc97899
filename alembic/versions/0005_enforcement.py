"""enforcement

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import govservice.db.base
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("officer_a", sa.String(length=255), nullable=False),
        sa.Column("officer_b", sa.String(length=255), nullable=False),
        sa.Column("department_unit", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspections_uscc_inspected_on"), ["uscc", "inspected_on"], unique=False
        )

    op.create_table(
        "findings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("inspection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("violation_type", sa.String(length=64), nullable=False),
        sa.Column("committed_on", sa.Date(), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("harm_level", sa.String(length=16), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("harmful_consequence", sa.Boolean(), nullable=False),
        sa.Column("life_or_health_endangered", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_findings_inspection_id_inspections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_findings_uscc_violation_type_found_on"),
            ["uscc", "violation_type", "found_on"],
            unique=False,
        )

    op.create_table(
        "violations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("finding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("inspection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("violation_type", sa.String(length=64), nullable=False),
        sa.Column("department_unit", sa.String(length=64), nullable=True),
        sa.Column("order_served_on", sa.Date(), nullable=True),
        sa.Column("correct_by", sa.Date(), nullable=True),
        sa.Column("recheck_due_on", sa.Date(), nullable=True),
        sa.Column("corrected", sa.Boolean(), nullable=True),
        sa.Column("corrected_on", sa.Date(), nullable=True),
        sa.Column("rechecked_by", sa.String(length=255), nullable=True),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        sa.Column("rule_version", sa.String(length=200), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("fine_yuan", sa.Integer(), nullable=True),
        sa.Column("fine_spared_yuan", sa.Integer(), nullable=True),
        sa.Column("education", sa.JSON(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("countersigned_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["workflow_cases.id"], name=op.f("fk_violations_case_id_workflow_cases")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_violations_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_violations_inspection_id_inspections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
        sa.UniqueConstraint("case_id", name=op.f("uq_violations_case_id")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_violations_finding_id")),
    )
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_violations_uscc_decided_on"), ["uscc", "decided_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_violations_uscc_decided_on"))

    op.drop_table("violations")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_uscc_violation_type_found_on"))

    op.drop_table("findings")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_uscc_inspected_on"))

    op.drop_table("inspections")
