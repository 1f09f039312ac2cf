"""The HubSpot sandbox's in-memory CRM: contacts, contact properties and forward-only lifecycle.

Kept apart from the HTTP layer (ops/sandbox/hubspot.py) so the rules read on their own. Values
are stored the way HubSpot returns them: strings, emails lower-cased.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_LIFECYCLE_STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
FIELD_TYPES = {
    "text",
    "textarea",
    "number",
    "date",
    "booleancheckbox",
    "checkbox",
    "radio",
    "select",
    "phonenumber",
    "file",
    "calculation_equation",
    "html",
}
PROPERTY_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool", "phone_number"}
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate"}
DEFAULT_RETURNED = [
    "createdate",
    "email",
    "firstname",
    "hs_object_id",
    "lastmodifieddate",
    "lastname",
]
_BUILTIN = [
    ("email", "Email"),
    ("firstname", "First Name"),
    ("lastname", "Last Name"),
    ("company", "Company Name"),
    ("website", "Website URL"),
    ("phone", "Phone Number"),
    ("jobtitle", "Job Title"),
    ("city", "City"),
    ("state", "State/Region"),
    ("zip", "Postal Code"),
    ("country", "Country/Region"),
    ("industry", "Industry"),
    ("numemployees", "Number of Employees"),
    ("hs_lead_status", "Lead Status"),
    ("hs_object_id", "Record ID"),
    ("createdate", "Create Date"),
    ("lastmodifieddate", "Last Modified Date"),
]


class CrmError(Exception):
    """Becomes a HubSpot error body: {status, message, correlationId, category}."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _as_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _label(value: str) -> str:
    special = {
        "marketingqualifiedlead": "Marketing Qualified Lead",
        "salesqualifiedlead": "Sales Qualified Lead",
    }
    return special.get(value, value.replace("_", " ").title())


@dataclass
class Contact:
    id: str
    properties: dict[str, str]
    created_at: str
    updated_at: str

    def to_api(self, wanted: list[str] | None) -> dict[str, Any]:
        names = wanted if wanted else DEFAULT_RETURNED
        props = {n: (self.properties.get(n) or None) for n in names}
        return {
            "id": self.id,
            "properties": props,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": False,
        }


@dataclass
class Portal:
    """One HubSpot account: its contacts and its contact property definitions."""

    lifecycle_stages: list[str] = field(default_factory=lambda: list(DEFAULT_LIFECYCLE_STAGES))
    contacts: dict[str, Contact] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))

    def __post_init__(self) -> None:
        for name, label in _BUILTIN:
            self.properties[name] = _property(name, label, "string", "text")
        self.set_lifecycle_stages(self.lifecycle_stages)

    def set_lifecycle_stages(self, values: list[str]) -> None:
        self.lifecycle_stages = list(values)
        prop = _property("lifecyclestage", "Lifecycle Stage", "enumeration", "radio")
        prop["options"] = [
            {"label": _label(v), "value": v, "displayOrder": i, "hidden": False}
            for i, v in enumerate(values)
        ]
        self.properties["lifecyclestage"] = prop

    # ---- properties ---------------------------------------------------------------------
    def create_property(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        required = ("name", "label", "type", "fieldType", "groupName")
        missing = [k for k in required if not body.get(k)]
        if missing:
            raise CrmError(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        if not isinstance(name, str) or name != name.lower() or " " in name:
            raise CrmError(400, "VALIDATION_ERROR", f"Invalid property name '{name}'")
        if body["type"] not in PROPERTY_TYPES or body["fieldType"] not in FIELD_TYPES:
            raise CrmError(
                400,
                "VALIDATION_ERROR",
                f"Invalid type/fieldType {body['type']}/{body['fieldType']}",
            )
        if name in self.properties:
            raise CrmError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
        prop = _property(name, body["label"], body["type"], body["fieldType"], body["groupName"])
        prop["options"] = list(body.get("options") or [])
        self.properties[name] = prop
        return prop

    def validate(self, props: Any) -> dict[str, str]:
        if not isinstance(props, dict):
            raise CrmError(400, "VALIDATION_ERROR", "properties must be an object")
        problems = []
        for name, value in props.items():
            prop = self.properties.get(name)
            if prop is None:
                problems.append(
                    _invalid(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                )
            elif name in READ_ONLY:
                problems.append(
                    _invalid(
                        name,
                        "READ_ONLY_VALUE",
                        f'"{name}" is a read only property; its value cannot be set.',
                    )
                )
            elif prop["type"] == "enumeration" and value not in (None, ""):
                allowed = [o["value"] for o in prop["options"]]
                if _as_value(value) not in allowed:
                    problems.append(
                        _invalid(
                            name,
                            "INVALID_OPTION",
                            f"{value!r} was not one of the allowed options: {allowed}",
                        )
                    )
        if problems:
            raise CrmError(
                400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(problems)}"
            )
        return {k: _as_value(v) for k, v in props.items()}

    # ---- contacts -----------------------------------------------------------------------
    def find(self, contact_id: str, id_property: str | None) -> Contact | None:
        if id_property in (None, "", "hs_object_id"):
            return self.contacts.get(contact_id)
        if id_property != "email":
            raise CrmError(
                400,
                "VALIDATION_ERROR",
                f"Property {id_property} is not a unique identifier property",
            )
        cid = self.by_email.get(contact_id.strip().lower())
        return self.contacts.get(cid) if cid else None

    def create(self, raw: Any) -> Contact:
        props = self.validate(raw)
        email = props.get("email", "").strip().lower()
        if email and email in self.by_email:
            raise CrmError(
                409, "CONFLICT", f"Contact already exists. Existing ID: {self.by_email[email]}"
            )
        now = _now()
        cid = str(next(self._ids))
        contact = Contact(cid, {}, now, now)
        self._apply(contact, props)
        contact.properties.update(hs_object_id=cid, createdate=now, lastmodifieddate=now)
        self.contacts[cid] = contact
        return contact

    def update(self, contact: Contact, raw: Any) -> Contact:
        props = self.validate(raw)
        email = props.get("email", "").strip().lower()
        if email and self.by_email.get(email, contact.id) != contact.id:
            raise CrmError(
                409,
                "CONFLICT",
                f"A contact with the email '{email}' already exists. Existing ID: "
                f"{self.by_email[email]}",
            )
        self._apply(contact, props)
        contact.updated_at = contact.properties["lastmodifieddate"] = _now()
        return contact

    def batch_upsert(self, body: Any) -> list[tuple[Contact, bool]]:
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise CrmError(400, "VALIDATION_ERROR", "inputs must be a non-empty list")
        if len(inputs) > 100:
            raise CrmError(
                400, "VALIDATION_ERROR", f"Batch input size {len(inputs)} exceeds the limit of 100"
            )
        seen: set[str] = set()
        for item in inputs:
            if (
                not isinstance(item, dict)
                or item.get("idProperty") != "email"
                or not item.get("id")
            ):
                raise CrmError(
                    400, "VALIDATION_ERROR", "each input needs an id and idProperty 'email'"
                )
            key = str(item["id"]).strip().lower()
            if key in seen:
                raise CrmError(
                    400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: [{key}]"
                )
            seen.add(key)
            self.validate(item.get("properties") or {})
        out = []
        for item in inputs:
            email = str(item["id"]).strip().lower()
            props = dict(item.get("properties") or {})
            existing = self.find(email, "email")
            if existing is None:
                props["email"] = email
                out.append((self.create(props), True))
            else:
                out.append((self.update(existing, props), False))
        return out

    def _apply(self, contact: Contact, props: dict[str, str]) -> None:
        for name, value in props.items():
            if name == "lifecyclestage" and not self._moves_forward(contact, value):
                continue  # HubSpot ignores a backward stage without an error
            if name == "email":
                value = value.strip().lower()
                old = contact.properties.get("email")
                if old:
                    self.by_email.pop(old, None)
                if value:
                    self.by_email[value] = contact.id
            contact.properties[name] = value

    def _moves_forward(self, contact: Contact, value: str) -> bool:
        current = contact.properties.get("lifecyclestage")
        if not current or not value:
            return True
        order = self.lifecycle_stages
        if current not in order or value not in order:
            return True
        return order.index(value) >= order.index(current)


def _property(
    name: str, label: str, type_: str, field_type: str, group: str = "contactinformation"
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "groupName": group,
        "options": [],
        "hidden": False,
        "calculated": False,
        "hasUniqueValue": name == "email",
        "formField": True,
    }


def _invalid(name: str, error: str, message: str) -> dict[str, Any]:
    return {
        "isValid": False,
        "message": message,
        "error": error,
        "name": name,
        "localizedErrorMessage": message,
    }
