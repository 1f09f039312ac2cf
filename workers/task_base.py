"""``ApiTask``: the base of every task that calls an external API.

    @app.task(base=ApiTask, bind=True, name="tasks.reply_guard.pause_lead")
    def pause_lead(self, account_id: int, campaign_id: int, email: str) -> dict:
        with session_scope() as s:
            client = smartlead_for(get_account(s, account_id), lane="realtime")
        ...

What the base does with the errors a client raises (workers/clients/errors.py):
- ``RateLimitDeferred`` (no token within the short wait): the task gives its worker slot back and
  is sent again with ``countdown = retry_after`` (+ a little jitter), same task id, *same retry
  count*: waiting for the shared budget is not a failure.
- ``RateLimited`` (a 429 got through) / ``TransientError`` (5xx, timeout, connection): retry with
  capped exponential backoff and full jitter (never sooner than Retry-After), up to
  ``max_retries``; then dead-letter.
- ``PermanentError`` (4xx validation, not found, unauthorized): dead-letter with the server's
  message at once, no retry.
A dead letter (workers.dead_letters) stores the task name and its arguments for
``leadops deadletters replay ID``; an audit row records the failure. The task then ends FAILED.
"""

from __future__ import annotations

import inspect
import random
from typing import Any

from celery import signals
from celery.exceptions import Retry

from workers import audit
from workers.celery_app import LeadOpsTask
from workers.clients.errors import (
    ApiError,
    PermanentError,
    RateLimitDeferred,
    RateLimited,
    TransientError,
)
from workers.clients.http import shared_client
from workers.dead_letters import record_dead_letter
from workers.logging import get_logger

log = get_logger("leadops.tasks")

DEFERRALS_HEADER = "leadops_deferrals"


def backoff_seconds(
    failures: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Full-jitter exponential backoff: uniform in [d/2, d], d = min(cap, base * 2**failures)."""
    delay = min(cap, base * (2 ** max(0, failures)))
    return float(delay / 2 + (rng or random).uniform(0, delay / 2))


def deferral_countdown(retry_after: float, rng: random.Random | None = None) -> float:
    """Come back when the key has capacity, a little after (never before): up to 5% + 50 ms."""
    return retry_after + (rng or random).uniform(0, 0.05 + 0.05 * retry_after)


class ApiTask(LeadOpsTask):
    """Base for API-calling tasks (use with ``bind=True``)."""

    abstract = True
    max_retries = 5
    retry_backoff_base = 2.0  # seconds; 2, 4, 8, 16, 32 ... (halved at random by the jitter)
    retry_backoff_max = 300.0
    # Audit rows name this automation (defaults to the task module, e.g. "lead_intake").
    automation: str = ""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except RateLimitDeferred as exc:
            if self.request.called_directly:
                raise
            raise self.defer(exc.retry_after, key_id=exc.key_id) from None
        except (RateLimited, TransientError) as exc:
            if self.request.called_directly:
                raise
            floor = exc.retry_after if isinstance(exc, RateLimited) else 0.0
            raise self._retry_or_dead_letter(exc, args, kwargs, floor) from None
        except PermanentError as exc:
            self._dead_letter(exc, args, kwargs)
            raise

    # ---- rescheduling ----------------------------------------------------------------------
    def deferrals(self) -> int:
        """How often this message has been rescheduled for lack of a token."""
        req = self.request
        value = getattr(req, DEFERRALS_HEADER, None)
        if value is None:
            value = (req.headers or {}).get(DEFERRALS_HEADER, 0)
        return int(value or 0)

    def defer(self, retry_after: float, *, key_id: str = "") -> Retry:
        """Send this message again in ``retry_after`` seconds without counting a retry."""
        req = self.request
        countdown = deferral_countdown(retry_after)
        deferrals = self.deferrals() + 1
        headers = {**(req.headers or {}), DEFERRALS_HEADER: deferrals}
        # Same task id, same args, same ``retries``: Task.retry would add one to the count.
        sig = self.signature_from_request(
            req, countdown=countdown, headers=headers, retries=req.retries
        )
        sig.apply_async()
        log.info(
            "task_deferred",
            task=self.name,
            task_id=req.id,
            key=key_id,
            countdown=round(countdown, 3),
            deferrals=deferrals,
        )
        return Retry(f"rate limit: rescheduled in {countdown:.2f}s", when=countdown, sig=sig)

    def _retry_or_dead_letter(
        self, exc: ApiError, args: tuple[Any, ...], kwargs: dict[str, Any], floor: float
    ) -> BaseException:
        failures = self.request.retries
        if self.max_retries is not None and failures >= self.max_retries:
            self._dead_letter(exc, args, kwargs)
            return exc
        countdown = max(
            backoff_seconds(failures, self.retry_backoff_base, self.retry_backoff_max),
            deferral_countdown(floor) if floor > 0 else 0.0,
        )
        log.info(
            "task_retry",
            task=self.name,
            task_id=self.request.id,
            error=type(exc).__name__,
            message=exc.message,
            attempt=failures + 1,
            countdown=round(countdown, 3),
        )
        try:
            raised: BaseException = self.retry(
                exc=exc, countdown=countdown, max_retries=self.max_retries
            )
        except Retry as retry:
            raised = retry
        return raised

    # ---- dead letters ----------------------------------------------------------------------
    def account_id_of(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        value = kwargs.get("account_id")
        if value is None:
            try:
                bound = inspect.signature(self.run).bind_partial(*args, **kwargs)
                value = bound.arguments.get("account_id")
            except TypeError:
                value = None
        return value if isinstance(value, int) else None

    def _dead_letter(self, exc: ApiError, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:

        account_id = self.account_id_of(args, kwargs)
        payload: dict[str, Any] = dict(kwargs)
        if args:
            payload["__args__"] = list(args)
        attempts = (self.request.retries or 0) + 1
        try:
            dl_id = record_dead_letter(
                self.name,
                payload,
                exc.message,
                error_class=type(exc).__name__,
                account_id=account_id,
                attempts=attempts,
            )
            audit.record(
                self.automation or _automation_of(self.name),
                self.name.rsplit(".", 1)[-1],
                "failed",
                exc.message,
                account_id=account_id,
                task_id=self.request.id,
                details={
                    "dead_letter_id": dl_id,
                    "error_class": type(exc).__name__,
                    "status_code": exc.status_code,
                    "attempts": attempts,
                },
            )
        except Exception as db_exc:  # the original error matters more than the bookkeeping
            log.error(
                "dead_letter_failed",
                task=self.name,
                task_id=self.request.id,
                error=type(db_exc).__name__,
            )


@signals.worker_process_init.connect
def _warm_http_client(**_: Any) -> None:
    """Build the process's pooled HTTP client before the first token is taken: built lazily,
    it would add ~100 ms between admission and the request reaching the server, more than the
    limiter's safety padding, on every worker process's first call."""

    shared_client()


def _automation_of(task_name: str) -> str:
    parts = task_name.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "tasks" else parts[0]


__all__ = ["ApiTask", "backoff_seconds", "deferral_countdown", "DEFERRALS_HEADER"]
