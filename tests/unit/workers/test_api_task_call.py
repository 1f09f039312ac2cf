"""ApiTask.__call__: what a task does with each error a client raises, as a worker runs it.

The worker's request context is simulated (not called directly, a task id, a retry count) and
every message the task would publish is captured instead of sent, so each rule is seen alone:
a limiter deferral is re-sent without counting a retry, 429/5xx are retried with backoff no
sooner than Retry-After, the final attempt and any 4xx are dead-lettered once, and a direct call
(tests, the CLI) sees the error itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import Retry
from sqlalchemy import select

from workers.clients.errors import PermanentError, RateLimitDeferred, RateLimited, TransientError
from workers.db import session_scope
from workers.models import AuditLog, DeadLetter
from workers.task_base import DEFERRALS_HEADER, ApiTask


class Published(list[dict[str, Any]]):
    """Messages the task would have sent (re-sent deferrals and retries)."""


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Published:
    from celery.canvas import Signature

    sent = Published()

    def capture(self: Signature, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        sent.append({"kwargs": dict(self.kwargs), "options": {**self.options, **options}})

    monkeypatch.setattr(Signature, "apply_async", capture)
    return sent


def make_task(error: BaseException | None, *, retries: int = 0, headers: Any = None) -> ApiTask:
    """A bound ApiTask whose body raises ``error``, run inside a worker-like request."""
    from workers.celery_app import app

    class Probe(ApiTask):
        name = f"tasks.probe.run_{id(error)}"
        max_retries = 3
        automation = "probe"

        def run(self, account_id: int, item: str) -> str:
            if error is not None:
                raise error
            return f"done {item}"

    task = Probe()
    task.bind(app)
    # What the worker's tracer pushes before it calls the task (Task.__call__ pushes and pops
    # an inner context of its own; the error handlers see this one).
    task.push_request(
        called_directly=False,
        id="task-1",
        retries=retries,
        headers=dict(headers or {}),
        delivery_info={},
        args=(),
        kwargs={"account_id": 1, "item": "x"},
    )
    return task


@pytest.fixture
def account(db_url: str) -> int:
    from workers.models import Account

    with session_scope() as s:
        a = Account(id=1, slug="acme", name="Acme")
        s.add(a)
    return 1


def dead_letters() -> list[DeadLetter]:
    with session_scope() as s:
        return list(s.scalars(select(DeadLetter)))


def test_a_success_returns_the_result_and_publishes_nothing(published: Published) -> None:
    assert make_task(None)(account_id=1, item="x") == "done x"
    assert published == []


def test_a_limiter_deferral_is_resent_with_the_same_retry_count(published: Published) -> None:
    task = make_task(RateLimitDeferred(2.0, key_id="k1"), retries=2, headers={DEFERRALS_HEADER: 4})
    with pytest.raises(Retry):
        task(account_id=1, item="x")
    [msg] = published
    assert msg["kwargs"] == {"account_id": 1, "item": "x"}
    assert msg["options"]["retries"] == 2  # waiting for the budget is not a failure
    assert msg["options"]["headers"][DEFERRALS_HEADER] == 5
    assert 2.0 <= msg["options"]["countdown"] <= 2.0 * 1.05 + 0.05


def test_a_429_is_retried_no_sooner_than_retry_after(published: Published, account: int) -> None:
    task = make_task(RateLimited("smartlead 429", retry_after=30.0), retries=0)
    with pytest.raises(Retry):
        task(account_id=1, item="x")
    [msg] = published
    assert msg["options"]["countdown"] >= 30.0
    assert dead_letters() == []


def test_a_5xx_is_retried_with_capped_backoff(published: Published, account: int) -> None:
    task = make_task(TransientError("smartlead 503", status_code=503), retries=1)
    with pytest.raises(Retry):
        task(account_id=1, item="x")
    [msg] = published
    assert 2.0 <= msg["options"]["countdown"] <= 4.0  # base 2 s, second failure: [d/2, d], d=4
    assert dead_letters() == []


def test_the_final_attempt_is_dead_lettered_once_and_not_retried(
    published: Published, account: int
) -> None:
    task = make_task(TransientError("smartlead 503", status_code=503), retries=3)
    with pytest.raises(TransientError):
        task(account_id=1, item="x")
    assert published == []
    [dl] = dead_letters()
    assert dl.task_name == task.name and dl.account_id == 1 and dl.attempts == 4
    assert dl.payload == {"account_id": 1, "item": "x"} and "503" in dl.reason
    with session_scope() as s:
        [row] = s.scalars(select(AuditLog).where(AuditLog.outcome == "failed"))
        assert row.automation == "probe" and row.details["dead_letter_id"] == dl.id


def test_a_4xx_is_dead_lettered_at_once_with_the_server_message(
    published: Published, account: int
) -> None:
    error = PermanentError('"settings.update" is not allowed', status_code=400)
    task = make_task(error, retries=0)
    with pytest.raises(PermanentError):
        task(account_id=1, item="x")
    assert published == []
    [dl] = dead_letters()
    assert dl.reason == '"settings.update" is not allowed' and dl.error_class == "PermanentError"


def test_a_direct_call_sees_the_error_and_nothing_is_rescheduled(published: Published) -> None:
    from workers.celery_app import app

    class Direct(ApiTask):
        name = "tasks.probe.direct"

        def run(self) -> None:
            raise RateLimited("429", retry_after=5.0)

    task = Direct()
    task.bind(app)
    with pytest.raises(RateLimited):
        task()
    assert published == []
