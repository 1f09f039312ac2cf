"""Automation 6: propagate a blocked address to every Smartlead account the agency's scope
reaches, exactly once per account.

One ``BlockPush`` row per (address, target account). The unique row is what makes propagation
exactly-once: a push task first *claims* its row (pending -> sending, a conditional update), so
a duplicate or redelivered task finds it claimed or done and makes no second block-list call.
The block itself is recorded in the shared store (``workers.blocklist``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers import audit
from workers.accounts import automation_config, get_account
from workers.automations import BlocklistParams
from workers.blocklist import add_block, normalise
from workers.celery_app import app
from workers.clients.errors import ApiError, PermanentError
from workers.db import session_scope
from workers.models import Account, BlockedAddress, BlockPush, ProcessedEvent, utcnow
from workers.task_names import PUSH_BLOCK

PUSH_TASK = PUSH_BLOCK
# A push left in "sending" this long (worker killed mid-call) may be claimed again.
STALE_CLAIM = timedelta(minutes=5)


def scope_label(params: BlocklistParams, source: Account | None) -> str:
    """How a scope is stored on BlockedAddress: 'account', 'all' or 'group:<name>'."""
    if params.scope == "group":
        return f"group:{params.group or (source.group_name if source else '') or ''}"
    return params.scope


def target_accounts(session: Session, scope: str, source: Account | None) -> list[Account]:
    """Active accounts with a Smartlead key that a block in ``scope`` reaches.

    ``scope``: 'account' (the source account only), 'all', 'group:<name>' (Account.group_name;
    an empty name means the source account's group), or 'account:<slug>' (one named account).
    """
    q = select(Account).where(Account.active.is_(True), Account.smartlead_api_key.is_not(None))
    if scope == "all":
        pass
    elif scope == "account":
        if source is None:
            raise ValueError("scope 'account' needs a source account")
        q = q.where(Account.id == source.id)
    elif scope.startswith("account:"):
        q = q.where(Account.slug == scope.split(":", 1)[1])
    elif scope.startswith("group:"):
        name = scope.split(":", 1)[1] or (source.group_name if source else None)
        if not name:
            raise ValueError(
                "group scope without a group name (set BlocklistParams.group or "
                "the account's group)"
            )
        q = q.where(Account.group_name == name)
    else:
        raise ValueError(
            f"unknown block scope {scope!r} (all | account | account:SLUG | group:NAME)"
        )
    return list(session.scalars(q.order_by(Account.id)))


@dataclass(frozen=True)
class BlockPlan:
    blocked_id: int
    value: str
    created: bool  # the address was new to LeadOps
    new_account_ids: list[int]  # accounts that got a push row now (one call each to come)
    pending_account_ids: list[int]  # all accounts whose push is not done yet (incl. new)


def plan_pushes(
    session: Session, blocked: BlockedAddress, accounts: Iterable[Account]
) -> tuple[list[int], list[int]]:
    """One BlockPush row per target account that has none yet: (new ids, not-yet-done ids)."""
    wanted = [a.id for a in accounts]
    existing = {
        p.account_id: p
        for p in session.scalars(
            select(BlockPush).where(
                BlockPush.blocked_id == blocked.id, BlockPush.account_id.in_(wanted)
            )
        )
    }
    new_ids: list[int] = []
    for account_id in wanted:
        if account_id in existing:
            continue
        try:
            with session.begin_nested():
                session.add(BlockPush(blocked_id=blocked.id, account_id=account_id))
                session.flush()
            new_ids.append(account_id)
        except IntegrityError:
            continue  # a concurrent request planned it
    # A refused push ("failed") is tried again when the address is blocked again or replayed.
    pending = [a for a in wanted if a in new_ids or existing[a].status != "done"]
    return new_ids, pending


def request_block(
    session: Session, value: str, *, reason: str, source: Account | None, scope: str
) -> BlockPlan:
    """Record the block and the pushes it needs; the caller commits, then ``enqueue_pushes``."""
    accounts = target_accounts(session, scope, source)
    blocked, created = add_block(
        session, value, reason=reason, source_account_id=source.id if source else None, scope=scope
    )
    new_ids, pending = plan_pushes(session, blocked, accounts)
    return BlockPlan(blocked.id, blocked.value, created, new_ids, pending)


def enqueue_pushes(
    blocked_id: int, account_ids: Iterable[int], send_task: Callable[..., Any] | None = None
) -> int:
    """Send one push task per account (by name). Duplicates are harmless: pushes are claimed."""
    if send_task is None:
        send_task = app.send_task
    n = 0
    for account_id in account_ids:
        send_task(PUSH_TASK, kwargs={"blocked_id": blocked_id, "account_id": account_id})
        n += 1
    return n


class BlockListClient(Protocol):
    def add_to_block_list(self, entries: list[str], client_id: int | None = None) -> Any: ...


def claim_push(session: Session, blocked_id: int, account_id: int) -> bool:
    """pending/failed -> sending, or a stale 'sending' taken over. True when ours.

    'failed' (Smartlead refused the entry: nothing was added) may be tried again: that only
    happens when an operator replays the dead letter or the address is blocked again."""
    stale_before = utcnow() - STALE_CLAIM
    result = session.execute(
        update(BlockPush)
        .where(
            BlockPush.blocked_id == blocked_id,
            BlockPush.account_id == account_id,
            or_(
                BlockPush.status.in_(("pending", "failed")),
                (BlockPush.status == "sending") & (BlockPush.updated_at < stale_before),
            ),
        )
        .values(status="sending", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def finish_push(
    session: Session, blocked_id: int, account_id: int, status: str, detail: str = ""
) -> None:
    session.execute(
        update(BlockPush)
        .where(BlockPush.blocked_id == blocked_id, BlockPush.account_id == account_id)
        .values(status=status, detail=detail[:2000], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def push_status(session: Session, blocked_id: int, account_id: int) -> str | None:
    return session.scalar(
        select(BlockPush.status).where(
            BlockPush.blocked_id == blocked_id, BlockPush.account_id == account_id
        )
    )


def push_one(
    blocked_id: int,
    account_id: int,
    *,
    client_for: Callable[[Account], BlockListClient],
    task_id: str | None = None,
) -> dict[str, Any]:
    """Add one blocked address to one account's Smartlead block list, at most once.

    Errors propagate after the push row is put back (retryable: 'pending') or marked 'failed'
    with the server's message (permanent), so the task layer can retry or dead-letter.
    """

    with session_scope() as s:
        status = push_status(s, blocked_id, account_id)
        if status is None:
            return {"outcome": "skipped", "reason": "no such push"}
        if status == "done":
            return {"outcome": "skipped", "reason": "already done"}
        if not claim_push(s, blocked_id, account_id):
            return {"outcome": "skipped", "reason": "being pushed by another task"}
        blocked = s.get(BlockedAddress, blocked_id)
        account = s.get(Account, account_id)
        if blocked is None or account is None:  # pragma: no cover - cascade deletes the push
            return {"outcome": "skipped", "reason": "address or account gone"}
        value, slug = blocked.value, account.slug
        client = client_for(account)
    try:
        client.add_to_block_list([value], client_id=None)
    except PermanentError as exc:
        with session_scope() as s:  # the task base audits and dead-letters it
            finish_push(s, blocked_id, account_id, "failed", exc.message)
        raise
    except BaseException as exc:  # deferred, 429, 5xx, timeouts, worker shutdown: try again
        detail = exc.message if isinstance(exc, ApiError) else type(exc).__name__
        with session_scope() as s:
            finish_push(s, blocked_id, account_id, "pending", detail)
        raise
    with session_scope() as s:
        finish_push(s, blocked_id, account_id, "done")
        audit.record(
            "blocklist",
            "push",
            "done",
            f"added to {slug}'s Smartlead block list",
            account_id=account_id,
            subject=value,
            details={"blocked_id": blocked_id},
            task_id=task_id,
            session=s,
        )
    return {"outcome": "done", "account": slug, "value": value}


def block_from_event(
    account_id: int,
    event_id: str,
    value: str,
    reason: str,
    *,
    trigger: str,
    send_task: Callable[..., Any] | None = None,
    task_id: str | None = None,
) -> dict[str, Any]:
    """An unsubscribe or a blocking category seen in one account: block the address in every
    account the account's BlocklistParams.scope reaches. A repeat of the event does nothing new.
    """

    scope_key = f"blocklist:{account_id}"
    with session_scope() as s:
        if s.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.scope == scope_key, ProcessedEvent.key == event_id
            )
        ):
            return {"outcome": "skipped", "reason": "event already handled"}
        account = get_account(s, account_id)
        if account is None:
            return {"outcome": "skipped", "reason": f"no account {account_id}"}
        cfg = automation_config(account, "blocklist")
        scope = scope_label(cfg.params, account)
        details: dict[str, Any] = {"trigger": trigger, "scope": scope}
        result: dict[str, Any]
        if not cfg.enabled:
            result = {"outcome": "skipped", "reason": "blocklist automation disabled"}
        elif cfg.dry_run:
            targets = [a.slug for a in target_accounts(s, scope, account)]
            result = {
                "outcome": "dry_run",
                "reason": f"would block in {len(targets)} accounts",
                "accounts": targets,
            }
        else:
            plan = request_block(s, value, reason=reason, source=account, scope=scope)
            result = {
                "outcome": "done",
                "blocked_id": plan.blocked_id,
                "value": plan.value,
                "new_accounts": plan.new_account_ids,
                "pending_accounts": plan.pending_account_ids,
            }
        audit.record(
            "blocklist",
            "block",
            result["outcome"],
            str(result.get("reason", reason)),
            account_id=account_id,
            subject=normalise(value)[1],
            event_id=event_id,
            task_id=task_id,
            details={**details, **result},
            session=s,
        )
    if result["outcome"] == "done":
        # After the commit, so a push task always finds its row. A crash before the ledger row
        # below means the event is handled again: its pushes are enqueued again and the claim
        # in push_one keeps it to one call per account.
        enqueue_pushes(result["blocked_id"], result["pending_accounts"], send_task)
    with session_scope() as s:
        try:
            with s.begin_nested():
                s.add(
                    ProcessedEvent(
                        scope=scope_key,
                        key=event_id[:200],
                        result={k: v for k, v in result.items() if k != "value"},
                    )
                )
                s.flush()
        except IntegrityError:
            pass
    return result
