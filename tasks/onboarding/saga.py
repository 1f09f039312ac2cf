"""The onboarding saga: step order, run and step states, and the runner that advances a run.

    validate -> read_template -> create_client -> create_campaign -> settings -> schedule
    -> sequences -> mailboxes -> webhooks -> record_settings -> start      (state: succeeded)
    any permanent failure -> cleanup (delete the half-made campaign)        (state: failed)

A run is advanced by whoever holds its lease (``Store.claim``): one runner at a time, taken
over when a runner dies and its lease lapses. Each step's outcome is recorded before the next
begins, so a redelivered or resumed runner skips what is done; a step cut short is run again
and is written to be repeatable (each one reads what is already there before it writes). Rate
limit waits and transient errors leave the step running for a retry (up to
``MAX_STEP_ATTEMPTS``); anything permanent fails the step and the run turns to cleanup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import SQLAlchemyError

from workers.automations import OnboardingParams
from workers.clients.errors import ApiError, RateLimitDeferred, RateLimited, TransientError
from workers.clients.smartlead import SmartleadClient
from workers.logging import get_logger
from workers.redaction import redact

log = get_logger("tasks.onboarding")

STEPS: tuple[str, ...] = (
    "validate",
    "read_template",
    "create_client",
    "create_campaign",
    "settings",
    "schedule",
    "sequences",
    "mailboxes",
    "webhooks",
    "record_settings",
    "start",
)
CLEANUP = "cleanup"  # the compensation, recorded like a step
ALL_STEPS: tuple[str, ...] = (*STEPS, CLEANUP)
ACTIVE_STATES = ("pending", "running", "compensating")
TERMINAL_STATES = ("succeeded", "failed")
FINISHED_STEP_STATES = ("done", "skipped")
MAX_STEP_ATTEMPTS = 5


class LeaseLost(Exception):  # noqa: N818 - a condition, not a bug
    """Another runner took the run over (this one outlived its lease): stop at once."""


class StepFailed(Exception):
    """A permanent failure a step found itself (bad input, an untranslatable template)."""


@dataclass
class StepView:
    name: str
    position: int
    state: str = "pending"
    result: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    error: str = ""
    failures: int = 0


@dataclass
class RunView:
    """A run as the steps see it (a copy: steps change the run only through the Store)."""

    id: int
    key: str
    account_id: int
    template_account_id: int | None
    template_campaign_id: int
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    state: str = "pending"
    step: str | None = None
    campaign_id: int | None = None
    client_id: int | None = None
    error: str = ""
    cleanup: str = ""
    source: str = "cli"
    notified: bool = False
    steps: dict[str, StepView] = field(default_factory=dict)

    @property
    def mailbox_ids(self) -> list[int]:
        return [int(i) for i in self.options.get("mailbox_ids") or []]

    @property
    def start(self) -> bool:
        return bool(self.options.get("start"))

    @property
    def keep_partial(self) -> bool:
        return bool(self.options.get("keep_partial"))

    def next_step(self) -> str | None:
        for name in STEPS:
            if self.steps[name].state not in FINISHED_STEP_STATES:
                return name
        return None

    def result(self, name: str) -> dict[str, Any]:
        return self.steps[name].result


@dataclass(frozen=True)
class Outcome:
    """What a step did: ``result`` holds the ids it produced (``campaign_id`` and
    ``client_id`` are copied onto the run)."""

    result: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    skipped: bool = False


class Store(Protocol):
    """Where runs live: the database (store.DbStore) or memory (a dry run)."""

    def load(self, run_id: int) -> RunView: ...
    def claim(self, run_id: int, owner: str, lease_seconds: float) -> bool: ...
    def release(self, run_id: int, owner: str) -> None: ...
    def begin_step(self, run_id: int, name: str, owner: str, lease_seconds: float) -> None: ...
    def record_intent(self, run_id: int, name: str, data: dict[str, Any]) -> None: ...
    def step_error(self, run_id: int, name: str, message: str, *, failed: bool) -> None: ...
    def finish_step(self, run_id: int, name: str, outcome: Outcome) -> None: ...
    def fail(self, run_id: int, name: str, message: str) -> None: ...
    def finish(self, run_id: int, state: str, cleanup: str = "") -> None: ...
    def mark_notified(self, run_id: int) -> None: ...


@dataclass(frozen=True)
class AccountInfo:
    """What the steps may know of an account: never its key (``key_id`` is a hash of it)."""

    id: int
    slug: str
    name: str
    timezone: str
    client_id: int | None
    has_key: bool
    key_id: str
    params: OnboardingParams


@dataclass(frozen=True)
class Parties:
    target: AccountInfo | None
    template: AccountInfo | None

    @property
    def same_key(self) -> bool:
        """Both accounts reach Smartlead with one key (and base URL)."""
        target, template = self.target, self.template
        if target is None or template is None or not (target.has_key and template.has_key):
            return False
        return target.key_id == template.key_id


class Services(Protocol):
    """The world outside the run record: accounts, their Smartlead clients, LeadOps' own
    settings, Slack. A dry run swaps in one that sends no write."""

    dry_run: bool
    gateway_url: str
    native_duplicate: bool

    def parties(self, run: RunView) -> Parties: ...
    def target_client(self, run: RunView) -> SmartleadClient: ...
    def template_client(self, run: RunView) -> SmartleadClient: ...
    def save_client_id(self, account_id: int, client_id: int) -> None: ...
    def webhook_secret(self, account_id: int) -> str: ...
    def record_campaign(
        self, account_id: int, targets: Sequence[str], campaign_id: int
    ) -> None: ...
    def notify(self, run: RunView) -> None: ...


@dataclass
class Env:
    store: Store
    services: Services
    owner: str
    lease_seconds: float
    # False in a dry run: a transient error fails at once instead of waiting for a retry.
    retry_transient: bool = True


@dataclass
class StepContext:
    run: RunView
    env: Env
    name: str

    @property
    def services(self) -> Services:
        return self.env.services

    def result(self, step: str) -> dict[str, Any]:
        return self.run.result(step)

    def intent(self, data: dict[str, Any]) -> None:
        """Record what a non-repeatable call is about to do, before doing it."""
        self.env.store.record_intent(self.run.id, self.name, data)
        self.run.steps[self.name].result.update(data)


StepFunction = Callable[[StepContext], Outcome]


def advance(run_id: int, env: Env, steps: dict[str, StepFunction]) -> RunView:
    """Run the run's remaining steps (or its cleanup) while holding its lease. Returns the run
    as left; a run leased by a live runner is returned untouched."""
    store = env.store
    if not store.claim(run_id, env.owner, env.lease_seconds):
        log.info("onboarding_run_busy", run_id=run_id)
        return store.load(run_id)
    try:
        for _ in range(2 * len(ALL_STEPS)):  # bounded: every pass finishes or fails one step
            run = store.load(run_id)
            if run.state in TERMINAL_STATES:
                break
            if run.state == "compensating":
                _run_step(run, CLEANUP, env, steps)
                continue
            name = run.next_step()
            if name is None:
                store.finish(run_id, "succeeded")
                continue
            _run_step(run, name, env, steps)
    except LeaseLost:
        log.warning("onboarding_lease_lost", run_id=run_id, owner=env.owner)
        return store.load(run_id)
    run = store.load(run_id)
    if run.state in TERMINAL_STATES and not run.notified:
        env.services.notify(run)
        store.mark_notified(run_id)
    store.release(run_id, env.owner)
    return store.load(run_id)


def _run_step(run: RunView, name: str, env: Env, steps: dict[str, StepFunction]) -> None:
    store = env.store
    store.begin_step(run.id, name, env.owner, env.lease_seconds)
    log.info("onboarding_step", run_id=run.id, step=name)
    try:
        outcome = steps[name](StepContext(run, env, name))
    except RateLimitDeferred:
        raise  # a wait for the shared budget: not a failure
    except (TransientError, RateLimited) as exc:
        failures = run.steps[name].failures + 1
        if env.retry_transient and failures < MAX_STEP_ATTEMPTS:
            store.step_error(run.id, name, exc.message, failed=False)
            raise
        _failed(run, name, env, f"{exc.message} (gave up after {failures} attempts)")
    except ApiError as exc:
        _failed(run, name, env, exc.message)
    except StepFailed as exc:
        _failed(run, name, env, str(exc))
    except (SoftTimeLimitExceeded, SQLAlchemyError):
        raise  # not the step's fault: the lease lapses and the run is resumed
    except Exception as exc:
        log.exception("onboarding_step_crashed", run_id=run.id, step=name)
        _failed(run, name, env, f"internal error: {type(exc).__name__}: {redact(str(exc))}")
    else:
        store.finish_step(run.id, name, outcome)
        if name == CLEANUP:
            store.finish(run.id, "failed", cleanup=str(outcome.result.get("cleanup", "")))


def _failed(run: RunView, name: str, env: Env, message: str) -> None:
    message = redact(message)[:2000]
    log.warning("onboarding_step_failed", run_id=run.id, step=name, error=message)
    if name == CLEANUP:
        env.store.step_error(run.id, name, message, failed=True)
        env.store.finish(run.id, "failed", cleanup="delete_failed")
    else:
        env.store.fail(run.id, name, message)


def describe(run: RunView) -> list[tuple[str, str, str]]:
    """(step, state, what it did) for printing: ids, notes and errors, never a secret."""
    rows = []
    for name in ALL_STEPS:
        step = run.steps.get(name)
        if step is None or (name == CLEANUP and step.state == "pending"):
            continue
        detail = step.error if step.state == "failed" else step.note
        ids = {k: v for k, v in step.result.items() if k.endswith(("_id", "_ids"))}
        if ids and step.state == "done":
            detail = f"{detail} {ids}".strip()
        if step.failures and step.state != "failed":
            detail = f"{detail} (after {step.failures} transient failure(s))".strip()
        rows.append((name, step.state, redact(detail)))
    return rows
