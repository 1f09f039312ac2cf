"""In-memory Smartlead mailboxes and Slack for the flow's unit tests, and account set-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from workers.clients.errors import RateLimitDeferred
from workers.clients.smartlead_models import EmailAccount, WarmupStats
from workers.scheduling import RunContext


def mailbox(id: int, client_id: int | None = None, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": id,
        "from_email": f"box{id}@acme.io",
        "client_id": client_id,
        "is_smtp_success": True,
        "is_imap_success": True,
        "daily_sent_count": 3,
        "message_per_day": 40,
        "warmup_details": {"status": "ACTIVE", "warmup_reputation": "98%"},
    }
    row.update(over)
    return row


class FakeMailboxes:
    """The key's mailboxes (pages of 100); counts each call the flow makes."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = {r["id"]: r for r in rows}
        self.list_calls = 0
        self.warmup_calls: list[int] = []
        self.updates: list[tuple[int, dict[str, Any]]] = []
        self.warmup: dict[int, dict[str, Any]] = {}
        self.fail_updates: Exception | None = None
        self.offsets: list[int] = []  # pages answered
        self.defer_at_offset: int | None = None  # the limiter says "later" once, there

    def set(self, id: int, **over: Any) -> None:
        self.rows[id].update(over)

    def list_email_accounts_page(
        self, offset: int, limit: int = 100, client_id: int | None = None
    ) -> list[EmailAccount]:
        self.list_calls += 1
        if self.defer_at_offset is not None and offset == self.defer_at_offset:
            self.defer_at_offset = None
            raise RateLimitDeferred(0.5, key_id="fake")
        self.offsets.append(offset)
        rows = [r for _, r in sorted(self.rows.items())][offset : offset + limit]
        return [EmailAccount.model_validate(r) for r in rows]

    def get_warmup_stats(self, email_account_id: int) -> WarmupStats:
        self.warmup_calls.append(email_account_id)
        return WarmupStats.model_validate(self.warmup.get(email_account_id, {}))

    def update_email_account(self, email_account_id: int, body: Any) -> dict[str, Any]:
        self.updates.append((email_account_id, dict(body)))
        if self.fail_updates is not None:
            raise self.fail_updates
        self.rows[email_account_id]["message_per_day"] = body["max_email_per_day"]
        return {"ok": True}

    def close(self) -> None:
        pass


class FakeSlack:
    def __init__(self, fail: Exception | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self.fail = fail

    def post(self, text: str, blocks: Any = None) -> None:
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        self.messages.append({"text": text, "blocks": blocks})

    def close(self) -> None:
        pass


def make_account(
    slug: str,
    *,
    key: str = "sl-key-shared",
    client_id: int | None = None,
    params: dict[str, Any] | None = None,
    tz: str = "Europe/Paris",
) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(
            slug=slug,
            name=f"{slug.title()} Ltd",
            timezone=tz,
            smartlead_api_key=key,
            smartlead_client_id=client_id,
            slack_webhook_url=f"https://hooks.slack.test/services/{slug}",
        )
        s.add(a)
        s.flush()
        set_automation(s, a, "mailbox_health", params=params or {})
        return a.id


def ctx_for(account_id: int, day: dt.date, *, dry_run: bool = False, tz: str = "Europe/Paris"):
    return RunContext(
        run_id=1,
        check="mailbox_health",
        account_id=account_id,
        period_key=day.isoformat(),
        period_start=day,
        period_end=day,
        timezone=tz,
        dry_run=dry_run,
    )
