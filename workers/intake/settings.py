"""Intake tunables (environment prefix ``LEADOPS_INTAKE_``) and the chunk-size cap."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

# Smartlead's per-request cap (smartlead-api.md: send at most 100 unless configured otherwise).
DEFAULT_MAX_LEADS_PER_REQUEST = 100


class IntakeSettings(BaseSettings):
    """Intake tunables (environment prefix ``LEADOPS_INTAKE_``)."""

    model_config = SettingsConfigDict(env_prefix="LEADOPS_INTAKE_", extra="ignore")

    # Chunk uploads in flight (queued or running) per account: the rest waits in Redis, so one
    # account's 10,000-lead burst cannot fill the bulk queue ahead of other accounts.
    inflight_per_account: int = 2
    # A running upload renews its lease; a worker killed mid-upload is detected when it lapses.
    # Longer than the HTTP timeout, or a slow answer would look like a dead worker.
    lease_seconds: float = 90.0
    # A chunk waiting in the bulk queue (or in a retry backoff) holds this longer lease.
    queue_lease_seconds: float = 900.0
    # Idempotent accept: an event id seen within this window is buffered once.
    event_ttl_seconds: int = 7 * 24 * 3600
    max_leads_per_request: int = DEFAULT_MAX_LEADS_PER_REQUEST


@lru_cache(maxsize=1)
def intake_settings() -> IntakeSettings:
    return IntakeSettings()


def reset_intake_settings() -> None:
    intake_settings.cache_clear()


def effective_chunk_size(chunk_size: int, cap: int | None = None) -> int:
    """The account's chunk size, capped by Smartlead's per-request cap setting."""
    cap = cap if cap is not None else intake_settings().max_leads_per_request
    return max(1, min(int(chunk_size), int(cap)))
