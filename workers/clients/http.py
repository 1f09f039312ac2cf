"""The one way LeadOps clients speak HTTP: pooled httpx, explicit timeouts, our User-Agent,
the rate-limit gate around every request, answers mapped to ``workers.clients.errors``, and
nothing secret in any message or log line.

Usage (a client keeps one ``HttpRequester``)::

    http = HttpRequester("hubspot", base_url, gate=gate, headers={"Authorization": f"Bearer {t}"},
                         secrets=[t])
    response = http.request("GET", "/crm/v3/objects/contacts/123", params={...})
    data = json_body(response)

Rules the helper enforces:
- ``gate.acquire()`` before each request (may raise ``RateLimitDeferred``, which passes through),
  ``gate.observe(status, headers)`` after each HTTP answer (any status, 429 and 5xx included).
  A transport failure has no answer and is not observed.
- Messages and logs name the method and the *relative path* given by the caller, never the full
  URL (Smartlead's key is a query parameter; Slack's secret is the whole webhook URL).
- ``raise ... from None``: httpx exceptions can carry the request URL; they are not chained.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from workers.clients.base import NoGate, RequestGate
from workers.clients.errors import (
    ApiError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
    Unauthorized,
)
from workers.logging import get_logger
from workers.redaction import redact, register_secret
from workers.settings import get_settings

USER_AGENT = "LeadOps/0.1 (+https://github.com/leadops)"
DEFAULT_RETRY_AFTER = 5.0  # a 429 without a usable Retry-After header
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 10.0
MAX_ERROR_TEXT = 300

_PRE_RE = re.compile(r"(?is)<pre>(.*?)</pre>")
_TAG_RE = re.compile(r"<[^>]+>")

log = get_logger("workers.clients.http")


# One pooled client per process (after fork a child must not share the parent's sockets).
_shared_lock = threading.Lock()
_shared: dict[int, httpx.Client] = {}


def _build_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    return httpx.Client(
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        limits=httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0
        ),
        follow_redirects=False,
        trust_env=False,
    )


def shared_client() -> httpx.Client:
    """The process-wide pooled httpx client."""
    pid = os.getpid()
    client = _shared.get(pid)
    if client is None:
        with _shared_lock:
            client = _shared.get(pid)
            if client is None:
                _shared.clear()  # stale entries from a parent process: drop, never close
                client = _shared[pid] = _build_client()
    return client


def close_shared_client() -> None:
    with _shared_lock:
        client = _shared.pop(os.getpid(), None)
    if client is not None:
        client.close()


class _RedactRecords(logging.Filter):
    """httpx/httpcore log full request URLs (Smartlead's api_key included) at INFO/DEBUG:
    rewrite those records redacted before any handler (or test capture) sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        record.msg, record.args = redact(message), None
        return True


for _name in ("httpx", "httpcore"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactRecords) for f in _logger.filters):
        _logger.addFilter(_RedactRecords())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_shared.clear)


def make_timeout(seconds: float | None) -> httpx.Timeout:
    if seconds is None:
        seconds = get_settings().http_timeout_seconds
    return httpx.Timeout(
        connect=min(CONNECT_TIMEOUT, seconds), read=seconds, write=seconds, pool=POOL_TIMEOUT
    )


def parse_retry_after(value: str | None, default: float = DEFAULT_RETRY_AFTER) -> float:
    """Retry-After as seconds: an integer/float, or an HTTP date; ``default`` when unusable."""
    if not value:
        return default
    value = value.strip()
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else default
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when is None:
        return default
    return max(0.0, when.timestamp() - time.time())


def server_message(response: httpx.Response) -> str:
    """The server's own explanation: Joi's ``error``/``message`` (or HubSpot's ``message``),
    else the start of the text body. Redacted and bounded."""
    text = ""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        # {"error": "Bad Request", "message": "<the real reason>"}: keep both, so the reason
        # is not lost behind the status phrase.
        parts: list[str] = []
        for key in ("error", "message", "detail", "msg", "errors"):
            value = data.get(key)
            if value:
                part = value if isinstance(value, str) else str(value)
                if part not in parts:
                    parts.append(part)
            if len(parts) == 2:
                break
        text = ": ".join(parts)
    if not text:
        text = response.text.strip()
        if "html" in response.headers.get("content-type", ""):
            # Express answers a wrong path/method with "<pre>Cannot POST /api/v1/...</pre>".
            pre = _PRE_RE.search(text)
            text = pre.group(1) if pre else _TAG_RE.sub(" ", text)
            text = " ".join(text.split())
    if len(text) > MAX_ERROR_TEXT:
        text = text[:MAX_ERROR_TEXT] + "..."
    return redact(text)


def error_for(
    response: httpx.Response,
    *,
    service: str,
    method: str,
    path: str,
    default_retry_after: float = DEFAULT_RETRY_AFTER,
) -> ApiError | None:
    """The exception an answer stands for, or None for a 2xx/3xx."""
    status = response.status_code
    if status < 400:
        return None
    msg = f"{service} {method} {path} -> {status}: {server_message(response)}"
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), default_retry_after)
        return RateLimited(msg, retry_after=retry_after, status_code=status, service=service)
    if status in (401, 403):
        return Unauthorized(msg, status_code=status, service=service)
    if status == 404:
        return NotFound(msg, status_code=status, service=service)
    if status in (408, 425) or status >= 500:
        return TransientError(msg, status_code=status, service=service)
    return PermanentError(msg, status_code=status, service=service)


def json_body(response: httpx.Response, *, service: str = "", what: str = "") -> Any:
    """The decoded JSON answer; None for an empty body; PermanentError for non-JSON text."""
    if not response.content or not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        snippet = redact(response.text.strip()[:100])
        raise PermanentError(
            f"{service} {what}: answer is not JSON: {snippet!r}",
            status_code=response.status_code,
            service=service,
        ) from None


# (response, method, path) -> the error the answer stands for, or None when it is no failure.
ErrorMapper = Callable[[httpx.Response, str, str], ApiError | None]


class HttpRequester:
    """One service endpoint: base URL, auth (query params or headers), gate, timeout."""

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        gate: RequestGate | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
        default_retry_after: float = DEFAULT_RETRY_AFTER,
        error_mapper: ErrorMapper | None = None,
    ) -> None:
        for secret in secrets:
            register_secret(secret)
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.gate: RequestGate = gate if gate is not None else NoGate()
        self.timeout = make_timeout(timeout)
        self._auth_params = dict(params or {})
        self._headers = dict(headers or {})
        self._default_retry_after = default_retry_after
        # How a failed answer becomes an ApiError: the shared mapping, or a service's own
        # (HubSpot's categories and policies) on the same path, logged the same way.
        self._error_mapper = error_mapper or self._default_error
        # A private client only when a transport is injected (tests); else the process pool.
        self._own_client = _build_client(transport) if transport is not None else None

    @property
    def client(self) -> httpx.Client:
        return self._own_client if self._own_client is not None else shared_client()

    def close(self) -> None:
        if self._own_client is not None:
            self._own_client.close()

    def __repr__(self) -> str:  # base_url may itself be secret (Slack)
        return f"<HttpRequester service={self.service}>"

    def _default_error(self, response: httpx.Response, method: str, path: str) -> ApiError | None:
        return error_for(
            response,
            service=self.service,
            method=method,
            path=path,
            default_retry_after=self._default_retry_after,
        )

    def url_for(self, path: str) -> str:
        if not path:
            return self.base_url
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> httpx.Response:
        """Send one request through the gate; raise the mapped ApiError for a failed answer."""
        method = method.upper()
        query = {k: v for k, v in (params or {}).items() if v is not None}
        query.update(self._auth_params)
        all_headers = {**self._headers, **(headers or {})}
        # Build the pooled client before taking a token: a token must be spent on the wire at
        # once, or admitted requests bunch up at the server (see docs/rate-limiting.md).
        client = self.client
        self.gate.acquire()
        started = time.monotonic()
        try:
            response = client.request(
                method,
                self.url_for(path),
                params=query or None,
                json=json,
                content=content,
                headers=all_headers,
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            self._log_failure(method, path, started, type(exc).__name__)
            raise TransientError(
                f"{self.service} {method} {path}: timeout ({type(exc).__name__})",
                service=self.service,
            ) from None
        except httpx.TransportError as exc:
            self._log_failure(method, path, started, type(exc).__name__)
            raise TransientError(
                f"{self.service} {method} {path}: connection failed ({type(exc).__name__}: "
                f"{redact(str(exc))[:200]})",
                service=self.service,
            ) from None
        self.gate.observe(response.status_code, response.headers)
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        log.debug(
            "http_request",
            service=self.service,
            method=method,
            path=path,
            status=response.status_code,
            elapsed_ms=elapsed_ms,
        )
        if raise_for_status and response.status_code >= 400:
            error = self._error_mapper(response, method, path)
            if error is not None:
                log.info(
                    "http_error",
                    service=self.service,
                    method=method,
                    path=path,
                    status=response.status_code,
                    error=type(error).__name__,
                    message=error.message,
                )
                raise error
        return response

    def _log_failure(self, method: str, path: str, started: float, kind: str) -> None:
        log.info(
            "http_transport_error",
            service=self.service,
            method=method,
            path=path,
            error=kind,
            elapsed_ms=round((time.monotonic() - started) * 1000, 1),
        )


__all__ = [
    "USER_AGENT",
    "HttpRequester",
    "close_shared_client",
    "error_for",
    "json_body",
    "make_timeout",
    "parse_retry_after",
    "server_message",
    "shared_client",
]
