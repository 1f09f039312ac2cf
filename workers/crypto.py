"""Secrets at rest: Fernet-encrypted columns. Decrypted values are registered for redaction."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from workers.redaction import register_secret
from workers.settings import get_settings


@lru_cache(maxsize=1)
def _fernet() -> Fernet:

    return Fernet(get_settings().fernet_key())


def reset_fernet_cache() -> None:
    _fernet.cache_clear()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError(
            "cannot decrypt a stored secret: LEADOPS_SECRET_KEY differs from the key used to "
            "store it"
        ) from exc


class EncryptedString(TypeDecorator[str]):
    """A string column stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return None
        register_secret(value)
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        plain = decrypt(value)
        register_secret(plain)
        return plain


class EncryptedJSON(TypeDecorator[dict[str, Any]]):
    """A dict of secrets (e.g. per-source webhook secrets) stored as one Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        for v in value.values():
            if isinstance(v, str):
                register_secret(v)
        return encrypt(json.dumps(value, sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any]:
        if value is None:
            return {}
        data: dict[str, Any] = json.loads(decrypt(value))
        for v in data.values():
            if isinstance(v, str):
                register_secret(v)
        return data
