"""The one email rule of the intake path, used by the gateway (422 naming the field) and by the
upload path (CSV rows, forms, visits): an address one accepts, the other never drops.

Pure (no Redis, no database, no email_validator on the gateway's hot path). The address is kept
as received, lower-cased: an ASCII punycode domain (``u5@xn--mller-kva.de``) stays ASCII, never
rewritten to Unicode (Smartlead refuses the Unicode form), and a non-ASCII address is refused
up front rather than at Smartlead.
"""

from __future__ import annotations

import re

MAX_LENGTH = 320
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@"
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


def email_problem(value: object) -> str | None:
    """Why ``value`` is not an address the upload accepts, or None when it is one."""
    if not isinstance(value, str) or not value.strip():
        return "missing email"
    text = value.strip().lower()
    if len(text) > MAX_LENGTH:
        return "email longer than 320 characters"
    if not text.isascii():
        return "not an ASCII email address (send the domain in punycode, xn--...)"
    local = text.split("@", 1)[0]
    if not _EMAIL.match(text) or ".." in text or local.startswith(".") or local.endswith("."):
        return "not a valid email address"
    return None


def normalise_email(value: str) -> str:
    """The address as received, stripped and lower-cased; ValueError saying what is wrong."""
    problem = email_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value.strip().lower()
