"""Demo scenario for automation 8: a won deal in the CRM onboards a new client by cloning the
agency's template campaign into the client's own Smartlead key, through the gateway and the
workers; a second onboarding whose create answer is lost (504 after the write) still makes one
campaign. Prints each run's steps with their results. Run by ops/demo/run.py."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from ops.cli.onboarding import print_run
from ops.demo.context import DemoContext, console, wait_until
from tasks.onboarding.store import find_run
from workers.accounts import set_automation
from workers.db import session_scope
from workers.models import Account

AGENCY, CLIENT = "demo-agency", "demo-newco"
AGENCY_KEY, CLIENT_KEY = "sl-demo-agency-templates", "sl-demo-newco-own-key"
SECRET = "onboarding-demo-secret"
TEMPLATE = {
    "settings": {
        "track_settings": ["DONT_TRACK_EMAIL_OPEN"],
        "stop_lead_settings": "REPLY_TO_AN_EMAIL",
        "unsubscribe_text": "Reply STOP to opt out",
        "follow_up_percentage": 80,
    },
    "schedule": {  # an old campaign: "9" as an hour, Sunday as 7
        "timezone": "Europe/London",
        "days_of_the_week": [1, 2, 3, 4, 7],
        "start_hour": "9",
        "end_hour": "17:00",
        "min_time_btw_emails": 10,
        "max_new_leads_per_day": 30,
    },
    "sequences": [
        {
            "seq_number": 1,
            "seq_delay_details": {"delayInDays": 0},
            "subject": "",
            "email_body": "",
            "sequence_variants": [
                {"variant_label": "A", "subject": "Quick question", "email_body": "<p>A</p>",
                 "variant_distribution_percentage": "None"},
                {"variant_label": "B", "subject": "Retired", "email_body": "<p>B</p>",
                 "is_deleted": True},
                {"variant_label": "C", "subject": "An idea", "email_body": "<p>C</p>",
                 "variant_distribution_percentage": "None"},
            ],
        },
        {"seq_number": 2, "seq_delay_details": {"delay_in_days": 3}, "subject": "",
         "email_body": "<p>Following up</p>"},
    ],
}  # fmt: skip


def _setup(ctx: DemoContext) -> tuple[int, list[int]]:

    sl = ctx.sandboxes["smartlead"]

    def admin(path: str, body: dict[str, Any]) -> Any:
        r = httpx.post(f"{sl}/admin{path}", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    for key in (AGENCY_KEY, CLIENT_KEY):
        admin("/keys", {"api_key": key})
    template = int(admin("/campaigns", {"api_key": AGENCY_KEY, "name": "Template: founders"})["id"])
    admin(f"/campaigns/{template}/raw", {**TEMPLATE, "status": "ACTIVE"})
    boxes = [admin("/mailboxes", {"api_key": CLIENT_KEY, "email": f"sdr{i}@newco.example"})["id"]
             for i in range(2)]  # fmt: skip
    with session_scope() as s:
        agency = Account(
            slug=AGENCY,
            name="Demo agency",
            smartlead_api_key=AGENCY_KEY,
            smartlead_base_url=f"{sl}/api/v1",
        )
        client = Account(
            slug=CLIENT,
            name="NewCo",
            timezone="America/New_York",
            smartlead_api_key=CLIENT_KEY,
            smartlead_base_url=f"{sl}/api/v1",
            slack_webhook_url=f"{ctx.sandboxes['slack']}/services/T8/B8/{CLIENT}",
            webhook_secrets={"onboarding": SECRET},
        )
        s.add_all([agency, client])
        s.flush()
        config = {"bounce_autopause_threshold": 5}
        set_automation(s, agency, "onboarding", params={"templates": {str(template): config}})
        record = {"record_campaign_in": ["clay_intake.default_campaign_id"]}
        set_automation(s, client, "onboarding", params=record)
    return template, boxes


def _post_deal(ctx: DemoContext, deal: str, template: int, name: str, boxes: list[int]) -> str:
    body = json.dumps(
        {
            "event_id": deal,
            "template_account": AGENCY,
            "template_campaign": template,
            "name": name,
            "mailboxes": boxes,
        }
    ).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = httpx.post(
        f"{ctx.gateway_url}/v1/{CLIENT}/onboarding",
        content=body,
        headers={"content-type": "application/json", "x-leadops-signature": f"sha256={digest}"},
        timeout=10,
    )
    r.raise_for_status()
    return str(r.json()["run_id"])


def _finished(run_key: str, timeout: float) -> Any:

    def done() -> Any:
        run = find_run(run_key)
        return run if run is not None and run.state in ("succeeded", "failed") else None

    return wait_until(done, timeout) or find_run(run_key)


def _named(ctx: DemoContext, name: str) -> list[dict[str, Any]]:
    campaigns = httpx.get(
        f"{ctx.sandboxes['smartlead']}/api/v1/campaigns/",
        params={"api_key": CLIENT_KEY},
        timeout=10,
    ).json()
    return [c for c in campaigns if c["name"] == name]


def scenario_onboarding(ctx: DemoContext) -> None:
    """A won deal clones the template across keys; a lost create answer still makes one."""

    console.rule("onboarding: clone a template campaign for a new client (saga)")
    if "smartlead" not in ctx.sandboxes:
        ctx.check("onboarding", False, "Smartlead sandbox missing")
        return
    template, boxes = _setup(ctx)
    run = _finished(_post_deal(ctx, "deal-1001-won", template, "NewCo - outbound", boxes), 60)
    if run is None:
        ctx.check("onboarding run", False, "the gateway accepted it but no run appeared")
        return
    print_run(run)
    [made] = _named(ctx, "NewCo - outbound") or [{}]
    cron = made.get("scheduler_cron_value") or {}
    ctx.check(
        "template cloned across keys",
        run.state == "succeeded" and made.get("id") == run.campaign_id,
        f"campaign {run.campaign_id}: schedule {cron.get('days')} {cron.get('startHour')}-"
        f"{cron.get('endHour')} {cron.get('tz')}, tracking {made.get('track_settings')}",
    )
    sl = ctx.sandboxes["smartlead"]
    fault = {"method": "POST", "path": "/campaigns/create", "status": 504}
    httpx.post(
        f"{sl}/admin/faults", json={"api_key": CLIENT_KEY, "path_faults": [fault]}, timeout=10
    ).raise_for_status()
    ghost = _finished(_post_deal(ctx, "deal-1002-won", template, "NewCo - ghost", boxes), 90)
    print_run(ghost)
    copies = _named(ctx, "NewCo - ghost")
    ctx.check(
        "a 504 after the create still makes one campaign",
        ghost.state == "succeeded" and len(copies) == 1,
        f"{len(copies)} campaign(s) named 'NewCo - ghost'; create step: "
        f"{ghost.steps['create_campaign'].note}",
    )
