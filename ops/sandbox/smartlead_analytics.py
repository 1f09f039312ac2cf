"""Fake Smartlead API v1: the analytics family of automation 4, as it really answers
(shared/smartlead-api.md, "Analytics"), built on each campaign's per-day ``activity`` counters.

API (key, limits and faults checked by the middleware of ``ops.sandbox.smartlead``):
- ``GET /analytics/day-wise-overall-stats[-by-sent-time]`` and
  ``GET /analytics/day-wise-positive-reply-stats[-by-sent-time]``
  ``?start_date=YYYY-MM-DD&end_date=...[&campaign_ids=1,2][&client_ids=..][&timezone=IANA]``
  -> ``{success, message, data: {day_wise_stats: [{date, day_name, email_engagement_metrics:
  {...}}]}}``: one row per day of the window, **summed across the filter** (no filter: every
  campaign of the key), counts as strings, rates as "5.03%", ``date`` as ``"20 Apr"`` (no
  year) or ISO. ``timezone`` is required on the ``-by-sent-time`` variants (400 without it);
  a window over 30 days (or the key's cap) is refused with 400. Replies count on their arrival
  day (``reply``), on the day their email was sent on ``-by-sent-time`` (``reply_by_sent``).
  Seeded days are the account's local days: the zone is validated, not applied.
- ``GET /campaigns/{id}/top-level-analytics-by-date?start_date&end_date`` -> one bare
  aggregate for the window, ``positive_reply_count`` included (counts as strings).

Admin (no api_key):
- ``POST /admin/analytics/days`` ``{campaign_id, days: [{date, sent?, opened?, replied?,
  replied_by_sent?, positive_replied?, positive_replied_by_sent?, bounced?, unsubscribed?}]}``:
  sets those figures of each day (a later call for a past day is a late correction; fields not
  named keep their value). A campaign's ``created_at`` moves back to its first seeded day.
- ``GET /admin/analytics/days?campaign_id=`` -> the figures per day.
- ``POST /admin/analytics/settings`` ``{api_key, date_format?: "d_mmm" | "iso", wrapped?,
  max_window_days?, omit_zero_days?}``; a request may override the date form with the header
  ``X-Sandbox-Date-Format``.
- ``GET /admin/analytics/calls?api_key=`` -> ``{calls: {endpoint: n}, total}``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, FastAPI, Request

from ops.sandbox.smartlead_api import _ctx
from ops.sandbox.smartlead_state import ApiFailure, CampaignState, KeyState, SandboxState, joi

router = APIRouter()
admin = APIRouter(prefix="/admin/analytics")

MAX_WINDOW_DAYS = 30
DATE_FORMATS = ("d_mmm", "iso")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Seeded figure -> the activity counters it sets (lifetime analytics sum the same counters).
FIGURES: dict[str, tuple[str, ...]] = {
    "sent": ("sent", "unique_sent"),
    "opened": ("open", "unique_open"),
    "replied": ("reply",),
    "replied_by_sent": ("reply_by_sent",),
    "positive_replied": ("positive_reply",),
    "positive_replied_by_sent": ("positive_reply_by_sent",),
    "bounced": ("bounce",),
    "unsubscribed": ("unsubscribed",),
}


@dataclass
class AnalyticsSettings:
    date_format: str = "d_mmm"  # the form seen live: "20 Apr", no year
    wrapped: bool = True
    max_window_days: int = MAX_WINDOW_DAYS
    omit_zero_days: bool = False
    calls: Counter[str] = field(default_factory=Counter)


def settings_of(key: KeyState) -> AnalyticsSettings:
    """Per-key settings, kept on the key (a reset of the sandbox drops them with the key)."""
    found = key.__dict__.get("_analytics")
    if found is None:
        found = key.__dict__["_analytics"] = AnalyticsSettings()
    return found  # type: ignore[no-any-return]


def _fail(message: str) -> ApiFailure:
    return ApiFailure(400, {"success": False, "message": message})


def _window(request: Request, settings: AnalyticsSettings) -> tuple[dt.date, dt.date]:
    q = request.query_params
    try:
        start = dt.date.fromisoformat(q["start_date"])
        end = dt.date.fromisoformat(q["end_date"])
    except (KeyError, ValueError):
        raise _fail('"start_date" and "end_date" are required (YYYY-MM-DD)') from None
    if end < start:
        raise _fail('"end_date" must be greater than or equal to "start_date"')
    if (end - start).days + 1 > settings.max_window_days:
        raise _fail(f"Date range cannot be more than {settings.max_window_days} days")
    return start, end


def _ids(request: Request, name: str) -> set[int] | None:
    values = [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v.strip()]
    if not values:
        return None
    try:
        return {int(v) for v in values}
    except ValueError:
        raise _fail(f'"{name}" must be comma-separated numbers') from None


def _timezone(request: Request, required: bool) -> str | None:
    tz = request.query_params.get("timezone")
    if not tz:
        if required:
            raise _fail('"timezone" is required')
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f'"timezone" {tz!r} is not a valid IANA time zone') from None
    return tz


def _filtered(state: SandboxState, key: KeyState, request: Request) -> list[CampaignState]:
    campaign_ids, client_ids = _ids(request, "campaign_ids"), _ids(request, "client_ids")
    return [
        c
        for c in state.campaigns.values()
        if c.api_key == key.api_key
        and not c.deleted
        and (campaign_ids is None or c.id in campaign_ids)
        and (client_ids is None or c.client_id in client_ids)
    ]


def _day_text(day: dt.date, fmt: str) -> str:
    return day.isoformat() if fmt == "iso" else f"{day.day} {MONTHS[day.month - 1]}"


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "0%"


def _overall(n: Counter[str], by_sent: bool) -> dict[str, str]:
    replied = n["reply_by_sent" if by_sent else "reply"]
    return {
        "sent": str(n["sent"]),
        "opened": str(n["open"]),
        "replied": str(replied),
        "bounced": str(n["bounce"]),
        "unsubscribed": str(n["unsubscribed"]),
        "open_rate": _rate(n["open"], n["sent"]),
        "reply_rate": _rate(replied, n["sent"]),
        "bounce_rate": _rate(n["bounce"], n["sent"]),
    }


def _positive(n: Counter[str], by_sent: bool) -> dict[str, str]:
    return {"positive_replied": str(n["positive_reply_by_sent" if by_sent else "positive_reply"])}


def _day_wise(
    request: Request, name: str, by_sent: bool, metrics: Callable[[Counter[str], bool], Any]
) -> Any:
    state, key = _ctx(request)
    with state.lock:
        settings = settings_of(key)
        settings.calls[name] += 1
        start, end = _window(request, settings)
        _timezone(request, required=by_sent)
        fmt = request.headers.get("x-sandbox-date-format") or settings.date_format
        if fmt not in DATE_FORMATS:
            raise joi(f"X-Sandbox-Date-Format must be one of {DATE_FORMATS}")
        campaigns = _filtered(state, key, request)
        rows = []
        for i in range((end - start).days + 1):
            day = start + dt.timedelta(days=i)
            summed: Counter[str] = Counter()
            for camp in campaigns:
                summed.update(camp.activity.get(day.isoformat(), Counter()))
            if settings.omit_zero_days and not any(summed.values()):
                continue
            rows.append(
                {
                    "date": _day_text(day, fmt),
                    "day_name": DAY_NAMES[day.weekday()],
                    "email_engagement_metrics": metrics(summed, by_sent),
                }
            )
        if not settings.wrapped:
            return {"day_wise_stats": rows}
        return {"success": True, "message": "success", "data": {"day_wise_stats": rows}}


@router.get("/analytics/day-wise-overall-stats")
async def day_wise_overall(request: Request) -> Any:
    return _day_wise(request, "day-wise-overall-stats", False, _overall)


@router.get("/analytics/day-wise-overall-stats-by-sent-time")
async def day_wise_overall_by_sent(request: Request) -> Any:
    return _day_wise(request, "day-wise-overall-stats-by-sent-time", True, _overall)


@router.get("/analytics/day-wise-positive-reply-stats")
async def day_wise_positive(request: Request) -> Any:
    return _day_wise(request, "day-wise-positive-reply-stats", False, _positive)


@router.get("/analytics/day-wise-positive-reply-stats-by-sent-time")
async def day_wise_positive_by_sent(request: Request) -> Any:
    return _day_wise(request, "day-wise-positive-reply-stats-by-sent-time", True, _positive)


@router.get("/campaigns/{campaign_id}/top-level-analytics-by-date")
async def top_level_by_date(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        settings_of(key).calls["top-level-analytics-by-date"] += 1
        start, end = _window(request, AnalyticsSettings(max_window_days=10**6))
        camp = state.campaign_of(key, campaign_id)
        n: Counter[str] = Counter()
        for i in range((end - start).days + 1):
            n.update(camp.activity.get((start + dt.timedelta(days=i)).isoformat(), Counter()))
        names = ("sent", "unique_sent", "open", "unique_open", "click", "reply", "bounce")
        return {
            "id": camp.id,
            "name": camp.name,
            "status": camp.status,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            **{f"{k}_count": str(n[k]) for k in names},
            "positive_reply_count": str(n["positive_reply"]),
            "unsubscribed_count": str(n["unsubscribed"]),
        }


# ---- admin ----------------------------------------------------------------------------------
def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox  # type: ignore[no-any-return]


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise joi("admin body must be an object")
    return data


def _campaign(state: SandboxState, campaign_id: Any) -> CampaignState:
    try:
        camp = state.campaigns.get(int(campaign_id))
    except (TypeError, ValueError):
        camp = None
    if camp is None:
        raise ApiFailure(404, {"error": f"no campaign {campaign_id}"})
    return camp


def _figures(camp: CampaignState, day: str) -> dict[str, int]:
    counter = camp.activity.get(day, Counter())
    return {name: counter[names[0]] for name, names in FIGURES.items()}


def _parse_day(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise joi("each day is an object {date, sent?, opened?, ...}")
    try:
        day = dt.date.fromisoformat(str(raw.get("date"))).isoformat()
    except ValueError:
        raise joi(f"day {raw.get('date')!r}: date must be YYYY-MM-DD") from None
    values = {k: v for k, v in raw.items() if k != "date"}
    unknown = sorted(set(values) - set(FIGURES))
    if unknown:
        raise joi(f"day {day}: unknown figures {unknown}; known: {sorted(FIGURES)}")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise joi(f"day {day}: {name} must be a whole number >= 0")
    return {"date": day, **values}


@admin.post("/days")
async def seed_days(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    days = [_parse_day(raw) for raw in body.get("days") or []]  # all checked before any change
    with state.lock:
        camp = _campaign(state, body.get("campaign_id"))
        for item in days:
            counter = camp.activity.setdefault(item["date"], Counter())
            for name, value in item.items():
                for counter_name in FIGURES.get(name, ()):
                    counter[counter_name] = value
        if days:
            first = min(d["date"] for d in days)
            if first < camp.created_at[:10]:
                camp.created_at = f"{first}T00:00:00.000Z"
        return {
            "campaign_id": camp.id,
            "days": {d: _figures(camp, d) for d in sorted(camp.activity)},
        }


@admin.get("/days")
async def seeded_days(request: Request) -> Any:
    state = _state(request)
    with state.lock:
        camp = _campaign(state, request.query_params.get("campaign_id"))
        return {
            "campaign_id": camp.id,
            "days": {d: _figures(camp, d) for d in sorted(camp.activity)},
        }


def _key(state: SandboxState, api_key: Any) -> KeyState:
    key = state.keys.get(str(api_key or ""))
    if key is None:
        raise ApiFailure(404, {"error": "unknown api_key (POST /admin/keys first)"})
    return key


@admin.post("/settings")
async def set_settings(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    with state.lock:
        settings = settings_of(_key(state, body.get("api_key")))
        if "date_format" in body:
            if body["date_format"] not in DATE_FORMATS:
                raise joi(f'"date_format" must be one of {DATE_FORMATS}')
            settings.date_format = body["date_format"]
        if "wrapped" in body:
            settings.wrapped = bool(body["wrapped"])
        if "omit_zero_days" in body:
            settings.omit_zero_days = bool(body["omit_zero_days"])
        if "max_window_days" in body:
            settings.max_window_days = max(1, int(body["max_window_days"]))
        return {
            "date_format": settings.date_format,
            "wrapped": settings.wrapped,
            "max_window_days": settings.max_window_days,
            "omit_zero_days": settings.omit_zero_days,
        }


@admin.get("/calls")
async def calls(request: Request) -> Any:
    state = _state(request)
    with state.lock:
        counted = settings_of(_key(state, request.query_params.get("api_key"))).calls
        return {"calls": dict(counted), "total": sum(counted.values())}


def register(app: FastAPI, api_prefix: str) -> None:
    """Mount the analytics API under ``api_prefix`` and its admin routes under /admin."""
    app.include_router(router, prefix=api_prefix)
    app.include_router(admin)
