"""Which materials an application still lacks, by the rules of its matter and route.

A material the department can obtain from a shared source is never demanded as an upload.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from govservice.domain.catalogue import Material, MaterialKind, MatterGuide, Route


@dataclass(frozen=True, slots=True)
class MaterialGaps:
    missing_key: tuple[Material, ...]
    missing_tolerable: tuple[Material, ...]

    @property
    def complete(self) -> bool:
        return not self.missing_key and not self.missing_tolerable

    @property
    def all_missing(self) -> tuple[Material, ...]:
        return self.missing_key + self.missing_tolerable


def required_uploads(guide: MatterGuide, route: Route) -> list[Material]:
    """The materials the applicant must upload on ``route`` (never the shared-source ones)."""
    return [
        material
        for material in guide.materials
        if material.shared_source is None and (not material.routes or route in material.routes)
    ]


def material_gaps(guide: MatterGuide, route: Route, present: Collection[str]) -> MaterialGaps:
    missing = [m for m in required_uploads(guide, route) if m.code not in present]
    return MaterialGaps(
        missing_key=tuple(m for m in missing if m.kind is MaterialKind.KEY),
        missing_tolerable=tuple(m for m in missing if m.kind is MaterialKind.TOLERABLE),
    )


def find_material(guide: MatterGuide, code: str) -> Material | None:
    return next((m for m in guide.materials if m.code == code), None)
