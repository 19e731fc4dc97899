"""enforcement quality review: the panel, rounds, drawn files, scores, callbacks and on-site checks

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import govservice.db.base
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_panel_members",
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("chair", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("sub", name=op.f("pk_review_panel_members")),
    )
    op.create_table(
        "review_rounds",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("per_unit", sa.Integer(), nullable=False),
        sa.Column("callbacks_per_unit", sa.Integer(), nullable=False),
        sa.Column("onsite_per_unit", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("exclude_previous", sa.Boolean(), nullable=False),
        sa.Column("checklists", sa.JSON(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("draw", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("drawn_at", govservice.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("published_at", govservice.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["workflow_cases.id"], name=op.f("fk_review_rounds_case_id_workflow_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rounds")),
        sa.UniqueConstraint("case_id", name=op.f("uq_review_rounds_case_id")),
    )
    op.create_table(
        "review_checks",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("done_by", sa.String(length=255), nullable=True),
        sa.Column("done_at", govservice.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["review_rounds.id"], name=op.f("fk_review_checks_round_id_review_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_checks")),
        sa.UniqueConstraint(
            "round_id", "kind", "subject", name=op.f("uq_review_checks_round_id_kind_subject")
        ),
    )
    op.create_table(
        "review_files",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("final_score", sa.Double(), nullable=True),
        sa.Column("grade", sa.String(length=16), nullable=True),
        sa.Column("needs_third", sa.Boolean(), nullable=False),
        sa.Column(
            "rectification_case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("appeal_reason", sa.String(length=2000), nullable=True),
        sa.Column("appealed_by", sa.String(length=255), nullable=True),
        sa.Column("appeal_decision", sa.String(length=16), nullable=True),
        sa.Column("appeal_decided_by", sa.String(length=255), nullable=True),
        sa.Column("score_before_appeal", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rectification_case_id"],
            ["workflow_cases.id"],
            name=op.f("fk_review_files_rectification_case_id_workflow_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["review_rounds.id"], name=op.f("fk_review_files_round_id_review_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_files")),
        sa.UniqueConstraint(
            "round_id", "category", "subject", name=op.f("uq_review_files_round_id_category_subject")
        ),
    )
    with op.batch_alter_table("review_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_files_unit"), ["unit"], unique=False)

    op.create_table(
        "review_scores",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reviewer_sub", sa.String(length=255), nullable=False),
        sa.Column("reviewer_kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("assigned_at", govservice.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("deductions", sa.JSON(), nullable=False),
        sa.Column("scored_at", govservice.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["file_id"], ["review_files.id"], name=op.f("fk_review_scores_file_id_review_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_scores")),
        sa.UniqueConstraint("file_id", "reviewer_sub", name=op.f("uq_review_scores_file_id_reviewer_sub")),
    )
    with op.batch_alter_table("review_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_scores_reviewer_sub"), ["reviewer_sub"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_scores_reviewer_sub"))

    op.drop_table("review_scores")
    with op.batch_alter_table("review_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_files_unit"))

    op.drop_table("review_files")
    op.drop_table("review_checks")
    op.drop_table("review_rounds")
    op.drop_table("review_panel_members")
