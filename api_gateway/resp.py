"""A minimal pipelined Redis connection for the gateway's hot path (one EVALSHA per webhook).

redis-py's async client spends more CPU per command (pool checkout, packing, timeouts,
parsing) than the rest of a webhook put together. Here every request writes its command on
one shared connection and awaits a future; a reader task resolves futures in reply order
(Redis answers in order). Connection loss fails every pending command with
``redis.ConnectionError`` (so callers treat it like redis-py's) and the next command
reconnects. Only what the gateway needs: RESP2 simple strings, errors, integers, bulk strings
and arrays.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any
from urllib.parse import unquote, urlsplit

import redis

Reply = Any


def pack(*args: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        b = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class _Conn:
    __slots__ = ("writer", "pending")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.pending: deque[asyncio.Future[Reply]] = deque()


class PipelinedRedis:
    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.db = int(parts.path.lstrip("/") or 0)
        self.password = unquote(parts.password) if parts.password else None
        self.username = unquote(parts.username) if parts.username else None
        self.tls = parts.scheme == "rediss"
        self.timeout = timeout
        self._conn: _Conn | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _connect(self) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=self.tls or None), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise redis.ConnectionError(f"cannot connect to Redis: {type(exc).__name__}") from None
        conn = _Conn(writer)
        task = asyncio.get_running_loop().create_task(self._read_loop(conn, reader))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._conn = conn
        try:
            if self.password is not None:
                auth = [self.username] if self.username else []
                await self._send(conn, pack("AUTH", *auth, self.password))
            if self.db:
                await self._send(conn, pack("SELECT", self.db))
        except redis.RedisError:
            self._fail(conn, redis.ConnectionError("Redis refused AUTH/SELECT"))
            raise

    async def _ensure(self) -> _Conn:
        while self._conn is None:
            if self._connecting is None:
                self._connecting = asyncio.get_running_loop().create_future()
                try:
                    await self._connect()
                    self._connecting.set_result(None)
                except BaseException as exc:
                    self._connecting.set_exception(exc)
                    self._connecting.exception()  # retrieved: waiters re-raise it
                    raise
                finally:
                    self._connecting = None
            else:
                await asyncio.shield(self._connecting)
        return self._conn

    async def execute(self, *args: bytes | str | int) -> Reply:
        conn = await self._ensure()
        return await self._send(conn, pack(*args))

    async def _send(self, conn: _Conn, command: bytes) -> Reply:
        fut: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        conn.pending.append(fut)
        conn.writer.write(command)
        try:
            async with asyncio.timeout(self.timeout):
                reply = await fut
        except TimeoutError:
            # Replies come in order: one lost answer makes the whole connection unusable.
            self._fail(conn, redis.TimeoutError("Redis did not answer in time"))
            raise redis.TimeoutError("Redis did not answer in time") from None
        if isinstance(reply, redis.ResponseError):
            raise reply
        return reply

    def _fail(self, conn: _Conn, exc: Exception) -> None:
        if self._conn is conn:
            self._conn = None
        conn.writer.close()
        while conn.pending:
            fut = conn.pending.popleft()
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()

    async def _read_loop(self, conn: _Conn, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                reply = await _read_reply(reader)
                if conn.pending:
                    fut = conn.pending.popleft()
                    if not fut.done():
                        fut.set_result(reply)
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            redis.ConnectionError,
        ):
            self._fail(conn, redis.ConnectionError("Redis connection lost"))
        except asyncio.CancelledError:
            self._fail(conn, redis.ConnectionError("Redis connection closed"))
            raise

    async def close(self) -> None:
        if self._conn is not None:
            self._fail(self._conn, redis.ConnectionError("Redis connection closed"))
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _read_reply(reader: asyncio.StreamReader) -> Reply:
    line = await reader.readuntil(b"\r\n")
    kind, rest = line[:1], line[1:-2]
    if kind == b":":
        return int(rest)
    if kind == b"+":
        return rest
    if kind == b"-":
        return redis.ResponseError(rest.decode(errors="replace"))
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = await reader.readexactly(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [await _read_reply(reader) for _ in range(n)]
    raise redis.ConnectionError(f"unexpected Redis reply {kind!r}")
