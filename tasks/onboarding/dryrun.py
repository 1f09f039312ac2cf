"""Dry run: the same saga, in process, with every Smartlead write captured instead of sent.

The real client code builds each request (so the bodies printed are exactly what would go on
the wire); an httpx transport forwards the reads (they decide the bodies) and answers each write
itself with a plausible success, the new campaign being id 0 (shown as ``<new>``). Nothing is
written to LeadOps either: the run lives in memory. Secrets never reach the output: the key is
a query parameter, dropped from what is recorded, and the webhook URL's secret is redacted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from tasks.onboarding.saga import (
    ALL_STEPS,
    CLEANUP,
    Env,
    Outcome,
    RunView,
    StepView,
    advance,
)
from tasks.onboarding.services import LiveServices
from tasks.onboarding.steps import STEP_FUNCTIONS
from workers.clients.smartlead import SmartleadClient
from workers.models import Account
from workers.redaction import redact

NEW_ID = 0
NEW_CAMPAIGN = f"/campaigns/{NEW_ID}"


@dataclass
class Call:
    account: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    how: str  # "read" (performed) | "read (answered locally: new campaign)" | "would send"

    def render(self) -> str:
        path = self.path.replace(NEW_CAMPAIGN, "/campaigns/<new>")
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        line = f"[{self.account}] {self.method} {path}{'?' + query if query else ''}  ({self.how})"
        if self.body is not None:
            line += "\n" + json.dumps(self.body, indent=2, sort_keys=True)
        return redact(line)


def _fake_answer(method: str, path: str, body: Any) -> Any:
    if path == "/campaigns/create":
        return {"ok": True, "id": NEW_ID, "name": (body or {}).get("name"), "created_at": None}
    if path.endswith("/duplicate"):
        return {"ok": True, "newCampaignId": NEW_ID}
    if path == "/client/save":
        return {"ok": True, "clientId": NEW_ID}
    if path.endswith("/webhooks") and method == "POST":
        return {"ok": True, "data": {**(body or {}), "id": NEW_ID}}
    return {"ok": True}


def _local_read(path: str) -> Any:
    """What the new (never created) campaign would answer."""
    if path == NEW_CAMPAIGN:
        return {"id": NEW_ID, "status": "DRAFTED"}
    return []


class DryRunTransport(httpx.BaseTransport):
    def __init__(self, account: str, base_url: str, calls: list[Call]) -> None:
        self.account, self.calls = account, calls
        self.prefix = urlsplit(base_url).path.rstrip("/")
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :]
        query = {k: v for k, v in request.url.params.items() if k != "api_key"}
        body = json.loads(request.content) if request.content else None
        if request.method == "GET":
            if path == NEW_CAMPAIGN or path.startswith(NEW_CAMPAIGN + "/"):
                self.calls.append(
                    Call(self.account, "GET", path, query, None, "read, answered locally")
                )
                return httpx.Response(200, json=_local_read(path), request=request)
            self.calls.append(Call(self.account, "GET", path, query, None, "read"))
            return self._real.handle_request(request)
        self.calls.append(Call(self.account, request.method, path, query, body, "would send"))
        return httpx.Response(200, json=_fake_answer(request.method, path, body), request=request)

    def close(self) -> None:
        self._real.close()


class DryRunServices(LiveServices):
    dry_run = True

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.leadops: list[str] = []  # what would change in LeadOps itself

    def build_client(self, account: Account) -> SmartleadClient:
        base = account.smartlead_base_url or self.settings_base_url()
        key = account.smartlead_api_key or ""
        transport = DryRunTransport(account.slug, base, self.calls)
        return SmartleadClient(key, base_url=base, transport=transport)

    @staticmethod
    def settings_base_url() -> str:
        from workers.settings import get_settings

        return get_settings().smartlead_base_url

    def save_client_id(self, account_id: int, client_id: int) -> None:
        self.leadops.append(f"account {account_id}: smartlead_client_id = <new client>")

    def webhook_secret(self, account_id: int) -> str:
        account = self._account(account_id)
        value = (account.webhook_secrets or {}).get("smartlead") if account else None
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return value
        self.leadops.append(f"account {account_id}: a Smartlead webhook secret would be generated")
        return "<generated secret>"

    def record_campaign(self, account_id: int, targets: Sequence[str], campaign_id: int) -> None:
        for target in targets:
            self.leadops.append(f"account {account_id}: {target} = <new campaign>")

    def notify(self, run: RunView) -> None:
        return None


class MemoryStore:
    """The saga's Store for one in-memory run (no lease contention: one runner)."""

    def __init__(self, run: RunView) -> None:
        self.run = run

    def load(self, run_id: int) -> RunView:
        import copy

        return copy.deepcopy(self.run)

    def claim(self, run_id: int, owner: str, lease_seconds: float) -> bool:
        return self.run.state not in ("succeeded", "failed")

    def release(self, run_id: int, owner: str) -> None:
        return None

    def begin_step(self, run_id: int, name: str, owner: str, lease_seconds: float) -> None:
        if name != CLEANUP:
            self.run.step, self.run.state = name, "running"
        self.run.steps[name].state = "running"

    def record_intent(self, run_id: int, name: str, data: dict[str, Any]) -> None:
        self.run.steps[name].result.update(data)

    def step_error(self, run_id: int, name: str, message: str, *, failed: bool) -> None:
        step = self.run.steps[name]
        step.error = message
        if failed:
            step.state = "failed"
        else:
            step.failures += 1

    def finish_step(self, run_id: int, name: str, outcome: Outcome) -> None:
        step = self.run.steps[name]
        step.state = "skipped" if outcome.skipped else "done"
        step.result.update(outcome.result)
        step.note, step.error = outcome.note, ""
        for name_ in ("campaign_id", "client_id"):
            if outcome.result.get(name_) is not None:
                setattr(self.run, name_, int(outcome.result[name_]))

    def fail(self, run_id: int, name: str, message: str) -> None:
        step = self.run.steps[name]
        step.state, step.error = "failed", message
        self.run.state, self.run.step, self.run.error = "compensating", name, f"{name}: {message}"

    def finish(self, run_id: int, state: str, cleanup: str = "") -> None:
        self.run.state = state
        if cleanup:
            self.run.cleanup = cleanup

    def mark_notified(self, run_id: int) -> None:
        self.run.notified = True


@dataclass
class DryRun:
    run: RunView
    calls: list[Call] = field(default_factory=list)
    leadops: list[str] = field(default_factory=list)


def dry_run(
    *,
    account_id: int,
    template_account_id: int,
    template_campaign_id: int,
    name: str,
    mailbox_ids: list[int] | None = None,
    start: bool = False,
    keep_partial: bool = False,
) -> DryRun:
    """Walk every step without writing anything; the calls it would make, in order."""
    run = RunView(
        id=0,
        key="dry-run",
        account_id=account_id,
        template_account_id=template_account_id,
        template_campaign_id=int(template_campaign_id),
        name=name.strip(),
        options={
            "mailbox_ids": list(mailbox_ids or []),
            "start": start,
            "keep_partial": keep_partial,
        },
        steps={n: StepView(n, i) for i, n in enumerate(ALL_STEPS)},
    )
    services = DryRunServices()
    store = MemoryStore(run)
    env = Env(store, services, owner="dry-run", lease_seconds=60, retry_transient=False)
    try:
        final = advance(0, env, STEP_FUNCTIONS)
    finally:
        services.close()
    return DryRun(final, services.calls, services.leadops)
