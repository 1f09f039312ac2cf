"""Input checks made before any write, each problem a sentence naming what is wrong. The
step ``validate`` (steps.py) gathers the facts (accounts, the template, the target key's
campaigns and mailboxes) and these pure functions judge them; every problem is reported at
once, so one correction fixes the request."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasks.onboarding.saga import Parties
from workers.clients.smartlead_models import Campaign

MAX_NAME = 200


def timezone_problem(tz: str | None, slug: str) -> str | None:
    if not tz or not tz.strip():
        return f"account {slug!r} has no time zone"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return f"account {slug!r} has an unknown time zone {tz!r} (use an IANA name)"
    return None


def account_problems(parties: Parties, name: str) -> list[str]:
    """What the accounts and the name must be before Smartlead is even asked."""
    problems = []
    target, template = parties.target, parties.template
    if target is None:
        problems.append("the account to onboard does not exist in LeadOps")
    else:
        if not target.has_key:
            problems.append(f"account {target.slug!r} has no Smartlead API key")
        tz = timezone_problem(target.timezone, target.slug)
        if tz:
            problems.append(tz)
        params = target.params
        if target.client_id is None and params.create_client and not params.client_email:
            problems.append(
                f"account {target.slug!r}: onboarding.create_client needs onboarding.client_email"
            )
    if template is None:
        problems.append("the template account does not exist in LeadOps")
    elif not template.has_key:
        problems.append(f"template account {template.slug!r} has no Smartlead API key")
    clean = name.strip()
    if not clean:
        problems.append("name is empty")
    elif len(clean) > MAX_NAME:
        problems.append(f"name is longer than {MAX_NAME} characters")
    return problems


def name_problems(name: str, slug: str, taken: Sequence[Campaign]) -> list[str]:
    if not taken:
        return []
    ids = ", ".join(str(c.id) for c in taken)
    return [f"name {name.strip()!r} is already used under account {slug!r}'s key (campaign {ids})"]


def mailbox_problems(ids: Sequence[int], own: Collection[int], slug: str) -> list[str]:
    foreign = [i for i in ids if i not in own]
    if not foreign:
        return []
    return [
        f"mailbox id(s) {foreign} are not mailboxes of account {slug!r}'s Smartlead key "
        "(they belong to another key, or do not exist)"
    ]


def start_problems(start: bool, mailbox_ids: Sequence[int], template: Campaign | None) -> list[str]:
    if not start:
        return []
    problems = []
    if not mailbox_ids:
        problems.append("--start needs mailboxes: give --mailboxes or onboarding.mailbox_ids")
    if template is not None and not template.scheduler_cron_value:
        problems.append("--start needs a schedule, and the template campaign has none")
    return problems
