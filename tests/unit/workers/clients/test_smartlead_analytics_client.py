"""Smartlead client, analytics family (automation 4), without sockets: paths, query strings,
the time zone the -by-sent-time variants need, wrapped answers, success: false."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from workers.clients.errors import PermanentError
from workers.clients.smartlead import SmartleadClient

KEY = "sl-unit-key-analytics-0123456789"


def recording_client(answer: object, status: int = 200) -> tuple[SmartleadClient, list]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=answer)

    client = SmartleadClient(
        KEY, base_url="http://sl.test/api/v1", timeout=2, transport=httpx.MockTransport(handler)
    )
    return client, seen


WRAPPED = {
    "success": True,
    "message": "success",
    "data": {
        "day_wise_stats": [
            {
                "date": "20 Apr",
                "day_name": "Monday",
                "email_engagement_metrics": {"sent": "40", "replied": "2", "reply_rate": "5%"},
            }
        ]
    },
}


def test_day_wise_overall_sends_one_campaign_window_and_zone_and_reads_the_wrapped_rows() -> None:
    client, seen = recording_client(WRAPPED)
    stats = client.get_day_wise_overall_stats(
        dt.date(2026, 4, 1), "2026-04-30", campaign_ids=[123], timezone="Europe/Paris"
    )
    (req,) = seen
    assert req.url.path == "/api/v1/analytics/day-wise-overall-stats"
    q = dict(req.url.params)
    assert q == {
        "api_key": KEY,
        "start_date": "2026-04-01",
        "end_date": "2026-04-30",
        "campaign_ids": "123",
        "timezone": "Europe/Paris",
    }
    (row,) = stats.day_wise_stats
    assert (row.date, row.day_name) == ("20 Apr", "Monday")
    assert row.email_engagement_metrics.sent == 40 and row.email_engagement_metrics.replied == 2
    assert row.email_engagement_metrics.reply_rate == 5.0


def test_by_sent_time_variants_use_their_path_and_refuse_to_go_without_a_timezone() -> None:
    client, seen = recording_client(WRAPPED)
    with pytest.raises(ValueError, match="timezone"):
        client.get_day_wise_overall_stats("2026-04-01", "2026-04-02", by_sent_time=True)
    assert seen == []  # refused before any request
    client.get_day_wise_overall_stats(
        "2026-04-01", "2026-04-02", campaign_ids=[1, "2"], timezone="UTC", by_sent_time=True
    )
    client.get_day_wise_positive_reply_stats(
        "2026-04-01", "2026-04-02", client_ids=[9], timezone="UTC", by_sent_time=True
    )
    client.get_day_wise_positive_reply_stats("2026-04-01", "2026-04-02")
    assert [r.url.path.rsplit("/", 1)[1] for r in seen] == [
        "day-wise-overall-stats-by-sent-time",
        "day-wise-positive-reply-stats-by-sent-time",
        "day-wise-positive-reply-stats",
    ]
    assert seen[0].url.params["campaign_ids"] == "1,2"
    assert seen[1].url.params["client_ids"] == "9"
    assert "timezone" not in seen[2].url.params and "campaign_ids" not in seen[2].url.params


def test_success_false_is_a_permanent_error_with_the_server_message() -> None:
    client, _ = recording_client({"success": False, "message": "Invalid date range"})
    with pytest.raises(PermanentError, match="Invalid date range"):
        client.get_day_wise_overall_stats("2026-04-01", "2026-04-02")


def test_a_refused_window_is_a_permanent_error_naming_the_reason() -> None:
    client, _ = recording_client(
        {"success": False, "message": "Date range cannot be more than 30 days"}, status=400
    )
    with pytest.raises(PermanentError, match="30 days"):
        client.get_day_wise_positive_reply_stats("2026-03-01", "2026-04-30")


def test_top_level_analytics_by_date_reads_strings_bare_or_wrapped() -> None:
    bare = {"id": 5, "status": "ACTIVE", "sent_count": "100", "positive_reply_count": "4"}
    for answer in (bare, {"success": True, "message": "", "data": bare}):
        client, seen = recording_client(answer)
        top = client.get_top_level_analytics_by_date(5, "2026-04-01", dt.date(2026, 4, 30))
        assert (top.id, top.sent_count, top.positive_reply_count) == (5, 100, 4)
        assert seen[0].url.path == "/api/v1/campaigns/5/top-level-analytics-by-date"
        assert seen[0].url.params["end_date"] == "2026-04-30"
