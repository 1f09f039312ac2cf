"""Per-account automation parameters: one pydantic model per automation, validated on write."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _hh_mm(value: str) -> str:
    """A local time of day as "HH:MM" (the scheduling mechanism's ``local_time`` override)."""
    hh, sep, mm = str(value).strip().partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        raise ValueError(f"local_time must be 'HH:MM', not {value!r}")
    return f"{int(hh):02d}:{int(mm):02d}"


class ClayIntakeParams(_Params):
    """1. Clay rows -> Smartlead campaign, uploaded in chunks."""

    default_campaign_id: str | None = None
    chunk_size: int = Field(100, ge=1, le=400)
    max_delay_seconds: float = Field(5.0, gt=0, le=3600)
    # Smartlead's cap on custom fields per lead is 20 on older plans, 200 on newer ones.
    max_custom_fields: int = Field(20, ge=0, le=200)


class ReplyGuardParams(_Params):
    """2. Pause a campaign whose reply rate stays under a threshold for N days.

    The rate is replies by send date / sent, summed over the evidence days of the last ``days``
    complete local days (``settle_days`` earlier, to let the newest send cohorts collect their
    replies). A day is evidence when it was collected and sent at least ``min_sent_per_day``;
    ``min_evidence_days`` (default: all ``days``) of them are needed for any decision.
    """

    threshold_percent: float = Field(1.0, ge=0, le=100)
    days: int = Field(3, ge=1, le=30)
    min_sent_per_day: int = Field(50, ge=1)
    min_evidence_days: int | None = Field(None, ge=1, le=30)
    settle_days: int = Field(0, ge=0, le=7)
    # Set (e.g. 0.8): also require P(true rate < threshold) >= confidence. None: the rate alone.
    confidence: float | None = Field(None, ge=0.5, le=0.999)
    exclude_campaign_ids: list[str] = Field(default_factory=list)  # never paused by LeadOps
    local_time: str = "09:00"  # the account's local time of the daily check

    @field_validator("local_time")
    @classmethod
    def _local_time(cls, value: str) -> str:
        return _hh_mm(value)

    @model_validator(mode="after")
    def _evidence_within_window(self) -> ReplyGuardParams:
        if self.min_evidence_days is not None and self.min_evidence_days > self.days:
            raise ValueError("min_evidence_days cannot exceed days")
        return self


class CrmSyncParams(_Params):
    """3. Replies and categories -> HubSpot contact."""

    create_missing_contacts: bool = True
    lifecycle_mapping: dict[str, str] = Field(
        default_factory=lambda: {
            "Interested": "salesqualifiedlead",
            "Meeting Request": "salesqualifiedlead",
        }
    )
    notify_slack_categories: list[str] = Field(
        default_factory=lambda: ["Interested", "Meeting Request"]
    )
    notify_slack: bool = False


class AnalyticsSnapshotParams(_Params):
    """4. Daily per-campaign figures into the campaign store (reports, reply guard, send days)."""

    local_time: str = "06:00"  # local "HH:MM" after which the previous day is collected
    campaign_ids: list[str] = Field(default_factory=list)  # empty = every campaign in `statuses`
    statuses: list[str] = Field(default_factory=lambda: ["ACTIVE", "PAUSED"])
    correction_days: int = Field(2, ge=0, le=29)  # days before yesterday collected again
    # Send days whose by-sent-time reply count is re-read (replies arrive for weeks; free up to
    # the window cap: one call covers them).
    cohort_days: int = Field(30, ge=0, le=30)
    backfill_days: int = Field(30, ge=1, le=365)  # a campaign seen for the first time
    max_window_days: int = Field(30, ge=1, le=30)  # the API's window cap: longer ranges split

    @field_validator("local_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hh, sep, mm = value.partition(":")
        if not (sep and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError("local_time is 'HH:MM' (24 h)")
        return f"{int(hh):02d}:{int(mm):02d}"

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        known = {"DRAFTED", "ACTIVE", "PAUSED", "STOPPED", "COMPLETED"}
        upper = [s.strip().upper() for s in value]
        unknown = sorted(set(upper) - known)
        if unknown:
            raise ValueError(f"unknown campaign statuses {unknown}; known: {sorted(known)}")
        return upper

    @model_validator(mode="after")
    def _windows(self) -> AnalyticsSnapshotParams:
        if self.correction_days >= self.backfill_days:
            raise ValueError("correction_days must be smaller than backfill_days")
        return self

    # report branding (the white-label client report; nothing in it names LeadOps)
    brand_name: str = Field("", max_length=120)  # the agency's name, shown as "Prepared by"
    # An https:// URL (fetched once per render and embedded) or a data:image/...;base64 URI.
    brand_logo: str | None = Field(
        None,
        max_length=400_000,
        pattern=r"^(https://\S+|data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+)$",
    )
    accent_color: str = Field("#2563eb", pattern=r"^#[0-9a-fA-F]{6}$")
    bounce_warn_percent: float = Field(3.0, ge=0, le=100)
    unsubscribe_warn_percent: float = Field(1.0, ge=0, le=100)
    warn_min_sent: int = Field(100, ge=0)  # fewer sends than this: no rate warning (noise)
    # Where the client opens the link (e.g. https://reports.agency.example); default: settings.
    report_base_url: str | None = Field(None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class FormSpec(_Params):
    campaign_id: str
    # form field ref/key -> Smartlead lead field (email, first_name, ...) or "custom:<name>"
    field_mapping: dict[str, str] = Field(default_factory=dict)


class FormNurtureParams(_Params):
    """5. Form submissions (Typeform, Tally, generic JSON) -> nurture campaign."""

    forms: dict[str, FormSpec] = Field(default_factory=dict)  # form id -> spec
    default_campaign_id: str | None = None


class BlocklistParams(_Params):
    """6. Unsubscribe / do-not-contact -> block list of every account of the agency."""

    scope: Literal["account", "all", "group"] = "all"
    group: str | None = None
    blocking_categories: list[str] = Field(
        default_factory=lambda: ["Do Not Contact", "Not Interested"]
    )


MailboxCondition = Literal[
    "smtp_failed",  # is_smtp_success false
    "imap_failed",  # is_imap_success false
    "low_reputation",  # warm-up reputation under min_reputation_percent
    "warmup_blocked",  # warmup_details.is_warmup_blocked
    "warmup_inactive",  # warm-up set up but not ACTIVE
    "no_warmup",  # warmup_details null: warm-up never set up
    "suspended",  # is_suspended
    "daily_limit_reached",  # daily_sent_count >= message_per_day
    "warmup_spam",  # 7-day warm-up spam share over max (needs use_warmup_stats)
]

_DEFAULT_WEAK_CONDITIONS: tuple[MailboxCondition, ...] = (
    "smtp_failed",
    "imap_failed",
    "low_reputation",
    "warmup_blocked",
    "suspended",
    "warmup_spam",
)
_DEFAULT_REMEDY_CONDITIONS: tuple[MailboxCondition, ...] = (
    "smtp_failed",
    "imap_failed",
    "low_reputation",
    "warmup_blocked",
)


class MailboxHealthParams(_Params):
    """7. Morning mailbox health check in the client's time zone.

    ``use_warmup_stats``: when a mailbox's reputation alone cannot decide (warm-up set up but
    reputation missing or ``""``, or within ``warmup_stats_band_percent`` above the floor) and
    nothing else already makes it weak, ask ``GET /email-accounts/{id}/warmup-stats`` once that
    morning: one request per such mailbox on the key's bulk budget (at most
    ``warmup_stats_max_calls`` per account and morning; answers are kept for the day so a
    re-run does not ask again).
    """

    local_hour: int = Field(8, ge=0, le=23)
    min_reputation_percent: float = Field(90, ge=0, le=100)
    # A weak mailbox recovers from low reputation only at floor + margin (no daily flapping).
    recovery_margin_percent: float = Field(3, ge=0, le=50)
    weak_conditions: list[MailboxCondition] = Field(
        default_factory=lambda: list(_DEFAULT_WEAK_CONDITIONS)
    )
    daily_digest: bool = False  # a message every morning, even with no change
    # Optional remedy: "dry_run" only records what it would do; "on" sets the campaign sending
    # limit of a mailbox weak for one of remedy_conditions to 0 and restores it on recovery.
    remedy: Literal["off", "dry_run", "on"] = "off"
    remedy_conditions: list[MailboxCondition] = Field(
        default_factory=lambda: list(_DEFAULT_REMEDY_CONDITIONS)
    )
    use_warmup_stats: bool = False
    warmup_stats_band_percent: float = Field(5, ge=0, le=100)
    warmup_stats_max_calls: int = Field(20, ge=0, le=1000)
    max_warmup_spam_percent: float = Field(10, ge=0, le=100)

    @property
    def local_time(self) -> str:
        """ "HH:MM", the form the scheduling mechanism reads (``ScheduledCheck``)."""
        return f"{self.local_hour:02d}:00"


class OnboardingTemplate(_Params):
    """A template campaign's settings that the API cannot read back (smartlead-api.md, "Cloning
    a campaign"): kept in LeadOps, on the account that owns the template, and written to every
    clone. None = not set on the template (nothing is sent)."""

    bounce_autopause_threshold: int | None = Field(None, ge=0)
    out_of_office_detection_settings: dict[str, Any] | None = None
    enable_ai_esp_matching: bool | None = None
    auto_pause_domain_leads_on_reply: bool | None = None
    ignore_ss_mailbox_sending_limit: bool | None = None


# Where a new campaign can be recorded in the account's own automation settings.
CampaignSettingTarget = Literal[
    "clay_intake.default_campaign_id",
    "form_nurture.default_campaign_id",
    "visit_followup.campaign_id",
]
CAMPAIGN_SETTING_TARGETS: tuple[str, ...] = get_args(CampaignSettingTarget)


class OnboardingParams(_Params):
    """8. Clone a template campaign for a new client.

    On the account being onboarded: ``mailbox_ids`` (attached when the request names none),
    ``record_campaign_in`` (e.g. make the new campaign the Clay intake default),
    ``create_client``/``client_email`` (create the Smartlead client when the account has no
    client id), ``webhook_categories``. On the account that owns templates: ``templates``,
    template campaign id -> what the API cannot read of it.
    """

    template_campaign_id: str | None = None
    mailbox_ids: list[int] = Field(default_factory=list)
    templates: dict[str, OnboardingTemplate] = Field(default_factory=dict)
    record_campaign_in: list[CampaignSettingTarget] = Field(default_factory=list)
    create_client: bool = False
    client_email: str | None = None
    # Categories the LEAD_CATEGORY_UPDATED webhook asks for: Smartlead's built-in names.
    webhook_categories: list[str] = Field(
        default_factory=lambda: [
            "Interested",
            "Meeting Request",
            "Not Interested",
            "Do Not Contact",
            "Information Request",
            "Out Of Office",
            "Wrong Person",
        ]
    )


class SendDayParams(_Params):
    """9. Narrow send days to the weekdays with the best reply rates.

    A scheduled weekday is dropped only when the posterior probability that its reply rate (by
    send date) is below that of the kept weekdays reaches ``confidence`` (Bonferroni-adjusted
    for the weekdays compared). A weekday with fewer than ``min_sent_per_weekday`` sends over
    the lookback is never judged; no weekday is ever added.
    """

    lookback_days: int = Field(28, ge=7, le=30)
    keep_days: int = Field(3, ge=1, le=7)
    min_sent_per_weekday: int = Field(100, ge=1)
    confidence: float = Field(0.95, ge=0.5, le=0.999)
    min_days_between_changes: int = Field(28, ge=1, le=365)
    exclude_campaign_ids: list[str] = Field(default_factory=list)  # schedules left untouched
    local_time: str = "09:00"  # the account's local time of the weekly check

    @field_validator("local_time")
    @classmethod
    def _local_time(cls, value: str) -> str:
        return _hh_mm(value)


class VisitFollowupParams(_Params):
    """10. Known lead visits the pricing page and has not replied -> warm follow-up campaign."""

    campaign_id: str | None = None
    page_contains: list[str] = Field(default_factory=lambda: ["/pricing"])
    cooldown_days: int = Field(14, ge=0, le=365)


class ScheduleProbeParams(_Params):
    """Probe of the scheduling mechanism (tests, benchmark): lists the key's campaigns once per
    key and period, keeps the account's own, optionally reads some of them one by one."""

    local_time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
    campaign_reads: int = Field(0, ge=0, le=100)  # per-account calls (benchmark load)
    sleep_seconds: float = Field(0.0, ge=0, le=60)  # slow work (tests of overlapping runs)


AUTOMATIONS: dict[str, type[_Params]] = {
    "clay_intake": ClayIntakeParams,
    "reply_guard": ReplyGuardParams,
    "crm_sync": CrmSyncParams,
    "analytics_snapshot": AnalyticsSnapshotParams,
    "form_nurture": FormNurtureParams,
    "blocklist": BlocklistParams,
    "mailbox_health": MailboxHealthParams,
    "onboarding": OnboardingParams,
    "send_days": SendDayParams,
    "visit_followup": VisitFollowupParams,
    "schedule_probe": ScheduleProbeParams,
}


def validate_params(automation: str, params: dict[str, Any] | None) -> _Params:
    try:
        model = AUTOMATIONS[automation]
    except KeyError:
        raise ValueError(
            f"unknown automation {automation!r}; known: {', '.join(sorted(AUTOMATIONS))}"
        ) from None
    return model.model_validate(params or {})
