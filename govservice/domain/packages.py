"""The key-enterprise service package ("五个一"), as data from ``workflows/packages/``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import msgspec

from govservice.domain.base import Record

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PackageItem(Record, frozen=True):
    code: Name
    name: Name
    name_en: Name


class GreenChannel(Record, frozen=True):
    enabled: bool
    promised_limit_divisor: Annotated[int, msgspec.Meta(ge=1, le=10)] = 2
    queue_priority: bool = True
    assign_to_adviser_unit: bool = True


class ResponseLine(Record, frozen=True):
    response_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 14)] = 24


class InspectionRestraint(Record, frozen=True):
    annual_routine_cap: Annotated[int, msgspec.Meta(ge=0, le=52)] = 1
    override_reasons: list[Name] = msgspec.field(
        default_factory=lambda: ["complaint", "fire_risk", "post_check"]
    )
    merge_window_days: Annotated[int, msgspec.Meta(ge=0, le=366)] = 30


class Industry(Record, frozen=True):
    code: Name
    name: Name


class ServicePackage(Record, frozen=True):
    id: Name
    version: Annotated[int, msgspec.Meta(ge=1)]
    name: Name
    name_en: Name
    items: list[PackageItem]
    green_channel: GreenChannel
    response_line: ResponseLine
    inspection: InspectionRestraint
    industries: list[Industry] = msgspec.field(default_factory=list)


class PackageError(ValueError):
    pass


def load_package_in_force(directory: Path) -> ServicePackage:
    """The one package in ``directory`` (``workflows/packages``): exactly one file must be there."""
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if len(files) != 1:
        found = ", ".join(f.name for f in files) or "none"
        raise PackageError(f"{directory} must hold exactly one service package (*.yaml); found {found}")
    return load_package(files[0])


def load_package(path: Path) -> ServicePackage:
    try:
        return msgspec.yaml.decode(path.read_bytes(), type=ServicePackage)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise PackageError(f"{path.name}: {exc}") from exc


def green_channel_limit(promised: int, statutory: int, channel: GreenChannel) -> int:
    """The promised limit for a key enterprise: divided, rounded up, never above statutory."""
    if not channel.enabled:
        return promised
    return min(statutory, math.ceil(promised / channel.promised_limit_divisor))
