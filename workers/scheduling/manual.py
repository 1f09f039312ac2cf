"""A run asked for by an operator (``leadops run CHECK --account A``): the same claim, record and
task as a scheduled one, for the account's current local period.

Without ``force`` it is the period's run (seq 0): refused when the period already has one, and
the tick will not run the period again. With ``force`` it is an extra run of the period (next
seq, ``forced``), whatever ran before; it leaves the period's own claim alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from workers.accounts import automation_config
from workers.db import session_scope
from workers.models import Account
from workers.scheduling import claims, metrics
from workers.scheduling.due import current_slot, effective_local_time, zone
from workers.scheduling.records import ScheduledRun, next_seq, period_run
from workers.scheduling.registry import get_check


class AlreadyRan(Exception):
    """The period already has its run; ``--force`` records a second one."""

    def __init__(self, run_id: int, state: str, period_key: str) -> None:
        self.run_id, self.state, self.period_key = run_id, state, period_key
        super().__init__(
            f"period {period_key} already has run {run_id} ({state}); --force runs it again"
        )


@dataclass(frozen=True)
class Requested:
    run_id: int
    task_id: str
    period_key: str
    seq: int


def request_run(
    check_name: str,
    account_id: int,
    *,
    force: bool = False,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    send: bool = True,
) -> Requested:
    """Claim and record a manual run of ``check_name`` for the account, and enqueue its task."""
    from workers.redis_client import redis_client

    check = get_check(check_name)
    now = now or dt.datetime.now(dt.UTC)
    r = redis_client()
    with session_scope() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise LookupError(f"no account {account_id}")
        local_time = effective_local_time(check, automation_config(account, check.name).params)
        slot = current_slot(check, local_time, zone(account.timezone or "UTC"), now)
        task_id = str(uuid.uuid4())
        if force:
            seq = next_seq(s, check.name, account_id, slot.period_key)
        else:
            existing = period_run(s, check.name, account_id, slot.period_key)
            if existing is not None:
                raise AlreadyRan(existing.id, existing.state, slot.period_key)
            token = claims.new_token()
            if not claims.claim_many(r, check.name, [(account_id, slot.period_key)], token)[0]:
                holder = claims.holder(r, check.name, account_id, slot.period_key) or "?"
                raise AlreadyRan(int(holder) if holder.isdigit() else 0, "claimed", slot.period_key)
            seq = 0
        run = ScheduledRun(
            check_name=check.name,
            account_id=account_id,
            period_key=slot.period_key,
            seq=seq,
            forced=force,
            dry_run=dry_run,
            trigger="manual",
            state="queued",
            due_at=now,
            task_id=task_id,
        )
        s.add(run)
        try:
            s.flush()
        except IntegrityError:
            raise AlreadyRan(0, "recorded concurrently", slot.period_key) from None
        run_id = run.id
    if seq == 0:
        hold = int((slot.ends_at + check.grace - now).total_seconds()) + claims.MIN_HOLD_SECONDS
        claims.bind_many(r, check.name, [(account_id, slot.period_key, run_id, hold)])
    metrics.count_runs(r, check.name, "queued")
    if send:
        from workers.scheduling.dispatch import celery_sender

        sender, close = celery_sender()
        try:
            sender(check.task_name, run_id, task_id, 0.0, 3600.0)
        finally:
            close()
    return Requested(run_id, task_id, slot.period_key, seq)


__all__ = ["AlreadyRan", "Requested", "request_run"]
