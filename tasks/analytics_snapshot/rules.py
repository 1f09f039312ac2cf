"""Which campaigns a run collects and which days (pure: tables drive the unit tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from workers.automations import AnalyticsSnapshotParams


@dataclass(frozen=True)
class Known:
    """What the store already holds for a campaign (its ``CampaignTotals`` row)."""

    status: str
    first_day: dt.date | None
    last_day: dt.date | None


@dataclass(frozen=True)
class Pick:
    """A campaign to collect, as the listing shows it."""

    campaign_id: int
    name: str
    status: str
    created_on: dt.date | None  # the account's local date of ``created_at``


def campaigns_to_collect(
    rows: Iterable[Mapping[str, Any]],
    params: AnalyticsSnapshotParams,
    known: Mapping[str, Known],
    timezone: str,
) -> tuple[list[Pick], list[str]]:
    """The campaigns of this run (by id) and the configured ids the listing lacks.

    With ``campaign_ids`` configured: exactly those, whatever their status. Otherwise every
    campaign whose status is in ``statuses`` (default active and paused), plus a known one that
    has just left those statuses (completed, stopped): collected one last time, so its final
    day and new status land; its stored status then keeps it out.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if row.get("id") is not None:
            by_id[str(int(row["id"]))] = row
    wanted = set(params.statuses)
    if params.campaign_ids:
        ids = [str(int(i)) for i in params.campaign_ids]
        chosen = [i for i in ids if i in by_id]
        absent = [i for i in ids if i not in by_id]
    else:
        chosen = [
            i
            for i, row in by_id.items()
            if _status(row) in wanted or (i in known and known[i].status in wanted)
        ]
        absent = []
    picks = [_pick(by_id[i], timezone) for i in sorted(set(chosen), key=int)]
    return picks, absent


def _status(row: Mapping[str, Any]) -> str:
    return str(row.get("status") or "").upper()


def _pick(row: Mapping[str, Any], timezone: str) -> Pick:
    return Pick(
        campaign_id=int(row["id"]),
        name=str(row.get("name") or ""),
        status=_status(row),
        created_on=local_date(row.get("created_at"), timezone),
    )


def local_date(stamp: Any, timezone: str) -> dt.date | None:
    """An ISO timestamp (UTC when it names no zone) as a local date; None when unreadable."""
    if not stamp:
        return None
    try:
        when = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    backfill: bool  # first time seen: the last ``backfill_days`` days

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def days_to_collect(
    day: dt.date, known: Known | None, created_on: dt.date | None, params: AnalyticsSnapshotParams
) -> Window | None:
    """The days one campaign's run collects, ending with ``day`` (the previous local day).

    First seen: the last ``backfill_days`` days. Known: ``day`` and the ``correction_days``
    before it (late corrections land), reaching back further when runs were missed (from the
    day after the newest stored one), never beyond ``backfill_days``. Never before the campaign
    existed. None when it did not exist yet on ``day``.
    """
    earliest = day - dt.timedelta(days=params.backfill_days - 1)
    if known is None or known.last_day is None:
        start, backfill = earliest, True
    else:
        gap_start = known.last_day + dt.timedelta(days=1)
        start = max(earliest, min(day - dt.timedelta(days=params.correction_days), gap_start))
        backfill = False
    if created_on is not None:
        if created_on > day:
            return None
        start = max(start, created_on)
    return Window(start, day, backfill)
