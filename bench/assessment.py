"""Latency of the assessor's full indicator set for one year over a million applications.

    .venv/bin/python bench/assessment.py                   # SQLite and PostgreSQL, 1,000,000 applications
    .venv/bin/python bench/assessment.py --store postgres --applications 200000 --calls 50
    .venv/bin/python bench/assessment.py --reuse                   # time again on the data set left by a run

Generates a realistic year (2025) of a fire department's applications, bulk-loaded (PostgreSQL
COPY, SQLite executemany; not through the API): every application with its workflow case and
events (filing, acceptance, pauses, extensions, decision, post-check), the facts its steps store,
ratings (some bad, with their work orders, some appealed), and enforcement (inspections, findings,
violation cases, about half waived). Material files are not generated: the indicators read the
count each application stores at its conclusion. Then it calls
``GET /api/v1/assessment/indicators?from=2025-01-01&to=2025-12-31`` through the real app
(in-process ASGI, an assessor's token, the clock set to 20 January 2026) and prints the median
and p95 latency over repeated calls. Target: p95 <= 500 ms on PostgreSQL.

Data sets: SQLite in ``var/bench-assessment.db`` (about 2.5 GB), PostgreSQL in the database
``govservice_bench_assessment`` on 127.0.0.1 (dropped and created unless --reuse).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import msgspec
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govservice.api.app import create_app  # noqa: E402
from govservice.auth import KeyStore, mint_token  # noqa: E402
from govservice.config import load_settings  # noqa: E402
from govservice.db.engine import make_engine  # noqa: E402
from govservice.db.migrations import upgrade  # noqa: E402
from govservice.db.models import ApplicationRow, WorkflowDefinitionRow  # noqa: E402
from govservice.domain.actor import Actor, Role  # noqa: E402
from govservice.domain.calendar import CaseClock, Run, load_calendar  # noqa: E402
from govservice.domain.catalogue import MatterGuide, MatterStatus  # noqa: E402
from govservice.domain.clock import ManualClock  # noqa: E402
from govservice.domain.uscc import check_character  # noqa: E402
from govservice.services.assessment.counts import rebuild  # noqa: E402

YEAR = 2025
NOW = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, after every 2025 rating window
ZONE = ZoneInfo("Asia/Shanghai")
PG_DB = "govservice_bench_assessment"
SQLITE_PATH = ROOT / "var" / "bench-assessment.db"
CHUNK = 20_000
ENTERPRISES = 60_000
INDICATORS = f"/api/v1/assessment/indicators?from={YEAR}-01-01&to={YEAR}-12-31"


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


# -- the data set ---------------------------------------------------------------------------------

# Each process's path: (action, from, to, role). "{decision}" is filled with approve/deny.
PATHS = {
    "licensing": ("reviewing", "deciding", "approve", "deny", "approved", "denied"),
    "tolerant": ("reviewing", "deciding", "approve", "deny", "approved", "denied"),
    "service": ("processing", None, "complete", "complete", "completed", "completed"),
}


@dataclass
class Rows:
    cases: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    applications: list[tuple] = field(default_factory=list)
    ratings: list[tuple] = field(default_factory=list)
    work_orders: list[tuple] = field(default_factory=list)
    inspections: list[tuple] = field(default_factory=list)
    findings: list[tuple] = field(default_factory=list)
    violations: list[tuple] = field(default_factory=list)


COLUMNS = {
    "cases": (
        "workflow_cases",
        (
            "id",
            "process_id",
            "process_version",
            "state",
            "version",
            "outcome",
            "subject_kind",
            "calendar_version",
            "clock",
            "data",
            "created_at",
            "updated_at",
        ),
    ),
    "events": (
        "workflow_events",
        ("case_id", "seq", "action", "from_state", "to_state", "actor_sub", "actor_roles", "at"),
    ),
    "applications": (
        "applications",
        (
            "id",
            "case_id",
            "enterprise_uscc",
            "enterprise_name",
            "applicant_sub",
            "matter_code",
            "matter_version",
            "route",
            "channel",
            "unit",
            "priority",
            "statutory_limit",
            "promised_limit",
            "arrived_on",
            "accepted_on",
            "decided_on",
            "concluded_at",
            "concluded_on",
            "visits",
            "visit_tag",
            "promise_broken",
            "commitment_signed",
            "created_at",
            "decision_working_days",
            "decision_limit",
            "materials_count",
            "tolerant_due_on",
            "supplemented_on",
            "post_check_due_on",
            "post_checked_on",
        ),
    ),
    "ratings": (
        "ratings",
        (
            "id",
            "application_id",
            "enterprise_uscc",
            "unit",
            "stars",
            "comment",
            "rated_by",
            "rated_at",
            "excluded",
            "concluded_at",
            "matter_code",
        ),
    ),
    "work_orders": ("work_orders", ("id", "case_id", "rating_id", "application_id", "unit", "opened_at")),
    "inspections": (
        "inspections",
        (
            "id",
            "uscc",
            "unit_name",
            "address",
            "inspected_on",
            "officer_a",
            "officer_b",
            "department_unit",
            "recorded_by",
            "evidence",
            "created_at",
        ),
    ),
    "findings": (
        "findings",
        (
            "id",
            "inspection_id",
            "uscc",
            "violation_type",
            "committed_on",
            "found_on",
            "harm_level",
            "measurements",
            "harmful_consequence",
            "life_or_health_endangered",
            "evidence",
        ),
    ),
    "violations": (
        "violations",
        (
            "id",
            "case_id",
            "finding_id",
            "inspection_id",
            "uscc",
            "violation_type",
            "department_unit",
            "corrected",
            "eligible",
            "decision",
            "fine_yuan",
            "fine_spared_yuan",
            "decided_on",
            "countersigned_by",
            "created_at",
        ),
    ),
}
VIOLATION_TYPES = (
    "HYDRANT-BLOCKED",
    "EVACUATION-OBSTRUCTED",
    "FIRE-DOOR-FAULTY",
    "EMERGENCY-LIGHTING-FAULTY",
    "FIRE-EQUIPMENT-FAULTY",
    "WINDOW-OBSTRUCTED",
)
ENFORCEMENT_UNITS = ("CD-JJ", "CD-QY", "CD-JN", "CD-WH", "CD-CH")


class Generator:
    """Deterministic (seeded): the same arguments give the same data set."""

    def __init__(
        self,
        guides: list[MatterGuide],
        processes: dict[str, int],
        matters: dict[str, int],
        calendar_version: str,
    ) -> None:
        self.random = random.Random(2025)
        self.calendar = load_calendar(ROOT / "workflows" / "calendars")
        self.guides = guides
        self.weights = [40 if g.code == "FR-PGP-OPENING" else 10 for g in guides]
        self.processes, self.matters = processes, matters  # latest published versions
        self.calendar_version = calendar_version
        first, last = date(YEAR, 1, 1), date(YEAR, 12, 31)
        self.days = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if self.calendar.is_working_day(first + timedelta(days=n))
        ]
        self.enterprises = [self._uscc(n) for n in range(ENTERPRISES)]
        self.case_id = self.rating_id = self.order_id = 0

    @staticmethod
    def _uscc(n: int) -> str:
        body = f"915101{n:011d}"
        return body + check_character(body)

    def _at(self, day: date, hour: int | None = None) -> datetime:
        minute = self.random.randrange(9 * 60, 17 * 60) if hour is None else hour * 60
        return datetime.combine(day, clock_time(minute // 60, minute % 60), ZONE).astimezone(UTC)

    def _case(
        self,
        rows: Rows,
        process: str,
        state: str,
        outcome: str | None,
        steps: list[tuple],
        clock: CaseClock,
        created: datetime,
    ) -> int:
        self.case_id += 1
        case_id = self.case_id
        for seq, (action, source, target, sub, role, at) in enumerate(steps, start=1):
            rows.events.append(
                (case_id, seq, action, source, target, sub, f'["{role}"]' if role else "[]", at)
            )
        rows.cases.append(
            (
                case_id,
                process,
                self.processes[process],
                state,
                len(steps),
                outcome,
                {"violation": "violation", "bad_review": "work_order"}.get(process, "application"),
                self.calendar_version,
                _json(clock),
                "{}",
                created,
                steps[-1][5],
            )
        )
        return case_id

    def application(self, rows: Rows, app_id: int) -> None:
        r, cal = self.random, self.calendar
        guide = r.choices(self.guides, self.weights)[0]
        route = "standard"
        if "commitment" in guide.routes and r.random() < 0.45:
            route = "commitment"
        elif "tolerant" in guide.routes and r.random() < 0.3:
            route = "tolerant"
        process = guide.processes[route]
        uscc = r.choice(self.enterprises)
        applicant = f"user-{uscc[-8:]}"
        channel = "window" if r.random() < 0.08 else "online"
        visits = (1 if r.random() < 0.9 else 2) if channel == "window" else (0 if r.random() < 0.95 else 1)
        filed = r.choice(self.days)
        created = self._at(filed)
        steps = [
            ("start", None, "draft", applicant, "applicant", created),
            ("file", "draft", "submitted", applicant, "applicant", created),
        ]
        clerk, head = f"clerk-{guide.unit}", f"head-{guide.unit}"
        promised, statutory = guide.promised_limit, guide.statutory_limit
        accepted = decided = concluded = tolerant_due = supplemented = post_due = post_checked = None
        days = limit = None
        outcome = None
        state = "submitted"
        clock = CaseClock(limit=statutory)
        roll = r.random()
        if route == "commitment":
            accepted = decided = filed
            days, limit = 0, statutory
            granted = self._at(filed)
            steps.append(("grant", "submitted", "post_check", clerk, "clerk", granted))
            post_due = cal.add_working_days(decided, 20)
            check = r.random()
            after = r.randint(1, 20) if check < 0.9 else r.randint(21, 32)
            if check < 0.97 and cal.add_working_days(decided, after) < NOW.date():
                post_checked = cal.add_working_days(decided, after)
                passed = r.random() < 0.93
                at = self._at(post_checked)
                if after > 20:
                    steps.append(
                        (
                            "post_check_overdue",
                            "post_check",
                            "post_check_late",
                            "system:timer",
                            "",
                            self._at(post_due + timedelta(days=1), 0),
                        )
                    )
                source = steps[-1][2]
                if passed:
                    steps.append(("pass_post_check", source, "closed", "insp-1", "inspector", at))
                    state, outcome, concluded = "closed", "approved", at
                else:
                    steps.append(("fail_post_check", source, "rectifying", "insp-1", "inspector", at))
                    state = "rectifying"
            else:
                state = "post_check"
        elif roll < 0.03:
            at = self._at(cal.add_working_days(filed, r.randint(0, 3)))
            steps.append(("refuse_acceptance", "submitted", "refused", clerk, "clerk", at))
            state, outcome, concluded = "refused", "refused", at
        elif roll < 0.05:
            at = self._at(cal.add_working_days(filed, r.randint(0, 2)))
            steps.append(("withdraw", "submitted", "withdrawn", applicant, "applicant", at))
            state, outcome, concluded = "withdrawn", "withdrawn", at
        else:
            working, deciding, approve, deny, approved, denied = PATHS[process]
            accepted = filed if r.random() < 0.6 else cal.add_working_days(filed, r.randint(1, 3))
            steps.append(
                (
                    "accept_tolerant" if route == "tolerant" else "accept",
                    "submitted",
                    working,
                    clerk,
                    "clerk",
                    self._at(accepted),
                )
            )
            kind = r.random()
            days = (
                0
                if kind < 0.12
                else r.randint(1, max(promised, 1))
                if kind < 0.85
                else r.randint(promised + 1, statutory)
                if kind < 0.97
                else statutory + r.randint(1, 4)
            )
            limit = statutory
            paused = 0
            if route == "tolerant":
                tolerant_due = cal.add_working_days(accepted, 5)
                if r.random() < 0.92:
                    supplemented = cal.add_working_days(accepted, r.randint(1, 5))
                    steps.append(
                        ("accept_supplements", working, working, clerk, "clerk", self._at(supplemented))
                    )
                else:
                    end = self._at(tolerant_due + timedelta(days=1), 0)
                    steps.append(("terminate_unsupplemented", working, "terminated", "system:timer", "", end))
                    state, outcome, concluded = "terminated", "terminated", end
                    days = None
            if outcome is None and r.random() < 0.06:  # the clock stops for an inspection or expert review
                held = cal.add_working_days(accepted, r.randint(0, max(days or 0, 1) - 1) if days else 0)
                paused = r.randint(2, 10)
                resumed = cal.add_working_days(held, paused)
                steps.append(("hold", working, "on_hold", clerk, "clerk", self._at(held)))
                steps.append(("resume", "on_hold", working, clerk, "clerk", self._at(resumed)))
            if outcome is None:
                extended = deciding is not None and r.random() < 0.02
                if extended:
                    limit = statutory + 10
                    days = max(statutory + r.randint(-2, 8), 0)
                decided = cal.add_working_days(accepted, days + paused)  # type: ignore[operator]
                if decided >= NOW.date():
                    state, days, decided, limit = working, None, None, None  # still open
                else:
                    at = self._at(decided)
                    if deciding is not None:
                        steps.append(("forward", working, deciding, clerk, "clerk", at))
                        if extended:
                            steps.append(("extend", deciding, deciding, head, "supervisor", at))
                    good = r.random() < 0.95
                    steps.append(
                        (
                            approve if good else deny,
                            deciding or working,
                            approved if good else denied,
                            head if deciding else clerk,
                            "supervisor" if deciding else "clerk",
                            at,
                        )
                    )
                    state = outcome = approved if good else denied
                    concluded = at
        if accepted is not None:
            runs = (Run(accepted, decided or NOW.date()),)
            clock = CaseClock(limit=limit or statutory, runs=runs, stopped=decided is not None)
        case_id = self._case(rows, process, state, outcome, steps, clock, created)
        rows.applications.append(
            (
                app_id,
                case_id,
                uscc,
                f"企业{uscc[-6:]}",
                applicant,
                guide.code,
                self.matters[guide.code],
                route,
                channel,
                guide.unit,
                False,
                statutory,
                promised,
                filed,
                accepted,
                decided,
                concluded,
                concluded.astimezone(ZONE).date() if concluded else None,
                visits,
                None if concluded is None else ("zero_visit", "one_visit", "multi_visit")[min(visits, 2)],
                visits > guide.max_visits,
                route != "standard",
                created,
                days,
                limit,
                r.randint(2, 7) if concluded else None,
                tolerant_due,
                supplemented,
                post_due,
                post_checked,
            )
        )
        if concluded is not None and r.random() < 0.3:
            self._rating(rows, app_id, uscc, applicant, guide, concluded)

    def _rating(
        self, rows: Rows, app_id: int, uscc: str, rater: str, guide: MatterGuide, concluded: datetime
    ) -> None:
        r, unit = self.random, guide.unit
        stars = r.choices((5, 4, 3, 2, 1), (70, 15, 8, 4, 3))[0]
        rated = concluded + timedelta(hours=r.randint(1, 6 * 24))
        if rated >= NOW:
            return
        self.rating_id += 1
        excluded = False
        if stars <= 2:
            ending = r.random()
            excluded = 0.85 <= ending < 0.93
            steps = [("start", None, "fixing", "system", "", rated)]
            outcome, state = None, "fixing"
            fixed = rated + timedelta(days=r.randint(2, 20))
            if ending < 0.85 and fixed < NOW:
                steps += [
                    ("report_fixed", "fixing", "awaiting_rating", f"clerk-{unit}", "clerk", fixed),
                    (
                        "rate_fix",
                        "awaiting_rating",
                        "rectified",
                        rater,
                        "applicant",
                        fixed + timedelta(days=1),
                    ),
                ]
                outcome = state = "rectified"
            elif excluded:
                steps += [
                    ("appeal", "fixing", "appealed", f"clerk-{unit}", "clerk", fixed),
                    ("uphold_appeal", "appealed", "appeal_upheld", f"head-{unit}", "supervisor", fixed),
                ]
                outcome = state = "appeal_upheld"
            case_id = self._case(rows, "bad_review", state, outcome, steps, CaseClock(limit=15), rated)
            self.order_id += 1
            rows.work_orders.append((self.order_id, case_id, self.rating_id, app_id, unit, rated))
        rows.ratings.append(
            (self.rating_id, app_id, uscc, unit, stars, None, rater, rated, excluded, concluded, guide.code)
        )

    def violation(self, rows: Rows, n: int) -> None:
        r = self.random
        uscc = r.choice(self.enterprises)
        found = r.choice(self.days)
        unit = r.choice(ENFORCEMENT_UNITS)
        created = self._at(found)
        kind = r.choice(VIOLATION_TYPES)
        rows.inspections.append(
            (
                n,
                uscc,
                f"企业{uscc[-6:]}",
                "成都市某区某路1号",
                found,
                "insp-1",
                "insp-2",
                unit,
                "insp-1",
                '["照片"]',
                created,
            )
        )
        rows.findings.append((n, n, uscc, kind, found, found, "minor", "[]", False, False, "[]"))
        roll = r.random()
        decision = "no_penalty" if roll < 0.55 else "penalty" if roll < 0.95 else "time_barred"
        decided = self.calendar.add_working_days(found, r.randint(0, 15))
        fine = r.randrange(5_000, 50_000, 250)
        outcome = {"no_penalty": "waived", "penalty": "penalized", "time_barred": "time_barred"}[decision]
        steps = [
            ("start", None, "ordering", "insp-1", "inspector", created),
            ("correct_on_spot", "ordering", "evaluated", "insp-1", "inspector", created),
            ("countersign", "evaluated", outcome, "legal-1", "legal", self._at(decided)),
        ]
        case_id = self._case(rows, "violation", outcome, decision, steps, CaseClock(), created)
        rows.violations.append(
            (
                n,
                case_id,
                n,
                n,
                uscc,
                kind,
                unit,
                True,
                decision == "no_penalty",
                decision,
                fine if decision == "penalty" else None,
                fine if decision == "no_penalty" else None,
                decided,
                "legal-1",
                created,
            )
        )

    def chunks(self, applications: int, violations: int) -> Iterator[Rows]:
        app_id = violation_id = 0
        while app_id < applications:
            rows = Rows()
            for _ in range(min(CHUNK, applications - app_id)):
                app_id += 1
                self.application(rows, app_id)
            share = violations * app_id // applications
            while violation_id < share:
                violation_id += 1
                self.violation(rows, violation_id)
            yield rows


# -- loading ------------------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class SqliteLoader:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA synchronous=OFF")

    async def load(self, rows: Rows) -> None:
        for name, (table, columns) in COLUMNS.items():
            batch = getattr(rows, name)
            if batch:
                marks = ", ".join("?" * len(columns))
                self.db.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    ([_sqlite_value(v) for v in row] for row in batch),
                )
        self.db.commit()

    async def finish(self) -> None:
        self.db.execute("ANALYZE")
        self.db.commit()
        self.db.close()


class PostgresLoader:
    def __init__(self, conn: Any) -> None:
        self.conn = conn  # asyncpg

    async def load(self, rows: Rows) -> None:
        async with self.conn.transaction():
            for name, (table, columns) in COLUMNS.items():
                batch = getattr(rows, name)
                if batch:
                    await self.conn.copy_records_to_table(table, records=batch, columns=list(columns))

    async def finish(self) -> None:
        for table in (
            "workflow_cases",
            "applications",
            "ratings",
            "work_orders",
            "inspections",
            "findings",
            "violations",
        ):
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        await self.conn.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load


# -- the run --------------------------------------------------------------------------------------------


def _settings(url: str, var_dir: Path) -> Any:
    return load_settings(
        {
            "GOVSERVICE_DATABASE_URL": url,
            "GOVSERVICE_VAR_DIR": str(var_dir),
            "GOVSERVICE_WORKFLOWS_DIR": str(ROOT / "workflows"),
            "GOVSERVICE_RUN_WORKER": "false",
        }
    )


def _fresh_sqlite() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)


async def _fresh(url: str) -> None:
    if url.startswith("sqlite"):
        _fresh_sqlite()
        return
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres")
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        await conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    await admin.dispose()


async def _count(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(ApplicationRow))).scalar_one())


async def generate(url: str, app: Any, applications: int, violations: int) -> float:
    """Seed the catalogue and processes through the services, then bulk-load the year."""
    services = app.state.services
    files = sorted((ROOT / "workflows" / "catalog").glob("*.yaml"))
    await services.catalogue.seed(files, Actor(sub="seed", roles=frozenset({Role.ADMIN})))
    await services.engine.publish_directory()
    calendar = services.engine.calendar
    engine = services.ctx.engine
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO workflow_calendars (version, first_year, last_year, content, created_at) "
                "VALUES (:v, :f, :l, :c, :t)"
            ),
            {
                "v": calendar.version,
                "f": calendar.first_year,
                "l": calendar.last_year,
                "c": _json(calendar.to_builtins()),
                "t": NOW if not url.startswith("sqlite") else _sqlite_value(NOW),
            },
        )
        processes = {
            p: v
            for p, v in await conn.execute(
                select(WorkflowDefinitionRow.process_id, func.max(WorkflowDefinitionRow.version)).group_by(
                    WorkflowDefinitionRow.process_id
                )
            )
        }
    current = await services.catalogue.current()
    guides = [m.guide for m in current if m.guide.status is MatterStatus.ACTIVE]
    generator = Generator(guides, processes, {m.guide.code: m.version for m in current}, calendar.version)
    started = time.perf_counter()
    if url.startswith("sqlite"):
        loader: Any = SqliteLoader(SQLITE_PATH)
        raw = None
    else:
        raw = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{PG_DB}")
        loader = PostgresLoader(raw)
    done = 0
    for rows in generator.chunks(applications, violations):
        await loader.load(rows)
        done += len(rows.applications)
        print(
            f"  {done:,} applications loaded ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            end="\r",
        )
    async with engine.begin() as conn:  # the running counts the steps would have kept
        for statement in rebuild():
            await conn.execute(statement)
    await loader.finish()
    if raw is not None:
        await raw.close()
    print(file=sys.stderr)
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


async def run(store: str, applications: int, violations: int, calls: int, reuse: bool) -> None:
    url = (
        f"sqlite+aiosqlite:///{SQLITE_PATH}"
        if store == "sqlite"
        else f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
    )
    var_dir = ROOT / "var" / "bench-assessment"
    if not reuse:
        await _fresh(url)
    engine = make_engine(url)
    await upgrade(engine)
    keys = KeyStore.generate()
    app = create_app(_settings(url, var_dir), engine=engine, clock=ManualClock(NOW), keys=keys)
    have = await _count(engine)
    generation = None
    if have == 0:
        generation = await generate(url, app, applications, violations)
        have = await _count(engine)
    token = mint_token(
        keys,
        issuer="govservice",
        audience="govservice",
        sub="bench-assessor",
        roles=["assessor"],
        now=NOW,
        ttl_seconds=3600,
    )
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for _ in range(2):  # warm-up: caches, prepared statements
            response = await client.get(INDICATORS, headers=headers)
            response.raise_for_status()
        for _ in range(calls):
            started = time.perf_counter()
            response = await client.get(INDICATORS, headers=headers)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
        body = response.json()
        started = time.perf_counter()
        grouped = await client.get(INDICATORS + "&groupBy=unit", headers=headers)
        grouped_s = time.perf_counter() - started
        grouped.raise_for_status()
    await engine.dispose()
    shown = {i["code"]: i["value"] for i in body["indicators"]}
    made = f"generated and loaded in {generation:.0f} s" if generation is not None else "reused"
    print(
        f"assessment store={store} applications={have:,} ({made}) indicators={len(shown)} calls={calls}: "
        f"median={statistics.median(latencies) * 1000:.0f} ms "
        f"p95={_percentile(latencies, 0.95) * 1000:.0f} ms min={min(latencies) * 1000:.0f} ms "
        f"max={max(latencies) * 1000:.0f} ms | groupBy=unit once: {grouped_s * 1000:.0f} ms"
    )
    print("  " + json.dumps(shown, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--violations", type=int, default=40_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="time the data set a previous run left")
    args = parser.parse_args()
    for store in ("sqlite", "postgres") if args.store == "both" else (args.store,):
        asyncio.run(run(store, args.applications, args.violations, args.calls, args.reuse))


if __name__ == "__main__":
    main()
