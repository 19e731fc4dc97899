"""The pure pieces of the public pages: which language a browser gets, and how long a chart's bar is."""

from __future__ import annotations

import pytest

from govservice.api.web.charts import bar_chart
from govservice.api.web.i18n import choose_language
from govservice.services.assessment.periods import Ratio


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (None, "", "zh"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-TW,zh;q=0.9,en;q=0.8", "zh"),
        (None, "fr-FR,en;q=0.5,zh;q=0.7", "zh"),  # the higher q wins, whatever the order
        (None, "de,en;q=0.3", "en"),
        (None, "en;q=0,zh;q=0.1", "zh"),  # q=0 means "not this"
        (None, "en;q=abc", "zh"),  # unreadable: ignored
        ("en", "zh-CN", "en"),  # the query wins
        ("zh", "en", "zh"),
        ("xx", "en", "en"),  # an unknown query falls back to the browser
    ],
)
def test_language(query: str | None, accept: str, expected: str) -> None:
    assert choose_language(query, accept) == expected


def test_bars_are_as_long_as_their_rate_and_empty_when_nothing_was_counted() -> None:
    chart = bar_chart(
        [
            ("A", Ratio(numerator=1, denominator=2, rate=0.5)),
            ("B", Ratio(numerator=3, denominator=3, rate=1.0)),
            ("C", Ratio(numerator=0, denominator=0, rate=None)),
        ]
    )
    widths = [bar.width for bar in chart.bars]
    assert widths == [chart.track / 2, chart.track, 0.0]
    assert [bar.value for bar in chart.bars] == ["50.0%", "100.0%", "—"]
    assert chart.bars[1].y > chart.bars[0].y and chart.height > chart.bars[-1].y
