"""In-memory stand-ins for the HubSpot, Slack and Smartlead clients, and account set-up helpers."""

from __future__ import annotations

from typing import Any

from workers.clients.errors import PermanentError

STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]


class FakeHubSpot:
    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.properties: set[str] = set()
        self.fail_with: Exception | None = None
        self._next = 100

    def _call(self, name: str, arg: Any) -> None:
        self.calls.append((name, arg))
        if self.fail_with is not None:
            raise self.fail_with

    def seed(self, email: str, **props: str) -> str:
        self._next += 1
        cid = str(self._next)
        self.contacts[email] = {"id": cid, "properties": {"email": email, **props}}
        return cid

    def get_contact_by_email(self, email: str, properties: Any = None) -> dict[str, Any] | None:
        self._call("get", email)
        c = self.contacts.get(email)
        return {"id": c["id"], "properties": dict(c["properties"])} if c else None

    def create_contact(self, properties: dict[str, Any]) -> dict[str, Any]:
        self._call("create", dict(properties))
        if properties["email"] in self.contacts:
            raise PermanentError("409 exists", status_code=409, service="hubspot")
        cid = self.seed(properties["email"])
        self.contacts[properties["email"]]["properties"].update(properties)
        return {"id": cid}

    def update_contact(self, contact_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        self._call("update", (contact_id, dict(properties)))
        for c in self.contacts.values():
            if c["id"] == contact_id:
                c["properties"].update(properties)
                return c
        raise PermanentError("404", status_code=404, service="hubspot")

    def ensure_property(
        self,
        name: str,
        label: str,
        type: str = "string",  # noqa: A002
        field_type: str = "text",
    ) -> bool:
        self._call("ensure_property", name)
        created = name not in self.properties
        self.properties.add(name)
        return created

    def lifecycle_stage_options(self) -> list[str]:
        self._call("stages", None)
        return list(STAGES)

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]


class FakeSmartlead:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_with = fail_with

    def add_to_block_list(self, entries: list[str], client_id: int | None = None) -> dict:
        self.calls.append(list(entries))
        if self.fail_with is not None:
            raise self.fail_with
        return {"ok": True}


class FakeSlack:
    def __init__(self) -> None:
        self.posts: list[str] = []

    def post(self, text: str, blocks: Any = None) -> None:
        self.posts.append(text)


class SentTasks:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
        self.sent.append((name, dict(kwargs or {})))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [k for n, k in self.sent if n == name]


def make_account(
    slug: str,
    *,
    group: str | None = None,
    hubspot: bool = True,
    slack: bool = False,
    crm: dict[str, Any] | None = None,
    blocklist: dict[str, Any] | None = None,
    crm_enabled: bool = True,
    dry_run: bool = False,
) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(
            slug=slug,
            name=slug.title(),
            smartlead_api_key=f"sl-key-{slug}",
            hubspot_token=f"hs-token-{slug}" if hubspot else None,
            slack_webhook_url=f"https://hooks.example/{slug}" if slack else None,
            group_name=group,
        )
        s.add(a)
        s.flush()
        set_automation(s, a, "crm_sync", enabled=crm_enabled, dry_run=dry_run, params=crm or {})
        set_automation(s, a, "blocklist", enabled=True, params=blocklist or {})
        return a.id
