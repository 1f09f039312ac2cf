"""The report as one self-contained HTML page: Jinja2 templates in files, inline SVG charts.

Everything the page shows is inside it (styles inline, the logo as a data URI, charts as SVG),
and its own Content-Security-Policy forbids fetching anything, so opening the file or the link
makes no request to any host. Autoescaping is on: the account's and the agency's names are data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tasks.analytics_snapshot.report import charts
from tasks.analytics_snapshot.report.data import Change, Rate, RateChange, Report
from tasks.analytics_snapshot.report.periods import LAST_30_DAYS, span_label

TEMPLATES = Path(__file__).parent / "templates"
# Figures whose rise is bad news (coloured accordingly in the change line).
RISE_IS_BAD = {"bounced", "unsubscribed", "bounce", "unsubscribe"}


@dataclass(frozen=True)
class Branding:
    brand_name: str = ""
    logo_data_uri: str | None = None
    accent: str = "#2563eb"


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def palette(accent: str) -> dict[str, str]:
    """The accent, a dark shade (overlay bars), a pale tint (backgrounds), and readable text."""
    r, g, b = _rgb(accent)
    lum = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
    return {
        "accent": _hex((r, g, b)),
        "accent_dark": _hex((r * 0.55, g * 0.55, b * 0.55)),
        "accent_soft": _hex((r + (255 - r) * 0.88, g + (255 - g) * 0.88, b + (255 - b) * 0.88)),
        "on_accent": "#111111" if lum > 0.6 else "#ffffff",
    }


# ---- filters -----------------------------------------------------------------------------------
def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_rate(rate: Rate | None) -> str:
    pct = None if rate is None else rate.percent
    return "—" if pct is None else f"{pct:.1f}%"


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def change_text(change: Change, versus: str) -> str:
    if change.previous is None:
        return "no earlier figures to compare"
    if change.delta == 0:
        return f"no change vs {versus}"
    if change.percent is None:
        return f"{change.delta:+,} vs {versus} (0 before)"
    return f"{change.percent:+.1f}% vs {versus}"


def rate_change_text(change: RateChange, versus: str) -> str:
    if change.previous is None:
        return "no earlier figures to compare"
    pts = change.points
    if pts is None:
        return f"nothing sent in {versus}" if change.rate.value is not None else "nothing sent"
    if round(pts, 1) == 0:
        return f"no change vs {versus}"
    return f"{pts:+.1f} pts vs {versus}"


def trend_class(key: str, delta: float | None) -> str:
    if delta is None or round(delta, 3) == 0:
        return "flat"
    good = delta > 0
    return "bad" if good == (key in RISE_IS_BAD) else "good"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "svg", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=fmt_int,
        rate=fmt_rate,
        percent=fmt_percent,
        change_text=change_text,
        rate_change_text=rate_change_text,
    )
    env.globals.update(trend_class=trend_class)
    return env


def _charts(report: Report) -> dict[str, Any]:
    days = [p.day for p in report.series]
    sent = [p.counts.sent if p.collected else None for p in report.series]
    replies = [p.counts.replies if p.collected else None for p in report.series]
    positive = [p.counts.positive if p.collected else None for p in report.series]
    out: dict[str, Any] = {
        "sent": charts.bar_chart(
            "chart-sent", "Emails sent per day", days, sent, unit="emails sent"
        ),
        "replies": charts.bar_chart(
            "chart-replies",
            "Replies per day, by the day the email was sent",
            days,
            replies,
            overlay=positive,
            unit="replies",
            overlay_unit="positive replies",
        ),
        "reputation": None,
        "weak": None,
    }
    if report.mailboxes is not None:
        trend = report.mailboxes.trend
        trend_days = [d for d, _, _ in trend]
        out["reputation"] = charts.line_chart(
            "chart-reputation",
            "Average mailbox reputation per day",
            trend_days,
            [avg for _, avg, _ in trend],
        )
        if len(trend) >= 2:
            out["weak"] = charts.bar_chart(
                "chart-weak",
                "Mailboxes needing attention per day",
                trend_days,
                [weak for _, _, weak in trend],
                unit="mailboxes needing attention",
            )
    return out


def render_html(
    report: Report,
    branding: Branding,
    *,
    generated_at: dt.datetime,
    timezone: str,
    nav: list[NavLink] | None = None,
    csv_href: str | None = None,
) -> str:
    """The whole page. ``nav`` links other stored periods (``?period=``); ``csv_href`` the CSV."""
    template = environment().get_template("report.html.j2")
    return template.render(
        r=report,
        brand=branding,
        colours=palette(branding.accent),
        charts=_charts(report) if report.state == "ok" else None,
        span=span_label(report.period.start, report.period.end),
        versus=_versus(report),
        generated=generated_at.strftime("%-d %b %Y, %H:%M"),
        timezone=timezone,
        nav=nav or [],
        csv_href=csv_href,
    )


def _versus(report: Report) -> str:
    if report.period.key == LAST_30_DAYS:
        return "the previous 30 days"
    return report.previous.label
