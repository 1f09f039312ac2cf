"""One campaign as the send-days check sees it, in two steps (pure, shared by flow and CLI).

``screen`` settles what needs no Smartlead call: the opt-out list, the change interval, and
campaigns whose stored days could not support any change (fewer than two weekdays with enough
sends: a tz relabelling cannot create one). ``judge`` takes the campaign as re-read, maps its
schedule, builds the weekday table in the campaign's zone and decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.send_days.rules import (
    DaysDecision,
    WeekdayRow,
    campaign_weekday,
    change_allowed,
    day_names,
    decide,
    smartlead_weekday,
    weekday_table,
)
from tasks.send_days.schedule import read_schedule, with_days
from workers.campaign_stats import DayFigures
from workers.clients.smartlead_models import Campaign, Schedule


@dataclass(frozen=True)
class DaysRule:
    lookback_days: int = 28
    keep_days: int = 3
    min_sent_per_weekday: int = 100
    confidence: float = 0.95
    min_days_between_changes: int = 28
    exclude_campaign_ids: frozenset[str] = frozenset()

    @classmethod
    def from_params(cls, params: Any) -> DaysRule:
        return cls(
            int(params.lookback_days),
            int(params.keep_days),
            int(params.min_sent_per_weekday),
            float(params.confidence),
            int(params.min_days_between_changes),
            frozenset(str(c) for c in params.exclude_campaign_ids),
        )


@dataclass
class Evaluation:
    campaign_id: str
    name: str
    outcome: str  # change | kept | no_decision | opted_out | too_soon | no_schedule | not_active
    reason: str
    zone: str = ""  # the zone the weekday table is in
    rows: list[WeekdayRow] = field(default_factory=list)
    unmapped_days: int = 0
    decision: DaysDecision | None = None
    before: Schedule | None = None
    after: Schedule | None = None
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "reason": self.reason,
            "zone": self.zone,
            "weekdays": [r.as_json() for r in self.rows],
            "unmapped_days": self.unmapped_days,
            "decision": self.decision.as_json() if self.decision else None,
            "schedule_before": self.before.to_body() if self.before else None,
            "schedule_after": self.after.to_body() if self.after else None,
            "notes": list(self.notes),
        }

    def summary_line(self) -> str:
        if self.before is None or self.after is None or self.decision is None:
            return f"{self.name} (#{self.campaign_id}): {self.reason}"
        return (
            f"{self.name} (#{self.campaign_id}): send days "
            f"{day_names(self.before.days_of_the_week)} → {day_names(self.after.days_of_the_week)}"
            f" ({self.decision.reason})"
        )


def screen(
    campaign_id: str,
    name: str,
    *,
    rule: DaysRule,
    today: dt.date,
    figures: Mapping[dt.date, DayFigures],
    account_tz: str,
    opted_out: bool,
    last_change_on: dt.date | None,
) -> Evaluation | None:
    """The outcome when no Smartlead call is needed, else None (re-read and ``judge``)."""
    if opted_out:
        return Evaluation(campaign_id, name, "opted_out", "on the opt-out list")
    allowed, next_on = change_allowed(last_change_on, today, rule.min_days_between_changes)
    if not allowed:
        why = f"send days changed on {last_change_on}; next change allowed from {next_on}"
        return Evaluation(campaign_id, name, "too_soon", why)
    rows, _ = weekday_table(figures, smartlead_weekday, range(7), rule.min_sent_per_weekday)
    if sum(r.judged for r in rows) < 2:
        why = (
            f"{sum(r.judged for r in rows)} weekday(s) with at least {rule.min_sent_per_weekday} "
            f"sends over {rule.lookback_days} days; need 2 to compare"
        )
        zone = f"{account_tz} (the account's; schedule not read)"
        return Evaluation(campaign_id, name, "no_decision", why, zone=zone, rows=rows)
    return None


def judge(
    campaign_id: str,
    name: str,
    campaign: Campaign | None,
    *,
    rule: DaysRule,
    figures: Mapping[dt.date, DayFigures],
    account_tz: str,
) -> Evaluation:
    """Decide with the campaign as re-read just now."""
    if campaign is None:
        return Evaluation(campaign_id, name, "not_active", "campaign deleted")
    name = campaign.name or name
    if campaign.status != "ACTIVE":
        return Evaluation(campaign_id, name, "not_active", f"status {campaign.status} on re-read")
    read = read_schedule(campaign)
    if read.schedule is None:
        return Evaluation(campaign_id, name, "no_schedule", f"left alone: {read.problem}")
    sched = read.schedule

    def weekday_of(day: dt.date) -> int | None:
        return campaign_weekday(day, account_tz, sched.timezone, sched.start_hour, sched.end_hour)

    rows, unmapped = weekday_table(
        figures, weekday_of, sched.days_of_the_week, rule.min_sent_per_weekday
    )
    decision = decide(rows, sched.days_of_the_week, rule.keep_days, rule.confidence)
    reason = decision.reason
    if unmapped:
        reason += (
            f" ({unmapped} stored day(s) not counted: the send window crosses midnight in the "
            f"account's zone {account_tz})"
        )
    outcome = {"change": "change", "keep": "kept", "no_decision": "no_decision"}[decision.action]
    ev = Evaluation(
        campaign_id, name, outcome, reason, sched.timezone, rows, unmapped, decision, sched
    )
    ev.notes = read.notes
    if decision.action == "change":
        ev.after = with_days(sched, decision.days_after)
    return ev
