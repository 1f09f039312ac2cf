"""Onboarding's refusals and triggers (automation 8): bad input refused before any write, the
dry run, the signed CRM webhook through the gateway, and the native duplicate for same-key
clones; real worker processes, sandboxes over loopback, real Redis."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.onboarding.env import (
    AGENCY_KEY,
    CLIENT_KEY,
    CLIENT_TZ,
    GATEWAY_URL,
    SMARTLEAD_SECRET,
    OnboardingStack,
    assert_complete_clone,
    cli,
    enqueue,
    finished,
    onboarding_stack,
    wait_for,
)

pytestmark = pytest.mark.integration


def _set_client(stack: OnboardingStack, **fields: Any) -> None:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = s.get(Account, stack.client_id)
        for name, value in fields.items():
            setattr(account, name, value)


def test_bad_input_is_refused_before_any_write_with_a_message_naming_it(stack, worker) -> None:
    # Given a deleted template (Smartlead answers it with an empty body) and a name in use
    gone = stack.admin("POST", "/campaigns", json={"api_key": AGENCY_KEY, "name": "old"})["id"]
    stack.admin("DELETE", f"/campaigns/{gone}")
    taken = stack.admin("POST", "/campaigns", json={"api_key": CLIENT_KEY, "name": "Taken"})["id"]
    writes_before = stack.writes()
    # When onboarding is asked with each bad input
    cases = {
        "no such template": (
            {"template_campaign_id": 999999},
            "template campaign 999999 does not exist under account 'agency'",
        ),
        "deleted template": ({"template_campaign_id": gone}, "empty body"),
        "foreign mailboxes": (
            {"mailbox_ids": stack.template_boxes},
            f"mailbox id(s) {stack.template_boxes} are not mailboxes of account 'newco'",
        ),
        "name in use": (
            {"name": "taken "},
            f"name 'taken' is already used under account 'newco''s key (campaign {taken})",
        ),
        "start without mailboxes": ({"start": True}, "--start needs mailboxes"),
    }
    runs = {}
    for i, (case, (options, _)) in enumerate(cases.items()):
        name = options.pop("name", f"NewCo - bad {i}")
        runs[case] = enqueue(stack, name, **options)
    # Then each run failed at validation with a message naming what is wrong
    for case, (_, message) in cases.items():
        run = finished(runs[case])
        assert run.state == "failed" and run.step == "validate", case
        assert message in run.error, (case, run.error)
        assert run.cleanup == "nothing_to_delete"
    # And so does an account without a Smartlead key, or with no usable time zone
    _set_client(stack, smartlead_api_key=None, timezone="Mars/Olympus_Mons")
    run = finished(enqueue(stack, "NewCo - bad account"))
    assert run.state == "failed" and run.step == "validate"
    assert "account 'newco' has no Smartlead API key" in run.error
    assert "unknown time zone 'Mars/Olympus_Mons'" in run.error
    # And not one write reached Smartlead, under either key
    assert stack.writes() == writes_before
    assert stack.writes(AGENCY_KEY) == 0
    assert [c.id for c in stack.every_campaign()] == [taken]


def test_dry_run_prints_every_call_in_order_with_bodies_and_writes_nothing(stack) -> None:
    from tasks.onboarding.store import list_runs

    boxes = ",".join(str(b) for b in stack.client_boxes)
    r = cli(
        "onboard", "newco", "--template-account", "agency", "--template-campaign",
        str(stack.template_id), "--name", "NewCo - dry", "--mailboxes", boxes, "--start",
        "--dry-run", LEADOPS_GATEWAY_PUBLIC_URL=GATEWAY_URL,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    # The calls, in saga order, each with its account and its body
    order = [
        f"[agency] GET /campaigns/{stack.template_id}",
        "[newco] GET /campaigns/  (read)",
        "[newco] GET /email-accounts/?offset=0&limit=100",
        f"[agency] GET /campaigns/{stack.template_id}/sequences",
        "[newco] POST /campaigns/create  (would send)",
        "[newco] POST /campaigns/<new>/settings  (would send)",
        "[newco] POST /campaigns/<new>/schedule  (would send)",
        "[newco] POST /campaigns/<new>/sequences  (would send)",
        "[newco] POST /campaigns/<new>/email-accounts  (would send)",
        "[newco] POST /campaigns/<new>/webhooks  (would send)",
        "[newco] POST /campaigns/<new>/status  (would send)",
    ]
    positions = [out.find(line) for line in order]
    assert -1 not in positions, [line for line, p in zip(order, positions) if p == -1]
    assert positions == sorted(positions)
    assert '"track_settings": [\n    "DONT_TRACK_EMAIL_OPEN",' in out
    assert '"start_hour": "09:00"' in out and f'"timezone": "{CLIENT_TZ}"' in out
    assert '"id": null' in out and '"status": "START"' in out
    assert "clay_intake.default_campaign_id = <new campaign>" in out
    # No secret in the output; nothing written to Smartlead or to LeadOps
    assert CLIENT_KEY not in out and SMARTLEAD_SECRET not in out
    assert f"{GATEWAY_URL}/v1/newco/smartlead/***" in out
    assert stack.writes() == 0 and stack.every_campaign() == []
    assert list_runs() == []


def test_a_signed_crm_event_onboards_once_however_often_it_is_delivered(
    stack, worker, redis_client
) -> None:
    import hashlib
    import hmac
    import json

    import httpx

    from api_gateway.app import create_app
    from ops.sandbox.serve import serve
    from tasks.onboarding.store import find_run
    from tests.integration.onboarding.env import ONBOARDING_SECRET

    body = json.dumps(
        {
            "event_id": "deal-4711-won",
            "template_account": "agency",
            "template_campaign": str(stack.template_id),
            "name": "NewCo - from the CRM",
            "mailboxes": ",".join(str(b) for b in stack.client_boxes),
            "deal_stage": "closedwon",
        }
    ).encode()
    digest = hmac.new(ONBOARDING_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-leadops-signature": f"sha256={digest}"}
    with serve(create_app()) as gateway:
        url = f"{gateway}/v1/newco/onboarding"
        # When the CRM delivers the won deal, then delivers it again
        first = httpx.post(url, content=body, headers=headers, timeout=10)
        again = httpx.post(url, content=body, headers=headers, timeout=10)
        # and once more after the gateway's dedup window (its key gone)
        run_key = first.json()["run_id"]
        run = wait_for(lambda: find_run(run_key), 20)
        run = finished(run.id)
        for key in redis_client.scan_iter("leadops:dedup:*"):
            redis_client.delete(key)
        late = httpx.post(url, content=body, headers=headers, timeout=10)
    # Then the first is accepted with the run id, the repeats are recognised
    assert first.status_code == 202 and run_key.startswith("onboarding-")
    assert again.status_code == 200 and again.json() == {
        "duplicate": True,
        "event_id": run_key,
        "run_id": run_key,
    }
    assert late.status_code == 202 and late.json()["run_id"] == run_key
    # And the late delivery found its run: one run, one campaign
    wait_for(lambda: worker.log_text().count("tasks.onboarding.start[") >= 4, 20)
    assert run.state == "succeeded", run.error
    assert run.source == "gateway" and run.mailbox_ids == stack.client_boxes
    from tasks.onboarding.store import list_runs

    assert [r.key for r in list_runs()] == [run_key]
    [campaign] = stack.campaigns_named("NewCo - from the CRM")
    assert campaign.id == run.campaign_id
    assert_complete_clone(stack, campaign.id)


def test_a_same_key_clone_uses_the_duplicate_endpoint_when_the_flag_is_on(
    redis_url, db_url, tmp_path
) -> None:
    from tests.integration.onboarding.env import AGENCY_KEY

    # Given a client under the agency's own key (client id 77) and the native flag on
    with onboarding_stack(tmp_path, smartlead_api_key=AGENCY_KEY, smartlead_client_id=77) as st:
        env = {**st.worker_env, "LEADOPS_ONBOARDING_NATIVE_DUPLICATE": "1"}
        w = start_worker(tmp_path, concurrency=1, extra_env=env)
        try:
            # When it is onboarded with one of the template's mailboxes
            keep = st.template_boxes[:1]
            run = finished(enqueue(st, "NewCo - native", mailbox_ids=keep))
        finally:
            stop_process(w.proc)
        # Then one copy of the template exists, made by the duplicate endpoint
        assert run.state == "succeeded", run.error
        copies = [c for c in st.every_campaign(AGENCY_KEY) if c.id != st.template_id]
        assert [c.id for c in copies] == [run.campaign_id]
        copy = copies[0]
        assert copy.parent_campaign_id == st.template_id
        assert run.steps["create_campaign"].result["via"] == "duplicate"
        assert run.steps["sequences"].state == "skipped"
        # And what the copy could not know was written: client id, zone, mailboxes, webhooks
        assert copy.client_id == 77 and copy.schedule["timezone"] == CLIENT_TZ
        assert copy.mailbox_ids == keep
        assert len(copy.webhooks) == 3
        assert [s["seq_number"] for s in copy.sequences] == [1, 2, 3]
