"""The restore crash of kombu #582, on the real Redis: a channel whose transport was collected
(``Transport.client = None``, as ``Connection.collect()`` leaves it when the first close of the
channel failed on the dead socket) still holds a reserved message when it is closed again.
kombu's Redis channel raises ``AttributeError: 'NoneType' object has no attribute 'hostname'``
(which stopped the worker); the LeadOps channel restores the message to its queue."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kombu import Connection, Queue


def _reserve_one(redis_url: str, transport: Any) -> tuple[Connection, Any, str]:
    queue = f"t-restore-{uuid.uuid4().hex[:8]}"
    conn = Connection(redis_url, transport=transport)
    channel = conn.default_channel
    q = Queue(queue, channel=channel)
    q.declare()
    conn.Producer().publish({"n": 1}, routing_key=queue, serializer="json")
    got: list[Any] = []
    consumer = conn.Consumer(q, callbacks=[lambda body, m: got.append(m)], accept=["json"])
    consumer.consume()
    conn.drain_events(timeout=5)
    assert len(got) == 1
    return conn, channel, queue


def _collected(conn: Connection) -> None:
    """What collect() leaves behind when closing the channel failed on the dead socket."""
    conn._transport.client = None


def test_kombu_channel_crashes_restoring_through_a_collected_transport(redis_url: str) -> None:
    from kombu.transport.redis import Transport

    conn, channel, queue = _reserve_one(redis_url, Transport)
    _collected(conn)
    with pytest.raises(AttributeError, match="hostname"):
        channel.close()


def test_leadops_channel_restores_the_reserved_message_instead(
    redis_url: str, redis_client
) -> None:
    from workers.broker import Transport

    conn, channel, queue = _reserve_one(redis_url, Transport)
    assert redis_client.llen(queue) == 0
    _collected(conn)
    channel.close()  # no AttributeError
    assert redis_client.llen(queue) == 1  # back on its queue, not stranded in the unacked hash
    redis_client.delete(queue)


def test_a_message_popped_but_not_booked_when_redis_died_goes_back_on_its_queue(
    redis_url: str, redis_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kombu pops (BRPOP), then books the message as unacked with a second command; Redis dying
    in between used to lose it (in no queue, in no unacked hash)."""
    import redis
    from kombu.transport import redis as kombu_redis

    from workers import broker

    conn, channel, queue = _reserve_one(redis_url, broker.Transport)
    [message] = list(channel.qos._delivered.values())
    channel.qos._delivered.clear()
    redis_client.delete("unacked", "unacked_index")

    def refused(self: Any, *a: Any) -> None:
        raise redis.ConnectionError("Error 111 connecting")

    monkeypatch.setattr(kombu_redis.QoS, "append", refused)
    with pytest.raises(redis.ConnectionError):
        channel.qos.append(message, message.delivery_tag)
    monkeypatch.undo()
    assert redis_client.llen(queue) == 0
    assert broker.restore_unbooked(channel) == 1
    assert redis_client.llen(queue) == 1 and broker._unbooked == []
    redis_client.delete(queue)
    conn.release()
