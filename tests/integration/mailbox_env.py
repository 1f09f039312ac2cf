"""Set-up for the mailbox-health integration tests (automation 7): the Smartlead and Slack
sandboxes over loopback, accounts pointed at them, mailboxes seeded through the admin API, and
one morning's check run the way the scheduling mechanism runs it (a RunContext per account and
local day) against real Redis (shared listing, limiter, alert claims) and the database."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

LIMITS = [[10, 2], [60, 60]]  # the default plan: the listing must fit the real budget


@dataclass
class MailboxStack:
    smartlead: str
    slack: str
    deferrals: int = 0  # of the last morning

    # ---- Smartlead sandbox ------------------------------------------------------------------
    def sl(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.smartlead}/admin{path}", timeout=15, **kw)
        r.raise_for_status()
        return r.json()

    def add_key(self, key: str) -> None:
        self.sl("POST", "/keys", json={"api_key": key, "limits": LIMITS})

    def seed(self, key: str, mailboxes: list[dict[str, Any]]) -> list[int]:
        return list(
            self.sl("POST", "/mailboxes/batch", json={"api_key": key, "mailboxes": mailboxes})[
                "ids"
            ]
        )

    def change(self, box_id: int, **fields: Any) -> dict[str, Any]:
        return self.sl("POST", f"/mailboxes/{box_id}", json=fields)  # type: ignore[no-any-return]

    def mailboxes(self, key: str) -> dict[int, dict[str, Any]]:
        boxes = self.sl("GET", "/mailboxes", params={"api_key": key})["mailboxes"]
        return {b["id"]: b for b in boxes}

    def requests(self, key: str) -> int:
        from ops.sandbox.smartlead_state import key_hash

        stats = self.sl("GET", "/stats")["keys"].get(key_hash(key), {})
        return int(stats.get("requests", 0))

    # ---- Slack sandbox ----------------------------------------------------------------------
    def messages(self, slug: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.slack}/admin/messages", params={"path": hook(slug)}, timeout=10)
        r.raise_for_status()
        assert r.json()["refused"] == [], r.json()["refused"]
        return list(r.json()["messages"])

    # ---- accounts and mornings --------------------------------------------------------------
    def account(
        self,
        slug: str,
        key: str,
        *,
        client_id: int | None = None,
        params: dict[str, Any] | None = None,
        tz: str = "America/New_York",
    ) -> int:
        from workers.accounts import set_automation
        from workers.db import session_scope
        from workers.models import Account

        with session_scope() as s:
            a = Account(
                slug=slug,
                name=f"{slug.title()} Inc",
                timezone=tz,
                smartlead_api_key=key,
                smartlead_base_url=f"{self.smartlead}/api/v1",
                smartlead_client_id=client_id,
                slack_webhook_url=f"{self.slack}/services/{hook(slug)}",
            )
            s.add(a)
            s.flush()
            set_automation(s, a, "mailbox_health", params=params or {})
            return a.id

    def morning(self, account_id: int, day: dt.date, tz: str = "America/New_York") -> Any:
        """One morning's run. A ``RateLimitDeferred`` (the Slack webhook's 1/s, the key's
        budget) is what ApiTask turns into "send me again in retry_after": do the same here,
        with a fresh context, as the mechanism would for the same run."""
        from tasks.mailbox_health.flow import check_mailboxes
        from workers.clients.errors import RateLimitDeferred
        from workers.scheduling import RunContext

        self.deferrals = 0
        while True:
            ctx = RunContext(
                run_id=int(day.strftime("%Y%m%d")) * 1000 + account_id,
                check="mailbox_health",
                account_id=account_id,
                period_key=day.isoformat(),
                period_start=day,
                period_end=day,
                timezone=tz,
            )
            try:
                check_mailboxes(ctx)
                return ctx
            except RateLimitDeferred as exc:
                self.deferrals += 1
                assert self.deferrals <= 5, "deferred again and again"
                time.sleep(exc.retry_after + 0.05)


def hook(slug: str) -> str:
    return f"T0MAIL/B0MAIL/{slug}"


def boxes(n: int, *, prefix: str = "sdr", client_id: int | None = None) -> list[dict[str, Any]]:
    return [
        {"email": f"{prefix}{i:03d}@sender.test", "reputation": "98%", "client_id": client_id}
        for i in range(n)
    ]


@contextmanager
def mailbox_stack() -> Iterator[MailboxStack]:
    from ops.sandbox import slack, smartlead
    from ops.sandbox.serve import serve

    with ExitStack() as es:
        yield MailboxStack(
            smartlead=es.enter_context(serve(smartlead.create_app())),
            slack=es.enter_context(serve(slack.create_app(rate_per_second=50, burst=50))),
        )


def stored(account_id: int, day: dt.date) -> dict[str, Any]:
    from workers.db import session_scope
    from workers.mailbox_stats import days_between

    with session_scope() as s:
        return {r.email: r for r in days_between(s, account_id, day, day)}
