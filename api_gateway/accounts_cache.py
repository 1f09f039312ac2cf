"""What the gateway needs of an account, cached in-process for a few seconds.

A database query per webhook would cap throughput far below target, so the account id, its
decrypted webhook secrets and the few automation parameters routing needs are kept in memory
for ``gateway_account_cache_seconds``. Concurrent misses for one slug share one query; an
unknown slug is remembered briefly too; a stale entry is served when the database is down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workers.logging import get_logger

log = get_logger("api_gateway.accounts")

NEGATIVE_TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class FormRoute:
    campaign_id: str
    # The form keys mapped to the lead's email (the generic form must carry one of them).
    email_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GatewayAccount:
    id: int
    slug: str
    secrets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    clay_default_campaign_id: str | None = None
    clay_max_custom_fields: int = 20
    forms: Mapping[str, FormRoute] = field(default_factory=dict)

    def secrets_for(self, source: str) -> tuple[str, ...]:
        return self.secrets.get(source, ())


def _secret_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


def load_account(slug: str) -> GatewayAccount | None:
    """Read one active account from the database (runs in a worker thread)."""
    from workers.accounts import automation_config, get_account_by_slug
    from workers.db import session_scope

    with session_scope() as session:
        account = get_account_by_slug(session, slug)
        if account is None or not account.active:
            return None
        secrets = {k: _secret_tuple(v) for k, v in (account.webhook_secrets or {}).items()}
        clay = automation_config(account, "clay_intake").params
        nurture = automation_config(account, "form_nurture").params
        forms = {
            form_id: FormRoute(
                campaign_id=spec.campaign_id,
                email_keys=tuple(
                    k for k, target in spec.field_mapping.items() if target == "email"
                ),
            )
            for form_id, spec in nurture.forms.items()
        }
        return GatewayAccount(
            id=account.id,
            slug=account.slug,
            secrets=secrets,
            clay_default_campaign_id=clay.default_campaign_id,
            clay_max_custom_fields=clay.max_custom_fields,
            forms=forms,
        )


class AccountUnavailable(Exception):
    """The account store could not be read and nothing usable is cached."""


class AccountCache:
    def __init__(
        self, loader: Callable[[str], GatewayAccount | None] = load_account, ttl: float = 30.0
    ) -> None:
        self.loader, self.ttl = loader, ttl
        self._entries: dict[str, tuple[float, GatewayAccount | None]] = {}
        self._inflight: dict[str, asyncio.Future[GatewayAccount | None]] = {}

    def invalidate(self, slug: str | None = None) -> None:
        if slug is None:
            self._entries.clear()
        else:
            self._entries.pop(slug, None)

    async def get(self, slug: str) -> GatewayAccount | None:
        entry = self._entries.get(slug)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        pending = self._inflight.get(slug)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[GatewayAccount | None] = asyncio.get_running_loop().create_future()
        self._inflight[slug] = fut
        try:
            account = await asyncio.to_thread(self.loader, slug)
        except Exception as exc:
            if entry is not None and entry[1] is not None:
                log.warning(
                    "account_store_unavailable_serving_stale",
                    slug=slug,
                    error_class=type(exc).__name__,
                )
                fut.set_result(entry[1])
                return entry[1]
            log.error("account_store_unavailable", slug=slug, error_class=type(exc).__name__)
            err = AccountUnavailable("the account store is unavailable")
            fut.set_exception(err)
            fut.exception()  # mark retrieved: waiters re-raise it themselves
            raise err from None
        finally:
            self._inflight.pop(slug, None)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        ttl = self.ttl if account is not None else min(self.ttl, NEGATIVE_TTL_SECONDS)
        self._entries[slug] = (now + ttl, account)
        fut.set_result(account)
        return account
