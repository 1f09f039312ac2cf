"""The error hierarchy tasks act on. No message or repr ever carries a key or token."""

from __future__ import annotations

from workers.redaction import redact


class ApiError(Exception):
    """Base of every client error. ``retryable`` tells tasks whether to retry."""

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, service: str = "") -> None:
        self.message = redact(message)
        self.status_code = status_code
        self.service = service
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code})"


class RateLimited(ApiError):
    """The server answered 429: wait ``retry_after`` seconds (whole key)."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float, status_code: int | None = 429, service: str = ""
    ) -> None:
        super().__init__(message, status_code=status_code, service=service)
        self.retry_after = retry_after


class TransientError(ApiError):
    """5xx, timeouts, connection errors: retry with backoff."""

    retryable = True


class PermanentError(ApiError):
    """4xx validation and similar: never retry; record and dead-letter with the message."""


class NotFound(PermanentError):
    pass


class Unauthorized(PermanentError):
    pass


class RateLimitDeferred(Exception):
    """The shared limiter had no token within the short wait: give the worker slot back and run
    again in ``retry_after`` seconds. Not a failure and not a counted retry."""

    def __init__(self, retry_after: float, key_id: str = "") -> None:
        self.retry_after = max(0.0, retry_after)
        self.key_id = key_id
        super().__init__(f"rate limit: retry in {self.retry_after:.3f}s (key {key_id})")
