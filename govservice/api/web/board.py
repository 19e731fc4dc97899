"""The public board page (晾晒): per unit, each figure as an inline SVG chart beside its table; and
the same figures as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from govservice.api.web.charts import bar_chart, percent
from govservice.api.web.i18n import Lang, text
from govservice.api.web.render import SHORT, language, render
from govservice.services.assessment.periods import Ratio
from govservice.services.board import Board, BoardService
from govservice.services.engine import EngineService

# The figures in the order the page shows them: the API's field name (camelCase) and attribute.
FIGURES = (
    ("decisionsOnTimePromised", "decisions_on_time_promised"),
    ("decisionsOnTimeStatutory", "decisions_on_time_statutory"),
    ("satisfaction", "satisfaction"),
    ("badReviewsRectified", "bad_reviews_rectified"),
    ("waiversGranted", "waivers_granted"),
)

From = Annotated[date | None, QueryParameter(name="from")]
To = Annotated[date | None, QueryParameter(name="to")]


def _rows(board: Board, attribute: str) -> list[tuple[str, Ratio]]:
    return [(u.unit, getattr(u, attribute)) for u in board.units]


def _sections(board: Board, lang: Lang) -> list[dict[str, Any]]:
    return [
        {
            "id": name,
            "title": text(lang, f"figure.{name}"),
            "definition": text(lang, f"figure.{name}.def"),
            "rows": [(unit, r, percent(r)) for unit, r in _rows(board, attribute)],
            "chart": bar_chart(_rows(board, attribute)),
        }
        for name, attribute in FIGURES
    ]


def board_csv(board: Board) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["periodFrom", "periodTo", "unit", "figure", "numerator", "denominator", "rate"])
    for name, attribute in FIGURES:
        for unit, r in _rows(board, attribute):
            rate = "" if r.rate is None else f"{r.rate:.4f}"
            writer.writerow(
                [board.period_from, board.period_to, unit, name, r.numerator, r.denominator, rate]
            )
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: spreadsheet programs then read UTF-8


class BoardPageController(Controller):
    path = "/board"
    include_in_schema = False

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        board: NamedDependency[BoardService],
        engine_service: NamedDependency[EngineService],
        period_from: From = None,
        period_to: To = None,
    ) -> Response[bytes]:
        lang = language(request)
        figures = await board.board(unit=None, start=period_from, end=period_to)
        last_year = engine_service.today().year - 1
        return render(
            request,
            "board.html",
            lang,
            board=figures,
            sections=_sections(figures, lang),
            last_year=(date(last_year, 1, 1), date(last_year, 12, 31)),
        )

    @get("/figures.csv")
    async def figures_csv(
        self, board: NamedDependency[BoardService], period_from: From = None, period_to: To = None
    ) -> Response[bytes]:
        figures = await board.board(unit=None, start=period_from, end=period_to)
        name = f"board-{figures.period_from}-{figures.period_to}.csv"
        return Response(
            content=board_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": SHORT},
        )
