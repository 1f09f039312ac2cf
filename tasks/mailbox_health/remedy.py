"""Optional remedy (``remedy: "off" | "dry_run" | "on"``, off by default): stop campaign sending
from a failing mailbox and give its limit back when it recovers.

UNSURE: ``POST /email-accounts/{id} {"max_email_per_day": 0}`` stopping campaign sending while
warm-up keeps running was "seen once live" (smartlead-api.md marks it unsure). Run an account on
"dry_run" first: it records what it would do (audit) and calls nothing.

With remedy "off", mailboxes LeadOps paused earlier (while it was "on") are still given their
limit back when they recover: switching the remedy off must not strand a paused mailbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tasks.mailbox_health.rules import (
    Morning,
    Previous,
    RemedyPlan,
    confirmed,
    plan_remedy,
    wants_pause,
)
from workers.clients.errors import ApiError
from workers.logging import get_logger

UNSURE = True  # the endpoint's effect is single-sourced: keep "dry_run" until seen on the account
LIMIT_FIELD = "max_email_per_day"

log = get_logger("tasks.mailbox_health.remedy")


class MailboxUpdater(Protocol):
    def update_email_account(
        self, email_account_id: int, body: Mapping[str, Any]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Step:
    mailbox_id: str
    email: str
    plan: RemedyPlan


@dataclass(frozen=True)
class Outcome:
    mailbox_id: str
    email: str
    action: str  # pause | restore
    limit: int
    outcome: str  # done | dry_run | failed
    reason: str = ""
    previous_limit: int | None = None

    def note(self) -> str:
        """What the Slack line says about it."""
        was = f" (was {self.previous_limit}/day)" if self.previous_limit is not None else ""
        if self.action == "pause":
            text = {
                "done": f"campaign sending paused{was}",
                "dry_run": f"would pause campaign sending{was} (remedy dry run)",
                "failed": "pausing campaign sending failed",
            }
        else:
            text = {
                "done": f"sending limit restored to {self.limit}/day",
                "dry_run": f"would restore the sending limit to {self.limit}/day (dry run)",
                "failed": "restoring the sending limit failed",
            }
        return text[self.outcome]


def current_records(
    mailbox_ids: Iterable[str],
    previous: Mapping[str, Previous],
    stored_today: Mapping[str, dict[str, Any] | None],
) -> dict[str, dict[str, Any] | None]:
    """Each mailbox's remedy record as it stands before this run.

    The record of an earlier attempt today wins over yesterday's: it was written just before
    that attempt's call, while the (cached) listing may still show the limit from before it.
    """
    out: dict[str, dict[str, Any] | None] = {}
    for mid in mailbox_ids:
        if mid in stored_today:
            out[mid] = stored_today[mid]
        else:
            out[mid] = previous[mid].remedy if mid in previous else None
    return out


def plan(
    m: Morning,
    records: Mapping[str, dict[str, Any] | None],
    *,
    mode: str,
    conditions: Collection[str],
    day: dt.date,
) -> list[Step]:
    """One step per mailbox that holds a record or wants a pause (the others need nothing)."""
    steps = []
    for v in m.verdicts:
        record = records.get(v.reading.id)
        pause = mode in ("on", "dry_run") and wants_pause(v, conditions)
        if not record and not pause:
            continue
        planned = plan_remedy(record, pause, v.reading.daily_limit, day)
        steps.append(Step(v.reading.id, v.reading.email, planned))
    return steps


def records_to_store(
    steps: list[Step], *, dry_run: bool, current: Mapping[str, Any]
) -> dict[str, Any]:
    """The remedy record each mailbox's row keeps today, stored BEFORE any call is made.

    In a dry run nothing is called, so each mailbox keeps the record it had.
    """
    if dry_run:
        return {s.mailbox_id: current.get(s.mailbox_id) for s in steps}
    return {s.mailbox_id: s.plan.record for s in steps}


def execute(
    client: MailboxUpdater,
    steps: list[Step],
    *,
    dry_run: bool,
    day: dt.date,
    on_done: Callable[[str, dict[str, Any] | None], None],
) -> list[Outcome]:
    """Make the calls; after each success ``on_done`` stores the confirmed record at once, so a
    run cut short by the rate limiter keeps its progress. A refused call is recorded and left
    pending (tried again on the next run); it never stops the morning's alert."""
    outcomes = []
    for step in steps:
        p = step.plan
        if p.action is None or p.limit is None:
            continue
        was = (p.record or {}).get("previous_limit") if p.action == "pause" else None
        planned = Outcome(step.mailbox_id, step.email, p.action, p.limit, "dry_run", "", was)
        if dry_run:
            outcomes.append(planned)
            continue
        try:
            client.update_email_account(int(step.mailbox_id), {LIMIT_FIELD: p.limit})
        except ApiError as exc:
            log.info("mailbox_remedy_failed", mailbox_id=step.mailbox_id, error=exc.message)
            outcomes.append(replace(planned, outcome="failed", reason=exc.message))
            continue
        on_done(step.mailbox_id, confirmed(p, day))
        outcomes.append(replace(planned, outcome="done"))
    return outcomes


def notes_for_alert(
    outcomes: list[Outcome], records: Mapping[str, dict[str, Any] | None], day: dt.date
) -> dict[str, str]:
    """Per mailbox, what the morning's message says the remedy did: this run's outcomes, and
    what an earlier attempt of the same morning did (``records`` as they stood before this run:
    a re-run after a deferral)."""
    notes = {}
    for mid, rec in records.items():
        if not rec or rec.get("day") != day.isoformat():
            continue
        if rec.get("state") == "paused":
            notes[mid] = f"campaign sending paused (was {rec.get('previous_limit')}/day)"
        elif rec.get("state") == "restored":
            notes[mid] = f"sending limit restored to {rec.get('previous_limit')}/day"
    notes.update({o.mailbox_id: o.note() for o in outcomes})
    return notes


__all__ = [
    "LIMIT_FIELD",
    "UNSURE",
    "Outcome",
    "Step",
    "current_records",
    "execute",
    "plan",
    "records_to_store",
]
