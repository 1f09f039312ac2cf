"""Reply guard decisions: pure functions of stored days, driven by unit tests with tables.

Which replies: **by send date** (``replied_by_sent``). A rate is "of the emails sent on these
days, how many got a reply"; counting replies on their arrival date instead mixes in replies to
emails sent before the window (a campaign whose volume just dropped looks better than it is,
one whose volume just rose looks worse). The cost of the send-date cohort is that the newest
days are still collecting replies; ``settle_days`` moves the window back if that bias matters.

Which days: the last ``days`` complete local days before the run's date. A day is *evidence*
only when it was collected (a missing day is unknown, never zero) and sent at least
``min_sent_per_day``: a low-volume day, a day a person had the campaign paused, or a day the
collection failed says nothing about the rate. The rate is summed (replies / sent over the
evidence days), never an average of daily rates, so a day with 2 sends cannot outweigh one with
200. Fewer than ``min_evidence_days`` evidence days: no decision, recorded as such.

Optional ``confidence``: pause only when, beyond the observed rate being under the threshold,
the posterior probability that the true rate is under it reaches ``confidence`` (600 sends at a
true 1.5% fall under 1% about one time in ten; see ``python -m ops.bench.decisions``).

Do not fight a person: when a campaign LeadOps paused is seen active again, LeadOps waits for
``days`` fresh evidence days strictly after the resume before it may pause it again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Literal

from workers.campaign_stats import DayFigures

Action = Literal["pause", "keep", "no_decision"]


@dataclass(frozen=True)
class GuardRule:
    threshold_percent: float
    days: int = 3
    min_sent_per_day: int = 50
    min_evidence_days: int | None = None  # None: every day of the window
    settle_days: int = 0
    confidence: float | None = None  # None: the observed rate alone decides

    @property
    def evidence_needed(self) -> int:
        return self.days if self.min_evidence_days is None else self.min_evidence_days

    @classmethod
    def from_params(cls, params: Any) -> GuardRule:
        return cls(
            threshold_percent=float(params.threshold_percent),
            days=int(params.days),
            min_sent_per_day=int(params.min_sent_per_day),
            min_evidence_days=params.min_evidence_days,
            settle_days=int(params.settle_days),
            confidence=params.confidence,
        )


@dataclass(frozen=True)
class PauseState:
    """LeadOps' latest pause of the campaign: when, and the best known resume date."""

    paused_on: dt.date
    resumed_on: dt.date | None = None


@dataclass(frozen=True)
class DayRow:
    day: dt.date
    sent: int | None  # None: not collected
    replied: int | None  # replies to that day's sends
    counted: bool
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


@dataclass(frozen=True)
class GuardDecision:
    action: Action
    reason: str
    window: tuple[dt.date, dt.date]
    evidence_days: int = 0
    sent: int = 0
    replied: int = 0
    threshold_percent: float = 0.0
    rows: tuple[DayRow, ...] = field(default_factory=tuple)

    @property
    def rate_percent(self) -> float | None:
        return round(100 * self.replied / self.sent, 3) if self.sent else None

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "window": [self.window[0].isoformat(), self.window[1].isoformat()],
            "evidence_days": self.evidence_days,
            "sent": self.sent,
            "replied_by_send_date": self.replied,
            "rate_percent": self.rate_percent,
            "threshold_percent": self.threshold_percent,
            "days": [r.as_json() for r in self.rows],
        }


def prob_below(replied: int, sent: int, threshold: float) -> float:
    """Posterior probability that the true reply rate is below ``threshold`` (uniform prior:
    Beta(replied + 1, sent - replied + 1)); for integer parameters the Beta CDF is a binomial
    tail, P(Binomial(sent + 1, threshold) >= replied + 1), summed exactly over few terms."""
    if not 0 <= replied <= sent:
        raise ValueError(f"need 0 <= replied <= sent (got {replied}/{sent})")
    if threshold <= 0:
        return 0.0
    if threshold >= 1:
        return 1.0
    n, lt, lq = sent + 1, math.log(threshold), math.log1p(-threshold)
    lower = math.fsum(
        math.exp(
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lt + (n - i) * lq
        )
        for i in range(replied + 1)
    )
    return min(1.0, max(0.0, 1.0 - lower))


def window(today: dt.date, rule: GuardRule) -> list[dt.date]:
    """The complete local days the decision reads, oldest first (``today`` is not complete)."""
    end = today - dt.timedelta(days=1 + rule.settle_days)
    return [end - dt.timedelta(days=i) for i in range(rule.days - 1, -1, -1)]


def resume_day(
    paused_on: dt.date, seen_on: dt.date, figures: Mapping[dt.date, DayFigures]
) -> dt.date:
    """The latest date the person's resume can have happened on: the day it was seen active,
    or the first day after the pause with sends (a paused campaign sends nothing), whichever
    is earlier. Days strictly after it are wholly after the resume."""
    sending = sorted(d for d, f in figures.items() if d > paused_on and f.sent > 0)
    return min(seen_on, sending[0]) if sending else seen_on


def _row(day: dt.date, f: DayFigures | None, rule: GuardRule, after: dt.date | None) -> DayRow:
    if f is None:
        return DayRow(day, None, None, False, "missing (not collected)")
    if after is not None and day <= after:
        return DayRow(day, f.sent, f.replied_by_sent, False, f"not after the resume ({after})")
    if f.sent < rule.min_sent_per_day:
        note = f"low volume ({f.sent} < {rule.min_sent_per_day})"
        return DayRow(day, f.sent, f.replied_by_sent, False, note)
    return DayRow(day, f.sent, f.replied_by_sent, True)


def _fresh_evidence(
    figures: Mapping[dt.date, DayFigures], after: dt.date, last: dt.date, rule: GuardRule
) -> int:
    return sum(
        1 for d, f in figures.items() if after < d <= last and f.sent >= rule.min_sent_per_day
    )


def decide(
    today: dt.date,
    figures: Mapping[dt.date, DayFigures],
    rule: GuardRule,
    pause: PauseState | None = None,
) -> GuardDecision:
    """Pause, keep or no decision for one active campaign.

    ``figures``: the stored days of the campaign (missing days absent), covering at least the
    window and, after a resume, every day since it. ``pause``: LeadOps' latest pause, if any.
    """
    days = window(today, rule)
    span = (days[0], days[-1])
    if pause is not None and pause.resumed_on is None:
        reason = f"paused by LeadOps on {pause.paused_on}; not seen resumed since"
        return GuardDecision("no_decision", reason, span, threshold_percent=rule.threshold_percent)
    after = pause.resumed_on if pause is not None else None
    rows = tuple(_row(d, figures.get(d), rule, after) for d in days)
    counted = [r for r in rows if r.counted]
    sent = sum(r.sent or 0 for r in counted)
    replied = sum(r.replied or 0 for r in counted)

    def decision(action: Action, reason: str) -> GuardDecision:
        return GuardDecision(
            action, reason, span, len(counted), sent, replied, rule.threshold_percent, rows
        )

    if after is not None:
        fresh = _fresh_evidence(figures, after, span[1], rule)
        if fresh < rule.days:
            return decision(
                "no_decision",
                f"resumed by a person on or before {after}: {fresh} of {rule.days} fresh days "
                "of evidence since",
            )
    if len(counted) < rule.evidence_needed:
        return decision(
            "no_decision",
            f"not enough evidence: {len(counted)} of {rule.evidence_needed} days with at least "
            f"{rule.min_sent_per_day} sends",
        )
    rate = f"{100 * replied / sent:.2f}%"
    # Exact arithmetic: a rate exactly at the threshold is not below it.
    below = Fraction(replied * 100, sent) < Fraction(str(rule.threshold_percent))
    if below and rule.confidence is not None:
        p = prob_below(replied, sent, rule.threshold_percent / 100)
        if p < rule.confidence:
            return decision(
                "keep",
                f"reply rate {rate} ({replied}/{sent}) is below {rule.threshold_percent:g}% but "
                f"not surely: P(true rate below) {p:.3f} < {rule.confidence:g}",
            )
    if below:
        return decision(
            "pause",
            f"reply rate {rate} ({replied}/{sent} by send date over {len(counted)} days) is "
            f"below {rule.threshold_percent:g}%",
        )
    return decision(
        "keep", f"reply rate {rate} ({replied}/{sent}) is at or above {rule.threshold_percent:g}%"
    )
