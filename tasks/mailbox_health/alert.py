"""The one Slack message of an account's morning (Block Kit), within Slack's limits.

It names the client account, lists the mailboxes that became weak (what is wrong, with the
figure) or got worse, those that recovered, and counts those still weak. However many mailboxes
changed, it stays ONE message: at most 50 blocks, every text at most 3,000 characters, header at
most 150; past that a group ends with "... and N more" and points at ``leadops mailboxes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.mailbox_health.rules import Morning, Verdict
from workers.clients.slack import MAX_BLOCKS, MAX_HEADER, MAX_SECTION_TEXT, clip, escape

MAX_LINE = 300  # one mailbox line; an address plus three reasons fits
LINES_PER_GROUP = 25  # a message a person reads; the CLI has the whole table
MAX_DIGEST_LINES = 10


@dataclass(frozen=True)
class AccountLabel:
    name: str
    slug: str


def _line(v: Verdict, what: str, notes: Mapping[str, str]) -> str:
    note = notes.get(v.reading.id)
    text = f"{what} → {note}" if note else what
    return clip(f"• *{escape(v.reading.email)}*: {escape(text)}", MAX_LINE)


def _weak_line(v: Verdict, notes: Mapping[str, str]) -> str:
    return _line(v, "; ".join(p.text for p in v.reasons) or "weak", notes)


def _worse_line(v: Verdict, notes: Mapping[str, str]) -> str:
    return _line(v, "now also " + "; ".join(p.text for p in v.new_reasons), notes)


def _recovered_line(v: Verdict, notes: Mapping[str, str]) -> str:
    since = v.previous_weak_since
    what = f"recovered (weak since {since.isoformat()})" if since else "recovered"
    return _line(v, what, notes)


def _still_line(v: Verdict) -> str:
    since = f" (since {v.weak_since.isoformat()})" if v.weak_since else ""
    return _line(v, ("; ".join(p.text for p in v.reasons) or "weak") + since, {})


def _sections(title: str, lines: list[str], total: int, more_hint: str) -> list[dict[str, Any]]:
    """The group's title and lines packed into as few sections as fit 3,000 characters."""
    shown = lines[:LINES_PER_GROUP]
    if total > len(shown):
        shown.append(f"_… and {total - len(shown)} more ({more_hint})_")
    out: list[dict[str, Any]] = []
    current = f"*{title}*"
    for line in shown:
        candidate = f"{current}\n{line}"
        if len(candidate) > MAX_SECTION_TEXT:
            out.append(_section(current))
            current = line
        else:
            current = candidate
    out.append(_section(current))
    return out


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def build_message(
    account: AccountLabel,
    day: dt.date,
    m: Morning,
    *,
    digest: bool = False,
    notes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``{"text", "blocks"}`` for one account's morning (call only when there is something to
    tell: ``Morning.should_alert``). ``notes``: per mailbox id, what the remedy did."""
    notes = notes or {}
    new, worse, recovered = m.of("new_weak"), m.of("worse"), m.of("recovered")
    still = m.of("still_weak")
    hint = f"`leadops mailboxes {escape(account.slug)}`"
    header = clip(f"Mailbox health: {account.name}", MAX_HEADER)
    counts = [f"{len(m.verdicts)} mailboxes checked", f"{len(m.weak)} weak"]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        _context(
            f"*{escape(account.name)}* ({escape(account.slug)}) · {day.isoformat()} · "
            + " · ".join(counts)
        ),
    ]
    groups: list[list[dict[str, Any]]] = []
    if new:
        groups.append(
            _sections(
                f":warning: Newly weak ({len(new)})",
                [_weak_line(v, notes) for v in new],
                len(new),
                hint,
            )
        )
    if worse:
        groups.append(
            _sections(
                f":small_red_triangle: Worse ({len(worse)})",
                [_worse_line(v, notes) for v in worse],
                len(worse),
                hint,
            )
        )
    if recovered:
        groups.append(
            _sections(
                f":white_check_mark: Recovered ({len(recovered)})",
                [_recovered_line(v, notes) for v in recovered],
                len(recovered),
                hint,
            )
        )
    if still:
        if digest and not m.has_change:
            lines = [_still_line(v) for v in still[:MAX_DIGEST_LINES]]
            groups.append(_sections(f"Still weak ({len(still)})", lines, len(still), hint))
        else:
            groups.append([_section(f"Still weak, unchanged: {len(still)}")])
    if not groups:
        groups.append([_section("No change since the last check: every mailbox is healthy.")])
    elif digest and not m.has_change:
        groups.insert(0, [_section("No change since the last check.")])
    for group in groups:
        room = MAX_BLOCKS - len(blocks)
        if len(group) > room:
            # Not reachable with the caps above (4 groups of at most 4 sections); kept so that
            # a change of caps can never produce a message Slack refuses.
            group = [*group[: max(0, room - 1)], _section(f"_… more in {hint}_")][:room]
        blocks.extend(group)
    return {"text": fallback_text(account, m, digest=digest), "blocks": blocks}


def fallback_text(account: AccountLabel, m: Morning, *, digest: bool = False) -> str:
    """The notification line (and what clients without blocks show)."""
    c = m.counts()
    parts = []
    if c["new_weak"]:
        names = ", ".join(v.reading.email for v in m.of("new_weak")[:5])
        more = f" +{c['new_weak'] - 5}" if c["new_weak"] > 5 else ""
        parts.append(f"{c['new_weak']} newly weak ({names}{more})")
    if c["worse"]:
        parts.append(f"{c['worse']} worse")
    if c["recovered"]:
        parts.append(f"{c['recovered']} recovered")
    if c["still_weak"] or not parts:
        parts.append(f"{c['still_weak']} still weak")
    if digest and not m.has_change:
        parts.insert(0, "no change")
    return clip(escape(f"Mailbox health, {account.name}: " + ", ".join(parts)), MAX_SECTION_TEXT)


__all__ = ["AccountLabel", "build_message", "fallback_text"]
