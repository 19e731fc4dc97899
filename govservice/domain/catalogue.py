"""The matter catalogue (事项 and 办事指南) as value objects.

A matter file in ``workflows/catalog/`` decodes into :class:`MatterGuide`; so does each
version an admin publishes. The catalogue has a history: a cancelled or adjusted matter keeps
its entry, with the date, the reason, the legal basis and what replaces it.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

import msgspec

from govservice.domain.base import Record

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
WorkingDays = Annotated[int, msgspec.Meta(ge=0, le=365)]


class Route(enum.StrEnum):
    STANDARD = "standard"
    TOLERANT = "tolerant"
    COMMITMENT = "commitment"


class MatterKind(enum.StrEnum):
    LICENSING = "licensing"  # 行政许可
    FILING = "filing"  # 备案
    SERVICE = "service"  # 公共服务


class MatterStatus(enum.StrEnum):
    ACTIVE = "active"
    ADJUSTED = "adjusted"
    CANCELLED = "cancelled"


class MaterialKind(enum.StrEnum):
    KEY = "key"  # 主要材料: must be present and valid before acceptance
    TOLERABLE = "tolerable"  # 容缺: may follow under a commitment


class FileFormat(enum.StrEnum):
    PDF = "pdf"
    JPG = "jpg"
    PNG = "png"
    OFD = "ofd"  # China's fixed-layout e-document format
    DWG = "dwg"


# What each format is called on the wire (OFD: GB/T 33190's type; DWG: IANA's vnd.dwg).
MEDIA_TYPES: dict[FileFormat, str] = {
    FileFormat.PDF: "application/pdf",
    FileFormat.JPG: "image/jpeg",
    FileFormat.PNG: "image/png",
    FileFormat.OFD: "application/ofd",
    FileFormat.DWG: "image/vnd.dwg",
}


class Material(Record, frozen=True):
    code: Code
    name: Text
    kind: MaterialKind
    formats: Annotated[list[FileFormat], msgspec.Meta(min_length=1)]
    max_bytes: Annotated[int, msgspec.Meta(gt=0, le=200 * 1024 * 1024)] = 20 * 1024 * 1024
    # The department obtains it itself (e.g. the business licence behind a valid USCC):
    # it must never be demanded as an upload.
    shared_source: Text | None = None
    # Routes on which it is needed up front; empty means every route the matter allows.
    routes: list[Route] = msgspec.field(default_factory=list)
    note: Text | None = None


class Fee(Record, frozen=True):
    item: Text
    amount_yuan: Annotated[float, msgspec.Meta(ge=0)]
    basis: Text | None = None


class Replacement(Record, frozen=True):
    """What to use instead of a cancelled or adjusted matter."""

    description: Text
    matter_code: Code | None = None  # when the replacement is in this catalogue
    department: Text | None = None  # when another department handles it now


class StatusChange(Record, frozen=True):
    effective: date
    reason: Text
    legal_basis: Text
    replacement: Replacement | None = None


class MatterGuide(Record, frozen=True):
    code: Code
    name: Text
    name_en: Text
    kind: MatterKind
    unit: Code  # responsible unit code
    legal_basis: Annotated[list[Text], msgspec.Meta(min_length=1)]
    statutory_limit: WorkingDays
    promised_limit: WorkingDays
    max_visits: Annotated[int, msgspec.Meta(ge=0, le=1)]
    routes: Annotated[list[Route], msgspec.Meta(min_length=1)]
    # Process definition id per route, e.g. {"standard": "licensing", "commitment": "commitment"}
    processes: dict[Route, Code]
    materials: list[Material] = msgspec.field(default_factory=list)
    fees: list[Fee] = msgspec.field(default_factory=list)
    conditions: list[Text] = msgspec.field(default_factory=list)
    licence_title: Text | None = None
    licence_validity_years: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    tolerant_supplement_limit: WorkingDays | None = None  # 容缺 supplement deadline; default = promised
    status: MatterStatus = MatterStatus.ACTIVE
    status_change: StatusChange | None = None


class CatalogueError(ValueError):
    """A matter breaks a catalogue rule; the message names the matter and the rule."""


def check_guide(guide: MatterGuide) -> None:
    """Rules a matter must satisfy whatever its source (seed file or admin publication)."""
    problems: list[str] = []
    if guide.promised_limit > guide.statutory_limit:
        problems.append("promisedLimit must not exceed statutoryLimit")
    missing = [route for route in guide.routes if route not in guide.processes]
    if missing:
        problems.append(f"routes without a process: {', '.join(missing)}")
    extra = [route for route in guide.processes if route not in guide.routes]
    if extra:
        problems.append(f"processes for routes the matter does not allow: {', '.join(extra)}")
    codes = [material.code for material in guide.materials]
    if len(codes) != len(set(codes)):
        problems.append("material codes must be unique")
    if Route.TOLERANT in guide.routes and not any(m.kind is MaterialKind.TOLERABLE for m in guide.materials):
        problems.append("the tolerant route needs at least one tolerable material")
    for material in guide.materials:
        stray = [route for route in material.routes if route not in guide.routes]
        if stray:
            problems.append(
                f"material {material.code} names routes the matter does not allow: {', '.join(stray)}"
            )
    if guide.tolerant_supplement_limit is not None and guide.tolerant_supplement_limit > guide.promised_limit:
        problems.append("tolerantSupplementLimit must not exceed promisedLimit")
    if guide.status is MatterStatus.ACTIVE and guide.status_change is not None:
        problems.append("an active matter has no statusChange")
    if guide.status is not MatterStatus.ACTIVE and guide.status_change is None:
        problems.append(f"a {guide.status} matter needs a statusChange (date, reason, legal basis)")
    if guide.status is MatterStatus.CANCELLED and (
        guide.status_change is None or guide.status_change.replacement is None
    ):
        problems.append("a cancelled matter must name its replacement")
    if problems:
        raise CatalogueError(f"matter {guide.code}: " + "; ".join(problems))


def decode_guide(data: bytes, *, source: str, yaml: bool = True) -> MatterGuide:
    try:
        guide = (msgspec.yaml.decode if yaml else msgspec.json.decode)(data, type=MatterGuide)
    except msgspec.ValidationError as exc:
        raise CatalogueError(f"{source}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise CatalogueError(f"{source}: not valid {'YAML' if yaml else 'JSON'}: {exc}") from exc
    check_guide(guide)
    return guide
