"""SlackClient against the Slack webhook sandbox over loopback HTTP: delivery, each error code,
the per-webhook rate limit, and a 200-inbox alert split into ordered parts within Block Kit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ops.sandbox.serve import serve
from ops.sandbox.slack import create_app
from workers.clients.errors import PermanentError, RateLimited, TransientError
from workers.clients.slack import DestinationBroken, SlackClient

pytestmark = pytest.mark.integration

HOOK = "T0CONTRACT/B0CONTRACT/contractSecret0123456789"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(create_app()) as url:
        yield url


@pytest.fixture
def admin(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5) as c:
        c.post("/admin/reset").raise_for_status()
        yield c


@pytest.fixture
def slack(base_url: str, admin: httpx.Client) -> Iterator[SlackClient]:
    c = SlackClient(f"{base_url}/services/{HOOK}", timeout=5)
    yield c
    c.close()


def messages(admin: httpx.Client, path: str = HOOK) -> list[dict]:
    return admin.get("/admin/messages", params={"path": path}).json()["messages"]


def test_post_delivers_text_and_blocks(slack: SlackClient, admin: httpx.Client) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Reply* from jane"}}]
    slack.post("Reply from jane", blocks)
    slack.post("plain")
    got = messages(admin)
    assert [(m["text"], m["blocks"]) for m in got] == [("Reply from jane", blocks), ("plain", None)]
    assert messages(admin, "T0/B0/other-webhook-path") == []


def test_invalid_blocks_are_a_permanent_error_and_nothing_is_delivered(
    slack: SlackClient, admin: httpx.Client
) -> None:
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    with pytest.raises(PermanentError) as info:
        slack.post("x", too_long)
    assert type(info.value) is PermanentError and "invalid_blocks" in info.value.message
    assert info.value.status_code == 400 and not info.value.retryable
    assert messages(admin) == []


def test_sandbox_refuses_a_payload_without_text_or_blocks(
    base_url: str, admin: httpx.Client
) -> None:
    answer = admin.post(f"/services/{HOOK}", json={"text": ""})
    assert (answer.status_code, answer.text) == (400, "no_text")
    answer = admin.post(f"/services/{HOOK}", content=b"{not json")
    assert (answer.status_code, answer.text) == (400, "invalid_payload")


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (403, "action_prohibited", DestinationBroken),
        (404, "channel_not_found", DestinationBroken),
        (410, "channel_is_archived", DestinationBroken),
        (500, "rollup_error", TransientError),
        (400, "invalid_payload", PermanentError),
    ],
)
def test_injected_slack_errors_map_to_their_classes(
    slack: SlackClient, admin: httpx.Client, status: int, body: str, cls: type
) -> None:
    admin.post("/admin/faults", json={"path": HOOK, "status": status, "count": 1})
    with pytest.raises(cls) as info:
        slack.post("x")
    assert type(info.value) is cls and body in info.value.message
    slack.post("after the fault")
    assert [m["text"] for m in messages(admin)] == ["after the fault"]


def test_archived_or_unknown_webhook_is_destination_broken(
    slack: SlackClient, admin: httpx.Client, base_url: str
) -> None:
    admin.post("/admin/webhooks", json={"path": HOOK, "state": "archived"})
    with pytest.raises(DestinationBroken) as info:
        slack.post("x")
    assert info.value.status_code == 410
    stranger = SlackClient(f"{base_url}/services/T9/B9/unregisteredPath000")
    with pytest.raises(DestinationBroken) as info:
        stranger.post("x")
    assert "no_service" in info.value.message


def test_burst_of_three_then_rate_limited_with_retry_after(
    slack: SlackClient, admin: httpx.Client
) -> None:
    for i in range(3):
        slack.post(f"m{i}")
    with pytest.raises(RateLimited) as info:
        slack.post("m3")
    assert 0 < info.value.retry_after <= 1.0
    assert [m["text"] for m in messages(admin)] == ["m0", "m1", "m2"]


def test_200_inbox_alert_arrives_as_ordered_parts_within_block_kit_limits(
    slack: SlackClient, admin: httpx.Client
) -> None:
    lines = [f"inbox{i:03d}@agency.io reputation {60 + i % 30}%" for i in range(200)]
    sent = slack.post_alert(
        "Mailbox reputation below 80% for 200 inboxes",
        lines,
        context={"account": "acme", "threshold": "80%"},
    )
    got = messages(admin)
    assert sent == len(got) == 4  # the 4th part waited out the sandbox's 429 (burst of 3)
    headers = [m["blocks"][0]["text"]["text"] for m in got]
    assert headers == [f"Mailbox reputation below 80% for 200 inboxes ({n}/4)" for n in range(1, 5)]
    text = "\n".join(
        b["text"]["text"]
        for m in got
        for b in m["blocks"]
        if b["type"] == "section" and "text" in b
    )
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions)
    assert got[0]["blocks"][1]["fields"][0]["text"] == "*account*\nacme"
    refused = admin.get("/admin/messages").json()["refused"]
    assert [r["status"] for r in refused] == [429]
