"""The CRM onboarding webhook: a signed event becomes one START_ONBOARDING task carrying the run
id; a bad signature is 401, a bad field 422 naming it; a repeat is recognised (in-process ASGI,
fakeredis)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import fakeredis
import orjson
import pytest

from api_gateway.accounts_cache import GatewayAccount
from tests.unit.api_gateway.conftest import Harness, SyncASGIClient
from workers import task_names

SECRET = "ob-secret-newco"
NEWCO = GatewayAccount(id=5, slug="newco", secrets={"onboarding": (SECRET,)})
AGENCY = GatewayAccount(id=1, slug="agency", secrets={})
BARE = GatewayAccount(id=6, slug="bare")
ACCOUNTS = {a.slug: a for a in (NEWCO, AGENCY, BARE)}
URL = "/v1/newco/onboarding"
EVENT = {
    "template_account": "agency",
    "template_campaign": "4242",
    "name": "  NewCo - Q3  ",
    "mailboxes": "2001, 2002",
    "start": "true",
    "deal_id": "ignored",
}


@pytest.fixture
def gateway() -> Iterator[Harness]:
    from api_gateway.app import create_app
    from api_gateway.enqueue import Enqueuer
    from workers.settings import get_settings

    settings = get_settings()
    app = create_app(settings, account_loader=ACCOUNTS.get)
    server = fakeredis.FakeServer()
    app.state.gateway.enqueuer = Enqueuer(
        "redis://unused",
        timeout=1.0,
        retention_seconds=settings.dedup_retention_seconds,
        client=fakeredis.FakeAsyncRedis(server=server),
    )
    client = SyncASGIClient(app)
    yield Harness(client, fakeredis.FakeRedis(server=server))
    client.close()


def signed(payload: dict[str, Any], secret: str = SECRET, url: str = URL, gw: Any = None) -> Any:
    raw = orjson.dumps(payload)
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-leadops-signature": f"sha256={digest}"}
    return gw.client.post(url, content=raw, headers=headers)


def test_a_signed_event_is_one_onboarding_task_with_the_run_id(gateway) -> None:
    resp = signed(EVENT, gw=gateway)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["run_id"] == body["event_id"] and body["run_id"].startswith("onboarding-")
    [msg] = gateway.queued("realtime")
    assert msg["task"] == task_names.START_ONBOARDING == "tasks.onboarding.start"
    assert msg["kwargs"] == {
        "account_id": 5,
        "event_id": body["run_id"],
        "template_account_id": 1,
        "template_campaign_id": 4242,
        "name": "NewCo - Q3",
        "mailbox_ids": [2001, 2002],
        "start": True,
        "keep_partial": False,
    }
    assert SECRET not in orjson.dumps(msg["message"]).decode()


def test_a_repeat_is_a_duplicate_with_the_same_run_id(gateway) -> None:
    first = signed({**EVENT, "event_id": "deal-1"}, gw=gateway).json()
    again = signed({**EVENT, "event_id": "deal-1", "start": False}, gw=gateway)
    assert again.status_code == 200
    assert again.json() == {
        "duplicate": True,
        "event_id": first["run_id"],
        "run_id": first["run_id"],
    }
    other = signed({**EVENT, "event_id": "deal-2"}, gw=gateway).json()
    assert other["run_id"] != first["run_id"]
    assert len(gateway.queued("realtime")) == 2
    # without an event id the event is the template + name (case and spaces aside)
    a = signed({**EVENT, "name": "Same Name"}, gw=gateway).json()
    b = signed({**EVENT, "name": "same name "}, gw=gateway)
    assert b.status_code == 200 and b.json()["run_id"] == a["run_id"]


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing X-LeadOps-Signature"),
        ({"x-leadops-signature": "sha256=" + "0" * 64}, "does not match"),
    ],
)
def test_an_unsigned_or_badly_signed_event_is_401(gateway, headers, detail) -> None:
    resp = gateway.client.post(
        URL, content=orjson.dumps(EVENT), headers={"content-type": "application/json", **headers}
    )
    assert resp.status_code == 401 and detail in resp.json()["detail"]
    assert gateway.queued("realtime") == []


def test_an_event_signed_with_another_secret_or_for_an_account_without_one_is_401(gateway) -> None:
    assert signed(EVENT, secret="guess", gw=gateway).status_code == 401
    resp = signed(EVENT, url="/v1/bare/onboarding", gw=gateway)
    assert resp.status_code == 401 and "no onboarding webhook secret" in resp.json()["detail"]
    assert signed(EVENT, url="/v1/nobody/onboarding", gw=gateway).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "name"),
        ({"template_campaign": "abc"}, "template_campaign"),
        ({"template_campaign": 0}, "template_campaign"),
        ({"mailboxes": "1,x"}, "mailboxes"),
        ({"template_account": "nobody"}, "template_account"),
        ({"template_account": None}, "template_account"),
    ],
)
def test_a_bad_field_is_422_naming_it_and_nothing_is_queued(gateway, change, field) -> None:
    resp = signed({**EVENT, **change}, gw=gateway)
    assert resp.status_code == 422, resp.text
    assert field in resp.json()["detail"]
    assert resp.json()["errors"][0]["loc"][0] == field
    assert gateway.queued("realtime") == []
