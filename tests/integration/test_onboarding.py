"""Onboarding end to end (automation 8): a real worker process clones the agency's template into
the new client's key on the Smartlead sandbox, over loopback, on real Redis; what was written is
read back from the sandbox, what the saga decided from LeadOps' own tables."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.onboarding_env import (
    CLIENT_KEY,
    CLIENT_TZ,
    EXPECTED_SEQUENCES,
    GATEWAY_URL,
    SMARTLEAD_SECRET,
    TEMPLATE_CONFIG,
    OnboardingStack,
    enqueue,
    finished,
    onboarding_stack,
    run_of,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(redis_url: str, db_url: str, tmp_path: Path) -> Iterator[OnboardingStack]:
    with onboarding_stack(tmp_path) as s:
        yield s


@pytest.fixture
def worker(stack: OnboardingStack, tmp_path: Path) -> Iterator[Any]:
    w = start_worker(tmp_path, concurrency=1, extra_env=stack.worker_env)
    yield w
    stop_process(w.proc)


def _cli(*args: str, **env: str) -> Any:
    import subprocess
    import sys

    from tests.conftest import child_env

    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=child_env(COLUMNS="200", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sequences(stack: OnboardingStack, campaign_id: int) -> list[tuple[Any, ...]]:
    client = stack.client()
    try:
        steps = client.get_sequences(campaign_id)
    finally:
        client.close()
    out = []
    for s in steps:
        variants = [
            (v["variant_label"], v["subject"], v["variant_distribution_percentage"])
            for v in s.seq_variants or []
        ]
        out.append(
            (s.seq_number, s.seq_delay_details.delay_in_days, s.subject, s.email_body, variants)
        )
    return out


def assert_complete_clone(stack: OnboardingStack, campaign_id: int) -> None:
    """The clone read back through the API matches the template, field by field."""
    client, source = stack.client(), stack.client("sl-key-agency-TEMPLATE-9f8e7d")
    try:
        clone = client.get_campaign(campaign_id)
        template = source.get_campaign(stack.template_id)
        hooks = client.list_campaign_webhooks(campaign_id)
        boxes = sorted(m.id for m in client.list_campaign_mailboxes(campaign_id))
    finally:
        client.close()
        source.close()
    assert clone is not None and template is not None
    # Settings: the same read values (the write went out in write form), no client id
    for name in ("stop_lead_settings", "unsubscribe_text", "send_as_plain_text"):
        assert getattr(clone, name) == getattr(template, name), name
    assert clone.track_settings == template.track_settings == ["DONT_EMAIL_OPEN", "DONT_LINK_CLICK"]
    assert clone.follow_up_percentage == template.follow_up_percentage == 60
    assert clone.client_id is None
    # The settings the API cannot read came from LeadOps' template configuration
    stored = stack.admin("GET", f"/campaigns/{campaign_id}")["settings"]
    for name, value in TEMPLATE_CONFIG.items():
        assert stored[name] == value, name
    # Schedule: the template's hours and days ("9" -> 09:00, 7 -> Sunday) in the client's zone
    assert clone.scheduler_cron_value == {
        "tz": CLIENT_TZ,
        "days": [0, 1, 2, 3, 4],
        "startHour": "09:00",
        "endHour": template.scheduler_cron_value["endHour"],
    }
    assert clone.min_time_btwn_emails == template.min_time_btwn_emails == 12
    assert clone.max_leads_per_day == template.max_leads_per_day == 40
    # Sequence: live variants only, relabelled; a one-variant step carries its own text
    assert _sequences(stack, campaign_id) == EXPECTED_SEQUENCES
    # The client's own mailboxes; three webhooks to this gateway's Smartlead route
    assert boxes == sorted(stack.client_boxes)
    url = f"{GATEWAY_URL}/v1/newco/smartlead/{SMARTLEAD_SECRET}"
    assert sorted((h.event_types[0], h.webhook_url) for h in hooks) == [
        ("EMAIL_REPLY", url),
        ("LEAD_CATEGORY_UPDATED", url),
        ("LEAD_UNSUBSCRIBED", url),
    ]
    assert clone.status == "DRAFTED"


def test_a_cross_key_clone_matches_the_template_field_by_field(stack, worker) -> None:
    from tasks.onboarding.store import list_runs
    from workers.accounts import automation_config, get_account
    from workers.db import session_scope

    # When the new client is onboarded from the agency's template with its two mailboxes
    boxes = ",".join(str(b) for b in stack.client_boxes)
    r = _cli(
        "onboard", "newco", "--template-account", "agency", "--template-campaign",
        str(stack.template_id), "--name", "NewCo - outbound", "--mailboxes", boxes,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    [run] = list_runs()
    assert "succeeded" in r.stdout and "record_settings" in r.stdout  # the steps it printed
    # Then the run succeeded with every step recorded, and made exactly one campaign
    assert run.state == "succeeded", run.error
    [campaign] = stack.campaigns_named("NewCo - outbound")
    assert run.campaign_id == campaign.id
    states = {name: step.state for name, step in run.steps.items()}
    assert states == {
        "validate": "done",
        "read_template": "done",
        "create_client": "skipped",
        "create_campaign": "done",
        "settings": "done",
        "schedule": "done",
        "sequences": "done",
        "mailboxes": "done",
        "webhooks": "done",
        "record_settings": "done",
        "start": "skipped",
        "cleanup": "pending",
    }
    assert_complete_clone(stack, campaign.id)
    # And the account's Clay intake now defaults to the new campaign (still disabled)
    with session_scope() as s:
        config = automation_config(get_account(s, stack.client_id), "clay_intake")
    assert config.params.default_campaign_id == str(campaign.id)
    assert config.params.chunk_size == 50 and not config.enabled
    # And the template was only read
    assert stack.writes("sl-key-agency-TEMPLATE-9f8e7d") == 0


def test_a_worker_killed_after_the_create_and_after_the_sequence_still_makes_one_complete_campaign(
    stack, tmp_path
) -> None:
    # Given the create and the sequence write each held for 3 s after being applied
    stack.faults(
        path_faults=[
            {"method": "POST", "path": "/campaigns/create", "status": 200, "delay_ms": 3000},
            {"method": "POST", "path": "/campaigns/*/sequences", "status": 200, "delay_ms": 3000},
        ]
    )
    first = start_worker(tmp_path, concurrency=1, extra_env=stack.worker_env)
    run_id = enqueue(stack, "NewCo - kill test", mailbox_ids=stack.client_boxes)
    # When the worker is SIGKILLed once the campaign exists but before its answer arrived
    try:
        wait_for(lambda: stack.campaigns_named("NewCo - kill test"), 20)
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(5)
    finally:
        stop_process(first.proc)
    assert run_of(run_id).campaign_id is None  # the answer was never recorded
    # and a second worker is SIGKILLed once the sequence is written, before its answer
    second = start_worker(tmp_path, concurrency=1, extra_env=stack.worker_env)
    try:
        wait_for(lambda: stack.campaigns_named("NewCo - kill test")[0].sequences, 30)
        os.killpg(second.proc.pid, signal.SIGKILL)
        second.proc.wait(5)
    finally:
        stop_process(second.proc)
    assert run_of(run_id).steps["sequences"].state == "running"
    # Then a third worker, started again, finishes the same run
    third = start_worker(tmp_path, concurrency=1, extra_env=stack.worker_env)
    try:
        run = finished(run_id, 30)
    finally:
        stop_process(third.proc)
    assert run.state == "succeeded", run.error
    # With one campaign under the name, complete, adopted rather than created twice
    [campaign] = stack.campaigns_named("NewCo - kill test")
    assert len(stack.every_campaign()) == 1
    assert run.campaign_id == campaign.id and run.steps["create_campaign"].result["adopted"]
    assert_complete_clone(stack, campaign.id)


def test_a_504_after_the_create_was_applied_still_makes_one_campaign(stack, worker) -> None:
    # Given Smartlead applies the create, then answers 504 (the answer is lost)
    stack.faults(path_faults=[{"method": "POST", "path": "/campaigns/create", "status": 504}])
    # When the client is onboarded
    run = finished(enqueue(stack, "NewCo - ghost", mailbox_ids=stack.client_boxes), 40)
    # Then the retried step found the campaign by its name instead of creating a second one
    assert run.state == "succeeded", run.error
    [campaign] = stack.campaigns_named("NewCo - ghost")
    assert len(stack.every_campaign()) == 1
    step = run.steps["create_campaign"]
    assert step.failures == 1 and step.result == {
        "campaign_id": campaign.id,
        "adopted": True,
        "via": "create",
    }
    with stack.state.lock:
        assert stack.state.keys[CLIENT_KEY].statuses[504] == 1
    assert_complete_clone(stack, campaign.id)


def test_a_permanent_error_at_the_mailbox_step_deletes_the_partial_campaign(stack, worker) -> None:
    from tests.integration.reply_env import audit_rows

    # Given Smartlead refuses every mailbox assignment (a 400: not worth retrying)
    stack.faults(
        path_faults=[
            {
                "method": "POST",
                "path": "/campaigns/*/email-accounts",
                "status": 400,
                "apply": False,
                "times": 0,
            }
        ]
    )
    # When the client is onboarded
    run = finished(enqueue(stack, "NewCo - doomed", mailbox_ids=stack.client_boxes))
    # Then the run failed at the mailbox step, saying why, and nothing after it ran
    assert run.state == "failed" and run.step == "mailboxes"
    assert "400" in run.error and "email-accounts" in run.error
    assert [run.steps[n].state for n in ("sequences", "mailboxes", "webhooks", "start")] == [
        "done",
        "failed",
        "pending",
        "pending",
    ]
    # And the half-made campaign is gone: deleted, and the API answers an empty body for it
    assert run.cleanup == "deleted" and run.steps["cleanup"].state == "done"
    assert stack.campaigns_named("NewCo - doomed") == []
    [made] = stack.every_campaign()
    assert made.id == run.campaign_id and made.deleted
    client = stack.client()
    try:
        assert client.get_campaign(made.id) is None
    finally:
        client.close()
    # And the account's Slack heard about it, and the audit log recorded it
    [message] = wait_for(stack.slack_messages, 10)
    assert "NewCo - doomed" in message["text"] and "failed" in message["text"]
    [row] = audit_rows(automation="onboarding", outcome="failed")
    assert row.subject == "NewCo - doomed" and "mailboxes" in row.reason
    # And `leadops onboarding show` / `list` tell the story
    shown = _cli("onboarding", "show", str(run.id))
    assert shown.returncode == 0, shown.stderr
    assert f"deleted {made.id}" in shown.stdout and "sandbox fault" in shown.stdout
    listed = _cli("onboarding", "list")
    assert run.key in listed.stdout and "failed" in listed.stdout


def test_keep_partial_keeps_the_half_made_campaign(stack, worker) -> None:
    stack.faults(
        path_faults=[
            {
                "method": "POST",
                "path": "/campaigns/*/webhooks",
                "status": 422,
                "apply": False,
                "times": 0,
            }
        ]
    )
    run = finished(
        enqueue(stack, "NewCo - kept", mailbox_ids=stack.client_boxes, keep_partial=True)
    )
    assert run.state == "failed" and run.step == "webhooks"
    assert run.cleanup == "kept"
    [campaign] = stack.campaigns_named("NewCo - kept")
    assert campaign.id == run.campaign_id and campaign.mailbox_ids == stack.client_boxes


def _set_client(stack: OnboardingStack, **fields: Any) -> None:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = s.get(Account, stack.client_id)
        for name, value in fields.items():
            setattr(account, name, value)


def test_bad_input_is_refused_before_any_write_with_a_message_naming_it(stack, worker) -> None:
    # Given a deleted template (Smartlead answers it with an empty body) and a name in use
    gone = stack.admin(
        "POST", "/campaigns", json={"api_key": "sl-key-agency-TEMPLATE-9f8e7d", "name": "old"}
    )["id"]
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
    assert stack.writes("sl-key-agency-TEMPLATE-9f8e7d") == 0
    assert [c.id for c in stack.every_campaign()] == [taken]


def test_dry_run_prints_every_call_in_order_with_bodies_and_writes_nothing(stack) -> None:
    from tasks.onboarding.store import list_runs

    boxes = ",".join(str(b) for b in stack.client_boxes)
    r = _cli(
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
    from tests.integration.onboarding_env import ONBOARDING_SECRET

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
    from tests.integration.onboarding_env import AGENCY_KEY

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
