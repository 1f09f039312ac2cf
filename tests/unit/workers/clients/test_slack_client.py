"""SlackClient against scripted answers (no sockets): success only on 200 "ok", each error code
to its class, Block Kit alerts within limits, and the webhook URL kept out of every text."""

from __future__ import annotations

import json

import httpx
import pytest

from ops.sandbox.slack import validate_payload
from workers.clients.errors import PermanentError, RateLimited, TransientError
from workers.clients.slack import (
    MAX_BLOCKS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_SECTION_TEXT,
    DestinationBroken,
    SlackClient,
    build_alert_messages,
)

URL = "https://hooks.slack.test/services/T0UNIT/B0UNIT/unitSecretPart0123456789"


def client(handler) -> SlackClient:
    return SlackClient(URL, timeout=2, transport=httpx.MockTransport(handler))


def test_post_sends_text_and_blocks_and_succeeds_on_200_ok() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, text="ok")

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    client(handler).post("fallback", blocks)
    assert seen == [{"text": "fallback", "blocks": blocks}]


def test_post_refuses_an_empty_text_fallback() -> None:
    with pytest.raises(ValueError):
        client(lambda r: httpx.Response(200, text="ok")).post("", [{"type": "divider"}])


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, "invalid_payload", PermanentError),
        (400, "no_text", PermanentError),
        (400, "invalid_blocks", PermanentError),
        (403, "action_prohibited", DestinationBroken),
        (404, "channel_not_found", DestinationBroken),
        (404, "no_service", DestinationBroken),
        (410, "channel_is_archived", DestinationBroken),
        (500, "rollup_error", TransientError),
        (200, "not ok at all", PermanentError),
    ],
)
def test_each_slack_answer_maps_to_its_error_class(status: int, body: str, cls: type) -> None:
    with pytest.raises(cls) as info:
        client(lambda r: httpx.Response(status, text=body)).post("x")
    assert type(info.value) is cls
    assert body in info.value.message
    assert info.value.retryable is (cls is TransientError)


def test_429_is_rate_limited_with_retry_after() -> None:
    answer = httpx.Response(429, text="rate_limited", headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as info:
        client(lambda r: answer).post("x")
    assert info.value.retry_after == 7.0


def _within_limits(message: dict) -> None:
    blocks = message["blocks"]
    assert message["text"] and len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT
            assert len(block.get("fields", [])) <= MAX_FIELDS
            assert all(len(f["text"]) <= MAX_FIELD_TEXT for f in block.get("fields", []))
    assert validate_payload(message) is None  # the sandbox's (Slack's) checker agrees


def test_200_line_alert_is_split_into_ordered_parts_within_limits() -> None:
    lines = [f"inbox{i:03d}@agency.io reputation 71% (was 98%)" for i in range(200)]
    messages = build_alert_messages(
        "Low mailbox reputation " + "x" * 300,
        lines,
        context={"account": "acme", "campaign": "Q3 <launch>"},
    )
    assert len(messages) == 4
    for number, message in enumerate(messages, start=1):
        _within_limits(message)
        assert message["blocks"][0]["text"]["text"].endswith(f"({number}/4)")
    body = "\n".join(b["text"]["text"] for m in messages for b in m["blocks"][1:] if "text" in b)
    assert [ln for ln in lines if ln not in body] == []
    assert body.index("inbox000@") < body.index("inbox199@")
    assert messages[0]["blocks"][1]["fields"][1]["text"] == "*campaign*\nQ3 &lt;launch&gt;"


def test_long_alert_is_summarised_past_max_messages() -> None:
    lines = [f"line {i}" for i in range(1000)]
    messages = build_alert_messages("Alert", lines, max_messages=2, lines_per_message=50)
    assert len(messages) == 2
    last_text = messages[-1]["blocks"][-1]["text"]["text"]
    assert last_text.endswith("_… and 901 more_")
    assert "line 98" in last_text and "line 99" not in last_text


def test_single_message_summary_and_huge_lines_stay_within_limits() -> None:
    lines = ["&" * 5000, *[f"l{i}" for i in range(300)]]
    messages = build_alert_messages(
        "A" * 1000, lines, max_messages=1, context={f"k{i}": "v" * 3000 for i in range(15)}
    )
    assert len(messages) == 1
    _within_limits(messages[0])
    fields = messages[0]["blocks"][1]["fields"]
    assert fields[-1]["text"] == "*…*\n6 more"


def test_post_alert_waits_out_a_short_429_and_sends_parts_in_order() -> None:
    sent: list[str] = []
    answers = iter(
        [
            httpx.Response(200, text="ok"),
            httpx.Response(429, text="rate_limited", headers={"Retry-After": "0.05"}),
            httpx.Response(200, text="ok"),
            httpx.Response(200, text="ok"),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer.status_code == 200:
            sent.append(json.loads(request.content)["blocks"][0]["text"]["text"])
        return answer

    count = client(handler).post_alert("Alert", [f"l{i}" for i in range(120)])
    assert count == 3
    assert sent == ["Alert (1/3)", "Alert (2/3)", "Alert (3/3)"]


def test_webhook_url_stays_out_of_repr_and_errors() -> None:
    c = client(lambda r: httpx.Response(404, text=f"no_service for {URL}"))
    assert "unitSecretPart" not in repr(c)
    with pytest.raises(DestinationBroken) as info:
        c.post("x")
    for text in (str(info.value), repr(info.value)):
        assert "unitSecretPart" not in text and "T0UNIT/B0UNIT" not in text


def test_a_non_http_webhook_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as info:
        SlackClient("T0/B0/secretish-value")
    assert "secretish" not in str(info.value)


def _sec(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"text": "ok"}, None),
        ({"blocks": [_sec("only blocks")]}, None),
        ({}, "no_text"),
        ({"text": ""}, "no_text"),
        ([], "invalid_payload"),
        ({"text": "x", "blocks": [_sec("s")] * 51}, "invalid_blocks"),
        ({"text": "x", "blocks": [_sec("s" * 3001)]}, "invalid_blocks"),
        (
            {
                "text": "x",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            },
            "invalid_blocks",
        ),
        (
            {
                "text": "x",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            },
            "invalid_blocks",
        ),
        (
            {"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
            "invalid_blocks",
        ),
        ({"text": "x", "blocks": [{"type": "mystery"}]}, "invalid_blocks"),
    ],
)
def test_sandbox_payload_validation_matches_slack_limits(
    payload: object, problem: str | None
) -> None:
    assert validate_payload(payload) == problem
