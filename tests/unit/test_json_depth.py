"""The nesting check that runs before a JSON body is decoded."""

from __future__ import annotations

from govservice.api.json_depth import MAX_DEPTH, too_deep


def test_deep_nesting_is_caught_and_ordinary_bodies_pass() -> None:
    assert too_deep(b"[" * 5000 + b"]" * 5000)
    assert too_deep(b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1))
    assert not too_deep(b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH)
    assert not too_deep(b"[]" * 100_000)  # wide, not deep


def test_brackets_inside_strings_do_not_count() -> None:
    assert not too_deep(b'{"comment": "' + b"[" * 500 + b'"}')
    assert not too_deep(b'{"comment": "\\"' + b"{" * 500 + b'"}')  # an escaped quote stays in the string
    assert too_deep(b'{"comment": "\\\\"' + b"[" * 500)  # an escaped backslash ends it
