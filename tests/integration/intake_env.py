"""Shared set-up for lead-intake integration tests: Smartlead sandbox over loopback, an account
pointed at it, and helpers to read outcomes and what the sandbox stored."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

API_KEY = "sl-intake-test-key"


@dataclass
class IntakeEnv:
    base_url: str  # sandbox root (admin API under /admin)
    account_id: int
    campaign_id: str
    slug: str = "acme"

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.base_url}/admin{path}", timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def stored(self) -> dict[str, Any]:
        return self.admin("GET", f"/campaigns/{self.campaign_id}/leads")  # type: ignore[no-any-return]

    def key_stats(self) -> dict[str, Any]:
        keys = self.admin("GET", "/stats")["keys"]
        return next(iter(keys.values())) if keys else {}

    def add_leads_calls(self) -> int:
        return int(self.key_stats().get("requests_by_status", {}).get("200", 0))

    def faults(self, **fields: Any) -> None:
        self.admin("POST", "/faults", json={"api_key": API_KEY, **fields})


def make_env(
    base_url: str, *, chunk_size: int, max_delay: float, limits: list[list[float]] | None = None
) -> IntakeEnv:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    limits = limits or [[1000, 1]]
    httpx.post(
        f"{base_url}/admin/keys",
        json={"api_key": API_KEY, "limits": limits, "max_leads_per_request": 100},
    ).raise_for_status()
    camp = httpx.post(
        f"{base_url}/admin/campaigns", json={"api_key": API_KEY, "name": "Intake"}
    ).json()["id"]
    with session_scope() as s:
        account = Account(
            slug="acme",
            name="Acme",
            smartlead_api_key=API_KEY,
            smartlead_base_url=f"{base_url}/api/v1",
            rate_limit_plan="custom",
            rate_limits=limits,
        )
        s.add(account)
        s.flush()
        set_automation(
            s,
            account,
            "clay_intake",
            params={
                "chunk_size": chunk_size,
                "max_delay_seconds": max_delay,
                "default_campaign_id": str(camp),
            },
        )
        account_id = account.id
    return IntakeEnv(base_url, account_id, str(camp))


def outcomes(account_id: int) -> dict[str, str]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        rows = (
            s.execute(
                select(LeadOutcome.email, LeadOutcome.status).where(
                    LeadOutcome.account_id == account_id
                )
            )
            .tuples()
            .all()
        )
    return dict(rows)


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    *,
    every: float = 0.1,
    tick: Callable[[], Any] | None = None,
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        if tick:
            tick()
        time.sleep(every)


def lead(i: int, **extra: Any) -> dict[str, Any]:
    return {"email": f"lead{i}@example.com", "first_name": f"L{i}", "company_name": "Co", **extra}
