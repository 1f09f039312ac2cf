"""Set-up for the reply-routing integration tests (automations 3 and 6): Smartlead, HubSpot and
Slack sandboxes and the webhook gateway over loopback, N accounts of one agency, one campaign
whose webhooks point at the gateway, and readers for what each sandbox received."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

LEADS = ["ann@acme.io", "bob@beta.io", "cat@gamma.io", "dan@delta.io", "eve@eps.io"]
CAMPAIGN_NAME = "Spring outreach"
EVENTS = ["EMAIL_REPLY", "LEAD_CATEGORY_UPDATED", "LEAD_UNSUBSCRIBED"]
CATEGORY_IDS = {
    "Interested": 1,
    "Meeting Request": 2,
    "Not Interested": 3,
    "Do Not Contact": 4,
    "Information Request": 5,
    "Out Of Office": 6,
    "Wrong Person": 7,
}


@dataclass
class ReplyStack:
    smartlead: str
    hubspot: str
    slack: str
    gateway: str
    account_ids: list[int] = field(default_factory=list)
    campaign_id: int = 0

    # ---- Smartlead sandbox ------------------------------------------------------------------
    def sl(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.smartlead}/admin{path}", timeout=15, **kw)
        r.raise_for_status()
        return r.json()

    def simulate(self, kind: str, email: str, **body: Any) -> Any:
        return self.sl(
            "POST",
            f"/simulate/{kind}",
            json={"campaign_id": self.campaign_id, "email": email, **body},
        )

    def block_list(self, i: int) -> list[str]:
        return list(self.sl("GET", "/blocklist", params={"api_key": key(i)})["entries"])

    def requests_of(self, i: int) -> int:
        from ops.sandbox.smartlead_state import key_hash

        stats = self.sl("GET", "/stats")["keys"].get(key_hash(key(i)), {})
        return int(stats.get("requests", 0))

    # ---- HubSpot sandbox --------------------------------------------------------------------
    def hs(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.hubspot}/admin{path}", timeout=15, **kw)
        r.raise_for_status()
        return r.json()

    def contact(self, email: str) -> dict[str, Any] | None:
        found = self.hs("GET", "/contacts", params={"email": email})["contacts"]
        return found[0]["properties"] if found else None

    def hs_requests(self) -> list[dict[str, Any]]:
        return list(self.hs("GET", "/requests")["requests"])

    def hs_fault(self, account: int = 0, **fields: Any) -> None:
        self.hs("POST", "/faults", json={"token": token(account), **fields})

    # ---- Slack sandbox ----------------------------------------------------------------------
    def slack_messages(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.slack}/admin/messages", timeout=10)
        r.raise_for_status()
        return list(r.json()["messages"])

    # ---- gateway ----------------------------------------------------------------------------
    def post_webhook(self, payload: dict[str, Any], account: int = 0) -> httpx.Response:
        body = {**payload, "secret_key": secret(account)}
        return httpx.post(f"{self.gateway}/v1/{slug(account)}/smartlead", json=body, timeout=10)


def slug(i: int) -> str:
    return f"client{i}"


def key(i: int) -> str:
    return f"sl-key-{slug(i)}"


def token(i: int) -> str:
    return f"hs-token-{slug(i)}"


def secret(i: int) -> str:
    return f"whsec-{slug(i)}"


def category_payload(email: str, name: str, ts: str, campaign_id: int) -> dict[str, Any]:
    """LEAD_CATEGORY_UPDATED as Smartlead sends it (smartlead-api.md), with a chosen time."""
    return {
        "event_type": "LEAD_CATEGORY_UPDATED",
        "event_timestamp": ts,
        "lead_id": 555,
        "campaign_id": campaign_id,
        "campaign_name": CAMPAIGN_NAME,
        "client_id": None,
        "to_email": email,
        "to_name": "",
        "from_email": "sdr@agency.test",
        "lead_category": {
            "old_id": None,
            "old_name": None,
            "new_id": CATEGORY_IDS[name],
            "new_name": name,
        },
        "lead_data": {"email": email, "first_name": "", "last_name": ""},
        "history": [],
        "last_reply": {"message_id": "<r@lead.test>", "time": ts, "text": "see above"},
    }


def _accounts(stack: ReplyStack, n: int) -> None:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        for i in range(n):
            httpx.post(
                f"{stack.smartlead}/admin/keys",
                json={
                    "api_key": key(i),
                    "limits": [[10, 2], [60, 60]],
                    "webhook_secret": secret(i),
                },
                timeout=10,
            ).raise_for_status()
            a = Account(
                slug=slug(i),
                name=f"Client {i}",
                smartlead_api_key=key(i),
                smartlead_base_url=f"{stack.smartlead}/api/v1",
                hubspot_token=token(i),
                hubspot_base_url=stack.hubspot,
                slack_webhook_url=f"{stack.slack}/services/T0/B0/{slug(i)}",
                webhook_secrets={"smartlead": secret(i)},
                group_name="agency",
            )
            s.add(a)
            s.flush()
            set_automation(s, a, "crm_sync", params={"notify_slack": True})
            set_automation(s, a, "blocklist", params={"scope": "all"})
            stack.account_ids.append(a.id)


def _campaign(stack: ReplyStack) -> None:
    from workers.clients.smartlead import SmartleadClient

    stack.campaign_id = int(
        stack.sl(
            "POST",
            "/campaigns",
            json={"api_key": key(0), "name": CAMPAIGN_NAME, "status": "ACTIVE"},
        )["id"]
    )
    client = SmartleadClient(key(0), base_url=f"{stack.smartlead}/api/v1")
    try:
        client.add_leads(
            stack.campaign_id, [{"email": e, "first_name": e.split("@")[0].title()} for e in LEADS]
        )
        client.save_campaign_webhook(
            stack.campaign_id,
            name="LeadOps",
            webhook_url=f"{stack.gateway}/v1/{slug(0)}/smartlead",
            event_types=EVENTS,
        )
    finally:
        client.close()


@contextmanager
def reply_stack(tmp_path: Path, *, accounts: int = 4, concurrency: int = 4) -> Iterator[ReplyStack]:
    from api_gateway.app import create_app as gateway_app
    from ops.sandbox import hubspot, slack, smartlead
    from ops.sandbox.serve import serve
    from tests.conftest import start_worker, stop_process

    with ExitStack() as es:
        stack = ReplyStack(
            smartlead=es.enter_context(serve(smartlead.create_app())),
            hubspot=es.enter_context(serve(hubspot.create_app(accept_any_token=True))),
            slack=es.enter_context(serve(slack.create_app(rate_per_second=50, burst=50))),
            gateway=es.enter_context(serve(gateway_app())),
        )
        _accounts(stack, accounts)
        _campaign(stack)
        worker = start_worker(tmp_path, concurrency=concurrency)
        es.callback(stop_process, worker.proc)
        yield stack


def audit_rows(**where: Any) -> list[Any]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        q = select(AuditLog).order_by(AuditLog.id)
        for name, value in where.items():
            q = q.where(getattr(AuditLog, name) == value)
        return list(s.scalars(q))


def rows(model: Any) -> list[Any]:
    from sqlalchemy import select

    from workers.db import session_scope

    with session_scope() as s:
        return list(s.scalars(select(model)))
