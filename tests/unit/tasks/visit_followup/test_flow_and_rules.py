"""Automation 10 (visit follow-up) rules and flow with fakes: who is added, who is not, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tasks.visit_followup import rules
from tasks.visit_followup.flow import AddOutcome, Visit, handle_visit

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
PRICING = "https://acme-saas.io/pricing?plan=pro"


# --- pure rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme-saas.io/pricing", True),
        ("https://acme-saas.io/en/Pricing/teams?x=1", True),
        ("/pricing", True),
        ("acme-saas.io/pricing", True),
        ("https://acme-saas.io/blog?ref=/pricing", False),
        ("https://acme-saas.io/", False),
        ("", False),
    ],
)
def test_page_matches_the_path_not_the_query(url: str, expected: bool) -> None:
    assert rules.page_matches(url, ["/pricing"]) is expected


def test_page_rule_with_a_host_matches_the_whole_url() -> None:
    assert rules.page_matches("https://app.acme.io/billing", ["app.acme.io/billing"])
    assert not rules.page_matches("https://www.acme.io/billing", ["app.acme.io/billing"])


def test_trigger_and_visit_date_custom_fields() -> None:
    assert rules.trigger_for(["/pricing"], PRICING) == "pricing_page_visit"
    assert rules.trigger_for(["/demo", "/pricing"], "/pricing/teams") == "pricing_page_visit"
    assert rules.visit_date("2025-03-09T23:10:00Z", NOW) == "2025-03-09"
    assert rules.visit_date("not a date at all", NOW) == "2025-03-10"  # lenient: falls back
    assert rules.visit_date(None, NOW) == "2025-03-10"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme.io", "acme.io"),
        ("https://www.acme.io/pricing", "acme.io"),
        ("acme", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_domain(raw: str | None, expected: str | None) -> None:
    assert rules.normalize_domain(raw) == expected


@pytest.mark.parametrize(
    ("entry", "basis"),
    [
        ({"campaign_id": 1, "lead_status": "INPROGRESS", "lead_category_id": None}, None),
        ({"campaign_id": 1, "lead_status": "COMPLETED"}, None),
        ({"campaign_id": 1, "lead_status": "STOPPED"}, "status_stopped"),
        ({"campaign_id": 1, "lead_status": "INPROGRESS", "lead_category_id": 3}, "lead_category"),
        ({"campaign_id": 1, "reply_count": "2"}, "reply_count"),
        ({"campaign_id": 1, "reply_time": "2025-03-01T10:00:00Z"}, "reply_time"),
    ],
)
def test_reply_is_read_from_evidence_never_from_a_not_replied_status(
    entry: dict[str, Any], basis: str | None
) -> None:
    assert rules.entry_reply_basis(entry) == basis


def test_cooldown_window() -> None:
    assert rules.in_cooldown(NOW - dt.timedelta(days=13), NOW, 14)
    assert not rules.in_cooldown(NOW - dt.timedelta(days=15), NOW, 14)
    assert not rules.in_cooldown(NOW - dt.timedelta(days=1), NOW, 0)
    assert rules.in_cooldown((NOW - dt.timedelta(days=1)).replace(tzinfo=None), NOW, 14)


# --- flow with fakes --------------------------------------------------------------------------


class FakeSmartlead:
    """Stands in for SmartleadVisitApi: lead-by-email answers and the adds it was asked for."""

    def __init__(self) -> None:
        self.leads: dict[str, dict[str, Any]] = {}
        self.lookups: list[str] = []
        self.added: list[tuple[str, dict[str, Any], str]] = []
        self.add_status = "added"
        self.built = 0

    def seed(self, email: str, *entries: dict[str, Any], **fields: Any) -> None:
        self.leads[email] = {"email": email, "lead_campaign_data": list(entries), **fields}

    def factory(self) -> FakeSmartlead:
        self.built += 1
        return self

    def lookup(self, email: str) -> dict[str, Any] | None:
        self.lookups.append(email)
        return self.leads.get(email)

    def add(self, campaign_id: str, lead: dict[str, Any], event_id: str) -> AddOutcome:
        self.added.append((campaign_id, lead, event_id))
        return AddOutcome(self.add_status)


def make_account(*, dry_run: bool = False, enabled: bool = True, **params: Any) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = Account(slug="acme", name="Acme")
        s.add(account)
        s.flush()
        set_automation(
            s,
            account,
            "visit_followup",
            enabled=enabled,
            dry_run=dry_run,
            params={"campaign_id": "900", **params},
        )
        return account.id


def add_outcome(
    account_id: int,
    email: str,
    campaign_id: str = "100",
    *,
    replied: bool = False,
    status: str = "added",
) -> None:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        s.add(
            LeadOutcome(
                account_id=account_id,
                campaign_id=campaign_id,
                email=email,
                source="clay",
                status=status,
                replied=replied,
            )
        )


def audit_rows(account_id: int) -> list[Any]:
    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        return list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.account_id == account_id, AuditLog.automation == "visit_followup")
                .order_by(AuditLog.id)
            )
        )


@pytest.fixture
def env(db_url: str, fake_redis: Any) -> dict[str, Any]:
    sl = FakeSmartlead()

    def run(
        account_id: int,
        event_id: str = "ev-1",
        *,
        email: str | None = "ann@acme.io",
        domain: str | None = None,
        page_url: str = PRICING,
        now: dt.datetime = NOW,
    ) -> list[dict[str, Any]]:
        source = "rb2b" if email else "company"
        visit = Visit(account_id, event_id, source, email, domain, page_url, "2025-03-10T11:58:00Z")
        return handle_visit(visit, api=sl.factory, redis=fake_redis, now=now)

    return {"sl": sl, "run": run}


INPROGRESS = {"campaign_id": 100, "lead_status": "INPROGRESS", "lead_category_id": None}


def test_known_lead_without_reply_is_added_with_trigger_and_visit_date(env) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io")
    env["sl"].seed(
        "ann@acme.io",
        INPROGRESS,
        first_name="Ann",
        company_name="Acme",
        custom_fields={"industry": "SaaS"},
    )

    [result] = env["run"](acc)

    assert result == {"email": "ann@acme.io", "reason": "added", "outcome": "done"}
    [(campaign, lead, event_key)] = env["sl"].added
    assert campaign == "900"
    assert lead["email"] == "ann@acme.io" and lead["first_name"] == "Ann"
    assert lead["custom_fields"] == {
        "industry": "SaaS",
        "trigger": "pricing_page_visit",
        "visit_date": "2025-03-10",
    }
    assert event_key.startswith("visit:") and len(event_key) <= 64
    [row] = audit_rows(acc)
    assert (row.reason, row.outcome, row.subject) == ("added", "done", "ann@acme.io")
    assert row.details["lead_campaigns"] == ["100"]


def test_lead_known_only_to_smartlead_is_added(env) -> None:
    acc = make_account()
    env["sl"].seed("ann@acme.io", INPROGRESS)

    [result] = env["run"](acc)

    assert result["reason"] == "added"
    assert audit_rows(acc)[0].details["basis"] == "smartlead"


def test_replied_lead_in_own_records_is_not_added_and_smartlead_is_not_asked(env) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io", replied=True)

    [result] = env["run"](acc)

    assert result["reason"] == "replied"
    assert env["sl"].built == 0 and not env["sl"].added


@pytest.mark.parametrize(
    "entry",
    [
        {"campaign_id": 100, "lead_status": "STOPPED"},
        {"campaign_id": 100, "lead_status": "INPROGRESS", "lead_category_id": 5},
    ],
)
def test_lead_replied_in_smartlead_is_not_added(env, entry: dict[str, Any]) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io")
    env["sl"].seed("ann@acme.io", INPROGRESS, entry | {"campaign_id": 101})

    [result] = env["run"](acc)

    assert result["reason"] == "replied"
    assert not env["sl"].added
    assert audit_rows(acc)[0].details["basis"].startswith("smartlead:")


def test_unknown_lead_is_not_added(env) -> None:
    acc = make_account()

    [result] = env["run"](acc)

    assert result == {"email": "ann@acme.io", "reason": "unknown_lead", "outcome": "skipped"}
    assert env["sl"].lookups == ["ann@acme.io"] and not env["sl"].added


def test_other_pages_are_not_a_match_and_nothing_is_looked_up(env) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io")

    [result] = env["run"](acc, page_url="https://acme-saas.io/blog/cold-email-tips")

    assert result["reason"] == "not_a_matching_page"
    assert env["sl"].built == 0


def test_account_page_rule_is_honoured(env) -> None:
    acc = make_account(page_contains=["/demo"])
    add_outcome(acc, "ann@acme.io")
    env["sl"].seed("ann@acme.io", INPROGRESS)

    assert env["run"](acc, "e1")[0]["reason"] == "not_a_matching_page"
    assert env["run"](acc, "e2", page_url="https://acme-saas.io/demo")[0]["reason"] == "added"
    assert env["sl"].added[0][1]["custom_fields"]["trigger"] == "demo_page_visit"


def test_cooldown_adds_a_lead_at_most_once_per_window(env) -> None:
    acc = make_account(cooldown_days=14)
    add_outcome(acc, "ann@acme.io")
    env["sl"].seed("ann@acme.io", INPROGRESS)

    first = env["run"](acc, "e1")
    second = env["run"](acc, "e2", now=NOW + dt.timedelta(days=13))
    third = env["run"](acc, "e3", now=NOW + dt.timedelta(days=15))

    assert [first[0]["reason"], second[0]["reason"], third[0]["reason"]] == [
        "added",
        "cooldown",
        "added",
    ]
    assert len(env["sl"].added) == 2


def test_a_redelivered_event_does_nothing_again(env) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io")
    env["sl"].seed("ann@acme.io", INPROGRESS)

    first = env["run"](acc, "e1")
    again = env["run"](acc, "e1")

    assert first == again
    assert len(env["sl"].added) == 1 and len(audit_rows(acc)) == 1


def test_dry_run_records_the_decision_without_calling_smartlead(env) -> None:
    acc = make_account(dry_run=True)
    add_outcome(acc, "ann@acme.io")
    add_outcome(acc, "bob@acme.io", replied=True)

    [ann] = env["run"](acc, "e1")
    [bob] = env["run"](acc, "e2", email="bob@acme.io")
    [cat] = env["run"](acc, "e3", email="cat@acme.io")

    assert (ann["reason"], ann["outcome"]) == ("dry_run", "dry_run")
    assert bob["reason"] == "replied"
    assert cat["reason"] == "unknown_lead"
    assert env["sl"].built == 0 and not env["sl"].added
    from workers.db import session_scope
    from workers.models import VisitFollowup

    with session_scope() as s:
        assert s.scalars(select(VisitFollowup)).all() == []  # a dry run starts no cooldown


def test_company_visit_matches_uploaded_leads_by_email_domain(env) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io")
    add_outcome(acc, "bob@acme.io", "101")
    add_outcome(acc, "cat@acme.io", replied=True)
    add_outcome(acc, "dan@acme.io", status="invalid_email")
    add_outcome(acc, "eve@notacme.io")
    add_outcome(acc, "fay@sub.acme.io")
    env["sl"].seed("ann@acme.io", INPROGRESS)
    env["sl"].seed("bob@acme.io", {"campaign_id": 101, "lead_status": "COMPLETED"})

    results = env["run"](acc, email=None, domain="www.ACME.io")

    assert {r["email"]: r["reason"] for r in results} == {
        "ann@acme.io": "added",
        "bob@acme.io": "added",
        "cat@acme.io": "replied",
    }
    assert sorted(lead["email"] for _, lead, _ in env["sl"].added) == ["ann@acme.io", "bob@acme.io"]
    assert env["sl"].built == 1  # one client for the whole company


def test_company_visit_without_known_leads_or_from_a_mail_provider(env) -> None:
    acc = make_account()
    add_outcome(acc, "joe@gmail.com")

    [unknown] = env["run"](acc, "e1", email=None, domain="globex.com")
    [freemail] = env["run"](acc, "e2", email=None, domain="gmail.com")

    assert unknown["reason"] == freemail["reason"] == "unknown_lead"
    assert not env["sl"].added


def test_disabled_or_unconfigured_automation_does_nothing(env, db_url) -> None:
    acc = make_account(enabled=False)
    add_outcome(acc, "ann@acme.io")

    assert env["run"](acc)[0]["reason"] == "disabled"
    assert env["run"](12345, "e9")[0]["reason"] == "not_configured"
    assert env["sl"].built == 0


def test_lead_already_in_the_warm_campaign_is_reported(env) -> None:
    acc = make_account()
    add_outcome(acc, "ann@acme.io")
    env["sl"].seed("ann@acme.io", INPROGRESS)
    env["sl"].add_status = "already_in_campaign"

    [result] = env["run"](acc)

    assert result["reason"] == "already_in_followup"


def test_busy_lead_lock_defers_the_task(env, fake_redis) -> None:
    import hashlib

    from workers.clients.errors import RateLimitDeferred

    acc = make_account()
    add_outcome(acc, "ann@acme.io")
    digest = hashlib.sha256(b"ann@acme.io").hexdigest()[:24]
    held = fake_redis.lock(f"leadops:lock:visit_followup:{acc}:{digest}", timeout=60)
    assert held.acquire()
    import tasks.visit_followup.flow as vf

    vf.LOCK_WAIT, saved = 0.1, vf.LOCK_WAIT
    try:
        with pytest.raises(RateLimitDeferred):
            env["run"](acc)
    finally:
        vf.LOCK_WAIT = saved
