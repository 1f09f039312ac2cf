"""Set-up and readers for the onboarding integration tests (automation 8): Smartlead and Slack
sandboxes over loopback, an agency account owning a template campaign (seeded the way old
campaigns read back: an hour of "9", a Sunday as 7, a deleted variant, "None" shares, both delay
spellings) and a new client account under another key; what the sandbox holds, read back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

AGENCY = "agency"
CLIENT = "newco"
AGENCY_KEY = "sl-key-agency-TEMPLATE-9f8e7d"
CLIENT_KEY = "sl-key-newco-CLIENT-1a2b3c"
CLIENT_TZ = "America/New_York"
TEMPLATE_TZ = "Europe/London"
SMARTLEAD_SECRET = "whsec-newco-4d5e6f"
ONBOARDING_SECRET = "obsec-newco-7a8b9c"
GATEWAY_URL = "https://leadops.example.test"
LIMITS = [[1000, 1]]

TEMPLATE_SETTINGS = {  # stored in write form; GET shows tracking as DONT_EMAIL_OPEN...
    "track_settings": ["DONT_TRACK_EMAIL_OPEN", "DONT_TRACK_LINK_CLICK"],
    "stop_lead_settings": "REPLY_TO_AN_EMAIL",
    "unsubscribe_text": "Reply STOP to opt out",
    "send_as_plain_text": True,
    "follow_up_percentage": 60,
    "bounce_autopause_threshold": 5,  # not readable through the API
}
TEMPLATE_SCHEDULE = {
    "timezone": TEMPLATE_TZ,
    "days_of_the_week": [1, 2, 3, 4, 7],
    "start_hour": "9",
    "end_hour": "17:30",
    "min_time_btw_emails": 12,
    "max_new_leads_per_day": 40,
}
TEMPLATE_SEQUENCES = [
    {
        "seq_number": 1,
        "seq_delay_details": {"delayInDays": 0},
        "subject": "",
        "email_body": "",
        "sequence_variants": [
            {
                "variant_label": "A",
                "subject": "Quick question, {{first_name}}",
                "email_body": "<p>Hi {{first_name}}, variant A</p>",
                "variant_distribution_percentage": 50,
                "is_deleted": False,
            },
            {
                "variant_label": "B",
                "subject": "An old idea",
                "email_body": "<p>deleted</p>",
                "variant_distribution_percentage": "None",
                "is_deleted": True,
            },
            {
                "variant_label": "C",
                "subject": "A thought for {{company_name}}",
                "email_body": "<p>Hi, variant C</p>",
                "variant_distribution_percentage": "50",
                "is_deleted": False,
            },
        ],
    },
    {
        "seq_number": 2,
        "seq_delay_details": {"delay_in_days": 3, "delayInDays": 3},
        "subject": "",
        "email_body": "<p>Bumping this up</p>",
    },
    {
        "seq_number": 3,
        "seq_delay_details": {"delayInDays": "5"},
        "subject": "",
        "email_body": "",
        "sequence_variants": [
            {
                "variant_label": "A",
                "subject": "Last note",
                "email_body": "<p>The only live variant</p>",
                "variant_distribution_percentage": "None",
            },
            {"variant_label": "B", "subject": "gone", "email_body": "x", "is_deleted": True},
        ],
    },
]
# What the clone must read back (GET /campaigns/{id}/sequences), ids aside.
EXPECTED_SEQUENCES = [
    (
        1,
        0,
        "",
        "",
        [("A", "Quick question, {{first_name}}", 50), ("B", "A thought for {{company_name}}", 50)],
    ),
    (2, 3, "", "<p>Bumping this up</p>", []),
    (3, 5, "Last note", "<p>The only live variant</p>", []),
]
TEMPLATE_CONFIG = {  # what LeadOps keeps of the template: the API cannot read it
    "bounce_autopause_threshold": 5,
    "out_of_office_detection_settings": {"ignoreOOOasReply": True, "autoPauseOOO": True},
}


@dataclass
class OnboardingStack:
    smartlead: str
    slack: str
    state: Any  # the Smartlead sandbox's SandboxState (same process)
    template_id: int = 0
    agency_id: int = 0
    client_id: int = 0
    template_boxes: list[int] = field(default_factory=list)
    client_boxes: list[int] = field(default_factory=list)
    worker_env: dict[str, str] = field(default_factory=dict)

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.smartlead}/admin{path}", timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def faults(self, key: str = CLIENT_KEY, **fields: Any) -> Any:
        return self.admin("POST", "/faults", json={"api_key": key, **fields})

    def campaigns_named(self, name: str, key: str = CLIENT_KEY) -> list[Any]:
        """Live (not deleted) campaigns of a key with this name."""
        with self.state.lock:
            return [
                c
                for c in self.state.campaigns.values()
                if c.api_key == key and c.name == name and not c.deleted
            ]

    def every_campaign(self, key: str = CLIENT_KEY) -> list[Any]:
        with self.state.lock:
            return [c for c in self.state.campaigns.values() if c.api_key == key]

    def writes(self, key: str = CLIENT_KEY) -> int:
        """Requests other than GET that reached the sandbox for a key."""
        with self.state.lock:
            methods = self.state.keys[key].methods
            return sum(n for m, n in methods.items() if m != "GET")

    def slack_messages(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.slack}/admin/messages", timeout=10)
        r.raise_for_status()
        return list(r.json()["messages"])

    def client(self, key: str = CLIENT_KEY) -> Any:
        from workers.clients.smartlead import SmartleadClient

        return SmartleadClient(key, base_url=f"{self.smartlead}/api/v1", timeout=10)


def _seed(stack: OnboardingStack) -> None:
    for key in (AGENCY_KEY, CLIENT_KEY):
        stack.admin("POST", "/keys", json={"api_key": key, "limits": LIMITS})

    def mailbox(key: str, email: str) -> int:
        return int(stack.admin("POST", "/mailboxes", json={"api_key": key, "email": email})["id"])

    stack.template_boxes = [mailbox(AGENCY_KEY, f"t{i}@agency.test") for i in range(2)]
    stack.client_boxes = [mailbox(CLIENT_KEY, f"c{i}@newco.test") for i in range(2)]
    stack.template_id = stack.admin(
        "POST", "/campaigns", json={"api_key": AGENCY_KEY, "name": "Template: SaaS founders"}
    )["id"]
    stack.admin(
        "POST",
        f"/campaigns/{stack.template_id}/raw",
        json={
            "settings": TEMPLATE_SETTINGS,
            "schedule": TEMPLATE_SCHEDULE,
            "sequences": TEMPLATE_SEQUENCES,
            "mailbox_ids": stack.template_boxes,
            "status": "ACTIVE",
        },
    )


def _accounts(stack: OnboardingStack, **client: Any) -> None:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    api = f"{stack.smartlead}/api/v1"
    with session_scope() as s:
        agency = Account(
            slug=AGENCY,
            name="The Agency",
            timezone=TEMPLATE_TZ,
            smartlead_api_key=AGENCY_KEY,
            smartlead_base_url=api,
            rate_limit_plan="custom",
            rate_limits=LIMITS,
        )
        fields: dict[str, Any] = {
            "slug": CLIENT,
            "name": "NewCo Inc",
            "timezone": CLIENT_TZ,
            "smartlead_api_key": CLIENT_KEY,
            "smartlead_base_url": api,
            "rate_limit_plan": "custom",
            "rate_limits": LIMITS,
            "slack_webhook_url": f"{stack.slack}/services/T9/B9/newco",
            "webhook_secrets": {"smartlead": SMARTLEAD_SECRET, "onboarding": ONBOARDING_SECRET},
        }
        fields.update(client)
        newco = Account(**fields)
        s.add_all([agency, newco])
        s.flush()
        set_automation(
            s,
            agency,
            "onboarding",
            params={"templates": {str(stack.template_id): TEMPLATE_CONFIG}},
        )
        record = {"record_campaign_in": ["clay_intake.default_campaign_id"]}
        set_automation(s, newco, "onboarding", params=record)
        set_automation(s, newco, "clay_intake", enabled=False, params={"chunk_size": 50})
        stack.agency_id, stack.client_id = agency.id, newco.id


@contextmanager
def onboarding_stack(tmp_path: Path, **client: Any) -> Iterator[OnboardingStack]:
    """Sandboxes and accounts; ``client`` overrides fields of the new client's account."""
    from ops.sandbox import slack, smartlead
    from ops.sandbox.serve import serve

    with ExitStack() as es:
        app = smartlead.create_app()
        stack = OnboardingStack(
            smartlead=es.enter_context(serve(app)),
            slack=es.enter_context(serve(slack.create_app(rate_per_second=50, burst=50))),
            state=smartlead.state_of(app),
        )
        stack.worker_env = {
            "LEADOPS_ONBOARDING_LEASE_SECONDS": "4",
            "LEADOPS_GATEWAY_PUBLIC_URL": GATEWAY_URL,
        }
        _seed(stack)
        _accounts(stack, **client)
        yield stack


def enqueue(stack: OnboardingStack, name: str, **options: Any) -> int:
    """A run as `leadops onboard` records it, enqueued for the workers; its id."""
    from tasks.onboarding.store import create_run
    from tasks.onboarding.tasks import ADVANCE
    from workers.celery_app import app

    run, _ = create_run(
        account_id=options.pop("account_id", stack.client_id),
        template_account_id=options.pop("template_account_id", stack.agency_id),
        template_campaign_id=options.pop("template_campaign_id", stack.template_id),
        name=name,
        **options,
    )
    app.send_task(ADVANCE, kwargs={"run_id": run.id})
    return run.id


def run_of(run_id: int) -> Any:
    from tasks.onboarding.store import find_run

    return find_run(run_id)


def wait_for(predicate: Callable[[], Any], timeout: float, tick: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(tick)
        value = predicate()
    assert value, f"not true within {timeout}s"
    return value


def finished(run_id: int, timeout: float = 30) -> Any:
    def done() -> Any:
        run = run_of(run_id)
        return run if run.state in ("succeeded", "failed") else None

    return wait_for(done, timeout)


def cli(*args: str, **env: str) -> Any:
    import subprocess
    import sys

    from tests.conftest import child_env

    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=child_env(COLUMNS="200", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def sequences_of(stack: OnboardingStack, campaign_id: int) -> list[tuple[Any, ...]]:
    client = stack.client()
    try:
        steps = client.get_sequences(campaign_id)
    finally:
        client.close()
    out = []
    for s in steps:
        variants = [
            (v["variant_label"], v["subject"], v["variant_distribution_percentage"])
            for v in s.seq_variants or []
        ]
        out.append(
            (s.seq_number, s.seq_delay_details.delay_in_days, s.subject, s.email_body, variants)
        )
    return out


def assert_complete_clone(stack: OnboardingStack, campaign_id: int) -> None:
    """The clone read back through the API matches the template, field by field."""
    client, source = stack.client(), stack.client(AGENCY_KEY)
    try:
        clone = client.get_campaign(campaign_id)
        template = source.get_campaign(stack.template_id)
        hooks = client.list_campaign_webhooks(campaign_id)
        boxes = sorted(m.id for m in client.list_campaign_mailboxes(campaign_id))
    finally:
        client.close()
        source.close()
    assert clone is not None and template is not None
    # Settings: the same read values (the write went out in write form), no client id
    for name in ("stop_lead_settings", "unsubscribe_text", "send_as_plain_text"):
        assert getattr(clone, name) == getattr(template, name), name
    assert clone.track_settings == template.track_settings == ["DONT_EMAIL_OPEN", "DONT_LINK_CLICK"]
    assert clone.follow_up_percentage == template.follow_up_percentage == 60
    assert clone.client_id is None
    # The settings the API cannot read came from LeadOps' template configuration
    stored = stack.admin("GET", f"/campaigns/{campaign_id}")["settings"]
    for name, value in TEMPLATE_CONFIG.items():
        assert stored[name] == value, name
    # Schedule: the template's hours and days ("9" -> 09:00, 7 -> Sunday) in the client's zone
    assert clone.scheduler_cron_value == {
        "tz": CLIENT_TZ,
        "days": [0, 1, 2, 3, 4],
        "startHour": "09:00",
        "endHour": template.scheduler_cron_value["endHour"],
    }
    assert clone.min_time_btwn_emails == template.min_time_btwn_emails == 12
    assert clone.max_leads_per_day == template.max_leads_per_day == 40
    # Sequence: live variants only, relabelled; a one-variant step carries its own text
    assert sequences_of(stack, campaign_id) == EXPECTED_SEQUENCES
    # The client's own mailboxes; three webhooks to this gateway's Smartlead route
    assert boxes == sorted(stack.client_boxes)
    url = f"{GATEWAY_URL}/v1/newco/smartlead/{SMARTLEAD_SECRET}"
    assert sorted((h.event_types[0], h.webhook_url) for h in hooks) == [
        ("EMAIL_REPLY", url),
        ("LEAD_CATEGORY_UPDATED", url),
        ("LEAD_UNSUBSCRIBED", url),
    ]
    assert clone.status == "DRAFTED"
