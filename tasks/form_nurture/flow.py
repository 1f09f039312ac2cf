"""Automation 5: a form submission -> a lead in the form's nurture campaign.

Map the payload with the form's field mapping (``mapping.py`` beside this file), then hand the
lead to the shared intake path (``workers.intake.accept.submit_lead``, source ``form``): chunked,
exactly once, with its ``LeadOutcome``. Every submission leaves one audit row (automation
``form_nurture``, action ``form_submission``); reasons: ``buffered``, ``duplicate``, ``blocked``,
``rejected`` (intake refused it), ``missing_email`` / ``invalid_email`` / ``invalid_payload``
(mapping refused it: no upload, nothing for a LeadOutcome row to key on), ``no_campaign``,
``disabled``, ``dry_run``.
The audit row names the lead's fields, never the answers themselves beyond the email.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from tasks.form_nurture.mapping import form_id_of, form_spec, map_submission
from workers import audit
from workers.accounts import automation_config, get_account
from workers.automations import FormNurtureParams
from workers.db import session_scope
from workers.intake.accept import submit_lead

AUTOMATION = "form_nurture"
ACTION = "form_submission"
PROVIDERS = ("typeform", "tally", "generic")

# submit(campaign_id, lead, event_id) -> AcceptResult (status, reason, campaign_id, email)
Submit = Callable[[str, dict[str, Any], str], Any]


def intake_event_id(event_id: str) -> str:
    """The event id handed to intake (LeadOutcome.event_id holds 64 characters)."""
    if len(event_id) <= 64:
        return event_id
    return "form:" + hashlib.sha256(event_id.encode()).hexdigest()[:40]


def handle_submission(
    account_id: int,
    event_id: str,
    provider: str,
    form_id: str | None,
    payload: dict[str, Any],
    *,
    submit: Submit,
    task_id: str | None = None,
) -> dict[str, Any]:
    """Map and enqueue one submission. Returns ``{outcome, reason, campaign_id, email}``."""
    details: dict[str, Any] = {"provider": provider, "form_id": form_id}

    def finish(
        outcome: str,
        reason: str,
        *,
        email: str | None = None,
        campaign_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        details.update(extra, campaign_id=campaign_id)
        if reason == "no_account":
            details["account_id"] = account_id  # no row for the foreign key to point at
        audit.record(
            AUTOMATION,
            ACTION,
            outcome,
            reason,
            account_id=None if reason == "no_account" else account_id,
            subject=email or (f"form {form_id}" if form_id else None),
            details=details,
            event_id=event_id[:64],
            task_id=task_id,
        )
        return {"outcome": outcome, "reason": reason, "campaign_id": campaign_id, "email": email}

    with session_scope() as s:
        account = get_account(s, account_id)
        config = automation_config(account, AUTOMATION) if account is not None else None
    if config is None:
        return finish("failed", "no_account")
    if not config.enabled:
        return finish("skipped", "disabled")
    if provider not in PROVIDERS:
        return finish("failed", f"invalid_payload: unknown provider {provider!r}")
    params: FormNurtureParams = config.params
    form_id = form_id or (form_id_of(provider, payload) if isinstance(payload, dict) else None)
    details["form_id"] = form_id
    spec = form_spec(params, form_id)
    if spec is None:
        return finish(
            "failed",
            f"no_campaign: form {form_id!r} is not configured and the "
            "account has no form_nurture.default_campaign_id",
        )
    details["mapping"] = "form" if form_id in params.forms else "default"
    mapped = map_submission(provider, payload, spec.field_mapping)
    if mapped.notes:
        details["notes"] = mapped.notes
    if mapped.lead is None:
        return finish("skipped", mapped.rejected_reason or "rejected", campaign_id=spec.campaign_id)
    lead = mapped.lead
    details["lead_fields"] = sorted(k for k in lead if k != "custom_fields")
    details["custom_fields"] = sorted(lead.get("custom_fields") or {})
    if config.dry_run:
        return finish("dry_run", "dry_run", email=lead["email"], campaign_id=spec.campaign_id)
    result = submit(spec.campaign_id, lead, intake_event_id(event_id))
    status = str(getattr(result, "status", "buffered"))
    why = str(getattr(result, "reason", "") or "")
    outcome = "done" if status == "buffered" else "skipped"
    reason = status if not why else f"{status}: {why}"
    return finish(
        outcome,
        reason,
        email=lead["email"],
        campaign_id=getattr(result, "campaign_id", None) or spec.campaign_id,
    )


def run_submission(
    account_id: int,
    event_id: str,
    provider: str,
    form_id: str | None,
    payload: dict[str, Any],
    *,
    task_id: str | None = None,
) -> dict[str, Any]:
    """``handle_submission`` with the real intake buffer."""

    def submit(campaign_id: str, lead: dict[str, Any], ev: str) -> Any:
        return submit_lead(
            account_id, campaign_id, lead, source="form", event_id=ev, task_id=task_id
        )

    return handle_submission(
        account_id, event_id, provider, form_id, payload, submit=submit, task_id=task_id
    )
