"""Demo scenario for automations 1 and 5: a burst of Clay rows and a Typeform submission go
through the gateway and the workers into Smartlead sandbox campaigns, in chunks; prints the
outcome table. Run by ops/demo/run.py."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import func, select

from ops.demo.context import DemoContext, console, wait_until
from ops.sandbox.smartlead_state import key_hash
from workers.accounts import set_automation
from workers.db import session_scope
from workers.models import Account, LeadOutcome

SLUG = "acme"
CLAY_ROWS = 250
CLAY_SECRET = "clay-demo-secret"
TYPEFORM_SECRET = "typeform-demo-secret"
FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "forms"


def _typeform_payload() -> dict[str, Any]:
    path = FIXTURE / "typeform_demo_request.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    return {
        "event_id": "01DEMO",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": "demo-token",
            "submitted_at": "2026-11-26T09:00:00Z",
            "hidden": {"utm_source": "demo"},
            "definition": {
                "fields": [
                    {"id": "f1", "ref": "work_email", "type": "email", "title": "Work email"}
                ]
            },
            "answers": [
                {
                    "type": "email",
                    "email": "nurture@demo.example",
                    "field": {"id": "f1", "ref": "work_email", "type": "email"},
                }
            ],
        },
    }


def _setup(ctx: DemoContext) -> tuple[int, str, str, str]:

    sl = ctx.sandboxes["smartlead"]
    key = "sl-demo-acme-key"
    httpx.post(f"{sl}/admin/keys", json={"api_key": key}, timeout=10).raise_for_status()

    def campaign(name: str) -> str:
        r = httpx.post(
            f"{sl}/admin/campaigns",
            json={"api_key": key, "name": name, "status": "ACTIVE"},
            timeout=10,
        )
        r.raise_for_status()
        return str(r.json()["id"])

    cold, nurture = campaign("Demo: Clay cold outreach"), campaign("Demo: form nurture")
    form_id = str(_typeform_payload()["form_response"]["form_id"])
    with session_scope() as s:
        a = Account(
            slug=SLUG,
            name="Acme Ltd",
            timezone="Europe/Paris",
            smartlead_api_key=key,
            smartlead_base_url=f"{sl}/api/v1",
            webhook_secrets={"clay": CLAY_SECRET, "typeform": TYPEFORM_SECRET},
        )
        s.add(a)
        s.flush()
        set_automation(
            s,
            a,
            "clay_intake",
            params={"default_campaign_id": cold, "chunk_size": 100, "max_delay_seconds": 2},
        )
        set_automation(s, a, "form_nurture", params={"forms": {form_id: {"campaign_id": nurture}}})
        account_id = a.id
    return account_id, key, cold, nurture


async def _post_clay_burst(gateway: str, n: int) -> dict[int, int]:
    statuses: dict[int, int] = {}
    sem = asyncio.Semaphore(40)  # Clay sends about 40 rows at once
    headers = {"Authorization": f"Bearer {CLAY_SECRET}"}
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int) -> None:
            row = {
                "email": f"lead{i:04d}@prospect{i % 37}.example",
                "first_name": f"Lead{i}",
                "company_name": f"Prospect {i % 37}",
                "row_id": f"row-{i}",
                "custom_fields": {"clay_score": str(i % 100)},
            }
            async with sem:
                r = await client.post(f"{gateway}/v1/{SLUG}/clay", json=row, headers=headers)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        await asyncio.gather(*(one(i) for i in range(n)))
        # A sender retry of row 0 (a duplicate) and a malformed row (bad email).
        dup = await client.post(
            f"{gateway}/v1/{SLUG}/clay",
            headers=headers,
            json={
                "email": "lead0000@prospect0.example",
                "first_name": "Lead0",
                "company_name": "Prospect 0",
                "row_id": "row-0",
                "custom_fields": {"clay_score": "0"},
            },
        )
        statuses[-dup.status_code] = 1 if dup.json().get("duplicate") else 0
        bad = await client.post(
            f"{gateway}/v1/{SLUG}/clay", headers=headers, json={"email": "not-an-email"}
        )
        statuses[-bad.status_code] = 1
    return statuses


def scenario_intake(ctx: DemoContext) -> None:
    """Clay burst (250 single-lead webhooks) + a Typeform submission -> Smartlead campaigns."""

    console.rule("Clay burst and a form submission -> Smartlead campaigns (automations 1, 5)")
    sl = ctx.sandboxes["smartlead"]
    account_id, key, cold, nurture = _setup(ctx)
    started = time.monotonic()
    statuses = asyncio.run(_post_clay_burst(ctx.gateway_url, CLAY_ROWS))
    accepted = statuses.get(202, 0)
    ctx.check(
        "Clay rows accepted by the gateway",
        accepted == CLAY_ROWS,
        f"{accepted} x 202 in {time.monotonic() - started:.1f}s",
    )
    ctx.check(
        "sender retry recognised as duplicate",
        statuses.get(-200) == 1,
        "200 duplicate:true, not enqueued",
    )
    ctx.check("malformed row refused", -422 in statuses, "422 with the field error")

    body = json.dumps(_typeform_payload()).encode()
    sig = (
        "sha256="
        + base64.b64encode(
            hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()
        ).decode()
    )
    r = httpx.post(
        f"{ctx.gateway_url}/v1/{SLUG}/forms/typeform",
        content=body,
        timeout=10,
        headers={"Content-Type": "application/json", "Typeform-Signature": sig},
    )
    ctx.check("Typeform submission accepted", r.status_code == 202, f"HTTP {r.status_code}")

    def stored(campaign: str) -> int:
        return len(httpx.get(f"{sl}/admin/campaigns/{campaign}/leads", timeout=10).json()["leads"])

    wait_until(lambda: stored(cold) >= CLAY_ROWS and stored(nurture) >= 1, 120, 0.5)
    elapsed = time.monotonic() - started
    n_cold, n_nurture = stored(cold), stored(nurture)
    leads = httpx.get(f"{sl}/admin/campaigns/{cold}/leads", timeout=10).json()
    twice = sum(1 for c in leads.get("upload_counts", {}).values() if c > 1)

    ks = httpx.get(f"{sl}/admin/stats", timeout=10).json()["keys"][key_hash(key)]
    ctx.check(
        "every Clay lead stored once",
        n_cold == CLAY_ROWS and twice == 0,
        f"{n_cold} leads in campaign {cold}, {twice} uploaded twice, {elapsed:.1f}s",
    )
    ctx.check(
        "form lead in the nurture campaign",
        n_nurture == 1,
        f"{n_nurture} lead in campaign {nurture}",
    )
    ctx.check(
        "no 429 from Smartlead, windows respected",
        ks["rate_limited"] == 0,
        f"{ks['requests']} Smartlead requests, 429s {ks['rate_limited']}, most accepted "
        f"in any window {ks['max_accepted_in_window']}",
    )
    _print_outcomes(account_id)


def _print_outcomes(account_id: int) -> None:

    table = Table("campaign", "source", "status", "leads", title="lead outcomes (database)")
    with session_scope() as s:
        rows = s.execute(
            select(LeadOutcome.campaign_id, LeadOutcome.source, LeadOutcome.status, func.count())
            .where(LeadOutcome.account_id == account_id)
            .group_by(LeadOutcome.campaign_id, LeadOutcome.source, LeadOutcome.status)
            .order_by(LeadOutcome.campaign_id)
        ).all()
    for campaign, source, status, n in rows:
        table.add_row(str(campaign), source, status, str(n))
    console.print(table)
