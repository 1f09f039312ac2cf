"""The client's report link: only the token's hash is stored, rotating kills the old link, and the
gateway (in-process, no sockets) serves stored reports to the right token only, with the same
404 for every wrong guess and headers that keep the page private."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tasks.analytics_snapshot.report.links import ExistingLink, IssuedLink, issue_link
from tasks.analytics_snapshot.report.publish import render_and_store
from tests.report_seed import create_account, seed_days
from workers.db import session_scope
from workers.models import Account
from workers.report_store import ReportLink, report_for_link, store_report

NOW = dt.datetime(2026, 12, 15, 8, 0, tzinfo=dt.UTC)


class Client:
    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")

    def get(self, url: str) -> httpx.Response:
        return self.loop.run_until_complete(self.http.get(url))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


@pytest.fixture
def accounts(db_url: str) -> dict[str, int]:
    with session_scope() as s:
        ids = {slug: create_account(s, slug, name=slug.title()) for slug in ("acme", "globex")}
        seed_days(s, ids["acme"], dt.date(2026, 12, 14), 30)
    for account_id in ids.values():
        render_and_store(account_id, now=NOW)
    return ids


@pytest.fixture
def gateway(accounts: dict[str, int]) -> Iterator[Client]:
    from api_gateway.app import create_app
    from workers.settings import get_settings

    client = Client(create_app(get_settings()))
    yield client
    client.close()


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _issue(slug: str, rotate: bool = False) -> IssuedLink | ExistingLink:
    with session_scope() as s:
        account = s.scalar(select(Account).where(Account.slug == slug))
        assert account is not None
        return issue_link(s, account, rotate=rotate)


def test_the_store_keeps_the_hash_and_never_the_token(accounts: dict[str, int]) -> None:
    link = _issue("acme")
    assert isinstance(link, IssuedLink) and not link.rotated
    token = _token(link.url)
    assert len(token) >= 40
    with session_scope() as s:
        row = s.scalar(select(ReportLink).where(ReportLink.account_id == accounts["acme"]))
        assert row is not None
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in row.token_hash
    again = _issue("acme")  # without --rotate nothing new is issued, and nothing is shown
    assert isinstance(again, ExistingLink)


def test_rotating_issues_a_new_link_and_the_old_one_stops_working(
    gateway: Client, accounts: dict[str, int]
) -> None:
    old = _token(_issue("acme").url)  # type: ignore[union-attr]
    assert gateway.get(f"/reports/acme/{old}").status_code == 200
    new = _issue("acme", rotate=True)
    assert isinstance(new, IssuedLink) and new.rotated
    assert gateway.get(f"/reports/acme/{old}").status_code == 404
    assert gateway.get(f"/reports/acme/{_token(new.url)}").status_code == 200


def test_every_wrong_guess_gets_the_same_404_and_nothing_of_the_account(
    gateway: Client, accounts: dict[str, int]
) -> None:
    token = _token(_issue("acme").url)  # type: ignore[union-attr]
    globex = _token(_issue("globex").url)  # type: ignore[union-attr]
    wrong = [
        f"/reports/acme/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}",  # one character off
        f"/reports/acme/{globex}",  # another account's token
        f"/reports/nobody/{token}",  # unknown account
        f"/reports/acme/{token}?period=1999-01",  # a period never stored
        f"/reports/acme/{token}?period=../../etc",
        f"/reports/acme/{token}?format=json",
        "/reports/acme/short",
    ]
    answers = [gateway.get(url) for url in wrong]
    assert [a.status_code for a in answers] == [404] * len(wrong)
    assert len({a.content for a in answers}) == 1
    assert b"Acme" not in answers[0].content
    for a in answers:
        assert a.headers["cache-control"].startswith("no-store")


def test_an_inactive_account_s_link_stops_working(
    gateway: Client, accounts: dict[str, int]
) -> None:
    token = _token(_issue("acme").url)  # type: ignore[union-attr]
    with session_scope() as s:
        account = s.get(Account, accounts["acme"])
        assert account is not None
        account.active = False
    assert gateway.get(f"/reports/acme/{token}").status_code == 404


def test_the_link_serves_the_stored_periods_privately_with_a_strict_policy(
    gateway: Client, accounts: dict[str, int]
) -> None:
    token = _token(_issue("acme").url)  # type: ignore[union-attr]
    page = gateway.get(f"/reports/acme/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Acme" in page.text and 'aria-current="page"' in page.text
    h = page.headers
    assert h["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in h["content-security-policy"]
    assert h["referrer-policy"] == "no-referrer"
    assert h["cache-control"] == "no-store, private"
    assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
    assert "etag" not in h and "last-modified" not in h
    month = gateway.get(f"/reports/acme/{token}?period=2026-11")
    assert month.status_code == 200 and "November 2026" in month.text
    csv = gateway.get(f"/reports/acme/{token}?period=2026-11&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("date,campaign_id")
    assert len(csv.text.splitlines()) == 1 + 3 * 16  # seeded 15-30 Nov, three campaigns


def test_re_rendering_replaces_the_stored_period_instead_of_adding_one(
    accounts: dict[str, int],
) -> None:
    token = _token(_issue("acme").url)  # type: ignore[union-attr]
    with session_scope() as s:
        store_report(s, accounts["acme"], "last-30-days", "<p>v2</p>", "")
    with session_scope() as s:
        assert report_for_link(s, "acme", token, "last-30-days") == ("<p>v2</p>", "")


def test_cli_link_prints_once_then_requires_rotate(
    accounts: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops.cli import app
    from workers.settings import reset_settings_cache

    monkeypatch.setenv("LEADOPS_GATEWAY_PUBLIC_URL", "https://reports.agency.example/")
    reset_settings_cache()
    runner = CliRunner()
    first = runner.invoke(app, ["report", "link", "acme"])
    assert first.exit_code == 0, first.output
    assert "https://reports.agency.example/reports/acme/" in first.output
    second = runner.invoke(app, ["report", "link", "acme"])
    assert "--rotate" in second.output and "/reports/acme/" not in second.output
    third = runner.invoke(app, ["report", "link", "acme", "--rotate"])
    assert "no longer works" in third.output
    url = next(line for line in third.output.splitlines() if "/reports/acme/" in line)
    assert _token(url.strip()) != _token(
        next(line for line in first.output.splitlines() if "/reports/acme/" in line).strip()
    )
