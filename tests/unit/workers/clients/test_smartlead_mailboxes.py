"""Smartlead client, mailboxes block (automation 7), without sockets: the client_id filter on
the paged listing, a listing row with a malformed warm-up, warm-up stats, the limit update."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.unit.workers.clients.test_smartlead_client import client_for


def test_listing_passes_client_id_on_every_page() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        n = 100 if int(request.url.params["offset"]) == 0 else 3
        return httpx.Response(200, json=[{"id": i, "client_id": 7} for i in range(n)])

    assert len(client_for(handler).list_email_accounts(client_id=7)) == 103
    assert [(p["offset"], p["limit"], p["client_id"]) for p in seen] == [
        ("0", "100", "7"),
        ("100", "100", "7"),
    ]


def test_a_row_with_an_empty_warmup_does_not_break_the_listing() -> None:
    rows = [
        {"id": 1, "warmup_details": ""},
        {"id": 2, "warmup_details": {}},
        {"id": 3, "warmup_details": {"warmup_reputation": "0%", "is_warmup_blocked": True}},
    ]
    boxes = client_for(lambda r: httpx.Response(200, json=rows)).list_email_accounts()
    assert [b.warmup_details is None for b in boxes] == [True, True, False]
    assert boxes[2].reputation == 0.0 and boxes[2].warmup_details.is_warmup_blocked is True


def test_warmup_stats_and_update_call_the_documented_paths() -> None:
    calls: list[tuple[str, str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        calls.append((request.method, request.url.path, body))
        if request.method == "GET":
            return httpx.Response(
                200,
                json={
                    "id": 5,
                    "sent_count": "70",
                    "spam_count": "7",
                    "stats_by_date": [{"date": "2026-12-01", "sent_count": "10"}],
                },
            )
        return httpx.Response(200, json={"ok": True, "message": "updated"})

    client = client_for(handler)
    stats = client.get_warmup_stats(5)
    assert (stats.sent_count, stats.spam_count, stats.stats_by_date[0].sent_count) == (70, 7, 10)
    assert client.update_email_account(5, {"max_email_per_day": 0})["ok"] is True
    assert calls == [
        ("GET", "/api/v1/email-accounts/5/warmup-stats", None),
        ("POST", "/api/v1/email-accounts/5", {"max_email_per_day": 0}),
    ]
    with pytest.raises(ValueError, match="at least one field"):
        client.update_email_account(5, {})
