"""Enforcement quality review (执法质量考评): a mixed panel scores a random draw of the department's
own case files; on-site checks and telephone callbacks complete the picture; results per unit go
to staff, assessors and the public board.

Design
======

Rounds. An admin opens a round for a period and scope (units, categories, files per unit and
category, callbacks and on-site checks per unit, the reconciliation threshold, whether the last
round's files are excluded). The round pins the content of the checklists in force
(``workflows/checklists/*.yaml``: items, points, what counts as a deduction, legal basis; the
highest ``version`` of each category; likewise the callback questions), so editing a checklist
never changes a round under way. Every round is a case of the ``review_round`` process:
``drawing → scoring (10 WD) → reconciling (5 WD) → published``, deadlines on the working-day
calendar (a missed one marks the stage late); ``close_scoring`` needs every file's pair scored and
``publish_results`` every file reconciled (facts ``files_scored`` / ``files_reconciled``).

Draw. The population is the period's concluded files per category and unit (see
:mod:`.population`: licensing decisions and fire accident determinations from concluded
applications, post-checks from commitment permits, inspections, violation cases for penalties and
waivers). :func:`govservice.domain.quality_review.draw_files` samples each stratum with
``random.Random(f"{seed}:{category}:{unit}")`` over the sorted references; the seed (given or
random), the population after exclusions and the result are stored in the round and in the
audit entry ``draw_review_files`` of the same transaction, so anyone can re-run the draw
(``GET .../draw`` does, and says ``reproduced``). Callback enterprises (from the period's cases)
and on-site venues (drawn approved licensing files) are drawn with the same seed.

Panel. Reviewers hold the role ``reviewer`` and a panel membership (kind lawyer / adviser / staff,
their unit, chair or not) that an admin keeps through the API. Each file gets two reviewers of
different kinds; nobody reviews a file of their own unit or one whose case they took part in (the
case's event actors; the inspecting officers and the countersigning legal reviewer for
enforcement). Admins assign one by one (a conflict is refused with the rule's code) or complete
all pairs at random, seeded by the round (``assign``). Reviewers see only the files drawn for them
(404 otherwise), with the case's events to point at.

Scoring and reconciliation. A score is the checklist's 100 points less the deductions (item,
points, comment, pointer ``event:SEQ`` of the case or a document); audited with every deduction.
Two scores within the threshold are averaged; further apart the file gets a third reviewer at once
(drawn like the pair; the admin assigns one when nobody on the panel is eligible) and the median
of the three stands. The grade follows the checklist's marks (excellent / qualified /
unqualified). An unqualified file opens a rectification for its unit on the
``review_rectification`` process (15 WD, overdue after; the panel accepts or returns the fix) in
the same transaction as the score that decided it.

Appeals. The unit's staff see their scored files with every deduction; the unit's supervisor
may appeal a file's score once; the panel chair (a reviewer of another unit) upholds it with a
revised score (the earlier one kept) or rejects it.

Results. Per unit per round (:func:`govservice.domain.quality_review.unit_results`): files drawn
and reviewed, average score, grades, unqualified and rectified, callback satisfaction (mean
answer 1-5), on-site checks passed, and an overall figure — always recomputed from the stored
scores and checks. Admins see them at any time, a unit's staff their own once published,
assessors every published round with its files (enterprises pseudonymised as elsewhere in the
assessment API, no reviewer named), and the public board the latest published round of its period.
"""

from __future__ import annotations

from pathlib import Path

from govservice.domain.quality_review import load_checklists
from govservice.services.actions import ActionUseCase
from govservice.services.audit import AuditLog
from govservice.services.context import ServiceContext
from govservice.services.engine import EngineService
from govservice.services.quality_review.appeals import AppealService
from govservice.services.quality_review.checks import CheckService
from govservice.services.quality_review.files import FileService
from govservice.services.quality_review.panel import PanelService
from govservice.services.quality_review.rectification import RectificationService
from govservice.services.quality_review.results import ResultService, ReviewFigures, board_figures
from govservice.services.quality_review.rounds import REVIEW_ROUNDS as ENGINE_EXTENSION
from govservice.services.quality_review.rounds import RoundService, RoundSpec

__all__ = ["ENGINE_EXTENSION", "QualityReview", "ReviewFigures", "RoundSpec", "board_figures"]


class QualityReview:
    """The context's use cases, built once by the composition root."""

    def __init__(
        self, ctx: ServiceContext, engine: EngineService, audit: AuditLog, actions: ActionUseCase
    ) -> None:
        checklists, callback = load_checklists(Path(ctx.settings.workflows_dir, "checklists").glob("*.yaml"))
        self.panel = PanelService(ctx, audit)
        self.rounds = RoundService(ctx, engine, audit, checklists, callback)
        self.rectification = RectificationService(engine, audit, actions)
        self.files = FileService(ctx, engine, audit, self.rectification)
        self.appeals = AppealService(ctx, audit, self.files)
        self.checks = CheckService(ctx, audit)
        self.results = ResultService(ctx, audit)
