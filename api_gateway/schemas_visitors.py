"""Website-visitor payloads (../shared/integrations.md): RB2B (person), Clearbit audience /
Albacross (company) and a generic ``{email | domain, page_url, seen_at}`` source."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api_gateway.schemas_common import normalise_domain, normalise_email

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
MAX_PAGE_VIEWS = 200


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RB2BVisit(_Loose):
    """RB2B's flat object with Title Case keys. Secret in the query string (`?secret=`); always
    answered 200 (RB2B disconnects on anything else), rejections are recorded."""

    # Only the fields the follow-up needs are typed strictly; the rest is carried as sent.
    linkedin_url: str | None = Field(None, alias="LinkedIn URL", max_length=500)
    first_name: Any = Field(None, alias="First Name")
    last_name: Any = Field(None, alias="Last Name")
    title: Any = Field(None, alias="Title")
    company_name: Any = Field(None, alias="Company Name")
    business_email: str | None = Field(None, alias="Business Email")
    website: str | None = Field(None, alias="Website")
    industry: Any = Field(None, alias="Industry")
    employee_count: Any = Field(None, alias="Employee Count")
    city: Any = Field(None, alias="City")
    state: Any = Field(None, alias="State")
    zipcode: Any = Field(None, alias="Zipcode")
    seen_at: Any = Field(None, alias="Seen At")
    referrer: Any = Field(None, alias="Referrer")
    captured_url: Url = Field(..., alias="Captured URL")
    tags: Any = Field(None, alias="Tags")


# RB2B has sent `Seen At` as e.g. `2026-11-23T12:34:56:00.00+00.00`: extra `:00.00` after the
# seconds and a dotted offset. The date, the time and the offset that are there are kept.
_RB2B_TIME = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.:,]\d+)*"
    r"\s*(?:(Z)|([+-])(\d{2})[:.]?(\d{2})?)?\s*$",
    re.IGNORECASE,
)


def recover_seen_at(value: Any) -> Any:
    """RB2B's `Seen At` as ISO 8601 when it is malformed but its date and time are readable;
    anything else (numbers, well-formed text, garbage) is returned as is."""
    if not isinstance(value, str):
        return value
    m = _RB2B_TIME.match(value)
    if not m:
        return value
    day, hour, minute, second, zulu, sign, off_h, off_m = m.groups()
    offset = "+00:00" if zulu or not sign else f"{sign}{off_h}:{off_m or '00'}"
    return f"{day}T{int(hour):02d}:{minute}:{second or '00'}{offset}"


class PageView(_Loose):
    host: str | None = None
    path: str | None = None
    timestamp: Any = None


class CompanyEvents(_Loose):
    page_views: list[PageView] = Field(default_factory=list, max_length=MAX_PAGE_VIEWS)


class Company(_Loose):
    domain: str
    name: str | None = None
    events: CompanyEvents | None = None

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return normalise_domain(value)


class VisitContext(_Loose):
    segment_name: str | None = None
    trigger: str | None = None
    timestamp: Any = None


class CompanyVisit(_Loose):
    """Clearbit audience / Albacross company-level visit: no person, so no email. Each page
    view becomes one visit. Secret: bearer, `X-LeadOps-Secret` or `?secret=` (visitor)."""

    context: VisitContext | None = None
    company: Company


class GenericVisit(BaseModel):
    """A visit from any tool: `email` or `domain` (at least one), `page_url`, `seen_at` (ISO
    8601; default: receipt time). Secret: bearer, `X-LeadOps-Secret` or `?secret=` (visitor)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "email": "jane@acme.com",
                    "page_url": "https://agency.io/pricing",
                    "seen_at": "2025-03-04T10:15:00Z",
                }
            ]
        },
    )

    email: str | None = Field(None, max_length=320)
    domain: str | None = Field(None, max_length=253)
    page_url: Url
    seen_at: str | int | float | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value else None

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        return normalise_domain(value) if value else None
