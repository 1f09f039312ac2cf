"""Account look-ups and automation settings, as the tasks and the gateway need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers.automations import AUTOMATIONS, validate_params
from workers.models import Account, AutomationSetting

# Rate-limit plans (smartlead-api.md): windows as (limit, seconds). The default is the safe one.
RATE_LIMIT_PLANS: dict[str, list[tuple[int, float]]] = {
    "default": [(10, 2.0), (60, 60.0)],
    "standard": [(10, 1.0), (60, 60.0), (1000, 3600.0)],
    "pro": [(20, 1.0), (120, 60.0), (3000, 3600.0)],
}


def rate_limit_windows(account: Account) -> list[tuple[int, float]]:
    if account.rate_limit_plan == "custom" and account.rate_limits:
        return [(int(limit), float(seconds)) for limit, seconds in account.rate_limits]
    return RATE_LIMIT_PLANS.get(account.rate_limit_plan, RATE_LIMIT_PLANS["default"])


@dataclass(frozen=True)
class AutomationConfig:
    enabled: bool
    dry_run: bool
    params: Any  # the automation's pydantic model


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def get_account_by_slug(session: Session, slug: str) -> Account | None:
    return session.scalar(select(Account).where(Account.slug == slug))


def automation_config(account: Account, automation: str) -> AutomationConfig:
    """Enabled/dry-run/params of one automation for an account (defaults when unset)."""
    if automation not in AUTOMATIONS:
        raise ValueError(f"unknown automation {automation!r}")
    for row in account.automations:
        if row.automation == automation:
            return AutomationConfig(
                row.enabled, row.dry_run, validate_params(automation, row.params)
            )
    return AutomationConfig(False, False, validate_params(automation, {}))


def set_automation(
    session: Session,
    account: Account,
    automation: str,
    *,
    enabled: bool = True,
    dry_run: bool = False,
    params: dict[str, Any] | BaseModel | None = None,
) -> AutomationSetting:
    data = params.model_dump() if isinstance(params, BaseModel) else (params or {})
    validated = validate_params(automation, data).model_dump(mode="json")
    for row in account.automations:
        if row.automation == automation:
            row.enabled, row.dry_run, row.params = enabled, dry_run, validated
            return row
    row = AutomationSetting(
        automation=automation, enabled=enabled, dry_run=dry_run, params=validated
    )
    account.automations.append(row)
    session.flush()
    return row
