"""Smartlead API v1 client (facts: shared/smartlead-api.md).

The API key travels as the ``api_key`` query parameter, so it is registered as a secret at
construction and never appears in a message, log line or repr. Every request passes the rate
limit gate (``workers.clients.http``). A 200 answer with ``ok: false``/``success: false`` is a
``PermanentError``; ``get_campaign`` of a deleted campaign (200, empty body) is ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import httpx

from workers.clients import smartlead_models as analytics_models
from workers.clients.base import RequestGate
from workers.clients.errors import PermanentError
from workers.clients.http import HttpRequester, json_body, server_message
from workers.clients.smartlead_models import (
    CAMPAIGN_STATUS_COMMANDS,
    LEAD_SETTINGS_KEYS,
    AddLeadsResult,
    AgencyClient,
    Campaign,
    CampaignAnalytics,
    CampaignLeadsPage,
    CampaignStatistics,
    CampaignWebhook,
    CreatedCampaign,
    DuplicatedCampaign,
    EmailAccount,
    Lead,
    Schedule,
    SequenceStep,
    WarmupStats,
)
from workers.settings import get_settings

SERVICE = "smartlead"
PAGE_LIMIT = 100  # the API refuses limit > 100
DEFAULT_MAX_LEADS_PER_REQUEST = 100  # old docs say 100, newer 350/400: stay safe by default
# The field report saw Retry-After: 60 and the key refused for minutes: assume a long pause.
DEFAULT_RETRY_AFTER = 60.0


class SmartleadClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        gate: RequestGate | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        max_leads_per_request: int = DEFAULT_MAX_LEADS_PER_REQUEST,
    ) -> None:
        if not api_key:
            raise ValueError("Smartlead API key is empty")
        if base_url is None:
            base_url = get_settings().smartlead_base_url
        self.max_leads_per_request = max_leads_per_request
        self._http = HttpRequester(
            SERVICE,
            base_url,
            gate=gate,
            timeout=timeout,
            transport=transport,
            params={"api_key": api_key},
            secrets=[api_key],
            default_retry_after=DEFAULT_RETRY_AFTER,
        )

    def __repr__(self) -> str:
        return f"<SmartleadClient base_url={self._http.base_url!r}>"

    def close(self) -> None:
        self._http.close()

    # ---- plumbing ---------------------------------------------------------------------------
    def _call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        response = self._http.request(method, path, params=params, json=json)
        what = f"{method} {path}"
        if not response.content.strip():
            return None
        ctype = response.headers.get("content-type", "")
        if "json" not in ctype:
            text = response.text.strip()
            if text.lower() in ("success", "ok", "true"):
                return {"ok": True}
            try:  # some answers are JSON without the header
                data = response.json()
            except ValueError:
                raise PermanentError(
                    f"smartlead {what}: unexpected non-JSON answer: {server_message(response)}",
                    status_code=response.status_code,
                    service=SERVICE,
                ) from None
        else:
            data = json_body(response, service=SERVICE, what=what)
        if isinstance(data, dict) and (data.get("ok") is False or data.get("success") is False):
            detail = data.get("error") or data.get("message") or "ok: false"
            raise PermanentError(
                f"smartlead {what} -> {response.status_code}: {detail}",
                status_code=response.status_code,
                service=SERVICE,
            )
        return data

    @staticmethod
    def _list(data: Any, what: str) -> list[Any]:
        if data is None:
            return []
        if isinstance(data, list):
            return data
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            return list(data["data"])
        raise PermanentError(
            f"smartlead {what}: expected a list, got {type(data).__name__}", service=SERVICE
        )

    # ---- campaigns --------------------------------------------------------------------------
    def list_campaigns(self, client_id: int | None = None) -> list[Campaign]:
        data = self._call("GET", "/campaigns/", params={"client_id": client_id})
        return [Campaign.model_validate(c) for c in self._list(data, "list_campaigns")]

    def get_campaign(self, campaign_id: int) -> Campaign | None:
        """The campaign, or None when the API answers 200 with an empty body (deleted)."""
        data = self._call("GET", f"/campaigns/{int(campaign_id)}")
        if not data:
            return None
        return Campaign.model_validate(data)

    def create_campaign(
        self, name: str | None = None, client_id: int | None = None
    ) -> CreatedCampaign:
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if client_id is not None:
            body["client_id"] = client_id
        return CreatedCampaign.model_validate(self._call("POST", "/campaigns/create", json=body))

    def set_campaign_status(self, campaign_id: int, status: str) -> dict[str, Any]:
        """START | PAUSED | STOPPED (final). Always POST: PATCH answers 404."""
        if status not in CAMPAIGN_STATUS_COMMANDS:
            raise ValueError(f"status must be one of {CAMPAIGN_STATUS_COMMANDS}, not {status!r}")
        return (
            self._call("POST", f"/campaigns/{int(campaign_id)}/status", json={"status": status})
            or {}
        )

    def save_schedule(
        self, campaign_id: int, schedule: Schedule | Mapping[str, Any]
    ) -> dict[str, Any]:
        sched = schedule if isinstance(schedule, Schedule) else Schedule.model_validate(schedule)
        return (
            self._call("POST", f"/campaigns/{int(campaign_id)}/schedule", json=sched.to_body())
            or {}
        )

    def update_settings(self, campaign_id: int, settings: Mapping[str, Any]) -> dict[str, Any]:
        return (
            self._call("POST", f"/campaigns/{int(campaign_id)}/settings", json=dict(settings)) or {}
        )

    def get_sequences(self, campaign_id: int) -> list[SequenceStep]:
        data = self._call("GET", f"/campaigns/{int(campaign_id)}/sequences")
        return [SequenceStep.model_validate(s) for s in self._list(data, "get_sequences")]

    def save_sequences(
        self, campaign_id: int, steps: Sequence[SequenceStep | Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Write steps with snake_case ``delay_in_days`` (camelCase input is accepted)."""
        models = [
            s if isinstance(s, SequenceStep) else SequenceStep.model_validate(s) for s in steps
        ]
        body = {"sequences": [m.to_body() for m in models]}
        return self._call("POST", f"/campaigns/{int(campaign_id)}/sequences", json=body) or {}

    # ---- mailboxes --------------------------------------------------------------------------
    def list_campaign_mailboxes(self, campaign_id: int) -> list[EmailAccount]:
        data = self._call("GET", f"/campaigns/{int(campaign_id)}/email-accounts")
        return [EmailAccount.model_validate(m) for m in self._list(data, "list_campaign_mailboxes")]

    def add_campaign_mailboxes(self, campaign_id: int, ids: Iterable[int]) -> dict[str, Any]:
        return (
            self._call(
                "POST",
                f"/campaigns/{int(campaign_id)}/email-accounts",
                json={"email_account_ids": [int(i) for i in ids]},
            )
            or {}
        )

    def remove_campaign_mailboxes(self, campaign_id: int, ids: Iterable[int]) -> dict[str, Any]:
        return (
            self._call(
                "DELETE",
                f"/campaigns/{int(campaign_id)}/email-accounts",
                json={"email_account_ids": [int(i) for i in ids]},
            )
            or {}
        )

    # ---- mailboxes (automation 7) -----------------------------------------------------------
    def list_email_accounts(self, client_id: int | None = None) -> list[EmailAccount]:
        """Every mailbox of the key (or of one agency client): pages of 100 until a short page.

        The ``client_id`` filter is documented but unconfirmed live: callers that must be sure
        filter the rows again on their side (``workers.scheduling.rows_for_client``)."""
        out: list[EmailAccount] = []
        offset = 0
        while True:
            page = self.list_email_accounts_page(offset, client_id=client_id)
            out.extend(page)
            if len(page) < PAGE_LIMIT:
                return out
            offset += PAGE_LIMIT

    def list_email_accounts_page(
        self, offset: int, limit: int = PAGE_LIMIT, client_id: int | None = None
    ) -> list[EmailAccount]:
        """One page of ``GET /email-accounts/`` (a bare array; short = the last page)."""
        if not 0 < limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be 1..{PAGE_LIMIT}")
        params: dict[str, Any] = {"offset": int(offset), "limit": limit}
        if client_id is not None:
            params["client_id"] = int(client_id)
        data = self._call("GET", "/email-accounts/", params=params)
        return [EmailAccount.model_validate(m) for m in self._list(data, "list_email_accounts")]

    def get_warmup_stats(self, email_account_id: int) -> WarmupStats:
        """The mailbox's last 7 days of warm-up: one request per mailbox."""
        data = self._call("GET", f"/email-accounts/{int(email_account_id)}/warmup-stats")
        return WarmupStats.model_validate(data if isinstance(data, dict) else {})

    def update_email_account(
        self, email_account_id: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST /email-accounts/{id}`` with the fields to change, e.g. ``max_email_per_day``
        (campaign sending per day; 0 was seen once to stop sending and keep warm-up: unsure)."""
        if not body:
            raise ValueError("update_email_account needs at least one field")
        answer = self._call("POST", f"/email-accounts/{int(email_account_id)}", json=dict(body))
        return answer if isinstance(answer, dict) else {"ok": True}

    # ---- end mailboxes (automation 7) -------------------------------------------------------

    # ---- leads ------------------------------------------------------------------------------
    def add_leads(
        self,
        campaign_id: int,
        leads: Sequence[Mapping[str, Any]],
        settings: Mapping[str, bool] | None = None,
    ) -> AddLeadsResult:
        """Upload at most ``max_leads_per_request`` leads (callers chunk). Re-adding a lead is
        counted under ``already_added_to_campaign`` by the API, not added twice."""
        if len(leads) > self.max_leads_per_request:
            raise ValueError(
                f"{len(leads)} leads in one request; at most "
                f"{self.max_leads_per_request} (chunk the upload)"
            )
        unknown = set(settings or {}) - LEAD_SETTINGS_KEYS
        if unknown:
            raise ValueError(f"unknown lead upload settings: {sorted(unknown)}")
        body: dict[str, Any] = {
            "lead_list": [{k: v for k, v in lead.items() if v is not None} for lead in leads],
        }
        if settings:
            body["settings"] = dict(settings)
        data = self._call("POST", f"/campaigns/{int(campaign_id)}/leads", json=body)
        if not isinstance(data, dict):
            raise PermanentError("smartlead add_leads: answer is not an object", service=SERVICE)
        return AddLeadsResult.from_answer(data)

    def list_campaign_leads(
        self, campaign_id: int, offset: int = 0, limit: int = PAGE_LIMIT
    ) -> CampaignLeadsPage:
        if not 0 < limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be 1..{PAGE_LIMIT}")
        data = self._call(
            "GET", f"/campaigns/{int(campaign_id)}/leads", params={"offset": offset, "limit": limit}
        )
        return CampaignLeadsPage.model_validate(data or {})

    def iter_campaign_leads(self, campaign_id: int) -> Iterator[Any]:
        """Every lead of a campaign (CampaignLead), page by page."""
        offset = 0
        while True:
            page = self.list_campaign_leads(campaign_id, offset=offset, limit=PAGE_LIMIT)
            yield from page.data
            offset += len(page.data)
            if len(page.data) < PAGE_LIMIT or offset >= page.total_leads:
                return

    def get_lead_by_email(self, email: str) -> Lead | None:
        data = self._call("GET", "/leads/", params={"email": email})
        if not data or not isinstance(data, dict) or not data.get("email"):
            return None
        return Lead.model_validate(data)

    def add_to_block_list(
        self, entries: Iterable[str], client_id: int | None = None
    ) -> dict[str, Any]:
        """Domains or addresses. (There is no ``/block_list`` endpoint.)"""
        body = {
            "domain_block_list": [e.strip() for e in entries if e and e.strip()],
            "client_id": client_id,
        }
        return self._call("POST", "/leads/add-domain-block-list", json=body) or {}

    # ---- analytics --------------------------------------------------------------------------
    def get_campaign_analytics(self, campaign_id: int) -> CampaignAnalytics:
        data = self._call("GET", f"/campaigns/{int(campaign_id)}/analytics")
        return CampaignAnalytics.model_validate(data or {})

    def get_campaign_analytics_by_date(
        self, campaign_id: int, start: dt.date | str, end: dt.date | str
    ) -> CampaignAnalytics:
        """One aggregate over [start, end] (not a daily series: call once per day for that)."""
        params = {"start_date": _day(start), "end_date": _day(end)}
        data = self._call("GET", f"/campaigns/{int(campaign_id)}/analytics-by-date", params=params)
        return CampaignAnalytics.model_validate(data or {})

    def get_campaign_statistics(
        self,
        campaign_id: int,
        *,
        offset: int = 0,
        limit: int = PAGE_LIMIT,
        sent_time_start_date: dt.date | str | None = None,
        sent_time_end_date: dt.date | str | None = None,
        email_status: str | None = None,
    ) -> CampaignStatistics:
        if not 0 < limit <= PAGE_LIMIT:
            raise ValueError(f"limit must be 1..{PAGE_LIMIT}")
        params = {
            "offset": offset,
            "limit": limit,
            "sent_time_start_date": _day(sent_time_start_date) if sent_time_start_date else None,
            "sent_time_end_date": _day(sent_time_end_date) if sent_time_end_date else None,
            "email_status": email_status,
        }
        data = self._call("GET", f"/campaigns/{int(campaign_id)}/statistics", params=params)
        return CampaignStatistics.model_validate(data or {})

    # ---- analytics (automation 4) ----------------------------------------------------------
    # The day-wise series sum their rows across the filter: for one campaign's series, pass
    # that campaign alone. Windows may be capped at 30 days (unsure): callers split longer ones.
    def get_day_wise_overall_stats(
        self, start: dt.date | str, end: dt.date | str, **filters: Any
    ) -> analytics_models.DayWiseStats:
        """Per day: sent, opened, replied, bounced, unsubscribed. Filters: ``campaign_ids``,
        ``client_ids``, ``timezone``, ``by_sent_time`` (count each reply on the day its email
        was sent, the cohort a reply rate needs; needs ``timezone``), else on arrival."""
        return self._day_wise("/analytics/day-wise-overall-stats", start, end, **filters)

    def get_day_wise_positive_reply_stats(
        self, start: dt.date | str, end: dt.date | str, **filters: Any
    ) -> analytics_models.DayWiseStats:
        """Per day: ``positive_replied`` (the overall series has none). Same filters."""
        return self._day_wise("/analytics/day-wise-positive-reply-stats", start, end, **filters)

    def _day_wise(
        self,
        path: str,
        start: dt.date | str,
        end: dt.date | str,
        *,
        campaign_ids: Iterable[int | str] | None = None,
        client_ids: Iterable[int | str] | None = None,
        timezone: str | None = None,
        by_sent_time: bool = False,
    ) -> analytics_models.DayWiseStats:
        if by_sent_time and not timezone:
            raise ValueError("the -by-sent-time analytics need a timezone (IANA name)")
        params = {
            "start_date": _day(start),
            "end_date": _day(end),
            "campaign_ids": ",".join(str(int(i)) for i in campaign_ids) if campaign_ids else None,
            "client_ids": ",".join(str(int(i)) for i in client_ids) if client_ids else None,
            "timezone": timezone or None,
        }
        path += "-by-sent-time" if by_sent_time else ""
        return analytics_models.DayWiseStats.from_answer(self._call("GET", path, params=params))

    def get_top_level_analytics_by_date(
        self, campaign_id: int, start: dt.date | str, end: dt.date | str
    ) -> analytics_models.TopLevelAnalytics:
        """One campaign's aggregate over [start, end], positive replies included."""
        params = {"start_date": _day(start), "end_date": _day(end)}
        path = f"/campaigns/{int(campaign_id)}/top-level-analytics-by-date"
        data = self._call("GET", path, params=params)
        return analytics_models.TopLevelAnalytics.from_answer(data)

    # ---- agency clients ---------------------------------------------------------------------
    def list_clients(self) -> list[AgencyClient]:
        data = self._call("GET", "/client/")
        return [AgencyClient.model_validate(c) for c in self._list(data, "list_clients")]

    def save_client(
        self,
        name: str,
        email: str,
        *,
        permission: Sequence[str] = ("full_access",),
        logo: str | None = None,
        logo_url: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "email": email,
            "permission": list(permission),
            "logo": logo,
            "logo_url": logo_url,
        }
        return self._call("POST", "/client/save", json=body) or {}

    # ---- campaign webhooks ------------------------------------------------------------------
    def list_campaign_webhooks(self, campaign_id: int) -> list[CampaignWebhook]:
        data = self._call("GET", f"/campaigns/{int(campaign_id)}/webhooks")
        return [
            CampaignWebhook.model_validate(w) for w in self._list(data, "list_campaign_webhooks")
        ]

    def save_campaign_webhook(
        self,
        campaign_id: int,
        *,
        name: str,
        webhook_url: str,
        event_types: Sequence[str],
        categories: Sequence[str] | None = None,
        webhook_id: int | None = None,
    ) -> dict[str, Any]:
        """Create (``webhook_id=None``) or update a campaign webhook."""
        body = {
            "id": webhook_id,
            "name": name,
            "webhook_url": webhook_url,
            "event_types": list(event_types),
            "categories": list(categories or []),
        }
        return self._call("POST", f"/campaigns/{int(campaign_id)}/webhooks", json=body) or {}

    def delete_campaign_webhook(self, campaign_id: int, webhook_id: int) -> dict[str, Any]:
        return (
            self._call(
                "DELETE", f"/campaigns/{int(campaign_id)}/webhooks", json={"id": int(webhook_id)}
            )
            or {}
        )

    # ---- campaign cloning (automation 8) ----------------------------------------------------
    def delete_campaign(self, campaign_id: int) -> dict[str, Any]:
        """Delete a campaign (a later GET answers 200 with an empty body)."""
        return self._call("DELETE", f"/campaigns/{int(campaign_id)}") or {}

    def duplicate_campaign(
        self,
        campaign_id: int,
        *,
        duplicate_sub_sequence: bool | None = None,
        duplicate_client_label: bool | None = None,
    ) -> DuplicatedCampaign:
        """Copy settings, sequences, schedule and mailboxes (not leads, not webhooks) within
        one key. Documented in 2026, unconfirmed live: callers keep it behind a flag."""
        body: dict[str, Any] = {}
        if duplicate_sub_sequence is not None:
            body["duplicate_sub_sequence"] = duplicate_sub_sequence
        if duplicate_client_label is not None:
            body["duplicate_client_label"] = duplicate_client_label
        data = self._call("POST", f"/campaigns/{int(campaign_id)}/duplicate", json=body)
        return DuplicatedCampaign.model_validate(data or {})

    def find_campaigns_by_name(self, name: str) -> list[Campaign]:
        """Campaigns of this key whose name is ``name`` (trimmed, case-insensitive), lowest id
        first. The list endpoint has no name filter and no paging: one call."""
        wanted = name.strip().casefold()
        found = [c for c in self.list_campaigns() if (c.name or "").strip().casefold() == wanted]
        return sorted(found, key=lambda c: c.id)


def _day(value: dt.date | str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()


__all__ = ["SmartleadClient", "PAGE_LIMIT", "DEFAULT_MAX_LEADS_PER_REQUEST"]
