"""CPU time of a process tree and of PostgreSQL's backends, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, str, float] | None:
    """(parent pid, command name, CPU seconds) of one process, or None if it is gone: user + system
    time, plus that of its children that have exited and been waited for (a PostgreSQL backend
    that ends during a measurement is counted in its postmaster's)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), name, sum(int(f) for f in fields[11:15]) / TICK


def _all() -> dict[int, tuple[int, str, float]]:
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    return stats


def tree_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and every live descendant (granian's workers)."""
    stats = _all()
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, _) in stats.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(stats[pid][2] for pid in tree if pid in stats)


def postgres_seconds() -> float:
    """CPU seconds used so far by every live ``postgres`` process on this machine."""
    return sum(seconds for _, name, seconds in _all().values() if name.startswith("postgres"))
