"""The Smartlead side of the visit follow-up (automation 10): look a lead up, add it to the warm
campaign, record its LeadOutcome. ``run_visit`` runs ``tasks.visit_followup.flow.handle_visit``
with it.

Why the warm campaign is added to directly rather than through the intake buffer: the lead is in
another campaign of the account by definition, and Smartlead refuses such a lead as a duplicate
unless the upload says ``ignore_duplicate_leads_in_other_campaign`` (smartlead-api.md, add-leads
settings). One lead per visit gains nothing from chunking; re-sending after a crash is harmless
(Smartlead counts the lead ``already_added_to_campaign``).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from tasks.visit_followup import rules
from tasks.visit_followup.flow import AddOutcome, Visit, handle_visit
from workers.accounts import get_account
from workers.blocklist import is_blocked
from workers.clients.errors import ApiError, PermanentError, RateLimited, TransientError
from workers.clients.factory import smartlead_for
from workers.db import session_scope
from workers.intake.upload import classify
from workers.logging import get_logger
from workers.models import LeadOutcome
from workers.redis_client import redis_client

log = get_logger("tasks.visit_followup.smartlead")

STATS_MAX_PAGES = 10  # replied statistics read per campaign and look-up (100 rows a page)
# A failed statistics call is tried this often in all, pausing 0.5 s, 1 s (at most 2 s for a
# 429's Retry-After), before the lead's own status and category decide.
STATS_TRIES = 3
STATS_PAUSE = 0.5
STATS_MAX_PAUSE = 2.0
WARM_UPLOAD_SETTINGS = {"ignore_duplicate_leads_in_other_campaign": True}


class SmartleadVisitApi:
    """One account's Smartlead client, for the look-ups and adds of one visit event."""

    def __init__(self, account_id: int, client: Any = None) -> None:
        self.account_id = account_id
        if client is None:
            with session_scope() as s:
                account = get_account(s, account_id)
                if account is None:
                    raise PermanentError(f"no account {account_id}", service="smartlead")
                client = smartlead_for(account, lane="realtime")
        self.client = client

    def lookup(self, email: str) -> dict[str, Any] | None:
        """Lead-by-email as a dict (None: unknown). Lead-by-email shows each campaign's lead
        status and category but not always a reply (a campaign that does not stop on reply
        leaves the lead INPROGRESS), so an entry with no reply evidence is checked against the
        campaign's replied statistics too."""
        lead = self.client.get_lead_by_email(email)
        if lead is None:
            return None
        data: dict[str, Any] = lead.model_dump()
        checks: dict[str, str] = {}
        for entry in data.get("lead_campaign_data") or []:
            campaign = str(entry.get("campaign_id"))
            if rules.entry_reply_basis(entry) is not None:
                checks[campaign] = rules.CHECK_STATUS
                continue
            try:
                reply_time = self._replied_with_retries(entry["campaign_id"], email)
            except ApiError as exc:
                # The statistics would not answer: the lead's own status and category in that
                # campaign (already read: no reply there) decide, and the audit says so.
                checks[campaign] = f"{rules.CHECK_FALLBACK}: {exc.status_code or ''} {exc.message}"
                log.warning(
                    "reply_statistics_failed",
                    campaign_id=campaign,
                    status=exc.status_code,
                    error=type(exc).__name__,
                )
                continue
            checks[campaign] = rules.CHECK_STATISTICS
            if reply_time:
                entry["reply_time"] = reply_time
        data[rules.REPLY_CHECKS] = checks
        return data

    def _replied_with_retries(self, campaign_id: Any, email: str) -> str | None:
        """The statistics look-up, tried again after a transient failure (5xx, timeout, a
        short 429); a 4xx, or the last failure, is raised."""
        for attempt in range(STATS_TRIES):
            try:
                return self.replied_in_statistics(campaign_id, email)
            except (TransientError, RateLimited) as exc:
                wait = exc.retry_after if isinstance(exc, RateLimited) else 0.0
                if attempt == STATS_TRIES - 1 or wait > STATS_MAX_PAUSE:
                    raise
                time.sleep(max(wait, STATS_PAUSE * 2**attempt))
        return None

    def replied_in_statistics(self, campaign_id: Any, email: str) -> str | None:
        """The lead's reply time from the campaign's ``email_status=replied`` statistics."""
        limit = 100
        for page in range(STATS_MAX_PAGES):
            stats = self.client.get_campaign_statistics(
                int(campaign_id), offset=page * limit, limit=limit, email_status="replied"
            )
            for row in stats.data:
                if row.lead_email.strip().lower() == email and row.reply_time:
                    return str(row.reply_time)
            if len(stats.data) < limit:
                return None
        log.warning("reply_statistics_truncated", campaign_id=str(campaign_id))
        return None

    def add(self, campaign_id: str, lead: dict[str, Any], event_id: str) -> AddOutcome:
        """Add one lead to the warm campaign (never past the agency block list) and record its
        outcome in the campaign (source ``visit``)."""

        email = lead["email"]
        with session_scope() as s:
            blocked = is_blocked(s, email)
        if blocked:
            result = AddOutcome("blocked", "on the agency block list")
        else:
            answer = self.client.add_leads(int(campaign_id), [lead], settings=WARM_UPLOAD_SETTINGS)
            outcomes, notes = classify([email], answer)
            status, reason = outcomes.get(email, ("unresolved", "; ".join(notes)))
            result = AddOutcome(status, reason)
        self._record(campaign_id, email, result, event_id)
        return result

    def _record(self, campaign_id: str, email: str, result: AddOutcome, event_id: str) -> None:
        with session_scope() as s:
            row = s.scalar(
                select(LeadOutcome).where(
                    LeadOutcome.account_id == self.account_id,
                    LeadOutcome.campaign_id == str(campaign_id),
                    LeadOutcome.email == email,
                )
            )
            if row is None:
                s.add(
                    LeadOutcome(
                        account_id=self.account_id,
                        campaign_id=str(campaign_id),
                        email=email,
                        source="visit",
                        status=result.status,
                        reason=result.reason[:2000],
                        event_id=event_id,
                    )
                )
            elif result.status == "added" or row.status not in ("added", "already_in_campaign"):
                row.status, row.reason, row.event_id = result.status, result.reason[:2000], event_id


def run_visit(visit: Visit, *, task_id: str | None = None) -> list[dict[str, Any]]:
    """``handle_visit`` with the account's real Smartlead client and the shared Redis."""

    return handle_visit(
        visit,
        api=lambda: SmartleadVisitApi(visit.account_id),
        redis=redis_client(),
        task_id=task_id,
    )
