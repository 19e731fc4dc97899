"""The strict cursor codec: what it encodes decodes back; nothing else does (a 400, never a 500)."""

from __future__ import annotations

import base64

import pytest

from govservice.errors import BadRequest
from govservice.services.cursors import (
    MAX_ID,
    decode_code_cursor,
    decode_id_cursor,
    decode_key_cursor,
    decode_priority_cursor,
    encode_id_cursor,
    encode_key_cursor,
    encode_priority_cursor,
)


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("last_id", [1, 7, 10, 99, 12345, 2**31, MAX_ID])
def test_id_cursors_round_trip(last_id: int) -> None:
    cursor = encode_id_cursor("in", last_id)
    assert cursor.isascii() and "=" not in cursor
    assert decode_id_cursor("in", cursor) == last_id


@pytest.mark.parametrize(
    "value",
    ["", "²", "¹²", "١٢", "１２", "-1", "+1", "0", "00", "012", " 1", "1 ", "1\x00", "1_000", "1.0", "1e3",
     "9" * 40, str(MAX_ID + 1), "0x1f", "NaN"],
)  # fmt: skip
def test_only_canonical_positive_ids_decode(value: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_id_cursor("in", _b64("in" + value))
    assert caught.value.code == "invalid_cursor"
    assert caught.value.extra["errors"] == [{"field": "cursor", "message": "not a cursor of this API"}]


@pytest.mark.parametrize(
    "cursor",
    ["", "\x00", "aW4x\x00", "aW4x====", "aW4x=", "aW4 x", "aW4x\n", "aW4+", "aW4/", "a", "aW4xé",
     "aW4y" * 60, _b64("vc1"), _b64("i1"), _b64("\xff"), "aW4z"[:-1] + "_"],
)  # fmt: skip
def test_only_canonical_base64_of_this_list_decodes(cursor: str) -> None:
    assert decode_id_cursor("in", _b64("in1")) == 1
    with pytest.raises(BadRequest):
        decode_id_cursor("in", cursor)


def test_a_non_canonical_spelling_of_a_good_cursor_is_refused() -> None:
    good = encode_id_cursor("in", 12)  # "aW4xMg": its last character carries 4 unused bits
    assert decode_id_cursor("in", good) == 12
    other_spelling = good[:-1] + "h"  # the same bytes to a base64 decoder, another text
    assert base64.urlsafe_b64decode(other_spelling + "==") == b"in12"
    with pytest.raises(BadRequest):
        decode_id_cursor("in", other_spelling)


@pytest.mark.parametrize("uscc", ["91350100M000100Y43", "91110000802100433B"])
def test_key_cursors_round_trip(uscc: str) -> None:
    assert decode_key_cursor("ke", encode_key_cursor("ke", uscc)) == uscc


@pytest.mark.parametrize(
    "key", ["", "0", "91350100m000100y43", "91350100M000100Y4", "91350100M000100Y433", "9135010０M000100Y43"]
)
def test_only_uscc_shaped_keys_decode(key: str) -> None:
    with pytest.raises(BadRequest):
        decode_key_cursor("ke", _b64("ke:" + key))


@pytest.mark.parametrize(("priority", "last_id"), [(True, 1), (False, 42), (True, MAX_ID)])
def test_priority_cursors_round_trip(priority: bool, last_id: int) -> None:
    assert decode_priority_cursor(encode_priority_cursor(priority, last_id)) == (priority, last_id)


@pytest.mark.parametrize(
    "cursor",
    ["", ".", "1.", ".1", "1", "2.1", "１.1", "1.²", "1.-1", "1.0", "1.01", "1." + "9" * 40, "1.1.1", "a.b",
     "1.1\x00", " 1.1", "true.1"],
)  # fmt: skip
def test_only_what_the_applications_queue_emits_decodes(cursor: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_priority_cursor(cursor)
    assert caught.value.code == "invalid_cursor"


def test_the_applications_queue_encodes_what_the_codec_decodes() -> None:
    from govservice.services.applications.reads import _encode_cursor

    assert _encode_cursor(True, 42) == encode_priority_cursor(True, 42) == "1.42"


@pytest.mark.parametrize("code", ["FR-PGP-OPENING", "a.b", "X_1"])
def test_matter_codes_are_the_catalogues_cursors(code: str) -> None:
    assert decode_code_cursor(code) == code


@pytest.mark.parametrize("cursor", ["", "-1", "²", "１２", "\x00", "FR PGP", "FR-" + "X" * 62, "é"])
def test_anything_else_is_not_a_matter_cursor(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_code_cursor(cursor)
