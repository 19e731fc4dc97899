"""Every notice an effect writes has a type in the published schema, and a stored body reads back
into it (dates as dates, members no type names left out)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import msgspec
import pytest

from govservice.config import PROJECT_ROOT
from govservice.services.applications.notice_views import (
    NOTICE_KINDS,
    DecisionNoticeView,
    DeficiencyNoticeView,
    notice_view,
)

ISSUED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
_WRITTEN = re.compile(r'add_notice\(\s*run,\s*app,\s*"(\w+)"')


def test_every_kind_an_effect_writes_has_a_view() -> None:
    written = {
        kind
        for path in (PROJECT_ROOT / "govservice").rglob("*.py")
        for kind in _WRITTEN.findall(path.read_text(encoding="utf-8"))
    }
    assert len(written) >= 10
    assert written == set(NOTICE_KINDS)


def test_a_stored_body_reads_into_its_kind() -> None:
    body = {
        "missing": [
            {"code": "floor_plans", "name": "平面图", "kind": "key", "formats": ["pdf"], "maxBytes": 10}
        ],
        "defects": [{"material": "application_form", "problem": "unsigned"}],
        "comment": None,
        "legalBasis": "《中华人民共和国行政许可法》第三十二条",
        "addedLater": True,
    }
    view = notice_view("deficiency", body, id=3, due_on=None, issued_at=ISSUED)
    assert isinstance(view, DeficiencyNoticeView)
    assert view.body.missing[0].max_bytes == 10 and view.body.defects[0].problem == "unsigned"
    encoded = msgspec.json.decode(msgspec.json.encode(view))
    assert encoded["kind"] == "deficiency" and "addedLater" not in encoded["body"]

    decision = notice_view(
        "decision",
        {"outcome": "granted", "reasons": None, "postCheckDueOn": "2026-04-01"},
        id=4,
        due_on=None,
        issued_at=ISSUED,
    )
    assert isinstance(decision, DecisionNoticeView) and decision.body.post_check_due_on == date(2026, 4, 1)


def test_a_kind_without_a_view_is_an_error() -> None:
    with pytest.raises(ValueError, match="no view"):
        notice_view("summons", {}, id=5, due_on=None, issued_at=ISSUED)
