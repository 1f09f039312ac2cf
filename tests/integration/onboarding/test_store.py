"""The run store on SQLite and PostgreSQL: a lease keeps two runners off one run and passes to
another once it lapses; a run's key is created once; a name is claimed by one live run."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tasks.onboarding.saga import ALL_STEPS, LeaseLost

pytestmark = pytest.mark.integration


def _account() -> int:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(slug="newco", name="NewCo")
        s.add(a)
        s.flush()
        return a.id


def test_a_lease_keeps_a_second_runner_off_until_it_lapses(any_db_url: str) -> None:
    from tasks.onboarding.store import DbStore, create_run

    run, created = create_run(
        account_id=_account(), template_account_id=None, template_campaign_id=10, name="N"
    )
    store = DbStore()
    assert created and store.claim(run.id, "w1", 30)
    assert store.claim(run.id, "w1", 30)  # a retry of the same task
    assert not store.claim(run.id, "w2", 30)
    # w1 dies; once its lease lapses w2 takes over and w1 can no longer act
    assert store.claim(run.id, "w1", -1)  # (a lease already in the past)
    assert store.claim(run.id, "w2", 30)
    with pytest.raises(LeaseLost):
        store.begin_step(run.id, "validate", "w1", 30)
    store.begin_step(run.id, "validate", "w2", 30)
    assert store.load(run.id).state == "running"
    store.release(run.id, "w2")
    assert store.claim(run.id, "w3", 30)


def test_a_run_key_is_created_once_and_a_name_is_claimed_by_one_live_run(
    any_db_url: str,
) -> None:
    from tasks.onboarding.store import DbStore, RunConflict, create_run

    account_id = _account()
    args: dict[str, Any] = {
        "account_id": account_id,
        "template_account_id": None,
        "template_campaign_id": 10,
    }
    first, created = create_run(**args, name="Q3 outbound", key="onboarding-abc")
    same, again = create_run(**args, name="Q3 outbound", key="onboarding-abc")
    assert created and not again and same.id == first.id
    assert [s for s in same.steps] == list(ALL_STEPS)
    with pytest.raises(RunConflict, match="already onboarding 'q3 OUTBOUND'"):
        create_run(**args, name="q3 OUTBOUND ")
    # once the first run failed (and cleaned up), the name may be tried again
    DbStore().finish(first.id, "failed", cleanup="deleted")
    retry, created = create_run(**args, name="Q3 outbound")
    assert created and retry.id != first.id


def test_stalled_runs_are_the_unfinished_ones_expired_first(any_db_url: str) -> None:
    from tasks.onboarding.store import DbStore, create_run, stalled_runs

    account_id = _account()
    ids = [
        create_run(
            account_id=account_id, template_account_id=None, template_campaign_id=1, name=f"n{i}"
        )[0].id
        for i in range(3)
    ]
    store = DbStore()
    store.claim(ids[0], "alive", 60)
    store.claim(ids[1], "dead", -5)
    store.finish(ids[2], "succeeded")
    found = stalled_runs(time.time())
    assert [run_id for run_id, _ in found] == [ids[1], ids[0]]
