"""Every stable task name, and the keyword arguments each one receives.

The gateway and the runtime import no task code: they publish by name, and the task modules
(``tasks/<automation>/tasks.py``) register these exact names. Renaming one strands queued
messages, so treat them as a public contract. Queues come from ``workers.queues`` routing.
A unit test checks that every registered task's name is here and routes to a declared queue.

## Enqueued by the gateway (all land on ``realtime``)

Common to these:

- ``account_id`` (int): the account whose slug was in the URL and whose secret was verified.
- ``event_id`` (str, <= 64 chars, e.g. ``"clay-3f2a..."``): deterministic for one sender event
  (a hash of the account, the source and the sender's event id or identifying fields), so a
  sender retry that arrives after the gateway's dedup window carries the same id. Use it as the
  idempotency key (``ProcessedEvent``, ``LeadOutcome.event_id``, ``AuditLog.event_id``). The
  Celery task id is a fresh UUID per enqueue, not the event id.
- Only ids and small JSON values: no secret (``secret_key``, tokens, signatures) ever appears.
"""

from __future__ import annotations

ACCEPT_LEAD = "tasks.lead_intake.accept_lead"
"""One Clay row (one lead).

kwargs::

    account_id: int
    campaign_id: str | None   # the row's campaign_id, else the account's
                              # clay_intake.default_campaign_id (the gateway answers 422 when
                              # neither exists, so in practice always a string)
    source: "clay"            # "form" / "csv" are for other producers of this task
    event_id: str
    lead: {                   # Smartlead's lead shape; keys present only when given
        email: str,           # validated, lower-cased
        first_name?, last_name?, company_name?, website?, linkedin_profile?,
        phone_number?, location?: str,
        custom_fields?: {str: str | int | float | bool | None},
    }
"""

HANDLE_FORM_SUBMISSION = "tasks.form_nurture.handle_submission"
"""One form submission; mapping it to a lead is the task's job (FormNurtureParams.forms).

kwargs::

    account_id: int
    event_id: str
    provider: "typeform" | "tally" | "generic"
    form_id: str        # typeform: form_response.form_id; tally: data.formId;
                        # generic: the {form_id} of the URL (known to FormNurtureParams.forms)
    payload: dict       # the parsed JSON body, with secret-named keys removed
"""

HANDLE_SMARTLEAD_EVENT = "tasks.crm_sync.handle_smartlead_event"
"""EMAIL_REPLY and LEAD_CATEGORY_UPDATED (category-based blocking is done here too).

kwargs::

    account_id: int
    event_id: str
    event_type: "EMAIL_REPLY" | "LEAD_CATEGORY_UPDATED"
    event: {
        lead_email: str,              # lower-cased; sl_lead_email / lead_data.email / ...
        campaign_id: str | None,
        campaign_name: str | None,
        client_id: str | None,
        event_timestamp: str | None,  # as sent (ISO 8601)
        sl_email_lead_id: str | None,
        sl_email_lead_map_id: str | None,
        lead_id: str | None,
        from_email: str | None,       # the mailbox
        to_name: str | None,
        subject: str | None,
        sequence_number: int | None,
        reply_message_id: str | None,
        reply_time: str | None,
        reply_preview: str | None,    # reply text (or tag-stripped HTML), <= 1,000 chars
        category_new_name: str | None,  # LEAD_CATEGORY_UPDATED: always present
        category_new_id: str | None,
        category_old_name: str | None,
        category_old_id: str | None,
        first_name: str | None, last_name: str | None, company_name: str | None,
    }
"""

HANDLE_UNSUBSCRIBE = "tasks.blocklist.handle_unsubscribe"
"""LEAD_UNSUBSCRIBED.

kwargs::

    account_id: int
    event_id: str
    email: str               # lower-cased
    reason: str              # the payload's reason when it has one, else "unsubscribed"
    campaign_id: str | None
"""

HANDLE_VISIT = "tasks.visit_followup.handle_visit"
"""One page view by a person (RB2B, generic) or a company (Clearbit audience / Albacross).

kwargs::

    account_id: int
    event_id: str
    source: "rb2b" | "company" | "generic"
    email: str | None        # lower-cased; None for company-level visits
    domain: str | None       # lower-cased bare domain; match known leads by email domain
    page_url: str
    seen_at: str             # ISO 8601 UTC; the receipt time when the sender's was unparseable

A company payload with several page views is enqueued as one task per page view.
"""

START_ONBOARDING = "tasks.onboarding.start"
"""A CRM event asking to onboard the path's account (POST /v1/{account}/onboarding, signed).

kwargs::

    account_id: int            # the account to onboard (its slug was in the URL)
    event_id: str              # "onboarding-<32 hex>": also the run's key (run id in the 202)
    template_account_id: int   # the LeadOps account that owns the template (it exists)
    template_campaign_id: int  # the template's Smartlead campaign id (> 0)
    name: str                  # the new campaign's name, stripped, 1..200 characters
    mailbox_ids: [int]         # mailbox ids of the account's key; may be empty
    start: bool                # start the campaign once complete
    keep_partial: bool         # after a failure, keep the half-made campaign

The task creates the run once per event id (a redelivery finds it) and advances it; whether the
template, the key, the mailboxes and the name are right is checked there, before any write.
"""

GATEWAY_TASK_NAMES = (
    ACCEPT_LEAD,
    HANDLE_FORM_SUBMISSION,
    HANDLE_SMARTLEAD_EVENT,
    HANDLE_UNSUBSCRIBE,
    HANDLE_VISIT,
    START_ONBOARDING,
)

# ## Sent by the runtime and by automations

UPLOAD_CHUNK = "tasks.lead_intake.upload_chunk"
"""One claimed chunk of buffered leads -> one add-leads call (bulk lane).

kwargs: ``account_id: int, chunk_id: str, gen: int`` (``gen`` is the claim's fencing token: a
task holding an older one can no longer touch the chunk; the kwarg keeps its short name so that
queued messages stay valid)."""

FLUSH_INTAKE = "tasks.lead_intake.flush"
"""The account's oldest buffered lead has waited the max delay. kwargs: ``account_id: int``."""

SWEEP_INTAKE = "tasks.lead_intake.sweep"
"""Beat, every 5 s: re-queue chunks of dead workers, dispatch due buffers. No arguments."""

PUSH_BLOCK = "tasks.blocklist.push_to_account"
"""One blocked address -> one account's Smartlead block list.
kwargs: ``blocked_id: int, account_id: int``."""

NOTIFY_CRM_SLACK = "tasks.crm_sync.notify_slack"
"""An Interested / Meeting Request reply -> the account's Slack channel.
kwargs: ``account_id: int, event_id: str, email: str, category: str | None,
campaign: str | None, preview: str``."""

PING = "tasks.ping.ping"
"""Housekeeping: answers ``pong`` (the demo and ``leadops doctor`` use it)."""

LIMITER_PROBE_CALL = "tasks.limiter_probe.call"
LIMITER_PROBE_CELERY_RATE_LIMIT = "tasks.limiter_probe.call_celery_rate_limit"
"""Benchmark and test probes of the shared limiter (one sandbox call each)."""

DISPATCH_CHECK = "tasks.scheduling.dispatch"
"""Beat, one entry per check: select the accounts whose local due time has passed for a period
not yet run, claim each (check, account, period), enqueue the per-account task. kwargs:
``check: str``."""

ENQUEUE_RUNS = "tasks.scheduling.enqueue"
"""A slice of a large tick's claimed runs, published by a worker with their countdowns."""

CHECK_SCHEDULE_PROBE = "tasks.schedule_probe.check_account"
"""Probe of the scheduling mechanism (tests, benchmark): lists campaigns once per key."""

ADVANCE_ONBOARDING = "tasks.onboarding.advance"
"""Automation 8: run the next steps of one onboarding saga. kwargs: ``run_id: int``."""

RESUME_ONBOARDINGS = "tasks.onboarding.resume_stalled"
"""Beat, every minute (and at worker start): re-send the onboardings whose runner died."""

# ## Scheduled checks: the per-account task of each, dispatched by the scheduling mechanism
# (workers/scheduling/) with one kwarg, ``run_id: int`` (the claimed run record).

SNAPSHOT_ANALYTICS = "tasks.analytics_snapshot.snapshot_account"
"""Automation 4: store the account's previous local day of campaign figures."""

CHECK_REPLY_GUARD = "tasks.reply_guard.check_account"
"""Automation 2: pause the account's campaigns whose reply rate stays under the threshold."""

CHECK_SEND_DAYS = "tasks.send_days.check_account"
"""Automation 9: narrow the account's campaigns' send days to the weekdays that get replies."""

CHECK_MAILBOX_HEALTH = "tasks.mailbox_health.check_account"
"""Automation 7: the account's mailboxes each local morning; Slack on a change."""

RENDER_REPORTS = "tasks.analytics_snapshot.render_reports"
"""Automation 4: render and store an account's client report periods. kwargs: ``account_id``."""

ALL_TASK_NAMES = (
    *GATEWAY_TASK_NAMES,
    UPLOAD_CHUNK,
    FLUSH_INTAKE,
    SWEEP_INTAKE,
    PUSH_BLOCK,
    NOTIFY_CRM_SLACK,
    PING,
    LIMITER_PROBE_CALL,
    LIMITER_PROBE_CELERY_RATE_LIMIT,
    SNAPSHOT_ANALYTICS,
    RENDER_REPORTS,
    CHECK_REPLY_GUARD,
    CHECK_SEND_DAYS,
    DISPATCH_CHECK,
    ENQUEUE_RUNS,
    CHECK_SCHEDULE_PROBE,
    CHECK_MAILBOX_HEALTH,
    ADVANCE_ONBOARDING,
    RESUME_ONBOARDINGS,
)
