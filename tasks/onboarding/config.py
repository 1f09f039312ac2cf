"""Process-wide onboarding settings (environment, ``LEADOPS_`` prefix), apart from the
per-account ``OnboardingParams``: they describe this LeadOps installation, not a client."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OnboardingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADOPS_", env_file=".env", extra="ignore")

    # The public base URL of this installation's gateway, as Smartlead must call it. Unset: the
    # gateway's own host and port (fine on one machine, wrong behind a proxy).
    gateway_public_url: str | None = None
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # A run's lease: how long a runner may hold a run before another may take it over. The
    # step runner's hard time limit stays below it, so a live runner never loses its lease.
    onboarding_lease_seconds: float = Field(default=150.0, ge=3.0)
    # POST /campaigns/{id}/duplicate for same-key clones: documented, unconfirmed live.
    onboarding_native_duplicate: bool = False

    @property
    def gateway_url(self) -> str:
        base = self.gateway_public_url or f"http://{self.gateway_host}:{self.gateway_port}"
        return base.rstrip("/")

    @property
    def time_limits(self) -> tuple[float, float]:
        """(soft, hard) time limits of one runner invocation: both inside the lease."""
        lease = self.onboarding_lease_seconds
        return round(lease * 0.7, 1), round(lease * 0.85, 1)


@lru_cache(maxsize=1)
def onboarding_settings() -> OnboardingSettings:
    return OnboardingSettings()


def reset_onboarding_settings() -> None:
    onboarding_settings.cache_clear()
