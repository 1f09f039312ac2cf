"""Smartlead sandbox: an in-memory stand-in for Smartlead API v1 over loopback.

The API lives under ``/api/v1`` (so a client's base URL is ``<base>/api/v1``) with the paths,
methods, answer shapes and quirks of shared/smartlead-api.md: a wrong path or method answers a
text/html 404 ``Cannot PATCH /api/v1/...``; an unknown key 401 ``{"message": "Invalid API
Key"}``; Joi-style 400s (``"settings.foo" is not allowed``, ``"limit" must be less than or equal
to 100``, more leads than the key's cap); ``GET /campaigns/{id}`` of a deleted campaign 200 with
an empty body; counts as strings; camelCase ``delayInDays`` on read.

Per API key, in this order: latency fault (added to the answer), ``unauthorized`` fault (401),
429 storm, the strict sliding-log rate limit over every window (429 + integer ``Retry-After``;
not applied, not counted as accepted), then the random 5xx fault (counted as accepted by the
limiter, like an edge that forwarded it, but not applied). Every answer to a known key carries
``x-ratelimit-limit/-remaining/-reset`` of its most constrained window.

Admin API (no api_key):
- ``POST /admin/keys`` ``{api_key, limits: [[10, 2], [60, 60]], max_leads_per_request: 100,
  webhook_secret?: "secretkey", seed?: int}`` -> ``{key_hash, limits, max_leads_per_request}``
  (again for an existing key: changes its limits/cap).
- ``POST /admin/campaigns`` ``{api_key, name, status?, client_id?}`` -> ``{id}``;
  ``GET /admin/campaigns/{id}`` (everything stored); ``DELETE /admin/campaigns/{id}`` (deleted:
  the API then answers 200 with an empty body).
- ``GET /admin/campaigns/{id}/leads`` -> ``{leads: [...], upload_counts: {email: n}}``.
- ``GET /admin/blocklist?api_key=`` -> ``{entries: [...]}``.
- ``POST /admin/mailboxes`` ``{api_key, email, reputation: "97%", from_name?, is_smtp_success?,
  is_imap_success?, daily_sent_count?, message_per_day?, warmup_status?, warmup?: false,
  is_warmup_blocked?, is_suspended?, client_id?}`` -> ``{id}``; ``/admin/mailboxes/batch``,
  ``POST /admin/mailboxes/{id}`` (change its state), ``GET /admin/mailboxes?api_key=``: see
  ``smartlead_mailboxes``.
- ``POST /admin/simulate/send`` ``{campaign_id, emails?, date?}``: leads sent (INPROGRESS,
  statistics row, day counters ``sent``/``unique_sent``).
- ``POST /admin/simulate/activity`` ``{campaign_id, date, counts: {sent, open, click, reply,
  bounce, unsubscribed, ...}}``: raw per-day counters (analytics-by-date sums them).
- ``POST /admin/simulate/reply`` ``{campaign_id, email, text?, date?, repeat?, sign?}``;
  ``/admin/simulate/category`` ``{campaign_id, email, category, legacy_fields?}``;
  ``/admin/simulate/unsubscribe`` ``{campaign_id, email}``: record it and POST the real payload
  to the campaign's webhooks for that event -> ``{event, deliveries: [{webhook_id, url,
  status_code, error, attempt}]}``. ``repeat: n`` delivers n times (Smartlead retries).
- ``GET /admin/deliveries`` -> every delivery with its payload.
- ``POST /admin/faults`` ``{api_key, error_rate, error_statuses?: [500, 503], latency_ms,
  storm_seconds, unauthorized, seed?, path_faults?: [{method, path, status?: 504, delay_ms?: 0,
  times?: 1, apply?: true}]}`` (only the fields given change). A path fault with ``apply``
  does the write and then answers ``status`` (a ghost write) after ``delay_ms``; without, it
  refuses with ``status`` and applies nothing (``path`` is a glob below ``/api/v1``).
- ``POST /admin/campaigns/{id}/raw`` ``{settings?, schedule?, sequences? (read form),
  mailbox_ids?, status?, client_id?}``: seed a template as old campaigns read back
  (smartlead_campaigns). ``DELETE /api/v1/campaigns/{id}`` and ``POST .../duplicate`` are there
  too; writes refuse read-form values as the real API does (smartlead_writes).
- ``GET /admin/stats`` -> ``{keys: {<sha256 prefix>: {requests, requests_by_status,
  requests_by_method, accepted,
  rate_limited, windows, max_accepted_in_window: {"10/2s": n}, leads_uploaded_more_than_once,
  repeated_uploads}}, unknown_keys, webhook_deliveries}``.
- ``POST /admin/reset``.
- ``POST /admin/campaigns/{id}/person/status|schedule`` (a person's dashboard change) and
  ``GET /admin/campaigns/{id}/writes`` (status/schedule calls applied): smartlead_guard.py.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ops.sandbox import (
    smartlead_admin,
    smartlead_analytics,
    smartlead_api,
    smartlead_campaigns,
    smartlead_guard,
    smartlead_leads,
    smartlead_mailboxes,
    smartlead_reports,
    smartlead_simulate,
)
from ops.sandbox.smartlead_state import ApiFailure, KeyState, SandboxState, key_hash

API_PREFIX = "/api/v1"

EXPRESS_404 = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Error</title>
</head>
<body>
<pre>Cannot {method} {path}</pre>
</body>
</html>
"""


def cannot(method: str, path: str) -> HTMLResponse:
    """Express's answer to an unknown route (the path only: never the query string)."""
    return HTMLResponse(EXPRESS_404.format(method=method, path=path), status_code=404)


def create_app(*, keys: Iterable[str] = (), clock: Callable[[], float] | None = None) -> FastAPI:
    """The sandbox app. ``keys`` are registered with the default limits; ``clock`` (monotonic
    seconds) drives the rate limiter and the storm fault."""
    app = FastAPI(
        title="Smartlead sandbox",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    state = SandboxState(clock=clock) if clock else SandboxState()
    app.state.sandbox = state
    for api_key in keys:
        state.add_key(api_key)
    for module in (smartlead_api, smartlead_leads, smartlead_reports, smartlead_mailboxes):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(smartlead_admin.router)
    smartlead_analytics.register(app, API_PREFIX)  # automation 4's analytics family
    app.include_router(smartlead_guard.router)  # person status/schedule, write log (issue 13)
    app.include_router(smartlead_simulate.router)
    smartlead_campaigns.register(app, API_PREFIX)
    app.include_router(smartlead_mailboxes.admin_router)

    @app.exception_handler(ApiFailure)
    async def _failure(request: Request, exc: ApiFailure) -> Response:
        if exc.body is not None:
            return JSONResponse(exc.body, status_code=exc.status)
        return Response(exc.text or "", status_code=exc.status, media_type="text/plain")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            return cannot(request.method, request.url.path)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "value"
        return JSONResponse(
            {"error": f'"{where}" {first.get("msg", "is invalid")}'}, status_code=400
        )

    @app.middleware("http")
    async def _gatekeeper(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(API_PREFIX + "/"):
            if request.url.path.startswith("/admin/"):
                return await call_next(request)
            return cannot(request.method, request.url.path)
        return await _api_request(state, request, call_next)

    return app


async def _api_request(
    state: SandboxState, request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    api_key = request.query_params.get("api_key") or ""
    with state.lock:
        key = state.keys.get(api_key)
        if key is None:
            state.unknown_key_requests[key_hash(api_key) if api_key else "(none)"] += 1
            return JSONResponse({"message": "Invalid API Key"}, status_code=401)
        faults = key.faults
        now = state.clock()
        decision = None
        answer: Response | None = None
        if faults.unauthorized:
            answer = JSONResponse({"message": "Invalid API Key"}, status_code=401)
        elif now < faults.storm_until:
            wait = max(1, math.ceil(faults.storm_until - now))
            answer = JSONResponse(
                {"message": "Rate limit exceeded"},
                status_code=429,
                headers={
                    "Retry-After": str(wait),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(wait),
                },
            )
        else:
            decision = key.limiter.check_and_record(now)
            if not decision.allowed:
                answer = JSONResponse(
                    {"message": f"Rate limit exceeded. Retry after {decision.retry_after}s"},
                    status_code=429,
                )
            elif faults.error_rate and faults.rng.random() < faults.error_rate:
                status = faults.rng.choice(faults.error_statuses)
                answer = JSONResponse(
                    {"error": "Internal Server Error (sandbox fault)"}, status_code=status
                )
        latency = faults.latency_ms / 1000.0
    request.state.key = key
    if answer is None:
        answer, latency = await _with_path_faults(state, key, request, call_next, latency)
    if decision is not None:
        for name, value in decision.headers().items():
            answer.headers[name] = value
    if latency > 0:
        await asyncio.sleep(latency)
    with state.lock:
        key.statuses[answer.status_code] += 1
        key.methods[request.method] += 1
        if answer.status_code == 429:
            key.rate_limited += 1
    return answer


async def _with_path_faults(
    state: SandboxState,
    key: KeyState,
    request: Request,
    call_next: Callable[[Request], Awaitable[Response]],
    latency: float,
) -> tuple[Response, float]:
    """The route's answer, bent by a path fault (smartlead_state.PathFault) when one matches."""
    method, path = request.method, request.url.path[len(API_PREFIX) :]
    with state.lock:
        refusal = key.faults.take_path_fault(method, path, applied=False)
    if refusal is not None:
        body = {"error": f"sandbox fault on {method} {path}"}
        return JSONResponse(body, status_code=refusal.status), latency + refusal.delay_ms / 1000
    answer = await call_next(request)
    if answer.status_code >= 300:
        return answer, latency
    with state.lock:
        ghost = key.faults.take_path_fault(method, path, applied=True)
    if ghost is None:
        return answer, latency
    latency += ghost.delay_ms / 1000
    if ghost.status < 300:
        return answer, latency
    async for _ in answer.body_iterator:  # type: ignore[attr-defined]  # the applied write's answer, lost
        pass
    body = {"error": "Gateway Time-out (sandbox: the write was applied)"}
    return JSONResponse(body, status_code=ghost.status), latency


def state_of(app: Any) -> SandboxState:
    """The in-memory state behind an app (for tests)."""
    return app.state.sandbox  # type: ignore[no-any-return]


__all__ = ["API_PREFIX", "cannot", "create_app", "state_of"]
