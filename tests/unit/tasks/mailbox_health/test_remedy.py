"""The optional remedy: pause a failing mailbox's campaign sending (limit 0), restore the
previous limit on recovery, survive re-runs and crashes, leave a hand-made change alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tasks.mailbox_health import remedy
from tasks.mailbox_health.rules import confirmed, morning, plan_remedy
from tests.unit.tasks.mailbox_health.test_rules import TH, reading
from workers.clients.errors import PermanentError

DAY = dt.date(2026, 12, 2)
YESTERDAY = "2026-12-01"


def rec(state: str, day: str = YESTERDAY, previous: int = 40) -> dict[str, Any]:
    return {"previous_limit": previous, "state": state, "day": day}


@pytest.mark.parametrize(
    ("record", "pause", "listing", "action", "limit", "state"),
    [
        (None, True, 40, "pause", 0, "pending_pause"),  # weak: pause, remember 40 first
        (None, True, 0, None, None, None),  # already 0: nothing to remember
        (None, True, None, None, None, None),  # limit unknown: never guess
        (None, False, 40, None, None, None),
        (rec("pending_pause"), True, 0, None, None, "paused"),  # it went through
        (rec("pending_pause"), True, 40, "pause", 0, "pending_pause"),  # it did not: again
        (rec("pending_pause"), False, 40, None, None, None),  # never paused, now fine
        (rec("pending_pause"), False, 0, "restore", 40, "pending_restore"),
        (rec("paused"), True, 0, None, None, "paused"),  # still weak: keep
        (rec("paused"), False, 0, "restore", 40, "pending_restore"),  # recovered: give it back
        (rec("paused"), True, 25, None, None, "by_hand"),  # someone changed it: leave alone
        (rec("paused", day=DAY.isoformat()), True, 40, None, None, "paused"),  # cached listing
        (rec("by_hand"), True, 25, None, None, "by_hand"),
        (rec("by_hand"), False, 25, None, None, None),  # recovered: forget, no restore
        (rec("pending_restore"), False, 40, None, None, None),  # restore went through
        (rec("pending_restore"), False, 0, "restore", 40, "pending_restore"),
        (rec("pending_restore"), True, 0, None, None, "paused"),
        (rec("pending_restore"), True, 40, "pause", 0, "pending_pause"),
        (rec("restored", day=DAY.isoformat()), False, 40, None, None, "restored"),  # same day
        (rec("restored"), False, 40, None, None, None),  # the next day: forgotten
        (rec("restored"), True, 40, "pause", 0, "pending_pause"),  # weak again
    ],
)
def test_plan_remedy(record, pause, listing, action, limit, state) -> None:
    plan = plan_remedy(record, pause, listing, DAY)
    assert (plan.action, plan.limit) == (action, limit)
    assert (plan.record or {}).get("state") == state
    if state in ("pending_pause", "pending_restore", "paused"):
        assert plan.record["previous_limit"] == 40


def test_confirmed_records() -> None:
    pause = plan_remedy(None, True, 40, DAY)
    assert confirmed(pause, DAY) == {"previous_limit": 40, "state": "paused", "day": "2026-12-02"}
    restore = plan_remedy(rec("paused"), False, 0, DAY)
    assert confirmed(restore, DAY) == {
        "previous_limit": 40,
        "state": "restored",
        "day": "2026-12-02",
    }


class Updater:
    def __init__(self, fail: set[int] | None = None) -> None:
        self.calls: list[tuple[int, dict[str, Any]]] = []
        self.fail = fail or set()

    def update_email_account(self, email_account_id: int, body: Any) -> dict[str, Any]:
        self.calls.append((email_account_id, dict(body)))
        if email_account_id in self.fail:
            raise PermanentError('"max_email_per_day" is not allowed', status_code=400)
        return {"ok": True}


def _steps(mode: str = "on") -> list[remedy.Step]:
    m = morning(
        [
            reading("11", smtp_ok=False),
            reading("12", reputation=50.0),
            reading("13", imap_ok=False),
            reading("14", daily_limit=0),
        ],
        TH,
        {},
        DAY,
    )
    records = {"14": rec("paused", previous=30)}
    conditions = {"smtp_failed", "low_reputation"}
    return remedy.plan(m, records, mode=mode, conditions=conditions, day=DAY)


def test_execute_pauses_restores_and_records_each_success_at_once() -> None:
    client, done = Updater(fail={12}), []
    steps = _steps()
    assert [s.mailbox_id for s in steps] == ["11", "12", "14"]  # 13: IMAP not a remedy condition
    out = remedy.execute(
        client, steps, dry_run=False, day=DAY, on_done=lambda mid, r: done.append((mid, r))
    )
    assert client.calls == [
        (11, {"max_email_per_day": 0}),
        (12, {"max_email_per_day": 0}),
        (14, {"max_email_per_day": 30}),
    ]
    assert [(o.mailbox_id, o.action, o.outcome) for o in out] == [
        ("11", "pause", "done"),
        ("12", "pause", "failed"),
        ("14", "restore", "done"),
    ]
    assert done == [
        ("11", {"previous_limit": 40, "state": "paused", "day": "2026-12-02"}),
        ("14", {"previous_limit": 30, "state": "restored", "day": "2026-12-02"}),
    ]
    assert "not allowed" in out[1].reason
    notes = remedy.notes_for_alert(out, {}, DAY)
    assert notes == {
        "11": "campaign sending paused (was 40/day)",
        "12": "pausing campaign sending failed",
        "14": "sending limit restored to 30/day",
    }


def test_a_rerun_says_what_an_earlier_attempt_of_the_morning_did() -> None:
    records = {
        "1": rec("paused", day=DAY.isoformat(), previous=35),
        "2": rec("restored", day=DAY.isoformat(), previous=20),
        "3": rec("paused", previous=10),
    }  # paused on an earlier morning: nothing new
    assert remedy.notes_for_alert([], records, DAY) == {
        "1": "campaign sending paused (was 35/day)",
        "2": "sending limit restored to 20/day",
    }


def test_dry_run_calls_nothing_and_keeps_the_records() -> None:
    client = Updater()
    steps = _steps("dry_run")
    out = remedy.execute(client, steps, dry_run=True, day=DAY, on_done=lambda *a: None)
    assert client.calls == [] and {o.outcome for o in out} == {"dry_run"}
    kept = remedy.records_to_store(steps, dry_run=True, current={"14": rec("paused", previous=30)})
    assert kept == {"11": None, "12": None, "14": rec("paused", previous=30)}


def test_remedy_off_pauses_nothing_but_still_gives_back_what_it_paused() -> None:
    steps = _steps("off")
    assert [(s.mailbox_id, s.plan.action) for s in steps] == [("14", "restore")]
