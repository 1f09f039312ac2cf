"""What each onboarding step does. Every step can be run again after being cut short: it reads
what is already on the new campaign before it writes, and writes whole values (settings, the
six schedule fields, the full sequence), never increments.

The template is read once (``read_template``) and translated to write bodies there; the steps
after it replay those bodies, so a resumed run writes what the first attempt meant to write
even if the template changed meanwhile.
"""

from __future__ import annotations

from typing import Any

from tasks.onboarding import mapping, validate
from tasks.onboarding.saga import CLEANUP, Outcome, StepContext, StepFailed, StepFunction
from workers.clients.errors import NotFound
from workers.clients.smartlead import SmartleadClient
from workers.clients.smartlead_models import Campaign, SavedClient


def _campaign_or_none(client: SmartleadClient, campaign_id: int) -> Campaign | None:
    try:
        return client.get_campaign(campaign_id)
    except NotFound:
        return None


def _new_campaign(ctx: StepContext) -> tuple[SmartleadClient, int]:
    if ctx.run.campaign_id is None:
        raise StepFailed("no campaign was recorded by create_campaign")
    return ctx.services.target_client(ctx.run), ctx.run.campaign_id


def step_validate(ctx: StepContext) -> Outcome:
    run, services = ctx.run, ctx.services
    parties = services.parties(run)
    problems = validate.account_problems(parties, run.name)
    if problems:
        raise StepFailed("; ".join(problems))
    assert parties.target is not None and parties.template is not None
    target, template_account = parties.target, parties.template
    source = services.template_client(run)
    client = services.target_client(run)
    template = _campaign_or_none(source, run.template_campaign_id)
    if template is None:
        problems.append(
            f"template campaign {run.template_campaign_id} does not exist under account "
            f"{template_account.slug!r} (Smartlead answered an empty body)"
        )
    taken = client.find_campaigns_by_name(run.name)
    problems += validate.name_problems(run.name, target.slug, taken)
    mailbox_ids, origin = run.mailbox_ids, "request"
    if not mailbox_ids and target.params.mailbox_ids:
        mailbox_ids, origin = list(target.params.mailbox_ids), "account settings"
    if mailbox_ids:
        own = {m.id for m in client.list_email_accounts()}
        problems += validate.mailbox_problems(mailbox_ids, own, target.slug)
    elif parties.same_key and template is not None:
        mailbox_ids = [m.id for m in source.list_campaign_mailboxes(run.template_campaign_id)]
        origin = "template (same key)"
    problems += validate.start_problems(run.start, mailbox_ids, template)
    if problems:
        raise StepFailed("; ".join(problems))
    # The copy keeps the template's client unless a client id is written over it (a null is
    # never sent): without one coming, the manual recipe is the only clean clone.
    client_coming = target.client_id is not None or target.params.create_client
    clean_copy = client_coming or (template is not None and template.client_id is None)
    native = parties.same_key and services.native_duplicate and clean_copy
    strategy = "duplicate" if native else "manual"
    note = f"{len(mailbox_ids)} mailbox(es) from {origin}; {strategy} clone" + (
        "" if parties.same_key else " across keys"
    )
    return Outcome(
        {
            "mailbox_ids": mailbox_ids,
            "mailbox_origin": origin,
            "same_key": parties.same_key,
            "strategy": strategy,
        },
        note,
    )


def step_read_template(ctx: StepContext) -> Outcome:
    run, services = ctx.run, ctx.services
    parties = services.parties(run)
    assert parties.target is not None and parties.template is not None
    source = services.template_client(run)
    campaign = _campaign_or_none(source, run.template_campaign_id)
    if campaign is None:
        raise StepFailed(f"template campaign {run.template_campaign_id} is gone")
    steps = source.get_sequences(run.template_campaign_id)
    config = parties.template.params.templates.get(str(run.template_campaign_id))
    try:
        settings = mapping.settings_body(campaign, client_id=None, template=config)
        schedule = mapping.schedule_body(campaign, timezone=parties.target.timezone)
        sequences = mapping.sequence_bodies(steps)
    except mapping.MappingError as exc:
        raise StepFailed(f"template campaign {run.template_campaign_id}: {exc}") from None
    variants = sum(len(s.get("seq_variants") or []) for s in sequences)
    template_tz = (campaign.scheduler_cron_value or {}).get("tz")
    return Outcome(
        {
            "template": {"name": campaign.name, "status": campaign.status},
            "settings": settings,
            "schedule": schedule,
            "template_timezone": template_tz,
            "sequences": sequences,
            "unreadable_settings_from_leadops": sorted(
                config.model_dump(exclude_none=True) if config else {}
            ),
        },
        f"{campaign.name!r}: {len(sequences)} step(s), {variants} variant(s), "
        + ("a schedule" if schedule else "no schedule"),
    )


def step_create_client(ctx: StepContext) -> Outcome:
    run, services = ctx.run, ctx.services
    target = services.parties(run).target
    assert target is not None
    if target.client_id is not None:
        return Outcome({"client_id": target.client_id}, "account has one", skipped=True)
    if not target.params.create_client or not target.params.client_email:
        return Outcome({}, "no client id and onboarding.create_client is off", skipped=True)
    client = services.target_client(run)
    email = target.params.client_email
    found = [c for c in client.list_clients() if (c.email or "").casefold() == email.casefold()]
    adopted = bool(found)
    if found:
        client_id: int | None = found[0].id
    else:
        ctx.intent({"creating_client": email})
        client_id = SavedClient.model_validate(client.save_client(target.name, email)).client_id
        if client_id is None:  # an answer without the id: the list has it
            client_id = next(
                (
                    c.id
                    for c in client.list_clients()
                    if (c.email or "").casefold() == email.casefold()
                ),
                None,
            )
    if client_id is None:
        raise StepFailed(f"Smartlead created no client for {email}")
    services.save_client_id(target.id, client_id)
    return Outcome({"client_id": client_id, "adopted": adopted}, "found" if adopted else "created")


def step_create_campaign(ctx: StepContext) -> Outcome:
    run, services = ctx.run, ctx.services
    client = services.target_client(run)
    if ctx.result("validate")["strategy"] == "duplicate":
        return _duplicate(ctx, client)
    # A create whose answer was lost (timeout, 5xx after the write) left a campaign under this
    # name, which validation showed free: adopt it rather than make a second one. Only a
    # campaign this run may have made, though: never one someone made meanwhile.
    existing = client.find_campaigns_by_name(run.name)
    if existing:
        found = existing[0]
        if not ctx.result("create_campaign").get("create_sent"):
            raise StepFailed(
                f"name {run.name!r} was taken under the key after validation (campaign "
                f"{found.id}), by something other than this run"
            )
        return Outcome(
            {"campaign_id": found.id, "adopted": True, "via": "create"},
            f"found campaign {found.id} from an earlier attempt whose answer was lost",
        )
    ctx.intent({"create_sent": True})
    created = client.create_campaign(run.name, client_id=run.client_id)
    return Outcome({"campaign_id": created.id, "adopted": False, "via": "create"}, "created")


def _copies(client: SmartleadClient, template_id: int) -> list[int]:
    return sorted(c.id for c in client.list_campaigns() if c.parent_campaign_id == template_id)


def _duplicate(ctx: StepContext, client: SmartleadClient) -> Outcome:
    run = ctx.run
    before = ctx.result("create_campaign").get("copies_before")
    if before is None:
        ctx.intent({"copies_before": _copies(client, run.template_campaign_id)})
    else:
        new = [c for c in _copies(client, run.template_campaign_id) if c not in before]
        if new:
            return Outcome(
                {"campaign_id": new[0], "adopted": True, "via": "duplicate"},
                f"found copy {new[0]} from an earlier attempt whose answer was lost",
            )
    answer = client.duplicate_campaign(run.template_campaign_id)
    return Outcome(
        {"campaign_id": answer.new_campaign_id, "adopted": False, "via": "duplicate"},
        "duplicated (Smartlead names the copy: no rename endpoint is documented)",
    )


def step_settings(ctx: StepContext) -> Outcome:
    client, campaign_id = _new_campaign(ctx)
    body = dict(ctx.result("read_template")["settings"])
    if ctx.run.client_id is not None:
        body["client_id"] = ctx.run.client_id
    client.update_settings(campaign_id, body)
    return Outcome({"written": sorted(body)}, f"{len(body)} setting(s)")


def step_schedule(ctx: StepContext) -> Outcome:
    body = ctx.result("read_template")["schedule"]
    if body is None:
        return Outcome({}, "the template has no schedule", skipped=True)
    client, campaign_id = _new_campaign(ctx)
    client.save_schedule(campaign_id, body)
    template_tz = ctx.result("read_template").get("template_timezone")
    moved = f" (template: {template_tz})" if template_tz and template_tz != body["timezone"] else ""
    return Outcome(
        {"timezone": body["timezone"]},
        f"days {body['days_of_the_week']} {body['start_hour']}-{body['end_hour']} "
        f"{body['timezone']}{moved}",
    )


def step_sequences(ctx: StepContext) -> Outcome:
    if ctx.result("validate")["strategy"] == "duplicate":
        return Outcome({}, "copied by the duplicate endpoint", skipped=True)
    client, campaign_id = _new_campaign(ctx)
    desired: list[dict[str, Any]] = ctx.result("read_template")["sequences"]
    existing = client.get_sequences(campaign_id)
    if existing:
        try:
            same = mapping.without_ids(mapping.sequence_bodies(existing)) == mapping.without_ids(
                desired
            )
        except mapping.MappingError:
            same = False
        if same:
            return Outcome({"steps": len(desired)}, "already written by an earlier attempt")
        desired = mapping.adopt_step_ids(desired, existing)
    client.save_sequences(campaign_id, desired)
    variants = sum(len(s.get("seq_variants") or []) for s in desired)
    return Outcome({"steps": len(desired)}, f"{len(desired)} step(s), {variants} variant(s)")


def step_mailboxes(ctx: StepContext) -> Outcome:
    wanted: list[int] = ctx.result("validate")["mailbox_ids"]
    if not wanted:
        return Outcome({}, "no mailboxes given (--mailboxes or onboarding.mailbox_ids)", True)
    client, campaign_id = _new_campaign(ctx)
    current = {m.id for m in client.list_campaign_mailboxes(campaign_id)}
    if ctx.result("validate")["strategy"] == "duplicate":
        extra = sorted(current - set(wanted))  # the template's, copied by the duplicate
        if extra:
            client.remove_campaign_mailboxes(campaign_id, extra)
    missing = [i for i in wanted if i not in current]
    if missing:
        client.add_campaign_mailboxes(campaign_id, missing)
    return Outcome({"mailbox_ids": wanted}, f"{len(missing)} attached, {len(wanted)} in all")


def step_webhooks(ctx: StepContext) -> Outcome:
    run, services = ctx.run, ctx.services
    target = services.parties(run).target
    assert target is not None
    client, campaign_id = _new_campaign(ctx)
    url = mapping.webhook_url(services.gateway_url, target.slug, services.webhook_secret(target.id))
    existing = {w.name: w for w in client.list_campaign_webhooks(campaign_id)}
    ids: list[int] = []
    for spec in mapping.webhook_specs(url, target.params.webhook_categories):
        have = existing.get(spec["name"])
        if (
            have is not None
            and have.webhook_url == url
            and sorted(have.event_types) == sorted(spec["event_types"])
            and sorted(have.categories or []) == sorted(spec["categories"])
        ):
            ids.append(have.id)
            continue
        answer = client.save_campaign_webhook(
            campaign_id, webhook_id=have.id if have else None, **spec
        )
        data = answer.get("data") if isinstance(answer.get("data"), dict) else answer
        hook_id = data.get("id") if isinstance(data, dict) else None
        if hook_id is None:
            again = {w.name: w.id for w in client.list_campaign_webhooks(campaign_id)}
            hook_id = again.get(spec["name"])
        if hook_id is not None:
            ids.append(int(hook_id))
    where = f"{services.gateway_url}/v1/{target.slug}/smartlead/***"
    return Outcome({"webhook_ids": ids}, f"{len(ids)} webhook(s) -> {where}")


def step_record_settings(ctx: StepContext) -> Outcome:
    run, services = ctx.run, ctx.services
    target = services.parties(run).target
    assert target is not None
    targets = list(target.params.record_campaign_in)
    if not targets:
        return Outcome({}, "the account asks for none (onboarding.record_campaign_in)", True)
    _, campaign_id = _new_campaign(ctx)
    services.record_campaign(target.id, targets, campaign_id)
    return Outcome({"recorded": targets}, ", ".join(f"{t} = {campaign_id}" for t in targets))


def step_start(ctx: StepContext) -> Outcome:
    if not ctx.run.start:
        return Outcome({}, "not asked (--start)", skipped=True)
    client, campaign_id = _new_campaign(ctx)
    campaign = _campaign_or_none(client, campaign_id)
    if campaign is None:
        raise StepFailed(f"campaign {campaign_id} is gone")
    if campaign.status == "ACTIVE":
        return Outcome({"status": "ACTIVE"}, "already active")
    client.set_campaign_status(campaign_id, "START")
    return Outcome({"status": "ACTIVE"}, "started")


def step_cleanup(ctx: StepContext) -> Outcome:
    """Delete the half-made campaign (unless --keep-partial). A campaign whose create answer
    was lost is found the way create_campaign would have found it."""
    run, services = ctx.run, ctx.services
    campaign_id = run.campaign_id
    began = bool(run.result("create_campaign"))  # a create (or duplicate) may have been sent
    if campaign_id is None and began:
        client = services.target_client(run)
        if run.result("validate").get("strategy") == "duplicate":
            before = run.result("create_campaign").get("copies_before")
            if before is not None:
                new = [c for c in _copies(client, run.template_campaign_id) if c not in before]
                campaign_id = new[0] if new else None
        elif run.result("create_campaign").get("create_sent"):
            found = client.find_campaigns_by_name(run.name)
            campaign_id = found[0].id if found else None
    if campaign_id is None:
        return Outcome({"cleanup": "nothing_to_delete"}, "no campaign was created")
    if run.keep_partial:
        return Outcome(
            {"cleanup": "kept", "campaign_id": campaign_id},
            f"campaign {campaign_id} kept (--keep-partial)",
        )
    client = services.target_client(run)
    if _campaign_or_none(client, campaign_id) is None:
        return Outcome({"cleanup": "already_deleted", "campaign_id": campaign_id}, "already gone")
    client.delete_campaign(campaign_id)
    return Outcome({"cleanup": "deleted", "campaign_id": campaign_id}, f"deleted {campaign_id}")


STEP_FUNCTIONS: dict[str, StepFunction] = {
    "validate": step_validate,
    "read_template": step_read_template,
    "create_client": step_create_client,
    "create_campaign": step_create_campaign,
    "settings": step_settings,
    "schedule": step_schedule,
    "sequences": step_sequences,
    "mailboxes": step_mailboxes,
    "webhooks": step_webhooks,
    "record_settings": step_record_settings,
    "start": step_start,
    CLEANUP: step_cleanup,
}
