"""Per-account automation parameters: one pydantic model per automation, validated on write."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClayIntakeParams(_Params):
    """1. Clay rows -> Smartlead campaign, uploaded in chunks."""

    default_campaign_id: str | None = None
    chunk_size: int = Field(100, ge=1, le=400)
    max_delay_seconds: float = Field(5.0, gt=0, le=3600)
    # Smartlead's cap on custom fields per lead is 20 on older plans, 200 on newer ones.
    max_custom_fields: int = Field(20, ge=0, le=200)


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


class MailboxHealthParams(_Params):
    """7. Morning mailbox health check in the client's time zone."""

    local_hour: int = Field(8, ge=0, le=23)
    min_reputation_percent: float = Field(90, ge=0, le=100)


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
