"""Website visit follow-up rules (automation 10). Pure functions, no I/O.

A visit is worth a warm follow-up when the page matches the account's rule, the visitor is a lead
already in one of the account's campaigns, nobody has recorded a reply from them, and they were
not added in the last ``cooldown_days``. Smartlead has no ``NOT_REPLIED`` status: "not replied"
means no reply recorded anywhere we can see (smartlead-api.md).

Decision reasons (stable: they are the audit log's ``reason`` values):
``not_a_matching_page``, ``unknown_lead``, ``replied``, ``blocked``, ``cooldown``, ``added``,
``dry_run``, ``already_in_followup``, ``rejected``, ``not_configured``, ``disabled``,
``lookup_failed``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dateutil import parser as date_parser

from workers.clients.smartlead_models import LEAD_TEXT_FIELDS

NOT_A_MATCHING_PAGE = "not_a_matching_page"
UNKNOWN_LEAD = "unknown_lead"
REPLIED = "replied"
BLOCKED = "blocked"
COOLDOWN = "cooldown"
ADDED = "added"
DRY_RUN = "dry_run"
NOT_CONFIGURED = "not_configured"
DISABLED = "disabled"
LOOKUP_FAILED = "lookup_failed"
ALREADY_IN_FOLLOWUP = "already_in_followup"
REJECTED = "rejected"

# How a campaign's "replied?" was answered (audit ``reply_checks``, campaign id -> one of these).
REPLY_CHECKS = "reply_checks"
CHECK_STATUS = "status_and_category"  # the lead's status/category in it show a reply
CHECK_STATISTICS = "statistics"  # the campaign's replied statistics were read
CHECK_FALLBACK = "status_and_category_only"  # statistics failed: status/category decided


def fallback_note(checks: Mapping[str, str] | None) -> str:
    """The basis suffix when a reply check fell back to status and category."""
    failed = sorted(c for c, how in (checks or {}).items() if how.startswith(CHECK_FALLBACK))
    if not failed:
        return ""
    return f"; replies from status and category only in campaign(s) {', '.join(failed)}"


# Lead outcomes that mean "this lead is (or is about to be) in that campaign".
IN_CAMPAIGN_STATUSES = ("pending", "added", "already_in_campaign")
# A company-level visit adds at most this many of the company's leads.
MAX_LEADS_PER_DOMAIN = 25
# A company-level visit from a mailbox provider's domain says nothing about a company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "yandex.ru",
        "mail.ru",
    }
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

# Evidence of a reply in Smartlead's lead_campaign_data entries. Only campaign_id,
# campaign_lead_map_id and lead_category_id are documented; the rest are read when present.
_REPLY_COUNTS = ("reply_count", "replied_count", "replies", "total_replies")
_REPLY_FLAGS = ("replied", "is_replied", "has_replied", "is_reply")
_REPLY_TIMES = ("reply_time", "replied_at", "last_reply_time", "last_replied_at")


@dataclass(frozen=True)
class OwnStanding:
    """What LeadOps' own LeadOutcome rows say about one lead of the account."""

    campaign_ids: tuple[str, ...] = ()
    replied: bool = False

    @property
    def known(self) -> bool:
        return bool(self.campaign_ids)


@dataclass(frozen=True)
class SmartleadStanding:
    """What Smartlead's lead-by-email says (None fields: Smartlead does not know the lead)."""

    campaign_ids: tuple[str, ...] = ()
    replied_basis: str | None = None  # why we think the lead replied
    blocked_basis: str | None = None
    lead: dict[str, Any] = field(default_factory=dict)  # lead fields to re-use when adding

    @property
    def known(self) -> bool:
        return bool(self.campaign_ids)


@dataclass
class Decision:
    reason: str
    email: str | None = None
    basis: str = ""
    campaign_ids: tuple[str, ...] = ()
    lead: dict[str, Any] | None = None  # set when reason is "added" (what to upload)

    @property
    def outcome(self) -> str:
        """The audit log's outcome column."""
        if self.reason == ADDED:
            return "done"
        if self.reason == DRY_RUN:
            return "dry_run"
        if self.reason in (NOT_CONFIGURED, LOOKUP_FAILED, REJECTED):
            return "failed"
        return "skipped"


def page_matches(page_url: str | None, patterns: Iterable[str]) -> bool:
    """True when the page's path (or the whole URL, for a pattern naming a host) contains one of
    the patterns, case-insensitively. ``"/pricing"`` matches ``https://x.io/pricing?plan=pro``
    and ``/en/pricing/teams``, not ``https://x.io/blog?ref=/pricing``."""
    if not page_url:
        return False
    path, whole = _path(page_url), page_url.strip().lower()
    for pattern in patterns:
        p = pattern.strip().lower()
        if not p:
            continue
        if ("." in p.split("/", 1)[0] or "://" in p) and p in whole:
            return True
        if p in path:
            return True
    return False


def _path(page_url: str) -> str:
    url = page_url.strip()
    parts = urlsplit(url if "://" in url or url.startswith("/") else "https://" + url)
    return (parts.path or "/").lower()


def trigger_for(patterns: Iterable[str], page_url: str) -> str:
    """``trigger`` custom field: ``pricing_page_visit`` for the ``/pricing`` rule."""
    path = _path(page_url)
    for pattern in patterns:
        p = pattern.strip().lower()
        if p and p in path:
            name = re.sub(r"[^a-z0-9]+", "_", p).strip("_")
            return f"{name or 'page'}_page_visit"
    return "page_visit"


def visit_date(seen_at: str | None, now: dt.datetime) -> str:
    """``visit_date`` custom field (YYYY-MM-DD): RB2B's ``Seen At`` is parsed leniently."""
    if seen_at:
        try:
            parsed = date_parser.parse(str(seen_at), fuzzy=True)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            if parsed <= now + dt.timedelta(days=1):
                return parsed.astimezone(dt.UTC).date().isoformat()
        except (ValueError, OverflowError):
            pass
    return now.astimezone(dt.UTC).date().isoformat()


def normalize_domain(domain: str | None) -> str | None:
    """``https://www.Acme.io/pricing`` -> ``acme.io``; None when it is not a domain."""
    if not domain:
        return None
    d = domain.strip().lower()
    if "://" in d:
        d = urlsplit(d).hostname or ""
    d = d.split("/", 1)[0].split(":", 1)[0].rstrip(".")
    if d.startswith("www."):
        d = d[4:]
    return d if _DOMAIN.match(d) else None


def normalize_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.strip().lower()


def in_cooldown(last_added_at: dt.datetime | None, now: dt.datetime, cooldown_days: int) -> bool:
    if last_added_at is None or cooldown_days <= 0:
        return False
    if last_added_at.tzinfo is None:  # SQLite gives naive datetimes back
        last_added_at = last_added_at.replace(tzinfo=dt.UTC)
    return now - last_added_at < dt.timedelta(days=cooldown_days)


def _positive(value: Any) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def entry_reply_basis(entry: Mapping[str, Any]) -> str | None:
    """Why one lead_campaign_data entry counts as replied, or None.

    A category (Interested, Not Interested, Do Not Contact, Out Of Office, ...) is set on a reply;
    ``STOPPED`` is what Smartlead's stop-on-reply leaves. Both count: a warm follow-up to someone
    who answered is the costly mistake, a missed follow-up the cheap one.
    """
    for name in _REPLY_COUNTS:
        if _positive(entry.get(name)):
            return name
    for name in _REPLY_FLAGS:
        if entry.get(name) is True:
            return name
    for name in _REPLY_TIMES:
        if entry.get(name):
            return name
    if entry.get("lead_category_id") not in (None, "", 0):
        return "lead_category"
    if str(entry.get("lead_status") or entry.get("status") or "").upper() == "STOPPED":
        return "status_stopped"
    return None


def smartlead_standing(lead: Mapping[str, Any] | None) -> SmartleadStanding:
    """Read Smartlead's lead-by-email answer (a dict; ``{}`` or None for an unknown lead)."""
    if not lead or not lead.get("email"):
        return SmartleadStanding()
    entries = [e for e in lead.get("lead_campaign_data") or [] if isinstance(e, Mapping)]
    campaign_ids = tuple(str(e["campaign_id"]) for e in entries if e.get("campaign_id") is not None)
    replied = None
    blocked = "unsubscribed" if lead.get("is_unsubscribed") else None
    for entry in entries:
        replied = replied or entry_reply_basis(entry)
        status = str(entry.get("lead_status") or entry.get("status") or "").upper()
        if status == "BLOCKED":
            blocked = blocked or "status_blocked"
    fields = {k: lead[k] for k in LEAD_TEXT_FIELDS if lead.get(k)}
    custom = lead.get("custom_fields")
    if isinstance(custom, Mapping) and custom:
        fields["custom_fields"] = {str(k): v for k, v in custom.items() if v not in (None, "")}
    return SmartleadStanding(campaign_ids, replied, blocked, fields)


def decide_before_lookup(
    own: OwnStanding, last_added_at: dt.datetime | None, now: dt.datetime, cooldown_days: int
) -> Decision | None:
    """Decisions our own records settle without asking Smartlead; None: ask Smartlead."""
    if own.replied:
        return Decision(REPLIED, basis="own_records", campaign_ids=own.campaign_ids)
    if in_cooldown(last_added_at, now, cooldown_days):
        return Decision(
            COOLDOWN,
            basis=f"added {last_added_at:%Y-%m-%d}" if last_added_at else "",
            campaign_ids=own.campaign_ids,
        )
    return None


def decide_after_lookup(
    email: str,
    own: OwnStanding,
    smartlead: SmartleadStanding,
    *,
    trigger: str,
    visit_day: str,
) -> Decision:
    """The final decision once Smartlead's view of the lead is known."""
    campaigns = tuple(dict.fromkeys(own.campaign_ids + smartlead.campaign_ids))
    if not campaigns:
        return Decision(UNKNOWN_LEAD, email, basis="not in any campaign of the account")
    if smartlead.replied_basis:
        return Decision(
            REPLIED, email, basis=f"smartlead:{smartlead.replied_basis}", campaign_ids=campaigns
        )
    if smartlead.blocked_basis:
        return Decision(
            BLOCKED, email, basis=f"smartlead:{smartlead.blocked_basis}", campaign_ids=campaigns
        )
    lead = dict(smartlead.lead)
    custom = dict(lead.get("custom_fields") or {})
    custom.update({"trigger": trigger, "visit_date": visit_day})
    lead.update({"email": email, "custom_fields": custom})
    basis = "own_records" if own.known else "smartlead"
    return Decision(ADDED, email, basis=basis, campaign_ids=campaigns, lead=lead)


def decide_dry_run(email: str, own: OwnStanding) -> Decision:
    """Dry run never calls Smartlead: the decision rests on our own records alone."""
    if not own.known:
        return Decision(
            UNKNOWN_LEAD, email, basis="own_records only (dry run: Smartlead not asked)"
        )
    return Decision(
        DRY_RUN,
        email,
        basis="would add (own_records; Smartlead not asked)",
        campaign_ids=own.campaign_ids,
    )
