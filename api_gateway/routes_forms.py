"""Form submissions -> ``tasks.form_nurture.handle_submission``.

- ``POST /v1/{account}/forms/typeform``: ``Typeform-Signature: sha256=<base64 HMAC>``. Typeform
  disables a webhook at once on 404, so an unknown account answers 503 (it retries for 10 h).
- ``POST /v1/{account}/forms/tally``: ``Tally-Signature: <base64 HMAC>``.
- ``POST /v1/{account}/forms/generic/{form_id}``: bearer token or ``X-LeadOps-Secret``; the
  form must be configured in the account's ``form_nurture.forms``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.accounts_cache import GatewayAccount
from api_gateway.dedup import event_id_for, identity_hash
from api_gateway.enqueue import Job
from api_gateway.http import (
    GatewayError,
    invalid,
    parse_json_object,
    validate_model,
)
from api_gateway.openapi_docs import STANDARD_RESPONSES, request_body
from api_gateway.pipeline import (
    Gateway,
    RawRoute,
    find_account,
    gateway_of,
    raw_json_body,
    record_only,
    strip_secrets,
    submit,
    token_request,
)
from api_gateway.schemas_common import normalise_email
from api_gateway.schemas_forms import GenericForm, TallyWebhook, TypeformWebhook
from api_gateway.verify import hmac_b64_matches, require_secrets, unauthorized
from workers import task_names

router = APIRouter(tags=["forms"], route_class=RawRoute)
SOURCE = "form"

TYPEFORM_RESPONSES = {**STANDARD_RESPONSES, 404: {"description": "Never: 503 instead."}}


def _job(
    acct: GatewayAccount, provider: str, form_id: str, ident: str, data: dict[str, Any]
) -> Job:
    event_id = event_id_for(acct.id, provider, ident)
    return Job(
        acct.id,
        event_id,
        task_names.HANDLE_FORM_SUBMISSION,
        {
            "account_id": acct.id,
            "event_id": event_id,
            "provider": provider,
            "form_id": form_id,
            "payload": strip_secrets(data),
        },
    )


async def _signed_body(
    request: Request, gw: Gateway, acct: GatewayAccount, secret_name: str, header: str, prefix: str
) -> dict[str, Any]:
    raw = await raw_json_body(request, gw)
    secrets = require_secrets(acct.secrets_for(secret_name), secret_name)
    signature = request.headers.get(header)
    if not signature:
        raise unauthorized(f"missing {header} header")
    if not hmac_b64_matches(signature, raw, secrets, prefix):
        raise unauthorized(f"{header} does not match the body")
    return parse_json_object(raw)


@router.post(
    "/v1/{account}/forms/typeform",
    status_code=202,
    responses=TYPEFORM_RESPONSES,
    openapi_extra=request_body(TypeformWebhook),
)
async def typeform(account: str, request: Request) -> Response:
    """Typeform response (unknown account: 503, never 404)."""
    gw = gateway_of(request)
    acct = await find_account(gw, account, missing_status=503)
    data = await _signed_body(request, gw, acct, "typeform", "typeform-signature", "sha256=")
    hook: TypeformWebhook = validate_model(TypeformWebhook, data)
    resp = hook.form_response
    # The response token survives a re-delivery under a new event id.
    ident = f"response:{resp.form_id}:{resp.token}"
    if hook.event_type != "form_response":
        event_id = event_id_for(acct.id, "typeform", f"event:{hook.event_id}")
        return await record_only(gw, acct, "typeform", hook.event_type[:64], event_id)
    return await submit(gw, [_job(acct, "typeform", resp.form_id, ident, data)], "typeform")


@router.post(
    "/v1/{account}/forms/tally",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=request_body(TallyWebhook),
)
async def tally(account: str, request: Request) -> Response:
    """Tally form response."""
    gw = gateway_of(request)
    acct = await find_account(gw, account)
    data = await _signed_body(request, gw, acct, "tally", "tally-signature", "")
    hook: TallyWebhook = validate_model(TallyWebhook, data)
    ident = f"response:{hook.data.formId}:{hook.data.responseId}"
    if hook.eventType != "FORM_RESPONSE":
        event_id = event_id_for(acct.id, "tally", f"event:{hook.eventId}")
        return await record_only(gw, acct, "tally", hook.eventType[:64], event_id)
    return await submit(gw, [_job(acct, "tally", hook.data.formId, ident, data)], "tally")


@router.post(
    "/v1/{account}/forms/generic/{form_id}",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=request_body(GenericForm),
    description=GenericForm.__doc__,
)
async def generic_form(account: str, form_id: str, request: Request) -> Response:
    """A form posting plain JSON, mapped by the account's field mapping for `form_id`."""
    gw, acct, raw = await token_request(request, account, SOURCE)
    route = acct.forms.get(form_id)
    if route is None:
        raise GatewayError(
            404,
            "unknown_form",
            f"form {form_id[:100]!r} is not configured for this account (form_nurture.forms)",
        )
    data = parse_json_object(raw)
    email_keys = route.email_keys or ("email",)
    present = [k for k in email_keys if data.get(k) not in (None, "")]
    if not present:
        raise invalid(email_keys[0], "required: the field mapped to the lead's email is missing")
    value = data[present[0]]
    try:
        normalise_email(value if isinstance(value, str) else "")
    except ValueError as exc:
        raise invalid(present[0], str(exc)) from None
    sender_id = next(
        (
            data[k]
            for k in ("event_id", "submission_id", "id")
            if isinstance(data.get(k), str | int) and str(data[k])
        ),
        None,
    )
    ident = (
        f"id:{form_id}:{sender_id}"
        if sender_id is not None
        else identity_hash(form_id, strip_secrets(data))
    )
    return await submit(gw, [_job(acct, "generic", form_id, ident, data)], SOURCE)
