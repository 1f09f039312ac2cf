"""Client factory: the account's key and base URL, its rate-limit windows passed to the gate."""

from __future__ import annotations

import pytest

from workers.clients import factory
from workers.clients.base import NoGate
from workers.models import Account


def test_smartlead_for_uses_the_accounts_key_base_url_and_windows(monkeypatch) -> None:
    calls = []

    def fake_gate(service, credential, windows, lane):
        calls.append((service, credential, windows, lane))
        return NoGate()

    monkeypatch.setattr(factory, "_gate_for", fake_gate)
    account = Account(
        id=3,
        slug="acme",
        name="Acme",
        smartlead_api_key="sl-acme-key-123456",
        smartlead_base_url="http://127.0.0.1:9/api/v1",
        rate_limit_plan="custom",
        rate_limits=[[5, 1], [50, 60]],
    )
    client = factory.smartlead_for(account, lane="bulk")
    assert client._http.base_url == "http://127.0.0.1:9/api/v1"
    assert calls == [("smartlead", "sl-acme-key-123456", [(5, 1.0), (50, 60.0)], "bulk")]
    assert "sl-acme-key-123456" not in repr(client)


def test_missing_key_is_a_permanent_error_naming_the_account() -> None:
    account = Account(id=4, slug="nokey", name="No key", rate_limit_plan="default")
    with pytest.raises(factory.MissingCredential, match="account 4"):
        factory.smartlead_for(account)
