"""Website visits -> ``tasks.visit_followup.handle_visit``.

- ``POST /v1/{account}/visitors/rb2b?secret=``: always 200 (RB2B disconnects the integration
  on any other answer); a refused payload is answered ``{"accepted": false, "reason": ...}``
  and recorded (metric, log, Redis list ``leadops:gateway:rejections:rb2b``).
- ``POST /v1/{account}/visitors/company`` and ``/visitors/generic``: the account's ``visitor``
  secret as bearer token, ``X-LeadOps-Secret`` or ``?secret=``.
"""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api_gateway import metrics
from api_gateway.accounts_cache import GatewayAccount
from api_gateway.dedup import event_id_for, identity_hash
from api_gateway.enqueue import Job
from api_gateway.http import GatewayError, invalid, json_response, parse_json_object, validate_model
from api_gateway.openapi_docs import STANDARD_RESPONSES, request_body
from api_gateway.pipeline import (
    Gateway,
    RawRoute,
    find_account,
    gateway_of,
    log,
    raw_json_body,
    submit,
    token_request,
)
from api_gateway.schemas_common import email_domain, lenient_timestamp, normalise_domain
from api_gateway.schemas_common import normalise_email as _email
from api_gateway.schemas_visitors import CompanyVisit, GenericVisit, RB2BVisit, recover_seen_at
from api_gateway.verify import require_secrets, secret_matches, unauthorized
from workers import task_names

router = APIRouter(tags=["visitors"], route_class=RawRoute)
SOURCE = "visitor"


def _visit(
    acct: GatewayAccount,
    source: str,
    ident: str,
    *,
    email: str | None,
    domain: str | None,
    page_url: str,
    seen_at: str,
) -> Job:
    event_id = event_id_for(acct.id, f"visit-{source}", ident)
    return Job(
        acct.id,
        event_id,
        task_names.HANDLE_VISIT,
        {
            "account_id": acct.id,
            "event_id": event_id,
            "source": source,
            "email": email,
            "domain": domain,
            "page_url": page_url,
            "seen_at": seen_at,
        },
    )


def _safe_domain(value: str | None) -> str | None:
    try:
        return normalise_domain(value) if value else None
    except ValueError:
        return None


RB2B_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Always, accepted or not: `{accepted, event_id?, reason?}`."}
}


@router.post(
    "/v1/{account}/visitors/rb2b", responses=RB2B_RESPONSES, openapi_extra=request_body(RB2BVisit)
)
async def rb2b(account: str, request: Request) -> Response:
    """RB2B person-level visit; secret in `?secret=`; always 200."""
    gw = gateway_of(request)
    acct: GatewayAccount | None = None
    try:
        acct = await find_account(gw, account)
        return _rb2b_answer(await _rb2b(gw, acct, request))
    except GatewayError as err:
        reason = err.message
        if err.errors:
            reason += ": " + "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in err.errors)
        await _record_rejection(gw, acct, err.status, reason)
        return json_response({"accepted": False, "reason": reason}, 200)
    except Exception as exc:  # RB2B disconnects on a 500: answer 200 and record it
        log.exception("rb2b_failed", error_class=type(exc).__name__)
        await _record_rejection(gw, acct, 500, f"internal error ({type(exc).__name__})")
        return json_response({"accepted": False, "reason": "internal error"}, 200)


async def _rb2b(gw: Gateway, acct: GatewayAccount, request: Request) -> Response:
    raw = await raw_json_body(request, gw)
    secrets = require_secrets(acct.secrets_for("rb2b"), "rb2b")
    given = request.query_params.get("secret")
    if not given:
        raise unauthorized("missing ?secret= in the webhook URL")
    if not secret_matches(given, secrets):
        raise unauthorized("wrong rb2b secret for this account")
    visit: RB2BVisit = validate_model(RB2BVisit, parse_json_object(raw))
    email = None
    if visit.business_email:
        try:
            email = _email(visit.business_email)
        except ValueError:
            email = None
    domain = _safe_domain(visit.website) or email_domain(email)
    if email is None and domain is None:
        raise invalid("Business Email", "no business email and no website: nothing to match")
    seen_raw = visit.seen_at if isinstance(visit.seen_at, str | int | float) else None
    ident = identity_hash(visit.linkedin_url or email, visit.captured_url, seen_raw)
    return await submit(
        gw,
        [
            _visit(
                acct,
                "rb2b",
                ident,
                email=email,
                domain=domain,
                page_url=visit.captured_url,
                seen_at=lenient_timestamp(recover_seen_at(seen_raw)),
            )
        ],
        "rb2b",
    )


def _rb2b_answer(resp: Response) -> Response:
    import orjson

    body = orjson.loads(bytes(resp.body))
    body["accepted"] = True
    return json_response(body, 200)


async def _record_rejection(
    gw: Gateway, acct: GatewayAccount | None, status: int, reason: str
) -> None:
    metrics.REJECTED.labels("rb2b", str(status)).inc()
    log.warning("rb2b_rejected", account_id=acct.id if acct else None, status=status, reason=reason)
    try:
        await gw.enqueuer.record_rejection(acct.id if acct else None, "rb2b", status, reason)
    except redis.RedisError:
        metrics.REDIS_ERRORS.inc()


@router.post(
    "/v1/{account}/visitors/company",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=request_body(CompanyVisit),
    description=CompanyVisit.__doc__,
)
async def company_visit(account: str, request: Request) -> Response:
    """Company-level visit (Clearbit audience / Albacross shape)."""
    gw, acct, raw = await token_request(request, account, SOURCE, allow_query=True)
    visit: CompanyVisit = validate_model(CompanyVisit, parse_json_object(raw))
    company = visit.company
    views = company.events.page_views if company.events else []
    if not views:
        raise invalid("company.events.page_views", "at least one page view is needed")
    fallback_ts = visit.context.timestamp if visit.context else None
    jobs = []
    for view in views:
        host = (view.host or "").strip().lower()
        if _safe_domain(host) is None:
            host = company.domain
        path = (view.path or "/").strip()
        page_url = f"https://{host}{path if path.startswith('/') else '/' + path}"[:2000]
        ts = view.timestamp if view.timestamp is not None else fallback_ts
        ts_raw = ts if isinstance(ts, str | int | float) else None
        ident = identity_hash(company.domain, page_url, ts_raw)
        jobs.append(
            _visit(
                acct,
                "company",
                ident,
                email=None,
                domain=company.domain,
                page_url=page_url,
                seen_at=lenient_timestamp(ts_raw),
            )
        )
    return await submit(gw, jobs, "company")


@router.post(
    "/v1/{account}/visitors/generic",
    status_code=202,
    responses=STANDARD_RESPONSES,
    openapi_extra=request_body(GenericVisit),
    description=GenericVisit.__doc__,
)
async def generic_visit(account: str, request: Request) -> Response:
    """A visit from any tool: `{email | domain, page_url, seen_at}`."""
    gw, acct, raw = await token_request(request, account, SOURCE, allow_query=True)
    visit: GenericVisit = validate_model(GenericVisit, parse_json_object(raw))
    if visit.email is None and visit.domain is None:
        raise invalid("email", "give email or domain (at least one)")
    domain = visit.domain or email_domain(visit.email)
    ident = identity_hash(visit.email or domain, visit.page_url, visit.seen_at)
    return await submit(
        gw,
        [
            _visit(
                acct,
                "generic",
                ident,
                email=visit.email,
                domain=domain,
                page_url=visit.page_url,
                seen_at=lenient_timestamp(visit.seen_at),
            )
        ],
        "generic",
    )
