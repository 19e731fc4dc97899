"""The geometry of the board's bar charts; the template draws them as inline SVG (no script)."""

from __future__ import annotations

from dataclasses import dataclass

from govservice.services.assessment.periods import Ratio

WIDTH = 320  # the viewBox; the SVG scales to the screen's width
LABEL_WIDTH = 112  # the unit code to the left of its bar
VALUE_WIDTH = 64  # the percentage to the right
ROW_HEIGHT = 32
BAR_HEIGHT = 20
TOP = 8


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: str  # "87.5%", or "—" when nothing was counted
    y: int
    width: float  # of the filled part; 0 when nothing was counted


@dataclass(frozen=True, slots=True)
class BarChart:
    bars: list[Bar]
    height: int
    track: int  # the full bar's width, 100%
    bar_x: int
    value_x: int
    bar_height: int = BAR_HEIGHT


def percent(r: Ratio) -> str:
    return "—" if r.rate is None else f"{r.rate * 100:.1f}%"


def bar_chart(rows: list[tuple[str, Ratio]]) -> BarChart:
    """One horizontal bar per (label, ratio): its length is the rate, from 0 to 100%."""
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(
            label=label,
            value=percent(r),
            y=TOP + i * ROW_HEIGHT,
            width=0.0 if r.rate is None else round(track * min(max(r.rate, 0.0), 1.0), 1),
        )
        for i, (label, r) in enumerate(rows)
    ]
    return BarChart(
        bars=bars,
        height=TOP * 2 + ROW_HEIGHT * len(bars),
        track=track,
        bar_x=LABEL_WIDTH,
        value_x=LABEL_WIDTH + track + 6,
    )
