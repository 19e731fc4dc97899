"""Unified Social Credit Code (统一社会信用代码), GB 32100-2015: 18 characters, the last a check character."""

from __future__ import annotations

from typing import Annotated

import msgspec

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

PATTERN = f"^[{ALPHABET}]{{18}}$"
RULE = (
    "Unified Social Credit Code (GB 32100-2015): 18 characters of 0-9 and A-Z without I, O, S, V, Z; "
    "the last is the check character of the first 17, and a code whose check character is wrong is refused."
)
UsccText = Annotated[str, msgspec.Meta(min_length=18, max_length=18, pattern=PATTERN, description=RULE)]
"""A USCC in a request body: the schema states the alphabet and length; services check the last character."""


def check_character(body: str) -> str:
    """The check character for the first 17 characters."""
    total = sum(_VALUE[ch] * weight for ch, weight in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when ``code`` is a valid USCC, else what is wrong with it (for the error message)."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"contains characters outside GB 32100's alphabet: {''.join(bad)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, expected {expected}"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None
