"""Automation 6 (agency-wide block list) with fakes: scopes, exactly-once pushes, outcomes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tasks.blocklist import flow as blocklist
from tests.unit.tasks.fakes import FakeSmartlead, SentTasks, make_account
from workers.blocklist import is_blocked
from workers.clients.errors import PermanentError, TransientError
from workers.db import session_scope
from workers.models import BlockedAddress, BlockPush


def _accounts(db_url: str) -> dict[str, int]:
    return {
        "a1": make_account("a1", group="north"),
        "a2": make_account("a2", group="north"),
        "a3": make_account("a3", group="south"),
    }


def _push_status() -> dict[int, str]:
    with session_scope() as s:
        return {p.account_id: p.status for p in s.scalars(select(BlockPush))}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"scope": "account"}, {"a1"}),
        ({"scope": "all"}, {"a1", "a2", "a3"}),
        ({"scope": "group"}, {"a1", "a2"}),  # the source account's own group
        ({"scope": "group", "group": "south"}, {"a3"}),
    ],
)
def test_scope_decides_which_accounts_are_reached(db_url, params, expected) -> None:
    ids = _accounts(db_url)
    from workers.db import session_scope as scope_
    from workers.models import Account

    with scope_() as s:
        a1 = s.get(Account, ids["a1"])
        from workers.automations import BlocklistParams

        label = blocklist.scope_label(BlocklistParams(**params), a1)
        got = {a.slug for a in blocklist.target_accounts(s, label, a1)}
    assert got == expected


def test_an_unsubscribe_plans_one_push_per_account_and_a_repeat_plans_nothing(db_url) -> None:
    ids = _accounts(db_url)
    sent = SentTasks()
    first = blocklist.block_from_event(
        ids["a1"], "ev-1", "Ann@Acme.io", "unsubscribed", trigger="unsubscribe", send_task=sent
    )
    assert first["outcome"] == "done"
    assert sorted(k["account_id"] for k in sent.named(blocklist.PUSH_TASK)) == sorted(ids.values())
    again = blocklist.block_from_event(
        ids["a1"], "ev-1", "ann@acme.io", "unsubscribed", trigger="unsubscribe", send_task=sent
    )
    assert again["outcome"] == "skipped"
    other_event = blocklist.block_from_event(
        ids["a2"], "ev-2", "ann@acme.io", "unsubscribed", trigger="unsubscribe", send_task=sent
    )
    assert other_event["new_accounts"] == []
    assert len(sent.named(blocklist.PUSH_TASK)) == 3 + 3  # re-sent pending pushes are claimed
    with session_scope() as s:
        assert s.scalars(select(BlockedAddress.value)).all() == ["ann@acme.io"]
    assert set(_push_status().values()) == {"pending"}


def test_a_push_calls_smartlead_exactly_once_however_often_it_runs(db_url) -> None:
    ids = _accounts(db_url)
    sent = SentTasks()
    blocklist.block_from_event(
        ids["a1"], "ev-1", "ann@acme.io", "x", trigger="unsubscribe", send_task=sent
    )
    client = FakeSmartlead()
    for kwargs in sent.named(blocklist.PUSH_TASK) * 2:
        blocklist.push_one(**kwargs, client_for=lambda a: client)
    assert client.calls == [["ann@acme.io"]] * 3
    assert set(_push_status().values()) == {"done"}


def test_a_refused_push_is_recorded_failed_and_a_transient_one_goes_back_to_pending(db_url):
    ids = _accounts(db_url)
    sent = SentTasks()
    blocklist.block_from_event(ids["a1"], "ev-1", "acme.io", "x", trigger="cli", send_task=sent)
    [k1, k2, _] = sent.named(blocklist.PUSH_TASK)
    refusing = FakeSmartlead(PermanentError("smartlead -> 400: bad entry", status_code=400))
    with pytest.raises(PermanentError):
        blocklist.push_one(**k1, client_for=lambda a: refusing)
    flaky = FakeSmartlead(TransientError("smartlead -> 502", status_code=502))
    with pytest.raises(TransientError):
        blocklist.push_one(**k2, client_for=lambda a: flaky)
    status = _push_status()
    assert status[k1["account_id"]] == "failed" and status[k2["account_id"]] == "pending"
    with session_scope() as s:
        p = s.scalar(select(BlockPush).where(BlockPush.account_id == k1["account_id"]))
        assert "bad entry" in p.detail
    ok = FakeSmartlead()
    assert blocklist.push_one(**k2, client_for=lambda a: ok)["outcome"] == "done"
    assert blocklist.push_one(**k2, client_for=lambda a: ok)["outcome"] == "skipped"
    # a refused push is tried again when replayed (nothing was added the first time)
    assert blocklist.push_one(**k1, client_for=lambda a: ok)["outcome"] == "done"
    assert ok.calls == [["acme.io"], ["acme.io"]]
    assert set(_push_status().values()) == {"done", "pending"}


def test_a_blocked_domain_or_address_is_refused_by_intake(db_url) -> None:
    ids = _accounts(db_url)
    blocklist.block_from_event(
        ids["a1"], "ev-1", "@spam.example", "x", trigger="cli", send_task=SentTasks()
    )
    blocklist.block_from_event(
        ids["a1"], "ev-2", "ann@acme.io", "x", trigger="cli", send_task=SentTasks()
    )
    with session_scope() as s:
        assert is_blocked(s, "Anyone@Spam.Example")
        assert is_blocked(s, "ann@acme.io")
        assert not is_blocked(s, "bob@acme.io")


def test_a_disabled_automation_blocks_nothing(db_url: str, monkeypatch: Any) -> None:
    from workers.accounts import set_automation
    from workers.models import Account

    ids = _accounts(db_url)
    with session_scope() as s:
        set_automation(s, s.get(Account, ids["a1"]), "blocklist", enabled=False)
    sent = SentTasks()
    out = blocklist.block_from_event(
        ids["a1"], "ev-1", "ann@acme.io", "x", trigger="x", send_task=sent
    )
    assert out["outcome"] == "skipped" and sent.sent == []
