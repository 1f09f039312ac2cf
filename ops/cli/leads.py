"""`leadops leads status | import`: what became of accepted leads, and CSV uploads through the
same intake pipeline as Clay rows (buffer, chunks of up to 100, exactly once)."""

from __future__ import annotations

import csv
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from ops.cli import CliError, console
from workers.accounts import get_account_by_slug
from workers.db import session_scope
from workers.models import Account, AuditLog, LeadOutcome

app = typer.Typer(no_args_is_help=True, help="Lead intake: outcomes and CSV import.")

PROBLEM_STATUSES = ("rejected", "blocked", "dead", "invalid_email", "unsubscribed", "unresolved")
# CSV header -> Smartlead lead field; every other column becomes a custom field. Headers are
# compared lower-cased with spaces, dashes and underscores alike, so Clay's exports ("LinkedIn
# Profile", "Company Domain", "Work Email") map like snake_case ones.
COLUMN_ALIASES = {
    "email": "email",
    "email_address": "email",
    "e_mail": "email",
    "work_email": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "company_name": "company_name",
    "company": "company_name",
    "website": "website",
    "company_website": "website",
    "company_url": "company_url",
    "company_domain": "company_url",
    "domain": "company_url",
    "location": "location",
    "linkedin_profile": "linkedin_profile",
    "linkedin": "linkedin_profile",
    "linkedin_url": "linkedin_profile",
    "linkedin_profile_url": "linkedin_profile",
    "phone_number": "phone_number",
    "phone": "phone_number",
}


def column_field(header: str) -> str | None:
    """The Smartlead lead field a CSV header stands for (None: a custom field)."""
    return COLUMN_ALIASES.get(re.sub(r"[\s_\-]+", "_", header.strip().lower()))


def _account(slug: str) -> Account:
    with session_scope() as s:
        account = get_account_by_slug(s, slug)
        if account is None:
            raise CliError(f"no account {slug!r} (see `leadops accounts list`)")
        s.expunge(account)
        return account


@app.command()
def status(
    account: str = typer.Option(..., "--account", "-a", help="Account slug."),
    campaign: str = typer.Option(None, "--campaign", "-c", help="One campaign id."),
    recent: int = typer.Option(10, help="How many recent rejections to list."),
) -> None:
    """Outcome counts per campaign, what is still buffered, and recent rejections."""
    acct = _account(account)
    with session_scope() as s:
        q = (
            select(LeadOutcome.campaign_id, LeadOutcome.status, func.count())
            .where(LeadOutcome.account_id == acct.id)
            .group_by(LeadOutcome.campaign_id, LeadOutcome.status)
        )
        if campaign:
            q = q.where(LeadOutcome.campaign_id == campaign)
        counts: dict[str, dict[str, int]] = {}
        for camp, st, n in s.execute(q).tuples():
            counts.setdefault(camp, {})[st] = n
        pq = (
            select(LeadOutcome)
            .where(LeadOutcome.account_id == acct.id, LeadOutcome.status.in_(PROBLEM_STATUSES))
            .order_by(LeadOutcome.updated_at.desc(), LeadOutcome.id.desc())
            .limit(recent)
        )
        if campaign:
            pq = pq.where(LeadOutcome.campaign_id == campaign)
        problems = [
            (o.updated_at, o.campaign_id, o.email, o.status, o.reason) for o in s.scalars(pq)
        ]
        aq = (
            select(AuditLog)
            .where(
                AuditLog.account_id == acct.id,
                AuditLog.automation == "clay_intake",
                AuditLog.action == "accept_lead",
            )
            .order_by(AuditLog.id.desc())
            .limit(recent)
        )
        refused = [
            (
                a.created_at,
                (a.details or {}).get("campaign_id") or "-",
                a.subject or "-",
                (a.details or {}).get("status", a.outcome),
                a.reason,
            )
            for a in s.scalars(aq)
        ]
    statuses = ["pending", "added", "already_in_campaign", *PROBLEM_STATUSES]
    seen = {st for c in counts.values() for st in c}
    statuses += sorted(seen - set(statuses))
    table = Table("campaign", *statuses, "total", title=f"Lead outcomes of {acct.slug}")
    for camp in sorted(counts):
        row = counts[camp]
        table.add_row(camp, *(str(row.get(st, 0)) for st in statuses), str(sum(row.values())))
    if not counts:
        table.add_row("(none)", *("0" for _ in statuses), "0")
    console.print(table)
    _print_buffer_state(acct.id)
    rows = sorted(
        problems + [r for r in refused if r[3] == "rejected"], key=lambda r: str(r[0]), reverse=True
    )[:recent]
    if rows:
        rt = Table("when", "campaign", "lead", "status", "reason", title="Recent rejections")
        for when, camp, email, st, reason in rows:
            rt.add_row(str(when)[:19], str(camp), email, st, reason)
        console.print(rt)


def _print_buffer_state(account_id: int) -> None:
    try:
        from workers.intake import buffer
        from workers.intake.accept import redis_client

        state = buffer.account_state(redis_client(), account_id)
    except Exception as exc:  # status still useful without Redis
        console.print(f"[yellow]buffer state unavailable:[/yellow] {type(exc).__name__}")
        return
    buffered = ", ".join(f"{c}: {n}" for c, n in state["buffered"].items()) or "none"
    console.print(
        f"buffered: {buffered}; chunks in flight {state['inflight_chunks']}, "
        f"waiting halves {state['ready_chunks']}; re-sends after a worker fault "
        f"{state['resends']}"
    )


@dataclass
class RowResult:
    line: int
    email: str
    status: str
    reason: str


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(line number, lead) per data row; the header is line 1. Unknown columns -> custom."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise CliError(f"{path}: empty file or no header row")
        headers = list(reader.fieldnames)
        mapping = {h: column_field(h) for h in headers if h}
        if "email" not in mapping.values():
            raise CliError(f"{path}: no email column (headers: {', '.join(headers)})")
        rows: list[tuple[int, dict[str, Any]]] = []
        line = 1
        for raw in reader:
            line_start = line + 1
            line = reader.line_num
            lead: dict[str, Any] = {}
            custom: dict[str, str] = {}
            for h, value in raw.items():
                if h is None:
                    continue
                value = (value or "").strip()
                field = mapping.get(h)
                if field:
                    if value and field not in lead:
                        lead[field] = value
                elif value:
                    custom[h.strip()] = value
            if custom:
                lead["custom_fields"] = custom
            rows.append((line_start, lead))
    return rows, headers


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    account: str = typer.Option(..., "--account", "-a", help="Account slug."),
    campaign: str = typer.Option(..., "--campaign", "-c", help="Smartlead campaign id."),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Wait until the workers have uploaded every accepted row."
    ),
    timeout: float = typer.Option(900, help="Seconds to wait for the upload."),
) -> None:
    """Upload a CSV (header row; an email column) to a campaign through the intake pipeline.
    Re-importing the same file is harmless: each row's event id is the file hash + line."""
    from workers.intake.accept import submit_lead

    acct = _account(account)
    rows, _ = read_rows(file)
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:16]
    results: list[RowResult] = []
    with _progress() as progress:
        task = progress.add_task("accepting rows", total=len(rows))
        for line, lead in rows:
            res = submit_lead(
                acct.id, campaign, lead, source="csv", event_id=f"csv-{digest}-{line}"
            )
            # No address in the row: none shown (a reject names the event id as its subject).
            shown = (res.email or str(lead["email"])) if lead.get("email") else ""
            results.append(RowResult(line, shown, res.status, res.reason))
            progress.advance(task)
    buffered = [r for r in results if r.status == "buffered"]
    refused = [r for r in results if r.status != "buffered"]
    console.print(f"{len(rows)} rows: {len(buffered)} accepted, {len(refused)} not accepted")
    if refused:
        table = Table("line", "email", "status", "reason", title="Rows not accepted")
        for r in refused:
            table.add_row(str(r.line), r.email or "(none)", r.status, r.reason)
        console.print(table)
    if wait and buffered:
        _wait_uploaded(acct.id, campaign, {r.email for r in buffered}, timeout)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _wait_uploaded(account_id: int, campaign: str, emails: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    final: dict[str, int] = {}
    with _progress() as progress:
        task = progress.add_task("uploading to Smartlead", total=len(emails))
        while True:
            with session_scope() as s:
                final = dict(
                    s.execute(
                        select(LeadOutcome.status, func.count())
                        .where(
                            LeadOutcome.account_id == account_id,
                            LeadOutcome.campaign_id == campaign,
                            LeadOutcome.email.in_(emails),
                        )
                        .group_by(LeadOutcome.status)
                    )
                    .tuples()
                    .all()
                )
            done = sum(n for st, n in final.items() if st != "pending")
            progress.update(task, completed=done)
            if done >= len(emails):
                break
            if time.monotonic() > deadline:
                console.print(
                    "[yellow]still uploading[/yellow] (are workers running? "
                    "`leadops up`); see `leadops leads status`"
                )
                break
            time.sleep(0.5)
    console.print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(final.items())))
