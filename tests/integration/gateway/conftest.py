"""The real gateway over loopback HTTP: uvicorn in a thread, real Redis, accounts in the DB."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

ACME_SECRETS = {
    "smartlead": "sl-secret-acme-1234",
    "clay": "clay-secret-acme-1234",
    "typeform": "tf-secret-acme-1234",
    "tally": "tally-secret-acme-1234",
    "rb2b": "rb2b-secret-acme-1234",
    "visitor": "visitor-secret-acme-1234",
    "form": "form-secret-acme-1234",
}
GLOBEX_SECRETS = {k: v.replace("acme", "globex") for k, v in ACME_SECRETS.items()}


def create_accounts() -> dict[str, int]:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    ids = {}
    with session_scope() as session:
        for slug, secrets in (("acme", ACME_SECRETS), ("globex", GLOBEX_SECRETS)):
            account = Account(slug=slug, name=slug.title(), webhook_secrets=dict(secrets))
            session.add(account)
            session.flush()
            set_automation(
                session, account, "clay_intake", params={"default_campaign_id": f"{account.id}00"}
            )
            set_automation(
                session,
                account,
                "form_nurture",
                params={
                    "forms": {
                        "contact": {"campaign_id": "555", "field_mapping": {"work_email": "email"}}
                    }
                },
            )
            ids[slug] = account.id
    return ids


@pytest.fixture
def accounts(db_url: str) -> dict[str, int]:
    return create_accounts()


def queued(client: Any, queue: str = "realtime") -> list[dict[str, Any]]:
    """Celery messages waiting in a real Redis queue, oldest first, bodies decoded."""
    out = []
    for item in reversed(client.lrange(queue, 0, -1)):
        msg = orjson.loads(item)
        _args, kwargs, _embed = orjson.loads(base64.b64decode(msg["body"]))
        out.append({"task": msg["headers"]["task"], "kwargs": kwargs, "message": msg})
    return out


@pytest.fixture
def gateway_url(redis_url: str, accounts: dict[str, int]) -> Iterator[str]:
    from api_gateway.app import create_app
    from ops.sandbox.serve import serve
    from workers.settings import get_settings

    with serve(create_app(get_settings())) as url:
        yield url
