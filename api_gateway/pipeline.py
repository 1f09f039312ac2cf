"""The steps every route shares: find the account, read the body, submit jobs, answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from api_gateway import metrics
from api_gateway.accounts_cache import AccountCache, AccountUnavailable, GatewayAccount
from api_gateway.enqueue import Enqueuer, Job
from api_gateway.http import GatewayError, check_content_type, json_response, read_body, unavailable
from api_gateway.verify import check_token
from workers.logging import get_logger
from workers.redaction import SECRET_FIELD_NAMES
from workers.settings import Settings

log = get_logger("api_gateway")

SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RawRoute(APIRoute):
    """A route whose endpoint gets the Request and the path parameters, nothing else.

    The webhook handlers read the raw body themselves (signatures first), so FastAPI's
    dependency solving per request is pure overhead; the route still documents itself in the
    OpenAPI schema like any other.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(request=request, **request.path_params)
            return response

        return handler


@dataclass
class Gateway:
    settings: Settings
    accounts: AccountCache
    enqueuer: Enqueuer

    @property
    def retry_after(self) -> int:
        return self.settings.gateway_retry_after_seconds


def gateway_of(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


async def find_account(gw: Gateway, slug: str, *, missing_status: int = 404) -> GatewayAccount:
    """The account named in the path; ``missing_status`` 503 for senders that disable on 404."""
    account = None
    if SLUG_RE.match(slug):
        try:
            account = await gw.accounts.get(slug)
        except AccountUnavailable:
            raise unavailable("account store unavailable, retry later", gw.retry_after) from None
    if account is None:
        if missing_status == 503:
            raise unavailable(f"unknown account {slug[:64]!r}", gw.retry_after)
        raise GatewayError(404, "unknown_account", f"unknown account {slug[:64]!r}")
    return account


async def raw_json_body(request: Request, gw: Gateway) -> bytes:
    check_content_type(request)
    return await read_body(request, gw.settings.gateway_max_body_bytes)


async def token_request(
    request: Request, slug: str, source: str, *, allow_query: bool = False
) -> tuple[Gateway, GatewayAccount, bytes]:
    """The common start of a token-authenticated route: account, size-checked body, secret."""
    gw = gateway_of(request)
    acct = await find_account(gw, slug)
    raw = await raw_json_body(request, gw)
    check_token(request, acct.secrets_for(source), source, allow_query=allow_query)
    return gw, acct, raw


async def submit(
    gw: Gateway, jobs: Sequence[Job], source: str, extra: dict[str, Any] | None = None
) -> Response:
    """Dedup + enqueue; 202 with the event id(s), 200 ``duplicate`` when all were seen.
    ``extra`` fields are added to either answer (e.g. the onboarding run's id)."""
    try:
        accepted = await gw.enqueuer.submit(jobs)
    except redis.RedisError as exc:
        metrics.REDIS_ERRORS.inc()
        log.warning("enqueue_failed_redis", source=source, error_class=type(exc).__name__)
        raise unavailable("queue unavailable, retry later", gw.retry_after) from None
    new = [job for job, ok in zip(jobs, accepted, strict=True) if ok]
    for job in new:
        metrics.ENQUEUED.labels(job.task_name).inc()
    dups = len(jobs) - len(new)
    if dups:
        metrics.DUPLICATES.labels(source).inc(dups)
    if not new:
        return json_response({"duplicate": True, "event_id": jobs[0].event_id, **(extra or {})})
    body: dict[str, Any] = {"event_id": new[0].event_id, "duplicate": False, **(extra or {})}
    if len(jobs) > 1:
        body["event_ids"] = [job.event_id for job in new]
        body["duplicates"] = dups
    return json_response(body, 202)


async def record_only(
    gw: Gateway, account: GatewayAccount, source: str, event_type: str, event_id: str
) -> Response:
    """An event with no automation: counted (Prometheus + a daily Redis hash), answered 202."""
    try:
        await gw.enqueuer.record_event(account.id, source, event_type)
    except redis.RedisError:
        metrics.REDIS_ERRORS.inc()
        raise unavailable("queue unavailable, retry later", gw.retry_after) from None
    metrics.RECORDED.labels(source, event_type).inc()
    return json_response({"event_id": event_id, "recorded": True}, 202)


def strip_secrets(value: Any, _depth: int = 0) -> Any:
    """The payload without secret-named keys (secret_key, token, signature, ...)."""
    if _depth > 20:
        return None
    if isinstance(value, dict):
        return {
            k: strip_secrets(v, _depth + 1)
            for k, v in value.items()
            if not (isinstance(k, str) and k.lower() in SECRET_FIELD_NAMES)
        }
    if isinstance(value, list):
        return [strip_secrets(v, _depth + 1) for v in value]
    return value
