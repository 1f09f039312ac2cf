"""The key's mailbox listing for the morning, fetched once per key (``shared_listing``) and
resumable page by page.

Why resumable: on the default plan the bulk lane admits about 9 requests per 2 s, so a key with
more than ~900 mailboxes cannot be listed in one go; the limiter defers the task
(``RateLimitDeferred``) mid-listing. Restarting from page 1 on every re-run would never finish.
Pages already read are kept in Redis for the local day (per key, like the listing itself), so
each run continues from the next offset and the listing always completes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from tasks.mailbox_health.parse import listing_row
from workers.clients.smartlead import PAGE_LIMIT
from workers.clients.smartlead_models import EmailAccount
from workers.models import Account
from workers.scheduling import key_group, shared_listing

LISTING = "email-accounts"  # shared with any check that lists a key's mailboxes that morning
PAGES_TTL_SECONDS = 3 * 3600


class PageReader(Protocol):
    def list_email_accounts_page(
        self, offset: int, limit: int = PAGE_LIMIT, client_id: int | None = None
    ) -> list[EmailAccount]: ...


def pages_key(account: Account, period_key: str) -> str:
    return f"leadops:listing-pages:{key_group(account)}:{LISTING}:{period_key}"


def paged_fetch(client: PageReader, key: str, redis: Any) -> Callable[[], list[dict[str, Any]]]:
    """A ``fetch`` for ``shared_listing`` that keeps each page it read under ``key``."""

    def fetch() -> list[dict[str, Any]]:
        done = {int(_text(k)): json.loads(v) for k, v in redis.hgetall(key).items()}
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = done.get(offset)
            if page is None:
                page = [listing_row(b) for b in client.list_email_accounts_page(offset)]
                redis.hset(key, str(offset), json.dumps(page, separators=(",", ":")))
                redis.expire(key, PAGES_TTL_SECONDS)
            rows.extend(page)
            if len(page) < PAGE_LIMIT:
                break
            offset += PAGE_LIMIT
        redis.delete(key)  # the whole listing is now shared_listing's to keep
        seen: set[Any] = set()
        unique = []
        for row in rows:  # a mailbox added between two runs may shift one into two pages
            if row.get("id") not in seen:
                seen.add(row.get("id"))
                unique.append(row)
        return unique

    return fetch


def mailboxes_of_key(
    account: Account, period_key: str, client: PageReader, redis: Any
) -> list[dict[str, Any]]:
    """Every mailbox row of the account's key this morning (all clients of an agency key)."""
    fetch = paged_fetch(client, pages_key(account, period_key), redis)
    return shared_listing(account, LISTING, period_key, fetch, redis=redis)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


__all__ = ["LISTING", "mailboxes_of_key", "paged_fetch", "pages_key"]
