"""CRM events that onboard a client: ``POST /v1/{account}/onboarding``.

The account in the path is the one to onboard (it must exist, with its key and time zone). The
body is signed: ``X-LeadOps-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`` with the
account's ``onboarding`` webhook secret, checked on the raw bytes before parsing. The fields are
the CLI's (``leadops onboard``); the worker checks the rest (template, key, mailboxes, name)
before any write and records the outcome in the run. The run id is the event id: a redelivered
event answers 200 duplicate with the same run id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.dedup import event_id_for, identity_hash
from api_gateway.enqueue import Job
from api_gateway.http import invalid, parse_json_object, validate_model
from api_gateway.openapi_docs import STANDARD_RESPONSES, request_body
from api_gateway.pipeline import (
    SLUG_RE,
    RawRoute,
    find_account,
    gateway_of,
    raw_json_body,
    submit,
)
from api_gateway.verify import hmac_hex_matches, require_secrets, unauthorized
from workers import task_names

router = APIRouter(tags=["onboarding"], route_class=RawRoute)
SOURCE = "onboarding"
SIGNATURE_HEADER = "x-leadops-signature"


def _id_list(value: Any) -> Any:
    """``[1, 2]``, ``"1,2"`` or ``"1 2"``: a CRM field is often a string."""
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return value


class OnboardingRequest(BaseModel):
    """Onboard the path's account by cloning a template campaign (a won deal, say).

    `template_account` is the LeadOps account (slug) that owns the template, `template_campaign`
    its Smartlead campaign id; `name` is the new campaign's name (unique under the account's
    key); `mailboxes` the account's mailbox ids to attach; `start` starts it when complete;
    `keep_partial` keeps a half-made campaign after a failure instead of deleting it.
    `event_id` (e.g. the CRM's deal id) identifies the event; without it the event is the
    template + name. Unknown keys are ignored.
    """

    model_config = ConfigDict(extra="ignore")

    template_account: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    template_campaign: int = Field(..., gt=0)
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    mailboxes: Annotated[list[Annotated[int, Field(gt=0)]], BeforeValidator(_id_list)] = Field(
        default_factory=list, max_length=500
    )
    start: bool = False
    keep_partial: bool = False
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


EXAMPLE = {
    "template_account": "agency",
    "template_campaign": 4242,
    "name": "Acme - Q3 outbound",
    "mailboxes": [2001, 2002],
    "start": False,
    "event_id": "deal-98765-won",
}


@router.post(
    "/v1/{account}/onboarding",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=request_body(OnboardingRequest, EXAMPLE),
    description=OnboardingRequest.__doc__,
)
async def onboarding_event(account: str, request: Request) -> Response:
    """Onboard this account from a template; 202 `{event_id, run_id}`."""
    gw = gateway_of(request)
    acct = await find_account(gw, account)
    raw = await raw_json_body(request, gw)
    secrets = require_secrets(acct.secrets_for(SOURCE), SOURCE)
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise unauthorized("missing X-LeadOps-Signature header (sha256=<hex HMAC of the body>)")
    if not hmac_hex_matches(signature, raw, secrets):
        raise unauthorized("X-LeadOps-Signature does not match the body")
    req: OnboardingRequest = validate_model(OnboardingRequest, parse_json_object(raw))
    template = (
        await gw.accounts.get(req.template_account) if SLUG_RE.match(req.template_account) else None
    )
    if template is None:
        raise invalid("template_account", f"no account {req.template_account[:64]!r} in LeadOps")
    ident = (
        f"event:{req.event_id}"
        if req.event_id
        else identity_hash(template.id, req.template_campaign, req.name.casefold())
    )
    event_id = event_id_for(acct.id, SOURCE, ident)
    job = Job(
        acct.id,
        event_id,
        task_names.START_ONBOARDING,
        {
            "account_id": acct.id,
            "event_id": event_id,
            "template_account_id": template.id,
            "template_campaign_id": req.template_campaign,
            "name": req.name,
            "mailbox_ids": list(req.mailboxes),
            "start": req.start,
            "keep_partial": req.keep_partial,
        },
    )
    return await submit(gw, [job], SOURCE, extra={"run_id": event_id})
