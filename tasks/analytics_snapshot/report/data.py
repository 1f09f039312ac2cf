"""What the report says, computed from stored days: pure functions over plain values.

Rates share one denominator, emails sent in the period, and replies are counted by the day the
email they answer was sent (``replied_by_sent``): a rate then compares a cohort with itself,
and every reply counted in it belongs to a send counted in it. Replies received in the period
(by arrival) are shown beside it, never divided. A day the snapshot never stored is unknown,
not zero: it is absent from sums, drawn as a gap and reported as missing coverage; a previous
period with no stored day has no comparison rather than a +100% one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tasks.analytics_snapshot.report.periods import Period
from workers.campaign_stats import DayFigures

State = Literal["ok", "no_data_yet", "no_data_in_period"]
Days = Mapping[str, Mapping[dt.date, DayFigures]]  # campaign id -> local day -> figures

REPLY_RATE_BASIS = "replies to emails sent in the period ÷ emails sent in the period"
POSITIVE_RATE_BASIS = "positive replies ÷ emails sent in the period"
BOUNCE_RATE_BASIS = "bounces ÷ emails sent in the period"
UNSUBSCRIBE_RATE_BASIS = "unsubscribes ÷ emails sent in the period"


@dataclass(frozen=True)
class Thresholds:
    bounce_percent: float = 3.0
    unsubscribe_percent: float = 1.0
    min_sent: int = 100


@dataclass(frozen=True)
class CampaignMeta:
    campaign_id: str
    name: str
    status: str


@dataclass(frozen=True)
class MailboxState:
    mailbox_id: str
    email: str
    day: dt.date
    reputation: float | None
    smtp_ok: bool
    imap_ok: bool
    weak: bool
    reasons: tuple[str, ...] = ()
    weak_since: dt.date | None = None


@dataclass(frozen=True)
class ReportInputs:
    account_name: str
    period: Period
    previous: Period
    days: Days
    previous_days: Days
    campaigns: Mapping[str, CampaignMeta]
    mailboxes: Sequence[MailboxState] = ()
    ever_collected: bool = False  # any day stored for the account, in any period


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    replies: int = 0  # by send date (the rate's cohort)
    replies_arrived: int = 0  # by arrival date
    positive: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    opened: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.sent + other.sent,
            self.replies + other.replies,
            self.replies_arrived + other.replies_arrived,
            self.positive + other.positive,
            self.bounced + other.bounced,
            self.unsubscribed + other.unsubscribed,
            self.opened + other.opened,
        )


def counts_of(f: DayFigures) -> Counts:
    return Counts(
        sent=f.sent,
        replies=f.replied_by_sent,
        replies_arrived=f.replied,
        positive=f.positive_replied,
        bounced=f.bounced,
        unsubscribed=f.unsubscribed,
        opened=f.opened,
    )


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """A fraction, or None when nothing was sent (no rate, not 0%)."""
        return None if self.denominator <= 0 else self.numerator / self.denominator

    @property
    def percent(self) -> float | None:
        v = self.value
        return None if v is None else 100.0 * v


@dataclass(frozen=True)
class Rates:
    reply: Rate
    positive: Rate
    bounce: Rate
    unsubscribe: Rate


def rates_of(c: Counts) -> Rates:
    return Rates(
        Rate(c.replies, c.sent),
        Rate(c.positive, c.sent),
        Rate(c.bounced, c.sent),
        Rate(c.unsubscribed, c.sent),
    )


@dataclass(frozen=True)
class Change:
    """A figure against the previous period's (None: that period has no stored day)."""

    value: int
    previous: int | None

    @property
    def delta(self) -> int | None:
        return None if self.previous is None else self.value - self.previous

    @property
    def percent(self) -> float | None:
        """Relative change; None when there is no previous figure or it was 0."""
        if self.previous is None or self.previous == 0:
            return None
        return 100.0 * (self.value - self.previous) / self.previous


@dataclass(frozen=True)
class RateChange:
    rate: Rate
    previous: Rate | None

    @property
    def points(self) -> float | None:
        """Change in percentage points; None when either side has no rate."""
        now = self.rate.percent
        before = self.previous.percent if self.previous is not None else None
        return None if now is None or before is None else now - before


@dataclass(frozen=True)
class TotalLine:
    key: str
    label: str
    change: Change


@dataclass(frozen=True)
class RateLine:
    key: str
    label: str
    basis: str
    change: RateChange


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    collected: bool
    counts: Counts


@dataclass(frozen=True)
class Warning:
    kind: Literal["bounce", "unsubscribe"]
    subject: str  # "All campaigns" or the campaign's name
    percent: float
    threshold: float
    sent: int


@dataclass(frozen=True)
class CampaignRow:
    meta: CampaignMeta
    counts: Counts
    rates: Rates
    warnings: tuple[Warning, ...] = ()


@dataclass(frozen=True)
class MailboxSummary:
    as_of: dt.date
    total: int
    weak: tuple[MailboxState, ...]
    average_reputation: float | None
    reputation_unknown: int
    trend: tuple[tuple[dt.date, float | None, int], ...]  # day, average reputation, weak count

    @property
    def healthy(self) -> int:
        return self.total - len(self.weak)


@dataclass(frozen=True)
class Report:
    account_name: str
    period: Period
    previous: Period
    state: State
    counts: Counts
    previous_counts: Counts | None
    totals: tuple[TotalLine, ...]
    rates: tuple[RateLine, ...]
    series: tuple[DayPoint, ...]
    days_collected: int
    campaigns: tuple[CampaignRow, ...]
    warnings: tuple[Warning, ...]
    mailboxes: MailboxSummary | None = None
    missing_days: tuple[dt.date, ...] = field(default=())


def sum_days(days: Days) -> Counts:
    total = Counts()
    for by_day in days.values():
        for figures in by_day.values():
            total = total + counts_of(figures)
    return total


def daily_series(period: Period, days: Days) -> tuple[DayPoint, ...]:
    """One point per day of the period, all campaigns added; a day nobody stored is a gap."""
    per_day: dict[dt.date, Counts] = {}
    for by_day in days.values():
        for day, figures in by_day.items():
            if period.start <= day <= period.end:
                per_day[day] = per_day.get(day, Counts()) + counts_of(figures)
    return tuple(DayPoint(d, d in per_day, per_day.get(d, Counts())) for d in period.dates())


def rate_warnings(subject: str, counts: Counts, t: Thresholds) -> tuple[Warning, ...]:
    """Bounce and unsubscribe rates strictly over their thresholds, once enough was sent."""
    if counts.sent <= 0 or counts.sent < t.min_sent:
        return ()
    rates = rates_of(counts)
    out: list[Warning] = []
    for kind, rate, threshold in (
        ("bounce", rates.bounce, t.bounce_percent),
        ("unsubscribe", rates.unsubscribe, t.unsubscribe_percent),
    ):
        pct = rate.percent
        if pct is not None and pct > threshold:
            out.append(Warning(kind, subject, pct, threshold, counts.sent))  # type: ignore[arg-type]
    return tuple(out)


def campaign_rows(
    days: Days, campaigns: Mapping[str, CampaignMeta], t: Thresholds
) -> tuple[CampaignRow, ...]:
    """Campaigns with stored days in the period, most emails sent first."""
    rows = []
    for campaign_id, by_day in days.items():
        if not by_day:
            continue
        meta = campaigns.get(campaign_id) or CampaignMeta(
            campaign_id, f"Campaign {campaign_id}", ""
        )
        counts = sum_days({campaign_id: by_day})
        rows.append(
            CampaignRow(meta, counts, rates_of(counts), rate_warnings(meta.name, counts, t))
        )
    rows.sort(key=lambda r: (-r.counts.sent, r.meta.name.lower(), r.meta.campaign_id))
    return tuple(rows)


def mailbox_summary(states: Sequence[MailboxState]) -> MailboxSummary | None:
    """Each mailbox's latest state in the period, and the daily reputation / weak trend."""
    if not states:
        return None
    latest: dict[str, MailboxState] = {}
    by_day: dict[dt.date, list[MailboxState]] = {}
    for s in sorted(states, key=lambda s: s.day):
        latest[s.mailbox_id] = s
        by_day.setdefault(s.day, []).append(s)
    known = [s.reputation for s in latest.values() if s.reputation is not None]
    trend = []
    for day in sorted(by_day):
        reps = [s.reputation for s in by_day[day] if s.reputation is not None]
        avg = sum(reps) / len(reps) if reps else None
        trend.append((day, avg, sum(1 for s in by_day[day] if s.weak)))
    weak = tuple(sorted((s for s in latest.values() if s.weak), key=lambda s: s.email))
    return MailboxSummary(
        as_of=max(by_day),
        total=len(latest),
        weak=weak,
        average_reputation=sum(known) / len(known) if known else None,
        reputation_unknown=len(latest) - len(known),
        trend=tuple(trend),
    )


TOTAL_LABELS = (
    ("sent", "Emails sent"),
    ("replies", "Replies"),
    ("positive", "Positive replies"),
    ("bounced", "Bounces"),
    ("unsubscribed", "Unsubscribes"),
)


RATE_LABELS = (
    ("reply", "Reply rate", REPLY_RATE_BASIS),
    ("positive", "Positive-reply rate", POSITIVE_RATE_BASIS),
    ("bounce", "Bounce rate", BOUNCE_RATE_BASIS),
    ("unsubscribe", "Unsubscribe rate", UNSUBSCRIBE_RATE_BASIS),
)


def build_report(inputs: ReportInputs, thresholds: Thresholds) -> Report:
    period, previous = inputs.period, inputs.previous
    current = {c: d for c, d in inputs.days.items() if d}
    series = daily_series(period, current)
    collected = sum(1 for p in series if p.collected)
    counts = sum_days(current)
    before = {c: d for c, d in inputs.previous_days.items() if d}
    previous_counts = sum_days(before) if before else None
    state: State = "ok"
    if not inputs.ever_collected and not current:
        state = "no_data_yet"
    elif not current:
        state = "no_data_in_period"
    totals = tuple(
        TotalLine(
            key,
            label,
            Change(
                getattr(counts, key),
                getattr(previous_counts, key) if previous_counts is not None else None,
            ),
        )
        for key, label in TOTAL_LABELS
    )
    now = rates_of(counts)
    then = rates_of(previous_counts) if previous_counts is not None else None
    rates = tuple(
        RateLine(key, label, basis, RateChange(getattr(now, key), getattr(then, key, None)))
        for key, label, basis in RATE_LABELS
    )
    campaigns = campaign_rows(current, inputs.campaigns, thresholds)
    warnings = rate_warnings("All campaigns", counts, thresholds) + tuple(
        w for row in campaigns for w in row.warnings
    )
    return Report(
        account_name=inputs.account_name,
        period=period,
        previous=previous,
        state=state,
        counts=counts,
        previous_counts=previous_counts,
        totals=totals,
        rates=rates,
        series=series,
        days_collected=collected,
        campaigns=campaigns,
        warnings=warnings,
        mailboxes=mailbox_summary(inputs.mailboxes),
        missing_days=tuple(p.day for p in series if not p.collected) if current else (),
    )
