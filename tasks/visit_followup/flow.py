"""Automation 10: a known, not-yet-replied lead visits a matching page -> warm follow-up campaign.

``handle_visit`` runs one visit event (person-level with an email, or company-level with only a
domain) through the rules of ``rules.py`` beside this file and writes every decision to the audit
log (automation ``visit_followup``, action ``warm_followup``, reason = the decision). Smartlead is
reached through an injected ``VisitApi`` (built lazily, once per event) so the rules can be
tested with fakes:

- ``lookup(email) -> dict | None``: Smartlead's lead-by-email answer, as a plain dict;
- ``add(campaign_id, lead, event_id) -> AddOutcome``: add the lead to the warm campaign and
  record its ``LeadOutcome`` (source ``visit``).

``tasks.visit_followup.smartlead.run_visit`` wires the real one (the account's Smartlead client).

A Redis lock per (account, email) makes check-then-add atomic across workers, so two visits of
the same lead at once add it once. Dry run never calls Smartlead (neither look-up nor add).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tasks.visit_followup import rules
from workers import audit
from workers.accounts import automation_config, get_account
from workers.automations import VisitFollowupParams
from workers.clients.errors import PermanentError, RateLimitDeferred
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import LeadOutcome, ProcessedEvent, VisitFollowup

log = get_logger("tasks.visit_followup.flow")

AUTOMATION = "visit_followup"
ACTION = "warm_followup"
LOCK_TIMEOUT = 60.0
LOCK_WAIT = 5.0


@dataclass(frozen=True)
class AddOutcome:
    status: str  # a LeadOutcome status: added | already_in_campaign | blocked | invalid_email ...
    reason: str = ""


class VisitApi(Protocol):
    def lookup(self, email: str) -> dict[str, Any] | None: ...
    def add(self, campaign_id: str, lead: dict[str, Any], event_id: str) -> AddOutcome: ...


ApiFactory = Callable[[], VisitApi]


@dataclass(frozen=True)
class Visit:
    account_id: int
    event_id: str
    source: str  # rb2b | company | generic
    email: str | None
    domain: str | None
    page_url: str
    seen_at: str | None = None


# Add-leads outcomes other than "added", and the decision each stands for.
_ADD_REFUSALS = {
    "already_in_campaign": rules.ALREADY_IN_FOLLOWUP,
    "blocked": rules.BLOCKED,
    "unsubscribed": rules.BLOCKED,
    "bounced": rules.BLOCKED,
}


def own_standing(session: Session, account_id: int, email: str) -> rules.OwnStanding:
    rows = session.scalars(
        select(LeadOutcome).where(LeadOutcome.account_id == account_id, LeadOutcome.email == email)
    ).all()
    in_campaign = [r for r in rows if r.status in rules.IN_CAMPAIGN_STATUSES]
    return rules.OwnStanding(
        tuple(dict.fromkeys(r.campaign_id for r in in_campaign)), any(r.replied for r in rows)
    )


def last_followup(session: Session, account_id: int, email: str) -> dt.datetime | None:
    return session.scalar(
        select(func.max(VisitFollowup.added_at)).where(
            VisitFollowup.account_id == account_id, VisitFollowup.email == email
        )
    )


def leads_of_domain(session: Session, account_id: int, domain: str) -> list[str]:
    """Addresses at ``domain`` LeadOps uploaded for the account (most recent first)."""
    rows = session.execute(
        select(LeadOutcome.email, func.max(LeadOutcome.updated_at).label("at"))
        .where(
            LeadOutcome.account_id == account_id,
            LeadOutcome.status.in_(rules.IN_CAMPAIGN_STATUSES),
            func.lower(LeadOutcome.email).like(f"%@{domain}"),
        )
        .group_by(LeadOutcome.email)
        .order_by(func.max(LeadOutcome.updated_at).desc())
        .limit(rules.MAX_LEADS_PER_DOMAIN)
    ).all()
    return [r.email for r in rows if r.email.lower().endswith("@" + domain)]


def _event_key(event_id: str, email: str) -> str:
    """Intake event id for one lead of one visit (fits LeadOutcome.event_id's 64 characters)."""
    digest = hashlib.sha256(f"{event_id}|{email}".encode()).hexdigest()[:32]
    return f"visit:{digest}"


def _record(
    visit: Visit,
    decision: rules.Decision,
    params: VisitFollowupParams | None,
    *,
    task_id: str | None,
    extra: dict[str, Any] | None = None,
    session: Session | None = None,
) -> None:
    details: dict[str, Any] = {
        "source": visit.source,
        "page_url": visit.page_url,
        "seen_at": visit.seen_at,
        "basis": decision.basis,
        "lead_campaigns": list(decision.campaign_ids),
    }
    if visit.domain:
        details["domain"] = visit.domain
    if params is not None:
        details["followup_campaign_id"] = params.campaign_id
    details.update(extra or {})
    known = decision.reason != rules.NOT_CONFIGURED or params is not None
    if not known:
        details["account_id"] = visit.account_id  # no such account: no foreign key to hold it
    audit.record(
        AUTOMATION,
        ACTION,
        decision.outcome,
        decision.reason,
        account_id=visit.account_id if known else None,
        subject=decision.email or visit.domain,
        details=details,
        event_id=visit.event_id[:64],
        task_id=task_id,
        session=session,
    )


def handle_visit(
    visit: Visit,
    *,
    api: ApiFactory,
    redis: Any,
    task_id: str | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Decide (and act on) one visit. Returns one ``{email, reason, outcome}`` per decision.

    ``api`` is a factory so a dry run or an early decision never builds a Smartlead client.
    A redelivered event (same ``event_id``) finds its result and does nothing again.
    """
    now = now or dt.datetime.now(dt.UTC)
    scope, key = AUTOMATION, f"{visit.account_id}:{visit.event_id}"[:200]
    with session_scope() as s:
        done = s.scalar(
            select(ProcessedEvent).where(ProcessedEvent.scope == scope, ProcessedEvent.key == key)
        )
        if done is not None:
            return list(done.result.get("decisions", []))
        account = get_account(s, visit.account_id)
        config = automation_config(account, AUTOMATION) if account is not None else None
    decisions = _decide_all(visit, config, api=api, redis=redis, task_id=task_id, now=now)
    try:
        with session_scope() as s:
            s.add(ProcessedEvent(scope=scope, key=key, result={"decisions": decisions}))
    except IntegrityError:  # the same event delivered twice at once: the other copy recorded it
        log.info("visit_event_already_recorded", account_id=visit.account_id)
    return decisions


def _decide_all(
    visit: Visit, config: Any, *, api: ApiFactory, redis: Any, task_id: str | None, now: dt.datetime
) -> list[dict[str, Any]]:
    def finish(
        decision: rules.Decision, params: VisitFollowupParams | None = None, **extra: Any
    ) -> dict[str, Any]:
        _record(visit, decision, params, task_id=task_id, extra=extra)
        return {"email": decision.email, "reason": decision.reason, "outcome": decision.outcome}

    if config is None:
        return [finish(rules.Decision(rules.NOT_CONFIGURED, visit.email, basis="no such account"))]
    params: VisitFollowupParams = config.params
    if not config.enabled:
        return [finish(rules.Decision(rules.DISABLED, visit.email), params)]
    if not params.campaign_id:
        return [
            finish(
                rules.Decision(
                    rules.NOT_CONFIGURED, visit.email, basis="no warm follow-up campaign_id"
                ),
                params,
            )
        ]
    if not rules.page_matches(visit.page_url, params.page_contains):
        return [
            finish(
                rules.Decision(
                    rules.NOT_A_MATCHING_PAGE,
                    visit.email,
                    basis=f"page_contains={params.page_contains}",
                ),
                params,
            )
        ]
    email = rules.normalize_email(visit.email)
    if email is not None:
        emails = [email]
    else:
        domain = rules.normalize_domain(visit.domain)
        if domain is None or domain in rules.FREE_MAIL_DOMAINS:
            why = "no email and no usable company domain"
            if domain:
                why = f"{domain} is a mailbox provider, not a company"
            return [finish(rules.Decision(rules.UNKNOWN_LEAD, None, basis=why), params)]
        with session_scope() as s:
            emails = leads_of_domain(s, visit.account_id, domain)
        if not emails:
            return [
                finish(
                    rules.Decision(rules.UNKNOWN_LEAD, None, basis=f"no uploaded lead at {domain}"),
                    params,
                )
            ]
    built: list[VisitApi] = []

    def once() -> VisitApi:  # one Smartlead client for all the leads of a company visit
        if not built:
            built.append(api())
        return built[0]

    out = []
    for address in emails:
        out.append(
            _decide_one(
                visit,
                address,
                params,
                config.dry_run,
                api=once,
                redis=redis,
                task_id=task_id,
                now=now,
            )
        )
    return out


def _decide_one(
    visit: Visit,
    email: str,
    params: VisitFollowupParams,
    dry_run: bool,
    *,
    api: ApiFactory,
    redis: Any,
    task_id: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    lock = redis.lock(
        f"leadops:lock:visit_followup:{visit.account_id}:"
        f"{hashlib.sha256(email.encode()).hexdigest()[:24]}",
        timeout=LOCK_TIMEOUT,
        blocking_timeout=LOCK_WAIT,
    )
    if not lock.acquire():
        raise RateLimitDeferred(1.0, key_id="visit-lock")
    try:
        return _decide_locked(visit, email, params, dry_run, api=api, task_id=task_id, now=now)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - expired lock: nothing to release
            log.warning("visit_lock_expired", account_id=visit.account_id)


def _decide_locked(
    visit: Visit,
    email: str,
    params: VisitFollowupParams,
    dry_run: bool,
    *,
    api: ApiFactory,
    task_id: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    with session_scope() as s:
        own = own_standing(s, visit.account_id, email)
        last = last_followup(s, visit.account_id, email)
    decision = rules.decide_before_lookup(own, last, now, params.cooldown_days)
    extra: dict[str, Any] = {}
    if decision is None and dry_run:
        decision = rules.decide_dry_run(email, own)
    if decision is None:
        try:
            answer = api().lookup(email)
        except PermanentError as exc:  # e.g. 401: no use retrying the look-up
            decision = rules.Decision(rules.LOOKUP_FAILED, email, basis=exc.message)
        else:
            decision = rules.decide_after_lookup(
                email,
                own,
                rules.smartlead_standing(answer),
                trigger=rules.trigger_for(params.page_contains, visit.page_url),
                visit_day=rules.visit_date(visit.seen_at, now),
            )
            checks = (answer or {}).get(rules.REPLY_CHECKS)
            if checks:
                extra[rules.REPLY_CHECKS] = checks
                decision.basis += rules.fallback_note(checks)
    decision.email = email
    if decision.reason == rules.ADDED and decision.lead is not None:
        try:
            result = api().add(
                str(params.campaign_id), decision.lead, _event_key(visit.event_id, email)
            )
        except PermanentError as exc:  # e.g. the warm campaign was deleted
            result = AddOutcome("failed", exc.message)
        extra |= {
            "upload": result.status,
            "custom_fields": {
                k: decision.lead["custom_fields"][k] for k in ("trigger", "visit_date")
            },
        }
        if result.status != "added":
            decision = rules.Decision(
                _ADD_REFUSALS.get(result.status, rules.REJECTED),
                email,
                basis=f"smartlead: {result.status} {result.reason}".strip(),
                campaign_ids=decision.campaign_ids,
            )
    with session_scope() as s:
        if decision.reason == rules.ADDED:
            s.add(
                VisitFollowup(
                    account_id=visit.account_id,
                    email=email,
                    campaign_id=str(params.campaign_id),
                    page_url=visit.page_url[:2000],
                    added_at=now,
                )
            )
        _record(visit, decision, params, task_id=task_id, extra=extra, session=s)
    return {"email": email, "reason": decision.reason, "outcome": decision.outcome}
