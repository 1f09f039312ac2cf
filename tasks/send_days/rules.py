"""Send-days decisions: pure functions of stored days and the campaign's schedule.

Figures: per weekday of the **campaign's own time zone**, sent and replies by send date (the
cohort a rate needs) over the last ``lookback_days`` complete days. The store keeps days in the
account's zone; a stored day is given to a campaign weekday only when the campaign's whole send
window of one campaign date falls inside that account day (``campaign_weekday``). Otherwise it
is not counted: a window that crosses midnight in the account's zone would mix two weekdays.

Decision: narrow only. Among the scheduled weekdays with at least ``min_sent_per_weekday``
sends, the worst is dropped when the posterior probability that its rate is below the pooled
rate of the other judged weekdays reaches the confidence (Bonferroni-adjusted: ``1 - (1 - c) /
m`` for ``m`` weekdays judged, because picking the worst of ``m`` on the same data would make
noise look like a difference); then the next worst is tried against what is left, and so on,
never below ``keep_days`` scheduled days. A weekday without enough data is neither judged nor
dropped, and a weekday is never added. One change per campaign per ``min_days_between_changes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tasks.send_days.posterior import prob_rate_lower
from workers.campaign_stats import DayFigures

WEEKDAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # Smartlead: 0 = Sunday
Action = Literal["change", "keep", "no_decision"]


def smartlead_weekday(day: dt.date) -> int:
    """0 = Sunday .. 6 = Saturday (Python's Monday-first numbering shifted)."""
    return day.isoweekday() % 7


def day_names(days: Iterable[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d] for d in sorted(days)) or "-"


def _clock(value: str) -> dt.time:
    hh, _, mm = value.partition(":")
    return dt.time(int(hh), int(mm or 0))


def campaign_weekday(
    account_day: dt.date, account_tz: str, campaign_tz: str, start_hour: str, end_hour: str
) -> int | None:
    """The campaign weekday whose sends a stored account day holds, or None when the day holds
    parts of two campaign dates' send windows (or none)."""
    if account_tz == campaign_tz:
        return smartlead_weekday(account_day)
    acc, camp = ZoneInfo(account_tz), ZoneInfo(campaign_tz)
    day_start = dt.datetime.combine(account_day, dt.time(0), acc)
    day_end = dt.datetime.combine(account_day + dt.timedelta(days=1), dt.time(0), acc)
    start, end = _clock(start_hour), _clock(end_hour)
    found: int | None = None
    for offset in (-1, 0, 1):
        date = account_day + dt.timedelta(days=offset)
        opens = dt.datetime.combine(date, start, camp)
        closes = dt.datetime.combine(date + dt.timedelta(days=int(end <= start)), end, camp)
        if min(closes, day_end) <= max(opens, day_start):
            continue  # this campaign date's window is not in the account day at all
        if opens < day_start or closes > day_end or found is not None:
            return None
        found = smartlead_weekday(date)
    return found


@dataclass(frozen=True)
class WeekdayRow:
    weekday: int
    days: int  # stored days counted for it
    sent: int
    replied: int  # replies by send date
    scheduled: bool
    judged: bool  # scheduled and at least min_sent_per_weekday sends

    @property
    def rate_percent(self) -> float | None:
        return round(100 * self.replied / self.sent, 3) if self.sent else None

    def as_json(self) -> dict[str, Any]:
        name, rate = WEEKDAY_NAMES[self.weekday], self.rate_percent
        return {**asdict(self), "name": name, "rate_percent": rate}


def weekday_table(
    figures: Mapping[dt.date, DayFigures],
    weekday_of: Callable[[dt.date], int | None],
    scheduled: Iterable[int],
    min_sent_per_weekday: int,
) -> tuple[list[WeekdayRow], int]:
    """Seven rows (Sunday first) and the number of stored days no weekday could be given."""
    sums = {w: [0, 0, 0] for w in range(7)}
    unmapped = 0
    for day, f in figures.items():
        w = weekday_of(day)
        if w is None:
            unmapped += 1
            continue
        sums[w][0] += 1
        sums[w][1] += f.sent
        sums[w][2] += f.replied_by_sent
    on = set(scheduled)
    rows = [
        WeekdayRow(w, n, sent, replied, w in on, w in on and sent >= min_sent_per_weekday)
        for w, (n, sent, replied) in sums.items()
    ]
    return rows, unmapped


@dataclass(frozen=True)
class Drop:
    weekday: int
    sent: int
    replied: int
    rest_sent: int
    rest_replied: int
    probability_worse: float

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "name": WEEKDAY_NAMES[self.weekday]}


@dataclass(frozen=True)
class DaysDecision:
    action: Action
    reason: str
    days_before: tuple[int, ...]
    days_after: tuple[int, ...]
    confidence: float
    required_probability: float = 0.0
    drops: tuple[Drop, ...] = field(default_factory=tuple)
    kept: tuple[int, int] = (0, 0)  # (replied, sent) of the judged weekdays kept
    dropped: tuple[int, int] = (0, 0)  # (replied, sent) of the weekdays dropped

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "days_before": list(self.days_before),
            "days_after": list(self.days_after),
            "confidence": self.confidence,
            "required_probability": round(self.required_probability, 6),
            "drops": [d.as_json() for d in self.drops],
            "kept_replied_sent": list(self.kept),
            "dropped_replied_sent": list(self.dropped),
        }


def _pct(replied: int, sent: int) -> str:
    return f"{100 * replied / sent:.2f}%" if sent else "-"


def decide(
    rows: list[WeekdayRow], current_days: Iterable[int], keep_days: int, confidence: float
) -> DaysDecision:
    """Which scheduled weekdays to drop, if the evidence says so."""
    before = tuple(sorted(set(current_days)))
    # Best first; on a tie the weekday with more sends (surer of its rate) is tried first.
    judged = sorted(
        (r for r in rows if r.judged), key=lambda r: (-r.replied / r.sent, r.sent, r.weekday)
    )
    if len(before) <= keep_days:
        why = f"schedule has {len(before)} day(s), the minimum is {keep_days}"
        return DaysDecision("keep", why, before, before, confidence)
    if len(judged) < 2:
        why = f"{len(judged)} scheduled weekday(s) with enough sends to compare; need 2"
        return DaysDecision("no_decision", why, before, before, confidence)
    required = 1 - (1 - confidence) / len(judged)
    kept, drops = list(judged), list[Drop]()
    last = ""
    while len(before) - len(drops) > keep_days and len(kept) > 1:
        worst, rest = kept[-1], kept[:-1]
        rest_replied, rest_sent = sum(r.replied for r in rest), sum(r.sent for r in rest)
        p = prob_rate_lower(worst.replied, worst.sent, rest_replied, rest_sent)
        last = (
            f"{WEEKDAY_NAMES[worst.weekday]} {_pct(worst.replied, worst.sent)} of {worst.sent} "
            f"vs {_pct(rest_replied, rest_sent)} of {rest_sent}, P(worse) {p:.3f}"
        )
        if p < required:
            break
        drops.append(Drop(worst.weekday, worst.sent, worst.replied, rest_sent, rest_replied, p))
        kept = rest
    kept_sums = (sum(r.replied for r in kept), sum(r.sent for r in kept))
    if not drops:
        why = f"no weekday is worse beyond noise: worst {last} < {required:.3f}"
        return DaysDecision("keep", why, before, before, confidence, required, kept=kept_sums)
    dropped = {d.weekday for d in drops}
    after = tuple(d for d in before if d not in dropped)
    dropped_sums = (sum(d.replied for d in drops), sum(d.sent for d in drops))
    why = (
        f"drop {day_names(dropped)}: {_pct(*dropped_sums)} of {dropped_sums[1]} sends vs "
        f"{_pct(*kept_sums)} of {kept_sums[1]} on the kept weekdays, each P(worse) >= "
        f"{required:.3f}"
    )
    return DaysDecision(
        "change", why, before, after, confidence, required, tuple(drops), kept_sums, dropped_sums
    )


def change_allowed(
    last_change_on: dt.date | None, today: dt.date, interval_days: int
) -> tuple[bool, dt.date | None]:
    """At most one change per campaign per interval: (allowed, first date allowed again)."""
    if last_change_on is None:
        return True, None
    next_on = last_change_on + dt.timedelta(days=interval_days)
    return today >= next_on, next_on


def lookback(today: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The complete local days before ``today`` the table reads: (first, last)."""
    return today - dt.timedelta(days=days), today - dt.timedelta(days=1)
