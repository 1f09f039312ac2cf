"""Account specs: the YAML/CLI shape of a client account, validated before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from workers.accounts import RATE_LIMIT_PLANS, get_account_by_slug, set_automation
from workers.automations import AUTOMATIONS, validate_params
from workers.models import Account

SECRET_FIELDS = ("smartlead_api_key", "hubspot_token", "slack_webhook_url", "webhook_secrets")


class AutomationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    dry_run: bool = False
    params: dict[str, Any] = Field(default_factory=dict)


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "UTC"
    group_name: str | None = None
    active: bool = True
    smartlead_api_key: str | None = None
    smartlead_base_url: str | None = None
    smartlead_client_id: int | None = None
    rate_limit_plan: str = "default"
    rate_limits: list[tuple[int, float]] | None = None
    hubspot_token: str | None = None
    hubspot_base_url: str | None = None
    slack_webhook_url: str | None = None
    webhook_secrets: dict[str, str] = Field(default_factory=dict)
    automations: dict[str, AutomationSpec] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name like Europe/Paris)"
            ) from None
        return v

    @field_validator("rate_limit_plan")
    @classmethod
    def _plan(cls, v: str) -> str:
        if v not in RATE_LIMIT_PLANS and v != "custom":
            raise ValueError(f"unknown plan {v!r}; one of {sorted(RATE_LIMIT_PLANS)} or custom")
        return v

    @field_validator("automations")
    @classmethod
    def _automations(cls, v: dict[str, AutomationSpec]) -> dict[str, AutomationSpec]:
        for name, spec in v.items():
            if name not in AUTOMATIONS:
                raise ValueError(f"unknown automation {name!r}; known: {sorted(AUTOMATIONS)}")
            try:
                validate_params(name, spec.params)
            except ValidationError as exc:
                raise ValueError(f"{name}: {_all_errors(exc)}") from None
        return v


class ImportError_(ValueError):
    """A malformed import file: names the file, the entry and the field."""


def _all_errors(exc: ValidationError) -> str:
    """Every error of the entry (a bad slug AND a bad time zone), "; "-separated."""
    parts = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"])
        parts.append(f"{loc}: {e['msg']}" if loc else e["msg"])
    return "; ".join(parts)


def load_specs(path: Path) -> list[AccountSpec]:
    """Parse and validate every entry; raise naming file, entry and every wrong field of the
    first wrong entry."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ImportError_(f"{path}: not valid YAML: {exc}") from None
    entries = raw.get("accounts") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise ImportError_(f"{path}: expected a list of accounts (or a mapping with 'accounts:')")
    specs, seen = [], set()
    for i, entry in enumerate(entries, start=1):
        label = f"entry {i}"
        if isinstance(entry, dict) and isinstance(entry.get("slug"), str):
            label += f" ({entry['slug']})"
        try:
            spec = AccountSpec.model_validate(entry)
        except ValidationError as exc:
            raise ImportError_(f"{path}: {label}: {_all_errors(exc)}") from None
        if spec.slug in seen:
            raise ImportError_(f"{path}: {label}: slug: duplicate slug {spec.slug!r} in file")
        seen.add(spec.slug)
        specs.append(spec)
    return specs


def upsert_account(session: Session, spec: AccountSpec) -> Account:
    account = get_account_by_slug(session, spec.slug)
    if account is None:
        account = Account(slug=spec.slug, name=spec.name)
        session.add(account)
    for field in (
        "name",
        "timezone",
        "group_name",
        "active",
        "smartlead_api_key",
        "smartlead_base_url",
        "smartlead_client_id",
        "rate_limit_plan",
        "hubspot_token",
        "hubspot_base_url",
        "slack_webhook_url",
        "webhook_secrets",
    ):
        setattr(account, field, getattr(spec, field))
    account.rate_limits = [list(w) for w in spec.rate_limits] if spec.rate_limits else None
    session.flush()
    for name, a in spec.automations.items():
        set_automation(
            session, account, name, enabled=a.enabled, dry_run=a.dry_run, params=a.params
        )
    return account


def account_to_dict(account: Account, *, include_secrets: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": account.slug,
        "name": account.name,
        "timezone": account.timezone,
        "group_name": account.group_name,
        "active": account.active,
        "smartlead_base_url": account.smartlead_base_url,
        "smartlead_client_id": account.smartlead_client_id,
        "rate_limit_plan": account.rate_limit_plan,
        "rate_limits": account.rate_limits,
        "hubspot_base_url": account.hubspot_base_url,
        "automations": {
            a.automation: {"enabled": a.enabled, "dry_run": a.dry_run, "params": a.params}
            for a in account.automations
        },
    }
    for field in SECRET_FIELDS:
        value = getattr(account, field)
        if include_secrets:
            data[field] = value
        elif field == "webhook_secrets":
            data[field] = {k: "***" for k in (value or {})}
        else:
            data[field] = "***" if value else None
    return data
