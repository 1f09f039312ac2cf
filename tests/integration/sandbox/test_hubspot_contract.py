"""HubSpotClient against the HubSpot sandbox over loopback HTTP: every method, what the sandbox
stored and what the client returned, each error class, forward-only lifecycle stages."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import httpx
import pytest

from ops.sandbox.hubspot import create_app
from ops.sandbox.serve import serve
from workers.clients.errors import (
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
    Unauthorized,
)
from workers.clients.hubspot import Conflict, HubSpotClient, forget_known_properties

pytestmark = pytest.mark.integration

TOKEN = "pat-na1-contract-token-5f1c2a9e7d"


class RecordingGate:
    def __init__(self) -> None:
        self.events: list[tuple[str, int | None]] = []

    def acquire(self) -> None:
        self.events.append(("acquire", None))

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        self.events.append(("observe", status_code))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(create_app(seed=7)) as url:
        yield url


@pytest.fixture
def admin(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5) as c:
        c.post("/admin/reset").raise_for_status()
        c.post("/admin/tokens", json={"token": TOKEN}).raise_for_status()
        forget_known_properties()
        yield c


@pytest.fixture
def gate() -> RecordingGate:
    return RecordingGate()


@pytest.fixture
def hubspot(base_url: str, admin: httpx.Client, gate: RecordingGate) -> Iterator[HubSpotClient]:
    c = HubSpotClient(TOKEN, base_url=base_url, gate=gate, timeout=5)
    yield c
    c.close()


def stored(admin: httpx.Client, email: str) -> dict:
    contacts = admin.get("/admin/contacts", params={"email": email}).json()["contacts"]
    assert len(contacts) == 1, contacts
    return contacts[0]["properties"]


def test_get_contact_by_email_returns_the_requested_properties_or_none(
    hubspot: HubSpotClient, admin: httpx.Client, gate: RecordingGate
) -> None:
    seeded = admin.post(
        "/admin/contacts",
        json={
            "properties": {"email": "Jane.Doe+x@Acme.io", "firstname": "Jane", "company": "Acme"}
        },
    ).json()
    found = hubspot.get_contact_by_email("jane.doe+x@acme.io", ["firstname", "company", "phone"])
    assert found is not None and found["id"] == seeded["id"]
    assert found["properties"] == {"firstname": "Jane", "company": "Acme", "phone": None}
    assert hubspot.get_contact_by_email("nobody@acme.io") is None
    assert gate.events == [("acquire", None), ("observe", 200), ("acquire", None), ("observe", 404)]
    paths = [r["path"] for r in admin.get("/admin/requests").json()["requests"]]
    assert paths == [
        "/crm/v3/objects/contacts/jane.doe+x@acme.io",
        "/crm/v3/objects/contacts/nobody@acme.io",
    ]


def test_create_contact_stores_it_and_a_duplicate_email_is_a_conflict(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    created = hubspot.create_contact({"email": "new@acme.io", "firstname": "New"})
    assert created["properties"]["email"] == "new@acme.io"
    assert stored(admin, "new@acme.io")["firstname"] == "New"
    with pytest.raises(Conflict) as info:
        hubspot.create_contact({"email": "NEW@acme.io"})
    assert info.value.existing_id == created["id"]
    assert len(admin.get("/admin/contacts").json()["contacts"]) == 1


def test_update_contact_patches_only_the_given_properties(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    cid = hubspot.create_contact({"email": "u@acme.io", "firstname": "U", "city": "Oslo"})["id"]
    updated = hubspot.update_contact(cid, {"city": "Bergen", "jobtitle": "CTO"})
    assert updated["id"] == cid and updated["properties"]["city"] == "Bergen"
    props = stored(admin, "u@acme.io")
    assert (props["firstname"], props["city"], props["jobtitle"]) == ("U", "Bergen", "CTO")
    with pytest.raises(NotFound):
        hubspot.update_contact("999999", {"city": "X"})


def test_writing_an_undefined_property_is_a_permanent_error_and_stores_nothing(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    with pytest.raises(PermanentError) as info:
        hubspot.create_contact({"email": "p@acme.io", "leadops_reply_text": "hi"})
    assert "PROPERTY_DOESNT_EXIST" in info.value.message and not info.value.retryable
    assert info.value.status_code == 400
    assert admin.get("/admin/contacts").json()["contacts"] == []


def test_ensure_property_creates_it_once_then_it_can_be_written(
    hubspot: HubSpotClient, admin: httpx.Client, base_url: str
) -> None:
    assert hubspot.ensure_property("leadops_reply_text", "Last reply", field_type="textarea")
    assert not hubspot.ensure_property("leadops_reply_text", "Last reply")  # process cache
    again = HubSpotClient(TOKEN, base_url=base_url)
    assert not again.ensure_property("leadops_reply_text", "Last reply")  # shared per process
    forget_known_properties()
    assert not again.ensure_property("leadops_reply_text", "Last reply")  # 409 = exists
    posts = [
        r
        for r in admin.get("/admin/requests").json()["requests"]
        if r["path"] == "/crm/v3/properties/contacts"
    ]
    assert [r["status"] for r in posts] == [201, 409]
    assert posts[0]["body"]["fieldType"] == "textarea"
    hubspot.create_contact({"email": "r@acme.io", "leadops_reply_text": "Interested!"})
    assert stored(admin, "r@acme.io")["leadops_reply_text"] == "Interested!"


def test_lifecycle_stage_only_moves_forward_and_customer_stays_customer(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    stages = hubspot.lifecycle_stage_options()
    assert stages == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    ]
    cid = hubspot.create_contact({"email": "l@acme.io", "lifecyclestage": "lead"})["id"]
    hubspot.update_contact(cid, {"lifecyclestage": "customer"})
    answer = hubspot.update_contact(cid, {"lifecyclestage": "lead", "firstname": "L"})
    assert answer["properties"]["lifecyclestage"] == "customer"
    hubspot.batch_upsert([{"email": "l@acme.io", "lifecyclestage": "subscriber"}])
    props = stored(admin, "l@acme.io")
    assert (props["lifecyclestage"], props["firstname"]) == ("customer", "L")


def test_lifecycle_options_follow_a_customised_portal(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    admin.post("/admin/lifecyclestages", json={"values": ["lead", "trial", "customer"]})
    assert hubspot.lifecycle_stage_options() == ["lead", "trial", "customer"]


def test_batch_upsert_creates_and_updates_in_chunks_of_100(
    hubspot: HubSpotClient, admin: httpx.Client, gate: RecordingGate
) -> None:
    admin.post(
        "/admin/contacts",
        json={"email": "u0@acme.io", "firstname": "Old", "lifecyclestage": "opportunity"},
    )
    inputs = [
        {"email": f"u{i}@acme.io", "firstname": f"U{i}", "lifecyclestage": "lead"}
        for i in range(150)
    ]
    results = hubspot.batch_upsert(inputs)
    assert len(results) == 150
    assert [r["new"] for r in results[:2]] == [False, True]
    requests = [r for r in admin.get("/admin/requests").json()["requests"]]
    assert [len(r["body"]["inputs"]) for r in requests] == [100, 50]
    assert gate.events.count(("acquire", None)) == 2
    assert len(admin.get("/admin/contacts").json()["contacts"]) == 150
    first = stored(admin, "u0@acme.io")
    assert (first["firstname"], first["lifecyclestage"]) == ("U0", "opportunity")
    assert stored(admin, "u149@acme.io")["firstname"] == "U149"


def test_rolling_limit_gives_rate_limited_with_policy_and_ten_seconds(
    hubspot: HubSpotClient, admin: httpx.Client, gate: RecordingGate
) -> None:
    admin.post("/admin/tokens", json={"token": TOKEN, "limit": 3, "window_seconds": 10})
    for _ in range(3):
        assert hubspot.get_contact_by_email("x@acme.io") is None
    with pytest.raises(RateLimited) as info:
        hubspot.get_contact_by_email("x@acme.io")
    assert info.value.retry_after == 10.0
    assert "TEN_SECONDLY_ROLLING" in info.value.message
    assert gate.events[-1] == ("observe", 429)


def test_rolling_window_admits_again_once_old_requests_age_out(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    admin.post("/admin/tokens", json={"token": TOKEN, "limit": 2, "window_seconds": 0.3})
    hubspot.lifecycle_stage_options()
    hubspot.lifecycle_stage_options()
    with pytest.raises(RateLimited):
        hubspot.lifecycle_stage_options()
    time.sleep(0.35)
    assert hubspot.lifecycle_stage_options()[0] == "subscriber"


def test_daily_cap_gives_rate_limited_daily(hubspot: HubSpotClient, admin: httpx.Client) -> None:
    admin.post("/admin/tokens", json={"token": TOKEN, "daily_limit": 1})
    hubspot.lifecycle_stage_options()
    with pytest.raises(RateLimited) as info:
        hubspot.lifecycle_stage_options()
    assert "DAILY" in info.value.message and info.value.retry_after == 3600.0


def test_injected_faults_map_to_transient_permanent_and_rate_limited(
    hubspot: HubSpotClient, admin: httpx.Client
) -> None:
    admin.post("/admin/faults", json={"token": TOKEN, "status": 500, "count": 1})
    with pytest.raises(TransientError):
        hubspot.create_contact({"email": "f@acme.io"})
    assert hubspot.create_contact({"email": "f@acme.io"})["id"]  # the fault was used up
    admin.post("/admin/faults", json={"status": 400, "count": 1})
    with pytest.raises(PermanentError) as info:
        hubspot.get_contact_by_email("f@acme.io")
    assert type(info.value) is PermanentError and "VALIDATION_ERROR" in info.value.message
    admin.post("/admin/faults", json={"token": TOKEN, "storm_seconds": 30})
    with pytest.raises(RateLimited):
        hubspot.get_contact_by_email("f@acme.io")
    admin.post("/admin/faults", json={"token": TOKEN, "error_rate": 1.0, "status": 503})
    with pytest.raises(TransientError):
        hubspot.get_contact_by_email("f@acme.io")


def test_slow_answer_times_out_as_transient(admin: httpx.Client, base_url: str) -> None:
    admin.post("/admin/faults", json={"latency_ms": 1500})
    slow = HubSpotClient(TOKEN, base_url=base_url, timeout=0.3)
    with pytest.raises(TransientError) as info:
        slow.get_contact_by_email("t@acme.io")
    assert "timeout" in info.value.message


def test_unknown_token_is_unauthorized(admin: httpx.Client, base_url: str) -> None:
    with pytest.raises(Unauthorized) as info:
        HubSpotClient("pat-na1-not-registered-000", base_url=base_url).get_contact_by_email(
            "a@acme.io"
        )
    assert info.value.status_code == 401 and "INVALID_AUTHENTICATION" in info.value.message


def test_admin_requests_never_record_the_token(hubspot: HubSpotClient, admin: httpx.Client) -> None:
    hubspot.create_contact({"email": "s@acme.io"})
    text = admin.get("/admin/requests").text
    assert TOKEN not in text and '"token_id"' in text
    mine = admin.get("/admin/requests", params={"token": TOKEN}).json()["requests"]
    assert len(mine) == 1 and mine[0]["status"] == 201
