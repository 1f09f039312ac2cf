"""Per-account automation parameters: one pydantic model per automation, validated on write."""

from __future__ import annotations

from typing import Any, Literal, get_args

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


class MailboxHealthParams(_Params):
    """7. Morning mailbox health check in the client's time zone."""

    local_hour: int = Field(8, ge=0, le=23)
    min_reputation_percent: float = Field(90, ge=0, le=100)


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
