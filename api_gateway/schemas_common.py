"""Small normalisers the payload models share: email, domain, lenient timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from workers.intake.validate import normalise_email as _normalise_email

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_email(value: str) -> str:
    """The upload path's own rule (workers/intake/validate.py): what it would refuse is a 422
    here, and the address is kept as received (a punycode domain stays ASCII)."""
    return _normalise_email(value)


def normalise_domain(value: str) -> str:
    """``https://www.Acme.com/x`` -> ``acme.com``; ValueError when no domain is recognisable."""
    text = value.strip().lower()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    else:
        text = text.split("/", 1)[0].split(":", 1)[0]
    if text.startswith("www."):
        text = text[4:]
    text = text.rstrip(".")
    if not _DOMAIN.match(text):
        raise ValueError("not a valid domain")
    return text


def email_domain(email: str | None) -> str | None:
    return email.rsplit("@", 1)[1] if email and "@" in email else None


def lenient_timestamp(value: object, default: datetime | None = None) -> str:
    """ISO 8601 UTC from whatever the sender wrote; the receipt time when unparseable."""
    parsed: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            parsed = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                from dateutil import parser as dateparser

                parsed = dateparser.parse(text)
            except (ValueError, OverflowError, TypeError):
                parsed = None
    fallback = default or datetime.now(UTC)
    if parsed is None:
        parsed = fallback
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        parsed = fallback.astimezone(UTC)
    return parsed.isoformat().replace("+00:00", "Z")
