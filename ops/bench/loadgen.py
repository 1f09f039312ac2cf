"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams (no client library in the
way), for the gateway benchmark: closed-loop throughput and open-loop fixed-rate latency.

Latency at a fixed rate is measured from each request's *scheduled* send time, so a stalled
server shows up in the percentiles instead of silently lowering the offered rate.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], tuple[str, bytes, dict[str, str]]]  # n -> (path, body, headers)


@dataclass
class Result:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]


def _encode(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, data: bytes) -> int:
        self.writer.write(data)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:].strip())
        if length:
            await self.reader.readexactly(length)
        return status


async def _connect(host: str, port: int) -> Conn:
    reader, writer = await asyncio.open_connection(host, port)
    return Conn(reader, writer)


async def closed_loop(
    host: str,
    port: int,
    make: RequestFactory,
    *,
    connections: int,
    duration: float,
    start_n: int = 0,
) -> Result:
    """Each connection sends its next request as soon as the previous answer arrives."""
    result = Result()
    counter = iter(range(start_n, 10**12))
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        conn = await _connect(host, port)
        try:
            while time.perf_counter() < deadline:
                path, body, headers = make(next(counter))
                t0 = time.perf_counter()
                try:
                    status = await conn.request(_encode(host, path, body, headers))
                except (ConnectionError, asyncio.IncompleteReadError):
                    result.errors += 1
                    conn = await _connect(host, port)
                    continue
                result.latencies.append(time.perf_counter() - t0)
                result.statuses[status] += 1
                result.sent += 1
        finally:
            conn.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(connections)])
    result.elapsed = time.perf_counter() - started
    return result


async def fixed_rate(
    host: str,
    port: int,
    make: RequestFactory,
    *,
    rate: float,
    duration: float,
    connections: int = 64,
    start_n: int = 0,
) -> Result:
    """Open loop: request i is due at start + i/rate, whatever happened to the others."""
    result = Result()
    idle: asyncio.Queue[Conn] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await _connect(host, port))
    total = int(rate * duration)
    start = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        due = start + i / rate
        path, body, headers = make(start_n + i)
        data = _encode(host, path, body, headers)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await idle.get()
        try:
            status = await conn.request(data)
            result.statuses[status] += 1
            result.latencies.append(time.perf_counter() - due)
            idle.put_nowait(conn)
        except (ConnectionError, asyncio.IncompleteReadError):
            result.errors += 1
            idle.put_nowait(await _connect(host, port))
        result.sent += 1

    tasks = []
    for i in range(total):
        # Create tasks just ahead of time so thousands of sleepers do not pile up.
        ahead = start + i / rate - time.perf_counter()
        if ahead > 0.2:
            await asyncio.sleep(ahead - 0.1)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().writer.close()
    return result
