"""Demo scenario for automations 3 and 6: a reply, an Interested category and an unsubscribe go
from the Smartlead sandbox through the gateway and the workers; prints what reached HubSpot,
Slack and every account's Smartlead block list. Run by ops/demo/run.py."""

from __future__ import annotations

from typing import Any

import httpx
from rich.table import Table
from sqlalchemy import select

from ops.demo.context import DemoContext, console, wait_until
from ops.sandbox.smartlead_state import key_hash
from workers.accounts import set_automation
from workers.clients.smartlead import SmartleadClient
from workers.db import session_scope
from workers.models import Account, BlockPush

ACCOUNTS = 3
LEAD = "jane@northwind.example"
OPT_OUT = "mark@contoso.example"
CAMPAIGN = "Demo: reply routing"


def _slug(i: int) -> str:
    return f"replies-{i}"


def _setup(ctx: DemoContext) -> tuple[int, list[int]]:

    sl, hs, sk = (ctx.sandboxes[n] for n in ("smartlead", "hubspot", "slack"))
    ids: list[int] = []
    with session_scope() as s:
        for i in range(ACCOUNTS):
            key, token, secret = f"sl-demo-{_slug(i)}", f"hs-demo-{_slug(i)}", f"wh-{_slug(i)}"
            httpx.post(
                f"{sl}/admin/keys", json={"api_key": key, "webhook_secret": secret}, timeout=10
            ).raise_for_status()
            httpx.post(f"{hs}/admin/tokens", json={"token": token}, timeout=10).raise_for_status()
            a = Account(
                slug=_slug(i),
                name=f"Replies client {i}",
                smartlead_api_key=key,
                smartlead_base_url=f"{sl}/api/v1",
                hubspot_token=token,
                hubspot_base_url=hs,
                slack_webhook_url=f"{sk}/services/T1/B1/{_slug(i)}",
                webhook_secrets={"smartlead": secret},
                group_name="demo-agency",
            )
            s.add(a)
            s.flush()
            set_automation(s, a, "crm_sync", params={"notify_slack": True})
            set_automation(s, a, "blocklist", params={"scope": "all"})
            ids.append(a.id)
    key0 = f"sl-demo-{_slug(0)}"
    campaign = int(
        httpx.post(
            f"{sl}/admin/campaigns",
            json={"api_key": key0, "name": CAMPAIGN, "status": "ACTIVE"},
            timeout=10,
        ).json()["id"]
    )
    client = SmartleadClient(key0, base_url=f"{sl}/api/v1")
    try:
        client.add_leads(
            campaign,
            [{"email": LEAD, "first_name": "Jane"}, {"email": OPT_OUT, "first_name": "Mark"}],
        )
        client.save_campaign_webhook(
            campaign,
            name="LeadOps",
            webhook_url=f"{ctx.gateway_url}/v1/{_slug(0)}/smartlead",
            event_types=["EMAIL_REPLY", "LEAD_CATEGORY_UPDATED", "LEAD_UNSUBSCRIBED"],
        )
    finally:
        client.close()
    httpx.post(
        f"{hs}/admin/contacts",
        json={"email": LEAD, "lifecyclestage": "lead", "firstname": "Jane"},
        timeout=10,
    )
    return campaign, ids


def _contact(ctx: DemoContext, email: str) -> dict[str, Any]:
    found = httpx.get(
        f"{ctx.sandboxes['hubspot']}/admin/contacts", params={"email": email}, timeout=10
    ).json()["contacts"]
    return dict(found[0]["properties"]) if found else {}


def scenario_reply_routing(ctx: DemoContext) -> None:
    """EMAIL_REPLY -> HubSpot; Interested -> lifecycle + Slack; unsubscribe -> every block list."""

    console.rule("reply routing: HubSpot sync, Slack, agency-wide block list")
    if not {"smartlead", "hubspot", "slack"} <= set(ctx.sandboxes):
        ctx.check("reply routing", False, "sandboxes missing")
        return
    sl = ctx.sandboxes["smartlead"]
    campaign, ids = _setup(ctx)

    def simulate(kind: str, email: str, **body: Any) -> None:
        httpx.post(
            f"{sl}/admin/simulate/{kind}",
            json={"campaign_id": campaign, "email": email, **body},
            timeout=15,
        ).raise_for_status()

    simulate("reply", LEAD, text="Happy to talk - does Tuesday work?")
    got = wait_until(lambda: _contact(ctx, LEAD).get("smartlead_replied") == "true", 30)
    c = _contact(ctx, LEAD)
    ctx.check(
        "reply reached HubSpot",
        bool(got),
        f"last_reply_date={c.get('last_reply_date')} smartlead_campaign="
        f"{c.get('smartlead_campaign')!r} smartlead_replied={c.get('smartlead_replied')}",
    )

    simulate("category", LEAD, category="Interested")
    got = wait_until(
        lambda: _contact(ctx, LEAD).get("smartlead_reply_category") == "Interested", 30
    )
    c = _contact(ctx, LEAD)
    stage = c.get("lifecyclestage")
    ctx.check(
        "Interested reached HubSpot",
        bool(got) and stage == "salesqualifiedlead",
        f"smartlead_reply_category={c.get('smartlead_reply_category')} "
        f"lifecyclestage lead -> {stage}",
    )
    msgs = (
        wait_until(
            lambda: httpx.get(f"{ctx.sandboxes['slack']}/admin/messages", timeout=10).json()[
                "messages"
            ],
            30,
        )
        or []
    )
    ctx.check(
        "Slack notified", len(msgs) == 1, msgs[0]["text"].splitlines()[0] if msgs else "no message"
    )

    simulate("unsubscribe", OPT_OUT, repeat=2)

    def block_lists() -> list[list[str]]:
        return [
            httpx.get(
                f"{sl}/admin/blocklist", params={"api_key": f"sl-demo-{_slug(i)}"}, timeout=10
            ).json()["entries"]
            for i in range(ACCOUNTS)
        ]

    wait_until(lambda: all(OPT_OUT in entries for entries in block_lists()), 30)
    table = Table("account", "Smartlead block list", "push outcome")
    lists = block_lists()
    pushes = _push_outcomes(ids)
    for i, entries in enumerate(lists):
        table.add_row(_slug(i), ", ".join(entries) or "-", pushes.get(ids[i], "-"))
    console.print(table)
    # The other accounts never talked to Smartlead before: their request count is the number
    # of block-list calls LeadOps made for them.

    stats = httpx.get(f"{sl}/admin/stats", timeout=10).json()["keys"]
    calls = [
        stats.get(key_hash(f"sl-demo-{_slug(i)}"), {}).get("requests", 0)
        for i in range(1, ACCOUNTS)
    ]
    ctx.check(
        "unsubscribe blocked in every account",
        all(OPT_OUT in e for e in lists) and calls == [1] * (ACCOUNTS - 1),
        f"{OPT_OUT} on {sum(OPT_OUT in e for e in lists)}/{ACCOUNTS} block lists; "
        f"block-list calls in the other accounts: {calls}",
    )


def _push_outcomes(account_ids: list[int]) -> dict[int, str]:

    with session_scope() as s:
        return {
            p.account_id: p.status
            for p in s.scalars(select(BlockPush).where(BlockPush.account_id.in_(account_ids)))
        }
