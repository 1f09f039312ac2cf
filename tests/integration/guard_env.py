"""Set-up for the reply-guard and send-days integration tests (automations 2 and 9): Smartlead
and Slack sandboxes over loopback, one account on them, campaigns made through the sandbox's
admin API, per-day figures written straight into the store automation 4 fills, and readers
for what each sandbox received."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from workers.clients.errors import RateLimitDeferred

KEY = "sl-guard-key-Zx81Qw"
SLACK_PATH = "T9/B9/guard-client"
TZ = "Europe/Paris"


@dataclass
class GuardStack:
    smartlead: str
    slack: str
    account_id: int = 0

    # ---- Smartlead sandbox ------------------------------------------------------------------
    def sl(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.smartlead}/admin{path}", timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def campaign(self, name: str, status: str = "ACTIVE") -> str:
        body = {"api_key": KEY, "name": name, "status": status}
        return str(self.sl("POST", "/campaigns", json=body)["id"])

    def schedule(self, campaign_id: str, **fields: Any) -> None:
        """Store a schedule as the campaign holds it (write names, quirks allowed)."""
        self.sl("POST", f"/campaigns/{campaign_id}/person/schedule", json=fields)

    def person_sets_status(self, campaign_id: str, status: str) -> None:
        self.sl("POST", f"/campaigns/{campaign_id}/person/status", json={"status": status})

    def detail(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.sl("GET", f"/campaigns/{campaign_id}"))

    def writes(self, campaign_id: str, call: str) -> list[dict[str, Any]]:
        return list(
            self.sl("GET", f"/campaigns/{campaign_id}/writes", params={"call": call})["writes"]
        )

    def requests(self) -> int:
        """Every API request the account's key made (admin calls not counted)."""
        from ops.sandbox.smartlead_state import key_hash

        return int(self.sl("GET", "/stats")["keys"].get(key_hash(KEY), {}).get("requests", 0))

    # ---- Slack sandbox ----------------------------------------------------------------------
    def slack_texts(self) -> list[str]:
        r = httpx.get(f"{self.slack}/admin/messages", timeout=10)
        r.raise_for_status()
        out = []
        for m in r.json()["messages"]:
            parts = [m.get("text") or ""]
            for block in m.get("blocks") or []:
                text = (block.get("text") or {}).get("text")
                if text:
                    parts.append(text)
            out.append("\n".join(parts))
        return out

    # ---- the store automation 4 fills -------------------------------------------------------
    def figures(self, campaign_id: str, rows: dict[dt.date, tuple[int, int]]) -> None:
        """{day: (sent, replies by send date)}; arrival-date replies set off, to show which
        count decides."""
        from workers.campaign_stats import DayFigures, upsert_days
        from workers.db import session_scope

        with session_scope() as s:
            upsert_days(
                s,
                self.account_id,
                campaign_id,
                [
                    DayFigures(d, sent=a, replied_by_sent=b, replied=b + 7)
                    for d, (a, b) in rows.items()
                ],
            )

    def totals(self, campaign_id: str, name: str, status: str) -> None:
        from workers.campaign_stats import upsert_totals
        from workers.db import session_scope

        with session_scope() as s:
            upsert_totals(s, self.account_id, campaign_id, name=name, status=status)

    def configure(self, automation: str, *, dry_run: bool = False, **params: Any) -> None:
        from workers.accounts import get_account, set_automation
        from workers.db import session_scope

        with session_scope() as s:
            account = get_account(s, self.account_id)
            assert account is not None
            set_automation(s, account, automation, dry_run=dry_run, params=params)

    # ---- running a check --------------------------------------------------------------------
    def run(
        self, check: str, work: Callable[[Any], None], today: dt.date, *, dry_run: bool = False
    ) -> Any:
        """Run one account's check as the scheduled task would: a RateLimitDeferred (the Slack
        webhook's 1/s budget) re-runs the whole work after the wait, as ApiTask re-sends it."""
        from workers.scheduling import RunContext

        for _ in range(10):
            ctx = RunContext(
                run_id=int(time.time() * 1000) % 1_000_000,
                check=check,
                account_id=self.account_id,
                period_key=today.isoformat(),
                period_start=today,
                period_end=today,
                timezone=TZ,
                dry_run=dry_run,
            )
            try:
                work(ctx)
                return ctx
            except RateLimitDeferred as exc:
                time.sleep(exc.retry_after)
        raise AssertionError("still deferred after 10 attempts")


def days_back(today: dt.date, n: int) -> list[dt.date]:
    """The ``n`` complete days before ``today``, oldest first."""
    return [today - dt.timedelta(days=i) for i in range(n, 0, -1)]


def audit_rows(**where: Any) -> list[Any]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        q = select(AuditLog).order_by(AuditLog.id)
        for name, value in where.items():
            q = q.where(getattr(AuditLog, name) == value)
        return list(s.scalars(q))


@contextmanager
def guard_stack() -> Iterator[GuardStack]:
    """Sandboxes up, one account (Paris time, a Slack webhook) on them."""
    from ops.sandbox import slack, smartlead
    from ops.sandbox.serve import serve
    from workers.db import session_scope
    from workers.models import Account

    with ExitStack() as es:
        stack = GuardStack(
            smartlead=es.enter_context(serve(smartlead.create_app())),
            slack=es.enter_context(serve(slack.create_app(rate_per_second=50, burst=50))),
        )
        httpx.post(
            f"{stack.smartlead}/admin/keys",
            json={"api_key": KEY, "limits": [[100, 1]]},
            timeout=10,
        ).raise_for_status()
        with session_scope() as s:
            account = Account(
                slug="guard-client",
                name="Guard Client",
                timezone=TZ,
                smartlead_api_key=KEY,
                smartlead_base_url=f"{stack.smartlead}/api/v1",
                slack_webhook_url=f"{stack.slack}/services/{SLACK_PATH}",
            )
            s.add(account)
            s.flush()
            stack.account_id = account.id
        yield stack
