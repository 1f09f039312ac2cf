"""Per-account automation parameters: one pydantic model per automation, validated on write."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClayIntakeParams(_Params):
    """1. Clay rows -> Smartlead campaign, uploaded in chunks."""

    default_campaign_id: str | None = None
    chunk_size: int = Field(100, ge=1, le=400)
    max_delay_seconds: float = Field(5.0, gt=0, le=3600)


class ReplyGuardParams(_Params):
    """2. Pause a campaign whose reply rate stays under a threshold for N days."""

    threshold_percent: float = Field(1.0, ge=0, le=100)
    days: int = Field(3, ge=1, le=30)
    min_sent_per_day: int = Field(50, ge=1)


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
    """4. Daily analytics snapshot for white-label reports."""

    campaign_ids: list[str] = Field(default_factory=list)  # empty = all campaigns


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


class OnboardingParams(_Params):
    """8. Clone a template campaign for a new client."""

    template_campaign_id: str | None = None
    mailbox_ids: list[int] = Field(default_factory=list)


class SendDayParams(_Params):
    """9. Narrow send days to the weekdays with the best reply rates."""

    lookback_days: int = Field(28, ge=7, le=30)
    keep_days: int = Field(3, ge=1, le=7)
    min_sent_per_day: int = Field(30, ge=1)


class VisitFollowupParams(_Params):
    """10. Known lead visits the pricing page and has not replied -> warm follow-up campaign."""

    campaign_id: str | None = None
    page_contains: list[str] = Field(default_factory=lambda: ["/pricing"])
    cooldown_days: int = Field(14, ge=0, le=365)


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
}


def validate_params(automation: str, params: dict[str, Any] | None) -> _Params:
    try:
        model = AUTOMATIONS[automation]
    except KeyError:
        raise ValueError(
            f"unknown automation {automation!r}; known: {', '.join(sorted(AUTOMATIONS))}"
        ) from None
    return model.model_validate(params or {})
