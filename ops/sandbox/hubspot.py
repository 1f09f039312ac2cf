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

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI

from ops.sandbox.hubspot_routes import (
    admin_routes,
    batch_upsert,
    create_contact,
    create_property,
    crm_route,
    get_contact,
    get_property,
    list_properties,
    update_contact,
)
from ops.sandbox.hubspot_state import HubSpotSandbox


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
    app.add_api_route(f"{base}/batch/upsert", crm_route(batch_upsert), methods=["POST"])
    app.add_api_route(base, crm_route(create_contact), methods=["POST"])
    app.add_api_route(base + "/{contact_id}", crm_route(get_contact), methods=["GET"])
    app.add_api_route(base + "/{contact_id}", crm_route(update_contact), methods=["PATCH"])
    app.add_api_route(props, crm_route(list_properties), methods=["GET"])
    app.add_api_route(props, crm_route(create_property), methods=["POST"])
    app.add_api_route(props + "/{name}", crm_route(get_property), methods=["GET"])
    admin_routes(app, sb)
    return app
