"""Hand buffered leads to upload tasks: claim full or due chunks, schedule the next flush, and
the Beat sweep that re-queues chunks whose worker died.

The account's intake settings (chunk size, max delay, default campaign) are stored with
automation 1's parameters (``ClayIntakeParams``, key ``clay_intake``), since Clay is the path
they were made for; forms, visits and CSV imports use the same buffer and the same settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from workers.accounts import automation_config, get_account
from workers.celery_app import app
from workers.db import session_scope
from workers.intake import buffer, settings
from workers.logging import get_logger
from workers.redis_client import redis_client
from workers.task_names import FLUSH_INTAKE, UPLOAD_CHUNK

log = get_logger("leadops.intake")

INTAKE_SETTINGS = "clay_intake"  # the AUTOMATIONS key whose params hold the intake settings
PARAMS_TTL = 5.0


@dataclass(frozen=True)
class IntakeParams:
    exists: bool
    chunk_size: int = settings.DEFAULT_MAX_LEADS_PER_REQUEST
    max_delay: float = 5.0
    default_campaign_id: str | None = None


_params: dict[int, tuple[float, IntakeParams]] = {}


def reset_caches() -> None:
    _params.clear()
    settings.reset_intake_settings()


def intake_params(account_id: int) -> IntakeParams:
    """The account's chunk size (capped), max delay and default campaign (cached a few s)."""
    hit = _params.get(account_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    with session_scope() as s:
        account = get_account(s, account_id)
        if account is None or not account.active:
            value = IntakeParams(exists=False)
        else:
            params = automation_config(account, INTAKE_SETTINGS).params
            value = IntakeParams(
                True,
                settings.effective_chunk_size(params.chunk_size),
                float(params.max_delay_seconds),
                params.default_campaign_id,
            )
    _params[account_id] = (time.monotonic() + PARAMS_TTL, value)
    return value


def send(name: str, kwargs: dict[str, Any], countdown: float | None = None) -> None:
    """Publish a task by name (the one place this package sends; unit tests capture it)."""
    app.send_task(name, kwargs=kwargs, countdown=countdown)


def send_upload(account_id: int, chunk_id: str, fencing_token: int) -> None:
    """One ``upload_chunk`` task for a claimed chunk, fenced by the claim's token."""
    send(UPLOAD_CHUNK, {"account_id": account_id, "chunk_id": chunk_id, "gen": fencing_token})


def schedule_flush(account_id: int, at: float, *, redis: Any = None) -> bool:
    """Make sure a flush runs for the account at ``at`` (one pending flush per account)."""
    r = redis if redis is not None else redis_client()
    if not buffer.want_flush_at(r, account_id, at):
        return False
    send(FLUSH_INTAKE, {"account_id": account_id}, countdown=max(0.0, at - time.time()))
    return True


def dispatch(account_id: int, *, redis: Any = None, params: IntakeParams | None = None) -> int:
    """Claim what the account may upload now (at most K chunks in flight) and hand each chunk
    to one ``upload_chunk`` task; schedule a flush for the next buffer not yet due."""
    r = redis if redis is not None else redis_client()
    params = params or intake_params(account_id)
    if not params.exists:
        params = IntakeParams(True)  # an account deleted mid-flight: drain with defaults
    claims = buffer.claim_chunks(
        r,
        account_id,
        chunk_size=params.chunk_size,
        max_delay=params.max_delay,
        limit=settings.intake_settings().inflight_per_account,
    )
    for chunk_id, fencing_token in claims:
        send_upload(account_id, chunk_id, fencing_token)
    due = buffer.next_due(r, account_id)
    if due is not None and due > time.time():
        schedule_flush(account_id, due, redis=r)
    if claims:
        log.info("chunks_dispatched", account_id=account_id, chunks=[c for c, _ in claims])
    return len(claims)


def sweep(*, redis: Any = None) -> dict[str, int]:
    """Safety net run by Beat: hand chunks whose worker died to new tasks, and dispatch
    buffers that are due (a lost flush message, a full account freed)."""
    r = redis if redis is not None else redis_client()
    reaped = buffer.reap_expired(r)
    for chunk_id, fencing_token, account_id in reaped:
        log.warning(
            "chunk_lease_expired",
            chunk_id=chunk_id,
            account_id=account_id,
            fencing_token=fencing_token,
        )
        send_upload(account_id, chunk_id, fencing_token)
    dispatched = 0
    now = time.time()
    for account_id in buffer.buffered_accounts(r):
        due = buffer.next_due(r, account_id)
        if r.llen(buffer.ready_key(account_id)) or (due is not None and due <= now):
            dispatched += dispatch(account_id, redis=r)
    return {"reaped": len(reaped), "dispatched": dispatched}
