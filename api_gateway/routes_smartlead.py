"""Smartlead webhooks: ``POST /v1/{account}/smartlead[/{url_secret}]``.

Authentic when the URL carries the account's Smartlead secret, or else the body's
``secret_key`` equals it (constant-time). ``X-Smartlead-Signature: sha256=<hex>`` is verified
over the raw body when present, never required. EMAIL_REPLY and LEAD_CATEGORY_UPDATED go to
crm_sync, LEAD_UNSUBSCRIBED to blocklist; the other real event types are counted only;
an event type not known yet is answered 200, counted as UNKNOWN, and left alone.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.dedup import event_id_for
from api_gateway.enqueue import Job
from api_gateway.http import json_response, parse_json_object, validate_model
from api_gateway.openapi_docs import STANDARD_RESPONSES, request_body
from api_gateway.pipeline import (
    RawRoute,
    find_account,
    gateway_of,
    raw_json_body,
    record_only,
    submit,
)
from api_gateway.schemas_smartlead import (
    KNOWN_EVENTS,
    PROCESSED_EVENTS,
    UNKNOWN_EVENT,
    SmartleadEvent,
    identity,
    lead_email,
    normalise,
)
from api_gateway.verify import hmac_hex_matches, require_secrets, secret_matches, unauthorized
from workers import task_names
from workers.logging import get_logger

router = APIRouter(tags=["smartlead"], route_class=RawRoute)
SOURCE = "smartlead"
log = get_logger("leadops.gateway.smartlead")

EXAMPLE = {
    "event_type": "EMAIL_REPLY",
    "event_timestamp": "2025-03-04T10:15:00.000Z",
    "secret_key": "<the account's smartlead secret>",
    "campaign_id": 12345,
    "sl_email_lead_id": 987,
    "sl_lead_email": "jane@acme.com",
    "from_email": "sdr@agency.io",
    "to_email": "jane@acme.com",
    "subject": "Re: quick question",
    "reply_message": {"message_id": "<abc@mail>", "text": "Sounds good", "time": "..."},
}
BODY_DOC = request_body(SmartleadEvent, EXAMPLE)


@router.post(
    "/v1/{account}/smartlead", status_code=202, responses=STANDARD_RESPONSES, openapi_extra=BODY_DOC
)
async def smartlead_webhook(account: str, request: Request) -> Response:
    """Smartlead event; secret in the body's `secret_key`."""
    return await _handle(account, None, request)


@router.post(
    "/v1/{account}/smartlead/{url_secret}",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=BODY_DOC,
)
async def smartlead_webhook_url_secret(account: str, url_secret: str, request: Request) -> Response:
    """Smartlead event; secret in the URL (the body's `secret_key` is then not needed)."""
    return await _handle(account, url_secret, request)


async def _handle(slug: str, url_secret: str | None, request: Request) -> Response:
    gw = gateway_of(request)
    acct = await find_account(gw, slug)
    raw = await raw_json_body(request, gw)
    secrets = require_secrets(acct.secrets_for(SOURCE), SOURCE)
    if url_secret is not None and not secret_matches(url_secret, secrets):
        raise unauthorized("wrong smartlead secret in the URL")
    signature = request.headers.get("x-smartlead-signature")
    if signature is not None and not hmac_hex_matches(signature, raw, secrets):
        raise unauthorized("X-Smartlead-Signature does not match the body")
    data = parse_json_object(raw)
    if url_secret is None:
        given = data.get("secret_key")
        if not isinstance(given, str) or not given:
            raise unauthorized("missing secret_key in the body (or put the secret in the URL)")
        if not secret_matches(given, secrets):
            raise unauthorized("wrong secret_key for this account")
    event: SmartleadEvent = validate_model(SmartleadEvent, data)

    if event.event_type not in KNOWN_EVENTS:
        # 200, not 422: Smartlead retries a refused webhook; an event type we do not know yet is
        # counted (as UNKNOWN) and logged, and nothing is done with it.
        event_id = event_id_for(acct.id, SOURCE, identity(event, lead_email(event)))
        log.info("smartlead_unknown_event_type", account_id=acct.id, event_type=event.event_type)
        resp = await record_only(gw, acct, SOURCE, UNKNOWN_EVENT, event_id)
        return (
            json_response(
                {"event_id": event_id, "recorded": True, "unknown_event_type": event.event_type},
                200,
            )
            if resp.status_code == 202
            else resp
        )
    if event.event_type not in PROCESSED_EVENTS:
        event_id = event_id_for(acct.id, SOURCE, identity(event, lead_email(event)))
        return await record_only(gw, acct, SOURCE, event.event_type, event_id)

    normalised = normalise(event)
    email = normalised["lead_email"]
    event_id = event_id_for(acct.id, SOURCE, identity(event, email))
    if event.event_type == "LEAD_UNSUBSCRIBED":
        job = Job(
            acct.id,
            event_id,
            task_names.HANDLE_UNSUBSCRIBE,
            {
                "account_id": acct.id,
                "event_id": event_id,
                "email": email,
                "reason": (event.reason or "unsubscribed")[:200],
                "campaign_id": normalised["campaign_id"],
            },
        )
    else:
        job = Job(
            acct.id,
            event_id,
            task_names.HANDLE_SMARTLEAD_EVENT,
            {
                "account_id": acct.id,
                "event_id": event_id,
                "event_type": event.event_type,
                "event": normalised,
            },
        )
    return await submit(gw, [job], SOURCE)
