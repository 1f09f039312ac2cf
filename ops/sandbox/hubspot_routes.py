"""The HubSpot sandbox's routes: the CRM v3 contacts and properties it answers as HubSpot
does (errors, auth, faults, rate limits), and the admin API tests and demos drive."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ops.sandbox.hubspot_state import Faults, Handler, HubSpotSandbox, token_id
from ops.sandbox.hubspot_store import CrmError, Portal


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


def crm_route(handler: Handler) -> Callable[[Request], Any]:
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


def admin_routes(app: FastAPI, sb: HubSpotSandbox) -> None:
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
