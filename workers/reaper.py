"""Work left by a dead worker is back in play within seconds, whichever processes are alive.

Every worker runs this consumer bootstep on its event-loop timer (``reaper_interval_seconds``):

1. It publishes the delivery tags it holds (reserved, waiting for an ETA, or running) under
   ``leadops:held:<hostname>``, expiring after ``3 x interval``: a worker that dies stops
   renewing it.
2. It looks at kombu's index of unacknowledged messages (``unacked_index``: delivery time per
   tag; a message sits there from the moment a worker takes it until it is acked). A tag older
   than ``reaper_grace_seconds`` that no live worker holds, seen so by this worker on two
   ticks at least ``grace`` apart, belongs to a dead worker (SIGKILL, OOM, host lost) or to a
   restore that failed while Redis was away: it is put back on its queue (kombu's own
   ``restore_by_tag``, one transaction) at once instead of after the visibility timeout.
3. It pushes back on their queues the messages this worker popped but could not book as unacked
   because Redis died in between (``workers/broker.py``).
4. It makes sure the intake sweep runs every few seconds (re-queue chunks whose lease lapsed,
   flush due buffers) even with no Beat alive: one ``SWEEP_INTAKE`` message per interval across
   all workers (a ``SET NX`` slot), so the sweep never depends on the single Beat.

Tasks are idempotent (acks late; chunk uploads are fenced), so a message restored while a
partitioned-but-alive worker still runs it does no harm beyond the repeated attempt.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from celery import bootsteps

from workers.broker import restore_unbooked
from workers.logging import get_logger
from workers.settings import get_settings
from workers.task_names import SWEEP_INTAKE

log = get_logger("leadops.reaper")

HELD_PREFIX = "leadops:held:"
SWEEP_SLOT_KEY = "leadops:reaper:sweep-slot"
REAP_LOCK_KEY = "leadops:reaper:lock"
SCAN_LIMIT = 500


def held_tags(consumer: Any) -> set[str]:
    """Delivery tags this worker holds: its channel's unacked messages and its running tasks."""
    from celery.worker import state

    tags: set[str] = set()
    channel = getattr(getattr(consumer, "task_consumer", None), "channel", None)
    qos = getattr(channel, "qos", None)
    delivered = getattr(qos, "_delivered", None)
    if delivered:
        tags.update(str(t) for t in list(delivered))
    for request in list(state.active_requests) + list(state.reserved_requests):
        tag = (getattr(request, "delivery_info", None) or {}).get("delivery_tag")
        message = getattr(request, "message", None)
        tag = tag or getattr(message, "delivery_tag", None)
        if tag:
            tags.add(str(tag))
    return tags


class Reaper:
    """The decisions, apart from Celery (unit tests drive them with fakeredis)."""

    def __init__(self, client: Any, hostname: str, *, interval: float, grace: float) -> None:
        self.client, self.hostname = client, hostname
        self.interval, self.grace = interval, grace
        self.unheld_since: dict[str, float] = {}

    def publish_held(self, tags: set[str]) -> None:
        key = HELD_PREFIX + self.hostname
        pipe = self.client.pipeline()
        pipe.delete(key)
        if tags:
            pipe.sadd(key, *tags)
        # Renewed every tick; lapses three ticks after the worker stopped.
        pipe.expire(key, max(2, int(self.interval * 3 + 0.999)))
        pipe.execute()

    def all_held(self) -> set[str]:
        held: set[str] = set()
        for key in self.client.scan_iter(match=HELD_PREFIX + "*", count=200):
            held.update(
                t.decode() if isinstance(t, bytes) else str(t) for t in self.client.smembers(key)
            )
        return held

    def orphans(self, index_key: str, now: float) -> list[str]:
        """Tags older than the grace, held by no live worker, and seen unheld for a grace."""
        old = self.client.zrangebyscore(
            index_key, "-inf", now - self.grace, start=0, num=SCAN_LIMIT
        )
        candidates = {t.decode() if isinstance(t, bytes) else str(t) for t in old}
        unheld = candidates - self.all_held()
        for tag in list(self.unheld_since):
            if tag not in unheld:
                del self.unheld_since[tag]
        ready = []
        for tag in unheld:
            first = self.unheld_since.setdefault(tag, now)
            if now - first >= self.grace:
                ready.append(tag)
        return ready

    def take_slot(self, key: str, seconds: float) -> bool:
        return bool(self.client.set(key, self.hostname, nx=True, px=max(1, int(seconds * 1000))))


class ReaperStep(bootsteps.StartStopStep):  # type: ignore[misc]
    """Consumer bootstep: runs :class:`Reaper` on the worker's timer (main process)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None
        self.reaper: Reaper | None = None

    def start(self, c: Any) -> None:
        s = get_settings()
        if s.reaper_interval_seconds <= 0:
            return
        client = redis.Redis.from_url(
            s.resolved_redis_url(), socket_timeout=2, socket_connect_timeout=2
        )
        if self.reaper is None:
            self.reaper = Reaper(
                client,
                c.hostname,
                interval=s.reaper_interval_seconds,
                grace=s.reaper_grace_seconds,
            )
        else:
            self.reaper.client = client
        self.tref = c.timer.call_repeatedly(s.reaper_interval_seconds, self.tick, (c,))

    def stop(self, c: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def tick(self, c: Any) -> None:
        r = self.reaper
        if r is None:
            return
        try:
            r.publish_held(held_tags(c))
            self._sweep(c, r)
            self._restore_orphans(c, r)
        except (redis.RedisError, OSError) as exc:
            # Redis away: the consumer reconnects on its own; try again next tick.
            log.warning("reaper_redis_unavailable", error=type(exc).__name__)
        except Exception:  # a timer callback must never take the worker down
            log.exception("reaper_tick_failed")

    def _sweep(self, c: Any, r: Reaper) -> None:
        if r.take_slot(SWEEP_SLOT_KEY, r.interval):
            c.app.send_task(SWEEP_INTAKE, expires=max(5.0, r.interval * 3))

    def _restore_orphans(self, c: Any, r: Reaper) -> None:
        channel = getattr(getattr(c, "task_consumer", None), "channel", None)
        qos = getattr(channel, "qos", None)
        if channel is None or qos is None or not hasattr(qos, "restore_by_tag"):
            return
        unbooked = restore_unbooked(channel)
        if unbooked:
            log.warning("unbooked_messages_restored", count=unbooked)
        tags = r.orphans(channel.unacked_index_key, time.time())
        if not tags or not r.take_slot(REAP_LOCK_KEY, r.interval):
            return
        for tag in tags:
            qos.restore_by_tag(tag)
            r.unheld_since.pop(tag, None)
        log.warning("unacked_messages_restored", count=len(tags), tags=tags[:20])
