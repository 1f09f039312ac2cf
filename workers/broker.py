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


class Channel(kombu_redis.Channel):
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
