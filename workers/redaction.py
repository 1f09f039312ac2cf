"""Keep secrets out of logs, exceptions, task arguments, Flower and the result backend.

Two layers: patterns that catch secrets by their shape (``api_key=`` in a URL, bearer tokens,
``secret_key`` fields), and a process-wide registry of secret values actually decrypted by this
process, which are replaced wherever they appear verbatim.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

REDACTED = "***"

SECRET_FIELD_NAMES = {
    "api_key",
    "apikey",
    "secret_key",
    "secret",
    "token",
    "access_token",
    "hubspot_token",
    "smartlead_api_key",
    "slack_webhook_url",
    "authorization",
    "password",
    "webhook_secret",
    "webhook_secrets",
    "signature",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # api_key=... (query strings, form bodies, reprs of URLs)
    (
        re.compile(r"(?i)((?:api_key|apikey|secret|secret_key|token|access_token)=)[^&\s'\"#]+"),
        r"\1" + REDACTED,
    ),
    # "secret_key": "..." in JSON or repr'd dicts
    (
        re.compile(
            r"(?i)([\"']?(?:api_key|secret_key|webhook_secret|token|access_token|password)[\"']?\s*[:=]\s*[\"'])[^\"']+([\"'])"
        ),
        r"\1" + REDACTED + r"\2",
    ),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    # Slack incoming-webhook URLs carry their secret in the path.
    (re.compile(r"(https?://[^/\s]*/services/)[A-Za-z0-9/_-]+"), r"\1" + REDACTED),
]

_known: set[str] = set()
_lock = threading.Lock()
_known_re: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is redacted wherever it appears verbatim."""
    global _known_re
    if not value or len(value) < 6:
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        alts = sorted(_known, key=len, reverse=True)
        _known_re = re.compile("|".join(re.escape(v) for v in alts))


def redact(text: str) -> str:
    if not text:
        return text
    known = _known_re
    if known is not None:
        text = known.sub(REDACTED, text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_value(value: Any, _depth: int = 0) -> Any:
    """Redact strings inside nested dicts/lists; secret-named keys lose their value entirely."""
    if _depth > 8:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.lower() in SECRET_FIELD_NAMES and v not in (None, ""):
                out[k] = REDACTED
            else:
                out[k] = redact_value(v, _depth + 1)
        return out
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, _depth + 1) for v in value)
    return value
