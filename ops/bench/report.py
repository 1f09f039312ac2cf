"""Benchmark: rendering and storing client reports from the figure store.

    python -m ops.bench.report [--accounts 10] [--campaigns 10] [--days 60]

Seeds a private SQLite database (in a temp dir) with ``--accounts`` accounts of ``--campaigns``
campaigns and ``--days`` stored days each, then runs what the snapshot runs after a collection
(render + store last-30-days, this month, last month) for every account; prints the time per
account (median, worst) and the page and CSV sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def _seed(accounts: int, campaigns: int, days: int) -> list[int]:
    from tasks.analytics_snapshot.report.periods import local_today
    from workers.campaign_stats import DayFigures, upsert_days, upsert_totals
    from workers.db import session_scope
    from workers.models import Account

    rng = random.Random(1)
    ids = []
    with session_scope() as s:
        for a in range(accounts):
            account = Account(slug=f"bench-{a}", name=f"Bench client {a}", timezone="Europe/Paris")
            s.add(account)
            s.flush()
            end = local_today(account.timezone) - dt.timedelta(days=1)
            for c in range(campaigns):
                rows = []
                for back in range(days):
                    sent = rng.randint(0, 300)
                    replies = rng.randint(0, sent // 20 + 1)
                    rows.append(
                        DayFigures(
                            day=end - dt.timedelta(days=back),
                            sent=sent,
                            replied=replies,
                            replied_by_sent=replies,
                            positive_replied=replies // 3,
                            bounced=rng.randint(0, sent // 40 + 1),
                            unsubscribed=rng.randint(0, 2),
                        )
                    )
                upsert_days(s, account.id, str(1000 + c), rows)
                upsert_totals(s, account.id, str(1000 + c), name=f"Campaign {c}", status="ACTIVE")
            ids.append(account.id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="leadops-bench-report-"))
    os.environ["LEADOPS_VAR_DIR"] = str(tmp)
    os.environ["LEADOPS_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("LEADOPS_SECRET_KEY", "bench-only-secret")
    from ops import migrate
    from workers.logging import configure_logging
    from workers.settings import get_settings, reset_settings_cache

    reset_settings_cache()
    configure_logging(level="WARNING")
    migrate.upgrade(get_settings().resolved_database_url())
    try:
        _run(args)
    finally:
        from workers.db import dispose_engine

        dispose_engine()
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace) -> None:
    ids = _seed(args.accounts, args.campaigns, args.days)

    from tasks.analytics_snapshot.report.publish import render_and_store
    from workers.db import session_scope
    from workers.report_store import ClientReport

    timings = []
    for account_id in ids:
        start = time.perf_counter()
        render_and_store(account_id)
        timings.append((time.perf_counter() - start) * 1000)
    with session_scope() as s:
        rows = s.query(ClientReport).filter(ClientReport.period_key == "last-30-days").all()
        html = [len(r.html.encode()) for r in rows]
        csv = [len(r.csv.encode()) for r in rows]
    print(
        f"{args.accounts} accounts x {args.campaigns} campaigns x {args.days} stored days; "
        f"3 periods rendered + stored per account"
    )
    print(
        f"render_and_store per account: median {statistics.median(timings):.0f} ms, "
        f"worst {max(timings):.0f} ms (first includes template compilation)"
    )
    print(
        f"last-30-days page: {statistics.median(html) / 1024:.1f} KiB HTML "
        f"(self-contained), {statistics.median(csv) / 1024:.1f} KiB CSV"
    )


if __name__ == "__main__":
    main()
