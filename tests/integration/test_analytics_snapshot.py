"""Analytics snapshot (automation 4, collection) against the Smartlead sandbox over loopback, on
real Redis (shared listings, the limiter, run progress) and the real database: exact figures,
the first-seen backfill and its calls, idempotent re-runs, late corrections, accounts sharing a
key, runs the limiter interrupts, and the API calls per campaign counted by the sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.integration.analytics_env import (
    AnalyticsSandbox,
    analytics_sandbox,
    days_back,
    make_account,
    run_snapshot,
    set_limits,
    stored,
    stored_row_count,
    totals,
)
from workers.clients.errors import RateLimitDeferred

pytestmark = pytest.mark.integration

TODAY = dt.date(2026, 1, 2)  # the local date of the run: it stores 1 January
DAY = TODAY - dt.timedelta(days=1)
KEY = "sl-analytics-key-Zx81Qw"


@pytest.fixture
def sb(redis_url: str) -> Iterator[AnalyticsSandbox]:
    with analytics_sandbox() as s:
        s.key(KEY)
        yield s


@pytest.mark.parametrize("date_format", ["d_mmm", "iso"])
def test_collection_stores_the_exact_seeded_figures_totals_status_and_lead_counts(
    sb: AnalyticsSandbox, any_db_url: str, date_format: str
) -> None:
    from workers.clients.smartlead import SmartleadClient

    # Given an account whose key answers days as "1 Jan" (or ISO), with four campaigns
    sb.settings(KEY, date_format=date_format)
    account = make_account(sb, "acme", KEY)
    active = sb.campaign(KEY, "Active one", "ACTIVE")
    paused = sb.campaign(KEY, "Paused one", "PAUSED")
    drafted = sb.campaign(KEY, "Draft", "DRAFTED")
    stopped = sb.campaign(KEY, "Old", "STOPPED")
    window = days_back(DAY, 30)  # 3 Dec 2025 .. 1 Jan 2026: across New Year
    seeded = {cid: sb.seed(cid, window) for cid in (active, paused, drafted, stopped)}
    client = SmartleadClient(KEY, base_url=sb.api)
    client.add_leads(active, [{"email": f"lead{i}@example.com"} for i in range(5)])
    client.close()

    # When the snapshot runs on 2 January
    ctx = run_snapshot(account, TODAY)

    # Then every day of active and paused campaigns is stored exactly as seeded
    got = stored(account)
    assert set(got) == {str(active), str(paused)}
    for cid in (active, paused):
        assert got[str(cid)] == seeded[cid]
    # And the totals carry lifetime figures, status, name, leads and the stored range
    t = totals(account)
    assert t[str(active)]["status"] == "ACTIVE" and t[str(paused)]["status"] == "PAUSED"
    assert t[str(active)]["name"] == "Active one"
    assert t[str(active)]["sent"] == sum(f["sent"] for f in seeded[active].values())
    assert t[str(active)]["replied"] == sum(f["replied"] for f in seeded[active].values())
    assert t[str(active)]["positive_replied"] == sum(
        f["positive_replied"] for f in seeded[active].values()
    )
    assert t[str(paused)]["bounced"] == sum(f["bounced"] for f in seeded[paused].values())
    assert (t[str(active)]["leads_total"], t[str(active)]["leads_not_started"]) == (5, 5)
    assert (t[str(active)]["first_day"], t[str(active)]["last_day"]) == (window[0], DAY)
    assert ctx.skipped is None
    assert ctx.summary["day"] == "2026-01-01" and ctx.summary["days_written"] == 60
    assert ctx.summary["collected"] == 2 and ctx.summary["backfilled"] == 2


def test_first_seen_backfill_costs_four_calls_per_campaign_and_so_does_every_later_day(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    # Given an account with N campaigns never seen before, each with 40 days of history
    n = 5
    account = make_account(sb, "acme", KEY)
    campaigns = [sb.campaign(KEY, f"c{i}") for i in range(n)]
    for cid in campaigns:
        sb.seed(cid, days_back(DAY, 40))

    # When the first snapshot runs
    ctx = run_snapshot(account, TODAY)

    # Then each campaign got its last 30 days (no more: older history stays with Smartlead) ...
    got = stored(account)
    assert all(sorted(got[str(c)]) == days_back(DAY, 30) for c in campaigns)
    # ... for one listing and four calls per campaign, counted by the sandbox itself
    assert sb.requests_of(KEY) == 1 + 4 * n
    assert sb.analytics_calls(KEY) == {
        "day-wise-overall-stats": n,
        "day-wise-overall-stats-by-sent-time": n,
        "day-wise-positive-reply-stats": n,
    }
    assert ctx.summary["calls"] == 1 + 4 * n
    assert ctx.summary["calls_by_endpoint"]["campaign_analytics"] == n

    # When the next day's run comes (a new day seeded)
    before = sb.requests_of(KEY)
    sb.seed(campaigns[0], [TODAY], sent=7)
    ctx2 = run_snapshot(account, TODAY + dt.timedelta(days=1))

    # Then it costs the same: one listing + four per campaign, and adds exactly one day each
    per_campaign = (sb.requests_of(KEY) - before - 1) / n
    print(f"\nAPI calls per campaign per day: {per_campaign:g} (+1 listing per key and day)")
    assert per_campaign == 4 and ctx2.summary["calls"] == 1 + 4 * n
    assert stored_row_count() == 31 * n
    assert stored(account, campaigns[0])[str(campaigns[0])][TODAY]["sent"] == 7


def test_a_backfill_longer_than_the_window_cap_is_split_into_30_day_windows(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    account = make_account(sb, "acme", KEY, params={"backfill_days": 45})
    cid = sb.campaign(KEY, "long")
    seeded = sb.seed(cid, days_back(DAY, 45))

    ctx = run_snapshot(account, TODAY)

    assert stored(account)[str(cid)] == seeded  # the sandbox refuses any window over 30 days
    assert sb.analytics_calls(KEY)["day-wise-overall-stats"] == 2
    assert ctx.summary["calls"] == 1 + 2 * 3 + 1


def test_a_rerun_replaces_days_and_never_doubles_them(
    sb: AnalyticsSandbox, any_db_url: str
) -> None:
    account = make_account(sb, "acme", KEY)
    cid = sb.campaign(KEY, "c")
    seeded = sb.seed(cid, days_back(DAY, 30))
    run_snapshot(account, TODAY)
    first_totals = totals(account)

    # When the same day runs again (a forced re-run: a new run)
    ctx = run_snapshot(account, TODAY)

    # Then it re-collected the correction days and nothing doubled
    assert ctx.summary["days_written"] == 3 and ctx.summary.get("backfilled", 0) == 0
    assert stored_row_count() == 30
    assert stored(account)[str(cid)] == seeded
    assert totals(account) == first_totals


def test_a_redelivered_run_finds_its_work_done_and_calls_nothing(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    account = make_account(sb, "acme", KEY)
    sb.seed(sb.campaign(KEY, "c"), days_back(DAY, 30))
    run_snapshot(account, TODAY, run_id=4242)
    before = sb.requests_of(KEY)

    ctx = run_snapshot(account, TODAY, run_id=4242)

    assert sb.requests_of(KEY) == before  # listing shared for the day, campaign already done
    assert ctx.summary["resumed_after"] == 1 and stored_row_count() == 30


def test_a_late_correction_within_the_correction_days_replaces_the_stored_day(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    account = make_account(sb, "acme", KEY)
    cid = sb.campaign(KEY, "c")
    seeded = sb.seed(cid, days_back(DAY, 30))
    run_snapshot(account, TODAY)

    # Given Smartlead later corrects 31 Dec (a day before the one stored last) and 20 Dec
    corrected = {**seeded[DAY - dt.timedelta(days=1)], "replied": 9, "positive_replied": 4}
    sb.seed(cid, [DAY - dt.timedelta(days=1)], **corrected)
    sb.seed(cid, [dt.date(2025, 12, 20)], sent=999)
    sb.seed(cid, [TODAY], sent=1)

    # When the next morning's run collects 2 January
    run_snapshot(account, TODAY + dt.timedelta(days=1))

    # Then 31 Dec holds the corrected figures (replaced, not added) ...
    got = stored(account)[str(cid)]
    assert got[DAY - dt.timedelta(days=1)] == corrected
    # ... and a correction older than the correction days is not fetched again
    assert got[dt.date(2025, 12, 20)] == seeded[dt.date(2025, 12, 20)]
    assert totals(account)[str(cid)]["positive_replied"] == sum(
        f["positive_replied"] for f in got.values()
    )


def test_accounts_sharing_one_key_list_campaigns_once_and_keep_their_own(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    # Given two clients of an agency on one key
    first = make_account(sb, "client-a", KEY, client_id=7)
    second = make_account(sb, "client-b", KEY, client_id=8)
    a1, a2 = sb.campaign(KEY, "a1", client_id=7), sb.campaign(KEY, "a2", client_id=7)
    b1 = sb.campaign(KEY, "b1", client_id=8)
    for cid in (a1, a2, b1):
        sb.seed(cid, days_back(DAY, 30))

    # When both run for the same local day
    one, two = run_snapshot(first, TODAY), run_snapshot(second, TODAY)

    # Then each stored only its own campaigns ...
    assert set(stored(first)) == {str(a1), str(a2)} and set(stored(second)) == {str(b1)}
    # ... and the campaigns were listed once for both
    assert one.summary["calls_by_endpoint"]["list_campaigns"] == 1
    assert "list_campaigns" not in two.summary["calls_by_endpoint"]
    assert sb.requests_of(KEY) == 1 + 4 * 3


def test_a_run_the_limiter_interrupts_resumes_where_it_stopped(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    # Given an account whose plan allows 6 calls a minute, and three campaigns (13 calls)
    account = make_account(sb, "acme", KEY, limits=[[6, 60]])
    campaigns = [sb.campaign(KEY, f"c{i}") for i in range(3)]
    seeded = {cid: sb.seed(cid, days_back(DAY, 30)) for cid in campaigns}

    # When the run meets the limit, it gives up its slot (the task would be sent again) ...
    with pytest.raises(RateLimitDeferred):
        run_snapshot(account, TODAY, run_id=77)
    assert set(stored(account)) == {str(campaigns[0])}
    assert sb.requests_of(KEY) == 6  # listing, 4 for the first, the second's lifetime call

    # ... and the same run, once the budget allows, finishes the rest without starting over
    set_limits(account, [[1000, 1]])
    ctx = run_snapshot(account, TODAY, run_id=77)
    assert {cid: stored(account)[str(cid)] for cid in campaigns} == seeded
    assert ctx.summary["resumed_after"] == 1 and ctx.summary["collected"] == 3
    assert sb.requests_of(KEY) == 6 + 4 + 4
    assert ctx.summary["calls"] == 14  # every call of the run, both attempts


def test_days_left_out_of_the_answer_are_zero_and_an_empty_answer_erases_nothing(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    # Given a key whose answers leave out days without activity
    sb.settings(KEY, omit_zero_days=True)
    account = make_account(sb, "acme", KEY)
    cid = sb.campaign(KEY, "c")
    seeded = sb.seed(cid, [DAY - dt.timedelta(days=d) for d in (29, 10, 1)])
    ctx = run_snapshot(account, TODAY)
    got = stored(account)[str(cid)]
    assert len(got) == 30 and ctx.summary["missing_days"] == 3 * 27
    assert got[DAY - dt.timedelta(days=1)] == seeded[DAY - dt.timedelta(days=1)]
    assert got[DAY] == dict.fromkeys(got[DAY], 0)

    # When the next answer has no row at all for the re-collected days
    zero = dict.fromkeys(seeded[DAY - dt.timedelta(days=1)], 0)
    sb.seed(cid, [DAY - dt.timedelta(days=1)], **zero)
    run_snapshot(account, TODAY + dt.timedelta(days=1))

    # Then what was stored stays (an empty answer is no evidence), the new day is zero
    got = stored(account)[str(cid)]
    assert got[DAY - dt.timedelta(days=1)] == seeded[DAY - dt.timedelta(days=1)]
    assert got[TODAY] == zero


def test_a_dry_run_reads_everything_and_writes_nothing(sb: AnalyticsSandbox, db_url: str) -> None:
    account = make_account(sb, "acme", KEY)
    sb.seed(sb.campaign(KEY, "c"), days_back(DAY, 30))
    ctx = run_snapshot(account, TODAY, dry_run=True)
    assert ctx.summary["days_would_write"] == 30 and ctx.summary["dry_run"] is True
    assert stored_row_count() == 0 and totals(account) == {}


def test_a_campaign_deleted_after_the_listing_is_skipped_before_any_day_wise_call(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    import httpx

    account = make_account(sb, "acme", KEY)
    keep, gone = sb.campaign(KEY, "keep"), sb.campaign(KEY, "gone")
    for cid in (keep, gone):
        sb.seed(cid, days_back(DAY, 30))
    run_snapshot(account, TODAY)  # lists both (the listing is kept for the day)
    httpx.delete(f"{sb.base}/admin/campaigns/{gone}", timeout=5).raise_for_status()
    calls_before = sb.analytics_calls(KEY)

    ctx = run_snapshot(account, TODAY)

    assert ctx.summary["gone_ids"] == [str(gone)] and ctx.summary["collected"] == 1
    after = sb.analytics_calls(KEY)
    assert after["day-wise-overall-stats"] == calls_before["day-wise-overall-stats"] + 1
    assert str(keep) in stored(account)


def test_a_campaign_that_completed_is_collected_one_last_time_then_left(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    from workers.clients.smartlead import SmartleadClient

    account = make_account(sb, "acme", KEY)
    cid = sb.campaign(KEY, "c")
    sb.seed(cid, days_back(DAY, 30))
    run_snapshot(account, TODAY)
    client = SmartleadClient(KEY, base_url=sb.api)
    client.set_campaign_status(cid, "STOPPED")
    client.close()
    sb.seed(cid, [TODAY], replied=2)

    last = run_snapshot(account, TODAY + dt.timedelta(days=1))
    after = run_snapshot(account, TODAY + dt.timedelta(days=2))

    assert last.summary["collected"] == 1 and stored(account)[str(cid)][TODAY]["replied"] == 2
    assert totals(account)[str(cid)]["status"] == "STOPPED"
    assert after.skipped == "no campaigns to collect"


def test_a_campaign_created_after_the_day_is_not_collected_nor_called_yet(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    account = make_account(sb, "acme", KEY)
    fresh = sb.campaign(KEY, "created today")  # the sandbox stamps it now, after 1 January

    ctx = run_snapshot(account, TODAY)

    assert ctx.summary["not_started_ids"] == [str(fresh)]
    assert sb.requests_of(KEY) == 1 and stored_row_count() == 0 and totals(account) == {}


def test_replies_to_an_older_send_day_update_its_cohort_at_no_extra_call(
    sb: AnalyticsSandbox, db_url: str
) -> None:
    account = make_account(sb, "acme", KEY)
    cid = sb.campaign(KEY, "c")
    seeded = sb.seed(cid, days_back(DAY, 30))
    run_snapshot(account, TODAY)
    old_day = DAY - dt.timedelta(days=12)  # far outside the correction days

    # Given replies arrived since to emails sent on that day (and Smartlead revised its sends)
    later = {**seeded[old_day], "replied_by_sent": seeded[old_day]["replied_by_sent"] + 5}
    sb.seed(cid, [old_day], **{**later, "sent": 1})
    sb.seed(cid, [TODAY], sent=3)
    before = sb.requests_of(KEY)

    # When the next morning's run comes
    ctx = run_snapshot(account, TODAY + dt.timedelta(days=1))

    # Then the old send day's cohort count matured; its other figures stay as collected
    got = stored(account)[str(cid)][old_day]
    assert got == {**seeded[old_day], "replied_by_sent": later["replied_by_sent"]}
    assert ctx.summary["cohort_days_updated"] == 1
    assert sb.requests_of(KEY) - before == 1 + 4
