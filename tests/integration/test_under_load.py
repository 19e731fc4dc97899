"""The runtime under concurrency and crashes, through the HTTP API of real `govservice serve` processes.

Three scenarios, each bounded in time and asserting counts, never timings:

1. mixed load: applicants create, upload, read and file while clerks accept, supervisors assign the
   on-site inspection and approve, an inspector records it, all of them list; afterwards every
   acknowledged write must be there and nothing may have failed with a
   5xx or a dropped connection (409/412/422 from races are counted, and allowed);
2. first use: many applicants of one brand-new enterprise create applications at the same instant;
3. kill -9 mid-load: writers are cut off by a SIGKILL of the server; after a restart on the same var dir
   and database every acknowledged write must be there, every application must have its case, and the
   audit chain must verify once sealed.

SQLite by default; PostgreSQL when GOVSERVICE_TEST_DATABASE_URL is set (the schema is dropped and
migrated afresh by `serve` for each scenario, and left at head). The server command is configurable, see
tests/integration/live_server.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.live_server import (
    PG_URL,
    LiveServer,
    first_start,
    migrate_postgres,
    new_uscc,
    sealed_audit_report,
    unique_pdf,
)

# -- sizes ------------------------------------------------------------------------------------

# CI's sizes; GOVSERVICE_LOAD_CLIENTS / GOVSERVICE_LOAD_SECONDS run the same scenario bigger by hand, e.g.
# 64 clients for 20 s (`pytest tests/integration/test_under_load.py -k mixed -s` prints the figures).
MIXED_CLIENTS = int(os.environ.get("GOVSERVICE_LOAD_CLIENTS", "32"))  # of which clerks and supervisors:
MIXED_CLERKS = max(6, MIXED_CLIENTS * 3 // 16)
MIXED_SUPERVISORS = max(2, MIXED_CLIENTS // 16)
MIXED_SECONDS = float(os.environ.get("GOVSERVICE_LOAD_SECONDS", "10"))
MIXED_SHARED_EVERY = 2  # every 2nd applicant acts for one shared enterprise (and races the others' drafts)

FIRST_USE_CLIENTS = 40
FIRST_USE_ROUNDS = 3  # a brand-new enterprise each round

KILL_WRITERS = 16
KILL_AFTER_SECONDS = 3.0
KILL_ROUNDS = 2
KILL_DRAFT_SHARE = 0.25  # applications left as drafts (the rest are filed)

REQUEST_TIMEOUT = 15.0  # one request; a hung server shows up as a transport error, not a hung test
VERIFY_CONCURRENCY = 16
AUDIT_SEAL_TIMEOUT = 10.0

MATTER = "FR-PGP-OPENING"
UNIT = "FR-APPROVAL"
SHARED_ENT = "91110000802100433B"  # ENT_B of tests/api/apps_helpers.py
RACE_STATUSES = frozenset({409, 412, 422})  # the answers a lost race may get
APPS = "/api/v1/applications"


# -- the server -------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _leave_postgres_at_head() -> Iterable[None]:
    yield
    if PG_URL:  # the rest of the suite expects the schema at head (tests/conftest.py only truncates)
        asyncio.run(migrate_postgres(PG_URL))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with first_start(tmp_path) as live:
        yield live


# One TLS context for every client (the servers are plain HTTP on loopback, but httpx builds one
# per client unless given one): building it loads the CA bundle, 30 ms on this loop; 64 clients
# starting together held the load generator for 2 s, and the first requests, timed but not yet
# sent, looked 2-3 s slow.
_TLS = ssl.create_default_context()


def client(live: LiveServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=live.base_url, timeout=REQUEST_TIMEOUT, verify=_TLS)


# -- recording every call -----------------------------------------------------------------------


@dataclass
class Call:
    who: str
    op: str
    app_id: int | None
    status: int | None  # None: no answer (a transport error)
    expected: int
    detail: str = ""
    after_kill: bool = False  # sent or cut off once the server was being killed
    seconds: float = 0.0  # how long the answer took (0 for no answer)


@dataclass
class Ledger:
    """Every call and every write the server acknowledged."""

    calls: list[Call] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)  # application id -> enterprise
    uploads: dict[int, set[tuple[int, str]]] = field(default_factory=lambda: defaultdict(set))
    actions: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[str] = field(default_factory=list)  # wrong answers to acknowledged calls
    down: bool = False  # the server is being killed: transport errors from now on are expected
    stop_at: float = float("inf")  # the load's end: no call starts after it

    def running(self) -> bool:
        return not self.down and time.monotonic() < self.stop_at

    async def send(
        self,
        http: httpx.AsyncClient,
        who: str,
        op: str,
        method: str,
        url: str,
        *,
        expect: int,
        app_id: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        if not self.running():
            return None  # not sent: the load is over (or the server is being killed)
        sent = time.monotonic()
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.calls.append(
                Call(
                    who, op, app_id, None, expect, f"{type(exc).__name__}: {exc}"[:300], after_kill=self.down
                )
            )
            if not self.down:
                await asyncio.sleep(0.05)  # no hot loop against a server that is gone
            return None
        detail = "" if response.status_code == expect else response.text[:300]
        self.calls.append(
            Call(who, op, app_id, response.status_code, expect, detail, self.down, time.monotonic() - sent)
        )
        return response

    async def create(
        self, http: httpx.AsyncClient, who: str, headers: dict[str, str], uscc: str, matter: str = MATTER
    ) -> dict[str, Any] | None:
        body = {"matterCode": matter, "enterpriseName": f"负载测试企业 {uscc[-6:]}", "route": "standard"}
        response = await self.send(http, who, "create", "POST", APPS, expect=201, json=body, headers=headers)
        if response is None or response.status_code != 201:
            return None
        app: dict[str, Any] = response.json()
        self.created[app["id"]] = uscc
        if app.get("enterpriseUscc") != uscc:
            self.problems.append(
                f"application {app['id']} created for {uscc} names {app.get('enterpriseUscc')}"
            )
        return app

    async def upload(
        self, http: httpx.AsyncClient, who: str, headers: dict[str, str], app_id: int, material: str
    ) -> None:
        content = unique_pdf()
        response = await self.send(
            http,
            who,
            "upload",
            "POST",
            f"{APPS}/{app_id}/materials",
            expect=201,
            app_id=app_id,
            headers=headers,
            data={"material": material},
            files={"file": ("doc.pdf", content, "application/pdf")},
        )
        if response is None or response.status_code != 201:
            return
        view = response.json()
        self.uploads[app_id].add((view["id"], view["sha256"]))
        if view["sha256"] != hashlib.sha256(content).hexdigest():
            self.problems.append(
                f"upload {view['id']} to application {app_id}: the SHA-256 is not the file's"
            )

    async def act(
        self,
        http: httpx.AsyncClient,
        who: str,
        headers: dict[str, str],
        app_id: int,
        action: str,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        response = await self.send(
            http,
            who,
            action,
            "POST",
            f"{APPS}/{app_id}/actions/{action}",
            expect=200,
            app_id=app_id,
            json=payload or {},
            headers=headers,
        )
        if response is None or response.status_code != 200:
            return None
        self.actions[app_id][action] += 1
        view: dict[str, Any] = response.json()
        return view

    async def read(
        self,
        http: httpx.AsyncClient,
        who: str,
        headers: dict[str, str],
        op: str,
        url: str,
        app_id: int | None = None,
    ) -> Any:
        response = await self.send(http, who, op, "GET", url, expect=200, app_id=app_id, headers=headers)
        return response.json() if response is not None and response.status_code == 200 else None

    # -- what went wrong -------------------------------------------------------------------

    def live_calls(self) -> list[Call]:
        return [c for c in self.calls if not (c.after_kill and c.status is None)]

    def server_errors(self) -> list[Call]:
        return [c for c in self.live_calls() if c.status is not None and c.status >= 500]

    def transport_errors(self) -> list[Call]:
        return [c for c in self.live_calls() if c.status is None]

    def unexpected(self) -> list[Call]:
        """4xx answers no race explains (a read is never refused; a write only with 409/412/422)."""
        return [
            c
            for c in self.live_calls()
            if c.status is not None
            and c.status < 500
            and c.status != c.expected
            and (c.op in {"get", "list", "materials", "timeline"} or c.status not in RACE_STATUSES)
        ]

    def summary(self, name: str) -> str:
        statuses = Counter(c.status for c in self.live_calls())
        races = {s: statuses[s] for s in sorted(RACE_STATUSES)}
        in_flight = sum(1 for c in self.calls if c.after_kill and c.status is None)
        answered = sorted(c.seconds for c in self.live_calls() if c.status is not None)
        p50, p99 = (
            (answered[len(answered) // 2], answered[min(len(answered) - 1, len(answered) * 99 // 100)])
            if answered
            else (0.0, 0.0)
        )
        return (
            f"[{name}] {len(self.calls)} calls: 2xx={sum(n for s, n in statuses.items() if s and s < 300)} "
            f"races={races} 5xx={len(self.server_errors())} transport errors={len(self.transport_errors())} "
            f"other 4xx={len(self.unexpected())} cut off by the kill={in_flight}; acknowledged: "
            f"{len(self.created)} applications, {sum(len(u) for u in self.uploads.values())} uploads, "
            f"{sum(sum(c.values()) for c in self.actions.values())} actions "
            f"{dict(sum(self.actions.values(), Counter()))}; latency p50 {p50 * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms; p50/p99 by operation: {self._by_op()}"
        )

    def _by_op(self) -> str:
        by_op: dict[str, list[float]] = defaultdict(list)
        for c in self.live_calls():
            if c.status is not None:
                by_op[c.op].append(c.seconds)

        def at(op: str, share: int) -> float:
            times = sorted(by_op[op])
            return times[min(len(times) - 1, len(times) * share // 100)] * 1000

        return ", ".join(
            f"{op} {at(op, 50):.0f}/{at(op, 99):.0f} ms (n={len(by_op[op])})" for op in sorted(by_op)
        )

    def assert_no_failures(self) -> None:
        failures = [
            f"{len(self.server_errors())} 5xx: {_sample(self.server_errors())}",
            f"{len(self.transport_errors())} transport errors: {_sample(self.transport_errors())}",
            f"{len(self.unexpected())} unexpected 4xx: {_sample(self.unexpected())}",
            f"{len(self.problems)} wrong answers: {self.problems[:5]}",
        ]
        bad = [
            line
            for line, n in zip(
                failures,
                (self.server_errors(), self.transport_errors(), self.unexpected(), self.problems),
                strict=True,
            )
            if n
        ]
        assert not bad, "\n".join(bad)


def _sample(calls: list[Call], n: int = 5) -> str:
    shown = Counter((c.op, c.status, c.detail[:160]) for c in calls).most_common(n)
    return "; ".join(f"{count}x {op} -> {status} {detail!r}" for (op, status, detail), count in shown)


# -- checking the acknowledged writes afterwards ---------------------------------------------------


async def check_acknowledged(http: httpx.AsyncClient, admin: dict[str, str], ledger: Ledger) -> list[str]:
    """Every acknowledged application readable, upload listed, action in the timeline; the case consistent."""
    problems: list[str] = []
    gate = asyncio.Semaphore(VERIFY_CONCURRENCY)

    async def one(app_id: int) -> None:
        async with gate:
            app = await http.get(f"{APPS}/{app_id}", headers=admin)
            materials = await http.get(f"{APPS}/{app_id}/materials", headers=admin)
            timeline = await http.get(f"{APPS}/{app_id}/timeline", headers=admin)
        for name, response in (("application", app), ("materials", materials), ("timeline", timeline)):
            if response.status_code != 200:
                problems.append(
                    f"application {app_id}: its {name} is {response.status_code} {response.text[:200]}"
                )
                return
        view, events = app.json(), timeline.json()["events"]
        if app_id in ledger.created and view["enterpriseUscc"] != ledger.created[app_id]:
            problems.append(f"application {app_id} now names enterprise {view['enterpriseUscc']}")
        listed = {(m["id"], m["sha256"]) for m in materials.json()}
        lost = ledger.uploads.get(app_id, set()) - listed
        if lost:
            problems.append(
                f"application {app_id}: {len(lost)} acknowledged upload(s) not listed: {sorted(lost)}"
            )
        seen = Counter(e["action"] for e in events)
        for action, count in ledger.actions.get(app_id, Counter()).items():
            if seen[action] < count:
                problems.append(
                    f"application {app_id}: {count} acknowledged {action!r}, {seen[action]} in the "
                    f"timeline {[e['action'] for e in events]}"
                )
        if ledger.actions.get(app_id, Counter())["file"] and view["state"] == "draft":
            problems.append(f"application {app_id}: filing was acknowledged, it is still a draft")
        problems.extend(case_problems(app_id, view, events))

    ids = set(ledger.created) | set(ledger.uploads) | set(ledger.actions)
    await asyncio.gather(*(one(i) for i in sorted(ids)))
    return problems


def case_problems(app_id: int, view: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """An application has its case: the first event starts it, the last one is where it stands."""
    if not events:
        return [f"application {app_id}: no events in its timeline"]
    problems = []
    if events[0]["fromState"] is not None:
        problems.append(f"application {app_id}: the first event is {events[0]['action']!r}, not the start")
    if events[-1]["toState"] != view["state"]:
        problems.append(
            f"application {app_id}: state {view['state']!r}, the last event led to {events[-1]['toState']!r}"
        )
    return problems


async def list_all(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await http.get(APPS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page.get("nextCursor")
        if not cursor:
            break
    return items


async def audit_problems(http: httpx.AsyncClient, admin: dict[str, str]) -> list[str]:
    report = await sealed_audit_report(http, admin, AUDIT_SEAL_TIMEOUT)
    if report.get("status") == 200 and report.get("intact") and not report.get("unsealed"):
        return []
    return [f"the audit chain did not verify within {AUDIT_SEAL_TIMEOUT:.0f} s: {report}"]


async def bounded(work: Awaitable[Any], seconds: float, what: str) -> Any:
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        pytest.fail(f"{what} did not finish in {seconds:.0f} s")


# -- 1. mixed load ------------------------------------------------------------------------------


async def mixed_load(
    servers: Sequence[LiveServer],
    ledger: Ledger,
    deadline: float,
    *,
    applicants: int = MIXED_CLIENTS - MIXED_CLERKS - MIXED_SUPERVISORS,
    alongside: Iterable[Awaitable[None]] = (),
) -> None:
    """Scenario 1's clients until ``deadline`` (time.monotonic()), the n-th of each role on
    ``servers[n % len(servers)]``, with ``alongside`` run beside them (scale-out adds its own)."""
    rnd = random.Random(1)
    shared_drafts: list[dict[str, Any]] = []  # drafts of the shared enterprise, raced by its applicants

    def server(n: int) -> LiveServer:
        return servers[n % len(servers)]

    async def applicant(n: int) -> None:
        who = f"applicant-{n}"
        shared = n % MIXED_SHARED_EVERY == 0
        uscc = SHARED_ENT if shared else new_uscc()
        headers = server(n).headers("applicant", who, ent=uscc)
        async with client(server(n)) as http:
            while time.monotonic() < deadline:
                if shared and shared_drafts and rnd.random() < 0.3:  # another's draft of the same enterprise
                    other = rnd.choice(shared_drafts)
                    await ledger.upload(
                        http, who, headers, other["id"], rnd.choice(other["materials"])["code"]
                    )
                    if rnd.random() < 0.5:
                        await ledger.act(http, who, headers, other["id"], "file")
                    continue
                app = await ledger.create(http, who, headers, uscc)
                if app is None:
                    continue
                if shared:
                    shared_drafts.append(app)
                for material in app["materials"]:
                    await ledger.upload(http, who, headers, app["id"], material["code"])
                await ledger.read(http, who, headers, "get", f"{APPS}/{app['id']}", app["id"])
                if rnd.random() < 0.3:
                    await ledger.read(http, who, headers, "list", f"{APPS}?limit=20")
                await ledger.act(http, who, headers, app["id"], "file")

    def takes(action: str, item: dict[str, Any], who: str) -> bool:
        """The on-site inspection: the head of unit assigns inspecting cases nobody has yet; the
        inspector records those assigned to them."""
        inspector = (item.get("inspection") or {}).get("inspector")
        if action == "assign_inspector":
            return inspector is None
        return action != "record_inspection" or inspector == who

    async def staff(n: int, role: str, steps: tuple[tuple[str, str, dict[str, Any]], ...]) -> None:
        who = f"{role}-{n}"
        headers = server(n).headers(role, who, unit=UNIT)
        async with client(server(n)) as http:
            while time.monotonic() < deadline:
                acted = False
                for state, action, payload in steps:
                    page = await ledger.read(http, who, headers, "list", f"{APPS}?state={state}&limit=20")
                    items = [item for item in (page or {}).get("items", []) if takes(action, item, who)]
                    if not items:
                        continue
                    item = rnd.choice(items)
                    # Half the time with the version just read: a 412 when someone got there first.
                    guarded = (
                        {**headers, "If-Match": f'"{item["version"]}"'} if rnd.random() < 0.5 else headers
                    )
                    taken = await ledger.act(http, who, guarded, item["id"], action, payload)
                    acted = taken is not None or acted
                await ledger.read(http, who, headers, "list", f"{APPS}?limit=20")
                if not acted:
                    await asyncio.sleep(0.05)

    inspection = {"result": "pass", "findings": "疏散通道畅通，消防设施完好有效"}
    head_steps = (
        ("inspecting", "assign_inspector", {"inspector": "inspector-0"}),
        ("deciding", "approve", {}),
    )
    workers = [applicant(n) for n in range(applicants)]
    workers += [staff(n, "clerk", (("submitted", "accept", {}),)) for n in range(MIXED_CLERKS - 1)]
    workers += [staff(0, "inspector", (("inspecting", "record_inspection", inspection),))]
    workers += [staff(n, "supervisor", head_steps) for n in range(MIXED_SUPERVISORS)]
    seconds = deadline - time.monotonic()
    await bounded(asyncio.gather(*workers, *alongside), seconds + 2 * REQUEST_TIMEOUT + 10, "the mixed load")


async def test_mixed_load_loses_nothing_and_never_fails(server: LiveServer) -> None:
    started = time.monotonic()
    ledger = Ledger()
    await mixed_load([server], ledger, time.monotonic() + MIXED_SECONDS)
    loaded = time.monotonic()

    admin = server.headers("admin", "admin-check")
    async with client(server) as http:
        problems = await bounded(check_acknowledged(http, admin, ledger), 60, "checking the writes")
        problems += await bounded(
            audit_problems(http, admin), AUDIT_SEAL_TIMEOUT + 2 * REQUEST_TIMEOUT, "audit"
        )
    print(
        f"\n{ledger.summary('mixed load')}; {len(problems)} lost or inconsistent; server log ERROR lines: "
        f"{len(server.error_lines())}; load {loaded - started:.1f} s, check {time.monotonic() - loaded:.1f} s"
    )
    ledger.assert_no_failures()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:30])
    assert ledger.created and ledger.actions, "the load did nothing: no application was created or acted on"
    server.assert_clean_log()


# -- 2. first use of an enterprise, by many at once ---------------------------------------------------


async def test_first_use_of_an_enterprise_by_many_at_once(server: LiveServer) -> None:
    started = time.monotonic()
    ledger = Ledger()
    problems: list[str] = []

    async def round_(r: int) -> None:
        uscc = new_uscc()
        tokens = [server.headers("applicant", f"first-{r}-{i}", ent=uscc) for i in range(FIRST_USE_CLIENTS)]
        clients = [client(server) for _ in tokens]
        go = asyncio.Event()

        async def one(i: int) -> dict[str, Any] | None:
            await clients[i].get("/health/live")  # its connection open, so all the POSTs leave together
            await go.wait()
            return await ledger.create(clients[i], f"first-{r}-{i}", tokens[i], uscc)

        try:
            tasks = [asyncio.ensure_future(one(i)) for i in range(FIRST_USE_CLIENTS)]
            await asyncio.sleep(0.5)
            go.set()
            created = [app for app in await asyncio.gather(*tasks) if app]
            listed = await list_all(clients[0], tokens[0])
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        ids = {app["id"] for app in created}
        if len(created) != FIRST_USE_CLIENTS or len(ids) != FIRST_USE_CLIENTS:
            problems.append(f"round {r}: {len(created)} of {FIRST_USE_CLIENTS} created ({len(ids)} distinct)")
        listed_ids = {app["id"] for app in listed}
        if len(listed) != len(created) or listed_ids != ids:
            problems.append(
                f"round {r}: {len(listed)} listed for the enterprise ({len(listed_ids)} distinct), "
                f"{len(ids)} created; missing {sorted(ids - listed_ids)}"
            )

    for r in range(FIRST_USE_ROUNDS):
        await bounded(round_(r), 2 * REQUEST_TIMEOUT + 10, f"first-use round {r}")
    print(
        f"\n{ledger.summary('first use')}; server log ERROR lines: {len(server.error_lines())}; "
        f"{time.monotonic() - started:.1f} s"
    )
    ledger.assert_no_failures()
    assert not problems, "\n".join(problems)
    server.assert_clean_log()


# -- 3. kill -9 mid-load ------------------------------------------------------------------------------


async def test_kill_9_mid_load_loses_no_acknowledged_write(server: LiveServer) -> None:
    started = time.monotonic()
    ledger = Ledger()
    rnd = random.Random(3)
    writers = [(f"writer-{n}", new_uscc()) for n in range(KILL_WRITERS)]
    headers = {who: server.headers("applicant", who, ent=uscc) for who, uscc in writers}
    timings: list[str] = []

    async def writer(who: str, uscc: str) -> None:
        async with client(server) as http:
            while not ledger.down:
                app = await ledger.create(http, who, headers[who], uscc)
                if app is None:
                    continue
                for material in app["materials"]:
                    if ledger.down:
                        return
                    await ledger.upload(http, who, headers[who], app["id"], material["code"])
                if rnd.random() >= KILL_DRAFT_SHARE and not ledger.down:
                    await ledger.act(http, who, headers[who], app["id"], "file")

    for round_ in range(1, KILL_ROUNDS + 1):
        t0 = time.monotonic()
        ledger.down = False
        tasks = [asyncio.ensure_future(writer(who, uscc)) for who, uscc in writers]
        await asyncio.sleep(KILL_AFTER_SECONDS)
        ledger.down = True
        await server.kill()
        await bounded(asyncio.gather(*tasks), 2 * REQUEST_TIMEOUT + 10, f"the writers of round {round_}")
        t1 = time.monotonic()
        await bounded(server.start(), 90, f"restart {round_}")
        t2 = time.monotonic()
        admin = server.headers("admin", "admin-check")
        async with client(server) as http:
            problems = await bounded(check_acknowledged(http, admin, ledger), 60, "checking the writes")
            problems += await bounded(every_application_has_its_case(http, admin, ledger), 60, "the cases")
            problems += await bounded(
                audit_problems(http, admin), AUDIT_SEAL_TIMEOUT + 2 * REQUEST_TIMEOUT, "audit"
            )
        timings.append(
            f"round {round_}: load+kill {t1 - t0:.1f} s, restart {t2 - t1:.1f} s, "
            f"check {time.monotonic() - t2:.1f} s, {len(problems)} problem(s)"
        )
        print(f"\n{ledger.summary(f'kill -9, round {round_}')}; {timings[-1]}")
        ledger.assert_no_failures()
        assert not problems, f"after kill {round_}: {len(problems)} problem(s):\n" + "\n".join(problems[:30])
        server.assert_clean_log()
    print(
        f"[kill -9] server log ERROR lines: {len(server.error_lines())}; {time.monotonic() - started:.1f} s"
    )
    assert ledger.created, "the writers wrote nothing"


async def every_application_has_its_case(
    http: httpx.AsyncClient, admin: dict[str, str], ledger: Ledger
) -> list[str]:
    """Every application the server holds (acknowledged or cut off by the kill) reads back with the
    event that started its case; an id the list skips is absent (404), never a 5xx."""
    problems: list[str] = []
    listed = await list_all(http, admin)
    ids = {app["id"] for app in listed}
    missing = set(ledger.created) - ids
    if missing:
        problems.append(f"{len(missing)} acknowledged application(s) not listed: {sorted(missing)[:20]}")
    gate = asyncio.Semaphore(VERIFY_CONCURRENCY)

    async def one(app_id: int) -> None:
        async with gate:
            app = await http.get(f"{APPS}/{app_id}", headers=admin)
            if app_id not in ids:
                if app.status_code != 404:  # e.g. an application row without its case
                    problems.append(
                        f"application {app_id} is not listed but reads {app.status_code} {app.text[:200]}"
                    )
                return
            timeline = await http.get(f"{APPS}/{app_id}/timeline", headers=admin)
        if app.status_code != 200 or timeline.status_code != 200:
            problems.append(f"application {app_id}: GET {app.status_code}, timeline {timeline.status_code}")
            return
        problems.extend(case_problems(app_id, app.json(), timeline.json()["events"]))

    highest = max(ids | set(ledger.created), default=0)
    await asyncio.gather(*(one(i) for i in range(1, highest + 20)))
    return problems
