"""Slack incoming-webhook client: plain messages and Block Kit alerts within Slack's limits.

The webhook URL is the credential (its path is the secret): it is registered for redaction and
never appears in a message, log line or repr. Slack answers 200 ``ok`` (plain text) on success
and plain-text error codes with real statuses otherwise (shared/integrations.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from workers.clients.base import RequestGate
from workers.clients.errors import (
    ApiError,
    PermanentError,
    RateLimited,
    TransientError,
    Unauthorized,
)
from workers.clients.http import HttpRequester, parse_retry_after
from workers.logging import get_logger
from workers.redaction import redact, register_secret

SERVICE = "slack"
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_LINE = 500  # one alert line; longer ones are clipped
LINES_PER_MESSAGE = 50  # keeps each message readable; well inside 50 blocks x 3000 chars
MAX_MESSAGES = 5  # an alert never becomes more messages than this: the rest is summarised
RATE_LIMIT_WAIT_CAP = 5.0  # post_alert waits out a short 429 between parts; longer ones raise
DESTINATION_BROKEN = {403, 404, 410}

log = get_logger("workers.clients.slack")


class DestinationBroken(PermanentError):
    """403 ``action_prohibited``, 404 ``channel_not_found``/``no_service``, 410
    ``channel_is_archived``: the webhook no longer delivers. Alert an operator; never retry."""


class SlackClient:
    """One incoming webhook."""

    def __init__(
        self,
        webhook_url: str,
        *,
        gate: RequestGate | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = (webhook_url or "").strip()
        if not url.startswith(("https://", "http://")):
            raise ValueError("Slack webhook URL must be an http(s) URL")
        # The path alone also shows up (server access logs): register it as well.
        _, _, secret_path = url.partition("/services/")
        self._http = HttpRequester(
            SERVICE,
            url,
            gate=gate,
            timeout=timeout,
            transport=transport,
            secrets=[url, secret_path],
        )
        register_secret(url)

    def __repr__(self) -> str:
        return "<SlackClient webhook=***>"

    def close(self) -> None:
        self._http.close()

    def post(self, text: str, blocks: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Send one message. ``text`` is required: it is the notification and the fallback for
        clients that cannot show blocks. Returns only on 200 ``ok``."""
        if not text or not text.strip():
            raise ValueError("Slack messages need a non-empty text fallback")
        payload: dict[str, Any] = {"text": text}
        if blocks:
            payload["blocks"] = [dict(b) for b in blocks]
        response = self._http.request("POST", "", json=payload, raise_for_status=False)
        body = response.text.strip()
        if response.status_code == 200 and body == "ok":
            return
        error = slack_error(response.status_code, body, response.headers)
        log.info(
            "slack_error",
            status=response.status_code,
            error=type(error).__name__,
            message=error.message,
        )
        raise error

    def post_alert(
        self,
        title: str,
        lines: Iterable[str],
        *,
        context: Mapping[str, Any] | None = None,
        max_messages: int = MAX_MESSAGES,
        lines_per_message: int = LINES_PER_MESSAGE,
    ) -> int:
        """Post an alert as Block Kit: a header, optional context fields, the lines as
        bullets. Past one message's worth of lines it is split into numbered parts, sent in
        order; past ``max_messages`` parts the last one ends with "... and K more". Returns the
        number of messages sent. A short 429 between parts is waited out, so parts stay in
        order; a part that fails raises (earlier parts were delivered)."""
        messages = build_alert_messages(
            title,
            list(lines),
            context=context,
            max_messages=max_messages,
            lines_per_message=lines_per_message,
        )
        for message in messages:
            self._post_paced(message["text"], message["blocks"])
        return len(messages)

    def _post_paced(self, text: str, blocks: list[dict[str, Any]]) -> None:
        waited = 0.0
        while True:
            try:
                self.post(text, blocks)
                return
            except RateLimited as exc:
                if waited + exc.retry_after > RATE_LIMIT_WAIT_CAP:
                    raise
                waited += exc.retry_after
                time.sleep(exc.retry_after)


def slack_error(status: int, body: str, headers: Mapping[str, str]) -> ApiError:
    """The exception for a Slack webhook answer that is not 200 ``ok``."""
    code = redact(body[:200]) or "(empty body)"
    msg = f"slack webhook -> {status}: {code}"
    if status == 429:
        return RateLimited(
            msg, retry_after=parse_retry_after(headers.get("Retry-After"), 1.0), service=SERVICE
        )
    if status in DESTINATION_BROKEN:
        return DestinationBroken(msg, status_code=status, service=SERVICE)
    if status == 401:
        return Unauthorized(msg, status_code=status, service=SERVICE)
    if status >= 500 or status in (408, 425):
        return TransientError(msg, status_code=status, service=SERVICE)
    # 400 invalid_payload / no_text / invalid_blocks, and a 200 whose body is not "ok".
    return PermanentError(msg, status_code=status, service=SERVICE)


# ---- Block Kit ------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Slack's mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in an ellipsis when cut (never mid-entity)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _line_sections(lines: list[str]) -> list[dict[str, Any]]:
    """Pack lines into as few sections as fit ``MAX_SECTION_TEXT``."""
    sections, current = [], ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_SECTION_TEXT and current:
            sections.append(_section(current))
            candidate = line
        current = candidate
    if current:
        sections.append(_section(current))
    return sections


def _context_fields(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = list(context.items())
    if len(items) > MAX_FIELDS:
        rest = len(items) - (MAX_FIELDS - 1)
        items = items[: MAX_FIELDS - 1] + [("…", f"{rest} more")]
    return [
        {"type": "mrkdwn", "text": clip(f"*{escape(str(k))}*\n{escape(str(v))}", MAX_FIELD_TEXT)}
        for k, v in items
    ]


def build_alert_messages(
    title: str,
    lines: list[str],
    *,
    context: Mapping[str, Any] | None = None,
    max_messages: int = MAX_MESSAGES,
    lines_per_message: int = LINES_PER_MESSAGE,
) -> list[dict[str, Any]]:
    """The ``{text, blocks}`` payloads of one alert, each within Block Kit's limits."""
    if max_messages < 1 or lines_per_message < 2:
        raise ValueError("max_messages >= 1 and lines_per_message >= 2")
    title = " ".join((title or "Alert").split()) or "Alert"
    bullets = [clip(escape(f"• {' '.join(str(line).split())}"), MAX_LINE) for line in lines]
    per_message = min(lines_per_message, (MAX_BLOCKS - 3) * (MAX_SECTION_TEXT // (MAX_LINE + 1)))
    parts = [bullets[i : i + per_message] for i in range(0, len(bullets), per_message)] or [[]]
    if len(parts) > max_messages:
        parts = parts[:max_messages]
        shown = sum(len(p) for p in parts) - 1
        parts[-1] = parts[-1][:-1] + [f"_… and {len(bullets) - shown} more_"]
    total = len(parts)
    messages = []
    for number, part in enumerate(parts, start=1):
        suffix = f" ({number}/{total})" if total > 1 else ""
        header = clip(title, MAX_HEADER - len(suffix)) + suffix
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": header}}
        ]
        if context and number == 1:
            blocks.append({"type": "section", "fields": _context_fields(context)})
        blocks.extend(_line_sections(part))
        summary = f"{len(lines)} line(s)" if lines else "no details"
        messages.append(
            {"text": clip(escape(f"{header}: {summary}"), MAX_SECTION_TEXT), "blocks": blocks}
        )
    return messages


__all__ = ["DestinationBroken", "SlackClient", "build_alert_messages", "slack_error"]
