"""HubSpot CRM v3 contacts client: look-up by email, create, update, batch upsert, custom
properties and the account's lifecycle stages.

HubSpot facts this relies on (shared/integrations.md): Bearer private-app token; 404 with
``category: OBJECT_NOT_FOUND`` for an unknown contact; 409 when a contact email or a property
already exists; 429 names its ``policyName`` (``TEN_SECONDLY_ROLLING`` or ``DAILY``) and usually
carries no Retry-After; properties must exist before being written.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from workers.clients.base import RequestGate
from workers.clients.errors import ApiError, NotFound, PermanentError, RateLimited
from workers.clients.http import HttpRequester, error_for, json_body, parse_retry_after
from workers.logging import get_logger
from workers.redaction import redact, redact_value, register_secret
from workers.settings import get_settings

SERVICE = "hubspot"
BATCH_LIMIT = 100  # inputs per batch call (integrations.md marks it unsure)
TEN_SECONDLY_RETRY_AFTER = 10.0  # a rolling-window 429 clears within the window
DAILY_RETRY_AFTER = 3600.0  # the daily cap resets at midnight in the portal's time zone: poll
CONTACTS = "/crm/v3/objects/contacts"
CONTACT_PROPERTIES = "/crm/v3/properties/contacts"

log = get_logger("workers.clients.hubspot")

# Properties known to exist, per portal credential (a hash, never the token), per process.
_known_lock = threading.Lock()
_known_properties: dict[str, set[str]] = {}


def forget_known_properties() -> None:
    """Drop the per-process property cache (tests; after a property was deleted in HubSpot)."""
    with _known_lock:
        _known_properties.clear()


class Conflict(PermanentError):
    """409: the contact (email) or property already exists. ``existing_id`` when HubSpot says."""

    def __init__(
        self,
        message: str,
        *,
        existing_id: str | None = None,
        status_code: int | None = 409,
        service: str = SERVICE,
    ) -> None:
        super().__init__(message, status_code=status_code, service=service)
        self.existing_id = existing_id


class BatchErrors(PermanentError):
    """A batch answered 207: some inputs failed. ``results`` holds the ones that succeeded."""

    def __init__(
        self, message: str, *, results: list[dict[str, Any]], errors: list[dict[str, Any]]
    ) -> None:
        super().__init__(message, status_code=207, service=SERVICE)
        self.results = results
        self.errors = [redact_value(e) for e in errors]


class HubSpotClient:
    """One HubSpot portal, authenticated by a private-app token."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        gate: RequestGate | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token or not token.strip():
            raise ValueError("HubSpot token is empty")
        register_secret(token)
        if base_url is None:
            base_url = get_settings().hubspot_base_url
        self.base_url = base_url.rstrip("/")
        self._http = HttpRequester(
            SERVICE,
            self.base_url,
            gate=gate,
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
            secrets=[token],
            default_retry_after=TEN_SECONDLY_RETRY_AFTER,
            error_mapper=hubspot_error,
        )
        self._portal_key = hashlib.sha256(f"{self.base_url}\n{token}".encode()).hexdigest()

    def __repr__(self) -> str:
        return f"<HubSpotClient base_url={redact(self.base_url)}>"

    def close(self) -> None:
        self._http.close()

    # ---- contacts -----------------------------------------------------------------------
    def get_contact_by_email(
        self, email: str, properties: Iterable[str] | None = None
    ) -> dict[str, Any] | None:
        """The contact ``{id, properties, createdAt, updatedAt, archived}``, or None when
        HubSpot has no contact with that email."""
        params: dict[str, Any] = {"idProperty": "email"}
        names = [p for p in (properties or ()) if p]
        if names:
            params["properties"] = ",".join(names)
        path = f"{CONTACTS}/{quote(email.strip(), safe='@')}"
        try:
            return self._object("GET", path, params=params)
        except ObjectNotFound:
            return None

    def create_contact(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Create one contact; ``Conflict`` (with ``existing_id``) when the email exists."""
        return self._object("POST", CONTACTS, json={"properties": dict(properties)})

    def update_contact(
        self, contact_id: str | int, properties: Mapping[str, Any]
    ) -> dict[str, Any]:
        """PATCH the given properties. An earlier lifecycle stage is ignored by HubSpot."""
        return self._object(
            "PATCH",
            f"{CONTACTS}/{quote(str(contact_id), safe='')}",
            json={"properties": dict(properties)},
        )

    def batch_upsert(self, inputs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create-or-update contacts by email, ``BATCH_LIMIT`` per request, in order.

        Each input is HubSpot's ``{"id": email, "idProperty": "email", "properties": {...}}``
        or a flat property dict with an ``email`` key. The same email twice is merged (HubSpot
        refuses duplicate ids in one batch; later values win). Returns every result (each has
        ``new``). Upserts are idempotent, so after a failure the whole call can be repeated.
        """
        merged: dict[str, dict[str, Any]] = {}
        for item in inputs:
            email, props = _as_upsert_input(item)
            merged.setdefault(email, {}).update(props)
        items = [{"id": e, "idProperty": "email", "properties": p} for e, p in merged.items()]
        results: list[dict[str, Any]] = []
        for start in range(0, len(items), BATCH_LIMIT):
            chunk = items[start : start + BATCH_LIMIT]
            response = self._send("POST", f"{CONTACTS}/batch/upsert", json={"inputs": chunk})
            data = json_body(response, service=SERVICE, what="batch upsert") or {}
            results.extend(data.get("results") or [])
            if response.status_code == 207 or data.get("errors"):
                errors = data.get("errors") or []
                raise BatchErrors(
                    f"hubspot batch upsert: {len(errors)} input(s) failed: "
                    f"{[e.get('message') for e in errors][:5]}",
                    results=results,
                    errors=errors,
                )
        return results

    # ---- properties ---------------------------------------------------------------------
    def ensure_property(
        self,
        name: str,
        label: str,
        type: str = "string",  # noqa: A002
        field_type: str = "text",
        group_name: str = "contactinformation",
    ) -> bool:
        """Make sure a contact property exists. True when this call created it; False when it
        existed (409, or known to this process already: no request)."""
        with _known_lock:
            if name in _known_properties.get(self._portal_key, set()):
                return False
        body = {
            "name": name,
            "label": label,
            "type": type,
            "fieldType": field_type,
            "groupName": group_name,
        }
        created = True
        try:
            self._call("POST", CONTACT_PROPERTIES, json=body)
        except Conflict:
            created = False
        with _known_lock:
            _known_properties.setdefault(self._portal_key, set()).add(name)
        if created:
            log.info("hubspot_property_created", property=name)
        return created

    def lifecycle_stage_options(self) -> list[str]:
        """The portal's lifecycle stage values in their order (earliest first)."""
        data = self._object("GET", f"{CONTACT_PROPERTIES}/lifecyclestage")
        options = sorted(
            enumerate(data.get("options") or []),
            key=lambda pair: (pair[1].get("displayOrder", pair[0]), pair[0]),
        )
        return [opt["value"] for _, opt in options if opt.get("value")]

    # ---- transport ----------------------------------------------------------------------
    def _call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        response = self._send(method, path, params=params, json=json)
        return json_body(response, service=SERVICE, what=f"{method} {path}")

    def _object(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        data = self._call(method, path, params=params, json=json)
        if not isinstance(data, dict):
            raise PermanentError(
                f"{SERVICE} {method} {path}: expected a JSON object, got {type(data).__name__}",
                service=SERVICE,
            )
        return data

    def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        """One request on the shared path: gate, transport errors, ``hubspot_error`` mapping."""
        return self._http.request(method, path, params=params, json=json)


class ObjectNotFound(NotFound):
    """404 ``OBJECT_NOT_FOUND``: the record does not exist (as opposed to a wrong URL)."""


def hubspot_error(response: httpx.Response, method: str, path: str) -> ApiError:
    """Map a HubSpot error answer onto the shared hierarchy, keeping category and policy."""
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    category = str(body.get("category") or "")
    message = redact(str(body.get("message") or response.text.strip())[:300])
    where = f"{SERVICE} {method} {path} -> {status}"
    if status == 429:
        policy = str(body.get("policyName") or "")
        default = DAILY_RETRY_AFTER if policy == "DAILY" else TEN_SECONDLY_RETRY_AFTER
        retry_after = parse_retry_after(response.headers.get("Retry-After"), default)
        return RateLimited(
            f"{where} {policy or 'RATE_LIMIT'}: {message}", retry_after=retry_after, service=SERVICE
        )
    text = f"{where} {category}: {message}" if category else f"{where}: {message}"
    if status == 404 and category == "OBJECT_NOT_FOUND":
        return ObjectNotFound(text, status_code=404, service=SERVICE)
    if status == 409:
        found = re.search(r"Existing ID: (\d+)", message)
        return Conflict(text, existing_id=found.group(1) if found else None)
    error = error_for(response, service=SERVICE, method=method, path=path)
    assert error is not None
    return type(error)(text, status_code=status, service=SERVICE)


def _as_upsert_input(item: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if "properties" in item and "id" in item:
        if item.get("idProperty", "email") != "email":
            raise ValueError("batch_upsert supports idProperty 'email' only")
        email, props = str(item["id"]), dict(item["properties"] or {})
    else:
        props = dict(item)
        email = str(props.pop("email", "") or "")
    email = email.strip().lower()
    if not email:
        raise ValueError("every batch_upsert input needs an email")
    return email, props


__all__ = [
    "BATCH_LIMIT",
    "BatchErrors",
    "Conflict",
    "HubSpotClient",
    "ObjectNotFound",
    "forget_known_properties",
    "hubspot_error",
]
