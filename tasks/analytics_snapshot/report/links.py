"""The client's report link: ``{base}/reports/{account_slug}/{token}``.

Only the token's hash is stored (workers/report_store.py), so the link can be shown only when a
token is issued: the first ``leadops report link ACCOUNT`` issues one, and later ones say a link
exists and that ``--rotate`` replaces it (the old link stops working at once). The base is the
account's ``report_base_url`` (an agency's own domain in front of the gateway), else the
gateway's public URL from settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session

from tasks.analytics_snapshot.report.source import params_of
from workers import audit
from workers.models import Account
from workers.report_store import issue_token, link_state
from workers.settings import Settings, get_settings


@dataclass(frozen=True)
class IssuedLink:
    url: str
    rotated: bool  # an earlier link existed and no longer works


@dataclass(frozen=True)
class ExistingLink:
    created_at: dt.datetime
    rotated_at: dt.datetime | None


def base_url(account: Account, settings: Settings | None = None) -> str:
    configured = params_of(account).report_base_url
    if configured:
        return configured.rstrip("/")
    s = settings or get_settings()
    return (
        s.gateway_public_url.rstrip("/")
        if s.gateway_public_url
        else (f"http://{s.gateway_host}:{s.gateway_port}")
    )


def report_url(account: Account, token: str, settings: Settings | None = None) -> str:
    return f"{base_url(account, settings)}/reports/{quote(account.slug, safe='')}/{token}"


def issue_link(session: Session, account: Account, *, rotate: bool) -> IssuedLink | ExistingLink:
    """A new link when asked to rotate or when the account has none; else what exists."""
    existing = link_state(session, account.id)
    if existing is not None and not rotate:
        return ExistingLink(existing.created_at, existing.rotated_at)
    token = issue_token(session, account.id)
    audit.record(
        "analytics_snapshot",
        "report_link_rotated" if existing else "report_link_issued",
        "done",
        "the previous report link no longer works" if existing else "first report link",
        account_id=account.id,
        session=session,
    )
    return IssuedLink(report_url(account, token), rotated=existing is not None)
