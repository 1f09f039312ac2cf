"""Redis buffer of accepted leads, cut into chunks for Smartlead's add-leads call.

Most callers want :func:`workers.intake.accept.submit_lead` (validation, block list, the pending
``LeadOutcome`` row, this buffer, and the flush scheduling). This module is the Redis layer it
stands on; every state change is one Lua script, so it is atomic across workers, and every piece
of state is a plain Redis key, so it survives a Redis restart with append-only persistence.

Life of a lead::

    buffer_lead()            -> P:buf:{a}:{c}        list of "ts|json" entries, oldest first
    claim_chunks()           -> P:chunk:{id}         hash (account, campaign, gen, state, resend)
                                P:chunk:{id}:leads   the chunk's entries
                                P:inflight:{a}       chunk ids held by an upload task (<= K)
                                P:leases             zset chunk id -> lease deadline
    start_chunk()/mark_sending()/defer_chunk()       renew the lease; state queued|sending
    ack_chunk()                                      forget the chunk (answer recorded in the DB)
    split_chunk()            -> P:ready:{a}          two halves, claimed before new chunks
    reap_expired()                                   lease over: bump gen, hand the chunk out again

A chunk is claimable when its buffer holds ``chunk_size`` leads or its oldest lead has waited
``max_delay`` seconds (``P:due:{a}`` holds, per campaign, the time the buffer becomes claimable).
``gen`` (``fencing_token`` in Python) is a fencing token: a task holding an older generation (its
lease expired and the chunk was handed to another task) can no longer start, send, defer, split
or ack the chunk. A chunk
found in state ``sending`` by the reaper or by a redelivered task is marked ``resend``: the worker
died between sending it and recording the answer, the only case in which leads are sent twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from workers.intake.buffer_lua import _ACK, _BUFFER, _CLAIM, _FLUSH_AT, _REAP, _SPLIT, _START
from workers.intake.settings import DEFAULT_MAX_LEADS_PER_REQUEST, intake_settings

PREFIX = "leadops:intake"


# ---- keys ---------------------------------------------------------------------------------
def buf_key(account_id: int, campaign_id: str) -> str:
    return f"{PREFIX}:buf:{account_id}:{campaign_id}"


def pending_key(account_id: int, campaign_id: str) -> str:
    """Emails buffered or in flight for the campaign: a second accept of one is a duplicate."""
    return f"{PREFIX}:pending:{account_id}:{campaign_id}"


def due_key(account_id: int) -> str:
    return f"{PREFIX}:due:{account_id}"


def ready_key(account_id: int) -> str:
    return f"{PREFIX}:ready:{account_id}"


def inflight_key(account_id: int) -> str:
    return f"{PREFIX}:inflight:{account_id}"


def event_key(account_id: int, event_id: str) -> str:
    return f"{PREFIX}:ev:{account_id}:{event_id}"


def chunk_key(chunk_id: str) -> str:
    return f"{PREFIX}:chunk:{chunk_id}"


ACCOUNTS_KEY = f"{PREFIX}:accounts"
LEASES_KEY = f"{PREFIX}:leases"
SEQ_KEY = f"{PREFIX}:seq"
RESENDS_KEY = f"{PREFIX}:stats:resends"


def resends_key(account_id: int) -> str:
    return f"{RESENDS_KEY}:{account_id}"


def flush_at_key(account_id: int) -> str:
    return f"{PREFIX}:flush_at:{account_id}"


# ---- results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BufferResult:
    """What :func:`buffer_lead` did.

    ``accepted`` False means nothing was added: the event id was already buffered (idempotent
    accept), or (``duplicate_email``) the same email is already waiting for that campaign.
    ``first``: this lead started an empty buffer (schedule a flush in ``max_delay``).
    ``full``: the buffer just reached a multiple of the chunk size (claim a chunk now).
    """

    accepted: bool
    length: int
    first: bool = False
    full: bool = False
    duplicate_email: bool = False


@dataclass
class Chunk:
    """A claimed chunk: its leads as buffered (``{"email", ..., "custom_fields"}`` dicts)."""

    chunk_id: str
    account_id: int
    campaign_id: str
    fencing_token: int
    resend: bool = False
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def leads(self) -> list[dict[str, Any]]:
        return [e["lead"] for e in self.entries]


def _entry(lead: dict[str, Any], source: str, event_id: str | None, now: float) -> str:
    body = json.dumps(
        {"lead": lead, "source": source, "event_id": event_id},
        separators=(",", ":"),
        sort_keys=True,
    )
    return f"{now:.6f}|{body}"


def _decode_entry(raw: bytes | str) -> dict[str, Any]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ts, body = text.split("|", 1)
    data: dict[str, Any] = json.loads(body)
    data["ts"] = float(ts)
    return data


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _script(redis: Any, source: str) -> Any:
    cache = getattr(redis, "_leadops_scripts", None)
    if cache is None:
        cache = {}
        try:
            redis._leadops_scripts = cache
        except AttributeError:  # pragma: no cover - exotic client
            return redis.register_script(source)
    if source not in cache:
        cache[source] = redis.register_script(source)
    return cache[source]


# ---- API ----------------------------------------------------------------------------------
def buffer_lead(
    redis: Any,
    account_id: int,
    campaign_id: str,
    lead: dict[str, Any],
    *,
    source: str,
    event_id: str | None,
    chunk_size: int = DEFAULT_MAX_LEADS_PER_REQUEST,
    max_delay: float = 5.0,
    now: float | None = None,
) -> BufferResult:
    """Append one lead to the (account, campaign) buffer, once per ``event_id``.

    ``lead`` is a Smartlead lead dict (``email`` required; ``first_name, last_name,
    company_name, website, linkedin_profile, phone_number, location, custom_fields``).
    ``chunk_size`` should already be capped (:func:`effective_chunk_size`). This does not
    record the pending ``LeadOutcome`` nor schedule the flush:
    :func:`workers.intake.accept.submit_lead` does both, and is what automations should call.
    """
    now = time.time() if now is None else now
    ev = event_key(account_id, event_id) if event_id else ""
    res = _script(redis, _BUFFER)(
        keys=[
            ev,
            buf_key(account_id, campaign_id),
            due_key(account_id),
            ACCOUNTS_KEY,
            pending_key(account_id, campaign_id),
        ],
        args=[
            _entry(lead, source, event_id, now),
            now,
            max_delay,
            max(1, chunk_size),
            intake_settings().event_ttl_seconds,
            campaign_id,
            account_id,
            str(lead["email"]).lower(),
        ],
    )
    status, length, first, full = (int(x) for x in res)
    return BufferResult(status == 1, length, bool(first), bool(full), status == 2)


def claim_chunks(
    redis: Any,
    account_id: int,
    *,
    chunk_size: int,
    max_delay: float,
    limit: int = 1,
    inflight_limit: int | None = None,
    lease_seconds: float | None = None,
    now: float | None = None,
) -> list[tuple[str, int]]:
    """Atomically claim up to ``limit`` chunks of the account, keeping at most
    ``inflight_limit`` chunks in flight. Returns ``[(chunk_id, fencing_token), ...]``: hand each to
    exactly one upload task. Split halves go first, then the most overdue buffer."""
    cfg = intake_settings()
    now = time.time() if now is None else now
    res = _script(redis, _CLAIM)(
        keys=[
            ready_key(account_id),
            due_key(account_id),
            inflight_key(account_id),
            LEASES_KEY,
            SEQ_KEY,
        ],
        args=[
            account_id,
            now,
            max(1, chunk_size),
            cfg.inflight_per_account if inflight_limit is None else inflight_limit,
            limit,
            cfg.queue_lease_seconds if lease_seconds is None else lease_seconds,
            max_delay,
            PREFIX,
        ],
    )
    return [(_text(res[i]), int(res[i + 1])) for i in range(0, len(res), 2)]


def load_chunk(redis: Any, chunk_id: str) -> Chunk | None:
    """The chunk's metadata and leads (None when it was acked or split)."""
    meta = {_text(k): _text(v) for k, v in redis.hgetall(chunk_key(chunk_id)).items()}
    if not meta or "campaign" not in meta:
        return None
    raw = redis.lrange(chunk_key(chunk_id) + ":leads", 0, -1)
    return Chunk(
        chunk_id,
        int(meta["account"]),
        meta["campaign"],
        int(meta["gen"]),
        meta.get("resend") == "1",
        [_decode_entry(x) for x in raw],
    )


def _lease_op(
    redis: Any, chunk_id: str, fencing_token: int, mode: str, seconds: float, now: float | None
) -> bool:
    now = time.time() if now is None else now
    return bool(
        _script(redis, _START)(
            keys=[chunk_key(chunk_id), LEASES_KEY],
            args=[chunk_id, fencing_token, now, seconds, mode],
        )
    )


def start_chunk(
    redis: Any, chunk_id: str, fencing_token: int, *, now: float | None = None
) -> Chunk | None:
    """Take the chunk for this task (fenced by ``fencing_token``) and renew its lease; None when the
    chunk is gone or was handed to a newer task. A chunk left in state ``sending`` by a dead
    worker comes back with ``resend=True``."""
    if not _lease_op(redis, chunk_id, fencing_token, "start", intake_settings().lease_seconds, now):
        return None
    return load_chunk(redis, chunk_id)


def mark_sending(
    redis: Any, chunk_id: str, fencing_token: int, *, now: float | None = None
) -> bool:
    """Record that the request is about to go out (renews the lease). From here until
    :func:`ack_chunk`, a lapsed lease means a possible re-send."""
    return _lease_op(
        redis, chunk_id, fencing_token, "sending", intake_settings().lease_seconds, now
    )


def defer_chunk(
    redis: Any,
    chunk_id: str,
    fencing_token: int,
    seconds: float,
    *,
    now: float | None = None,
    maybe_applied: bool = False,
) -> bool:
    """The request got an answer (error or 429) or never left: the task retries in
    ``seconds``. Holds the chunk that long plus the queue lease. ``maybe_applied``: the
    attempt may have reached Smartlead (a 5xx or a timeout, e.g. a ghost 504), so the next
    send is a re-send: "already in campaign" then means added by that attempt."""
    return _lease_op(
        redis,
        chunk_id,
        fencing_token,
        "defer_applied" if maybe_applied else "defer",
        seconds + intake_settings().queue_lease_seconds,
        now,
    )


def ack_chunk(redis: Any, chunk: Chunk) -> bool:
    """Forget the chunk (every lead's outcome is recorded) and release its emails from the
    campaign's pending set. False when fenced out."""
    ck = chunk_key(chunk.chunk_id)
    emails = [str(e["lead"]["email"]).lower() for e in chunk.entries]
    return bool(
        _script(redis, _ACK)(
            keys=[
                ck,
                ck + ":leads",
                inflight_key(chunk.account_id),
                LEASES_KEY,
                pending_key(chunk.account_id, chunk.campaign_id),
            ],
            args=[chunk.chunk_id, chunk.fencing_token, *emails],
        )
    )


def split_chunk(
    redis: Any, chunk_id: str, fencing_token: int, account_id: int, *, now: float | None = None
) -> list[str]:
    """Replace the chunk by its two halves, queued ahead of new chunks (to isolate a lead
    Smartlead refuses as a whole-request validation error). Returns the halves' ids."""
    now = time.time() if now is None else now
    ck = chunk_key(chunk_id)
    res = _script(redis, _SPLIT)(
        keys=[
            ck,
            ck + ":leads",
            inflight_key(account_id),
            LEASES_KEY,
            ready_key(account_id),
            SEQ_KEY,
        ],
        args=[chunk_id, fencing_token, account_id, PREFIX, now],
    )
    return [_text(x) for x in res]


def reap_expired(
    redis: Any, *, now: float | None = None, limit: int = 500
) -> list[tuple[str, int, int]]:
    """Chunks whose lease lapsed (their worker died): bump ``fencing_token`` and return
    ``[(chunk_id, fencing_token, account_id)]`` to hand to a new upload task each."""
    now = time.time() if now is None else now
    res = _script(redis, _REAP)(
        keys=[LEASES_KEY], args=[now, intake_settings().queue_lease_seconds, PREFIX, limit]
    )
    return [(_text(res[i]), int(res[i + 1]), int(_text(res[i + 2]))) for i in range(0, len(res), 3)]


def want_flush_at(redis: Any, account_id: int, at: float, *, now: float | None = None) -> bool:
    """True when no flush for this account is already scheduled at or before ``at``: the
    caller then schedules one (this keeps one countdown task per account, not one per lead)."""
    now = time.time() if now is None else now
    ttl = max(2, int(at - now) + 60)
    return bool(_script(redis, _FLUSH_AT)(keys=[flush_at_key(account_id)], args=[at, now, ttl]))


def next_due(redis: Any, account_id: int) -> float | None:
    """When the account's most overdue buffer is (or becomes) claimable; None when empty."""
    res = redis.zrange(due_key(account_id), 0, 0, withscores=True)
    return float(res[0][1]) if res else None


def count_resend(redis: Any, account_id: int) -> int:
    """One chunk re-sent (it went out again after an attempt that may have been applied: a
    worker died mid-upload, or a 5xx/timeout). Counted once per real send, never for an
    attempt deferred before it left."""
    pipe = redis.pipeline()
    pipe.incr(RESENDS_KEY)
    pipe.incr(resends_key(account_id))
    return int(pipe.execute()[1])


def buffered_accounts(redis: Any) -> list[int]:
    return sorted(int(_text(x)) for x in redis.smembers(ACCOUNTS_KEY))


def account_state(redis: Any, account_id: int) -> dict[str, Any]:
    """Buffered leads per campaign, ready/in-flight chunks and re-sends (for the CLI)."""
    buffered: dict[str, int] = {}
    for camp in redis.zrange(due_key(account_id), 0, -1):
        c = _text(camp)
        buffered[c] = int(redis.llen(buf_key(account_id, c)))
    return {
        "buffered": buffered,
        "ready_chunks": int(redis.llen(ready_key(account_id))),
        "inflight_chunks": int(redis.scard(inflight_key(account_id))),
        "resends": int(redis.get(resends_key(account_id)) or 0),
    }
