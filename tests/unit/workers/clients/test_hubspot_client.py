"""HubSpotClient against scripted answers (no sockets): request shapes, error mapping, chunking,
the per-process property cache, and the token kept out of every message."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import httpx
import pytest

from workers.clients.errors import (
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
    Unauthorized,
)
from workers.clients.hubspot import (
    BatchErrors,
    Conflict,
    HubSpotClient,
    ObjectNotFound,
    forget_known_properties,
)

TOKEN = "pat-na1-unit-token-0123456789abcdef"
Handler = Callable[[httpx.Request], httpx.Response]


class RecordingGate:
    def __init__(self) -> None:
        self.events: list[tuple[str, int | None]] = []

    def acquire(self) -> None:
        self.events.append(("acquire", None))

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        self.events.append(("observe", status_code))


@pytest.fixture(autouse=True)
def _fresh_property_cache() -> None:
    forget_known_properties()


def client(
    handler: Handler, gate: RecordingGate | None = None, token: str = TOKEN
) -> HubSpotClient:
    return HubSpotClient(
        token,
        base_url="http://hubspot.test",
        gate=gate,
        timeout=2,
        transport=httpx.MockTransport(handler),
    )


def error(status: int, message: str, category: str, **extra: object) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "status": "error",
            "message": message,
            "correlationId": "c-1",
            "category": category,
            **extra,
        },
    )


def test_get_by_email_sends_bearer_token_id_property_and_properties() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "101", "properties": {"email": "a+b@x.io"}})

    gate = RecordingGate()
    found = client(handler, gate).get_contact_by_email("a+b@x.io", ["email", "lifecyclestage"])
    assert found == {"id": "101", "properties": {"email": "a+b@x.io"}}
    req = seen[0]
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.url.path == "/crm/v3/objects/contacts/a+b@x.io"
    assert req.url.params["idProperty"] == "email"
    assert req.url.params["properties"] == "email,lifecyclestage"
    assert gate.events == [("acquire", None), ("observe", 200)]


def test_unknown_email_is_none_but_a_404_without_object_not_found_raises() -> None:
    answers = iter(
        [
            error(404, "Object not found.", "OBJECT_NOT_FOUND"),
            httpx.Response(404, text="<html>Not Found</html>"),
        ]
    )
    c = client(lambda r: next(answers))
    assert c.get_contact_by_email("nobody@x.io") is None
    with pytest.raises(NotFound) as info:
        c.get_contact_by_email("nobody@x.io")
    assert not isinstance(info.value, ObjectNotFound)


def test_update_of_a_missing_contact_raises_not_found() -> None:
    c = client(lambda r: error(404, "Object not found.", "OBJECT_NOT_FOUND"))
    with pytest.raises(NotFound) as info:
        c.update_contact("999", {"firstname": "A"})
    assert info.value.status_code == 404 and "OBJECT_NOT_FOUND" in info.value.message


@pytest.mark.parametrize(
    ("policy", "retry_after_header", "expected"),
    [
        ("TEN_SECONDLY_ROLLING", None, 10.0),
        ("DAILY", None, 3600.0),
        ("TEN_SECONDLY_ROLLING", "3", 3.0),
    ],
)
def test_429_maps_to_rate_limited_with_policy_and_retry_after(
    policy: str, retry_after_header: str | None, expected: float
) -> None:
    headers = {"Retry-After": retry_after_header} if retry_after_header else {}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429,
            headers=headers,
            json={
                "status": "error",
                "message": "You have reached your limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "c",
                "policyName": policy,
            },
        )

    gate = RecordingGate()
    with pytest.raises(RateLimited) as info:
        client(handler, gate).create_contact({"email": "a@x.io"})
    assert info.value.retry_after == expected
    assert policy in info.value.message and info.value.retryable
    assert gate.events[-1] == ("observe", 429)


@pytest.mark.parametrize(
    ("response", "cls", "retryable"),
    [
        (error(500, "internal", "INTERNAL_ERROR"), TransientError, True),
        (error(502, "bad gateway", "ERROR"), TransientError, True),
        (error(400, 'Property "x" does not exist', "VALIDATION_ERROR"), PermanentError, False),
        (
            error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION"),
            Unauthorized,
            False,
        ),
        (error(403, "missing scopes", "MISSING_SCOPES"), Unauthorized, False),
    ],
)
def test_error_statuses_map_to_the_shared_hierarchy_with_hubspot_message(
    response: httpx.Response, cls: type, retryable: bool
) -> None:
    with pytest.raises(cls) as info:
        client(lambda r: response).update_contact("1", {"firstname": "A"})
    assert info.value.retryable is retryable
    assert response.json()["message"] in info.value.message
    assert response.json()["category"] in info.value.message


def test_duplicate_create_raises_conflict_with_the_existing_id() -> None:
    c = client(lambda r: error(409, "Contact already exists. Existing ID: 4242", "CONFLICT"))
    with pytest.raises(Conflict) as info:
        c.create_contact({"email": "dup@x.io"})
    assert info.value.existing_id == "4242" and not info.value.retryable


def test_batch_upsert_chunks_by_100_merges_duplicates_and_keeps_order() -> None:
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        return httpx.Response(
            200,
            json={
                "status": "COMPLETE",
                "results": [
                    {"id": str(i), "properties": {"email": item["id"]}, "new": True}
                    for i, item in enumerate(body["inputs"])
                ],
            },
        )

    inputs = [{"email": f"u{i}@x.io", "firstname": f"U{i}"} for i in range(250)]
    inputs.append({"id": "U0@X.io", "idProperty": "email", "properties": {"lastname": "Zero"}})
    results = client(handler).batch_upsert(inputs)
    assert [len(b["inputs"]) for b in bodies] == [100, 100, 50]
    assert len(results) == 250
    first = bodies[0]["inputs"][0]
    assert first == {
        "id": "u0@x.io",
        "idProperty": "email",
        "properties": {"firstname": "U0", "lastname": "Zero"},
    }
    assert [r["properties"]["email"] for r in results][:2] == ["u0@x.io", "u1@x.io"]


def test_batch_upsert_multi_status_raises_with_the_successful_results() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            207,
            json={
                "status": "COMPLETE",
                "results": [{"id": "1"}],
                "errors": [{"message": "bad value", "status": "error"}],
            },
        )

    with pytest.raises(BatchErrors) as info:
        client(handler).batch_upsert([{"email": "a@x.io"}, {"email": "b@x.io"}])
    assert info.value.results == [{"id": "1"}] and "bad value" in info.value.message


def test_batch_upsert_refuses_an_input_without_email() -> None:
    with pytest.raises(ValueError):
        client(lambda r: httpx.Response(200)).batch_upsert([{"firstname": "A"}])


def test_ensure_property_creates_once_then_trusts_the_process_cache() -> None:
    calls: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        return httpx.Response(201, json=calls[-1])

    c = client(handler)
    assert c.ensure_property("leadops_reply", "LeadOps reply") is True
    assert c.ensure_property("leadops_reply", "LeadOps reply") is False
    assert calls == [
        {
            "name": "leadops_reply",
            "label": "LeadOps reply",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        }
    ]
    # Another portal (token) does not share the cache.
    assert (
        client(handler, token="pat-na1-other-token-987654").ensure_property(
            "leadops_reply", "LeadOps reply"
        )
        is True
    )
    assert len(calls) == 2


def test_ensure_property_treats_409_as_existing() -> None:
    c = client(lambda r: error(409, "Property named 'x' already exists.", "OBJECT_ALREADY_EXISTS"))
    assert c.ensure_property("x_prop", "X") is False


def test_lifecycle_stage_options_follow_display_order() -> None:
    options = [
        {"value": "customer", "displayOrder": 2},
        {"value": "lead", "displayOrder": 0},
        {"value": "opportunity", "displayOrder": 1},
    ]
    c = client(lambda r: httpx.Response(200, json={"name": "lifecyclestage", "options": options}))
    assert c.lifecycle_stage_options() == ["lead", "opportunity", "customer"]


def test_token_stays_out_of_repr_and_every_error_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # A server that echoes the credential back must not leak it either.
        return error(400, f"bad header Bearer {TOKEN} ({TOKEN})", "VALIDATION_ERROR")

    c = client(handler)
    assert TOKEN not in repr(c)
    with pytest.raises(PermanentError) as info:
        c.create_contact({"email": "a@x.io"})
    for text in (str(info.value), repr(info.value), info.value.message):
        assert TOKEN not in text and "***" in text


def test_empty_token_is_refused() -> None:
    with pytest.raises(ValueError):
        HubSpotClient("  ", base_url="http://hubspot.test")
