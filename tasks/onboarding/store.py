"""Runs and steps in the database: the ``Store`` the saga advances, and run creation/listing.

The lease is one conditional UPDATE (``claim``): it succeeds for a free run, an expired lease,
or the same owner (a Celery retry or rate-limit deferral keeps its task id), and fails while
another runner's lease is live. Every step start renews it and checks it is still ours.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tasks.onboarding.models import OnboardingRun, OnboardingStep
from tasks.onboarding.saga import (
    ACTIVE_STATES,
    ALL_STEPS,
    CLEANUP,
    LeaseLost,
    Outcome,
    RunView,
    StepView,
)
from workers.db import session_scope
from workers.models import Account, utcnow


class RunConflict(Exception):  # noqa: N818
    """Another live run is onboarding the same name for the same account."""


def new_key() -> str:
    return f"cli-{uuid.uuid4().hex[:24]}"


def _view(run: OnboardingRun, steps: list[OnboardingStep]) -> RunView:
    return RunView(
        id=run.id,
        key=run.key,
        account_id=run.account_id,
        template_account_id=run.template_account_id,
        template_campaign_id=run.template_campaign_id,
        name=run.name,
        options=dict(run.options or {}),
        state=run.state,
        step=run.step,
        campaign_id=run.campaign_id,
        client_id=run.client_id,
        error=run.error or "",
        cleanup=run.cleanup or "",
        source=run.source,
        notified=run.notified,
        steps={
            s.name: StepView(
                s.name, s.position, s.state, dict(s.result or {}), s.note, s.error, s.failures
            )
            for s in steps
        },
    )


def _load(s: Session, run_id: int) -> RunView:
    run = s.get(OnboardingRun, run_id)
    if run is None:
        raise LookupError(f"no onboarding run {run_id}")
    steps = list(
        s.scalars(
            select(OnboardingStep)
            .where(OnboardingStep.run_id == run_id)
            .order_by(OnboardingStep.position)
        )
    )
    return _view(run, steps)


def _step(s: Session, run_id: int, name: str) -> OnboardingStep:
    step = s.scalar(
        select(OnboardingStep).where(OnboardingStep.run_id == run_id, OnboardingStep.name == name)
    )
    if step is None:
        raise LookupError(f"run {run_id} has no step {name}")
    return step


def create_run(
    *,
    account_id: int,
    template_account_id: int,
    template_campaign_id: int,
    name: str,
    mailbox_ids: list[int] | None = None,
    start: bool = False,
    keep_partial: bool = False,
    source: str = "cli",
    key: str | None = None,
    event_id: str | None = None,
) -> tuple[RunView, bool]:
    """The run for ``key`` (created with all its steps pending), and whether it is new.
    LookupError: an account is gone; RunConflict: the name is being onboarded already."""
    key = key or new_key()
    with session_scope() as s:
        existing = s.scalar(select(OnboardingRun).where(OnboardingRun.key == key))
        if existing is not None:
            return _load(s, existing.id), False
        for what, account_id_ in (
            ("account", account_id),
            ("template account", template_account_id),
        ):
            if account_id_ is not None and s.get(Account, account_id_) is None:
                raise LookupError(f"{what} {account_id_} does not exist in LeadOps")
    try:
        with session_scope() as s:
            run = OnboardingRun(
                key=key,
                account_id=account_id,
                template_account_id=template_account_id,
                template_campaign_id=int(template_campaign_id),
                name=name.strip(),
                active_name=name.strip().casefold(),
                options={
                    "mailbox_ids": [int(i) for i in mailbox_ids or []],
                    "start": bool(start),
                    "keep_partial": bool(keep_partial),
                },
                source=source,
                event_id=event_id,
            )
            s.add(run)
            s.flush()
            for position, step in enumerate(ALL_STEPS):
                s.add(OnboardingStep(run_id=run.id, name=step, position=position))
            s.flush()
            return _load(s, run.id), True
    except IntegrityError:
        with session_scope() as s:
            same_key = s.scalar(select(OnboardingRun).where(OnboardingRun.key == key))
            if same_key is not None:  # the same event, created by a concurrent delivery
                return _load(s, same_key.id), False
            other = s.scalar(
                select(OnboardingRun).where(
                    OnboardingRun.account_id == account_id,
                    OnboardingRun.active_name == name.strip().casefold(),
                )
            )
        which = f"run {other.id} ({other.key})" if other else "another run"
        done = other is not None and other.state == "succeeded"
        verb = "already onboarded" if done else "is already onboarding"
        raise RunConflict(f"{which} {verb} {name.strip()!r} for this account") from None


def find_run(ref: str | int) -> RunView | None:
    """A run by id or key."""
    with session_scope() as s:
        run = None
        if isinstance(ref, int) or str(ref).isdigit():
            run = s.get(OnboardingRun, int(ref))
        if run is None:
            run = s.scalar(select(OnboardingRun).where(OnboardingRun.key == str(ref)))
        return _load(s, run.id) if run is not None else None


def list_runs(account_id: int | None = None, limit: int = 50) -> list[RunView]:
    with session_scope() as s:
        q = select(OnboardingRun.id).order_by(OnboardingRun.id.desc()).limit(limit)
        if account_id is not None:
            q = q.where(OnboardingRun.account_id == account_id)
        return [_load(s, run_id) for run_id in s.scalars(q)]


def stalled_runs(now: float | None = None) -> list[tuple[int, float | None]]:
    """(run id, lease expiry) of every unfinished run: expired or unleased ones first."""
    now = time.time() if now is None else now
    with session_scope() as s:
        rows = s.execute(
            select(OnboardingRun.id, OnboardingRun.lease_expires).where(
                OnboardingRun.state.in_(ACTIVE_STATES)
            )
        ).all()
    return sorted(((r[0], r[1]) for r in rows), key=lambda r: (r[1] or 0.0) > now)


class DbStore:
    """The saga's Store on the LeadOps database."""

    def load(self, run_id: int) -> RunView:
        with session_scope() as s:
            return _load(s, run_id)

    def claim(self, run_id: int, owner: str, lease_seconds: float) -> bool:
        now = time.time()
        with session_scope() as s:
            result = s.execute(
                update(OnboardingRun)
                .where(
                    OnboardingRun.id == run_id,
                    OnboardingRun.state.in_(ACTIVE_STATES),
                    or_(
                        OnboardingRun.lease_owner.is_(None),
                        OnboardingRun.lease_owner == owner,
                        OnboardingRun.lease_expires.is_(None),
                        OnboardingRun.lease_expires < now,
                    ),
                )
                .values(lease_owner=owner, lease_expires=now + lease_seconds)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, run_id: int, owner: str) -> None:
        with session_scope() as s:
            s.execute(
                update(OnboardingRun)
                .where(OnboardingRun.id == run_id, OnboardingRun.lease_owner == owner)
                .values(lease_owner=None, lease_expires=None)
            )

    def begin_step(self, run_id: int, name: str, owner: str, lease_seconds: float) -> None:
        with session_scope() as s:
            renewed = s.execute(
                update(OnboardingRun)
                .where(OnboardingRun.id == run_id, OnboardingRun.lease_owner == owner)
                .values(
                    lease_expires=time.time() + lease_seconds,
                    # cleanup keeps the failed step's name and the compensating state
                    step=OnboardingRun.step if name == CLEANUP else name,
                    state=OnboardingRun.state if name == CLEANUP else "running",
                )
            )
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost(f"run {run_id} is leased by another runner")
            step = _step(s, run_id, name)
            step.state = "running"
            step.started_at = step.started_at or utcnow()

    def record_intent(self, run_id: int, name: str, data: dict[str, Any]) -> None:
        with session_scope() as s:
            step = _step(s, run_id, name)
            step.result = {**(step.result or {}), **data}

    def step_error(self, run_id: int, name: str, message: str, *, failed: bool) -> None:
        with session_scope() as s:
            step = _step(s, run_id, name)
            step.error = message
            if failed:
                step.state = "failed"
                step.finished_at = utcnow()
            else:
                step.failures += 1

    def finish_step(self, run_id: int, name: str, outcome: Outcome) -> None:
        with session_scope() as s:
            step = _step(s, run_id, name)
            step.state = "skipped" if outcome.skipped else "done"
            step.result = {**(step.result or {}), **outcome.result}
            step.note = outcome.note
            step.error = ""
            step.finished_at = utcnow()
            run = s.get(OnboardingRun, run_id)
            assert run is not None
            for field in ("campaign_id", "client_id"):
                value = outcome.result.get(field)
                if value is not None:
                    setattr(run, field, int(value))

    def fail(self, run_id: int, name: str, message: str) -> None:
        with session_scope() as s:
            step = _step(s, run_id, name)
            step.state, step.error, step.finished_at = "failed", message, utcnow()
            run = s.get(OnboardingRun, run_id)
            assert run is not None
            run.state, run.step, run.error = "compensating", name, f"{name}: {message}"

    def finish(self, run_id: int, state: str, cleanup: str = "") -> None:
        with session_scope() as s:
            run = s.get(OnboardingRun, run_id)
            assert run is not None
            run.state, run.finished_at = state, utcnow()
            if cleanup:
                run.cleanup = cleanup
            if state == "succeeded":
                run.step = None
            else:  # the name is free again (or still taken on Smartlead, which validation sees)
                run.active_name = None

    def mark_notified(self, run_id: int) -> None:
        with session_scope() as s:
            s.execute(update(OnboardingRun).where(OnboardingRun.id == run_id).values(notified=True))
