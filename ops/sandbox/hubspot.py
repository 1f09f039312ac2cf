"""In-memory HubSpot CRM v3 (contacts and contact properties) for tests and demos.

Behaves like the real API where LeadOps depends on it: Bearer private-app tokens (unknown ->
401), 100 requests per rolling 10 s per token (429 ``policyName: TEN_SECONDLY_ROLLING``, no
Retry-After, as HubSpot), 404 ``OBJECT_NOT_FOUND``, 409 on a duplicate email or property, 400
``PROPERTY_DOESNT_EXIST`` for an undefined property, lifecycle stage only moving forward. The CRM
rules live in ``hubspot_store.py``.

Admin API (no token, under ``/admin``): ``POST /admin/tokens {token, limit, window_seconds,
daily_limit?, portal?}``, ``GET|POST /admin/contacts``, ``POST /admin/faults {token?,
error_rate, status, count, latency_ms, storm_seconds}``, ``GET /admin/requests`` (method, path,
query, body, status, token_id: a hash, never the token), ``POST /admin/lifecyclestages {values,
portal?}``, ``POST /admin/reset``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ops.sandbox.hubspot_store import CrmError, Portal

Handler = Callable[["HubSpotSandbox", Portal, Request, Any], tuple[int, Any]]


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass
class TokenState:
    limit: int
    window_seconds: float
    portal: str = "default"
    daily_limit: int | None = None
    hits: deque[float] = field(default_factory=deque)
    day_count: int = 0


@dataclass
class Faults:
    error_rate: float = 0.0
    status: int = 500
    count: int = 0
    latency_ms: int = 0
    storm_until: float = 0.0

    def active(self, now: float) -> bool:
        return bool(self.count or self.error_rate or self.latency_ms or self.storm_until > now)


class HubSpotSandbox:
    def __init__(
        self,
        *,
        tokens: Mapping[str, Mapping[str, Any]] | Iterable[str] | None,
        accept_any_token: bool,
        limit: int,
        window_seconds: float,
        seed: int | None,
    ) -> None:
        self.default_limit, self.default_window = limit, window_seconds
        self.accept_any_token = accept_any_token
        self._initial_tokens = tokens
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.portals: dict[str, Portal] = {"default": Portal()}
            self.tokens: dict[str, TokenState] = {}
            self.faults: dict[str, Faults] = {}
            self.requests: list[dict[str, Any]] = []
        initial = self._initial_tokens or {}
        for tok in initial:
            opts = initial[tok] if isinstance(initial, Mapping) else {}
            self.add_token(tok, **opts)

    def add_token(
        self,
        token: str,
        limit: int | None = None,
        window_seconds: float | None = None,
        portal: str = "default",
        daily_limit: int | None = None,
    ) -> str:
        with self.lock:
            self.tokens[token] = TokenState(
                limit or self.default_limit,
                window_seconds or self.default_window,
                portal,
                daily_limit,
            )
            self.portals.setdefault(portal, Portal())
        return token_id(token)

    def portal(self, name: str | None) -> Portal:
        with self.lock:
            return self.portals.setdefault(name or "default", Portal())

    # ---- admission: auth, rate limits, faults -------------------------------------------
    def admit(self, token: str | None) -> tuple[Portal, TokenState, float]:
        """The caller's portal, or CrmError. Returns the latency to add before answering."""
        with self.lock:
            state = self.tokens.get(token) if token else None
            if state is None and token and self.accept_any_token:
                state = self.tokens[token] = TokenState(self.default_limit, self.default_window)
            if state is None:
                raise CrmError(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth "
                    "2.0 authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            now = time.monotonic()
            scoped = [self.faults.get(token_id(token or "")), self.faults.get("*")]
            faults = next((f for f in scoped if f is not None and f.active(now)), Faults())
            if faults.storm_until > now:
                raise _rate_limited("TEN_SECONDLY_ROLLING", state)
            while state.hits and state.hits[0] <= now - state.window_seconds:
                state.hits.popleft()
            if len(state.hits) >= state.limit:
                raise _rate_limited("TEN_SECONDLY_ROLLING", state)
            if state.daily_limit is not None and state.day_count >= state.daily_limit:
                raise _rate_limited("DAILY", state)
            state.hits.append(now)
            state.day_count += 1
            fail = faults.count > 0 or (
                faults.error_rate > 0 and self.rng.random() < faults.error_rate
            )
            if faults.count > 0:
                faults.count -= 1
            if fail:
                raise _fault(faults.status)
            return self.portals[state.portal], state, faults.latency_ms / 1000

    def record(self, request: Request, body: Any, token: str | None) -> dict[str, Any]:
        entry = {
            "method": request.method,
            "path": request.url.path,
            "query": {
                k: v for k, v in request.query_params.items() if k.lower() not in _SECRET_PARAMS
            },
            "body": body,
            "status": None,
            "token_id": token_id(token) if token else None,
            "at": time.time(),
        }
        with self.lock:
            self.requests.append(entry)
        return entry


_SECRET_PARAMS = {"hapikey", "access_token", "token"}  # legacy query-string auth: never recorded


def _rate_limited(policy: str, state: TokenState) -> CrmError:
    what = "ten_secondly_rolling" if policy == "TEN_SECONDLY_ROLLING" else "daily"
    return CrmError(
        429,
        "RATE_LIMITS",
        f"You have reached your {what} limit.",
        errorType="RATE_LIMIT",
        policyName=policy,
        groupName=f"publicapi:private-app:{state.portal}",
    )


_FAULT_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITS",
}


def _fault(status: int) -> CrmError:
    if status == 429:
        return CrmError(
            429,
            "RATE_LIMITS",
            "You have reached your ten_secondly_rolling limit.",
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
    category = _FAULT_CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "ERROR")
    return CrmError(status, category, f"Injected fault: {status} {category}")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _error_body(err: CrmError) -> dict[str, Any]:
    return {
        "status": "error",
        "message": err.message,
        "correlationId": str(uuid.uuid4()),
        "category": err.category,
        **err.extra,
    }


def _crm(handler: Handler) -> Callable[[Request], Any]:
    """Wrap a CRM handler with recording, admission, latency and HubSpot-shaped errors."""

    async def endpoint(request: Request) -> JSONResponse:
        sb: HubSpotSandbox = request.app.state.sandbox
        token = _bearer(request)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode(errors="replace")
        entry = sb.record(request, body, token)
        headers: dict[str, str] = {}
        try:
            portal, state, latency = sb.admit(token)
            headers = {
                "X-HubSpot-RateLimit-Max": str(state.limit),
                "X-HubSpot-RateLimit-Remaining": str(max(0, state.limit - len(state.hits))),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(state.window_seconds * 1000)),
            }
            if latency:
                await asyncio.sleep(latency)
            if isinstance(body, str):
                raise CrmError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
            with sb.lock:
                status, payload = handler(sb, portal, request, body)
        except CrmError as err:
            status, payload = err.status, _error_body(err)
        entry["status"] = status
        if status == 204:
            return JSONResponse(None, status_code=204, headers=headers)
        return JSONResponse(payload, status_code=status, headers=headers)

    return endpoint


def _wanted(request: Request) -> list[str] | None:
    names = [n.strip() for v in request.query_params.getlist("properties") for n in v.split(",")]
    return [n for n in names if n] or None


def _body_properties(body: Any) -> Any:
    return body.get("properties") if isinstance(body, dict) else None


# ---- CRM handlers (called under the sandbox lock) ------------------------------------------
def get_contact(sb: HubSpotSandbox, portal: Portal, request: Request, body: Any) -> tuple[int, Any]:
    contact_id = request.path_params["contact_id"]
    contact = portal.find(contact_id, request.query_params.get("idProperty"))
    if contact is None:
        raise CrmError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
    return 200, contact.to_api(_wanted(request))


def create_contact(
    sb: HubSpotSandbox, portal: Portal, request: Request, body: Any
) -> tuple[int, Any]:
    contact = portal.create(_body_properties(body))
    return 201, contact.to_api(list(contact.properties))


def update_contact(
    sb: HubSpotSandbox, portal: Portal, request: Request, body: Any
) -> tuple[int, Any]:
    contact = portal.find(request.path_params["contact_id"], request.query_params.get("idProperty"))
    if contact is None:
        raise CrmError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
    contact = portal.update(contact, _body_properties(body))
    return 200, contact.to_api(list(contact.properties))


def batch_upsert(
    sb: HubSpotSandbox, portal: Portal, request: Request, body: Any
) -> tuple[int, Any]:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results = []
    for contact, new in portal.batch_upsert(body):
        results.append({**contact.to_api(list(contact.properties)), "new": new})
    return 200, {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def list_properties(
    sb: HubSpotSandbox, portal: Portal, request: Request, body: Any
) -> tuple[int, Any]:
    return 200, {"results": list(portal.properties.values())}


def get_property(
    sb: HubSpotSandbox, portal: Portal, request: Request, body: Any
) -> tuple[int, Any]:
    name = request.path_params["name"]
    prop = portal.properties.get(name)
    if prop is None:
        raise CrmError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name} of type contacts")
    return 200, prop


def create_property(
    sb: HubSpotSandbox, portal: Portal, request: Request, body: Any
) -> tuple[int, Any]:
    if not isinstance(body, dict):
        raise CrmError(400, "VALIDATION_ERROR", "body must be an object")
    return 201, portal.create_property(body)


def create_app(
    *,
    tokens: Mapping[str, Mapping[str, Any]] | Iterable[str] | None = None,
    accept_any_token: bool = False,
    limit: int = 100,
    window_seconds: float = 10.0,
    seed: int | None = None,
) -> FastAPI:
    """The sandbox app. A token is valid once registered (``tokens`` or ``POST /admin/tokens``);
    ``accept_any_token`` admits any Bearer token with the default limits (demos)."""
    app = FastAPI(title="HubSpot sandbox", docs_url=None, redoc_url=None)
    sb = HubSpotSandbox(
        tokens=tokens,
        accept_any_token=accept_any_token,
        limit=limit,
        window_seconds=window_seconds,
        seed=seed,
    )
    app.state.sandbox = sb
    base = "/crm/v3/objects/contacts"
    props = "/crm/v3/properties/contacts"
    app.add_api_route(f"{base}/batch/upsert", _crm(batch_upsert), methods=["POST"])
    app.add_api_route(base, _crm(create_contact), methods=["POST"])
    app.add_api_route(base + "/{contact_id}", _crm(get_contact), methods=["GET"])
    app.add_api_route(base + "/{contact_id}", _crm(update_contact), methods=["PATCH"])
    app.add_api_route(props, _crm(list_properties), methods=["GET"])
    app.add_api_route(props, _crm(create_property), methods=["POST"])
    app.add_api_route(props + "/{name}", _crm(get_property), methods=["GET"])
    _admin_routes(app, sb)
    return app


def _admin_routes(app: FastAPI, sb: HubSpotSandbox) -> None:
    @app.post("/admin/tokens")
    def add_token(body: dict[str, Any]) -> dict[str, Any]:
        tid = sb.add_token(
            body["token"],
            body.get("limit"),
            body.get("window_seconds"),
            body.get("portal") or "default",
            body.get("daily_limit"),
        )
        return {"token_id": tid}

    @app.get("/admin/contacts")
    def list_contacts(portal: str = "default", email: str | None = None) -> dict[str, Any]:
        p = sb.portal(portal)
        with sb.lock:
            found = list(p.contacts.values())
            if email:
                found = [c for c in found if c.properties.get("email") == email.strip().lower()]
            return {"contacts": [c.to_api(list(c.properties)) for c in found]}

    @app.post("/admin/contacts", status_code=201)
    def seed_contact(body: dict[str, Any]) -> Any:
        p = sb.portal(body.get("portal"))
        props = body.get("properties") or {k: v for k, v in body.items() if k != "portal"}
        try:
            with sb.lock:
                return p.create(props).to_api(None)
        except CrmError as err:
            return JSONResponse(_error_body(err), status_code=err.status)

    @app.post("/admin/faults")
    def set_faults(body: dict[str, Any]) -> dict[str, Any]:
        key = token_id(body["token"]) if body.get("token") else "*"
        storm = float(body.get("storm_seconds") or 0)
        with sb.lock:
            sb.faults[key] = Faults(
                error_rate=float(body.get("error_rate") or 0),
                status=int(body.get("status") or 500),
                count=int(body.get("count") or 0),
                latency_ms=int(body.get("latency_ms") or 0),
                storm_until=time.monotonic() + storm if storm else 0.0,
            )
        return {"ok": True, "scope": key}

    @app.get("/admin/requests")
    def list_requests(token: str | None = None) -> dict[str, Any]:
        with sb.lock:
            found = list(sb.requests)
        if token:
            found = [r for r in found if r["token_id"] == token_id(token)]
        return {"requests": found}

    @app.post("/admin/lifecyclestages")
    def set_stages(body: dict[str, Any]) -> dict[str, Any]:
        p = sb.portal(body.get("portal"))
        with sb.lock:
            p.set_lifecycle_stages(list(body["values"]))
        return {"values": p.lifecycle_stages}

    @app.post("/admin/reset")
    def reset() -> dict[str, Any]:
        sb.reset()
        return {"ok": True}
