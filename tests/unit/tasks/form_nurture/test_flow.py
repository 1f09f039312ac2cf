"""Automation 5 flow with a fake intake: the campaign a submission goes to, and the audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tasks.form_nurture.flow import handle_submission, intake_event_id

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "forms"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Accepted:
    status: str = "buffered"
    reason: str = ""
    campaign_id: str | None = None


class FakeIntake:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.answer = Accepted()

    def __call__(self, campaign_id: str, lead: dict[str, Any], event_id: str) -> Accepted:
        self.calls.append((campaign_id, lead, event_id))
        return self.answer


def make_account(*, enabled: bool = True, dry_run: bool = False, **params: Any) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = Account(slug="acme", name="Acme")
        s.add(account)
        s.flush()
        set_automation(s, account, "form_nurture", enabled=enabled, dry_run=dry_run, params=params)
        return account.id


def audit_rows(account_id: int | None = None) -> list[Any]:
    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        return list(
            s.scalars(
                select(AuditLog).where(AuditLog.automation == "form_nurture").order_by(AuditLog.id)
            )
        )


@pytest.fixture
def intake(db_url: str) -> FakeIntake:
    return FakeIntake()


def test_typeform_submission_goes_to_the_form_campaign_with_its_mapping(intake) -> None:
    acc = make_account(
        forms={"lT4Z3j": {"campaign_id": "501", "field_mapping": {"company_site": "website"}}},
        default_campaign_id="999",
    )

    result = handle_submission(
        acc, "tf-ev-1", "typeform", "lT4Z3j", load("typeform_demo_request"), submit=intake
    )

    assert result["outcome"] == "done" and result["reason"] == "buffered"
    [(campaign, lead, event_id)] = intake.calls
    assert (campaign, event_id) == ("501", "tf-ev-1")
    assert lead["website"] == "https://acme-robotics.io"
    [row] = audit_rows()
    assert (row.outcome, row.reason, row.subject) == (
        "done",
        "buffered",
        "laura.diaz@acme-robotics.io",
    )
    assert row.details["mapping"] == "form" and "website" in row.details["lead_fields"]
    assert "Laura" not in json.dumps(row.details)  # answers stay out of the audit log


def test_unknown_form_uses_the_default_campaign_and_form_id_from_the_payload(intake) -> None:
    acc = make_account(default_campaign_id="999")

    result = handle_submission(acc, "t-1", "tally", None, load("tally_contact_form"), submit=intake)

    assert result["campaign_id"] == "999"
    assert audit_rows()[0].details["form_id"] == "wAbN9x"


def test_submission_without_email_is_rejected_and_not_uploaded(intake) -> None:
    acc = make_account(default_campaign_id="999")

    result = handle_submission(acc, "t-2", "tally", "wAbN9x", load("tally_no_email"), submit=intake)

    assert result["outcome"] == "skipped" and result["reason"].startswith("missing_email")
    assert intake.calls == []
    assert audit_rows()[0].reason.startswith("missing_email")


def test_dry_run_maps_and_audits_but_does_not_enqueue(intake) -> None:
    acc = make_account(dry_run=True, default_campaign_id="999")

    result = handle_submission(
        acc, "t-3", "typeform", "lT4Z3j", load("typeform_demo_request"), submit=intake
    )

    assert (result["outcome"], result["reason"]) == ("dry_run", "dry_run")
    assert intake.calls == []


def test_no_campaign_disabled_and_unknown_account_are_audited(intake) -> None:
    acc = make_account()
    assert handle_submission(
        acc, "a", "typeform", "lT4Z3j", load("typeform_demo_request"), submit=intake
    )["reason"].startswith("no_campaign")
    off = make_account_disabled()
    assert (
        handle_submission(
            off, "b", "typeform", "lT4Z3j", load("typeform_demo_request"), submit=intake
        )["reason"]
        == "disabled"
    )
    assert (
        handle_submission(
            4242, "c", "typeform", "lT4Z3j", load("typeform_demo_request"), submit=intake
        )["reason"]
        == "no_account"
    )
    assert intake.calls == []
    assert [r.reason.split(":")[0] for r in audit_rows()] == [
        "no_campaign",
        "disabled",
        "no_account",
    ]


def make_account_disabled() -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = Account(slug="off", name="Off")
        s.add(account)
        s.flush()
        set_automation(
            s, account, "form_nurture", enabled=False, params={"default_campaign_id": "1"}
        )
        return account.id


def test_intake_duplicate_is_recorded_as_skipped(intake) -> None:
    acc = make_account(default_campaign_id="999")
    intake.answer = Accepted("duplicate", "already added in campaign 999")

    result = handle_submission(acc, "t-4", "generic", "f", {"email": "a@b.co"}, submit=intake)

    assert result["outcome"] == "skipped"
    assert result["reason"] == "duplicate: already added in campaign 999"


def test_long_event_ids_are_shortened_for_the_outcome_table() -> None:
    assert intake_event_id("x" * 64) == "x" * 64
    assert len(intake_event_id("x" * 200)) <= 64
