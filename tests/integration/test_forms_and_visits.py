"""Automations 5 and 10 end to end: signed webhooks into the real gateway, real worker processes,
real Redis, the Smartlead sandbox over loopback. Typeform and Tally submissions land mapped in
the nurture campaign; visits add known, not-replied leads to the warm campaign once per cooldown,
match company visits by email domain, and change nothing in dry run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.intake_env import wait_for

pytestmark = pytest.mark.integration

API_KEY = "sl-forms-visits-key"
SECRETS = {
    "typeform": "tf-secret-1",
    "tally": "tally-secret-1",
    "rb2b": "rb2b-secret-1",
    "visitor": "visitor-secret-1",
}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"


@dataclass
class Env:
    sandbox: str
    gateway: str
    account_id: int
    outbound: str
    nurture: str
    warm: str

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.sandbox}/admin{path}", timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def stored(self, campaign: str) -> dict[str, dict[str, Any]]:
        return {
            lead["email"]: lead
            for lead in self.admin("GET", f"/campaigns/{campaign}/leads")["leads"]
        }

    def requests_made(self) -> int:
        keys = self.admin("GET", "/stats")["keys"]
        stats = next(iter(keys.values())) if keys else {}
        return sum(int(n) for n in stats.get("requests_by_status", {}).values())

    def post(self, path: str, body: bytes, **headers: str) -> httpx.Response:
        return httpx.post(
            f"{self.gateway}/v1/acme{path}",
            content=body,
            timeout=10,
            headers={"content-type": "application/json", **headers},
        )


def _fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def _b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def audit(event_id: str, automation: str) -> list[Any]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        return list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.event_id == event_id, AuditLog.automation == automation)
                .order_by(AuditLog.id)
            )
        )


def set_dry_run(account_id: int, automation: str, dry_run: bool) -> None:
    from workers.accounts import automation_config, get_account, set_automation
    from workers.db import session_scope

    with session_scope() as s:
        account = get_account(s, account_id)
        assert account is not None
        params = automation_config(account, automation).params
        set_automation(s, account, automation, dry_run=dry_run, params=params)


@pytest.fixture
def env(redis_url: str, db_url: str) -> Iterator[Env]:
    from api_gateway.app import create_app as create_gateway
    from ops.sandbox.serve import serve
    from ops.sandbox.smartlead import create_app as create_sandbox
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.intake import dispatch as intake
    from workers.models import Account

    intake.reset_caches()
    with serve(create_sandbox()) as sandbox, serve(create_gateway()) as gateway:
        httpx.post(
            f"{sandbox}/admin/keys",
            json={"api_key": API_KEY, "limits": [[1000, 1]], "max_leads_per_request": 100},
        ).raise_for_status()
        ids = [
            httpx.post(
                f"{sandbox}/admin/campaigns", json={"api_key": API_KEY, "name": name}
            ).json()["id"]
            for name in ("Outbound", "Nurture", "Warm follow-up")
        ]
        outbound, nurture, warm = (str(i) for i in ids)
        with session_scope() as s:
            account = Account(
                slug="acme",
                name="Acme",
                smartlead_api_key=API_KEY,
                smartlead_base_url=f"{sandbox}/api/v1",
                rate_limit_plan="custom",
                rate_limits=[[1000, 1]],
                webhook_secrets=dict(SECRETS),
            )
            s.add(account)
            s.flush()
            set_automation(
                s,
                account,
                "clay_intake",
                params={
                    "chunk_size": 100,
                    "max_delay_seconds": 0.5,
                    "default_campaign_id": outbound,
                },
            )
            set_automation(
                s,
                account,
                "form_nurture",
                params={
                    "default_campaign_id": nurture,
                    "forms": {
                        "lT4Z3j": {
                            "campaign_id": nurture,
                            "field_mapping": {
                                "company_site": "website",
                                "01HR6YQ2M9ZP3B8K4W6X7Y5T2N": "custom:team_size",
                                "phone": "ignore",
                            },
                        },
                        "wAbN9x": {
                            "campaign_id": nurture,
                            "field_mapping": {"question_mRXl0b": "custom:channels"},
                        },
                    },
                },
            )
            set_automation(
                s,
                account,
                "visit_followup",
                params={"campaign_id": warm, "page_contains": ["/pricing"], "cooldown_days": 14},
            )
            account_id = account.id
        yield Env(sandbox, gateway, account_id, outbound, nurture, warm)


@pytest.fixture
def worker(env: Env, tmp_path: Path) -> Iterator[Any]:
    w = start_worker(tmp_path, concurrency=2)
    yield w
    stop_process(w.proc)


def test_typeform_and_tally_submissions_land_mapped_in_the_nurture_campaign(env, worker) -> None:
    # Given signed Typeform and Tally webhooks, and a Tally submission without an email
    typeform = _fixture("typeform_demo_request")
    r = env.post(
        "/forms/typeform",
        typeform,
        **{"Typeform-Signature": "sha256=" + _b64_hmac(SECRETS["typeform"], typeform)},
    )
    assert r.status_code == 202, r.text
    tally = _fixture("tally_contact_form")
    r = env.post("/forms/tally", tally, **{"Tally-Signature": _b64_hmac(SECRETS["tally"], tally)})
    assert r.status_code == 202, r.text
    no_email = _fixture("tally_no_email")
    r = env.post(
        "/forms/tally", no_email, **{"Tally-Signature": _b64_hmac(SECRETS["tally"], no_email)}
    )
    assert r.status_code == 202, r.text
    rejected_event = r.json()["event_id"]

    # Then both leads are stored in the nurture campaign, mapped by ref / key
    stored = wait_for(lambda: (lambda s: s if len(s) >= 2 else None)(env.stored(env.nurture)), 20)
    laura = stored["laura.diaz@acme-robotics.io"]
    assert (laura["first_name"], laura["last_name"]) == ("Laura", "Díaz")
    assert laura["company_name"] == "Acme Robotics"
    assert laura["website"] == "https://acme-robotics.io"
    assert not laura.get("phone_number")  # mapped to "ignore"
    assert laura["custom_fields"]["team_size"] == "11-50"
    assert laura["custom_fields"]["utm_source"] == "linkedin"  # hidden field
    omar = stored["omar@northwind-labs.com"]
    assert (omar["first_name"], omar["company_name"]) == ("Omar", "Northwind Labs")
    assert omar["linkedin_profile"] == "https://www.linkedin.com/in/omar-haddad"
    assert omar["custom_fields"]["channels"] == "Cold email, Cold calling"  # ids -> labels
    assert omar["custom_fields"]["team_size"] == "11-50"
    assert omar["custom_fields"]["utm_source"] == "newsletter"
    assert set(stored) == {"laura.diaz@acme-robotics.io", "omar@northwind-labs.com"}
    # And the submission without an email is rejected with its reason, and audited
    [row] = wait_for(lambda: audit(rejected_event, "form_nurture"), 10)
    assert (row.outcome, row.reason.split(":")[0]) == ("skipped", "missing_email")
    assert set(env.admin("GET", f"/campaigns/{env.nurture}/leads")["upload_counts"].values()) == {1}


def _seed_outbound(env: Env) -> None:
    from workers.celery_app import app

    for i, email in enumerate(
        ["ann@initech.io", "bob@initech.io", "cat@globex.io", "dan@globex.io"]
    ):
        app.send_task(
            "tasks.lead_intake.accept_lead",
            kwargs={
                "account_id": env.account_id,
                "campaign_id": env.outbound,
                "source": "clay",
                "event_id": f"seed-{i}",
                "lead": {
                    "email": email,
                    "first_name": email[:3].title(),
                    "company_name": email.split("@")[1],
                },
            },
        )
    wait_for(lambda: len(env.stored(env.outbound)) == 4, 20)


def _rb2b(env: Env, email: str, url: str, seen_at: str) -> str:
    body = json.dumps(
        {
            "LinkedIn URL": f"https://www.linkedin.com/in/{email.split('@')[0]}",
            "First Name": email[:3].title(),
            "Business Email": email,
            "Website": email.split("@")[1],
            "Seen At": seen_at,
            "Captured URL": url,
            "Tags": "Hot Lead",
        }
    ).encode()
    r = env.post(f"/visitors/rb2b?secret={SECRETS['rb2b']}", body)
    assert r.status_code == 200 and r.json()["accepted"] is True, r.text
    return str(r.json()["event_id"])


def _reasons(event_id: str, decisions: int = 1) -> dict[str | None, str]:
    """The event's decisions by lead, once ``decisions`` of them are recorded (a company visit
    records one row per lead, each in its own transaction)."""

    def recorded() -> list[Any] | None:
        rows = audit(event_id, "visit_followup")
        return rows if len(rows) >= decisions else None

    rows = wait_for(recorded, 20) or audit(event_id, "visit_followup")
    return {row.subject: row.reason for row in rows}


def test_visit_follow_up_rules_end_to_end(env, worker) -> None:
    # Given four leads LeadOps uploaded to the outbound campaign, one of whom (bob) replied
    _seed_outbound(env)
    env.admin(
        "POST",
        "/simulate/reply",
        json={"campaign_id": int(env.outbound), "email": "bob@initech.io"},
    )
    pricing = "https://acme.example/pricing?plan=team"

    # When ann (not replied) visits the pricing page: added with trigger and visit_date
    ev = _rb2b(env, "ann@initech.io", pricing, "2025-03-10T09:15:00.000Z")
    assert _reasons(ev) == {"ann@initech.io": "added"}
    warm = env.stored(env.warm)  # added synchronously: stored before the decision is audited
    assert warm["ann@initech.io"]["custom_fields"]["trigger"] == "pricing_page_visit"
    assert warm["ann@initech.io"]["custom_fields"]["visit_date"] == "2025-03-10"

    # bob replied (only the campaign's reply statistics show it): not added
    assert _reasons(_rb2b(env, "bob@initech.io", pricing, "2025-03-10T09:16:00Z")) == {
        "bob@initech.io": "replied"
    }
    # ann again, within the cooldown: not added twice
    assert _reasons(_rb2b(env, "ann@initech.io", pricing, "2025-03-11T10:00:00Z")) == {
        "ann@initech.io": "cooldown"
    }
    # an unknown visitor, and a page that does not match the rule
    assert _reasons(_rb2b(env, "zed@nowhere.io", pricing, "2025-03-10T09:17:00Z")) == {
        "zed@nowhere.io": "unknown_lead"
    }
    assert _reasons(
        _rb2b(env, "dan@globex.io", "https://acme.example/blog/x", "2025-03-10T09:18:00Z")
    ) == {"dan@globex.io": "not_a_matching_page"}

    # A company-level visit (domain only) adds the company's uploaded leads
    body = json.dumps(
        {
            "context": {
                "segment_name": "High intent",
                "trigger": "page_view",
                "timestamp": "2025-03-10T09:20:00Z",
            },
            "company": {
                "domain": "globex.io",
                "name": "Globex",
                "events": {
                    "page_views": [
                        {
                            "host": "acme.example",
                            "path": "/pricing",
                            "timestamp": "2025-03-10T09:20:00Z",
                        }
                    ]
                },
            },
        }
    ).encode()
    r = env.post("/visitors/company", body, Authorization=f"Bearer {SECRETS['visitor']}")
    assert r.status_code == 202, r.text
    company_event = r.json()["event_id"] if "event_id" in r.json() else r.json()["event_ids"][0]
    assert _reasons(company_event, decisions=2) == {
        "cat@globex.io": "added",
        "dan@globex.io": "added",
    }
    warm = wait_for(lambda: (lambda w: w if len(w) == 3 else None)(env.stored(env.warm)), 20)
    assert set(warm) == {"ann@initech.io", "cat@globex.io", "dan@globex.io"}
    assert set(env.admin("GET", f"/campaigns/{env.warm}/leads")["upload_counts"].values()) == {1}
    assert warm["ann@initech.io"]["first_name"] == "Ann"  # lead fields kept from Smartlead
    assert _warm_outcomes(env) == {
        "ann@initech.io": ("added", "visit"),
        "cat@globex.io": ("added", "visit"),
        "dan@globex.io": ("added", "visit"),
    }


def _warm_outcomes(env: Env) -> dict[str, tuple[str, str]]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        rows = s.scalars(
            select(LeadOutcome).where(
                LeadOutcome.account_id == env.account_id, LeadOutcome.campaign_id == env.warm
            )
        )
        return {r.email: (r.status, r.source) for r in rows}


def test_dry_run_records_the_decision_and_calls_no_smartlead(env, worker) -> None:
    # Given a lead LeadOps uploaded, and the automation in dry-run mode
    _seed_outbound(env)
    set_dry_run(env.account_id, "visit_followup", True)
    before = env.requests_made()

    # When the lead visits the pricing page
    ev = _rb2b(env, "ann@initech.io", "https://acme.example/pricing", "2025-03-10T09:15:00Z")

    # Then the decision is audited as a dry run, and Smartlead was not called at all
    [row] = wait_for(lambda: audit(ev, "visit_followup"), 20)
    assert (row.outcome, row.reason, row.subject) == ("dry_run", "dry_run", "ann@initech.io")
    assert env.requests_made() == before
    assert env.stored(env.warm) == {}
