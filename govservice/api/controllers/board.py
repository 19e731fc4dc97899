"""The public display board (晾晒): no token needed."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from govservice.api.problems import problems
from govservice.services.assessment.periods import PERIOD_FROM, PERIOD_TO
from govservice.services.board import Board, BoardService


class BoardController(Controller):
    path = "/api/v1/public"
    tags = ["public"]

    @get(
        "/board",
        operation_id="getPublicBoard",
        summary="Per unit over a period: decisions on time, satisfaction, bad reviews rectified",
        description="Each figure carries its numerator and denominator. `from`/`to` are local dates "
        "(default: this year so far). No token needed.",
        responses=problems(400),
    )
    async def board(
        self,
        board: NamedDependency[BoardService],
        unit: Annotated[str | None, QueryParameter(max_length=64)] = None,
        period_from: Annotated[date | None, QueryParameter(name="from", description=PERIOD_FROM)] = None,
        period_to: Annotated[date | None, QueryParameter(name="to", description=PERIOD_TO)] = None,
    ) -> Board:
        return await board.board(unit=unit, start=period_from, end=period_to)
