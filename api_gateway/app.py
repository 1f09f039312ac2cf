"""The gateway's ASGI app (FastAPI). Routes live in api_gateway/routes_*.py.

Every route reads the raw body (signatures are checked on the bytes before parsing), finds
the account from a short-lived in-process cache, deduplicates and enqueues in one Redis round
trip, and answers in milliseconds. See task_names.py for what reaches the workers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from api_gateway import metrics, openapi_docs
from api_gateway.accounts_cache import AccountCache, GatewayAccount, load_account
from api_gateway.enqueue import Enqueuer
from api_gateway.http import GatewayError, json_response
from api_gateway.pipeline import Gateway, log
from api_gateway.routes_clay import router as clay_router
from api_gateway.routes_forms import router as forms_router
from api_gateway.routes_onboarding import router as onboarding_router
from api_gateway.routes_reports import router as reports_router
from api_gateway.routes_smartlead import router as smartlead_router
from api_gateway.routes_visitors import router as visitors_router
from workers.settings import Settings, get_settings

DESCRIPTION = """Inbound webhooks for every client account (the account's slug is in the path).

Answers: **202** `{event_id}` queued; **200** `{duplicate: true}` already received; **401** bad
secret or signature; **404** unknown account (Typeform: 503); **413** body too large; **415**
not JSON; **422** invalid payload, `errors` lists the fields; **503** + `Retry-After` when the
queue is unreachable. RB2B is always answered 200.
"""


def _redis_url(settings: Settings) -> str:
    try:
        return settings.resolved_redis_url()
    except RuntimeError:
        # No Redis configured: every enqueue fails with 503 until one is.
        return "redis://127.0.0.1:1/0"


def create_app(
    settings: Settings | None = None,
    account_loader: Callable[[str], GatewayAccount | None] | None = None,
) -> FastAPI:
    """The gateway app. ``account_loader`` replaces the database look-up (tests, benchmark)."""
    settings = settings or get_settings()
    gateway = Gateway(
        settings=settings,
        accounts=AccountCache(
            account_loader or load_account, ttl=settings.gateway_account_cache_seconds
        ),
        enqueuer=Enqueuer(
            _redis_url(settings),
            timeout=settings.gateway_redis_timeout_seconds,
            retention_seconds=settings.dedup_retention_seconds,
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.enqueuer.close()

    api = FastAPI(
        title="LeadOps webhook gateway", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    api.state.gateway = gateway
    for router in (
        smartlead_router,
        clay_router,
        forms_router,
        visitors_router,
        reports_router,
        onboarding_router,
    ):
        api.include_router(router)

    @api.get("/healthz", tags=["ops"])
    async def healthz() -> Response:
        """200 when Redis answers a PING, else 503."""
        try:
            await gateway.enqueuer.ping()
        except redis.RedisError as exc:
            return json_response(
                {"status": "unavailable", "redis": type(exc).__name__},
                503,
                {"Retry-After": str(settings.gateway_retry_after_seconds)},
            )
        return json_response({"status": "ok"})

    @api.get("/metrics", tags=["ops"])
    def prometheus_metrics() -> Response:
        """The gateway's own metrics plus the cluster-wide rate-limiter and scheduling figures
        (from Redis)."""
        body = generate_latest()
        try:
            from workers.rate_limit.metrics import render_limiter_metrics

            body += render_limiter_metrics()
        except Exception:  # noqa: BLE001 - the gateway's own metrics must still be served
            metrics.REDIS_ERRORS.inc()
        try:
            from workers.scheduling.metrics import render_schedule_metrics

            body += render_schedule_metrics()
        except Exception:  # noqa: BLE001 - the gateway's own metrics must still be served
            metrics.REDIS_ERRORS.inc()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    _install_error_handlers(api)
    openapi_docs.install(api)
    return api


def _install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(GatewayError)
    async def _gateway_error(_: Request, exc: GatewayError) -> Response:
        return exc.response()

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return json_response(
            {"error": code, "detail": str(exc.detail)}, exc.status_code, dict(exc.headers or {})
        )

    @api.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        return json_response(
            {"error": "invalid_request", "detail": "invalid request", "errors": errors}, 422
        )

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # The sender retries a 5xx; nothing was enqueued. The log is redacted.
        route = getattr(request.scope.get("route"), "path", "unmatched")  # never the raw URL
        log.exception("gateway_unhandled", route=route, error_class=type(exc).__name__)
        return json_response({"error": "internal_error", "detail": "internal error"}, 500)

    api.add_middleware(metrics.MetricsMiddleware)


app = create_app()
