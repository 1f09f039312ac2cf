"""A Smartlead sandbox served over loopback once per module, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ops.sandbox.serve import serve
from ops.sandbox.smartlead import create_app, state_of
from ops.sandbox.smartlead_state import SandboxState
from workers.clients.smartlead import SmartleadClient

KEY = "sl-sandbox-key-AbC123xyz789"
OTHER_KEY = "sl-sandbox-other-key-QwE456"


@dataclass
class Sandbox:
    base: str
    state: SandboxState
    admin: httpx.Client

    @property
    def api(self) -> str:
        return self.base + "/api/v1"

    def client(self, key: str = KEY, **kwargs: Any) -> SmartleadClient:
        kwargs.setdefault("timeout", 5)
        return SmartleadClient(key, base_url=self.api, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        resp = self.admin.post(path, json=body)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def get(self, path: str, **params: Any) -> Any:
        resp = self.admin.get(path, params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture(scope="module")
def _smartlead_server() -> Iterator[tuple[str, SandboxState]]:
    app = create_app()
    with serve(app) as base:
        yield base, state_of(app)


@pytest.fixture
def sandbox(_smartlead_server: tuple[str, SandboxState]) -> Iterator[Sandbox]:
    base, state = _smartlead_server
    state.reset()
    with httpx.Client(base_url=base, timeout=5) as admin:
        sb = Sandbox(base, state, admin)
        # Generous limits: these tests are about behaviour, the limit tests set their own.
        sb.post("/admin/keys", {"api_key": KEY, "limits": [[1000, 1]]})
        yield sb
