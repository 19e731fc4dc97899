"""The reproducible draw: the same seed and population always give the same files.

Each (category, unit) stratum is sorted, the excluded references are taken out, and
``random.Random(f"{seed}:{category}:{unit}")`` samples N of the rest. Sorting makes the draw
independent of the order the database returned the rows in; seeding per stratum makes one
stratum's draw independent of the others (adding a unit to the scope does not change the files
drawn in another). Anyone holding the recorded seed and population can re-run it.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence

import msgspec

# licensing decisions, inspections, penalties and waivers, post-checks, fire investigations
CATEGORIES = ("licensing", "inspections", "penalties", "post_checks", "fire_investigations")

Population = Mapping[str, Mapping[str, Sequence[str]]]  # category -> unit -> subject references


class Draw(msgspec.Struct, kw_only=True, rename="camel"):
    seed: str
    per_unit: int
    population: dict[str, dict[str, list[str]]]  # sorted, after exclusions
    excluded: list[str]
    drawn: dict[str, dict[str, list[str]]]


def draw_sample(seed: str, category: str, unit: str, refs: Collection[str], n: int) -> list[str]:
    """N references of one stratum (all of them when it has N or fewer), in drawing order."""
    pool = sorted(set(refs))
    if n >= len(pool):
        return pool
    return random.Random(f"{seed}:{category}:{unit}").sample(pool, n)


def draw_files(seed: str, population: Population, per_unit: int, exclude: Collection[str] = ()) -> Draw:
    """The draw of ``per_unit`` files in each stratum of ``population``, ``exclude`` left out."""
    excluded = set(exclude)
    kept: dict[str, dict[str, list[str]]] = {}
    drawn: dict[str, dict[str, list[str]]] = {}
    taken_out: set[str] = set()
    for category in sorted(population):
        for unit in sorted(population[category]):
            refs = sorted(set(population[category][unit]))
            taken_out.update(r for r in refs if r in excluded)
            pool = [r for r in refs if r not in excluded]
            kept.setdefault(category, {})[unit] = pool
            drawn.setdefault(category, {})[unit] = draw_sample(seed, category, unit, pool, per_unit)
    return Draw(seed=seed, per_unit=per_unit, population=kept, excluded=sorted(taken_out), drawn=drawn)
