"""The client report in a real browser (headless Chromium driven by Playwright).

An account with 30 days of stored figures: rendered by the ``render_reports`` task in a real
worker process, stored, served by the real gateway over loopback at the client's link, and also
written as a file by ``leadops report``. A brand-new account: its "no data yet" page. Each page:
no console error, no request to any other host, the charts drawn with a real size, the numbers
shown equal to the stored figures, and a screenshot under the test's tmp dir (path printed).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from tests.conftest import WorkerProcess
from tests.report_seed import create_account, seed_days, seed_mailboxes
from workers.campaign_stats import DayFigures
from workers.db import session_scope

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.path.exists("/usr/bin/chromium"):
    CHROMIUM = "/usr/bin/chromium"
TZ = "Europe/Paris"
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}


def _chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    return CHROMIUM


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One page opened in a fresh context, with everything it logged and asked for."""

    def __init__(self, browser: Any, url: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.response = self.page.goto(url, wait_until="load")

    def figure(self, selector: str) -> str:
        return str(self.page.locator(selector).first.inner_text()).strip()

    def assert_clean(self, allowed_origin: str) -> None:
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        for url in self.requests:
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme != "data" else "data:"
            assert origin in (allowed_origin, "data:"), f"request to another host: {url}"

    def screenshot(self, path: Path) -> Path:
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        print(f"\nscreenshot: {path}")
        return path

    def close(self) -> None:
        self.context.close()


def _seed() -> tuple[int, int, dict[str, dict[dt.date, DayFigures]], dt.date]:
    from tasks.analytics_snapshot.report.periods import local_today

    yesterday = local_today(TZ) - dt.timedelta(days=1)
    with session_scope() as s:
        northwind = create_account(s, "northwind", timezone=TZ)
        # 30 days in the report period and 30 before it, for the comparison
        days = seed_days(s, northwind, yesterday, 60, bounce_heavy="103")
        seed_mailboxes(s, northwind, yesterday, 30)
        newco = create_account(s, "newco", name="Newco GmbH", timezone=TZ)
    return northwind, newco, days, yesterday


def _expected(days: dict[str, dict[dt.date, DayFigures]], start: dt.date, end: dt.date) -> dict:
    rows = [f for by_day in days.values() for d, f in by_day.items() if start <= d <= end]
    per_campaign = {
        cid: sum(f.sent for d, f in by_day.items() if start <= d <= end)
        for cid, by_day in days.items()
    }
    per_day: dict[dt.date, int] = {}
    for f in rows:
        per_day[f.day] = per_day.get(f.day, 0) + f.sent
    return {
        "sent": sum(f.sent for f in rows),
        "replies": sum(f.replied_by_sent for f in rows),
        "positive": sum(f.positive_replied for f in rows),
        "bounced": sum(f.bounced for f in rows),
        "unsubscribed": sum(f.unsubscribed for f in rows),
        "replies_arrived": sum(f.replied for f in rows),
        "per_campaign": per_campaign,
        "per_day": per_day,
    }


CHART_JS = """(id) => {
  const svg = document.getElementById(id);
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const bars = [...svg.querySelectorAll('rect.bar')].map(b => {
    const r = b.getBoundingClientRect();
    return {value: Number(b.dataset.value), width: r.width, height: r.height};
  });
  return {width: box.width, height: box.height, bars: bars};
}"""


def _assert_page_matches_store(v: Visit, exp: dict, yesterday: dt.date) -> None:
    for key in ("sent", "replies", "positive", "bounced", "unsubscribed"):
        tile = v.page.locator(f'.tile[data-figure="{key}"]')
        assert tile.get_attribute("data-value") == str(exp[key]), key
        assert tile.locator(".value").inner_text().strip() == f"{exp[key]:,}", key
    assert v.page.locator('[data-figure="replies_arrived"]').get_attribute("data-value") == str(
        exp["replies_arrived"]
    )
    reply = 100 * exp["replies"] / exp["sent"]
    assert v.figure('[data-rate="reply"] .value') == f"{reply:.1f}%"
    positive = 100 * exp["positive"] / exp["sent"]
    assert v.figure('[data-rate="positive"] .value') == f"{positive:.1f}%"
    for cid, sent in exp["per_campaign"].items():
        assert v.figure(f'tr[data-campaign="{cid}"] td[data-col="sent"]') == f"{sent:,}"
    for day, sent in exp["per_day"].items():
        cell = v.page.locator(f'tr[data-day="{day.isoformat()}"] td').nth(1)
        assert cell.text_content().strip() == f"{sent:,}", day
    # the charts: drawn, with a real size, one bar per day, bar heights following the figures
    for chart_id in ("chart-sent", "chart-replies"):
        chart = v.page.evaluate(CHART_JS, chart_id)
        assert chart is not None and chart["width"] > 200 and chart["height"] > 80, chart_id
        assert len(chart["bars"]) == 30
        assert all(b["width"] > 0 for b in chart["bars"])
        assert all(b["height"] > 0 for b in chart["bars"] if b["value"] > 0)
    sent_bars = v.page.evaluate(CHART_JS, "chart-sent")["bars"]
    assert [b["value"] for b in sent_bars] == [
        exp["per_day"][yesterday - dt.timedelta(days=29 - i)] for i in range(30)
    ]
    tallest = max(sent_bars, key=lambda b: b["height"])
    assert tallest["value"] == max(exp["per_day"].values())
    assert v.page.locator("#chart-reputation polyline").count() == 1
    assert "LeadOps" not in v.page.content()


def test_report_with_30_days_opens_cleanly_in_chromium_from_the_link_and_the_file(
    redis_url: str, db_url: str, worker_process: WorkerProcess, tmp_path: Path
) -> None:
    from api_gateway.app import create_app
    from ops.cli import app as cli
    from ops.sandbox.serve import serve
    from tasks.analytics_snapshot.report.links import IssuedLink, issue_link
    from tasks.analytics_snapshot.report.tasks import RENDER_REPORTS
    from workers.celery_app import app
    from workers.models import Account
    from workers.settings import get_settings

    _chromium()
    northwind, _, days, yesterday = _seed()
    # when: the worker renders and stores the standard periods, and the client gets a link
    result = app.send_task(RENDER_REPORTS, kwargs={"account_id": northwind}).get(timeout=60)
    assert result["outcome"] == "done" and result["periods"][0]["period"] == "last-30-days"
    exp = _expected(days, yesterday - dt.timedelta(days=29), yesterday)
    out = tmp_path / "out"
    written = CliRunner().invoke(cli, ["report", "northwind", "--out", str(out)])
    assert written.exit_code == 0, written.output
    with serve(create_app(get_settings())) as gateway:
        with session_scope() as s:
            account = s.get(Account, northwind)
            assert account is not None
            link = issue_link(s, account, rotate=True)
        assert isinstance(link, IssuedLink)
        path = urlsplit(link.url).path
        with _browser() as browser:
            # then: the link, on a desktop and on a phone
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                v = Visit(browser, gateway + path, viewport)
                assert v.response.status == 200
                assert v.response.headers["content-security-policy"].startswith("default-src")
                v.assert_clean(gateway)
                _assert_page_matches_store(v, exp, yesterday)
                v.screenshot(tmp_path / f"report-30-days-{name}.png")
                if name == "desktop":
                    # the period links work in the browser too
                    nav = v.page.locator("nav.periods a").last
                    label = nav.inner_text().strip()
                    nav.click()
                    v.page.wait_for_load_state("load")
                    assert v.figure("#period-label") == label
                    v.assert_clean(gateway)
                v.close()
            # and the file `leadops report` wrote, opened from disk
            f = Visit(browser, (out / "northwind-last-30-days.html").as_uri(), DESKTOP)
            f.assert_clean("file://")
            _assert_page_matches_store(f, exp, yesterday)
            f.close()


def test_new_account_gets_a_clean_no_data_page_in_chromium(db_url: str, tmp_path: Path) -> None:
    from ops.cli import app as cli

    _chromium()
    _seed()
    out = tmp_path / "out"
    written = CliRunner().invoke(cli, ["report", "newco", "--out", str(out)])
    assert written.exit_code == 0, written.output
    with _browser() as browser:
        v = Visit(browser, (out / "newco-last-30-days.html").as_uri(), PHONE)
        v.assert_clean("file://")
        assert v.figure("#no-data h2") == "No data yet"
        assert v.page.locator("#no-data").get_attribute("data-state") == "no_data_yet"
        assert v.figure("h1") == "Newco GmbH"
        box = v.page.locator("#no-data").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        assert v.page.locator("svg").count() == 0
        v.screenshot(tmp_path / "report-new-account.png")
        v.close()
