"""The intake buffer's Redis arithmetic: chunking, due times, claims, leases, fencing, splits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from workers.intake import buffer, settings

A, C = 7, "501"


@pytest.fixture(autouse=True)
def _fresh_intake_settings() -> Any:
    settings.reset_intake_settings()
    yield
    settings.reset_intake_settings()


def _fill(
    r: Any,
    n: int,
    *,
    now: float = 1000.0,
    size: int = 3,
    delay: float = 5.0,
    campaign: str = C,
    start: int = 0,
) -> list[buffer.BufferResult]:
    return [
        buffer.buffer_lead(
            r,
            A,
            campaign,
            {"email": f"l{i}@x.com"},
            source="clay",
            event_id=f"ev{campaign}-{i}",
            chunk_size=size,
            max_delay=delay,
            now=now + i * 0.001,
        )
        for i in range(start, start + n)
    ]


def _claim(
    r: Any, *, now: float, size: int = 3, delay: float = 5.0, limit: int = 5, k: int = 5
) -> list[tuple[str, int]]:
    return buffer.claim_chunks(
        r,
        A,
        chunk_size=size,
        max_delay=delay,
        limit=limit,
        inflight_limit=k,
        lease_seconds=10,
        now=now,
    )


def _ack(r: Any, cid: str, gen: int) -> bool:
    chunk = buffer.load_chunk(r, cid)
    if chunk is None:
        return False
    chunk.fencing_token = gen  # the holder's generation, as start_chunk handed it out
    return buffer.ack_chunk(r, chunk)


def test_first_lead_and_each_full_chunk_are_signalled(fake_redis: Any) -> None:
    results = _fill(fake_redis, 7, size=3)
    assert [x.first for x in results] == [True] + [False] * 6
    assert [x.full for x in results] == [False, False, True, False, False, True, False]
    assert results[-1].length == 7


def test_same_event_id_is_buffered_once(fake_redis: Any) -> None:
    first = buffer.buffer_lead(fake_redis, A, C, {"email": "a@x.com"}, source="clay", event_id="e1")
    again = buffer.buffer_lead(fake_redis, A, C, {"email": "a@x.com"}, source="clay", event_id="e1")
    assert first.accepted and not again.accepted
    assert fake_redis.llen(buffer.buf_key(A, C)) == 1


def test_same_email_is_pending_once_per_campaign_until_its_chunk_is_acked(fake_redis: Any) -> None:
    first = buffer.buffer_lead(
        fake_redis, A, C, {"email": "a@x.com"}, source="clay", event_id="e1", chunk_size=1
    )
    again = buffer.buffer_lead(fake_redis, A, C, {"email": "A@x.com"}, source="form", event_id="e2")
    other = buffer.buffer_lead(
        fake_redis, A, "999", {"email": "a@x.com"}, source="clay", event_id="e3"
    )
    assert first.accepted and other.accepted
    assert not again.accepted and again.duplicate_email
    [(cid, gen)] = _claim(fake_redis, now=time.time() + 1, size=1, limit=1)
    assert _ack(fake_redis, cid, gen)
    later = buffer.buffer_lead(fake_redis, A, C, {"email": "a@x.com"}, source="clay", event_id="e4")
    assert later.accepted


def test_partial_buffer_is_claimable_only_after_max_delay(fake_redis: Any) -> None:
    _fill(fake_redis, 2, now=1000.0, size=3, delay=5.0)
    assert _claim(fake_redis, now=1004.9) == []
    claims = _claim(fake_redis, now=1005.01)
    assert len(claims) == 1
    chunk = buffer.load_chunk(fake_redis, claims[0][0])
    assert chunk is not None and [x["email"] for x in chunk.leads] == ["l0@x.com", "l1@x.com"]
    assert buffer.next_due(fake_redis, A) is None


def test_full_buffer_is_cut_into_chunks_in_order_and_remainder_keeps_its_age(
    fake_redis: Any,
) -> None:
    _fill(fake_redis, 7, now=1000.0, size=3)
    claims = _claim(fake_redis, now=1000.1)
    # two full chunks now; the 7th lead waits for its own delay (it arrived at ~1000.006)
    assert len(claims) == 2
    emails = [[x["email"] for x in buffer.load_chunk(fake_redis, c).leads] for c, _ in claims]
    assert emails == [["l0@x.com", "l1@x.com", "l2@x.com"], ["l3@x.com", "l4@x.com", "l5@x.com"]]
    assert buffer.next_due(fake_redis, A) == pytest.approx(1005.006, abs=1e-3)


def test_inflight_limit_keeps_the_rest_in_redis(fake_redis: Any) -> None:
    _fill(fake_redis, 9, size=3)
    claims = _claim(fake_redis, now=1000.1, k=2)
    assert len(claims) == 2
    assert _claim(fake_redis, now=1000.2, k=2) == []
    cid, gen = claims[0]
    assert _ack(fake_redis, cid, gen)
    assert len(_claim(fake_redis, now=1000.3, k=2)) == 1


def test_stale_generation_is_fenced_out_after_the_reaper_hands_the_chunk_on(
    fake_redis: Any,
) -> None:
    _fill(fake_redis, 3, size=3)
    [(cid, gen)] = _claim(fake_redis, now=1000.1)
    assert buffer.start_chunk(fake_redis, cid, gen, now=1000.2) is not None
    reaped = buffer.reap_expired(fake_redis, now=1000.2 + 10_000)
    assert reaped == [(cid, gen + 1, A)]
    assert buffer.start_chunk(fake_redis, cid, gen) is None
    assert not buffer.mark_sending(fake_redis, cid, gen)
    assert not _ack(fake_redis, cid, gen)
    chunk = buffer.start_chunk(fake_redis, cid, gen + 1)
    assert chunk is not None and not chunk.resend  # it died before sending: not a re-send


def test_chunk_left_sending_by_a_dead_worker_comes_back_marked_resend(fake_redis: Any) -> None:
    _fill(fake_redis, 3, size=3)
    [(cid, gen)] = _claim(fake_redis, now=1000.1)
    buffer.start_chunk(fake_redis, cid, gen, now=1000.2)
    assert buffer.mark_sending(fake_redis, cid, gen, now=1000.3)
    assert buffer.reap_expired(fake_redis, now=1050.0) == []  # lease (90 s) not over yet
    [(_, gen2, _)] = buffer.reap_expired(fake_redis, now=1000.3 + 91)
    chunk = buffer.start_chunk(fake_redis, cid, gen2)
    assert chunk is not None and chunk.resend


def test_redelivered_task_finding_its_chunk_sending_marks_it_resend(fake_redis: Any) -> None:
    _fill(fake_redis, 3, size=3)
    [(cid, gen)] = _claim(fake_redis, now=1000.1)
    buffer.start_chunk(fake_redis, cid, gen)
    buffer.mark_sending(fake_redis, cid, gen)
    again = buffer.start_chunk(fake_redis, cid, gen)
    assert again is not None and again.resend


def test_deferred_chunk_is_not_a_resend(fake_redis: Any) -> None:
    _fill(fake_redis, 3, size=3)
    [(cid, gen)] = _claim(fake_redis, now=1000.1)
    buffer.start_chunk(fake_redis, cid, gen)
    buffer.mark_sending(fake_redis, cid, gen)
    assert buffer.defer_chunk(fake_redis, cid, gen, 30.0)
    again = buffer.start_chunk(fake_redis, cid, gen)
    assert again is not None and not again.resend


def test_split_replaces_a_chunk_by_halves_claimed_before_new_chunks(fake_redis: Any) -> None:
    _fill(fake_redis, 5, size=5)
    [(cid, gen)] = _claim(fake_redis, now=1000.1, size=5)
    _fill(fake_redis, 5, size=5, start=5)
    halves = buffer.split_chunk(fake_redis, cid, gen, A)
    assert len(halves) == 2
    assert buffer.load_chunk(fake_redis, cid) is None
    claims = _claim(fake_redis, now=1000.2, size=5, limit=3, k=3)
    assert [c for c, _ in claims[:2]] == halves
    sizes = [len(buffer.load_chunk(fake_redis, c).leads) for c, _ in claims]
    assert sizes == [3, 2, 5]


def test_reaper_forgets_leases_of_acked_chunks(fake_redis: Any) -> None:
    _fill(fake_redis, 3, size=3)
    [(cid, gen)] = _claim(fake_redis, now=1000.1)
    _ack(fake_redis, cid, gen)
    assert buffer.reap_expired(fake_redis, now=10**9) == []
    assert fake_redis.zcard(buffer.LEASES_KEY) == 0


def test_one_flush_per_account_is_scheduled_until_it_is_due(fake_redis: Any) -> None:
    assert buffer.want_flush_at(fake_redis, A, 1005.0, now=1000.0)
    assert not buffer.want_flush_at(fake_redis, A, 1006.0, now=1000.5)
    assert buffer.want_flush_at(fake_redis, A, 1003.0, now=1000.6)  # earlier: schedule again
    assert buffer.want_flush_at(fake_redis, A, 1020.0, now=1010.0)  # the old one is past
    assert buffer.want_flush_at(fake_redis, A, 1020.5, now=1020.1)  # ... even just past


def test_chunk_size_is_capped_by_the_per_request_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.effective_chunk_size(400) == 100
    monkeypatch.setenv("LEADOPS_INTAKE_MAX_LEADS_PER_REQUEST", "350")
    settings.reset_intake_settings()
    assert settings.effective_chunk_size(400) == 350
    assert settings.effective_chunk_size(50) == 50
