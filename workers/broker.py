"""The Redis transport every LeadOps process uses: kombu's, with the one change that lets a
worker ride out a Redis restart while it holds reserved messages.

Why (kombu #582, getsentry/self-hosted #629; reproduced by ``tests/integration/test_faults.py``):
when the broker connection drops, ``celery/worker/consumer/consumer.py``
``Consumer.on_connection_error_after_connected`` first calls ``Connection.collect()`` and then
``Connection.close()`` (``kombu/connection.py``). In ``collect()``, closing the default channel
fails early (``kombu/transport/redis.py`` ``Channel.close`` reads the pending BRPOP through the
dead socket and raises ``ConnectionError``, which ``maybe_close_channel`` swallows), so the
channel stays open with its reserved messages; ``collect()`` then runs
``_do_close_transport()``, which sets ``Transport.client = None``. ``close()`` closes that
channel again: ``virtual.Channel.close`` -> ``QoS.restore_unacked_once`` ("Restoring N
unacknowledged message(s)") -> ``redis.QoS.restore_unacked`` -> ``Channel.conn_or_acquire`` ->
``_create_client`` -> ``pool`` -> ``_get_pool`` -> ``_connparams``, which reads
``self.connection.client.hostname`` off the transport whose client is now ``None``:
``AttributeError: 'NoneType' object has no attribute 'hostname'``. It is neither a connection
nor a channel error, so ``ignore_errors`` lets it through and the worker stops
("Unrecoverable error"). The same read fails when a late-acked task finishes after the reconnect
and acks through the old channel.

The change: a channel remembers the connection details it was opened with and uses them when
the transport has forgotten its client, so the restore is attempted (and, if Redis is still
away, fails as a connection error that kombu logs and the worker survives), and late acks reach
Redis once it is back. Messages whose restore failed stay in kombu's unacked hash in Redis; the
reaper (``workers/reaper.py``) hands them out again within seconds.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

# Messages this process popped off a queue (BRPOP) but could not book as unacked because Redis
# went away in between: held here and pushed back on their queue by the reaper's next tick.
_unbooked: list[tuple[Any, str, str]] = []


class QoS(kombu_redis.QoS):
    """kombu pops a message (BRPOP) and then books it in the unacked hash with a second command;
    when Redis dies between the two, the message is in no queue and in no unacked hash: the one
    ``202`` event in 300 lost in a Redis SIGTERM run. It is kept here instead."""

    def append(self, message: Any, delivery_tag: str) -> None:
        try:
            super().append(message, delivery_tag)  # type: ignore[no-untyped-call]
        except self.channel.connection_errors:
            delivery = message.delivery_info
            _unbooked.append((message._raw, delivery["exchange"], delivery["routing_key"]))
            raise


def restore_unbooked(channel: Any) -> int:
    """Push the messages that could not be booked back on their queues (one transaction)."""
    if not _unbooked:
        return 0
    taken = list(_unbooked)
    with channel.conn_or_acquire() as client, client.pipeline() as pipe:
        for raw, exchange, routing_key in taken:
            channel._do_restore_message(raw, exchange, routing_key, pipe)
        pipe.execute()
    del _unbooked[: len(taken)]
    return len(taken)


class Channel(kombu_redis.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        # The kombu Connection this channel was opened for (its URL, credentials, options).
        self._leadops_conninfo = self.connection.client
        self._leadops_transport = self.connection

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection if self.connection is not None else self._leadops_transport
        if transport.client is not None and self.connection is not None:
            return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call,no-any-return]
        # The transport was collected (client None) or the channel detached (connection None)
        # while this channel still holds messages: build the pool from what it was opened with.
        saved_connection, saved_client = self.connection, transport.client
        self.connection, transport.client = transport, self._leadops_conninfo
        try:
            return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call,no-any-return]
        finally:
            self.connection, transport.client = saved_connection, saved_client


class Transport(kombu_redis.Transport):
    Channel = Channel


TRANSPORT = f"{__name__}:Transport"
