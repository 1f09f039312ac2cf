"""structlog set-up: JSON in production, readable in a terminal; every event redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from workers.redaction import redact, redact_value
from workers.settings import get_settings


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> Mapping[str, Any]:
    return redact_value(event_dict)  # type: ignore[no-any-return]


class RedactingFormatter(logging.Formatter):
    """For stdlib records (Celery, uvicorn, httpx): redact the final formatted line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_configured = False


def configure_logging(level: str | None = None, json: bool | None = None) -> None:
    global _configured

    settings = get_settings()
    level = (level or settings.log_level).upper()
    if json is None:
        json = settings.log_json if settings.log_json is not None else settings.env == "production"

    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    root.setLevel(level)
    # httpx logs full URLs (with api_key) at INFO: keep it quiet, and redacted anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _configured = True


def get_logger(name: str | None = None, **bound: Any) -> Any:
    return structlog.get_logger(name).bind(**bound) if bound else structlog.get_logger(name)
