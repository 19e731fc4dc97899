"""The engine service on a real database (SQLite by default, PostgreSQL when
GOVSERVICE_TEST_DATABASE_URL is set): one transaction per step, races, durable timers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from govservice.bootstrap import engine_extensions
from govservice.config import PROJECT_ROOT, Settings
from govservice.db.engine import NestedUnitOfWork, make_engine, make_sessionmaker
from govservice.db.models import (
    IdempotencyRecord,
    WorkflowCaseRow,
    WorkflowEventRow,
    WorkflowOutboxRow,
    WorkflowTimerRow,
)
from govservice.domain.actor import Actor, Role
from govservice.domain.calendar import WorkingCalendar, decode_year, load_years
from govservice.domain.clock import ManualClock
from govservice.errors import Conflict, PreconditionFailed
from govservice.services.context import ServiceContext
from govservice.services.engine import CaseView, EffectRun, EngineExtension, EngineService, Plugins
from govservice.workflow import (
    ActionBlocked,
    CaseFacts,
    Extension,
    ProcessDefinition,
    compile_process,
    load_process,
)
from tests.conftest import PG_URL

PROCESSES = PROJECT_ROOT / "workflows" / "processes"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "workflows"
CALENDARS = PROJECT_ROOT / "workflows" / "calendars"

APPLICANT = Actor(sub="applicant-1", roles=frozenset({Role.APPLICANT}))
CLERK = Actor(sub="clerk-1", roles=frozenset({Role.CLERK}))
REVIEWER = Actor(sub="reviewer-2", roles=frozenset({Role.CLERK}))
DIRECTOR = Actor(sub="director-3", roles=frozenset({Role.SUPERVISOR}))

REGISTRY = engine_extensions().registry
STAMPING = Extension("stamping")


@STAMPING.effect("stamp", external=True)
def _stamp(ctx: object) -> None:
    """Writes a row through the step's session (see the handler below)."""


REGISTRY_WITH_STAMP = REGISTRY.including(STAMPING)


class Hooks:
    """What the test's effect handler and facts builder do; tests change it."""

    def __init__(self) -> None:
        self.fail_stamp = False
        self.barrier: asyncio.Barrier | None = None
        self.facts = CaseFacts()
        self.on_stamp: Callable[[EffectRun], Awaitable[None]] | None = None


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
def plugins(hooks: Hooks) -> Plugins:
    """The engine's guards and effects, but only this test's handlers and facts builders."""
    plugins = EngineExtension("test")

    @plugins.effect_handler("stamp")
    async def stamp(run: EffectRun) -> None:
        run.session.add(
            IdempotencyRecord(
                owner=f"case-{run.case.id}", key=str(run.call), fingerprint="x", created_at=run.now
            )
        )
        await run.session.flush()
        if hooks.on_stamp is not None:
            await hooks.on_stamp(run)
        if hooks.fail_stamp:
            raise RuntimeError("the licence registry is down")

    @plugins.facts_builder("race")
    async def racing(session: AsyncSession, case: CaseView) -> CaseFacts:
        if hooks.barrier is not None:  # PostgreSQL: every racer has read the case before anyone writes
            await hooks.barrier.wait()
        return CaseFacts()

    @plugins.facts_builder("application")
    async def application(session: AsyncSession, case: CaseView) -> CaseFacts:
        return hooks.facts

    return Plugins(REGISTRY_WITH_STAMP, plugins.effect_handlers, plugins.facts_builders)


MakeService = Callable[..., EngineService]


@pytest.fixture
async def make_service(
    engine: AsyncEngine, settings: Settings, clock: ManualClock, plugins: Plugins
) -> AsyncIterator[MakeService]:
    """Engine services as separate processes would have them; each is closed after the test."""
    made: list[EngineService] = []

    def make(
        *, on: AsyncEngine | None = None, plugins: Plugins = plugins, calendar: WorkingCalendar | None = None
    ) -> EngineService:
        db = on or engine
        ctx = ServiceContext(settings=settings, engine=db, sessions=make_sessionmaker(db), clock=clock)
        made.append(EngineService(ctx, plugins, calendar=calendar))
        return made[-1]

    yield make


@pytest.fixture
async def service(make_service: MakeService) -> EngineService:
    svc = make_service()
    assert await svc.publish(load_process(PROCESSES / "permit.yaml", registry=REGISTRY)) is True
    assert await svc.publish_directory(FIXTURES) == ["licensing v1", "penalty v1", "timed v1"]
    return svc


async def count(engine: AsyncEngine, table: type, *where: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


# -- steps ----------------------------------------------------------------------------------------


async def test_every_step_is_persisted_with_its_event(service: EngineService, clock: ManualClock) -> None:
    case = await service.start_case(
        "permit", subject_kind="application", subject_ref="A-1", actor=APPLICANT, limit=20
    )
    assert (case.state, case.version, case.process_version) == ("draft", 1, 1)
    path = [
        ("submit", APPLICANT, 2),
        ("request_supplement", CLERK, 3),
        ("supplement", APPLICANT, 4),
        ("accept", CLERK, 5),
        ("recommend", REVIEWER, 6),
        ("approve", DIRECTOR, 10),
    ]
    for action, actor, day in path:
        clock.set(datetime(2026, 3, day, 2, 0, tzinfo=UTC))
        fired = await service.fire(case.id, action, actor, payload={"comment": f"{action} done"})
        assert fired.event.action == action and fired.event.seq == fired.case.version
    stored = await service.get_case(case.id)
    assert (stored.state, stored.version, stored.outcome) == ("approved", 7, "approved")
    events = await service.events(case.id)
    assert [(e.seq, e.action, e.actor_sub) for e in events] == [
        (1, "start", "applicant-1"),
        (2, "submit", "applicant-1"),
        (3, "request_supplement", "clerk-1"),
        (4, "supplement", "applicant-1"),
        (5, "accept", "clerk-1"),
        (6, "recommend", "reviewer-2"),
        (7, "approve", "director-3"),
    ]
    assert events[2].payload == {"comment": "request_supplement done"}
    assert events[3].from_state == "supplementing" and events[3].to_state == "pre_review"
    # two deadlines armed on entering pre_review, both ended when it was left
    assert [t.status for t in await service.timers(case.id)] == ["cancelled", "cancelled"]
    view = service.clock_view(stored, clock.now())
    # accepted Thu 3-5, decided Tue 3-10: 3-6, 3-9 and 3-10 counted; the weekend and the days after do not;
    # a decided case has no days left to count
    assert (view.status, view.started_on, view.elapsed, view.remaining) == (
        "stopped",
        date(2026, 3, 5),
        3,
        0,
    )


async def test_allowed_actions_come_with_reasons(service: EngineService, hooks: Hooks) -> None:
    case = await service.start_case("permit", subject_kind="application", actor=APPLICANT)
    await service.fire(case.id, "submit", APPLICANT)
    hooks.facts = CaseFacts(key_materials_missing=("fire_plan",))
    options = {o.action: o for o in await service.available(case.id, CLERK)}
    assert options["accept"].reasons == (
        "key materials missing: fire_plan (rule: every key material (主要材料) must be present)",
    )
    with pytest.raises(ActionBlocked, match="fire_plan"):
        await service.fire(case.id, "accept", CLERK)
    assert (await service.get_case(case.id)).version == 2


async def test_if_match_guards_against_a_stale_view(service: EngineService) -> None:
    case = await service.start_case("permit", subject_kind="application", actor=APPLICANT)
    with pytest.raises(PreconditionFailed):
        await service.fire(case.id, "submit", APPLICANT, expected_version=7)
    assert (await service.fire(case.id, "submit", APPLICANT, expected_version=1)).case.version == 2


async def test_two_tasks_racing_the_same_transition_exactly_one_wins(
    service: EngineService, make_service: MakeService, hooks: Hooks, engine: AsyncEngine
) -> None:
    other = make_service()  # another app process: its own connections
    for _ in range(5):
        case = await service.start_case("permit", subject_kind="race", actor=APPLICANT)
        # PostgreSQL: both have read version 1 before either writes. SQLite: a writing unit of work
        # holds the write lock from its BEGIN, so the second reads the case after the first committed.
        hooks.barrier = asyncio.Barrier(2) if PG_URL else None
        results = await asyncio.gather(
            service.fire(case.id, "submit", APPLICANT),
            other.fire(case.id, "submit", APPLICANT),
            return_exceptions=True,
        )
        wins = [r for r in results if not isinstance(r, BaseException)]
        losses = [r for r in results if isinstance(r, BaseException)]
        assert len(wins) == 1 and len(losses) == 1, results
        lost = {"concurrent_transition"} if PG_URL else {"concurrent_transition", "action_not_available"}
        assert isinstance(losses[0], Conflict) and losses[0].code in lost
        assert (await service.get_case(case.id)).version == 2
        assert await count(engine, WorkflowEventRow, WorkflowEventRow.case_id == case.id) == 2
        assert await count(engine, WorkflowOutboxRow, WorkflowOutboxRow.case_id == case.id) == 2
        assert await count(engine, WorkflowTimerRow, WorkflowTimerRow.case_id == case.id) == 1


@pytest.mark.skipif(not PG_URL, reason="SQLite runs writing units of work one at a time: there is no race")
async def test_racing_different_actions_leaves_one_consistent_result(
    service: EngineService, make_service: MakeService, hooks: Hooks, engine: AsyncEngine
) -> None:
    racers = [service, make_service(), make_service()]
    case = await service.start_case("permit", subject_kind="race", actor=APPLICANT)
    hooks.barrier = asyncio.Barrier(3)
    results = await asyncio.gather(
        *(
            svc.fire(case.id, action, APPLICANT)
            for svc, action in zip(racers, ["submit", "withdraw", "submit"], strict=True)
        ),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(
        isinstance(r, Conflict) and r.code == "concurrent_transition" for r in results if r not in wins
    )
    stored = await service.get_case(case.id)
    assert stored.state == wins[0].case.state and stored.version == 2  # type: ignore[union-attr]
    assert await count(engine, WorkflowEventRow, WorkflowEventRow.case_id == case.id) == 2


async def test_many_racers_on_the_plain_path_one_step_each(
    service: EngineService, make_service: MakeService, engine: AsyncEngine
) -> None:
    # no facts builder for this kind: the lean path, whose write is the compare-and-set alone
    racers = [service, *(make_service() for _ in range(5))]
    for _ in range(10):
        case = await service.start_case("permit", subject_kind="plain", actor=APPLICANT)
        results = await asyncio.gather(
            *(svc.fire(case.id, "submit", APPLICANT) for svc in racers), return_exceptions=True
        )
        wins = [r for r in results if not isinstance(r, BaseException)]
        assert len(wins) == 1, results
        # the losers read before or after the winner wrote: a lost race, or an action the state lacks now
        assert all(isinstance(r, Conflict) for r in results if r not in wins), results
        assert (await service.get_case(case.id)).version == 2
        assert await count(engine, WorkflowEventRow, WorkflowEventRow.case_id == case.id) == 2
        assert await count(engine, WorkflowTimerRow, WorkflowTimerRow.case_id == case.id) == 1


async def test_steps_of_one_process_on_one_case_queue_up(service: EngineService) -> None:
    case = await service.start_case("permit", subject_kind="plain", actor=APPLICANT)
    await service.fire(case.id, "submit", APPLICANT)
    results = await asyncio.gather(
        service.fire(case.id, "accept", CLERK), service.fire(case.id, "accept", CLERK), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert (await service.get_case(case.id)).state == "reviewing"


async def test_an_effect_runs_in_the_step_and_a_failing_one_undoes_it(
    service: EngineService, hooks: Hooks, engine: AsyncEngine
) -> None:
    case = await service.start_case("licensing", subject_kind="application", actor=APPLICANT)
    for action, actor in [("accept", CLERK), ("forward", CLERK)]:
        await service.fire(case.id, action, actor)
    hooks.fail_stamp = True
    with pytest.raises(RuntimeError, match="registry is down"):
        await service.fire(case.id, "approve", DIRECTOR)
    stored = await service.get_case(case.id)
    assert (stored.state, stored.version) == ("deciding", 3)  # all or nothing
    assert await count(engine, WorkflowEventRow, WorkflowEventRow.case_id == case.id) == 3
    assert await count(engine, IdempotencyRecord) == 0
    hooks.fail_stamp = False
    fired = await service.fire(case.id, "approve", DIRECTOR)
    assert fired.case.outcome == "approved" and fired.event.payload == {"effects": ["stamp"]}
    assert await count(engine, IdempotencyRecord, IdempotencyRecord.owner == f"case-{case.id}") == 1


async def test_an_effect_handler_can_start_and_move_another_case_in_the_same_transaction(
    service: EngineService, hooks: Hooks, engine: AsyncEngine
) -> None:
    # e.g. a revoked permit opens a penalty case: both commit together, or neither does
    inspector = Actor(sub="inspector-1", roles=frozenset({Role.INSPECTOR}))
    opened: list[int] = []

    async def open_penalty(run: EffectRun) -> None:
        penalty = await service.start_case(
            "penalty",
            subject_kind="plain",
            subject_ref=f"from-{run.case.id}",
            actor=inspector,
            session=run.session,
        )
        await service.fire(penalty.id, "submit_for_review", inspector, session=run.session)
        opened.append(penalty.id)

    hooks.on_stamp = open_penalty
    for fail in (True, False):
        hooks.fail_stamp = fail
        case = await service.start_case("licensing", subject_kind="application", actor=APPLICANT)
        for action, actor in [("accept", CLERK), ("forward", CLERK)]:
            await service.fire(case.id, action, actor)
        if fail:
            with pytest.raises(RuntimeError):
                await service.fire(case.id, "approve", DIRECTOR)
            assert (await service.get_case(case.id)).state == "deciding"
            assert await count(engine, WorkflowCaseRow, WorkflowCaseRow.subject_ref == f"from-{case.id}") == 0
        else:
            await service.fire(case.id, "approve", DIRECTOR)
            penalty = await service.get_case(opened[-1])
            assert (penalty.subject_ref, penalty.state, penalty.version) == (
                f"from-{case.id}",
                "legal_review",
                2,
            )


async def test_a_plain_step_waits_for_a_step_that_holds_the_database(
    service: EngineService, hooks: Hooks, engine: AsyncEngine
) -> None:
    entered, gate = asyncio.Event(), asyncio.Event()

    async def hold(run: EffectRun) -> None:
        entered.set()
        await gate.wait()

    hooks.on_stamp = hold
    held = await service.start_case("licensing", subject_kind="application", actor=APPLICANT)
    for action, actor in [("accept", CLERK), ("forward", CLERK)]:
        await service.fire(held.id, action, actor)
    plain = await service.start_case("permit", subject_kind="plain", actor=APPLICANT)
    approving = asyncio.create_task(service.fire(held.id, "approve", DIRECTOR))
    await entered.wait()  # the approval has written and holds its transaction open
    submitting = asyncio.create_task(service.fire(plain.id, "submit", APPLICANT))
    await asyncio.sleep(0.1)
    if engine.dialect.name == "sqlite":  # one writer at a time: the plain step waits, it does not fail
        assert not submitting.done()
    gate.set()
    assert (await approving).case.state == "approved"
    assert (await submitting).case.state == "pre_review"


async def test_a_process_whose_effects_have_no_handler_cannot_start(
    make_service: MakeService, service: EngineService
) -> None:
    bare = make_service(plugins=Plugins(REGISTRY_WITH_STAMP))
    with pytest.raises(RuntimeError, match="stamp"):
        await bare.start_case("licensing", subject_kind="application")


# -- definitions and calendars -----------------------------------------------------------------


async def test_a_published_version_never_changes_and_cases_stay_on_theirs(service: EngineService) -> None:
    v1 = await service.process("permit")
    assert await service.publish(v1) is False  # unchanged: nothing to do
    old_case = await service.start_case("permit", subject_kind="application", actor=APPLICANT)
    states = dict(v1.definition.states)
    states["draft"] = msgspec.structs.replace(states["draft"], description="Changed.")
    altered = compile_process(msgspec.structs.replace(v1.definition, states=states), registry=REGISTRY)
    with pytest.raises(Conflict, match="already published .* with different content") as caught:
        await service.publish(altered, source="permit.yaml")
    assert caught.value.code == "definition_changed"
    v2 = compile_process(
        msgspec.structs.replace(
            v1.definition,
            version=2,
            states=states,
            transitions=[t for t in v1.definition.transitions if t.action != "withdraw"]
            + [
                msgspec.convert(
                    {"action": "withdraw", "from": ["draft"], "to": "withdrawn", "roles": ["applicant"]},
                    type(v1.definition.transitions[0]),
                )
            ],
        ),
        registry=REGISTRY,
    )
    assert await service.publish(v2) is True
    new_case = await service.start_case("permit", subject_kind="application", actor=APPLICANT)
    assert (old_case.process_version, new_case.process_version) == (1, 2)
    await service.fire(old_case.id, "submit", APPLICANT)
    await service.fire(new_case.id, "submit", APPLICANT)
    assert (await service.fire(old_case.id, "withdraw", APPLICANT)).case.state == "withdrawn"  # v1 allows it
    with pytest.raises(Conflict, match="withdraw is not an action of state pre_review"):
        await service.fire(new_case.id, "withdraw", APPLICANT)  # v2 does not


async def test_a_case_keeps_the_calendar_in_force_when_it_started(
    make_service: MakeService, service: EngineService
) -> None:
    y2025, y2026 = load_years(CALENDARS)
    storm = decode_year(
        b"year: 2026\nholidays: [{name: typhoon days, first: 2026-03-03, last: 2026-03-05}]\n", "2026.yaml"
    )
    stormy = WorkingCalendar([y2025, storm])
    early = make_service(calendar=stormy)
    case = await early.start_case("permit", subject_kind="application", actor=APPLICANT)
    assert case.calendar_version == stormy.version != service.calendar.version
    # a later process (with today's calendar) computes the deadline with the pinned one
    later = make_service()
    await later.fire(case.id, "submit", APPLICANT)  # Mon 3-2; 3-3..3-5 were typhoon holidays then
    (timer,) = await later.timers(case.id)
    assert timer.due_at == datetime(
        2026, 3, 12, 16, 0, tzinfo=UTC
    )  # due 3-12 (not 3-9), midnight in Shanghai


# -- timers ---------------------------------------------------------------------------------------


async def test_a_passed_deadline_fires_once(
    service: EngineService, clock: ManualClock, engine: AsyncEngine
) -> None:
    case = await service.start_case("permit", subject_kind="application", actor=APPLICANT)
    await service.fire(case.id, "submit", APPLICANT)  # Mon 3-2: acceptance due by Mon 3-9
    clock.set(datetime(2026, 3, 9, 15, 59, tzinfo=UTC))  # 23:59 on 3-9 in Shanghai: not yet
    assert (await service.run_due_timers("w1")).claimed == 0
    clock.set(datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    run = await service.run_due_timers("w1")
    assert (run.claimed, run.fired) == (1, 1)
    stored = await service.get_case(case.id)
    assert stored.state == "reviewing"  # deemed accepted (art. 32)
    last = (await service.events(case.id))[-1]
    assert (last.action, last.actor_sub, last.actor_roles) == ("deem_accepted", "system:timer", [])
    assert last.payload is not None and last.payload["timer"]["key"] == "deadline:pre_review"
    assert [(t.status, t.fired_at) for t in await service.timers(case.id)] == [("fired", clock.now())]
    clock.advance(timedelta(days=30))
    assert (await service.run_due_timers("w2")).claimed == 0


async def test_a_timer_whose_case_moved_on_is_dropped_not_fired(
    service: EngineService, clock: ManualClock
) -> None:
    case = await service.start_case("timed", subject_kind="application", actor=CLERK)  # waiting: 1 WD
    clock.advance(timedelta(days=3))
    (claimed,) = await service._timers.claim("w1", 10, timedelta(minutes=5))
    await service.fire(case.id, "take", CLERK)  # a person moves the case between claim and fire
    assert await service._timers.fire(claimed) == "dropped"
    assert [e.action for e in await service.events(case.id)] == ["start", "take"]
    assert (await service.timers(case.id))[0].status == "cancelled"


async def test_a_case_wide_timer_fires_only_while_its_action_is_available(
    service: EngineService, clock: ManualClock
) -> None:
    kept = await service.start_case("timed", subject_kind="application", actor=CLERK)
    moved = await service.start_case("timed", subject_kind="application", actor=CLERK)
    for case in (kept, moved):
        await service.fire(case.id, "take", CLERK)  # arms `window`: terminate after 3 WD
    await service.fire(moved.id, "submit", CLERK)  # review has no terminate
    clock.advance(timedelta(days=7))
    run = await service.run_due_timers("w1")
    assert (run.fired, run.dropped) == (1, 1)
    assert (await service.get_case(kept.id)).state == "terminated"
    assert (await service.get_case(moved.id)).state == "review"
    windows = {t.status: t.detail for t in await service.timers(moved.id) if t.key == "window"}
    assert windows == {"dropped": "the case is in review now"}


async def test_a_case_that_ends_ends_every_timer_still_pending(
    service: EngineService, clock: ManualClock
) -> None:
    case = await service.start_case("timed", subject_kind="application", actor=CLERK)
    await service.fire(case.id, "take", CLERK)  # arms `window`, ended by no transition of its own
    clock.advance(timedelta(hours=2))
    await service.fire(case.id, "withdraw", CLERK)
    assert (await service.get_case(case.id)).outcome == "done"
    timers = await service.timers(case.id)
    assert {t.status for t in timers} == {"cancelled"}  # waiting's deadline when taken, the window now
    assert [t.cancelled_at for t in timers if t.key == "window"] == [clock.now()]
    clock.advance(timedelta(days=30))
    assert (await service.run_due_timers("w1")).claimed == 0


@pytest.fixture
async def second_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.database_url)
    yield engine
    await engine.dispose()


async def test_two_workers_over_1000_due_timers_fire_each_exactly_once(
    service: EngineService,
    engine: AsyncEngine,
    second_engine: AsyncEngine,
    settings: Settings,
    clock: ManualClock,
    make_service: MakeService,
) -> None:
    for i in range(1000):
        await service.start_case("timed", subject_kind="application", subject_ref=str(i), actor=CLERK)
    clock.advance(timedelta(days=5))
    other = make_service(on=second_engine)  # another process, its own pool

    async def drain(svc: EngineService, name: str) -> int:
        fired = 0
        while True:
            run = await svc.run_due_timers(name, limit=25)
            fired += run.fired
            if run.claimed == 0:
                return fired

    first, second = await asyncio.gather(drain(service, "w1"), drain(other, "w2"))
    assert first + second == 1000
    async with engine.connect() as conn:
        per_case = (
            await conn.execute(
                select(WorkflowEventRow.case_id, func.count())
                .where(WorkflowEventRow.action == "expire")
                .group_by(WorkflowEventRow.case_id)
            )
        ).all()
        states = (
            await conn.execute(
                select(WorkflowCaseRow.state, WorkflowCaseRow.version, func.count()).group_by(
                    WorkflowCaseRow.state, WorkflowCaseRow.version
                )
            )
        ).all()
    assert len(per_case) == 1000 and {n for _, n in per_case} == {1}
    assert [tuple(r) for r in states] == [("expired", 2, 1000)]
    assert await count(engine, WorkflowTimerRow, WorkflowTimerRow.status == "fired") == 1000
    if settings.database_url.startswith("postgresql"):
        assert first > 0 and second > 0, (first, second)  # both really worked, side by side


def test_a_stored_definition_decodes_back_to_the_same_one() -> None:
    process = load_process(FIXTURES / "licensing.yaml", registry=REGISTRY_WITH_STAMP)
    again = msgspec.convert(msgspec.to_builtins(process.definition), ProcessDefinition)
    assert again == process.definition


# -- a subject and its case in one transaction ----------------------------------------------------


async def test_cases_and_the_callers_rows_commit_together_or_not_at_all(
    service: EngineService, engine: AsyncEngine, clock: ManualClock
) -> None:
    with pytest.raises(RuntimeError, match="the subject's row failed"):
        async with service.transaction() as session:
            await service.start_case(
                "timed", subject_kind="application", subject_ref="lost", actor=APPLICANT, session=session
            )
            session.add(IdempotencyRecord(owner="t", key="k-lost", fingerprint="f", created_at=clock.now()))
            await session.flush()
            raise RuntimeError("the subject's row failed")
    assert await count(engine, WorkflowCaseRow, WorkflowCaseRow.subject_ref == "lost") == 0
    assert await count(engine, IdempotencyRecord, IdempotencyRecord.key == "k-lost") == 0

    async with service.transaction() as session:
        kept = await service.start_case(
            "timed", subject_kind="application", subject_ref="kept", actor=APPLICANT, session=session
        )
        moved = await service.fire(kept.id, "take", CLERK, session=session)  # a step on the session joins it
        session.add(IdempotencyRecord(owner="t", key="k-kept", fingerprint="f", created_at=clock.now()))
    assert (await service.get_case(kept.id)).version == moved.case.version == 2
    assert await count(engine, IdempotencyRecord, IdempotencyRecord.key == "k-kept") == 1
    with pytest.raises(NestedUnitOfWork):  # a call that forgets the session cannot split the unit of work
        async with service.transaction():
            await service.start_case(
                "timed", subject_kind="application", subject_ref="split", actor=APPLICANT
            )
    assert await count(engine, WorkflowCaseRow, WorkflowCaseRow.subject_ref == "split") == 0
