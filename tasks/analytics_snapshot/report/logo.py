"""The agency's logo as an embedded data URI, so the page asks no other host for it.

A logo configured as an https:// URL is fetched once per render (small, image types only) and
embedded; when it cannot be fetched the report is rendered without it rather than failing.
"""

from __future__ import annotations

import base64

import httpx

from workers.logging import get_logger

log = get_logger("tasks.analytics_snapshot.report.logo")

MAX_LOGO_BYTES = 256 * 1024
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}


def embedded_logo(value: str | None, client: httpx.Client | None = None) -> str | None:
    """A ``data:image/...;base64,`` URI for the configured logo, or None."""
    if not value:
        return None
    if value.startswith("data:image/"):
        return value  # validated by the params model
    if not value.startswith("https://"):
        return None
    own = client is None
    http = client or httpx.Client(timeout=5.0, follow_redirects=True, max_redirects=3)
    try:
        with http.stream("GET", value) as resp:
            if resp.status_code != 200:
                log.warning("report_logo_unavailable", status=resp.status_code)
                return None
            ctype = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if ctype not in IMAGE_TYPES:
                log.warning("report_logo_not_an_image", content_type=ctype[:60])
                return None
            body = b""
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_LOGO_BYTES:
                    log.warning("report_logo_too_large", limit=MAX_LOGO_BYTES)
                    return None
    except httpx.HTTPError as exc:
        log.warning("report_logo_unavailable", error_class=type(exc).__name__)
        return None
    finally:
        if own:
            http.close()
    return f"data:{ctype};base64,{base64.b64encode(body).decode('ascii')}"
