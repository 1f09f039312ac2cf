"""The Smartlead side of the visit follow-up, with a fake client: replies found in statistics, the
warm upload's settings, the agency block list, and the LeadOutcome it leaves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tasks.visit_followup.smartlead import WARM_UPLOAD_SETTINGS, SmartleadVisitApi
from workers.clients.smartlead_models import AddLeadsResult, CampaignStatistics, Lead


class FakeClient:
    def __init__(self) -> None:
        self.leads: dict[str, dict[str, Any]] = {}
        self.replied: dict[int, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.answer: dict[str, Any] = {"ok": True, "upload_count": 1, "total_leads": 1}

    def get_lead_by_email(self, email: str) -> Lead | None:
        self.calls.append(("lead", email))
        data = self.leads.get(email)
        return Lead.model_validate(data) if data else None

    def get_campaign_statistics(
        self, campaign_id: int, *, offset: int, limit: int, email_status: str | None = None
    ) -> CampaignStatistics:
        self.calls.append(("stats", (campaign_id, offset, email_status)))
        rows = self.replied.get(campaign_id, [])[offset : offset + limit]
        return CampaignStatistics.model_validate({"total_stats": str(len(rows)), "data": rows})

    def add_leads(
        self, campaign_id: int, leads: list[dict[str, Any]], settings: dict[str, bool] | None = None
    ) -> AddLeadsResult:
        self.calls.append(("add", (campaign_id, leads, settings)))
        return AddLeadsResult.from_answer(self.answer)


def _lead(email: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"id": 1, "email": email, "first_name": "Ann", "lead_campaign_data": list(entries)}


def test_lookup_finds_a_reply_in_the_campaign_statistics_when_the_status_does_not_show_it(
    db_url,
) -> None:
    client = FakeClient()
    client.leads["ann@acme.io"] = _lead(
        "ann@acme.io",
        {"campaign_id": 7, "lead_status": "INPROGRESS"},
        {"campaign_id": 8, "lead_status": "STOPPED"},
    )
    client.replied[7] = [
        {"lead_email": "zoe@x.io", "reply_time": "2025-03-01T09:00:00Z"},
        {"lead_email": "Ann@acme.io", "reply_time": "2025-03-02T09:00:00Z"},
    ]

    data = SmartleadVisitApi(1, client).lookup("ann@acme.io")

    assert data is not None
    entries = {e["campaign_id"]: e for e in data["lead_campaign_data"]}
    assert entries[7]["reply_time"] == "2025-03-02T09:00:00Z"
    # campaign 8 already shows a reply (stopped): its statistics are not read
    assert ("stats", (8, 0, "replied")) not in client.calls


def test_lookup_of_an_unknown_lead_is_none(db_url) -> None:
    assert SmartleadVisitApi(1, FakeClient()).lookup("nobody@x.io") is None


def _account() -> int:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = Account(slug="acme", name="Acme")
        s.add(account)
        s.flush()
        return account.id


def _outcomes(account_id: int) -> list[tuple[str, str, str, str]]:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        return [
            (r.campaign_id, r.email, r.status, r.source)
            for r in s.scalars(select(LeadOutcome).where(LeadOutcome.account_id == account_id))
        ]


def test_add_uploads_with_ignore_duplicates_in_other_campaigns_and_records_the_outcome(
    db_url,
) -> None:
    acc = _account()
    client = FakeClient()

    result = SmartleadVisitApi(acc, client).add("900", {"email": "ann@acme.io"}, "visit:abc")

    assert result.status == "added"
    [(call, (campaign, leads, settings))] = client.calls
    assert call == "add"
    assert (campaign, settings) == (900, WARM_UPLOAD_SETTINGS)
    assert leads == [{"email": "ann@acme.io"}]
    assert _outcomes(acc) == [("900", "ann@acme.io", "added", "visit")]


def test_add_reports_a_lead_smartlead_already_has_in_the_warm_campaign(db_url) -> None:
    acc = _account()
    client = FakeClient()
    client.answer = {
        "ok": True,
        "upload_count": 0,
        "total_leads": 1,
        "already_added_to_campaign": 1,
    }

    result = SmartleadVisitApi(acc, client).add("900", {"email": "ann@acme.io"}, "visit:abc")

    assert result.status == "already_in_campaign"


def test_add_never_uploads_an_address_on_the_agency_block_list(db_url) -> None:
    from workers.db import session_scope
    from workers.models import BlockedAddress

    acc = _account()
    with session_scope() as s:
        s.add(BlockedAddress(value="acme.io", kind="domain", reason="do not contact"))
    client = FakeClient()

    result = SmartleadVisitApi(acc, client).add("900", {"email": "ann@acme.io"}, "visit:abc")

    assert result.status == "blocked" and client.calls == []
    assert _outcomes(acc) == [("900", "ann@acme.io", "blocked", "visit")]
