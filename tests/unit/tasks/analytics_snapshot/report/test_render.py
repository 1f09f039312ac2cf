"""The rendered report: branded, escaped, self-contained (nothing fetched, nothing naming the
tool), "no data yet" for a new client, charts with gaps, CSV rows, logo embedding, the CLI."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tasks.analytics_snapshot.report import charts
from tasks.analytics_snapshot.report.csv import render_csv
from tasks.analytics_snapshot.report.data import CampaignMeta
from tasks.analytics_snapshot.report.logo import MAX_LOGO_BYTES, embedded_logo
from tasks.analytics_snapshot.report.periods import last_days, local_today
from tasks.analytics_snapshot.report.publish import render_period
from tests.report_seed import BRANDING, LOGO_DATA_URI, create_account, seed_days, seed_mailboxes
from workers.campaign_stats import DayFigures
from workers.db import session_scope
from workers.models import Account

TODAY = dt.date(2026, 12, 15)
NOW = dt.datetime(2026, 12, 15, 8, 0, tzinfo=dt.UTC)


def _render(slug: str) -> tuple[str, str, object]:
    with session_scope() as s:
        account = s.query(Account).filter_by(slug=slug).one()
        out = render_period(s, account, last_days(TODAY), now=NOW, csv_href="x.csv")
    return out.html, out.csv, out.report


@pytest.fixture
def seeded(db_url: str) -> dict[str, dict[dt.date, DayFigures]]:
    with session_scope() as s:
        account_id = create_account(s, "northwind")
        days = seed_days(s, account_id, TODAY - dt.timedelta(days=1), 30)
        seed_mailboxes(s, account_id, TODAY - dt.timedelta(days=1), 30)
        create_account(s, "newco", name="Newco", branding={"brand_name": "Brightline Growth"})
    return days


def test_page_is_branded_self_contained_and_never_names_the_tool(seeded: dict) -> None:
    html, csv_text, _ = _render("northwind")
    assert "Brightline Growth" in html and "Northwind Traders" in html
    assert f'src="{LOGO_DATA_URI}"' in html
    assert f"--accent:{BRANDING['accent_color']}" in html
    assert "leadops" not in html.lower() and "leadops" not in csv_text.lower()
    # nothing to fetch: no URL of any scheme, no script, no external stylesheet or font
    assert not re.search(r"(https?:)?//[a-z0-9]", html.replace(LOGO_DATA_URI, ""), re.I)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "@import" not in html and "@font-face" not in html
    assert "default-src 'none'" in html


def test_names_are_escaped_not_markup(db_url: str) -> None:
    with session_scope() as s:
        aid = create_account(
            s,
            "evil",
            name="<script>alert(1)</script>",
            branding={"brand_name": '"><img src=x onerror=alert(2)>'},
        )
        seed_days(s, aid, TODAY - dt.timedelta(days=1), 3)
    html, _, _ = _render("evil")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_new_client_gets_a_no_data_page_without_charts(seeded: dict) -> None:
    html, csv_text, report = _render("newco")
    assert report.state == "no_data_yet"  # type: ignore[attr-defined]
    assert 'id="no-data"' in html and "No data yet" in html
    assert "<svg" not in html
    assert csv_text.splitlines()[1:] == []


def test_page_shows_the_stored_totals_and_the_rate_with_its_denominator(seeded: dict) -> None:
    html, _, _ = _render("northwind")
    sent = sum(f.sent for by_day in seeded.values() for f in by_day.values())
    replies = sum(f.replied_by_sent for by_day in seeded.values() for f in by_day.values())
    assert f'data-figure="sent" data-value="{sent}"' in html
    assert f'data-figure="replies" data-value="{replies}"' in html
    assert f'data-numerator="{replies}" data-denominator="{sent}"' in html
    assert f"{100 * replies / sent:.1f}%" in html
    assert "emails sent in the period" in html
    assert html.count('class="bar"') >= 30  # one bar per day in the sent chart (+ others)
    assert 'id="mailboxes"' in html and "sender5@northwind-mail.example" in html


def test_csv_has_one_row_per_stored_campaign_day_equal_to_the_store(seeded: dict) -> None:
    _, csv_text, _ = _render("northwind")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == sum(len(d) for d in seeded.values()) == 90
    first = rows[0]
    stored = seeded[first["campaign_id"]][dt.date.fromisoformat(first["date"])]
    assert int(first["sent"]) == stored.sent
    assert int(first["replied_by_send_date"]) == stored.replied_by_sent
    assert int(first["bounced"]) == stored.bounced


def test_csv_quotes_names_a_spreadsheet_would_run_as_formulas() -> None:
    day = dt.date(2026, 11, 1)
    text = render_csv(
        {"1": {day: DayFigures(day=day, sent=5)}},
        {"1": CampaignMeta("1", '=HYPERLINK("x")', "ACTIVE")},
    )
    assert next(csv.DictReader(io.StringIO(text)))["campaign_name"].startswith("'=")


def test_bar_chart_scales_to_a_round_top_and_draws_missing_days_as_gaps() -> None:
    days = [dt.date(2026, 11, d) for d in (1, 2, 3)]
    c = charts.bar_chart("c", "t", days, [180, None, 90], unit="sent")
    assert [b.value for b in c.bars] == [180, 90] and len(c.gaps) == 1
    assert c.y_ticks[-1].text == "200"
    assert c.bars[0].height == pytest.approx(2 * c.bars[1].height)
    assert charts.nice_max(0) == (4.0, 1.0) and charts.nice_max(1)[0] == 1.0


def _png(size: int = 64) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"0" * size


def test_logo_url_is_fetched_once_and_embedded_and_a_bad_one_is_left_out() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/logo.png":
            return httpx.Response(200, content=_png(), headers={"content-type": "image/png"})
        if request.url.path == "/page":
            return httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"})
        if request.url.path == "/huge.png":
            body = _png(MAX_LOGO_BYTES + 1)
            return httpx.Response(200, content=body, headers={"content-type": "image/png"})
        return httpx.Response(404)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    uri = embedded_logo("https://agency.example/logo.png", client)
    assert uri == "data:image/png;base64," + base64.b64encode(_png()).decode()
    assert embedded_logo("https://agency.example/page", client) is None
    assert embedded_logo("https://agency.example/huge.png", client) is None
    assert embedded_logo("https://agency.example/missing.png", client) is None
    assert embedded_logo(LOGO_DATA_URI, client) == LOGO_DATA_URI


def test_cli_writes_html_and_csv_for_the_period_asked(seeded: dict, tmp_path: Path) -> None:
    from ops.cli import app

    out = tmp_path / "out"
    month = (local_today("Europe/Paris").replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    result = CliRunner().invoke(app, ["report", "northwind", "--month", month, "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / f"northwind-{month}.html").read_text()
    assert 'href="northwind-' in html and (out / f"northwind-{month}.csv").exists()
    bad = CliRunner().invoke(app, ["report", "northwind", "--month", "2026-13", "--out", str(out)])
    assert bad.exit_code != 0 and "2026-11" in str(bad.exception or bad.output)
    missing = CliRunner().invoke(app, ["report", "nobody", "--out", str(out)])
    assert missing.exit_code != 0 and "nobody" in str(missing.exception or missing.output)
