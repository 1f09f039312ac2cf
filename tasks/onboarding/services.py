"""The live ``Services`` of the saga: accounts from the database, their Smartlead clients
(through the shared limiter, on the bulk lane so the account's webhook work goes first),
LeadOps' own settings, the audit log and the account's Slack."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from tasks.onboarding import mapping
from tasks.onboarding.config import OnboardingSettings, onboarding_settings
from tasks.onboarding.saga import AccountInfo, Parties, RunView, StepFailed
from workers import audit
from workers.accounts import automation_config, get_account, set_automation
from workers.automations import OnboardingParams
from workers.clients.errors import ApiError
from workers.clients.factory import slack_for, smartlead_for
from workers.clients.smartlead import SmartleadClient
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account
from workers.redaction import register_secret

log = get_logger("tasks.onboarding")

AUTOMATION = "onboarding"
LANE = "bulk"


def key_id(account: Account) -> str:
    """Which key (and API) an account uses, without the key: same value = same key."""
    raw = f"{account.smartlead_base_url or ''}\x1f{account.smartlead_api_key or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def account_info(account: Account) -> AccountInfo:
    params = automation_config(account, AUTOMATION).params
    assert isinstance(params, OnboardingParams)
    return AccountInfo(
        id=account.id,
        slug=account.slug,
        name=account.name,
        timezone=account.timezone or "",
        client_id=account.smartlead_client_id,
        has_key=bool(account.smartlead_api_key),
        key_id=key_id(account),
        params=params,
    )


class LiveServices:
    dry_run = False

    def __init__(self, settings: OnboardingSettings | None = None) -> None:
        self.settings = settings or onboarding_settings()
        self.gateway_url = self.settings.gateway_url
        self.native_duplicate = self.settings.onboarding_native_duplicate
        self._clients: dict[int, SmartleadClient] = {}

    # ---- accounts and clients ---------------------------------------------------------------
    def _account(self, account_id: int | None) -> Account | None:
        if account_id is None:
            return None
        with session_scope() as s:
            account = get_account(s, account_id)
            if account is not None:
                s.expunge(account)
            return account

    def parties(self, run: RunView) -> Parties:
        target, template = self._account(run.account_id), self._account(run.template_account_id)
        return Parties(
            account_info(target) if target else None,
            account_info(template) if template else None,
        )

    def build_client(self, account: Account) -> SmartleadClient:
        return smartlead_for(account, lane=LANE)

    def _client(self, account_id: int | None) -> SmartleadClient:
        if account_id is None:
            raise StepFailed("the template account does not exist in LeadOps")
        client = self._clients.get(account_id)
        if client is None:
            account = self._account(account_id)
            if account is None:
                raise StepFailed(f"account {account_id} does not exist in LeadOps")
            client = self._clients[account_id] = self.build_client(account)
        return client

    def target_client(self, run: RunView) -> SmartleadClient:
        return self._client(run.account_id)

    def template_client(self, run: RunView) -> SmartleadClient:
        return self._client(run.template_account_id)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # ---- LeadOps side -----------------------------------------------------------------------
    def save_client_id(self, account_id: int, client_id: int) -> None:
        with session_scope() as s:
            account = get_account(s, account_id)
            if account is not None:
                account.smartlead_client_id = client_id

    def webhook_secret(self, account_id: int) -> str:
        """The account's Smartlead webhook secret, created (and stored) when it has none."""
        with session_scope() as s:
            account = get_account(s, account_id)
            if account is None:
                raise StepFailed(f"account {account_id} does not exist in LeadOps")
            stored = dict(account.webhook_secrets or {})
            value = stored.get("smartlead")
            if isinstance(value, list):
                value = next((v for v in value if isinstance(v, str) and v), None)
            if not isinstance(value, str) or not value:
                value = secrets.token_urlsafe(24)
                stored["smartlead"] = value
                account.webhook_secrets = stored  # a new dict: the column sees the change
        register_secret(value)
        register_secret(quote(value, safe=""))
        return value

    def record_campaign(self, account_id: int, targets: Sequence[str], campaign_id: int) -> None:
        with session_scope() as s:
            account = get_account(s, account_id)
            if account is None:
                raise StepFailed(f"account {account_id} does not exist in LeadOps")
            for target in targets:
                automation, field = mapping.setting_target(target)
                config = automation_config(account, automation)
                known = any(r.automation == automation for r in account.automations)
                params: dict[str, Any] = config.params.model_dump(mode="json")
                params[field] = str(campaign_id)
                set_automation(
                    s,
                    account,
                    automation,
                    enabled=config.enabled if known else True,
                    dry_run=config.dry_run,
                    params=params,
                )

    def notify(self, run: RunView) -> None:
        """Audit every finished run; tell the account's Slack when one failed."""
        ok = run.state == "succeeded"
        audit.record(
            AUTOMATION,
            "onboard",
            "done" if ok else "failed",
            "" if ok else run.error,
            account_id=run.account_id,
            subject=run.name[:320],
            details={
                "run": run.key,
                "campaign_id": run.campaign_id,
                "template_campaign_id": run.template_campaign_id,
                "cleanup": run.cleanup,
            },
            event_id=run.key[:64],
        )
        if ok:
            return
        account = self._account(run.account_id)
        if account is None or not account.slack_webhook_url:
            return
        cleanup = {
            "deleted": f"the half-made campaign {run.campaign_id} was deleted",
            "kept": f"the half-made campaign {run.campaign_id} was kept (--keep-partial)",
            "delete_failed": f"campaign {run.campaign_id} could NOT be deleted: delete it by hand",
        }.get(run.cleanup, "no campaign was left behind")
        try:
            slack_for(account).post_alert(
                f"Onboarding of {run.name} failed",
                [
                    f"step {run.step}: {run.error}",
                    cleanup,
                    f"run {run.key} (`leadops onboarding show {run.id}`)",
                ],
                context={"account": account.slug, "template": run.template_campaign_id},
            )
        except ApiError as exc:  # the run's record holds the failure either way
            log.warning("onboarding_slack_failed", run_id=run.id, error=exc.message)
