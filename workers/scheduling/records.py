"""The record of every scheduled run (table ``scheduled_runs``), and the bulk statements the
dispatcher uses so that a tick costs a constant number of database round trips.

One row per (check, account, local period, seq): seq 0 is the period's scheduled (or first
manual) run, guarded by the unique constraint as the second line behind the Redis claim; a
forced manual run takes the next seq and says so (``forced``).

States: queued -> running -> done | skipped (reason) | failed (error). ``running`` stays
claimable by the same run id: a retried or redelivered task picks it up again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workers.models import Base, utcnow

RunState = Literal["queued", "running", "done", "skipped", "failed"]
TERMINAL_STATES: frozenset[str] = frozenset({"done", "skipped", "failed"})
OPEN_STATES: tuple[str, ...] = ("queued", "running")


class ScheduledRun(Base):
    """One run of a scheduled check for one account and one local period."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        # Leading columns serve the dispatcher's "what already ran in these periods" query.
        UniqueConstraint("check_name", "period_key", "seq", "account_id", name="uq_scheduled_run"),
        Index("ix_scheduled_runs_open", "check_name", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_name: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    period_key: Mapped[str] = mapped_column(String(16))  # "2026-12-01" | "2026-W49"
    seq: Mapped[int] = mapped_column(Integer, default=0)  # 0: the period's run; n: forced extra
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)  # forced dry run (CLI)
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")  # schedule | manual
    state: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str] = mapped_column(Text, default="")  # why skipped
    due_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    def __repr__(self) -> str:
        return (
            f"<ScheduledRun id={self.id} {self.check_name} account={self.account_id} "
            f"{self.period_key}#{self.seq} {self.state}>"
        )


@dataclass(frozen=True)
class NewRun:
    """A run the dispatcher claimed in Redis and wants recorded."""

    account_id: int
    period_key: str
    due_at: dt.datetime
    task_id: str


# ---- bulk statements (one round trip each, whatever the number of accounts) ---------------
def claimed_in_periods(
    session: Session, check: str, period_keys: Sequence[str]
) -> set[tuple[int, str]]:
    """(account id, period key) pairs that already have the period's run (seq 0)."""
    if not period_keys:
        return set()
    rows = session.execute(
        select(ScheduledRun.account_id, ScheduledRun.period_key).where(
            ScheduledRun.check_name == check,
            ScheduledRun.period_key.in_(sorted(set(period_keys))),
            ScheduledRun.seq == 0,
        )
    ).tuples()
    return {(int(a), str(p)) for a, p in rows}


# Fixed column list (no input is ever formatted into the SQL).
_INSERT_COLUMNS = (
    "check_name, account_id, period_key, seq, forced, dry_run, trigger, state, reason, due_at,"
    " created_at, updated_at, attempts, summary, error, task_id"
)
# Rows travel as one JSON parameter and are unpacked by the database, so the statement count
# stays one however many runs a tick records. ON CONFLICT DO NOTHING: the unique constraint is
# the second guard (a claim lost in Redis, two dispatchers); RETURNING says what was inserted.
_INSERT_SQLITE = text(
    f"INSERT INTO scheduled_runs ({_INSERT_COLUMNS}) "  # noqa: S608
    "SELECT :check, json_extract(r.value, '$.a'), json_extract(r.value, '$.p'), 0, 0, 0,"
    " 'schedule', 'queued', '', json_extract(r.value, '$.d'), :now, :now, 0, '{}', '',"
    " json_extract(r.value, '$.t') FROM json_each(:rows) AS r WHERE 1 "
    "ON CONFLICT DO NOTHING RETURNING id, account_id, period_key, task_id"
)
_INSERT_POSTGRES = text(
    f"INSERT INTO scheduled_runs ({_INSERT_COLUMNS}) "  # noqa: S608
    "SELECT :check, r.a, r.p, 0, false, false, 'schedule', 'queued', '', r.d, :now, :now, 0,"
    " '{}', '', r.t FROM jsonb_to_recordset(CAST(:rows AS jsonb))"
    " AS r(a integer, p text, d timestamptz, t text) "
    "ON CONFLICT DO NOTHING RETURNING id, account_id, period_key, task_id"
)


def _sqlite_timestamp(value: dt.datetime) -> str:
    """The text form SQLAlchemy's SQLite DateTime stores (UTC, naive) so rows sort and load."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_runs(
    session: Session, check: str, runs: Sequence[NewRun], now: dt.datetime
) -> list[tuple[int, int, str, str]]:
    """Record claimed runs as queued: (run id, account id, period key, task id) of the rows
    inserted; a row whose (check, period, seq 0, account) exists is left out."""
    if not runs:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp = _sqlite_timestamp if sqlite else (lambda v: v.astimezone(dt.UTC).isoformat())
    payload = json.dumps(
        [
            {"a": r.account_id, "p": r.period_key, "d": stamp(r.due_at), "t": r.task_id}
            for r in runs
        ],
        separators=(",", ":"),
    )
    stmt = (_INSERT_SQLITE if sqlite else _INSERT_POSTGRES).bindparams(
        bindparam("now", type_=DateTime(timezone=True))
    )
    rows = session.execute(stmt, {"check": check, "rows": payload, "now": now}).tuples()
    return [(int(i), int(a), str(p), str(t)) for i, a, p, t in rows]


def stale_open_runs(
    session: Session, check: str, older_than: dt.datetime, limit: int = 1000
) -> list[ScheduledRun]:
    """Queued/running runs nobody touched since ``older_than``: their message was lost or
    expired (a worker that has it would have marked it running or finished it)."""
    return list(
        session.scalars(
            select(ScheduledRun)
            .where(
                ScheduledRun.check_name == check,
                ScheduledRun.state.in_(OPEN_STATES),
                ScheduledRun.updated_at < older_than,
            )
            .order_by(ScheduledRun.id)
            .limit(limit)
        )
    )


def next_seq(session: Session, check: str, account_id: int, period_key: str) -> int:
    """The seq a forced extra run of the period takes."""
    current = session.scalar(
        select(func.max(ScheduledRun.seq)).where(
            ScheduledRun.check_name == check,
            ScheduledRun.account_id == account_id,
            ScheduledRun.period_key == period_key,
        )
    )
    return 1 if current is None else int(current) + 1


def period_run(
    session: Session, check: str, account_id: int, period_key: str
) -> ScheduledRun | None:
    """The period's run (seq 0), if any."""
    return session.scalar(
        select(ScheduledRun).where(
            ScheduledRun.check_name == check,
            ScheduledRun.account_id == account_id,
            ScheduledRun.period_key == period_key,
            ScheduledRun.seq == 0,
        )
    )


__all__ = [
    "NewRun",
    "OPEN_STATES",
    "RunState",
    "ScheduledRun",
    "TERMINAL_STATES",
    "claimed_in_periods",
    "insert_runs",
    "next_seq",
    "period_run",
    "stale_open_runs",
]
