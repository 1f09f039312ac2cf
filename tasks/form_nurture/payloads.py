"""Read form-builder webhook payloads into one neutral shape: a list of answered ``FormField``.

Each provider names its fields differently (integrations.md):
- Typeform: answers are keyed by ``field.ref`` (never the title, which editors change); the value
  sits under the key named by the answer's ``type``; unanswered questions are absent; hidden fields
  are a flat ``hidden`` object.
- Tally: fields are keyed by ``key``; choice values are lists of option ids resolved to their text
  through ``options``; empty answers are ``null``; hidden fields have type ``HIDDEN_FIELDS`` and
  carry their name in ``label``.
- Generic JSON: any object; nested objects are flattened to dotted paths (``contact.email``).

Pure functions: no I/O, no settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Typeform's generated refs (ULIDs and UUIDs) say nothing about the question: a custom field is
# then better named after the question's title.
_GENERATED_REF = re.compile(
    r"^(?:[0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FormField:
    """One answered field. ``key`` is what the account's field mapping refers to."""

    key: str
    kind: str  # email | phone | url | text | choice | number | boolean | date | hidden | other
    value: str | list[str]
    label: str = ""  # question title / Tally label: names a custom field when the key is opaque
    hidden: bool = False
    # Tally keys are generated, so its labels are the only readable names; Typeform titles are
    # question text that editors change, so defaults never match on them.
    label_is_name: bool = False

    @property
    def custom_name(self) -> str:
        """Default custom-field name when the mapping does not name one."""
        if self.hidden:
            return self.label or self.key
        generated = _GENERATED_REF.match(self.key) or self.key.startswith("question_")
        if self.label and generated:  # Typeform ULID/UUID refs, Tally keys
            return slug(self.label) or self.key
        return self.key.replace(".", "_")  # generic dotted paths: merge-tag friendly


def slug(text: str) -> str:
    """``"What's your First Name?"`` -> ``"what_s_your_first_name"``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:64]


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dict | list):
        if not value:
            return None
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return str(value)


def _texts(values: Any) -> list[str]:
    out = []
    for item in values if isinstance(values, list) else [values]:
        text = _scalar(item)
        if text is not None:
            out.append(text)
    return out


# --- Typeform ---------------------------------------------------------------------------------

_TYPEFORM_KINDS = {
    "email": "email",
    "phone_number": "phone",
    "url": "url",
    "text": "text",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "choice": "choice",
    "choices": "choice",
    "file_url": "url",
}


def typeform_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``form_response`` object, whether given the whole webhook body or only that object."""
    inner = payload.get("form_response")
    return inner if isinstance(inner, dict) else payload


def typeform_fields(payload: dict[str, Any]) -> list[FormField]:
    body = typeform_body(payload)
    titles: dict[str, str] = {}
    definition = body.get("definition") or {}
    for field in definition.get("fields") or []:
        if isinstance(field, dict):
            for ident in (field.get("id"), field.get("ref")):
                if ident:
                    titles[str(ident)] = str(field.get("title") or "")
    out: list[FormField] = []
    for answer in body.get("answers") or []:
        if not isinstance(answer, dict):
            continue
        field = answer.get("field") or {}
        key = str(field.get("ref") or field.get("id") or "")
        answer_type = str(answer.get("type") or "")
        if not key or answer_type not in answer:
            continue
        raw = answer[answer_type]
        value: str | list[str] | None
        if answer_type == "choice":
            raw = raw or {}
            value = _scalar(raw.get("label")) or _scalar(raw.get("other"))
        elif answer_type == "choices":
            raw = raw or {}
            labels = _texts(raw.get("labels") or [])
            labels += _texts(raw.get("other")) if raw.get("other") else []
            value = labels or None
        else:
            value = _scalar(raw)
        if not value:
            continue
        kind = _TYPEFORM_KINDS.get(answer_type, "other")
        title = titles.get(key) or titles.get(str(field.get("id") or ""), "")
        out.append(FormField(key, kind, value, title))
    for name, raw in (body.get("hidden") or {}).items():
        text = _scalar(raw)
        if text is not None:
            out.append(FormField(str(name), "hidden", text, str(name), hidden=True))
    return out


# --- Tally ------------------------------------------------------------------------------------

_TALLY_KINDS = {
    "INPUT_EMAIL": "email",
    "INPUT_PHONE_NUMBER": "phone",
    "INPUT_LINK": "url",
    "INPUT_TEXT": "text",
    "TEXTAREA": "text",
    "INPUT_NUMBER": "number",
    "INPUT_DATE": "date",
    "INPUT_TIME": "text",
    "MULTIPLE_CHOICE": "choice",
    "CHECKBOXES": "choice",
    "DROPDOWN": "choice",
    "MULTI_SELECT": "choice",
    "RANKING": "choice",
    "CHECKBOX": "boolean",
    "LINEAR_SCALE": "number",
    "RATING": "number",
    "HIDDEN_FIELDS": "hidden",
    "CALCULATED_FIELDS": "other",
}


def tally_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` object, whether given the whole webhook body or only that object."""
    inner = payload.get("data")
    return inner if isinstance(inner, dict) else payload


def tally_fields(payload: dict[str, Any]) -> list[FormField]:
    raw_fields = [f for f in tally_body(payload).get("fields") or [] if isinstance(f, dict)]
    keys = {str(f.get("key")) for f in raw_fields if f.get("key")}
    out: list[FormField] = []
    for field in raw_fields:
        key = str(field.get("key") or "")
        field_type = str(field.get("type") or "")
        raw = field.get("value")
        if not key or raw is None:
            continue
        # Tally repeats each ticked checkbox as "<parent key>_<option id>": true; the parent field
        # already carries the answer.
        if isinstance(raw, bool) and field_type == "CHECKBOXES" and _has_parent(key, keys):
            continue
        value: str | list[str] | None
        options = field.get("options")
        if isinstance(options, list) and isinstance(raw, list | str):
            by_id = {str(o.get("id")): o.get("text") for o in options if isinstance(o, dict)}
            ids = raw if isinstance(raw, list) else [raw]
            value = [_scalar(by_id.get(str(i), i)) or str(i) for i in ids if i is not None] or None
            if field_type in {"MULTIPLE_CHOICE", "DROPDOWN"} and value and len(value) == 1:
                value = value[0]
        elif field_type == "FILE_UPLOAD" and isinstance(raw, list):
            value = [str(f.get("url")) for f in raw if isinstance(f, dict) and f.get("url")] or None
        else:
            value = _scalar(raw)
        if not value:
            continue
        kind = _TALLY_KINDS.get(field_type, "other")
        label = str(field.get("label") or "")
        out.append(
            FormField(
                key, kind, value, label, hidden=field_type == "HIDDEN_FIELDS", label_is_name=True
            )
        )
    return out


def _has_parent(key: str, keys: set[str]) -> bool:
    head, sep, _ = key.rpartition("_")
    while sep:
        if head in keys:
            return True
        head, sep, _ = head.rpartition("_")
    return False


# --- Generic JSON -----------------------------------------------------------------------------


def generic_fields(payload: dict[str, Any]) -> list[FormField]:
    """Every leaf of the object, keyed by its dotted path; lists of scalars kept as lists.

    A top-level ``custom_fields``/``hidden`` object is kept as custom fields under its own names.
    """
    out: list[FormField] = []

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for name, child in obj.items():
                walk(f"{prefix}.{name}" if prefix else str(name), child)
            return
        if isinstance(obj, list) and all(not isinstance(i, dict | list) for i in obj):
            values = _texts(obj)
            if values:
                out.append(FormField(prefix, "choice", values, _leaf(prefix), label_is_name=True))
            return
        text = _scalar(obj)
        if text is None:
            return
        top, _, leaf = prefix.partition(".")
        if top in {"custom_fields", "hidden"} and leaf:
            out.append(FormField(prefix, "hidden", text, leaf, hidden=True))
        else:
            out.append(FormField(prefix, "text", text, _leaf(prefix), label_is_name=True))

    walk("", payload)
    return out


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def fields_for(provider: str, payload: dict[str, Any]) -> list[FormField]:
    if provider == "typeform":
        return typeform_fields(payload)
    if provider == "tally":
        return tally_fields(payload)
    if provider == "generic":
        return generic_fields(payload)
    raise ValueError(f"unknown form provider {provider!r}")
