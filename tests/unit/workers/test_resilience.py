"""Units of riding out Redis outages and dead workers: the reaper's decisions (fakeredis), the
Beat scheduler's error handling, the countdown/visibility-timeout pairing, the requeue of a task
that lost Redis. The real-process versions are in tests/integration/test_faults.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
import pytest
import redis

from workers.reaper import HELD_PREFIX, Reaper

INDEX = "unacked_index"


def _reaper(client: Any, host: str = "w1@h", grace: float = 10.0) -> Reaper:
    return Reaper(client, host, interval=2.0, grace=grace)


def test_reaper_restores_only_old_tags_no_live_worker_holds_seen_unheld_for_a_grace() -> None:
    r = fakeredis.FakeRedis()
    now = 1_000.0
    r.zadd(INDEX, {"dead-old": now - 60, "held-old": now - 60, "young": now - 1})
    other = _reaper(r, "w2@h")
    other.publish_held({"held-old"})
    me = _reaper(r)
    # First sighting: not yet (a worker between two renewals must not lose its messages).
    assert me.orphans(INDEX, now) == []
    assert me.orphans(INDEX, now + 5) == []
    assert me.orphans(INDEX, now + 10) == ["dead-old"]


def test_a_tag_held_again_between_ticks_is_forgotten_not_restored() -> None:
    r = fakeredis.FakeRedis()
    now = 1_000.0
    r.zadd(INDEX, {"t": now - 60})
    me = _reaper(r)
    assert me.orphans(INDEX, now) == []
    _reaper(r, "w2@h").publish_held({"t"})
    assert me.orphans(INDEX, now + 20) == []
    assert "t" not in me.unheld_since


def test_held_set_expires_when_its_worker_stops_renewing() -> None:
    r = fakeredis.FakeRedis()
    me = _reaper(r)
    me.publish_held({"a", "b"})
    assert me.all_held() == {"a", "b"}
    ttl = r.ttl(HELD_PREFIX + "w1@h")
    assert 0 < ttl <= 6  # three ticks of 2 s
    me.publish_held(set())
    assert me.all_held() == set()


def test_only_one_worker_takes_a_slot_per_interval() -> None:
    r = fakeredis.FakeRedis()
    assert _reaper(r, "a").take_slot("slot", 5) is True
    assert _reaper(r, "b").take_slot("slot", 5) is False


def test_settings_refuse_a_visibility_timeout_shorter_than_countdown_plus_task_run() -> None:
    from workers.settings import Settings

    with pytest.raises(ValueError, match="VISIBILITY_TIMEOUT"):
        Settings(visibility_timeout=3600, max_countdown_seconds=3600, task_time_limit=360)
    ok = Settings()
    assert ok.visibility_timeout > ok.max_countdown_seconds + ok.task_time_limit


def test_no_countdown_source_exceeds_the_cap_and_a_longer_eta_is_clamped() -> None:
    """Every countdown the code can produce stays under max_countdown_seconds, and a message
    published with a later ETA anyway is brought forward at publish (so Redis never redelivers
    it as lost)."""
    from workers.automations import ClayIntakeParams
    from workers.celery_app import _clamp_eta, app
    from workers.settings import get_settings
    from workers.task_base import ApiTask, deferral_countdown

    cap = get_settings().max_countdown_seconds
    assert ApiTask.retry_backoff_max < cap
    assert ClayIntakeParams.model_fields["max_delay_seconds"].metadata[-1].le <= cap
    assert deferral_countdown(60.0) < cap

    eta = datetime.now(UTC) + timedelta(hours=10)
    msg = app.amqp.as_task_v2("id1", "tasks.ping.ping", eta=eta)
    headers = dict(msg.headers)
    _clamp_eta(headers=headers)
    clamped = datetime.fromisoformat(headers["eta"])
    assert clamped - datetime.now(UTC) <= timedelta(seconds=cap + 1)
    soon = {"eta": (datetime.now(UTC) + timedelta(seconds=30)).isoformat()}
    before = soon["eta"]
    _clamp_eta(headers=soon)
    assert soon["eta"] == before


def test_a_task_that_loses_redis_hands_its_message_back() -> None:
    from celery import Celery
    from celery.exceptions import Reject

    from workers.celery_app import LeadOpsTask

    local = Celery("t", task_cls=LeadOpsTask, set_as_current=False)

    @local.task(name="t.redis_away")
    def away() -> None:
        raise redis.ConnectionError("Connection refused")

    away.push_request(called_directly=False, id="x")
    try:
        with pytest.raises(Reject) as info:
            away()
    finally:
        away.pop_request()
    assert info.value.requeue is True


class _Lock:
    def __init__(self, exc: BaseException | None = None) -> None:
        self.exc = exc

    def extend(self, *_: Any) -> None:
        if self.exc:
            raise self.exc


def _scheduler(lock: Any) -> Any:
    from workers.beat import LeadOpsScheduler

    s = LeadOpsScheduler.__new__(LeadOpsScheduler)
    s.lock_key, s.lock, s.lock_timeout, s.max_interval = "k", lock, 15, 5
    return s


def test_beat_tick_backs_off_on_a_redis_error_instead_of_exiting(monkeypatch) -> None:
    from redbeat.schedulers import RedBeatScheduler

    def boom(self: Any, *a: Any, **k: Any) -> float:
        raise redis.ConnectionError("Error 111 connecting")

    monkeypatch.setattr(RedBeatScheduler, "tick", boom)
    s = _scheduler(_Lock())
    delays = [s.tick() for _ in range(5)]
    assert delays == sorted(delays) and 0 < delays[0] < delays[-1] <= 5.0
    monkeypatch.setattr(RedBeatScheduler, "tick", lambda self, *a, **k: 1.5)
    assert s.tick() == 1.5 and s._failures == 0


def test_beat_that_lost_its_lock_stands_by_and_schedules_nothing(monkeypatch) -> None:
    from redbeat.schedulers import RedBeatScheduler

    calls: list[int] = []
    monkeypatch.setattr(RedBeatScheduler, "tick", lambda self, *a, **k: calls.append(1) or 1.0)
    s = _scheduler(None)
    monkeypatch.setattr(type(s), "_hold_lock", lambda self: False)
    assert s.tick() == 5.0 and calls == []
    s.lock = _Lock(redis.exceptions.LockNotOwnedError("expired"))
    monkeypatch.setattr(type(s), "_hold_lock", lambda self: True)
    monkeypatch.setattr(RedBeatScheduler, "tick", lambda self, *a, **k: self.lock.extend(15) or 1.0)
    assert s.tick() == 5.0 and s.lock is None
