"""The gateway over real HTTP against real Redis and the accounts database."""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import orjson
import pytest

from ops.bench import gateway_payloads as P
from tests.integration.gateway.conftest import ACME_SECRETS, GLOBEX_SECRETS, queued
from workers import task_names

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}


def _signed(kind: str, secret: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(payload)
    if kind == "typeform":
        return raw, {**JSON, "Typeform-Signature": P.typeform_signature(secret, raw)}
    return raw, {**JSON, "Tally-Signature": P.tally_signature(secret, raw)}


def test_every_source_real_payload_is_accepted_and_queued(
    gateway_url, accounts, redis_client
) -> None:
    s = ACME_SECRETS
    tf_raw, tf_headers = _signed("typeform", s["typeform"], P.typeform_response(1))
    tally_raw, tally_headers = _signed("tally", s["tally"], P.tally_response(1))
    requests = [
        ("/v1/acme/smartlead", P.smartlead_reply(1, secret_key=s["smartlead"]), {}, 202),
        (f"/v1/acme/smartlead/{s['smartlead']}", P.smartlead_category(2), {}, 202),
        (f"/v1/acme/smartlead/{s['smartlead']}", P.smartlead_unsubscribe(3), {}, 202),
        ("/v1/acme/clay", P.clay_row(1), {"Authorization": f"Bearer {s['clay']}"}, 202),
        ("/v1/acme/forms/typeform", tf_raw, tf_headers, 202),
        ("/v1/acme/forms/tally", tally_raw, tally_headers, 202),
        (
            "/v1/acme/forms/generic/contact",
            {"work_email": "r@contoso.com"},
            {"X-LeadOps-Secret": s["form"]},
            202,
        ),
        (f"/v1/acme/visitors/rb2b?secret={s['rb2b']}", P.rb2b_visit(1), {}, 200),
        (
            "/v1/acme/visitors/company",
            P.company_visit(1),
            {"Authorization": f"Bearer {s['visitor']}"},
            202,
        ),
        (f"/v1/acme/visitors/generic?secret={s['visitor']}", P.generic_visit(1), {}, 202),
    ]
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        for url, body, headers, status in requests:
            raw = body if isinstance(body, bytes) else orjson.dumps(body)
            resp = client.post(url, content=raw, headers={**JSON, **headers})
            assert resp.status_code == status, (url, resp.text)
            assert resp.json()["event_id"]
        assert client.get("/healthz").json() == {"status": "ok"}
    tasks = [m["task"] for m in queued(redis_client)]
    assert tasks == [
        task_names.HANDLE_SMARTLEAD_EVENT,
        task_names.HANDLE_SMARTLEAD_EVENT,
        task_names.HANDLE_UNSUBSCRIBE,
        task_names.ACCEPT_LEAD,
        task_names.HANDLE_FORM_SUBMISSION,
        task_names.HANDLE_FORM_SUBMISSION,
        task_names.HANDLE_FORM_SUBMISSION,
        task_names.HANDLE_VISIT,
        task_names.HANDLE_VISIT,
        task_names.HANDLE_VISIT,
        task_names.HANDLE_VISIT,
    ]
    assert {m["kwargs"]["account_id"] for m in queued(redis_client)} == {accounts["acme"]}
    everything = b"".join(redis_client.lrange("realtime", 0, -1))
    for secret in ACME_SECRETS.values():
        assert secret.encode() not in everything


def test_clay_default_campaign_comes_from_the_account_settings(
    gateway_url, accounts, redis_client
) -> None:
    row = P.clay_row(5)
    del row["campaign_id"]
    resp = httpx.post(
        f"{gateway_url}/v1/globex/clay",
        json=row,
        headers={"X-LeadOps-Secret": GLOBEX_SECRETS["clay"]},
    )
    assert resp.status_code == 202, resp.text
    [msg] = queued(redis_client)
    assert msg["kwargs"]["campaign_id"] == f"{accounts['globex']}00"
    assert msg["kwargs"]["account_id"] == accounts["globex"]


def test_a_duplicate_burst_is_enqueued_exactly_once(gateway_url, accounts, redis_client) -> None:
    """Clay fires ~40 requests at once; the same row among them must be queued once."""

    async def burst() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {ACME_SECRETS['clay']}"}
        async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
            return await asyncio.gather(
                *[
                    client.post("/v1/acme/clay", json=P.clay_row(77), headers=headers)
                    for _ in range(40)
                ]
            )

    answers = asyncio.run(burst())
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] * 39 + [202]
    assert len({r.json()["event_id"] for r in answers}) == 1
    assert redis_client.llen("realtime") == 1


def test_one_accounts_secret_cannot_enqueue_for_another(
    gateway_url, accounts, redis_client
) -> None:
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        attempts = [
            client.post(
                "/v1/globex/clay",
                json=P.clay_row(1),
                headers={"Authorization": f"Bearer {ACME_SECRETS['clay']}"},
            ),
            client.post(
                f"/v1/globex/smartlead/{ACME_SECRETS['smartlead']}", json=P.smartlead_reply(1)
            ),
            client.post(
                "/v1/globex/smartlead",
                json=P.smartlead_reply(1, secret_key=ACME_SECRETS["smartlead"]),
            ),
            client.post(
                "/v1/globex/visitors/generic",
                json=P.generic_visit(1),
                headers={"X-LeadOps-Secret": ACME_SECRETS["visitor"]},
            ),
        ]
        raw, headers = _signed("typeform", ACME_SECRETS["typeform"], P.typeform_response(1))
        attempts.append(client.post("/v1/globex/forms/typeform", content=raw, headers=headers))
    assert [r.status_code for r in attempts] == [401] * 5
    assert redis_client.llen("realtime") == 0


def test_a_real_worker_runs_a_message_the_gateway_built(worker_process, redis_client) -> None:
    """The raw Celery message (protocol 2, LPUSHed by the Lua script) is what a worker eats."""
    from api_gateway.enqueue import Enqueuer, Job
    from workers.settings import get_settings

    async def enqueue() -> list[bool]:
        enq = Enqueuer(get_settings().resolved_redis_url(), timeout=2, retention_seconds=60)
        try:
            return await enq.submit(
                [Job(1, "ping-event-1", "tasks.ping.ping", {"message": "from-gateway"})]
            )
        finally:
            await enq.close()

    assert asyncio.run(enqueue()) == [True]
    deadline = time.monotonic() + 20
    result = None
    while time.monotonic() < deadline and result is None:
        for key in redis_client.scan_iter("celery-task-meta-*"):
            meta = orjson.loads(redis_client.get(key))
            if meta["status"] == "SUCCESS" and meta["result"]["pong"] == "from-gateway":
                result = meta
        time.sleep(0.1)
    assert result is not None, worker_process.log_text()[-2000:]


def test_gateway_message_matches_celerys_own(redis_client) -> None:
    """Same envelope keys, headers and body layout as app.send_task produces."""
    from api_gateway.enqueue import celery_message
    from workers.celery_app import app

    app.send_task(task_names.HANDLE_VISIT, kwargs={"account_id": 1, "event_id": "e"})
    theirs = orjson.loads(redis_client.rpop("realtime"))
    ours = orjson.loads(
        celery_message(
            task_names.HANDLE_VISIT, {"account_id": 1, "event_id": "e"}, "tid", "realtime"
        )
    )
    assert ours.keys() == theirs.keys()
    assert ours["headers"].keys() == theirs["headers"].keys()
    assert ours["properties"].keys() == theirs["properties"].keys()
    assert ours["properties"]["delivery_info"] == theirs["properties"]["delivery_info"]
    assert orjson.loads(base64.b64decode(ours["body"])) == orjson.loads(
        base64.b64decode(theirs["body"])
    )
    for key in ("content-type", "content-encoding"):
        assert ours[key] == theirs[key]
