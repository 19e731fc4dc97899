"""Loading the enforcement rules: the violation-type catalogue plus the waiver list.

Every problem raises :class:`RulesError` whose message starts with the file name and names
the entry (``waiver_list.yaml: entry HYDRANT-BLOCKED: ...``), so a department editing its
list sees at once what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from govservice.domain.enforcement.violation_types import (
    QuantityUnit,
    ViolationCatalogue,
    ViolationType,
    catalogue_problems,
)
from govservice.domain.enforcement.waiver_list import WaiverEntry, WaiverList

CATALOGUE_FILE = "violation_types.yaml"
WAIVER_LIST_FILE = "waiver_list.yaml"

T = TypeVar("T")


class RulesError(ValueError):
    """A rules file is unreadable or breaks a rule; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The catalogue and the waiver list in force together; build it with :func:`build_rules`."""

    catalogue: ViolationCatalogue
    waiver_list: WaiverList

    @property
    def version(self) -> str:
        """What every evaluation records: ``<list id>@<version>+<catalogue id>@<version>``."""
        wl, cat = self.waiver_list, self.catalogue
        return f"{wl.id}@{wl.version}+{cat.id}@{cat.version}"

    def violation_type(self, code: str) -> ViolationType | None:
        return self.catalogue.type(code)

    def waiver_entry(self, code: str) -> WaiverEntry | None:
        return self.waiver_list.entry(code)


def decode_catalogue(data: bytes, *, source: str = CATALOGUE_FILE) -> ViolationCatalogue:
    catalogue = _decode(data, ViolationCatalogue, source)
    problems = catalogue_problems(catalogue)
    if problems:
        raise RulesError(f"{source}: " + "; ".join(problems))
    return catalogue


def decode_waiver_list(data: bytes, *, source: str = WAIVER_LIST_FILE) -> WaiverList:
    return _decode(data, WaiverList, source)


def build_rules(
    catalogue: ViolationCatalogue, waiver_list: WaiverList, *, source: str = WAIVER_LIST_FILE
) -> RuleSet:
    """Check the waiver list against the catalogue (``source`` names the list in errors)."""
    problems: list[str] = []
    seen: set[str] = set()
    for entry in waiver_list.entries:
        where = f"entry {entry.type}"
        if entry.type in seen:
            problems.append(f"{where}: the type is listed twice")
        seen.add(entry.type)
        vtype = catalogue.type(entry.type)
        if vtype is None:
            problems.append(f"{where}: no such violation type in {catalogue.id}")
            continue
        quantities = [t.quantity for t in entry.thresholds]
        if len(set(quantities)) != len(quantities):
            problems.append(f"{where}: a quantity has two thresholds")
        for threshold in entry.thresholds:
            quantity = vtype.quantity(threshold.quantity)
            if quantity is None:
                known = ", ".join(q.code for q in vtype.quantities) or "none"
                problems.append(
                    f"{where}: threshold on {threshold.quantity}, which the type does not measure "
                    f"(it measures: {known})"
                )
            elif quantity.unit is QuantityUnit.FRACTION and threshold.max > 1:
                problems.append(
                    f"{where}: {threshold.quantity} is a fraction, max {threshold.max} is above 1"
                )
            elif quantity.unit is QuantityUnit.COUNT and threshold.max != threshold.max.to_integral_value():
                problems.append(
                    f"{where}: {threshold.quantity} is a count, max {threshold.max} is not a whole number"
                )
    if waiver_list.limitation.life_or_health_years < waiver_list.limitation.years:
        problems.append("limitation: lifeOrHealthYears must not be shorter than years")
    if problems:
        raise RulesError(f"{source}: " + "; ".join(problems))
    return RuleSet(catalogue=catalogue, waiver_list=waiver_list)


def load_rules(catalogue_path: Path, waiver_list_path: Path) -> RuleSet:
    catalogue = decode_catalogue(_read(catalogue_path), source=catalogue_path.name)
    waiver_list = decode_waiver_list(_read(waiver_list_path), source=waiver_list_path.name)
    return build_rules(catalogue, waiver_list, source=waiver_list_path.name)


def load_default_rules(workflows_dir: Path) -> RuleSet:
    """The rules under ``<workflows_dir>/rules/`` (``Settings.workflows_dir``)."""
    rules_dir = workflows_dir / "rules"
    return load_rules(rules_dir / CATALOGUE_FILE, rules_dir / WAIVER_LIST_FILE)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RulesError(f"{path.name}: cannot read {path}: {exc.strerror}") from exc


def _decode(data: bytes, type_: type[T], source: str) -> T:
    try:
        return msgspec.yaml.decode(data, type=type_)
    except msgspec.ValidationError as exc:
        raise RulesError(f"{source}: {_entry_hint(data, str(exc))}{exc}") from exc
    except msgspec.DecodeError as exc:
        raise RulesError(f"{source}: not valid YAML: {exc}") from exc


_PATH = re.compile(r"`\$((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+)`")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _entry_hint(data: bytes, message: str) -> str:
    """``entry X / Y: `` naming the list items (by code, type or quantity) on the error's path."""
    match = _PATH.search(message)
    if match is None:
        return ""
    try:
        node: Any = msgspec.yaml.decode(data)
    except msgspec.DecodeError:
        return ""
    labels: list[str] = []
    for key, index in _STEP.findall(match.group(1)):
        if key:
            node = node.get(key) if isinstance(node, dict) else None
        else:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
            name = (
                node.get("code") or node.get("type") or node.get("quantity")
                if isinstance(node, dict)
                else None
            )
            if isinstance(name, str):
                labels.append(name)
        if node is None:
            break
    return f"entry {' / '.join(labels)}: " if labels else ""
