"""Clay rows: ``POST /v1/{account}/clay`` (bearer token or ``X-LeadOps-Secret``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.dedup import event_id_for, identity_hash
from api_gateway.enqueue import Job
from api_gateway.http import invalid, parse_json_object, validate_model
from api_gateway.openapi_docs import STANDARD_RESPONSES, request_body
from api_gateway.pipeline import (
    RawRoute,
    submit,
    token_request,
)
from api_gateway.schemas_clay import ClayRow
from workers import task_names

router = APIRouter(tags=["clay"], route_class=RawRoute)
SOURCE = "clay"


@router.post(
    "/v1/{account}/clay",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=request_body(ClayRow),
    description=ClayRow.__doc__,
)
async def clay_row(account: str, request: Request) -> Response:
    """One Clay row (one lead) for the account's intake campaign."""
    gw, acct, raw = await token_request(request, account, SOURCE)
    data = parse_json_object(raw)
    row: ClayRow = validate_model(ClayRow, data)
    if len(row.custom_fields) > acct.clay_max_custom_fields:
        raise invalid(
            "custom_fields",
            f"{len(row.custom_fields)} custom fields; this account allows at most "
            f"{acct.clay_max_custom_fields} per lead (clay_intake.max_custom_fields)",
        )
    campaign_id = row.campaign_id or acct.clay_default_campaign_id
    if campaign_id is None:
        raise invalid(
            "campaign_id",
            "no campaign_id given and the account has no default "
            "intake campaign (clay_intake.default_campaign_id)",
        )
    campaign_id = str(campaign_id)
    ident = (
        f"row:{campaign_id}:{row.row_id}" if row.row_id else identity_hash(row.email, campaign_id)
    )
    event_id = event_id_for(acct.id, SOURCE, ident)
    job = Job(
        acct.id,
        event_id,
        task_names.ACCEPT_LEAD,
        {
            "account_id": acct.id,
            "campaign_id": campaign_id,
            "source": SOURCE,
            "event_id": event_id,
            "lead": row.lead(),
        },
    )
    return await submit(gw, [job], SOURCE)
