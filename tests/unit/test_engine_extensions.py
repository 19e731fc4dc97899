"""The engine's extensions: each context hands over one object, the composition root lists them,
and a name two contexts give is refused when they are composed."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from govservice.bootstrap import engine_extensions
from govservice.services.applications import ENGINE_EXTENSION as APPLICATIONS
from govservice.services.engine import CaseView, EffectRun, EngineExtension, Plugins
from govservice.workflow import BUILTINS, CaseFacts, EffectContext, Situation


def test_the_composition_root_gives_every_context_s_names() -> None:
    plugins = engine_extensions()
    assert {"creditworthy", "inspection_passed", "waiver_eligible"} <= set(plugins.registry.names("guard"))
    assert {"issue_licence", "notify_refusal", "apply_green_channel"} <= set(plugins.registry.names("effect"))
    assert set(plugins.facts_builders) == {"application", "violation", "work_order", "review_round"}
    externals = {
        name
        for name in plugins.registry.names("effect")
        if (entry := plugins.registry.find("effect", name)) is not None and entry.external
    }
    assert externals == set(plugins.effect_handlers)  # every external effect is carried out


def test_declaring_a_name_elsewhere_does_not_reach_the_engine() -> None:
    stray = EngineExtension("stray")

    @stray.guard("moon_is_full")
    def moon_is_full(s: Situation) -> str | None:
        return None

    assert engine_extensions().registry.find("guard", "moon_is_full") is None


def test_a_name_two_contexts_give_is_an_error_when_they_are_composed() -> None:
    rival = EngineExtension("rival")

    @rival.facts_builder("application")
    async def application_facts(session: AsyncSession, case: CaseView) -> CaseFacts:
        return CaseFacts()

    with pytest.raises(ValueError, match="facts builder for 'application' by rival is already registered"):
        Plugins.compose(BUILTINS, APPLICATIONS, rival)

    notifier = EngineExtension("notifier")

    @notifier.effect_handler("notify_refusal")
    async def notify_refusal(run: EffectRun) -> None:
        return None

    with pytest.raises(
        ValueError, match="handler of effect 'notify_refusal' by notifier is already registered"
    ):
        Plugins.compose(APPLICATIONS, notifier)

    licensing = EngineExtension("licensing")

    @licensing.effect("issue_licence", external=True)
    def issue_licence(ctx: EffectContext) -> None:
        """Another licence office."""

    with pytest.raises(ValueError, match="effect 'issue_licence' by licensing is already registered"):
        Plugins.compose(BUILTINS, APPLICATIONS, licensing)


def test_a_context_gives_a_name_once() -> None:
    context = EngineExtension("context")

    @context.effect_handler("conclude")
    async def conclude(run: EffectRun) -> None:
        return None

    with pytest.raises(ValueError, match="handler of effect 'conclude' by context is already registered"):

        @context.effect_handler("conclude")
        async def conclude_again(run: EffectRun) -> None:
            return None
