"""What the reply guard tells the account's Slack channel: what was paused and why, in numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def pause_line(name: str, campaign_id: str, figures: dict[str, Any], verb: str) -> str:
    """One campaign: "<name> (#id) paused: 3 replies / 1,240 sent = 0.24% by send date ..."."""
    window = figures.get("window") or ["?", "?"]
    rate = figures.get("rate_percent")
    return (
        f"{name or 'campaign'} (#{campaign_id}) {verb}: "
        f"{figures.get('replied_by_send_date', 0):,} replies / {figures.get('sent', 0):,} sent "
        f"= {rate if rate is not None else '?'}% by send date, {window[0]}..{window[1]} "
        f"({figures.get('evidence_days', 0)} days of evidence), under the "
        f"{figures.get('threshold_percent', 0):g}% threshold"
    )


def pause_alert(
    account_name: str, lines: Sequence[str], *, dry_run: bool
) -> tuple[str, list[str], dict[str, Any]]:
    """Title, lines and context fields for ``SlackClient.post_alert``."""
    n = len(lines)
    if dry_run:
        title = f"Reply guard (dry run): would pause {n} campaign(s) for {account_name}"
    else:
        title = f"Reply guard paused {n} campaign(s) for {account_name}"
    context = {
        "What": "reply rate under the threshold",
        "Undo": "resume it in Smartlead; LeadOps then waits for fresh days before judging again",
    }
    return title, list(lines), context
