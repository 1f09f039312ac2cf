"""Build an account's API clients: decrypted credentials, base-URL overrides, the shared gate.

``_gate_for`` is the single place where clients meet the shared rate limiter
(``workers.rate_limit.limiter``).
"""

from __future__ import annotations

from typing import Any

from workers.accounts import rate_limit_windows
from workers.clients.base import RequestGate
from workers.clients.errors import PermanentError
from workers.clients.hubspot import HubSpotClient
from workers.clients.slack import SlackClient
from workers.clients.smartlead import SmartleadClient
from workers.models import Account
from workers.rate_limit.limiter import get_limiter

# Windows as (limit, seconds). Smartlead's come from the account's plan (workers.accounts).
HUBSPOT_WINDOWS: list[tuple[int, float]] = [(100, 10.0)]  # private apps: 100 per 10 s
SLACK_WINDOWS: list[tuple[int, float]] = [(1, 1.0)]  # incoming webhooks: ~1 message/s


class MissingCredential(PermanentError):
    """The account has no credential for this service: nothing to retry."""


def _gate_for(
    service: str, credential: str, windows: list[tuple[int, float]], lane: str
) -> RequestGate:
    """The shared limiter's gate for one credential. The limiter keys Redis by a hash of the
    credential, never the credential itself.

    Wired to ``workers.rate_limit.limiter`` (one limiter per process, shared budget through Redis).
    """
    return get_limiter().gate(service, credential, windows, lane)


def smartlead_for(account: Account, *, lane: str = "realtime") -> SmartleadClient:

    key = account.smartlead_api_key
    if not key:
        raise MissingCredential(
            f"account {account.id} has no Smartlead API key", service="smartlead"
        )
    gate = _gate_for("smartlead", key, rate_limit_windows(account), lane)
    return SmartleadClient(key, base_url=account.smartlead_base_url or None, gate=gate)


def hubspot_for(account: Account, *, lane: str = "realtime") -> Any:

    token = account.hubspot_token
    if not token:
        raise MissingCredential(f"account {account.id} has no HubSpot token", service="hubspot")
    gate = _gate_for("hubspot", token, HUBSPOT_WINDOWS, lane)
    return HubSpotClient(token, base_url=account.hubspot_base_url or None, gate=gate)


def slack_for(account: Account) -> Any:

    url = account.slack_webhook_url
    if not url:
        raise MissingCredential(f"account {account.id} has no Slack webhook", service="slack")
    gate = _gate_for("slack", url, SLACK_WINDOWS, "realtime")
    return SlackClient(url, gate=gate)


__all__ = ["MissingCredential", "hubspot_for", "slack_for", "smartlead_for"]
