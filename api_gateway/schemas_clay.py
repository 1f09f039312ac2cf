"""The Clay row contract (ours to define): one lead per request from Clay's HTTP API column."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api_gateway.schemas_common import normalise_email

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Scalar = str | int | float | bool | None

LEAD_FIELDS = (
    "first_name",
    "last_name",
    "company_name",
    "website",
    "linkedin_profile",
    "phone_number",
    "location",
)


class ClayRow(BaseModel):
    """One Clay row = one lead.

    Configure Clay's *HTTP API* column with `POST https://<gateway>/v1/<account>/clay`, header
    `Authorization: Bearer <the account's clay secret>` (or `X-LeadOps-Secret: <secret>`), and
    this JSON body. Only `email` is required. Without `campaign_id` the lead goes to the
    account's default intake campaign (`clay_intake.default_campaign_id`); with neither, 422.
    `row_id` (e.g. Clay's row id) makes re-sent rows recognisable; without it a row is
    identified by email + campaign. Unknown top-level keys are ignored: put extra columns in
    `custom_fields`. Answers: 202 `{event_id}` when queued, 200 `{duplicate: true}` when that
    row was already received.
    """

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "email": "jane@acme.com",
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "company_name": "Acme",
                    "website": "https://acme.com",
                    "linkedin_profile": "https://www.linkedin.com/in/janedoe",
                    "custom_fields": {"title": "VP Sales", "employees": 120},
                    "campaign_id": "12345",
                    "row_id": "r_8f2k",
                }
            ]
        },
    )

    email: str = Field(..., max_length=320, description="The lead's email address.")
    first_name: Text | None = None
    last_name: Text | None = None
    company_name: Text | None = None
    website: Text | None = None
    linkedin_profile: Text | None = None
    phone_number: Text | None = None
    location: Text | None = None
    custom_fields: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Scalar] = (
        Field(
            default_factory=dict,
            max_length=200,
            description="Extra lead fields (Smartlead custom fields).",
        )
    )
    campaign_id: str | int | None = Field(
        None, description="Target Smartlead campaign; default: the account's intake campaign."
    )
    row_id: str | int | None = Field(None, description="Clay row id, for deduplication.")

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("custom_fields")
    @classmethod
    def _small_values(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for key, v in value.items():
            if isinstance(v, str) and len(v) > 2000:
                raise ValueError(f"custom_fields.{key} is longer than 2000 characters")
        return value

    @field_validator("campaign_id", "row_id")
    @classmethod
    def _short_id(cls, value: str | int | None) -> str | None:
        if value is None or value == "":
            return None
        text = str(value).strip()
        if len(text) > 200:
            raise ValueError("longer than 200 characters")
        return text or None

    def lead(self) -> dict[str, Any]:
        lead: dict[str, Any] = {"email": self.email}
        for name in LEAD_FIELDS:
            value = getattr(self, name)
            if value:
                lead[name] = value
        if self.custom_fields:
            lead["custom_fields"] = self.custom_fields
        return lead
