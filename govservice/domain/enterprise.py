"""An enterprise's credit standing, as far as the tolerant and commitment routes care."""

from __future__ import annotations

import enum


class CreditStatus(enum.StrEnum):
    GOOD = "good"
    BROKEN_COMMITMENT = "broken_commitment"  # 承诺失信: a commitment was not kept
    DISHONEST = "dishonest"  # 失信: on a dishonesty list


def is_creditworthy(status: CreditStatus) -> bool:
    """Tolerant acceptance and the commitment route are barred until credit is repaired."""
    return status is CreditStatus.GOOD
