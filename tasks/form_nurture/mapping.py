"""Form submission -> Smartlead lead (automation 5). Pure functions, no I/O.

Rules, in order, for each answered field (``payloads.py`` beside this file reads the payloads):
1. The form's ``field_mapping`` (``FormSpec.field_mapping``: field ref/key -> target) wins. A target
   is a lead field (``email``, ``first_name``, ``last_name``, ``company_name``, ``phone_number``,
   ``website``, ``location``, ``linkedin_profile``, ``company_url``), ``full_name`` (split into
   first and last name), ``custom:<name>`` (a custom field), or ``ignore`` (dropped).
2. Unmapped fields get defaults: a field whose name is a well-known lead field name (Typeform ref,
   Tally label since Tally keys are generated, generic key) goes to that field; else an
   email-typed field becomes ``email``, a phone-typed one ``phone_number``; a URL becomes
   ``linkedin_profile`` when it points at LinkedIn. Anything else is a custom field, named after
   the ref/key (Tally: the label; hidden fields: their own name).
3. The first value for a lead field wins (mapped fields before defaults); lists are joined with
   ", ". Hidden fields are always kept as custom fields, unless mapped elsewhere.
4. No valid email -> rejected with the reason (``missing_email`` / ``invalid_email``): no upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email

from tasks.form_nurture.payloads import FormField, fields_for, slug
from workers.automations import FormNurtureParams, FormSpec
from workers.clients.smartlead_models import LEAD_TEXT_FIELDS

LEAD_FIELDS = ("email", *LEAD_TEXT_FIELDS)  # the targets a form field may map to
IGNORE = "ignore"
CUSTOM_PREFIX = "custom:"
MAX_CUSTOM_VALUE = 1000  # long free-text answers are cut, not dropped

# Well-known names (after ``slug``) -> lead field.
_NAME_DEFAULTS: dict[str, str] = {}
for _target, _names in {
    "email": "email email_address e_mail work_email business_email your_email",
    "first_name": "first_name firstname first given_name fname",
    "last_name": "last_name lastname last surname family_name lname",
    "full_name": "name full_name fullname your_name",
    "company_name": "company company_name companyname organization organisation organization_name",
    "phone_number": "phone phone_number phonenumber mobile mobile_phone telephone tel",
    "website": "website company_website web site url website_url",
    "location": "location city country",
    "linkedin_profile": "linkedin linkedin_url linkedin_profile linkedinurl linkedin_profile_url",
    "company_url": "company_url",
}.items():
    for _name in _names.split():
        _NAME_DEFAULTS[_name] = _target


@dataclass
class MappingResult:
    """A lead ready for Smartlead's add-leads ``lead_list``, or the reason there is none."""

    lead: dict[str, Any] | None
    rejected_reason: str | None = None
    notes: list[str] = field(default_factory=list)  # fields dropped or cut, for the audit log

    @property
    def ok(self) -> bool:
        return self.lead is not None


def form_id_of(provider: str, payload: dict[str, Any]) -> str | None:
    """The provider's form id inside the payload (the gateway also passes it explicitly)."""
    if provider == "typeform":
        inner = payload.get("form_response") or payload
        return str(inner.get("form_id")) if inner.get("form_id") else None
    if provider == "tally":
        inner = payload.get("data") or payload
        return str(inner.get("formId")) if inner.get("formId") else None
    value = payload.get("form_id")
    return str(value) if value else None


def form_spec(params: FormNurtureParams, form_id: str | None) -> FormSpec | None:
    """The form's spec, or one pointing at the default campaign with no mapping."""
    if form_id and form_id in params.forms:
        return params.forms[form_id]
    if params.default_campaign_id:
        return FormSpec(campaign_id=params.default_campaign_id)
    return None


def default_target(f: FormField) -> str | None:
    """The lead field an unmapped field goes to, or None for a custom field."""
    if f.hidden:
        return None
    names = [slug(f.key)]
    if f.label and f.label_is_name:
        names.append(slug(f.label))
    for name in names:
        if name in _NAME_DEFAULTS:
            return _NAME_DEFAULTS[name]
    if f.kind == "email":
        return "email"
    if f.kind == "phone":
        return "phone_number"
    if f.kind == "url" and "linkedin.com/" in _text(f.value).lower():
        return "linkedin_profile"
    return None


def map_fields(fields: list[FormField], field_mapping: dict[str, str]) -> MappingResult:
    lead: dict[str, Any] = {}
    custom: dict[str, str] = {}
    notes: list[str] = []

    def put(target: str, f: FormField) -> None:
        value = _text(f.value)
        if target == "full_name":
            first, _, last = value.partition(" ")
            lead.setdefault("first_name", first)
            if last.strip():
                lead.setdefault("last_name", last.strip())
        elif target in LEAD_FIELDS:
            if target in lead:
                notes.append(f"{f.key}: {target} already set")
                custom.setdefault(f.custom_name, value)
            else:
                lead[target] = value
        else:
            name = target[len(CUSTOM_PREFIX) :] if target.startswith(CUSTOM_PREFIX) else target
            if len(value) > MAX_CUSTOM_VALUE:
                notes.append(f"{f.key}: cut to {MAX_CUSTOM_VALUE} characters")
                value = value[:MAX_CUSTOM_VALUE]
            custom[name or f.custom_name] = value

    unmapped: list[FormField] = []
    for f in fields:  # explicit mapping first, so it wins over defaults
        target = field_mapping.get(f.key)
        if target is None:
            unmapped.append(f)
        elif target.strip().lower() == IGNORE:
            continue
        else:
            put(target.strip(), f)
    for f in unmapped:
        target = default_target(f)
        if target is not None and (target not in lead or target == "full_name"):
            put(target, f)
        else:
            put(CUSTOM_PREFIX + f.custom_name, f)

    raw_email = lead.get("email")
    if not raw_email:
        return MappingResult(None, "missing_email: no email field in the submission", notes)
    try:
        lead["email"] = validate_email(raw_email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        return MappingResult(None, f"invalid_email: {exc}", notes)
    if lead.get("linkedin_profile") and "linkedin.com" not in lead["linkedin_profile"].lower():
        notes.append("linkedin_profile is not a LinkedIn URL: kept as a custom field")
        custom.setdefault("linkedin", lead.pop("linkedin_profile"))
    if custom:
        lead["custom_fields"] = custom
    return MappingResult(lead, None, notes)


def map_submission(
    provider: str, payload: dict[str, Any], field_mapping: dict[str, str] | None = None
) -> MappingResult:
    """Map one submission (Typeform, Tally or generic JSON payload) to a Smartlead lead."""
    if not isinstance(payload, dict):
        return MappingResult(None, "invalid_payload: not a JSON object")
    try:
        fields = fields_for(provider, payload)
    except ValueError as exc:
        return MappingResult(None, f"invalid_payload: {exc}")
    return map_fields(fields, field_mapping or {})


def _text(value: str | list[str]) -> str:
    return ", ".join(value) if isinstance(value, list) else value
