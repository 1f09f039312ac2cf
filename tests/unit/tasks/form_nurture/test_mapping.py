"""Form submissions (Typeform, Tally, generic JSON) become Smartlead leads by the form's mapping."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tasks.form_nurture.mapping import form_id_of, form_spec, map_submission
from tasks.form_nurture.payloads import tally_fields, typeform_fields
from workers.automations import FormNurtureParams, FormSpec

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "forms"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


# --- Typeform ---------------------------------------------------------------------------------


def test_typeform_defaults_map_known_refs_and_email_type_and_keep_the_rest_as_custom() -> None:
    result = map_submission("typeform", load("typeform_demo_request"))

    assert result.rejected_reason is None
    lead = result.lead
    assert lead is not None
    assert lead["email"] == "laura.diaz@acme-robotics.io"  # email-typed field, ref "work_email"
    assert lead["first_name"] == "Laura"
    assert lead["last_name"] == "Díaz"
    assert lead["company_name"] == "Acme Robotics"  # ref "company"
    assert lead["phone_number"] == "+14155550123"  # ref "phone"
    custom = lead["custom_fields"]
    assert custom["utm_source"] == "linkedin"  # hidden fields kept
    assert custom["utm_campaign"] == "q1-webinar"
    assert "gclid" not in custom  # empty hidden value dropped
    # generated ref: the custom field is named after the question's title
    assert custom["how_many_people_are_on_your_sales_team"] == "11-50"
    assert custom["interests"] == "Deliverability, Reply rate, Clay workflows"  # labels + other
    assert custom["mailboxes"] == "24"
    assert custom["uses_smartlead"] == "true"
    assert custom["newsletter"] == "false"
    assert custom["start_date"] == "2024-04-01"
    assert custom["company_site"] == "https://acme-robotics.io"
    assert "message" not in custom  # unanswered questions are absent from the payload


def test_typeform_explicit_mapping_by_ref_wins_over_defaults() -> None:
    mapping = {
        "company_site": "website",
        "01HR6YQ2M9ZP3B8K4W6X7Y5T2N": "custom:team_size",
        "interests": "custom:goals",
        "phone": "ignore",
        "utm_source": "custom:source",
    }

    result = map_submission("typeform", load("typeform_demo_request"), mapping)

    lead = result.lead
    assert lead is not None
    assert lead["website"] == "https://acme-robotics.io"
    assert "phone_number" not in lead
    custom = lead["custom_fields"]
    assert custom["team_size"] == "11-50"
    assert custom["goals"] == "Deliverability, Reply rate, Clay workflows"
    assert custom["source"] == "linkedin"
    assert "utm_source" not in custom
    assert "company_site" not in custom and "phone" not in custom


def test_typeform_mapping_never_uses_titles() -> None:
    """A mapping keyed by a question title matches nothing: Typeform fields are keyed by ref."""
    result = map_submission(
        "typeform", load("typeform_demo_request"), {"Company website": "website"}
    )

    assert result.lead is not None
    assert "website" not in result.lead


def test_typeform_submission_without_email_is_rejected_with_the_reason() -> None:
    result = map_submission("typeform", load("typeform_no_email"))

    assert result.lead is None
    assert result.rejected_reason is not None
    assert result.rejected_reason.startswith("missing_email")


def test_typeform_invalid_email_is_rejected() -> None:
    payload = load("typeform_demo_request")
    payload["form_response"]["answers"][2]["email"] = "laura@@acme"

    result = map_submission("typeform", payload)

    assert result.lead is None
    assert result.rejected_reason is not None
    assert result.rejected_reason.startswith("invalid_email")


def test_typeform_choice_other_and_accepts_the_bare_form_response() -> None:
    payload = load("typeform_demo_request")["form_response"]
    payload["answers"][4]["choice"] = {"other": "Just me"}

    fields = {f.key: f for f in typeform_fields(payload)}

    assert fields["01HR6YQ2M9ZP3B8K4W6X7Y5T2N"].value == "Just me"
    assert fields["interests"].value == ["Deliverability", "Reply rate", "Clay workflows"]
    assert form_id_of("typeform", payload) == "lT4Z3j"


def test_typeform_answer_keyed_by_field_id_when_ref_is_missing() -> None:
    payload = load("typeform_demo_request")
    del payload["form_response"]["answers"][3]["field"]["ref"]

    result = map_submission("typeform", payload, {"KoJxDM3c6x8h": "company_name"})

    assert result.lead is not None and result.lead["company_name"] == "Acme Robotics"


# --- Tally ------------------------------------------------------------------------------------


def test_tally_choice_ids_resolve_to_labels_and_nulls_are_absent() -> None:
    fields = {f.key: f for f in tally_fields(load("tally_contact_form"))}

    assert fields["question_nrPKXG"].value == "11-50"  # single choice: one label
    assert fields["question_mRXl0b"].value == ["Cold email", "Cold calling"]
    assert fields["question_31yDgN"].value == "Germany"  # dropdown
    assert "question_mOMzQ5" not in fields  # null phone
    assert "question_3xLbYo" not in fields  # null textarea
    # per-option checkbox echoes are not fields of their own
    assert not [k for k in fields if k.startswith("question_mRXl0b_")]


def test_tally_defaults_use_type_and_label() -> None:
    result = map_submission("tally", load("tally_contact_form"))

    lead = result.lead
    assert lead is not None
    assert lead["email"] == "omar@northwind-labs.com"
    assert lead["first_name"] == "Omar"
    assert lead["last_name"] == "Haddad"
    assert lead["company_name"] == "Northwind Labs"
    assert lead["linkedin_profile"] == "https://www.linkedin.com/in/omar-haddad"
    assert lead["location"] == "Germany"  # label "Country"
    assert "phone_number" not in lead
    custom = lead["custom_fields"]
    assert custom["utm_source"] == "newsletter"  # hidden field, named by its label
    assert "ref" not in custom  # null hidden field
    assert custom["team_size"] == "11-50"
    assert custom["which_channels_do_you_use"] == "Cold email, Cold calling"
    assert custom["monthly_email_volume"] == "25000"
    assert custom["i_agree_to_be_contacted"] == "true"


def test_tally_explicit_mapping_by_key() -> None:
    mapping = {
        "question_nrPKXG": "custom:team_size_bucket",
        "question_mRXl0b": "custom:channels",
        "question_31yDgN": "ignore",
        "question_7Ro1ZB_0d8e2f6a-5a1b-4c7d-9e3f-1a2b3c4d5e6f": "custom:lead_source",
    }

    result = map_submission("tally", load("tally_contact_form"), mapping)

    lead = result.lead
    assert lead is not None
    assert "location" not in lead
    assert lead["custom_fields"]["team_size_bucket"] == "11-50"
    assert lead["custom_fields"]["channels"] == "Cold email, Cold calling"
    assert lead["custom_fields"]["lead_source"] == "newsletter"
    assert "utm_source" not in lead["custom_fields"]


def test_tally_submission_with_null_email_is_rejected() -> None:
    result = map_submission("tally", load("tally_no_email"))

    assert result.lead is None
    assert result.rejected_reason is not None
    assert result.rejected_reason.startswith("missing_email")


def test_tally_unknown_option_id_is_kept_as_is() -> None:
    payload = copy.deepcopy(load("tally_contact_form"))
    payload["data"]["fields"][8]["value"] = ["no-such-option"]

    fields = {f.key: f for f in tally_fields(payload)}

    assert fields["question_nrPKXG"].value == "no-such-option"
    assert form_id_of("tally", payload) == "wAbN9x"


# --- Generic JSON -----------------------------------------------------------------------------


def test_generic_payload_with_account_mapping_and_nested_paths() -> None:
    payload = {
        "form_id": "webinar-2024",
        "contact": {"mail": "Kim@Example.org", "name": "Kim Lee", "org": "Example Org"},
        "answers": {"topic": ["SDR hiring", "Tooling"]},
        "custom_fields": {"webinar": "March"},
    }
    mapping = {"contact.mail": "email", "contact.name": "full_name", "contact.org": "company_name"}

    result = map_submission("generic", payload, mapping)

    lead = result.lead
    assert lead is not None
    assert lead["email"] == "kim@example.org"
    assert (lead["first_name"], lead["last_name"]) == ("Kim", "Lee")
    assert lead["company_name"] == "Example Org"
    assert lead["custom_fields"]["answers_topic"] == "SDR hiring, Tooling"
    assert lead["custom_fields"]["webinar"] == "March"
    assert lead["custom_fields"]["form_id"] == "webinar-2024"


def test_generic_payload_defaults_by_key_name() -> None:
    result = map_submission("generic", {"email": "a@b.co", "first_name": "A", "company": "B"})

    assert result.lead == {"email": "a@b.co", "first_name": "A", "company_name": "B"}


def test_generic_payload_without_email_is_rejected() -> None:
    result = map_submission("generic", {"first_name": "A"})

    assert result.lead is None and result.rejected_reason is not None


def test_unknown_provider_and_non_object_payload_are_rejected_not_raised() -> None:
    assert map_submission("jotform", {"email": "a@b.co"}).rejected_reason is not None
    assert map_submission("generic", ["a@b.co"]).rejected_reason is not None  # type: ignore[arg-type]


def test_long_custom_values_are_cut_and_noted() -> None:
    result = map_submission("generic", {"email": "a@b.co", "message": "x" * 5000})

    assert result.lead is not None
    assert len(result.lead["custom_fields"]["message"]) == 1000
    assert result.notes


def test_non_linkedin_url_mapped_to_linkedin_is_kept_as_custom() -> None:
    result = map_submission("generic", {"email": "a@b.co", "linkedin": "https://example.com/me"})

    assert result.lead is not None
    assert "linkedin_profile" not in result.lead
    assert result.lead["custom_fields"]["linkedin"] == "https://example.com/me"


# --- Form spec --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form_id", "expected"),
    [("lT4Z3j", "101"), ("other-form", "999"), (None, "999")],
)
def test_form_spec_uses_the_form_campaign_or_the_default(
    form_id: str | None, expected: str
) -> None:
    params = FormNurtureParams(
        forms={"lT4Z3j": FormSpec(campaign_id="101", field_mapping={"phone": "ignore"})},
        default_campaign_id="999",
    )

    spec = form_spec(params, form_id)

    assert spec is not None and spec.campaign_id == expected


def test_form_spec_is_none_without_form_or_default_campaign() -> None:
    assert form_spec(FormNurtureParams(), "lT4Z3j") is None
