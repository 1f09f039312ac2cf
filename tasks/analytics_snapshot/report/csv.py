"""The report's daily rows as CSV: one row per (local day, campaign) that the store holds.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula; campaign
names are client-controlled text, so such a cell is quoted with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from tasks.analytics_snapshot.report.data import CampaignMeta, Days

HEADER = (
    "date",
    "campaign_id",
    "campaign_name",
    "campaign_status",
    "sent",
    "opened",
    "replied_by_send_date",
    "replied_by_arrival_date",
    "positive_replied",
    "bounced",
    "unsubscribed",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def daily_rows(days: Days, campaigns: Mapping[str, CampaignMeta]) -> list[list[str | int]]:
    rows: list[list[str | int]] = []
    for campaign_id, by_day in days.items():
        meta = campaigns.get(campaign_id)
        for day, f in by_day.items():
            rows.append(
                [
                    day.isoformat(),
                    _cell(campaign_id),
                    _cell(meta.name if meta else ""),
                    meta.status if meta else "",
                    f.sent,
                    f.opened,
                    f.replied_by_sent,
                    f.replied,
                    f.positive_replied,
                    f.bounced,
                    f.unsubscribed,
                ]
            )
    rows.sort(key=lambda r: (str(r[0]), str(r[1])))
    return rows


def render_csv(days: Days, campaigns: Mapping[str, CampaignMeta]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(daily_rows(days, campaigns))
    return out.getvalue()
