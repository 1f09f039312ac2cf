"""Pure decisions of the morning mailbox check: is a mailbox weak (and why, with the figure), did
its state change since the last check, is there anything to tell Slack, and what the optional
remedy should do. No I/O: the flow feeds readings and yesterday's stored state in.

Alert on change, not on state: a mailbox is announced when it becomes weak, when it gets worse
(a new reason), and when it recovers; a mailbox that stays weak only counts. A weak mailbox
recovers from low reputation only once it reaches the floor plus a margin, so a reputation
wobbling around the floor does not alert every morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.mailbox_health.parse import MailboxReading, WarmupFigures

Transition = Literal["new_weak", "worse", "still_weak", "recovered", "healthy"]


@dataclass(frozen=True)
class Problem:
    code: str  # a MailboxCondition, or "reputation_unknown" (never a reason to be weak)
    text: str  # what is wrong, with the figure: "reputation 62% (floor 90%)"


@dataclass(frozen=True)
class Thresholds:
    """One account's idea of weak (from ``MailboxHealthParams``)."""

    min_reputation: float = 90.0
    recovery_margin: float = 3.0
    weak_conditions: frozenset[str] = frozenset(
        {"smtp_failed", "imap_failed", "low_reputation", "warmup_blocked", "suspended"}
    )
    use_warmup_stats: bool = False
    warmup_band: float = 5.0
    max_warmup_spam: float = 10.0

    @classmethod
    def from_params(cls, params: Any) -> Thresholds:
        return cls(
            min_reputation=float(params.min_reputation_percent),
            recovery_margin=float(params.recovery_margin_percent),
            weak_conditions=frozenset(params.weak_conditions),
            use_warmup_stats=bool(params.use_warmup_stats),
            warmup_band=float(params.warmup_stats_band_percent),
            max_warmup_spam=float(params.max_warmup_spam_percent),
        )

    def floor(self, previous_reasons: Collection[str] = ()) -> float:
        """The reputation needed not to be weak: higher while recovering from low reputation."""
        if "low_reputation" in previous_reasons:
            return min(100.0, self.min_reputation + self.recovery_margin)
        return self.min_reputation


@dataclass(frozen=True)
class Previous:
    """A mailbox's last stored state (the most recent morning before today)."""

    day: dt.date
    weak: bool
    reasons: frozenset[str]
    weak_since: dt.date | None = None
    since: dt.date | None = None  # when the current state (weak or not) began
    remedy: dict[str, Any] | None = None


@dataclass(frozen=True)
class Verdict:
    reading: MailboxReading
    weak: bool
    reasons: tuple[Problem, ...]  # the problems that make it weak
    notes: tuple[Problem, ...]  # problems this account does not count as weak
    transition: Transition
    weak_since: dt.date | None
    since: dt.date
    new_reasons: tuple[Problem, ...] = ()  # for "worse": what was not wrong before
    previous_weak_since: dt.date | None = None  # for "recovered": since when it had been weak

    @property
    def reason_codes(self) -> list[str]:
        return [p.code for p in self.reasons]


def _pct(value: float) -> str:
    return f"{value:g}%"


def problems_of(
    reading: MailboxReading,
    th: Thresholds,
    *,
    previous_reasons: Collection[str] = (),
    warmup: WarmupFigures | None = None,
) -> list[Problem]:
    """Everything wrong with the mailbox this morning, whether or not the account counts it."""
    out: list[Problem] = []
    if reading.smtp_ok is False:
        out.append(Problem("smtp_failed", "SMTP connection failing"))
    if reading.imap_ok is False:
        out.append(Problem("imap_failed", "IMAP connection failing"))
    if reading.suspended:
        out.append(Problem("suspended", "suspended"))
    if not reading.has_warmup:
        out.append(Problem("no_warmup", "no warm-up set up"))
    else:
        if reading.warmup_blocked:
            out.append(Problem("warmup_blocked", "warm-up blocked"))
        if not reading.warmup_active:
            out.append(
                Problem("warmup_inactive", f"warm-up {reading.warmup_status or 'not active'}")
            )
        floor = th.floor(previous_reasons)
        if reading.reputation is None:
            out.append(Problem("reputation_unknown", "reputation unknown"))
        elif reading.reputation < floor:
            if floor > th.min_reputation and reading.reputation >= th.min_reputation:
                text = f"reputation {_pct(reading.reputation)} (recovers at {_pct(floor)})"
            else:
                text = f"reputation {_pct(reading.reputation)} (floor {_pct(th.min_reputation)})"
            out.append(Problem("low_reputation", text))
    limit = reading.daily_limit
    if limit and reading.sent_today >= limit:
        out.append(Problem("daily_limit_reached", f"sent {reading.sent_today} of {limit} today"))
    if warmup is not None:
        spam = warmup.spam_percent
        if spam is not None and spam > th.max_warmup_spam:
            out.append(
                Problem(
                    "warmup_spam",
                    f"warm-up spam {_pct(spam)} over 7 days (max {_pct(th.max_warmup_spam)})",
                )
            )
    elif "warmup_spam" in previous_reasons and th.use_warmup_stats and reading.has_warmup:
        # Not re-checked today (call budget): keep the reason rather than claim a recovery.
        out.append(Problem("warmup_spam", "warm-up spam (not re-checked today)"))
    return out


def needs_warmup_stats(
    reading: MailboxReading, th: Thresholds, previous_reasons: Collection[str] = ()
) -> bool:
    """Whether the 7-day warm-up stats could change this mailbox's verdict today."""
    if not th.use_warmup_stats or "warmup_spam" not in th.weak_conditions:
        return False
    if not reading.has_warmup:
        return False
    if "warmup_spam" in previous_reasons:
        return True  # only the stats can tell whether it recovered
    others = [
        p
        for p in problems_of(reading, th, previous_reasons=previous_reasons)
        if p.code in th.weak_conditions and p.code != "warmup_spam"
    ]
    if others:
        return False  # already weak: the stats would not change the verdict
    if reading.reputation is None:
        return True
    return reading.reputation < th.floor(previous_reasons) + th.warmup_band


def judge(
    reading: MailboxReading,
    th: Thresholds,
    previous: Previous | None,
    day: dt.date,
    warmup: WarmupFigures | None = None,
) -> Verdict:
    """Today's verdict for one mailbox and how it moved since ``previous``."""
    prev_reasons = previous.reasons if previous else frozenset()
    problems = problems_of(reading, th, previous_reasons=prev_reasons, warmup=warmup)
    reasons = tuple(p for p in problems if p.code in th.weak_conditions)
    notes = tuple(p for p in problems if p.code not in th.weak_conditions)
    weak = bool(reasons)
    new_reasons: tuple[Problem, ...] = ()
    if weak and (previous is None or not previous.weak):
        transition: Transition = "new_weak"
    elif weak:
        assert previous is not None
        new_reasons = tuple(p for p in reasons if p.code not in previous.reasons)
        transition = "worse" if new_reasons else "still_weak"
    elif previous is not None and previous.weak:
        transition = "recovered"
    else:
        transition = "healthy"
    if previous is not None and previous.weak == weak:
        since = previous.since or previous.day
    else:
        since = day
    weak_since = None
    if weak:
        weak_since = (previous.weak_since or previous.day) if previous and previous.weak else day
    was_since = None
    if transition == "recovered" and previous is not None:
        was_since = previous.weak_since or previous.day
    return Verdict(
        reading, weak, reasons, notes, transition, weak_since, since, new_reasons, was_since
    )


@dataclass
class Morning:
    """One account's morning: every verdict, grouped by what changed."""

    day: dt.date
    verdicts: list[Verdict] = field(default_factory=list)

    def of(self, transition: Transition) -> list[Verdict]:
        return [v for v in self.verdicts if v.transition == transition]

    @property
    def weak(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.weak]

    @property
    def has_change(self) -> bool:
        return any(v.transition in ("new_weak", "worse", "recovered") for v in self.verdicts)

    def should_alert(self, daily_digest: bool) -> bool:
        """Tell Slack on a change; on a morning without one only for a digest account."""
        return self.has_change or (daily_digest and bool(self.verdicts))

    def counts(self) -> dict[str, int]:
        out = {t: len(self.of(t)) for t in ("new_weak", "worse", "still_weak", "recovered")}
        return {"mailboxes": len(self.verdicts), "weak": len(self.weak), **out}


def morning(
    readings: Iterable[MailboxReading],
    th: Thresholds,
    previous: Mapping[str, Previous],
    day: dt.date,
    warmup: Mapping[str, WarmupFigures] | None = None,
) -> Morning:
    warmup = warmup or {}
    verdicts = [judge(r, th, previous.get(r.id), day, warmup.get(r.id)) for r in readings]
    return Morning(day, verdicts)


# ---- remedy ---------------------------------------------------------------------------------
RemedyAction = Literal["pause", "restore"]


@dataclass(frozen=True)
class RemedyPlan:
    """What to do to one mailbox's sending limit, and the record to keep before doing it."""

    action: RemedyAction | None
    limit: int | None  # the max_email_per_day to send
    record: dict[str, Any] | None  # {"previous_limit": n, "state": ...} or None
    note: str = ""


def wants_pause(verdict: Verdict, remedy_conditions: Collection[str]) -> bool:
    return verdict.weak and any(code in remedy_conditions for code in verdict.reason_codes)


def plan_remedy(
    record: Mapping[str, Any] | None, pause: bool, current_limit: int | None, day: dt.date
) -> RemedyPlan:
    """Pause a failing mailbox's campaign sending (limit 0) and restore it on recovery.

    ``record`` is what was stored: ``state`` "pending_pause" / "pending_restore" (asked, not
    confirmed), "paused", "by_hand" (someone changed the limit while paused: left alone until
    the mailbox recovers) or "restored" (kept only for that day); ``previous_limit`` is the
    limit to give back; ``day`` when it was set.
    A record is stored before its call, so a re-run after a crash restores the right limit even
    though the listing then shows 0. A pending call is judged from the listing: 0 means it went
    through. A listing from earlier the same day (the shared listing is cached) may predate our
    own call, so a limit that differs from 0 means "changed by hand" only from the next day on.
    """
    rec = dict(record or {})
    state = rec.get("state")
    previous_limit = int(rec.get("previous_limit") or 0)
    stopped = current_limit == 0
    if state == "restored":
        # Kept for the day it happened (a re-run's message still says so), then forgotten.
        if not pause and rec.get("day") == day.isoformat():
            return RemedyPlan(None, None, rec)
        state = None
    elif state in ("pending_pause", "pending_restore"):
        state = "paused" if stopped else None
    elif (
        state == "paused"
        and current_limit is not None
        and not stopped
        and rec.get("day") != day.isoformat()
    ):
        state = "by_hand"

    def keep(new_state: str) -> dict[str, Any]:
        return {"previous_limit": previous_limit, "state": new_state, "day": rec.get("day")}

    if state == "by_hand":
        if pause:
            note = f"limit changed by hand to {current_limit}: left alone"
            return RemedyPlan(None, None, keep("by_hand"), note)
        return RemedyPlan(None, None, None)
    if state == "paused":
        if pause:
            return RemedyPlan(None, None, keep("paused"))
        pending = {"previous_limit": previous_limit, "state": "pending_restore", "day": str(day)}
        return RemedyPlan("restore", previous_limit, pending)
    if not pause:
        return RemedyPlan(None, None, None)
    if current_limit is None:
        return RemedyPlan(None, None, None, "sending limit unknown: not paused")
    if stopped:
        return RemedyPlan(None, None, None, "sending limit already 0: not paused")
    pending = {"previous_limit": int(current_limit), "state": "pending_pause", "day": str(day)}
    return RemedyPlan("pause", 0, pending)


def confirmed(plan: RemedyPlan, day: dt.date) -> dict[str, Any] | None:
    """The record to keep once the plan's call succeeded."""
    if plan.action in ("pause", "restore") and plan.record:
        state = "paused" if plan.action == "pause" else "restored"
        return {"previous_limit": plan.record["previous_limit"], "state": state, "day": str(day)}
    return plan.record


__all__ = [
    "Morning",
    "Previous",
    "Problem",
    "RemedyPlan",
    "Thresholds",
    "Verdict",
    "confirmed",
    "judge",
    "morning",
    "needs_warmup_stats",
    "plan_remedy",
    "problems_of",
    "wants_pause",
]
