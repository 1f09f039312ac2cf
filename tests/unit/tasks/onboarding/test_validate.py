"""Bad input is named before any write: accounts, name, mailboxes, --start; and the choice of
the clone recipe (the native duplicate only for same-key clones, and only when switched on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tasks.onboarding import validate
from tasks.onboarding.config import OnboardingSettings
from tasks.onboarding.saga import (
    ALL_STEPS,
    AccountInfo,
    Env,
    Parties,
    RunView,
    StepContext,
    StepFailed,
    StepView,
)
from tasks.onboarding.steps import step_validate
from workers.automations import OnboardingParams
from workers.clients.smartlead_models import Campaign, EmailAccount


def account(slug: str = "newco", **fields: Any) -> AccountInfo:
    values: dict[str, Any] = {
        "id": 2,
        "slug": slug,
        "name": slug.title(),
        "timezone": "America/New_York",
        "client_id": None,
        "has_key": True,
        "key_id": f"key-{slug}",
        "params": OnboardingParams(),
    }
    values.update(fields)
    return AccountInfo(**values)


def test_accounts_without_key_or_time_zone_and_empty_names_are_each_named() -> None:
    parties = Parties(account(has_key=False, timezone=""), account("agency", has_key=False))
    problems = validate.account_problems(parties, "  ")
    assert problems == [
        "account 'newco' has no Smartlead API key",
        "account 'newco' has no time zone",
        "template account 'agency' has no Smartlead API key",
        "name is empty",
    ]


def test_missing_accounts_an_unknown_zone_and_a_long_name_are_named() -> None:
    assert validate.account_problems(Parties(None, None), "x" * 201) == [
        "the account to onboard does not exist in LeadOps",
        "the template account does not exist in LeadOps",
        "name is longer than 200 characters",
    ]
    assert validate.timezone_problem("Mars/Base", "newco") == (
        "account 'newco' has an unknown time zone 'Mars/Base' (use an IANA name)"
    )
    assert validate.timezone_problem("Europe/Paris", "newco") is None


def test_creating_a_client_needs_its_email() -> None:
    params = OnboardingParams(create_client=True)
    problems = validate.account_problems(Parties(account(params=params), account("a")), "n")
    assert problems == ["account 'newco': onboarding.create_client needs onboarding.client_email"]


def test_a_used_name_and_foreign_mailboxes_are_named_with_their_ids() -> None:
    taken = [Campaign(id=5, name="Q3")]
    assert validate.name_problems("Q3", "newco", taken) == [
        "name 'Q3' is already used under account 'newco''s key (campaign 5)"
    ]
    assert validate.name_problems("Q3", "newco", []) == []
    assert validate.mailbox_problems([1, 2, 9], {1, 2}, "newco") == [
        "mailbox id(s) [9] are not mailboxes of account 'newco''s Smartlead key "
        "(they belong to another key, or do not exist)"
    ]


def test_start_needs_mailboxes_and_a_schedule() -> None:
    no_schedule = Campaign(id=1, scheduler_cron_value=None)
    assert validate.start_problems(True, [], no_schedule) == [
        "--start needs mailboxes: give --mailboxes or onboarding.mailbox_ids",
        "--start needs a schedule, and the template campaign has none",
    ]
    assert validate.start_problems(False, [], no_schedule) == []


# ---- the validate step, on fakes ---------------------------------------------------------
@dataclass
class FakeSmartlead:
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    mailboxes: list[int] = field(default_factory=list)
    campaign_mailboxes: list[int] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def get_campaign(self, campaign_id: int) -> Campaign | None:
        self.calls.append("get_campaign")
        return self.campaigns.get(campaign_id)

    def find_campaigns_by_name(self, name: str) -> list[Campaign]:
        self.calls.append("find_campaigns_by_name")
        return [c for c in self.campaigns.values() if c.name == name]

    def list_email_accounts(self) -> list[EmailAccount]:
        self.calls.append("list_email_accounts")
        return [EmailAccount(id=i) for i in self.mailboxes]

    def list_campaign_mailboxes(self, campaign_id: int) -> list[EmailAccount]:
        self.calls.append("list_campaign_mailboxes")
        return [EmailAccount(id=i) for i in self.campaign_mailboxes]


@dataclass
class FakeServices:
    parties_: Parties
    source: FakeSmartlead
    target: FakeSmartlead
    native_duplicate: bool = False
    dry_run: bool = False
    gateway_url: str = "https://gw.test"

    def parties(self, run: RunView) -> Parties:
        return self.parties_

    def template_client(self, run: RunView) -> Any:
        return self.source

    def target_client(self, run: RunView) -> Any:
        return self.target


TEMPLATE = Campaign(id=10, name="Template", scheduler_cron_value={"tz": "UTC"})


def _validate(services: FakeServices, **options: Any) -> dict[str, Any]:
    run = RunView(
        id=1, key="k", account_id=2, template_account_id=1, template_campaign_id=10,
        name="NewCo", options=options, steps={n: StepView(n, i) for i, n in enumerate(ALL_STEPS)},
    )  # fmt: skip
    env = Env(store=None, services=services, owner="t", lease_seconds=1)  # type: ignore[arg-type]
    return step_validate(StepContext(run, env, "validate")).result


def test_the_native_duplicate_is_off_by_default() -> None:
    assert OnboardingSettings().onboarding_native_duplicate is False


@pytest.mark.parametrize(
    ("same_key", "flag", "strategy"),
    [(True, False, "manual"), (True, True, "duplicate"), (False, True, "manual")],
)
def test_the_duplicate_endpoint_is_used_only_for_same_key_clones_when_on(
    same_key: bool, flag: bool, strategy: str
) -> None:
    source = FakeSmartlead(campaigns={10: TEMPLATE}, campaign_mailboxes=[7])
    target = source if same_key else FakeSmartlead(mailboxes=[1])
    template_key = "key-newco" if same_key else "key-agency"
    parties = Parties(account(), account("agency", id=1, key_id=template_key))
    result = _validate(FakeServices(parties, source, target, native_duplicate=flag))
    assert result["strategy"] == strategy and result["same_key"] is same_key


def test_same_key_clones_fall_back_to_the_templates_mailboxes() -> None:
    source = FakeSmartlead(campaigns={10: TEMPLATE}, campaign_mailboxes=[7, 8])
    parties = Parties(account(), account("agency", id=1, key_id="key-newco"))
    result = _validate(FakeServices(parties, source, source))
    assert result["mailbox_ids"] == [7, 8] and result["mailbox_origin"] == "template (same key)"


def test_every_problem_is_reported_at_once_and_the_template_is_only_read() -> None:
    source = FakeSmartlead()  # the template answers an empty body
    target = FakeSmartlead(campaigns={3: Campaign(id=3, name="NewCo")}, mailboxes=[1])
    parties = Parties(account(), account("agency", id=1))
    with pytest.raises(StepFailed) as info:
        _validate(FakeServices(parties, source, target), mailbox_ids=[1, 99], start=True)
    message = str(info.value)
    assert "template campaign 10 does not exist under account 'agency'" in message
    assert "name 'NewCo' is already used" in message
    assert "mailbox id(s) [99]" in message
    assert source.calls == ["get_campaign"]


def test_no_duplicate_when_the_copy_would_keep_the_templates_client() -> None:
    # the template belongs to client 12 and the new account brings no client id of its own
    source = FakeSmartlead(campaigns={10: Campaign(id=10, name="T", client_id=12)})
    parties = Parties(account(), account("agency", id=1, key_id="key-newco"))
    result = _validate(FakeServices(parties, source, source, native_duplicate=True))
    assert result["strategy"] == "manual"
    with_client = Parties(account(client_id=77), parties.template)
    again = _validate(FakeServices(with_client, source, source, native_duplicate=True))
    assert again["strategy"] == "duplicate"
