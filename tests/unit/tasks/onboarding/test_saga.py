"""The saga's state machine: steps in order, each recorded once; transient errors retried up to
a cap, permanent ones turned into cleanup; leases keep two runners off one run; a run's key and
name are claimed once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tasks.onboarding import saga
from tasks.onboarding.dryrun import MemoryStore
from tasks.onboarding.saga import (
    ALL_STEPS,
    CLEANUP,
    STEPS,
    Env,
    Outcome,
    RunView,
    StepContext,
    StepFailed,
    StepView,
)
from workers.clients.errors import PermanentError, RateLimitDeferred, TransientError


class Notified:
    def __init__(self) -> None:
        self.runs: list[RunView] = []

    def notify(self, run: RunView) -> None:
        self.runs.append(run)


def new_run() -> RunView:
    return RunView(
        id=1,
        key="k",
        account_id=2,
        template_account_id=1,
        template_campaign_id=10,
        name="NewCo",
        steps={n: StepView(n, i) for i, n in enumerate(ALL_STEPS)},
    )


def stubs(calls: list[str], **special: Callable[[StepContext], Outcome]) -> dict[str, Any]:
    def make(name: str) -> Callable[[StepContext], Outcome]:
        def step(ctx: StepContext) -> Outcome:
            calls.append(name)
            if name in special:
                return special[name](ctx)
            if name == "create_campaign":
                return Outcome({"campaign_id": 555})
            if name == CLEANUP:
                return Outcome({"cleanup": "deleted"})
            return Outcome({"did": name})

        return step

    return {n: make(n) for n in ALL_STEPS}


def env_for(store: Any, notified: Notified) -> Env:
    return Env(store, notified, owner="w1", lease_seconds=30)


def test_steps_run_once_each_in_order_and_the_run_succeeds() -> None:
    calls: list[str] = []
    store, notified = MemoryStore(new_run()), Notified()
    run = saga.advance(1, env_for(store, notified), stubs(calls))
    assert calls == list(STEPS)
    assert run.state == "succeeded" and run.campaign_id == 555
    assert all(run.steps[n].state == "done" for n in STEPS)
    assert [r.state for r in notified.runs] == ["succeeded"]
    # advancing a finished run does nothing, and tells no one twice
    again = saga.advance(1, env_for(store, notified), stubs(calls))
    assert calls == list(STEPS) and again.state == "succeeded" and len(notified.runs) == 1


def test_a_transient_error_leaves_the_step_to_retry_and_earlier_steps_are_not_redone() -> None:
    calls: list[str] = []
    failures = iter([TransientError("smartlead POST /x -> 503", status_code=503)])

    def flaky(ctx: StepContext) -> Outcome:
        error = next(failures, None)
        if error:
            raise error
        return Outcome({"ok": True})

    store, notified = MemoryStore(new_run()), Notified()
    with pytest.raises(TransientError):
        saga.advance(1, env_for(store, notified), stubs(calls, settings=flaky))
    assert store.run.steps["settings"].state == "running"
    assert store.run.steps["settings"].failures == 1
    assert "503" in store.run.steps["settings"].error
    # the retry (same owner) goes on from the step that failed
    run = saga.advance(1, env_for(store, notified), stubs(calls, settings=flaky))
    assert run.state == "succeeded"
    assert calls.count("create_campaign") == 1 and calls.count("settings") == 2


def test_a_step_failing_transiently_too_often_fails_and_is_cleaned_up() -> None:
    calls: list[str] = []

    def down(ctx: StepContext) -> Outcome:
        raise TransientError("smartlead POST /s -> 502", status_code=502)

    store, notified = MemoryStore(new_run()), Notified()
    for _ in range(saga.MAX_STEP_ATTEMPTS - 1):
        with pytest.raises(TransientError):
            saga.advance(1, env_for(store, notified), stubs(calls, schedule=down))
    run = saga.advance(1, env_for(store, notified), stubs(calls, schedule=down))
    assert run.state == "failed" and run.step == "schedule"
    assert f"gave up after {saga.MAX_STEP_ATTEMPTS} attempts" in run.error
    assert run.cleanup == "deleted" and calls[-1] == CLEANUP
    assert "sequences" not in calls


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (PermanentError("smartlead POST /m -> 400: bad ids", status_code=400), "bad ids"),
        (StepFailed("template campaign 10: sequences: none"), "sequences: none"),
        (KeyError("seq_number"), "internal error: KeyError"),
    ],
)
def test_a_permanent_failure_stops_the_saga_cleans_up_and_says_why(
    error: Exception, message: str
) -> None:
    calls: list[str] = []

    def broken(ctx: StepContext) -> Outcome:
        raise error

    store, notified = MemoryStore(new_run()), Notified()
    run = saga.advance(1, env_for(store, notified), stubs(calls, mailboxes=broken))
    assert run.state == "failed" and run.step == "mailboxes" and message in run.error
    assert calls[-2:] == ["mailboxes", CLEANUP] and "webhooks" not in calls
    assert run.steps["mailboxes"].state == "failed" and run.steps[CLEANUP].state == "done"
    assert [r.state for r in notified.runs] == ["failed"]


def test_a_failed_cleanup_is_recorded_as_such() -> None:
    calls: list[str] = []

    def no_delete(ctx: StepContext) -> Outcome:
        raise PermanentError("smartlead DELETE /campaigns/555 -> 403", status_code=403)

    def broken(ctx: StepContext) -> Outcome:
        raise StepFailed("nope")

    store, notified = MemoryStore(new_run()), Notified()
    specials = {"settings": broken, CLEANUP: no_delete}
    run = saga.advance(1, env_for(store, notified), stubs(calls, **specials))
    assert run.state == "failed" and run.cleanup == "delete_failed"
    assert "403" in run.steps[CLEANUP].error


def test_waiting_for_the_rate_limit_is_not_a_failure() -> None:
    def waits(ctx: StepContext) -> Outcome:
        raise RateLimitDeferred(1.5)

    store = MemoryStore(new_run())
    with pytest.raises(RateLimitDeferred):
        saga.advance(1, env_for(store, Notified()), stubs([], sequences=waits))
    assert store.run.steps["sequences"].failures == 0


# ---- the gateway's entry point ----------------------------------------------------------
def _account() -> int:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(slug="newco", name="NewCo")
        s.add(a)
        s.flush()
        return a.id


def test_an_accepted_event_that_cannot_become_a_run_is_dead_lettered_with_why(
    db_url: str,
) -> None:
    from sqlalchemy import select

    from tasks.onboarding.store import create_run, list_runs
    from tasks.onboarding.tasks import start_onboarding
    from workers.db import session_scope
    from workers.models import DeadLetter

    account_id = _account()
    create_run(account_id=account_id, template_account_id=None, template_campaign_id=1, name="Q3")
    kwargs = {"template_account_id": account_id, "template_campaign_id": 1, "mailbox_ids": []}
    # a second event for a name that a live run is onboarding; an account deleted since
    busy = start_onboarding(account_id=account_id, event_id="onboarding-1", name="Q3", **kwargs)
    gone = start_onboarding(account_id=999, event_id="onboarding-2", name="Other", **kwargs)
    assert busy["state"] == gone["state"] == "refused"
    assert "already onboarding 'Q3'" in busy["reason"]
    assert gone["reason"] == "account 999 does not exist in LeadOps"
    with session_scope() as s:
        letters = list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))
    assert [(d.error_class, d.account_id) for d in letters] == [
        ("RunConflict", account_id),
        ("LookupError", None),
    ]
    assert [r.name for r in list_runs()] == ["Q3"]
