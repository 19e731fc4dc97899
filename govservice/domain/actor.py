"""Who is acting: the claims of a verified token, as a value object the services can reason about."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    INSPECTOR = "inspector"
    LEGAL = "legal"
    ADVISER = "adviser"
    ASSESSOR = "assessor"
    REVIEWER = "reviewer"  # enforcement quality-review panel (lawyer, outside adviser, senior staff)
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.LEGAL, Role.ADVISER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    sub: str
    name: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)
    ent: str | None = None  # USCC the applicant acts for
    unit: str | None = None  # department unit code of staff

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


ANONYMOUS = Actor(sub="anonymous")
