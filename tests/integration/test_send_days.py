"""Send days (automation 9) against the Smartlead and Slack sandboxes over loopback, with real
Redis (the shared limiter) and the migrated database; four weeks of per-day figures written
straight into the store automation 4 fills.

The check runs as ``flow.narrow_account(ctx)``, the function the scheduled task hands to the
scheduling mechanism (issue 11), which is not on this branch yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tasks.send_days.flow import narrow_account
from tests.integration.guard_env import GuardStack, audit_rows, days_back, guard_stack

pytestmark = pytest.mark.integration

TODAY = dt.date(2026, 3, 30)  # a Monday, the check's day
# Per Smartlead weekday (0 = Sunday): (sent, replies by send date) per day.
MON_WED_WIN = {1: (100, 4), 2: (100, 4), 3: (100, 4), 4: (100, 0), 5: (100, 0)}
EVEN = {w: (100, 2) for w in (1, 2, 3, 4, 5)}
# An old campaign's schedule as stored: start hour "9", Sunday written 7 on the read side.
LEGACY = {
    "timezone": "Europe/Paris",
    "days_of_the_week": [1, 2, 3, 4, 5],
    "start_hour": "9",
    "end_hour": "17:30",
    "min_time_btw_emails": 7,
    "max_new_leads_per_day": 45,
}


@pytest.fixture
def stack(redis_url: str, any_db_url: str) -> Iterator[GuardStack]:
    with guard_stack() as st:
        st.configure("send_days", keep_days=3, min_sent_per_weekday=100, confidence=0.95)
        yield st


def _campaign(
    stack: GuardStack, name: str, per_weekday: dict[int, tuple[int, int]], schedule: dict | None
) -> str:
    cid = stack.campaign(name)
    if schedule is not None:
        stack.schedule(cid, **schedule)
    stack.totals(cid, name, "ACTIVE")
    stack.figures(
        cid,
        {
            d: per_weekday[d.isoweekday() % 7]
            for d in days_back(TODAY, 28)
            if d.isoweekday() % 7 in per_weekday
        },
    )
    return cid


def test_a_narrowed_schedule_keeps_every_other_field_exactly_as_it_was(stack: GuardStack) -> None:
    cid = _campaign(stack, "Legacy outbound", MON_WED_WIN, LEGACY)

    ctx = stack.run("send_days", narrow_account, TODAY)

    writes = stack.writes(cid, "schedule")
    assert len(writes) == 1
    assert writes[0]["body"] == {**LEGACY, "start_hour": "09:00", "days_of_the_week": [1, 2, 3]}
    shown = stack.detail(cid)["scheduler_cron_value"]
    assert shown == {
        "tz": "Europe/Paris",
        "days": [1, 2, 3],
        "startHour": "09:00",
        "endHour": "17:30",
    }

    item = ctx.summary["campaigns"][cid]
    assert item["outcome"] == "changed"
    table = {w["name"]: (w["sent"], w["replied"], w["judged"]) for w in item["weekdays"]}
    assert table["Mon"] == (400, 16, True) and table["Fri"] == (400, 0, True)
    assert table["Sun"] == (0, 0, False)
    assert item["schedule_before"]["days_of_the_week"] == [1, 2, 3, 4, 5]
    assert item["schedule_after"]["days_of_the_week"] == [1, 2, 3]
    assert "startHour '9' normalised to '09:00'" in item["notes"]

    done = [r for r in audit_rows(automation="send_days") if r.outcome == "done"]
    assert len(done) == 1 and done[0].details["schedule_after"]["days_of_the_week"] == [1, 2, 3]
    assert len(done[0].details["weekdays"]) == 7
    texts = stack.slack_texts()
    assert len(texts) == 1 and "Mon, Tue, Wed, Thu, Fri" in texts[0]
    assert "now sends Mon, Tue, Wed" in texts[0] and "0.00% of 800" in texts[0]

    # One change per interval: next week's check does not even read the campaign.
    before = stack.requests()
    later = stack.run("send_days", narrow_account, TODAY + dt.timedelta(days=7))
    assert later.summary["campaigns"][cid]["outcome"] == "too_soon"
    assert stack.requests() == before and len(stack.writes(cid, "schedule")) == 1


def test_even_weekdays_and_a_campaign_without_schedule_are_left_alone(stack: GuardStack) -> None:
    even = _campaign(stack, "Even", EVEN, {**LEGACY, "start_hour": "08:00"})
    bare = _campaign(stack, "No schedule", MON_WED_WIN, None)

    ctx = stack.run("send_days", narrow_account, TODAY)

    assert stack.writes(even, "schedule") == [] and stack.writes(bare, "schedule") == []
    assert ctx.summary["campaigns"][even]["outcome"] == "kept"
    assert "no weekday is worse beyond noise" in ctx.summary["campaigns"][even]["reason"]
    assert ctx.summary["campaigns"][bare]["outcome"] == "no_schedule"
    skipped = audit_rows(automation="send_days", outcome="skipped")
    assert [r.subject for r in skipped] == [bare] and "has no schedule" in skipped[0].reason
    assert stack.slack_texts() == []


def test_dry_run_reads_but_writes_nothing_and_announces_would_narrow(stack: GuardStack) -> None:
    stack.configure("send_days", dry_run=True)
    cid = _campaign(stack, "Dry outbound", MON_WED_WIN, LEGACY)

    ctx = stack.run("send_days", narrow_account, TODAY)

    assert stack.writes(cid, "schedule") == [] and stack.writes(cid, "status") == []
    assert stack.requests() == 1  # the GET of the campaign's schedule; no write
    assert ctx.summary["campaigns"][cid]["outcome"] == "would_change"
    assert [r.outcome for r in audit_rows(automation="send_days")] == ["dry_run"]
    texts = stack.slack_texts()
    assert len(texts) == 1 and "would narrow" in texts[0] and "→ Mon, Tue, Wed" in texts[0]
    # Not a change: next week the campaign may still be changed.
    stack.configure("send_days", dry_run=False)
    nxt = stack.run("send_days", narrow_account, TODAY + dt.timedelta(days=1))
    assert nxt.summary["campaigns"][cid]["outcome"] == "changed"


def test_the_cli_prints_the_weekday_table_and_what_the_check_would_do(stack: GuardStack) -> None:
    """`leadops send-days ACCOUNT --campaign C` in a real process: the table and the verdict,
    computed for today in the account's zone; nothing written."""
    import subprocess
    import sys
    from zoneinfo import ZoneInfo

    from tests.conftest import child_env

    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    cid = stack.campaign("CLI outbound")
    stack.schedule(cid, **LEGACY)
    stack.totals(cid, "CLI outbound", "ACTIVE")
    stack.figures(
        cid,
        {
            d: MON_WED_WIN[d.isoweekday() % 7]
            for d in days_back(today, 28)
            if d.isoweekday() % 7 in MON_WED_WIN
        },
    )
    out = subprocess.run(
        [sys.executable, "-m", "ops.cli", "send-days", "guard-client", "--campaign", cid],
        env=child_env(COLUMNS="160"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    mon = next(line for line in lines if line.strip("│ ").startswith("Mon"))
    assert "400" in mon and "16" in mon and "4.00%" in mon
    assert any(line.strip("│ ").startswith("Sun") and "-" in line for line in lines)
    assert "would narrow" in out.stdout and "→ Mon, Tue, Wed" in out.stdout
    assert "startHour '9' normalised to '09:00'" in out.stdout
    assert stack.writes(cid, "schedule") == []

    bad = subprocess.run(
        [sys.executable, "-m", "ops.cli", "send-days", "nobody"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "no account 'nobody'" in bad.stderr
