"""Scale-out: two `govservice serve` processes (GOVSERVICE_RUN_WORKER=false) and two `govservice worker`
processes against one PostgreSQL, under scenario 1's mixed load of test_under_load.py (reads, uploads
and actions) with its clients spread over both servers, and deadline timers falling due meanwhile.

No setting moves the processes' clock (they read the system clock) and a deadline is at least an
hour (most are working days), so no timer falls due by itself in a run of seconds. Instead, bookers
file applications for fire-safety training (FR-TRAINING-BOOKING, of the unit FR-PUBLICITY, which none
of the load's staff works: nobody accepts them before their timer fires); filing arms the
5-working-day deemed-acceptance timer, and while the load runs the test moves every such pending
timer's ``due_at`` into the past with SQL, directly in the database (the one write not made through
the API). Both workers then race to claim them.

Asserted afterwards, as counts, never times:

- no 5xx, no transport error, no unexpected 4xx; every acknowledged write reads back (through the
  other server as well: the processes hold no state of their own);
- every filed booking had its timer made due, and every timer made due fired exactly once: it is
  ``fired``, its case has one ``deem_accepted`` in workflow_events and in its timeline, the audit trail
  has one entry for it, and it was claimed once, by one worker, which logged firing it;
- the audit chain verifies once the workers have sealed it: intact, nothing unsealed.

PostgreSQL only (GOVSERVICE_TEST_DATABASE_URL): on SQLite a single worker runs (README). Sizes as in
test_under_load.py (GOVSERVICE_LOAD_CLIENTS, GOVSERVICE_LOAD_SECONDS); ``-s`` prints the figures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.integration.live_server import (
    PG_URL,
    LiveServer,
    LiveWorker,
    new_uscc,
    reset_postgres,
    sealed_audit_report,
)
from tests.integration.test_under_load import (
    APPS,
    AUDIT_SEAL_TIMEOUT,
    MIXED_CLERKS,
    MIXED_CLIENTS,
    MIXED_SECONDS,
    MIXED_SUPERVISORS,
    REQUEST_TIMEOUT,
    VERIFY_CONCURRENCY,
    Ledger,
    _leave_postgres_at_head,  # noqa: F401 (the fixture: the rest of the suite expects the schema at head)
    bounded,
    check_acknowledged,
    client,
    mixed_load,
)

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="several workers need PostgreSQL (FOR UPDATE SKIP LOCKED): set GOVSERVICE_TEST_DATABASE_URL",
)

SERVERS = 2
WORKERS = 2
BOOKERS = max(2, MIXED_CLIENTS // 4)  # of the clients; the rest run scenario 1's mix
BOOKING = "FR-TRAINING-BOOKING"  # unit FR-PUBLICITY: the mixed load's staff never touch it
DEEMED = "deem_accepted"
# Timers fall due in bunches larger than a worker claims at once, so both workers claim at the same time.
MAKE_DUE_EVERY = 1.0  # seconds between the passes that move armed timers into the past
WORKER_BATCH = 3  # timers a worker claims per round (it claims again at once after a full round)
FIRE_TIMEOUT = 60.0  # for the workers to fire what was made due, once the load is over


@dataclass
class Cluster:
    servers: list[LiveServer]
    workers: list[LiveWorker]
    db: AsyncEngine
    made_due: set[int] = field(default_factory=set)  # timer ids whose due_at the test moved

    async def make_due(self) -> None:
        """Every pending timer of a booking now falls due: its due_at is moved a minute into the past."""
        past = datetime.now(UTC) - timedelta(minutes=1)
        async with self.db.begin() as conn:
            moved = await conn.scalars(
                text(
                    "UPDATE workflow_timers SET due_at = :past WHERE status = 'pending' AND due_at > :past "
                    "AND case_id IN (SELECT case_id FROM applications WHERE matter_code = :matter) "
                    "RETURNING id"
                ),
                {"past": past, "matter": BOOKING},
            )
            self.made_due.update(moved.all())

    async def wait_fired(self, within: float) -> None:
        """Until no timer made due is pending, or ``within`` seconds pass (the checks then say which)."""
        deadline = time.monotonic() + within
        while True:
            pending = await self.rows(
                "SELECT count(*) FROM workflow_timers WHERE id = ANY(:ids) AND status = 'pending'",
                ids=sorted(self.made_due),
            )
            if not pending[0][0] or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.25)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    assert PG_URL
    await reset_postgres(PG_URL)  # the first `serve` migrates and seeds it, as on a first start
    var = tmp_path / "var"  # shared by all four, as in production: the same signing keys
    no_worker = {"GOVSERVICE_RUN_WORKER": "false"}
    servers = [
        LiveServer(var_dir=var, log_path=tmp_path / f"server-{n}.log", extra_env=no_worker)
        for n in range(SERVERS)
    ]
    workers = [
        LiveWorker(var_dir=var, log_path=tmp_path / f"worker-{n}.log", options=("--batch", str(WORKER_BATCH)))
        for n in range(WORKERS)
    ]
    processes: list[LiveServer] = [*servers, *workers]
    db = create_async_engine(PG_URL)
    try:
        for server in servers:  # one after the other: the first migrates, seeds and makes the keys
            await server.start()
        await asyncio.gather(*(worker.start() for worker in workers))
        yield Cluster(servers, workers, db)
    finally:
        await asyncio.gather(*(process.stop() for process in processes))
        await db.dispose()
    for process in processes:
        assert not process.unclean_stops, (process.log_path, process.unclean_stops)
        process.assert_clean_log()  # nothing went wrong while they shut down either


async def test_two_servers_and_two_workers_fire_every_due_timer_once(cluster: Cluster) -> None:
    started = time.monotonic()
    ledger = Ledger()
    bookings: set[int] = set()
    deadline = time.monotonic() + MIXED_SECONDS

    async def booker(n: int) -> None:
        who, uscc = f"booker-{n}", new_uscc()
        live = cluster.servers[(n + 1) % SERVERS]
        headers = live.headers("applicant", who, ent=uscc)
        async with client(live) as http:
            while time.monotonic() < deadline:
                app = await ledger.create(http, who, headers, uscc, matter=BOOKING)
                if app is None:
                    continue
                bookings.add(app["id"])
                for material in app["materials"]:
                    await ledger.upload(http, who, headers, app["id"], material["code"])
                await ledger.act(http, who, headers, app["id"], "file")

    async def timekeeper() -> None:
        while time.monotonic() < deadline:
            await cluster.make_due()
            await asyncio.sleep(MAKE_DUE_EVERY)

    applicants = MIXED_CLIENTS - MIXED_CLERKS - MIXED_SUPERVISORS - BOOKERS
    alongside = [booker(n) for n in range(BOOKERS)] + [timekeeper()]
    await mixed_load(cluster.servers, ledger, deadline, applicants=applicants, alongside=alongside)
    await cluster.make_due()  # bookings filed in the load's last moments
    loaded = time.monotonic()

    await cluster.wait_fired(FIRE_TIMEOUT)
    other = cluster.servers[-1]  # every write is read back through the last server
    admin = other.headers("admin", "admin-check")
    async with client(other) as http:
        problems = await bounded(check_acknowledged(http, admin, ledger), 60, "checking the writes")
        problems += await timer_problems(cluster, ledger, bookings)
        problems += await bounded(deemed_in_timelines(http, admin, bookings), 60, "the timelines")
        report = await bounded(
            sealed_audit_report(http, admin, AUDIT_SEAL_TIMEOUT),
            AUDIT_SEAL_TIMEOUT + 2 * REQUEST_TIMEOUT,
            "audit",
        )
    if not (report.get("status") == 200 and report.get("intact") and not report.get("unsealed")):
        problems.append(f"the audit chain did not verify within {AUDIT_SEAL_TIMEOUT:.0f} s: {report}")

    fired_by = plus(len(worker.fired_timers()) for worker in cluster.workers)
    claimed = plus(worker.timers_claimed() for worker in cluster.workers)
    print(
        f"\n{ledger.summary(f'scale-out: {SERVERS} servers, {WORKERS} workers')}; "
        f"{len(bookings)} bookings, timers made due {len(cluster.made_due)}, fired by the workers "
        f"{fired_by} (claimed {claimed}); audit: {report.get('entries')} entries sealed, "
        f"{report.get('unsealed')} unsealed, intact {report.get('intact')}; {len(problems)} problem(s); "
        f"ERROR lines: servers {sum(len(s.error_lines()) for s in cluster.servers)}, workers "
        f"{sum(len(w.error_lines()) for w in cluster.workers)}; load {loaded - started:.1f} s, "
        f"check {time.monotonic() - loaded:.1f} s"
    )
    ledger.assert_no_failures()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:30])
    assert ledger.actions and cluster.made_due, "the load did nothing: no action taken, no timer made due"
    for process in [*cluster.servers, *cluster.workers]:
        process.assert_clean_log()


def plus(counts: Iterable[int]) -> str:
    return " + ".join(map(str, counts))


async def timer_problems(cluster: Cluster, ledger: Ledger, bookings: set[int]) -> list[str]:
    """Each filed booking's timer was made due and fired exactly once: in its row, in workflow_events,
    in the audit trail and in the workers' logs."""
    problems: list[str] = []
    timers = await cluster.rows(
        "SELECT t.id, t.status, t.case_id, a.id FROM workflow_timers t "
        "JOIN applications a ON a.case_id = t.case_id WHERE t.id = ANY(:ids)",
        ids=sorted(cluster.made_due),
    )
    not_fired = [(timer_id, status) for timer_id, status, _, _ in timers if status != "fired"]
    if not_fired:
        problems.append(f"{len(not_fired)} timer(s) made due did not fire: {not_fired[:20]}")
    filed = {app_id for app_id in bookings if ledger.actions.get(app_id, Counter())["file"]}
    unarmed = filed - {app_id for _, _, _, app_id in timers}
    if unarmed:
        problems.append(f"{len(unarmed)} filed booking(s) had no timer made due: {sorted(unarmed)[:20]}")

    cases = {case_id: app_id for _, _, case_id, app_id in timers}
    events = await cluster.rows(
        "SELECT case_id, seq FROM workflow_events WHERE action = :action", action=DEEMED
    )
    steps = Counter(case_id for case_id, _ in events)
    wrong = {cases.get(case_id, f"case {case_id}"): n for case_id, n in steps.items() if n != 1}
    wrong.update({app_id: 0 for case_id, app_id in cases.items() if case_id not in steps})
    if wrong:
        problems.append(f"{DEEMED} steps per application, where not exactly one: {wrong}")

    entries = Counter(
        source
        for (source,) in await cluster.rows(
            "SELECT source FROM audit_entries WHERE action = :action", action=DEEMED
        )
    )
    expected = {f"event:{case_id}:{seq}" for case_id, seq in events}
    if entries != Counter(expected):
        problems.append(
            f"audit entries of the {len(expected)} {DEEMED} steps: {sum(entries.values())}; missing "
            f"{sorted(expected - set(entries))[:10]}, extra {sorted(set(entries) - expected)[:10]}"
        )

    logged = Counter(timer_id for worker in cluster.workers for timer_id in worker.fired_timers())
    twice = {timer_id: n for timer_id, n in logged.items() if n > 1}
    unlogged = cluster.made_due - set(logged)
    if twice or unlogged:
        problems.append(f"workers' logs: fired more than once {twice}, never {sorted(unlogged)[:20]}")
    # No other timer falls due during the run, so each claim is of one of these: claimed once each
    # (a timer two workers both claimed is fired by one and dropped by the other).
    claims = [worker.timers_claimed() for worker in cluster.workers]
    if sum(claims) != len(cluster.made_due):
        problems.append(f"the workers claimed {plus(claims)} timers, {len(cluster.made_due)} were due")
    return problems


async def deemed_in_timelines(
    http: httpx.AsyncClient, admin: dict[str, str], bookings: set[int]
) -> list[str]:
    """What the applicant sees: each filed booking's timeline shows the deemed acceptance once."""
    problems: list[str] = []
    gate = asyncio.Semaphore(VERIFY_CONCURRENCY)

    async def one(app_id: int) -> None:
        async with gate:
            response = await http.get(f"{APPS}/{app_id}/timeline", headers=admin)
        if response.status_code != 200:
            problems.append(f"booking {app_id}: timeline {response.status_code} {response.text[:200]}")
            return
        actions = [event["action"] for event in response.json()["events"]]
        if "file" in actions and actions.count(DEEMED) != 1:
            problems.append(f"booking {app_id}: {actions.count(DEEMED)} {DEEMED} in its timeline {actions}")

    await asyncio.gather(*(one(app_id) for app_id in sorted(bookings)))
    return problems
