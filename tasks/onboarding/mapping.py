"""Pure read-to-write mappings for cloning a campaign (smartlead-api.md, "Cloning a campaign",
"Schedule"): what GET shows is not what POST accepts, so nothing read is sent back as is.

Every function takes the typed read answers (``workers.clients.smartlead_models``) or plain
values and returns a write body; a template that cannot be translated raises ``MappingError``
naming the field. No I/O here: unit tests drive these with tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from workers.automations import OnboardingTemplate
from workers.clients.smartlead_models import (
    MIN_GAP_MINUTES,
    Campaign,
    SequenceStep,
    SequenceVariant,
    normalise_hour,
    read_weekdays,
)


class MappingError(ValueError):
    """A template value with no write form; ``field`` names it as the template shows it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


# ---- settings ----------------------------------------------------------------------------
# GET shows the left names; POST accepts only the right ones, and copying a read value
# silently leaves tracking on.
TRACKING_READ_TO_WRITE: dict[str, str] = {
    "DONT_EMAIL_OPEN": "DONT_TRACK_EMAIL_OPEN",
    "DONT_LINK_CLICK": "DONT_TRACK_LINK_CLICK",
    "DONT_REPLY_TO_AN_EMAIL": "DONT_TRACK_REPLY_TO_AN_EMAIL",
}
TRACKING_WRITE_VALUES = frozenset(TRACKING_READ_TO_WRITE.values())
TRACKING_WRITE_TO_READ = {w: r for r, w in TRACKING_READ_TO_WRITE.items()}


def tracking_settings(value: Any) -> list[str]:
    """``track_settings`` as read (a list, a comma string or null) -> the write names."""
    if value is None or value == "":
        return []
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise MappingError("track_settings", f"expected a list, got {type(value).__name__}")
    out: list[str] = []
    for item in items:
        name = str(item).strip().upper()
        if not name:
            continue
        written = TRACKING_READ_TO_WRITE.get(name, name)
        if written not in TRACKING_WRITE_VALUES:
            raise MappingError("track_settings", f"unknown tracking value {name!r}")
        if written not in out:
            out.append(written)
    return out


def settings_body(
    campaign: Campaign, *, client_id: int | None, template: OnboardingTemplate | None = None
) -> dict[str, Any]:
    """POST /campaigns/{id}/settings for the clone: the readable settings of the template in
    their write form, the new client's id (never a null), and the settings the API cannot read,
    from the template's configuration in LeadOps."""
    body: dict[str, Any] = {"track_settings": tracking_settings(campaign.track_settings)}
    for name in ("stop_lead_settings", "unsubscribe_text", "send_as_plain_text"):
        value = getattr(campaign, name)
        if value is not None:
            body[name] = value
    if campaign.follow_up_percentage is not None:
        body["follow_up_percentage"] = campaign.follow_up_percentage
    if client_id is not None:
        body["client_id"] = int(client_id)
    if template is not None:
        body.update(template.model_dump(exclude_none=True))
    return body


# ---- schedule ----------------------------------------------------------------------------
def hhmm(value: Any, field: str) -> str:
    """An hour as the schedule write wants it: "9" / 9 -> "09:00", "9:30" -> "09:30",
    "17:30:00" -> "17:30"."""
    if value is None or isinstance(value, bool):
        raise MappingError(field, "missing")
    hour = normalise_hour(value)
    if hour is None:
        raise MappingError(field, f"{value!r} is not an hour of the day (H, HH or HH:MM)")
    return hour


def day_numbers(value: Any, field: str = "scheduler_cron_value.days") -> list[int]:
    """Send days as 0 = Sunday .. 6 = Saturday; a 7 (ISO numbering, seen once) is Sunday."""
    if not isinstance(value, list | tuple) or not value:
        raise MappingError(field, "no send days")
    days = read_weekdays(value)
    if days is None:
        raise MappingError(field, f"{value!r} holds a non-day (0-6, or 7 for Sunday)")
    return days


def schedule_body(campaign: Campaign, *, timezone: str | None) -> dict[str, Any] | None:
    """POST /campaigns/{id}/schedule: all six fields, from the template's read names, in the
    new client's time zone (same local hours) when it has one. None: the template has none."""
    cron = campaign.scheduler_cron_value
    if not cron:
        return None
    tz = timezone or cron.get("tz")
    if not tz:
        raise MappingError("scheduler_cron_value.tz", "no time zone")
    if campaign.min_time_btwn_emails is None:
        raise MappingError("min_time_btwn_emails", "missing")
    if campaign.max_leads_per_day is None:
        raise MappingError("max_leads_per_day", "missing")
    return {
        "timezone": str(tz),
        "days_of_the_week": day_numbers(cron.get("days")),
        "start_hour": hhmm(cron.get("startHour"), "scheduler_cron_value.startHour"),
        "end_hour": hhmm(cron.get("endHour"), "scheduler_cron_value.endHour"),
        "min_time_btw_emails": max(MIN_GAP_MINUTES, campaign.min_time_btwn_emails),
        "max_new_leads_per_day": campaign.max_leads_per_day,
    }


# ---- sequences ---------------------------------------------------------------------------
def _label(i: int) -> str:
    """A, B, ..., Z, AA, AB, ..."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def live_variants(raw: Sequence[Mapping[str, Any]] | None) -> list[SequenceVariant]:
    """The variants a step really sends: deleted ones dropped, order kept."""
    variants = [SequenceVariant.model_validate(v) for v in raw or []]
    return [v for v in variants if not v.is_deleted]


def variant_bodies(variants: Sequence[SequenceVariant]) -> list[dict[str, Any]]:
    """Write-form variants, relabelled A, B, ... after deletions. Percentages are kept only when
    every variant has one and they add up to 100 (deleting a variant breaks the split, and
    "None" means no split): otherwise none is sent and Smartlead splits evenly."""
    shares = [v.variant_distribution_percentage for v in variants]
    keep = all(s is not None for s in shares) and sum(s or 0 for s in shares) == 100
    out = []
    for i, v in enumerate(variants):
        body: dict[str, Any] = {
            "subject": v.subject or "",
            "email_body": v.email_body or "",
            "variant_label": _label(i),
        }
        if keep:
            body["variant_distribution_percentage"] = v.variant_distribution_percentage
        out.append(body)
    return out


def sequence_bodies(steps: Sequence[SequenceStep]) -> list[dict[str, Any]]:
    """POST /campaigns/{id}/sequences ``sequences``: new steps (``"id": null``) numbered 1..n in
    the template's order, delay from either spelling, variants in write form; a step left with
    one variant carries its subject and body itself, with no variants."""
    if not steps:
        raise MappingError("sequences", "the template has no sequence steps")
    out = []
    for number, step in enumerate(sorted(steps, key=lambda s: s.seq_number), start=1):
        variants = live_variants(step.seq_variants)
        body: dict[str, Any] = {
            "id": None,
            "seq_number": number,
            "seq_delay_details": {"delay_in_days": step.seq_delay_details.delay_in_days},
            "subject": step.subject or "",
            "email_body": step.email_body or "",
        }
        if len(variants) == 1:
            body["subject"] = variants[0].subject or body["subject"]
            body["email_body"] = variants[0].email_body or body["email_body"]
        elif variants:
            body["seq_variants"] = variant_bodies(variants)
        if not body["email_body"] and not variants:
            raise MappingError(f"sequences[{number - 1}].email_body", "empty, and no variant")
        out.append(body)
    return out


def without_ids(bodies: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in b.items() if k != "id"} for b in bodies]


def adopt_step_ids(
    desired: Sequence[Mapping[str, Any]], existing: Sequence[SequenceStep]
) -> list[dict[str, Any]]:
    """Desired steps carrying the ids of steps already on the campaign (same seq_number), so a
    re-sent write updates them instead of adding a second copy."""
    ids = {s.seq_number: s.id for s in existing if s.id is not None}
    return [{**d, "id": ids.get(int(d["seq_number"]))} for d in desired]


# ---- webhooks ----------------------------------------------------------------------------
WEBHOOK_PREFIX = "LeadOps"


def webhook_url(gateway_url: str, account_slug: str, secret: str) -> str:
    """This gateway's Smartlead route for the account, with its secret in the URL (the
    ``/v1/{account}/smartlead/{url_secret}`` form of api_gateway/routes_smartlead.py)."""
    return f"{gateway_url.rstrip('/')}/v1/{account_slug}/smartlead/{quote(secret, safe='')}"


def webhook_specs(url: str, categories: Sequence[str]) -> list[dict[str, Any]]:
    """The three campaign webhooks automations 3 and 6 need: one per event, so each can be
    checked and repaired alone."""
    return [
        {
            "name": f"{WEBHOOK_PREFIX} reply",
            "webhook_url": url,
            "event_types": ["EMAIL_REPLY"],
            "categories": [],
        },
        {
            "name": f"{WEBHOOK_PREFIX} category",
            "webhook_url": url,
            "event_types": ["LEAD_CATEGORY_UPDATED"],
            "categories": list(categories),
        },
        {
            "name": f"{WEBHOOK_PREFIX} unsubscribe",
            "webhook_url": url,
            "event_types": ["LEAD_UNSUBSCRIBED"],
            "categories": [],
        },
    ]


def setting_target(target: str) -> tuple[str, str]:
    """ "clay_intake.default_campaign_id" -> ("clay_intake", "default_campaign_id")."""
    automation, _, field = target.partition(".")
    if not automation or not field:
        raise MappingError("record_campaign_in", f"{target!r} is not automation.field")
    return automation, field
