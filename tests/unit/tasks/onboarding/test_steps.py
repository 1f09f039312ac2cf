"""The steps that could make a second campaign or delete someone else's: a lost create answer is
adopted only when this run sent a create; cleanup deletes only what this run may have made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tasks.onboarding.dryrun import MemoryStore
from tasks.onboarding.saga import ALL_STEPS, Env, RunView, StepContext, StepFailed, StepView
from tasks.onboarding.steps import step_cleanup, step_create_campaign
from workers.clients.smartlead_models import Campaign, CreatedCampaign


@dataclass
class Target:
    campaigns: list[Campaign] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def find_campaigns_by_name(self, name: str) -> list[Campaign]:
        return [c for c in self.campaigns if c.name == name]

    def create_campaign(self, name: str, client_id: int | None = None) -> CreatedCampaign:
        self.calls.append(f"create {name}")
        self.campaigns.append(Campaign(id=100 + len(self.campaigns), name=name))
        return CreatedCampaign(id=self.campaigns[-1].id)

    def get_campaign(self, campaign_id: int) -> Campaign | None:
        return next((c for c in self.campaigns if c.id == campaign_id), None)

    def delete_campaign(self, campaign_id: int) -> dict[str, Any]:
        self.calls.append(f"delete {campaign_id}")
        self.campaigns = [c for c in self.campaigns if c.id != campaign_id]
        return {"ok": True}


@dataclass
class Services:
    target: Target

    def target_client(self, run: RunView) -> Target:
        return self.target


def context(target: Target, step: str, **results: dict[str, Any]) -> StepContext:
    run = RunView(
        id=1,
        key="k",
        account_id=2,
        template_account_id=1,
        template_campaign_id=10,
        name="NewCo",
        steps={n: StepView(n, i, result=dict(results.get(n, {}))) for i, n in enumerate(ALL_STEPS)},
    )
    run.steps["validate"].result.setdefault("strategy", "manual")
    env = Env(MemoryStore(run), Services(target), owner="t", lease_seconds=5)  # type: ignore[arg-type]
    return StepContext(run, env, step)


def test_the_create_is_recorded_as_sent_before_it_is_sent() -> None:
    target = Target()
    ctx = context(target, "create_campaign")
    outcome = step_create_campaign(ctx)
    assert target.calls == ["create NewCo"] and outcome.result["campaign_id"] == 100
    assert ctx.env.store.run.steps["create_campaign"].result == {"create_sent": True}  # type: ignore[attr-defined]


def test_a_campaign_left_by_a_lost_answer_is_adopted_not_created_again() -> None:
    target = Target([Campaign(id=7, name="NewCo")])
    ctx = context(target, "create_campaign", create_campaign={"create_sent": True})
    outcome = step_create_campaign(ctx)
    assert outcome.result == {"campaign_id": 7, "adopted": True, "via": "create"}
    assert target.calls == []


def test_a_name_taken_by_someone_else_meanwhile_is_neither_adopted_nor_deleted() -> None:
    target = Target([Campaign(id=7, name="NewCo")])
    with pytest.raises(StepFailed, match="taken under the key after validation"):
        step_create_campaign(context(target, "create_campaign"))
    outcome = step_cleanup(context(target, "cleanup"))
    assert outcome.result == {"cleanup": "nothing_to_delete"} and target.calls == []


def test_cleanup_finds_and_deletes_the_campaign_of_a_lost_create_answer() -> None:
    target = Target([Campaign(id=7, name="NewCo")])
    outcome = step_cleanup(context(target, "cleanup", create_campaign={"create_sent": True}))
    assert outcome.result == {"cleanup": "deleted", "campaign_id": 7}
    assert target.calls == ["delete 7"]
