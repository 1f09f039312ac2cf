"""Typed Smartlead answers that tolerate the real API's quirks (see shared/smartlead-api.md):
counts as strings ("42"), reputations as "97%", camelCase ``delayInDays`` on read, unknown
extra fields kept (``extra="allow"``) so a new field never breaks a task."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


def _loose_int(value: Any) -> int:
    """ "42" -> 42, 42.0 -> 42, None/"" -> 0, "97%" -> 97."""
    if value is None or isinstance(value, bool):
        return int(bool(value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip().rstrip("%").strip()
    if not text:
        return 0
    return int(float(text))


def _loose_optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return _loose_int(value)


def _percent(value: Any) -> float | None:
    """ "97%" -> 97.0, "97" -> 97.0, 97 -> 97.0, None/"" -> None."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().rstrip("%").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


LooseInt = Annotated[int, BeforeValidator(_loose_int)]
OptionalInt = Annotated[int | None, BeforeValidator(_loose_optional_int)]
Percent = Annotated[float | None, BeforeValidator(_percent)]

CampaignStatusCommand = Literal["START", "PAUSED", "STOPPED"]
CAMPAIGN_STATUS_COMMANDS: tuple[str, ...] = ("START", "PAUSED", "STOPPED")
# The add-leads lead fields (smartlead-api.md "Add leads"): every other key is refused.
LEAD_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "phone_number",
    "company_name",
    "website",
    "location",
    "linkedin_profile",
    "company_url",
    "custom_fields",
)
# The plain-text fields of a lead (everything but the email and the custom fields).
LEAD_TEXT_FIELDS: tuple[str, ...] = tuple(
    f for f in LEAD_FIELDS if f not in ("email", "custom_fields")
)
LEAD_SETTINGS_KEYS = frozenset(
    {
        "ignore_global_block_list",
        "ignore_unsubscribe_list",
        "ignore_duplicate_leads_in_other_campaign",
        "ignore_community_bounce_list",
    }
)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Campaign(_Answer):
    id: int
    name: str | None = None
    status: str | None = None  # DRAFTED | ACTIVE | PAUSED | STOPPED | COMPLETED
    client_id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    track_settings: Any = None
    stop_lead_settings: Any = None
    scheduler_cron_value: dict[str, Any] | None = None
    min_time_btwn_emails: OptionalInt = None  # sic: the API spells it with "btwn"
    max_leads_per_day: OptionalInt = None
    follow_up_percentage: OptionalInt = None
    unsubscribe_text: str | None = None
    send_as_plain_text: bool | None = None
    parent_campaign_id: int | None = None


class CreatedCampaign(_Answer):
    ok: bool = True
    id: int
    name: str | None = None
    created_at: str | None = None


# ---- schedule (reply guard / send days, issue 13): write-side rules of smartlead-api.md ----
MIN_GAP_MINUTES = 3  # the backend refuses a smaller min_time_btw_emails


def normalise_hour(value: Any) -> str | None:
    """ "9" / "9:00" / "09:00" / "09:00:00" -> "09:00"; None when it is not a time of day."""
    text = str(value if value is not None else "").strip()
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    hh, mm = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    if len(parts) > 1 and len(parts[1]) != 2:
        return None
    if not (0 <= hh <= 23 and 0 <= mm <= 59):
        return None
    return f"{hh:02d}:{mm:02d}"


def read_weekdays(value: Any) -> list[int] | None:
    """``scheduler_cron_value.days`` as the write wants them: 0 = Sunday .. 6, sorted, once;
    a 7 (ISO numbering, seen once) is Sunday. None when empty or any item is not a weekday."""
    if not isinstance(value, list | tuple) or not value:
        return None
    days: set[int] = set()
    for item in value:
        try:
            day = int(str(item).strip())
        except ValueError:
            return None
        if not 0 <= day <= 7:
            return None
        days.add(0 if day == 7 else day)
    return sorted(days)


class DuplicatedCampaign(_Answer):
    """POST /campaigns/{id}/duplicate (documented 2026, unconfirmed live)."""

    ok: bool = True
    new_campaign_id: int = Field(validation_alias=AliasChoices("newCampaignId", "new_campaign_id"))


class Schedule(BaseModel):
    """The flat body of POST /campaigns/{id}/schedule: the backend wants all six fields, days
    as 0 = Sunday .. 6 = Saturday, hours "HH:MM" (normalised here) and a gap of at least 3."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1)
    days_of_the_week: list[int]
    start_hour: str  # "HH:MM"
    end_hour: str
    min_time_btw_emails: int = Field(ge=MIN_GAP_MINUTES)  # minutes (write side spells "btw")
    max_new_leads_per_day: int = Field(ge=0)
    schedule_start_time: str | None = None

    @field_validator("days_of_the_week")
    @classmethod
    def _days(cls, days: list[int]) -> list[int]:
        if not days or any(d < 0 or d > 6 for d in days):
            raise ValueError("days_of_the_week: 0=Sunday .. 6=Saturday, at least one")
        return sorted(set(days))

    @field_validator("start_hour", "end_hour", mode="before")
    @classmethod
    def _hhmm(cls, value: Any) -> str:
        hour = normalise_hour(value)
        if hour is None:
            raise ValueError(f"hours are 'HH:MM', not {value!r}")
        return hour

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


# ---- end schedule block -------------------------------------------------------------------


class SeqDelay(_Answer):
    # Read answers use camelCase ``delayInDays``; writes must use ``delay_in_days``.
    delay_in_days: LooseInt = Field(
        default=0, validation_alias=AliasChoices("delay_in_days", "delayInDays")
    )


class SequenceStep(_Answer):
    id: int | None = None
    seq_number: LooseInt
    seq_delay_details: SeqDelay = Field(default_factory=SeqDelay)
    subject: str | None = ""
    email_body: str | None = ""
    seq_variants: list[dict[str, Any]] | None = Field(
        default=None, validation_alias=AliasChoices("seq_variants", "sequence_variants")
    )

    def to_body(self) -> dict[str, Any]:
        # "id" is always sent: null creates the step, an id updates it; the API refuses a step
        # without the key at all.
        body: dict[str, Any] = {
            "id": self.id,
            "seq_number": self.seq_number,
            "seq_delay_details": {"delay_in_days": self.seq_delay_details.delay_in_days},
            "subject": self.subject or "",
            "email_body": self.email_body or "",
        }
        if self.seq_variants:
            body["seq_variants"] = self.seq_variants
        return body


def _distribution(value: Any) -> int | None:
    """A variant's ``variant_distribution_percentage``: "None"/""/null are absent; "50", 50.0
    and "50%" are 50."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().rstrip("%").strip()
    if not text or text.lower() in ("none", "null"):
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


class SequenceVariant(_Answer):
    """One A/B variant of a step as GET .../sequences shows it (``sequence_variants``)."""

    id: int | None = None
    variant_label: str | None = None
    subject: str | None = ""
    email_body: str | None = ""
    variant_distribution_percentage: Annotated[int | None, BeforeValidator(_distribution)] = None
    is_deleted: bool = False


# ---- mailboxes (automation 7) ------------------------------------------------------------
class WarmupDetails(_Answer):
    """``warmup_details`` of a mailbox: absent (``null``) when warm-up was never set up."""

    status: str | None = None  # ACTIVE | INACTIVE
    warmup_reputation: Percent = None  # "97%" -> 97.0; "" -> None (unknown, not 0)
    total_sent_count: OptionalInt = None
    total_spam_count: OptionalInt = None
    is_warmup_blocked: bool | None = None
    max_email_per_day: OptionalInt = None  # warm-up emails per day, not campaign sending


class EmailAccount(_Answer):
    id: int
    from_email: str | None = None
    from_name: str | None = None
    username: str | None = None
    type: str | None = None
    client_id: int | None = None
    is_smtp_success: bool | None = None
    is_imap_success: bool | None = None
    is_suspended: bool | None = None
    message_per_day: OptionalInt = None  # the campaign sending limit per day
    daily_sent_count: OptionalInt = None
    tags: list[Any] | None = None
    warmup_details: WarmupDetails | None = None

    @field_validator("warmup_details", mode="before")
    @classmethod
    def _no_warmup(cls, value: Any) -> Any:
        # ``null``, ``""`` or ``{}`` all mean "no warm-up figures"; never fail the whole listing.
        return value if isinstance(value, dict) and value else None

    @property
    def reputation(self) -> float | None:
        return self.warmup_details.warmup_reputation if self.warmup_details else None


class WarmupDay(_Answer):
    date: str | None = None
    sent_count: LooseInt = 0
    reply_count: LooseInt = 0
    save_from_spam_count: LooseInt = 0


class WarmupStats(_Answer):
    """``GET /email-accounts/{id}/warmup-stats``: the last 7 days of warm-up (counts as strings)."""

    id: int | None = None
    sent_count: LooseInt = 0
    spam_count: LooseInt = 0
    inbox_count: LooseInt = 0
    warmup_email_received_count: LooseInt = 0
    stats_by_date: list[WarmupDay] = Field(default_factory=list)

    @field_validator("stats_by_date", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []


# ---- end mailboxes (automation 7) --------------------------------------------------------


class AddLeadsResult(_Answer):
    ok: bool = True
    upload_count: LooseInt = 0
    total_leads: LooseInt = 0
    already_added_to_campaign: LooseInt = 0
    duplicate_count: LooseInt = 0
    invalid_email_count: LooseInt = 0
    invalid_emails: list[str] = Field(default_factory=list)
    unsubscribed_leads: LooseInt = 0
    # When the API lists the unsubscribed addresses (an array) they are kept here.
    unsubscribed_emails: list[str] = Field(default_factory=list)
    block_count: LooseInt = 0
    bounce_count: LooseInt = 0
    is_lead_limit_exhausted: bool = False
    lead_import_stopped_count: LooseInt = 0

    @classmethod
    def from_answer(cls, data: dict[str, Any]) -> AddLeadsResult:
        data = dict(data)
        unsub = data.get("unsubscribed_leads")
        if isinstance(unsub, list):
            data["unsubscribed_emails"] = [
                u if isinstance(u, str) else str((u or {}).get("email", "")) for u in unsub
            ]
            data["unsubscribed_leads"] = len(unsub)
        return cls.model_validate(data)


class LeadCampaignData(_Answer):
    campaign_id: int
    campaign_name: str | None = None
    campaign_lead_map_id: int | None = None
    lead_category_id: int | None = None
    lead_status: str | None = None


class Lead(_Answer):
    id: int | None = None
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None
    company_name: str | None = None
    website: str | None = None
    location: str | None = None
    linkedin_profile: str | None = None
    company_url: str | None = None
    custom_fields: dict[str, Any] | None = None
    is_unsubscribed: bool | None = None
    lead_campaign_data: list[LeadCampaignData] = Field(default_factory=list)


class CampaignLead(_Answer):
    campaign_lead_map_id: int | None = None
    lead_category_id: int | None = None
    status: str | None = None  # STARTED | INPROGRESS | COMPLETED | PAUSED | STOPPED | BLOCKED
    created_at: str | None = None
    lead: Lead


class CampaignLeadsPage(_Answer):
    total_leads: LooseInt = 0
    offset: LooseInt = 0
    limit: LooseInt = 0
    data: list[CampaignLead] = Field(default_factory=list)


class LeadStats(_Answer):
    total: LooseInt = 0
    not_started: LooseInt = Field(
        default=0, validation_alias=AliasChoices("notStarted", "not_started")
    )
    inprogress: LooseInt = 0
    completed: LooseInt = 0
    blocked: LooseInt = 0
    paused: LooseInt = 0
    stopped: LooseInt = 0
    interested: LooseInt = 0


class CampaignAnalytics(_Answer):
    id: int | None = None
    name: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    sent_count: LooseInt = 0
    unique_sent_count: LooseInt = 0
    open_count: LooseInt = 0
    unique_open_count: LooseInt = 0
    click_count: LooseInt = 0
    unique_click_count: LooseInt = 0
    reply_count: LooseInt = 0
    bounce_count: LooseInt = 0
    unsubscribed_count: LooseInt = 0
    block_count: LooseInt = 0
    total_count: LooseInt = 0
    campaign_lead_stats: LeadStats = Field(default_factory=LeadStats)


class EmailStat(_Answer):
    lead_email: str
    lead_name: str | None = None
    sequence_number: OptionalInt = None
    email_subject: str | None = None
    sent_time: str | None = None
    open_time: str | None = None
    click_time: str | None = None
    reply_time: str | None = None
    is_unsubscribed: bool | None = None
    is_bounced: bool | None = None


class CampaignStatistics(_Answer):
    total_stats: LooseInt = 0
    offset: LooseInt = 0
    limit: LooseInt = 0
    data: list[EmailStat] = Field(default_factory=list)


class AgencyClient(_Answer):
    id: int
    name: str | None = None
    email: str | None = None


class SavedClient(_Answer):
    """POST /client/save: the new client's id comes as ``clientId`` (or ``id``)."""

    ok: bool = True
    client_id: int | None = Field(
        default=None, validation_alias=AliasChoices("clientId", "client_id", "id")
    )


class CampaignWebhook(_Answer):
    id: int
    name: str | None = None
    webhook_url: str | None = None
    event_types: list[str] = Field(default_factory=list)
    categories: list[str] | None = None


__all__ = [
    "AddLeadsResult",
    "AgencyClient",
    "CAMPAIGN_STATUS_COMMANDS",
    "Campaign",
    "CampaignAnalytics",
    "CampaignLead",
    "CampaignLeadsPage",
    "CampaignStatistics",
    "CampaignStatusCommand",
    "CampaignWebhook",
    "CreatedCampaign",
    "DuplicatedCampaign",
    "EmailAccount",
    "EmailStat",
    "LEAD_FIELDS",
    "LEAD_SETTINGS_KEYS",
    "LEAD_TEXT_FIELDS",
    "Lead",
    "LeadCampaignData",
    "LeadStats",
    "MIN_GAP_MINUTES",
    "SavedClient",
    "Schedule",
    "normalise_hour",
    "read_weekdays",
    "SeqDelay",
    "SequenceStep",
    "SequenceVariant",
    "WarmupDay",
    "WarmupDetails",
    "WarmupStats",
]


# ---- analytics (automation 4) ----------------------------------------------------------------
# The /analytics/* family wraps its payload ({success, message, data: {<name>: [...]}}); the
# per-campaign endpoints answer bare objects. Both are read defensively: wrapped or bare, counts
# as strings, rates as "5.03%". A row's ``date`` stays the raw text ("2026-04-20" or "20 Apr"
# with no year): only the caller knows the window it asked for, so it resolves the day.


def unwrap_analytics(payload: Any, name: str | None = None) -> Any:
    """``{success, message, data: X}`` -> X; then ``{name: Y}`` -> Y. Anything else as it is."""
    data = payload
    wrapped = isinstance(data, dict) and "data" in data
    if wrapped and ({"success", "ok", "message"} & set(data) or len(data) == 1):
        data = data["data"]
    if name is not None and isinstance(data, dict) and name in data:
        data = data[name]
    return data


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


Text = Annotated[str, BeforeValidator(_text)]


class EngagementMetrics(_Answer):
    sent: LooseInt = Field(default=0, validation_alias=AliasChoices("sent", "sent_count"))
    opened: LooseInt = Field(
        default=0, validation_alias=AliasChoices("opened", "open_count", "opens")
    )
    replied: LooseInt = Field(
        default=0, validation_alias=AliasChoices("replied", "reply_count", "replies")
    )
    positive_replied: LooseInt = Field(
        default=0,
        validation_alias=AliasChoices(
            "positive_replied", "positive_reply_count", "positive_replies"
        ),
    )
    bounced: LooseInt = Field(
        default=0, validation_alias=AliasChoices("bounced", "bounce_count", "bounces")
    )
    unsubscribed: LooseInt = Field(
        default=0, validation_alias=AliasChoices("unsubscribed", "unsubscribed_count")
    )
    open_rate: Percent = None
    reply_rate: Percent = None
    positive_reply_rate: Percent = None
    bounce_rate: Percent = None
    unsubscribe_rate: Percent = Field(
        default=None, validation_alias=AliasChoices("unsubscribe_rate", "unsubscribed_rate")
    )


class DayWiseRow(_Answer):
    date: Text
    day_name: str | None = None
    email_engagement_metrics: EngagementMetrics = Field(default_factory=EngagementMetrics)

    @model_validator(mode="before")
    @classmethod
    def _flat_metrics(cls, data: Any) -> Any:
        # Some answers carry the counts on the row itself: read them there.
        if isinstance(data, dict) and not isinstance(data.get("email_engagement_metrics"), dict):
            data = {**data, "email_engagement_metrics": data}
        return data


class DayWiseStats(_Answer):
    """``data.day_wise_stats`` of the day-wise endpoints: one row per day, summed across the
    ``campaign_ids``/``client_ids`` filter."""

    day_wise_stats: list[DayWiseRow] = Field(default_factory=list)

    @classmethod
    def from_answer(cls, payload: Any) -> DayWiseStats:
        rows = unwrap_analytics(payload, "day_wise_stats")
        if rows is None or rows == {}:
            rows = []
        if not isinstance(rows, list):
            raise ValueError(
                f"day-wise analytics: expected a list of days, got {type(rows).__name__}"
            )
        return cls(day_wise_stats=[DayWiseRow.model_validate(r) for r in rows])


class TopLevelAnalytics(_Answer):
    """``GET /campaigns/{id}/top-level-analytics-by-date``: one aggregate for a window, with
    the positive-reply count that the lifetime analytics lack."""

    id: OptionalInt = None
    name: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    sent_count: LooseInt = 0
    unique_sent_count: LooseInt = 0
    open_count: LooseInt = 0
    unique_open_count: LooseInt = 0
    click_count: LooseInt = 0
    reply_count: LooseInt = 0
    positive_reply_count: LooseInt = 0
    bounce_count: LooseInt = 0
    unsubscribed_count: LooseInt = 0

    @classmethod
    def from_answer(cls, payload: Any) -> TopLevelAnalytics:
        data = unwrap_analytics(payload)
        if isinstance(data, list):  # tolerated (not documented): the one campaign, listed
            data = data[0] if data else {}
        return cls.model_validate(data or {})


__all__ += [
    "DayWiseRow",
    "DayWiseStats",
    "EngagementMetrics",
    "TopLevelAnalytics",
    "unwrap_analytics",
]
