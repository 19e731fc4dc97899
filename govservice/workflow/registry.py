"""Named guards and effects: the only code a process definition can reach.

A guard is ``fn(situation, **params) -> str | None``: None when satisfied, otherwise the
reason shown to the user. An effect is ``fn(ctx, **params) -> None`` where ``ctx`` is an
:class:`~govservice.workflow.engine.EffectContext`: pure effects change the case there
(clock, flags, counters, timers); an *external* effect (``external=True``) has no pure part and
is carried out by the service, which calls the handler its context gives under the same name
(:class:`govservice.services.engine.EngineExtension`) inside the transition's transaction.

Parameters are keyword-only, typed, and checked when a definition loads: a file writes them
in camelCase (``workingDays``) or snake_case, and they are converted with msgspec.

Each context declares its names on an :class:`Extension` of its own and exports it; nothing is
registered globally. The composition root (:func:`govservice.bootstrap.engine_extensions`)
builds the one :class:`Registry` from every context's extension, and a name two of them declare
is an error there.

    INSPECTION = Extension("inspection")

    @INSPECTION.guard("inspection_passed", rule="a permit only after an on-site inspection that passed")
    def inspection_passed(s: Situation) -> str | None:
        return None if s.flag("inspection_passed") else "the on-site inspection has not passed"

    @INSPECTION.effect("issue_licence", external=True)
    def issue_licence(ctx: EffectContext, *, kind: str = "permit") -> None: ...

    registry = Registry(BUILTINS, INSPECTION)
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from govservice.workflow.definition import CallSpec

Kind = Literal["guard", "effect"]
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class Call:
    """A guard or effect reference with its parameters, converted and checked."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.params.items())})"


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    name: str
    fn: Callable[..., Any]
    external: bool = False
    rule: str | None = None  # a guard's rule in words, for people; ``{param}`` names its parameters

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.fn) or ""

    def rule_text(self, params: Mapping[str, Any]) -> str:
        """The rule in words (never the guard's internal name): the registered text with its
        parameters filled in, else the first line of the docstring."""
        text = self.rule or self.doc.split("\n", 1)[0].rstrip(".")
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text

    def parameters(self) -> list[inspect.Parameter]:
        params = list(inspect.signature(self.fn, eval_str=True).parameters.values())
        return params[1:]  # the first is the situation / effect context


class Extension:
    """The guards and effects one context declares, by name (a name once per extension)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[tuple[Kind, str], Entry] = {}

    @classmethod
    def combine(cls, name: str, *parts: Extension) -> Extension:
        """One extension with every part's names; a name two parts declare is a ValueError."""
        combined = cls(name)
        for part in parts:
            for entry in part.entries():
                combined.add(entry, by=part.name)
        return combined

    def guard(
        self, name: str, *, rule: str | None = None
    ) -> Callable[[Callable[..., str | None]], Callable[..., str | None]]:
        """Declare a guard; ``rule`` says in words what it requires (errors and ``/actions`` name
        it), defaulting to the first line of the docstring."""

        def declare(fn: Callable[..., str | None]) -> Callable[..., str | None]:
            self.add(Entry("guard", name, fn, rule=rule))
            return fn

        return declare

    def effect(
        self, name: str, *, external: bool = False
    ) -> Callable[[Callable[..., None]], Callable[..., None]]:
        def declare(fn: Callable[..., None]) -> Callable[..., None]:
            self.add(Entry("effect", name, fn, external))
            return fn

        return declare

    def externals(self, no_pure_part: Callable[..., None], *names: str) -> None:
        """Declare effects with no pure part: a service's handler carries each out in the step's
        transaction; ``no_pure_part``'s docstring says which (it is their documentation)."""
        for name in names:
            self.add(Entry("effect", name, no_pure_part, external=True))

    def add(self, entry: Entry, *, by: str | None = None) -> None:
        """Add a name (``by``: the extension it comes from, when combining)."""
        key = (entry.kind, entry.name)
        existing = self._entries.get(key)
        if existing is not None and existing.fn is not entry.fn:
            raise ValueError(
                f"{entry.kind} {entry.name!r} by {by or self.name} is already registered "
                f"({existing.fn.__module__}.{existing.fn.__qualname__})"
            )
        for param in entry.parameters():
            if param.kind is not inspect.Parameter.KEYWORD_ONLY:
                raise TypeError(f"{entry.kind} {entry.name!r}: parameter {param.name!r} must be keyword-only")
        self._entries[key] = entry

    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def find(self, kind: Kind, name: str) -> Entry | None:
        return self._entries.get((kind, name))


class Registry:
    """Every guard and effect a process definition may name: the union of the extensions given,
    each name from one of them only (else ValueError)."""

    def __init__(self, *extensions: Extension) -> None:
        self.extensions = extensions
        self._names = Extension.combine("registry", *extensions)

    def including(self, *more: Extension) -> Registry:
        """This registry with more extensions (tests add names of their own)."""
        return Registry(*self.extensions, *more)

    def find(self, kind: Kind, name: str) -> Entry | None:
        return self._names.find(kind, name)

    def names(self, kind: Kind) -> list[str]:
        return sorted(e.name for e in self._names.entries() if e.kind == kind)

    def bind(self, kind: Kind, spec: CallSpec) -> tuple[Call | None, list[str]]:
        """Resolve ``name`` or ``{name: params}``; returns the call or the problems (one line each)."""
        if isinstance(spec, str):
            name, raw = spec, None
        elif len(spec) == 1:
            name, raw = next(iter(spec.items()))
        else:
            return None, [f"a {kind} is written `name` or `{{name: params}}`, got {spec!r}"]
        entry = self.find(kind, name)
        if entry is None:
            known = ", ".join(self.names(kind)) or "none"
            return None, [f"unknown {kind} {name!r} (known: {known})"]
        params = entry.parameters()
        if raw is None:
            given: dict[str, Any] = {}
        elif isinstance(raw, dict):
            given = {_CAMEL.sub("_", str(key)).lower(): value for key, value in raw.items()}
        elif len(params) == 1:
            given = {params[0].name: raw}
        else:
            return None, [f"{kind} {name!r} takes {len(params)} parameters; write them as a mapping"]
        problems: list[str] = []
        converted: dict[str, Any] = {}
        by_name = {p.name: p for p in params}
        for key in given:
            if key not in by_name:
                problems.append(
                    f"{kind} {name!r} has no parameter {key!r} (parameters: {', '.join(by_name) or 'none'})"
                )
        for param in params:
            if param.name not in given:
                if param.default is inspect.Parameter.empty:
                    problems.append(f"{kind} {name!r} needs parameter {param.name!r}")
                continue
            annotation = Any if param.annotation is inspect.Parameter.empty else param.annotation
            try:
                converted[param.name] = msgspec.convert(given[param.name], annotation)
            except msgspec.ValidationError as exc:
                problems.append(f"{kind} {name!r} parameter {param.name!r}: {exc}")
        if problems:
            return None, problems
        return Call(name, converted), []
