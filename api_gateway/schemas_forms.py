"""Form webhooks (../shared/integrations.md): Typeform, Tally and a generic JSON form.

The gateway checks the parts every submission needs (ids for deduplication, the form id that
selects the nurture campaign); mapping answers to a lead is the form_nurture task's job.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class TypeformFieldRef(_Loose):
    id: str
    ref: str | None = None
    type: str | None = None


class TypeformAnswer(_Loose):
    """The value sits under the key named by ``type`` (email, text, choice, ...)."""

    type: str
    field: TypeformFieldRef


class TypeformResponse(_Loose):
    form_id: Id
    token: Id
    submitted_at: str | None = None
    landed_at: str | None = None
    hidden: dict[str, Any] | None = None
    definition: dict[str, Any] | None = None
    answers: list[TypeformAnswer] = Field(default_factory=list)


class TypeformWebhook(_Loose):
    """Typeform webhook, signed with `Typeform-Signature: sha256=<base64 HMAC of the body>`."""

    event_id: Id
    event_type: str = "form_response"
    form_response: TypeformResponse


class TallyField(_Loose):
    key: str
    label: str | None = None
    type: str
    value: Any = None
    options: list[dict[str, Any]] | None = None


class TallyData(_Loose):
    responseId: Id  # noqa: N815 - Tally's own field names
    submissionId: str | None = None  # noqa: N815
    respondentId: str | None = None  # noqa: N815
    formId: Id  # noqa: N815
    formName: str | None = None  # noqa: N815
    createdAt: str | None = None  # noqa: N815
    fields: list[TallyField] = Field(default_factory=list)


class TallyWebhook(_Loose):
    """Tally webhook, signed with `Tally-Signature: <base64 HMAC of the body>`."""

    eventId: Id  # noqa: N815
    eventType: str = "FORM_RESPONSE"  # noqa: N815
    createdAt: str | None = None  # noqa: N815
    data: TallyData


class GenericForm(_Loose):
    """Any flat JSON object of form fields, mapped by the account's `form_nurture.forms[form_id]
    .field_mapping`. The field mapped to `email` must be present. An `event_id`,
    `submission_id` or `id` field identifies the submission for deduplication (else a hash of
    the whole body). Authenticated with `Authorization: Bearer <the account's form secret>` or
    `X-LeadOps-Secret`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "submission_id": "s-1",
                    "email": "jane@acme.com",
                    "name": "Jane Doe",
                    "company": "Acme",
                    "interest": "pricing",
                }
            ]
        },
    )
