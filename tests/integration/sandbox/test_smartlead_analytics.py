"""Contract: the sandbox's analytics family answers as smartlead-api.md says the real one does
(wrapped payload, counts as strings, "20 Apr" or ISO days, rows summed across the filter,
timezone required on -by-sent-time, windows over 30 days refused), read by the real client over
loopback; seeding and correcting days through the admin API."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, OTHER_KEY, Sandbox
from workers.clients.errors import PermanentError

pytestmark = pytest.mark.integration

DAYS = [
    {"date": "2025-12-31", "sent": 10, "replied": 1, "replied_by_sent": 2, "positive_replied": 1},
    {"date": "2026-01-01", "sent": 20, "opened": 5, "bounced": 1, "unsubscribed": 2},
]


def campaign(sb: Sandbox, key: str = KEY, **body: object) -> int:
    return int(sb.post("/admin/campaigns", {"api_key": key, "name": "c", **body})["id"])


def raw(sb: Sandbox, path: str, key: str = KEY, headers: dict | None = None, **params: str):
    return sb.admin.get(f"/api/v1{path}", params={"api_key": key, **params}, headers=headers)


def test_day_wise_answer_is_wrapped_with_string_counts_and_yearless_days(sandbox: Sandbox) -> None:
    cid = campaign(sandbox, status="ACTIVE")
    sandbox.post("/admin/analytics/days", {"campaign_id": cid, "days": DAYS})
    resp = raw(
        sandbox,
        "/analytics/day-wise-overall-stats",
        start_date="2025-12-30",
        end_date="2026-01-01",
        campaign_ids=str(cid),
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] is True and set(body) == {"success", "message", "data"}
    rows = body["data"]["day_wise_stats"]
    assert [(r["date"], r["day_name"]) for r in rows] == [
        ("30 Dec", "Tuesday"),
        ("31 Dec", "Wednesday"),
        ("1 Jan", "Thursday"),
    ]
    jan = rows[2]["email_engagement_metrics"]
    assert jan["sent"] == "20" and jan["opened"] == "5" and jan["bounced"] == "1"
    assert jan["unsubscribed"] == "2" and jan["bounce_rate"] == "5.00%"
    assert rows[1]["email_engagement_metrics"]["replied"] == "1"  # arrival day


def test_date_form_is_configurable_per_key_and_per_request(sandbox: Sandbox) -> None:
    cid = campaign(sandbox)
    sandbox.post("/admin/analytics/days", {"campaign_id": cid, "days": DAYS})
    q = {"start_date": "2025-12-31", "end_date": "2026-01-01"}
    iso = raw(
        sandbox, "/analytics/day-wise-overall-stats", headers={"X-Sandbox-Date-Format": "iso"}, **q
    )
    assert [r["date"] for r in iso.json()["data"]["day_wise_stats"]] == ["2025-12-31", "2026-01-01"]
    sandbox.post("/admin/analytics/settings", {"api_key": KEY, "date_format": "iso"})
    per_key = raw(sandbox, "/analytics/day-wise-overall-stats", **q)
    assert per_key.json()["data"]["day_wise_stats"][0]["date"] == "2025-12-31"
    back = raw(
        sandbox,
        "/analytics/day-wise-overall-stats",
        headers={"X-Sandbox-Date-Format": "d_mmm"},
        **q,
    )
    assert back.json()["data"]["day_wise_stats"][0]["date"] == "31 Dec"


def test_rows_are_summed_across_the_filter_and_other_keys_never_count(sandbox: Sandbox) -> None:
    sandbox.post("/admin/keys", {"api_key": OTHER_KEY, "limits": [[1000, 1]]})
    a, b = campaign(sandbox, client_id=7), campaign(sandbox, client_id=8)
    foreign = campaign(sandbox, key=OTHER_KEY)
    for cid, sent in ((a, 3), (b, 4), (foreign, 100)):
        sandbox.post(
            "/admin/analytics/days",
            {"campaign_id": cid, "days": [{"date": "2026-04-20", "sent": sent}]},
        )
    client = sandbox.client()

    def sent(**filters: object) -> int:
        stats = client.get_day_wise_overall_stats("2026-04-20", "2026-04-20", **filters)
        return stats.day_wise_stats[0].email_engagement_metrics.sent

    assert sent(campaign_ids=[a]) == 3
    assert sent(campaign_ids=[a, b]) == 7
    assert sent() == 7
    assert sent(client_ids=[8]) == 4
    assert sent(campaign_ids=[foreign]) == 0


def test_by_sent_time_needs_a_timezone_and_counts_replies_on_the_send_day(sandbox: Sandbox) -> None:
    cid = campaign(sandbox)
    sandbox.post("/admin/analytics/days", {"campaign_id": cid, "days": DAYS})
    q = {"start_date": "2025-12-31", "end_date": "2025-12-31", "campaign_ids": str(cid)}
    for path in (
        "/analytics/day-wise-overall-stats-by-sent-time",
        "/analytics/day-wise-positive-reply-stats-by-sent-time",
    ):
        missing = raw(sandbox, path, **q)
        assert missing.status_code == 400 and "timezone" in missing.json()["message"]
        assert raw(sandbox, path, timezone="Mars/Olympus", **q).status_code == 400
    client = sandbox.client()
    by_sent = client.get_day_wise_overall_stats(
        "2025-12-31", "2025-12-31", campaign_ids=[cid], timezone="Europe/Paris", by_sent_time=True
    )
    assert by_sent.day_wise_stats[0].email_engagement_metrics.replied == 2
    positive = client.get_day_wise_positive_reply_stats(
        "2025-12-31", "2025-12-31", campaign_ids=[cid]
    )
    assert positive.day_wise_stats[0].email_engagement_metrics.positive_replied == 1


def test_windows_over_30_days_are_refused(sandbox: Sandbox) -> None:
    client = sandbox.client()
    client.get_day_wise_overall_stats("2026-03-01", "2026-03-30")  # 30 days: fine
    with pytest.raises(PermanentError, match="more than 30 days"):
        client.get_day_wise_overall_stats("2026-03-01", "2026-03-31")
    with pytest.raises(PermanentError, match="start_date"):
        client.get_day_wise_positive_reply_stats("2026-03-02", "2026-03-01")


def test_a_past_day_can_be_corrected_and_lifetime_analytics_follow(sandbox: Sandbox) -> None:
    cid = campaign(sandbox)
    sandbox.post("/admin/analytics/days", {"campaign_id": cid, "days": DAYS})
    fixed = sandbox.post(
        "/admin/analytics/days",
        {"campaign_id": cid, "days": [{"date": "2025-12-31", "replied": 4}]},
    )
    assert fixed["days"]["2025-12-31"] == {
        "sent": 10,
        "opened": 0,
        "replied": 4,
        "replied_by_sent": 2,
        "positive_replied": 1,
        "positive_replied_by_sent": 0,
        "bounced": 0,
        "unsubscribed": 0,
    }
    client = sandbox.client()
    life = client.get_campaign_analytics(cid)
    assert (life.sent_count, life.reply_count, life.bounce_count) == (30, 4, 1)
    top = client.get_top_level_analytics_by_date(cid, "2025-12-31", "2025-12-31")
    assert (top.sent_count, top.reply_count, top.positive_reply_count) == (10, 4, 1)
    # the campaign existed on its first seeded day
    assert client.get_campaign(cid).created_at.startswith("2025-12-31")


def test_bad_seeds_are_refused_whole_with_the_reason(sandbox: Sandbox) -> None:
    cid = campaign(sandbox)
    for days, reason in (
        (
            [{"date": "2026-04-20", "sent": 1}, {"date": "2026-04-21", "sends": 2}],
            "unknown figures",
        ),
        ([{"date": "20 Apr", "sent": 1}], "YYYY-MM-DD"),
        ([{"date": "2026-04-20", "sent": -1}], "whole number"),
        ([{"date": "2026-04-20", "sent": "3"}], "whole number"),
    ):
        resp = sandbox.admin.post("/admin/analytics/days", json={"campaign_id": cid, "days": days})
        assert resp.status_code == 400 and reason in resp.text
    assert sandbox.get("/admin/analytics/days", campaign_id=cid)["days"] == {}
    assert (
        sandbox.admin.post("/admin/analytics/days", json={"campaign_id": 1, "days": []}).status_code
        == 404
    )


def test_calls_are_counted_per_endpoint_and_bare_answers_can_be_chosen(sandbox: Sandbox) -> None:
    cid = campaign(sandbox)
    sandbox.post(
        "/admin/analytics/settings", {"api_key": KEY, "wrapped": False, "omit_zero_days": True}
    )
    sandbox.post(
        "/admin/analytics/days", {"campaign_id": cid, "days": [{"date": "2026-04-20", "sent": 2}]}
    )
    body = raw(
        sandbox, "/analytics/day-wise-overall-stats", start_date="2026-04-19", end_date="2026-04-21"
    ).json()
    assert set(body) == {"day_wise_stats"} and [r["date"] for r in body["day_wise_stats"]] == [
        "20 Apr"
    ]
    client = sandbox.client()
    client.get_day_wise_positive_reply_stats("2026-04-19", "2026-04-21")
    client.get_top_level_analytics_by_date(cid, "2026-04-19", "2026-04-21")
    calls = sandbox.get("/admin/analytics/calls", api_key=KEY)
    assert calls == {
        "calls": {
            "day-wise-overall-stats": 1,
            "day-wise-positive-reply-stats": 1,
            "top-level-analytics-by-date": 1,
        },
        "total": 3,
    }
    assert httpx.get(f"{sandbox.api}/analytics/day-wise-overall-stats").status_code == 401
