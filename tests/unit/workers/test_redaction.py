"""Secrets never survive redaction: by shape (URLs, bearer tokens, fields) or by value."""

from __future__ import annotations

import io
import json

import structlog

from workers.redaction import redact, redact_value, register_secret


def test_api_key_in_a_url_is_redacted() -> None:
    url = "https://server.smartlead.ai/api/v1/campaigns/1?api_key=abc123secret&x=1"
    out = redact(url)
    assert "abc123secret" not in out
    assert "api_key=***" in out and "x=1" in out


def test_bearer_tokens_and_secret_fields_are_redacted() -> None:
    assert "pat-na1-xyz" not in redact("Authorization: Bearer pat-na1-xyz")
    assert "s3cr3t" not in redact('{"secret_key": "s3cr3t", "a": 1}')
    assert redact_value({"secret_key": "s3cr3t", "nested": {"token": "t0k3n"}}) == {
        "secret_key": "***",
        "nested": {"token": "***"},
    }


def test_registered_secret_is_redacted_anywhere() -> None:
    register_secret("plain-value-9999")
    assert redact("oops plain-value-9999 leaked") == "oops *** leaked"


def test_slack_webhook_path_is_redacted() -> None:
    out = redact("posting to https://hooks.slack.com/services/T000/B000/XXXXSECRET")
    assert "XXXXSECRET" not in out


def test_structlog_events_are_redacted(monkeypatch) -> None:
    from workers.logging import configure_logging

    buf = io.StringIO()
    configure_logging(level="INFO", json=True)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buf))
    structlog.get_logger().info(
        "call", url="http://x/api/v1/leads?api_key=KEY123456789", api_key="KEY123456789"
    )
    line = buf.getvalue()
    assert "KEY123456789" not in line
    assert json.loads(line)["event"] == "call"
