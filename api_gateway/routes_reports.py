"""``GET /reports/{account}/{token}[?period=...&format=csv]``: a client's stored report, read-only.

The gateway renders nothing (it imports no task code): workers store each rendered period in
workers/report_store.py and this route serves it. A wrong token, an unknown or inactive account
and an unknown period all get the same 404, so the link reveals nothing else of the account and
a guess cannot tell a real account from a made-up one. No answer may be cached by a browser or a
proxy (the page is private), and the page may fetch nothing (its own CSP says so too).
"""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.pipeline import SLUG_RE
from workers.logging import get_logger

router = APIRouter(tags=["reports"])
log = get_logger("api_gateway.reports")

DEFAULT_PERIOD = "last-30-days"
PERIOD_RE = re.compile(r"^(last-30-days|\d{4}-(0[1-9]|1[0-2]))$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store, private",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NOT_FOUND = b"<!doctype html><title>Not found</title><p>Not found.</p>\n"


def _not_found() -> Response:
    return Response(NOT_FOUND, 404, dict(SECURITY_HEADERS), media_type="text/html")


def _lookup(slug: str, token: str, period: str) -> tuple[str, str] | None:
    from workers.db import session_scope
    from workers.report_store import report_for_link

    with session_scope() as session:
        return report_for_link(session, slug, token, period)


@router.get("/reports/{account}/{token}", include_in_schema=False)
async def client_report(account: str, token: str, request: Request) -> Response:
    """The stored report of ``period`` (default last-30-days) as HTML, or its CSV."""
    period = request.query_params.get("period", DEFAULT_PERIOD)
    fmt = request.query_params.get("format", "html")
    if not (SLUG_RE.match(account) and TOKEN_RE.match(token) and PERIOD_RE.match(period)):
        return _not_found()
    if fmt not in ("html", "csv"):
        return _not_found()
    try:
        found = await asyncio.to_thread(_lookup, account, token, period)
    except Exception as exc:  # noqa: BLE001 - a database error must not reveal anything either
        log.warning("report_lookup_failed", error_class=type(exc).__name__)
        return Response(
            b"Temporarily unavailable.\n",
            503,
            {**SECURITY_HEADERS, "Retry-After": "30"},
            media_type="text/plain",
        )
    if found is None:
        return _not_found()
    html, csv = found
    if fmt == "csv":
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="report-{period}.csv"',
        }
        return Response(csv.encode("utf-8"), 200, headers, media_type="text/csv")
    return Response(html.encode("utf-8"), 200, dict(SECURITY_HEADERS), media_type="text/html")
