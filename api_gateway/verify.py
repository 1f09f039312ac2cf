"""Authenticity checks over the raw body and the request, in constant time.

Each account stores one secret per source in ``Account.webhook_secrets`` (a string, or a list
of strings while a secret is being rotated). No secret configured for a source = refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from starlette.requests import Request

from api_gateway.http import GatewayError

SECRET_HEADER = "x-leadops-secret"  # noqa: S105 - a header name


def unauthorized(message: str) -> GatewayError:
    return GatewayError(401, "unauthorized", message)


def secret_matches(given: str | None, secrets: Sequence[str]) -> bool:
    if not given:
        return False
    given_b = given.encode()
    ok = False
    for s in secrets:  # no early exit: the time taken says nothing about which one matched
        ok |= hmac.compare_digest(given_b, s.encode())
    return ok


def require_secrets(secrets: Sequence[str], source: str) -> Sequence[str]:
    if not secrets:
        raise unauthorized(f"no {source} webhook secret is configured for this account")
    return secrets


def _hmac(secret: str, raw: bytes) -> bytes:
    return hmac.new(secret.encode(), raw, hashlib.sha256).digest()


def hmac_hex_matches(header: str, raw: bytes, secrets: Sequence[str]) -> bool:
    """``sha256=<hex HMAC-SHA256(secret, raw body)>`` (Smartlead)."""
    value = header.strip()
    if value.lower().startswith("sha256="):
        value = value[7:]
    given = value.strip().lower().encode()
    ok = False
    for s in secrets:
        ok |= hmac.compare_digest(given, _hmac(s, raw).hex().encode())
    return ok


def hmac_b64_matches(header: str, raw: bytes, secrets: Sequence[str], prefix: str = "") -> bool:
    """``<prefix>base64(HMAC-SHA256(secret, raw body))`` (Typeform: ``sha256=``; Tally: none)."""
    value = header.strip()
    if prefix:
        if not value.startswith(prefix):
            return False
        value = value[len(prefix) :]
    given = value.encode()
    ok = False
    for s in secrets:
        ok |= hmac.compare_digest(given, base64.b64encode(_hmac(s, raw)))
    return ok


def bearer_or_header(request: Request) -> str | None:
    """The secret from ``Authorization: Bearer <secret>`` or ``X-LeadOps-Secret: <secret>``."""
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get(SECRET_HEADER)


def check_token(
    request: Request, secrets: Sequence[str], source: str, *, allow_query: bool = False
) -> None:
    """401 unless the bearer token, the secret header (or ``?secret=``) matches."""
    require_secrets(secrets, source)
    given = bearer_or_header(request)
    if given is None and allow_query:
        given = request.query_params.get("secret")
    if given is None:
        where = "Authorization: Bearer <secret> or X-LeadOps-Secret"
        raise unauthorized(
            f"missing {source} secret: send {where}" + (" (or ?secret=)" if allow_query else "")
        )
    if not secret_matches(given, secrets):
        raise unauthorized(f"wrong {source} secret for this account")
