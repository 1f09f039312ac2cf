"""Realistic webhook payloads of every source the gateway takes (the shapes in
../shared/integrations.md and smartlead-api.md), for the benchmark, the sandbox and tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson


def smartlead_reply(
    n: int = 1, *, secret_key: str = "secretkey", email: str | None = None, campaign_id: int = 4242
) -> dict[str, Any]:
    email = email or f"lead{n}@acme-{n % 97}.com"
    html = (
        "<div>Hi Sam,<br><br>Thanks for reaching out. We are evaluating vendors this quarter"
        " &mdash; could you send pricing for 50 seats?<br><br>Best,<br>Jane</div>"
        "<div class='gmail_quote'>On Mon, Sam wrote: &gt; Hi Jane, quick question ...</div>"
    )
    return {
        "webhook_id": 812,
        "webhook_name": "LeadOps replies",
        "event_type": "EMAIL_REPLY",
        "event_timestamp": f"2025-03-04T10:{n % 60:02d}:{n % 59:02d}.000Z",
        "secret_key": secret_key,
        "stats_id": f"st-{n}",
        "sl_email_lead_id": 100000 + n,
        "sl_email_lead_map_id": 200000 + n,
        "sl_lead_email": email,
        "from_email": "sam@agency-mail.io",
        "to_email": email,
        "to_name": "Jane Doe",
        "subject": "Re: Quick question about your outbound",
        "campaign_id": campaign_id,
        "campaign_name": "Q1 SaaS founders",
        "campaign_status": "ACTIVE",
        "sequence_number": 2,
        "client_id": 77,
        "sent_message": {
            "message_id": f"<sent-{n}@agency-mail.io>",
            "html": "<p>Hi Jane, quick question about your outbound...</p>",
            "text": "Hi Jane, quick question about your outbound...",
            "time": "2025-03-03T09:00:00.000Z",
        },
        "reply_message": {
            "message_id": f"<reply-{n}@acme.com>",
            "html": html,
            "text": "Hi Sam, Thanks for reaching out. We are evaluating vendors "
            "this quarter - could you send pricing for 50 seats? Best, Jane",
            "time": "2025-03-04T10:15:00.000Z",
        },
        "app_url": f"https://app.smartlead.ai/app/master-inbox?leadMap={200000 + n}",
        "description": "Jane Doe replied to Email 2",
        "metadata": {"webhook_created_at": "x"},
    }


def smartlead_category(
    n: int = 1,
    *,
    secret_key: str = "secretkey",
    category: str = "Interested",
    email: str | None = None,
) -> dict[str, Any]:
    email = email or f"lead{n}@acme-{n % 97}.com"
    return {
        "event_type": "LEAD_CATEGORY_UPDATED",
        "event_timestamp": f"2025-03-04T11:00:{n % 60:02d}Z",
        "secret_key": secret_key,
        "lead_id": 300000 + n,
        "campaign_id": 4242,
        "campaign_name": "Q1 SaaS founders",
        "client_id": 77,
        "to_email": email,
        "to_name": "Jane Doe",
        "from_email": "sam@agency-mail.io",
        "lead_category": {"old_id": None, "old_name": None, "new_id": 1, "new_name": category},
        "lead_data": {
            "email": email,
            "first_name": "Jane",
            "last_name": "Doe",
            "company_name": "Acme",
            "website": "acme.com",
        },
        "history": [{"type": "SENT", "time": "2025-03-03T09:00:00Z"}],
        "last_reply": {"text": "Sounds interesting", "time": "2025-03-04T10:15:00Z"},
    }


def smartlead_unsubscribe(n: int = 1, *, secret_key: str = "secretkey") -> dict[str, Any]:
    return {
        "event_type": "LEAD_UNSUBSCRIBED",
        "event_timestamp": "2025-03-04T12:00:00Z",
        "secret_key": secret_key,
        "lead_email": f"lead{n}@acme.com",
        "campaign_id": 4242,
        "campaign_name": "Q1 SaaS founders",
        "client_id": 77,
    }


def smartlead_open(n: int = 1, *, secret_key: str = "secretkey") -> dict[str, Any]:
    return {
        "event_type": "EMAIL_OPEN",
        "event_timestamp": "2025-03-04T12:00:00Z",
        "secret_key": secret_key,
        "sl_lead_email": f"lead{n}@acme.com",
        "campaign_id": 4242,
        "stats_id": f"open-{n}",
        "sequence_number": 1,
    }


def clay_row(n: int = 1, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "email": f"Prospect{n}@Northwind-{n % 113}.io",
        "first_name": "Alex",
        "last_name": "Morgan",
        "company_name": f"Northwind {n % 113}",
        "website": f"https://northwind-{n % 113}.io",
        "linkedin_profile": f"https://www.linkedin.com/in/alex-morgan-{n}",
        "phone_number": "+1 415 555 0100",
        "location": "San Francisco, CA",
        "custom_fields": {
            "title": "Head of Growth",
            "employees": 120,
            "industry": "SaaS",
            "funding": "Series A",
            "tech_stack": "HubSpot, Segment, Snowflake",
            "icebreaker": "Saw your post about scaling outbound past 10k/month.",
        },
        "campaign_id": "4242",
        "row_id": f"row_{n}",
        "clay_table": "Q1 founders",
        "enriched_at": "2025-03-04T09:00:00Z",
    }
    row.update(overrides)
    return row


def typeform_response(n: int = 1) -> dict[str, Any]:
    return {
        "event_id": f"01HTF{n:08d}",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": f"tok{n:010d}",
            "landed_at": "2025-03-04T10:00:00Z",
            "submitted_at": "2025-03-04T10:02:00Z",
            "hidden": {"utm_source": "linkedin"},
            "definition": {
                "id": "lT4Z3j",
                "title": "Demo request",
                "fields": [
                    {"id": "f1", "ref": "email", "type": "email", "title": "Your work email"},
                    {"id": "f2", "ref": "first_name", "type": "short_text", "title": "First name"},
                    {"id": "f3", "ref": "team_size", "type": "multiple_choice", "title": "Team"},
                ],
            },
            "answers": [
                {
                    "type": "email",
                    "email": f"buyer{n}@contoso.com",
                    "field": {"id": "f1", "ref": "email", "type": "email"},
                },
                {
                    "type": "text",
                    "text": "Robin",
                    "field": {"id": "f2", "ref": "first_name", "type": "short_text"},
                },
                {
                    "type": "choice",
                    "choice": {"label": "11-50"},
                    "field": {"id": "f3", "ref": "team_size", "type": "multiple_choice"},
                },
            ],
        },
    }


def tally_response(n: int = 1) -> dict[str, Any]:
    return {
        "eventId": f"evt-{n}",
        "eventType": "FORM_RESPONSE",
        "createdAt": "2025-03-04T10:02:00.000Z",
        "data": {
            "responseId": f"resp{n}",
            "submissionId": f"sub{n}",
            "respondentId": "r1",
            "formId": "mO2kQa",
            "formName": "Pricing request",
            "createdAt": "2025-03-04T10:02:00Z",
            "fields": [
                {
                    "key": "question_email",
                    "label": "Email",
                    "type": "INPUT_EMAIL",
                    "value": f"buyer{n}@contoso.com",
                },
                {"key": "question_name", "label": "Name", "type": "INPUT_TEXT", "value": "Robin"},
                {
                    "key": "question_size",
                    "label": "Team size",
                    "type": "MULTIPLE_CHOICE",
                    "value": ["opt2"],
                    "options": [{"id": "opt1", "text": "1-10"}, {"id": "opt2", "text": "11-50"}],
                },
                {
                    "key": "question_note",
                    "label": "Anything else?",
                    "type": "TEXTAREA",
                    "value": None,
                },
            ],
        },
    }


def rb2b_visit(n: int = 1) -> dict[str, Any]:
    return {
        "LinkedIn URL": f"https://www.linkedin.com/in/visitor-{n}",
        "First Name": "Casey",
        "Last Name": "Lee",
        "Title": "CTO",
        "Company Name": "Fabrikam",
        "Business Email": f"casey{n}@fabrikam.com",
        "Website": "https://fabrikam.com",
        "Industry": "Software",
        "Employee Count": "51-200",
        "City": "Austin",
        "State": "TX",
        "Zipcode": "78701",
        "Seen At": "2025-03-04T10:15:00.000+00:00",
        "Referrer": "https://www.google.com/",
        "Captured URL": "https://agency.io/pricing",
        "Tags": "Hot Lead, Pricing",
    }


def company_visit(n: int = 1) -> dict[str, Any]:
    return {
        "context": {
            "segment_name": "High intent",
            "trigger": "page_view",
            "timestamp": "2025-03-04T10:15:00Z",
        },
        "company": {
            "domain": f"www.globex-{n}.com",
            "name": "Globex",
            "events": {
                "page_views": [
                    {"host": "agency.io", "path": "/pricing", "timestamp": "2025-03-04T10:14:00Z"},
                    {
                        "host": "agency.io",
                        "path": "/case-studies",
                        "timestamp": "2025-03-04T10:15:00Z",
                    },
                ]
            },
        },
    }


def generic_visit(n: int = 1) -> dict[str, Any]:
    return {
        "email": f"visitor{n}@initech.com",
        "page_url": "https://agency.io/pricing",
        "seen_at": "2025-03-04T10:15:00Z",
    }


def dumps(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)


def typeform_signature(secret: str, raw: bytes) -> str:
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def tally_signature(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def smartlead_signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
