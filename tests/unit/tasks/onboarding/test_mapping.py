"""Every read-to-write translation of a campaign clone (smartlead-api.md, "Cloning a campaign",
"Schedule"): what GET shows is never sent back as is."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.onboarding import mapping
from tasks.onboarding.mapping import MappingError
from workers.automations import OnboardingTemplate
from workers.clients.smartlead_models import Campaign, SequenceStep


def campaign(**fields: Any) -> Campaign:
    return Campaign.model_validate({"id": 1, **fields})


# ---- settings ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("read", "written"),
    [
        (["DONT_EMAIL_OPEN"], ["DONT_TRACK_EMAIL_OPEN"]),
        (["DONT_LINK_CLICK"], ["DONT_TRACK_LINK_CLICK"]),
        (["DONT_REPLY_TO_AN_EMAIL"], ["DONT_TRACK_REPLY_TO_AN_EMAIL"]),
        (["DONT_TRACK_EMAIL_OPEN"], ["DONT_TRACK_EMAIL_OPEN"]),  # already the write name
        ("DONT_EMAIL_OPEN,DONT_LINK_CLICK", ["DONT_TRACK_EMAIL_OPEN", "DONT_TRACK_LINK_CLICK"]),
        (["dont_email_open", "DONT_EMAIL_OPEN"], ["DONT_TRACK_EMAIL_OPEN"]),  # once, any case
        (None, []),
        ([], []),
    ],
)
def test_tracking_read_names_become_write_names(read: Any, written: list[str]) -> None:
    assert mapping.tracking_settings(read) == written


def test_an_unknown_tracking_value_is_refused_naming_the_field() -> None:
    with pytest.raises(MappingError) as info:
        mapping.tracking_settings(["DONT_SEND_AT_ALL"])
    assert info.value.field == "track_settings" and "DONT_SEND_AT_ALL" in str(info.value)


def test_settings_copy_the_readable_values_in_write_form_without_a_null_client_id() -> None:
    template = campaign(
        track_settings=["DONT_EMAIL_OPEN"],
        stop_lead_settings="REPLY_TO_AN_EMAIL",
        unsubscribe_text="Reply STOP",
        send_as_plain_text=False,
        follow_up_percentage="60",
        client_id=12,  # the template's client: never the clone's
    )
    body = mapping.settings_body(template, client_id=None)
    assert body == {
        "track_settings": ["DONT_TRACK_EMAIL_OPEN"],
        "stop_lead_settings": "REPLY_TO_AN_EMAIL",
        "unsubscribe_text": "Reply STOP",
        "send_as_plain_text": False,
        "follow_up_percentage": 60,
    }
    assert "client_id" not in body


def test_settings_carry_the_new_client_and_what_the_api_cannot_read() -> None:
    config = OnboardingTemplate(
        bounce_autopause_threshold=5, out_of_office_detection_settings={"autoPauseOOO": True}
    )
    body = mapping.settings_body(campaign(), client_id=77, template=config)
    assert body == {
        "track_settings": [],
        "client_id": 77,
        "bounce_autopause_threshold": 5,
        "out_of_office_detection_settings": {"autoPauseOOO": True},
    }


# ---- schedule ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("read", "written"),
    [("9", "09:00"), (9, "09:00"), ("09:00", "09:00"), ("9:30", "09:30"), ("17:30:00", "17:30")],
)
def test_hours_are_written_as_hh_mm(read: Any, written: str) -> None:
    assert mapping.hhmm(read, "startHour") == written


@pytest.mark.parametrize("bad", [None, "", "24", "9am", "9:60", "nine", True])
def test_an_hour_that_is_not_one_is_refused_naming_the_field(bad: Any) -> None:
    with pytest.raises(MappingError) as info:
        mapping.hhmm(bad, "scheduler_cron_value.startHour")
    assert info.value.field == "scheduler_cron_value.startHour"


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
        ([7, 1], [0, 1]),  # 7 is Sunday (ISO numbering, seen once)
        ([0, 7], [0]),
        (["1", "2"], [1, 2]),
        ([5, 1, 1], [1, 5]),
    ],
)
def test_days_are_zero_for_sunday_sorted_once(read: list[Any], written: list[int]) -> None:
    assert mapping.day_numbers(read) == written


@pytest.mark.parametrize("bad", [[], None, [8], ["mon"], [-1]])
def test_days_that_are_not_days_are_refused(bad: Any) -> None:
    with pytest.raises(MappingError):
        mapping.day_numbers(bad)


TEMPLATE_SCHEDULE = {
    "scheduler_cron_value": {
        "tz": "Europe/London",
        "days": [1, 2, 3, 4, 7],
        "startHour": "9",
        "endHour": "17:30",
    },
    "min_time_btwn_emails": 12,
    "max_leads_per_day": "40",
}


def test_the_schedule_is_all_six_write_fields_in_the_clients_time_zone() -> None:
    body = mapping.schedule_body(campaign(**TEMPLATE_SCHEDULE), timezone="America/New_York")
    assert body == {
        "timezone": "America/New_York",
        "days_of_the_week": [0, 1, 2, 3, 4],
        "start_hour": "09:00",
        "end_hour": "17:30",
        "min_time_btw_emails": 12,
        "max_new_leads_per_day": 40,
    }


def test_the_templates_time_zone_is_kept_when_the_client_has_none() -> None:
    body = mapping.schedule_body(campaign(**TEMPLATE_SCHEDULE), timezone=None)
    assert body is not None and body["timezone"] == "Europe/London"


def test_no_schedule_on_the_template_means_no_schedule_write() -> None:
    assert mapping.schedule_body(campaign(scheduler_cron_value=None), timezone="UTC") is None


@pytest.mark.parametrize("missing", ["min_time_btwn_emails", "max_leads_per_day"])
def test_a_schedule_missing_a_required_field_is_refused_naming_it(missing: str) -> None:
    fields = {k: v for k, v in TEMPLATE_SCHEDULE.items() if k != missing}
    with pytest.raises(MappingError) as info:
        mapping.schedule_body(campaign(**fields), timezone="UTC")
    assert info.value.field == missing


def test_the_gap_between_emails_is_never_below_the_apis_three_minutes() -> None:
    body = mapping.schedule_body(
        campaign(**{**TEMPLATE_SCHEDULE, "min_time_btwn_emails": 1}), timezone="UTC"
    )
    assert body is not None and body["min_time_btw_emails"] == 3


# ---- sequences ---------------------------------------------------------------------------
def steps(*raw: dict[str, Any]) -> list[SequenceStep]:
    return [SequenceStep.model_validate(s) for s in raw]


def test_steps_are_new_numbered_in_order_and_read_either_delay_spelling() -> None:
    read = steps(
        {"id": 9, "seq_number": 2, "seq_delay_details": {"delay_in_days": 3}, "email_body": "b2"},
        {"id": 8, "seq_number": 1, "seq_delay_details": {"delayInDays": 0}, "subject": "s1",
         "email_body": "b1"},
        {"id": 7, "seq_number": 5, "seq_delay_details": {"delayInDays": "4"}, "email_body": "b5"},
    )  # fmt: skip
    assert mapping.sequence_bodies(read) == [
        {"id": None, "seq_number": 1, "seq_delay_details": {"delay_in_days": 0},
         "subject": "s1", "email_body": "b1"},
        {"id": None, "seq_number": 2, "seq_delay_details": {"delay_in_days": 3},
         "subject": "", "email_body": "b2"},
        {"id": None, "seq_number": 3, "seq_delay_details": {"delay_in_days": 4},
         "subject": "", "email_body": "b5"},
    ]  # fmt: skip


def variant(label: str, share: Any = None, deleted: bool = False) -> dict[str, Any]:
    return {
        "id": ord(label),
        "variant_label": label,
        "subject": f"subject {label}",
        "email_body": f"body {label}",
        "variant_distribution_percentage": share,
        "is_deleted": deleted,
    }


def one_step(*variants: dict[str, Any]) -> list[dict[str, Any]]:
    raw = {"seq_number": 1, "subject": "", "email_body": "", "sequence_variants": list(variants)}
    return mapping.sequence_bodies(steps(raw))


def test_variants_are_renamed_relabelled_and_the_deleted_ones_skipped() -> None:
    [step] = one_step(variant("A", 40), variant("B", 20, deleted=True), variant("C", 60))
    assert step["seq_variants"] == [
        {"subject": "subject A", "email_body": "body A", "variant_label": "A",
         "variant_distribution_percentage": 40},
        {"subject": "subject C", "email_body": "body C", "variant_label": "B",
         "variant_distribution_percentage": 60},
    ]  # fmt: skip
    assert "sequence_variants" not in step


def test_a_share_of_none_is_absent_and_a_broken_split_is_left_to_smartlead() -> None:
    [none] = one_step(variant("A", "None"), variant("B", "None"))
    assert all("variant_distribution_percentage" not in v for v in none["seq_variants"])
    # one share missing: no share sent at all (Smartlead splits evenly)
    [partial] = one_step(variant("A", "50"), variant("B", "None"))
    assert all("variant_distribution_percentage" not in v for v in partial["seq_variants"])
    # after a deletion the rest no longer add up to 100: dropped too
    [broken] = one_step(variant("A", 30), variant("B", 40, deleted=True), variant("C", 30))
    assert all("variant_distribution_percentage" not in v for v in broken["seq_variants"])
    # strings and "%" are read as numbers
    [ok] = one_step(variant("A", "25%"), variant("B", "75"))
    assert [v["variant_distribution_percentage"] for v in ok["seq_variants"]] == [25, 75]


def test_a_step_left_with_one_variant_carries_its_subject_and_body() -> None:
    [step] = one_step(variant("A", 50, deleted=True), variant("B", "None"))
    assert step == {
        "id": None,
        "seq_number": 1,
        "seq_delay_details": {"delay_in_days": 0},
        "subject": "subject B",
        "email_body": "body B",
    }


def test_a_template_without_steps_or_with_an_empty_step_is_refused() -> None:
    with pytest.raises(MappingError) as info:
        mapping.sequence_bodies([])
    assert info.value.field == "sequences"
    with pytest.raises(MappingError) as info:
        mapping.sequence_bodies(steps({"seq_number": 1, "subject": "s", "email_body": ""}))
    assert info.value.field == "sequences[0].email_body"


def test_existing_steps_lend_their_ids_so_a_rewrite_updates_them() -> None:
    desired = mapping.sequence_bodies(
        steps({"seq_number": 1, "email_body": "a"}, {"seq_number": 2, "email_body": "b"})
    )
    existing = steps({"id": 41, "seq_number": 1, "email_body": "a"})
    assert [s["id"] for s in mapping.adopt_step_ids(desired, existing)] == [41, None]


# ---- webhooks and recording --------------------------------------------------------------
def test_webhooks_point_at_the_accounts_smartlead_route_with_the_secret_in_the_url() -> None:
    url = mapping.webhook_url("https://ops.example/", "newco", "s3cr/t+")
    assert url == "https://ops.example/v1/newco/smartlead/s3cr%2Ft%2B"
    specs = mapping.webhook_specs(url, ["Interested"])
    assert [(s["event_types"], s["categories"]) for s in specs] == [
        (["EMAIL_REPLY"], []),
        (["LEAD_CATEGORY_UPDATED"], ["Interested"]),
        (["LEAD_UNSUBSCRIBED"], []),
    ]
    assert {s["webhook_url"] for s in specs} == {url}


def test_a_recording_target_is_automation_dot_field() -> None:
    assert mapping.setting_target("clay_intake.default_campaign_id") == (
        "clay_intake",
        "default_campaign_id",
    )
    with pytest.raises(MappingError):
        mapping.setting_target("clay_intake")
