"""Settings refuse placeholders in production; secrets are encrypted at rest."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workers.settings import Settings, derive_fernet_key


def test_production_refuses_missing_or_placeholder_secret_key(monkeypatch) -> None:
    monkeypatch.delenv("LEADOPS_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="LEADOPS_SECRET_KEY"):
        Settings(env="production", flower_password="a-real-password")
    with pytest.raises(ValidationError, match="LEADOPS_SECRET_KEY"):
        Settings(env="production", secret_key="changethis", flower_password="a-real-password")


def test_production_refuses_default_flower_password() -> None:
    with pytest.raises(ValidationError, match="FLOWER_PASSWORD"):
        Settings(env="production", secret_key="k" * 40)


def test_development_generates_a_key_once_under_var(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("LEADOPS_SECRET_KEY", raising=False)
    s = Settings(var_dir=tmp_path)
    first = s.fernet_key()
    assert (tmp_path / "secret.key").exists()
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    assert Settings(var_dir=tmp_path).fernet_key() == first


def test_passphrase_is_derived_to_a_valid_fernet_key() -> None:
    from cryptography.fernet import Fernet

    key = derive_fernet_key("some passphrase")
    Fernet(key)  # raises if malformed
    real = Fernet.generate_key()
    assert derive_fernet_key(real.decode()) == real


def test_redis_url_comes_from_setting_or_embedded_file(tmp_path) -> None:
    assert Settings(redis_url="redis://h:1/0").resolved_redis_url() == "redis://h:1/0"
    s = Settings(var_dir=tmp_path, redis_url=None)
    with pytest.raises(RuntimeError, match="no Redis"):
        s.resolved_redis_url()
    s.embedded_redis_url_file.parent.mkdir(parents=True)
    s.embedded_redis_url_file.write_text("redis://127.0.0.1:7777/0")
    assert s.resolved_redis_url() == "redis://127.0.0.1:7777/0"


def test_account_secrets_are_ciphertext_in_the_database(db_url) -> None:
    from sqlalchemy import text

    from workers.db import get_engine, session_scope
    from workers.models import Account

    with session_scope() as s:
        s.add(
            Account(
                slug="acme",
                name="Acme",
                smartlead_api_key="sl-key-123456",
                webhook_secrets={"clay": "clay-secret-xyz"},
            )
        )
    with get_engine().connect() as conn:
        raw = conn.execute(text("SELECT smartlead_api_key, webhook_secrets FROM accounts")).one()
    assert "sl-key-123456" not in raw[0] and raw[0].startswith("gAAAA")
    assert "clay-secret-xyz" not in raw[1]
    with session_scope() as s:
        acc = s.query(Account).one()
        assert acc.smartlead_api_key == "sl-key-123456"
        assert acc.webhook_secrets == {"clay": "clay-secret-xyz"}
        assert "sl-key" not in repr(acc)
