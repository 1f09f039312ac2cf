"""Onboarding end to end (automation 8): a real worker process clones the agency's template into
the new client's key on the Smartlead sandbox, over loopback, on real Redis, and survives being
killed, lost answers and permanent errors; what was written is read back from the sandbox, what
the saga decided from LeadOps' own tables."""

from __future__ import annotations

import os
import signal

import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.onboarding.env import (
    AGENCY_KEY,
    CLIENT_KEY,
    SMARTLEAD_SECRET,
    assert_complete_clone,
    cli,
    enqueue,
    finished,
    run_of,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_a_cross_key_clone_matches_the_template_field_by_field(stack, worker) -> None:
    from tasks.onboarding.store import list_runs
    from workers.accounts import automation_config, get_account
    from workers.db import session_scope

    # When the new client is onboarded from the agency's template with its two mailboxes
    boxes = ",".join(str(b) for b in stack.client_boxes)
    r = cli(
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
    assert stack.writes(AGENCY_KEY) == 0
    # And no key or webhook secret is in the worker's log, the run's record or the results
    import json

    import redis

    backend = redis.Redis.from_url(os.environ["LEADOPS_REDIS_URL"])
    results = b"".join(backend.get(k) or b"" for k in backend.scan_iter("celery-task-meta-*"))
    recorded = json.dumps([[s.result, s.note, s.error] for s in run.steps.values()])
    for secret in (CLIENT_KEY, AGENCY_KEY, SMARTLEAD_SECRET):
        assert secret not in worker.log_text() and secret not in recorded
        assert secret.encode() not in results
    assert results  # the results were there to be searched


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
        "create_sent": True,
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
    shown = cli("onboarding", "show", str(run.id))
    assert shown.returncode == 0, shown.stderr
    assert f"deleted {made.id}" in shown.stdout and "sandbox fault" in shown.stdout
    listed = cli("onboarding", "list")
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
