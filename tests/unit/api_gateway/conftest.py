"""In-process gateway for unit tests: fakeredis behind the enqueuer, a fixed account table."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fakeredis
import httpx
import pytest

from api_gateway.accounts_cache import FormRoute, GatewayAccount

SECRETS = {
    "smartlead": ("sl-secret-acme",),
    "clay": ("clay-secret-acme",),
    "typeform": ("tf-secret-acme",),
    "tally": ("tally-secret-acme",),
    "rb2b": ("rb2b-secret-acme",),
    "visitor": ("visitor-secret-acme",),
    "form": ("form-secret-acme",),
}
ACME = GatewayAccount(
    id=1,
    slug="acme",
    secrets=SECRETS,
    clay_default_campaign_id="900",
    forms={"contact": FormRoute("555", ("work_email",))},
)
GLOBEX = GatewayAccount(
    id=2, slug="globex", secrets={k: (v[0].replace("acme", "globex"),) for k, v in SECRETS.items()}
)
NO_SECRETS = GatewayAccount(id=3, slug="bare")
ACCOUNTS = {a.slug: a for a in (ACME, GLOBEX, NO_SECRETS)}


class SyncASGIClient:
    """httpx over ASGITransport on one private event loop: in-process, no sockets."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        )

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url, **kw))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@dataclass
class Harness:
    client: SyncASGIClient
    redis: Any  # a sync view of the same fake server

    def queued(self, queue: str = "realtime") -> list[dict[str, Any]]:
        """The Celery messages waiting in a queue, oldest first, with decoded bodies."""
        import base64

        import orjson

        raw = self.redis.lrange(queue, 0, -1)
        out = []
        for item in reversed(raw):
            msg = orjson.loads(item)
            args, kwargs, _embed = orjson.loads(base64.b64decode(msg["body"]))
            out.append({"task": msg["headers"]["task"], "kwargs": kwargs, "message": msg})
        return out


@pytest.fixture
def gateway() -> Iterator[Harness]:
    from api_gateway.app import create_app
    from api_gateway.enqueue import Enqueuer
    from workers.settings import get_settings

    settings = get_settings()
    app = create_app(settings, account_loader=ACCOUNTS.get)
    server = fakeredis.FakeServer()
    app.state.gateway.enqueuer = Enqueuer(
        "redis://unused",
        timeout=1.0,
        retention_seconds=settings.dedup_retention_seconds,
        client=fakeredis.FakeAsyncRedis(server=server),
    )
    client = SyncASGIClient(app)
    yield Harness(client, fakeredis.FakeRedis(server=server))
    client.close()
