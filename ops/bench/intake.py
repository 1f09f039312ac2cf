"""Lead intake benchmark: N single-lead Clay webhooks per account, posted to the real gateway as
fast as it takes them, uploaded by real workers to the Smartlead sandbox at the strict default
limit (10 per 2 s and 60 per 60 s per key).

    python -m ops.bench.intake                       # the three runs of issue 6
    python -m ops.bench.intake --runs one --leads 2000

Prints, per run: add-leads calls (target <= 101 per 10,000 leads), 429s (target 0), leads stored
(none twice), re-sends, and the time from the first webhook to the last lead stored beside the
floor the rate limit allows for the calls made. Uses a private Redis db (flushed) and a SQLite
file under a temp dir; the sandbox, gateway, workers and Beat run as separate processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import typer

from ops.bench import intake_stack as stack

STRICT = [[10, 2.0], [60, 60.0]]
SECRET = "bench-clay-secret"


@dataclass(frozen=True)
class Run:
    name: str
    accounts: int
    error_rate: float = 0.0
    # Leads per account are --leads // divisor (16 x 2,500 carries the 40,000 of 4 x 10,000).
    divisor: int = 1


RUNS = {
    "one": Run("1 account", 1),
    "four": Run("4 accounts at once", 4),
    "faults": Run("1 account, 20% injected 5xx", 1, 0.2),
    "sixteen": Run("16 accounts at once", 16, divisor=4),
}


def floor_seconds(calls: int, windows: Sequence[Sequence[float]]) -> float:
    """Earliest time the last of ``calls`` requests can be made, starting at 0 with empty
    windows, when every request goes out as soon as every window allows it."""
    times: list[float] = []
    for i in range(calls):
        t = 0.0
        for limit, seconds in windows:
            if i >= int(limit):
                t = max(t, times[i - int(limit)] + float(seconds))
        times.append(t)
    return times[-1] if times else 0.0


def _setup_accounts(sandbox: str, n: int, error_rate: float) -> list[dict[str, Any]]:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    out = []
    with session_scope() as s:
        for i in range(n):
            key = f"bench-intake-key-{i}"
            stack.admin(
                sandbox, "keys", {"api_key": key, "limits": STRICT, "max_leads_per_request": 100}
            )
            camp = str(stack.admin(sandbox, "campaigns", {"api_key": key, "name": "b"})["id"])
            if error_rate:
                stack.admin(
                    sandbox, "faults", {"api_key": key, "error_rate": error_rate, "seed": 7 + i}
                )
            acct = Account(
                slug=f"bench{i}",
                name=f"Bench {i}",
                smartlead_api_key=key,
                smartlead_base_url=f"{sandbox}/api/v1",
                rate_limit_plan="default",
                webhook_secrets={"clay": SECRET},
            )
            s.add(acct)
            s.flush()
            set_automation(s, acct, "clay_intake", params={"default_campaign_id": camp})
            out.append({"slug": acct.slug, "key": key, "campaign": camp, "id": acct.id})
    return out


def _webhooks(accounts: list[dict[str, Any]], per_account: int) -> Iterator[tuple[str, bytes]]:
    """The accounts' rows interleaved, as Clay would send them with several tables running."""
    for i in range(per_account):
        for a in accounts:
            yield (
                f"/v1/{a['slug']}/clay",
                (
                    f'{{"email":"lead{i}@{a["slug"]}.example.com","first_name":"L{i}",'
                    f'"company_name":"Co {i % 97}","row_id":"r{i}"}}'
                ).encode(),
            )


def _stored(sandbox: str, campaign: str) -> tuple[int, float | None]:
    leads = httpx.get(f"{sandbox}/admin/campaigns/{campaign}/leads", timeout=60).json()["leads"]
    last = max(
        (
            datetime.fromisoformat(x["created_at"].replace("Z", "+00:00")).timestamp()
            for x in leads
            if x.get("created_at")
        ),
        default=None,
    )
    return len(leads), last


def _wait_stored(account_ids: list[int], target: int, timeout: float) -> None:
    """Poll the outcome table (cheap), not the sandbox: each row is written right after
    Smartlead's answer; the exact store times are read from the sandbox at the end."""
    deadline = time.monotonic() + timeout
    last_progress, last_total = time.monotonic(), -1
    while time.monotonic() < deadline:
        total = sum(_db_figures(account_ids).values())
        print(f"\r  recorded {total:>6}/{target * len(account_ids)}", end="", flush=True)
        if total >= target * len(account_ids):
            break
        if total != last_total:
            last_progress, last_total = time.monotonic(), total
        elif time.monotonic() - last_progress > 180:
            print("\n  no progress for 180 s: giving up", end="")
            break
        time.sleep(0.5)
    print()


def _db_figures(account_ids: list[int]) -> dict[str, int]:
    from sqlalchemy import func, select

    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        return dict(
            s.execute(
                select(LeadOutcome.status, func.count())
                .where(LeadOutcome.account_id.in_(account_ids))
                .group_by(LeadOutcome.status)
            ).all()
        )


def run_one(
    run: Run,
    per_account: int,
    *,
    redis_url: str,
    workers: int,
    concurrency: int,
    connections: int,
    timeout: float,
) -> dict[str, Any]:
    from ops.bench.stack_meter import Meter, delta
    from ops.sandbox.smartlead_state import key_hash

    per_account //= run.divisor
    tmp = stack.setup_env(redis_url)
    log_dir = tmp / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"\n== {run.name}: {per_account} webhooks per account (logs {log_dir})")
    with stack.sandbox_process(log_dir) as sandbox:
        accounts = _setup_accounts(sandbox, run.accounts, run.error_rate)
        with stack.roles(workers, concurrency, log_dir) as port:
            meter = Meter({**stack.ROLE_PIDS, "redis": [_redis_pid(redis_url)]})
            time.sleep(3)
            idle = meter.pss_mb()
            cpu0 = meter.cpu()
            t0 = time.time()
            with meter.sampling():
                answers = asyncio.run(
                    stack.post_all(
                        port,
                        _webhooks(accounts, per_account),
                        {"Authorization": f"Bearer {SECRET}"},
                        connections,
                    )
                )
                t_posted = time.time()
                _wait_stored([a["id"] for a in accounts], per_account, timeout)
            cpu = delta(meter.cpu(), cpu0)
            processes = meter.processes()
            keys = stack.stats(sandbox)
            per = []
            for a in accounts:
                n, last = _stored(sandbox, a["campaign"])
                k = keys.get(key_hash(a["key"]), {})
                per.append(
                    {
                        "stored": n,
                        "last": last,
                        "calls": k.get("requests", 0),
                        "by_status": k.get("requests_by_status", {}),
                        "429": k.get("rate_limited", 0),
                        "twice": k.get("leads_uploaded_more_than_once", 0),
                    }
                )
            outcomes = _db_figures([a["id"] for a in accounts])
            ingest = _ingest_rate([a["id"] for a in accounts], t0)
            resends = _resends(redis_url)
    last = max((p["last"] or 0) for p in per)
    calls = max(p["calls"] for p in per)
    return {
        "run": run.name,
        "accounts": run.accounts,
        "per_account": per_account,
        "webhook_answers": answers,
        "post_seconds": t_posted - t0,
        "per_account_figures": per,
        "outcomes": outcomes,
        "resends": resends,
        "ingest": ingest,
        "elapsed": last - t0 if last else float("nan"),
        "floor": floor_seconds(calls, STRICT),
        "max_calls": calls,
        "cpu": cpu,
        "pss_idle": idle,
        "pss_peak": meter.peak,
        "processes": processes,
    }


def _redis_pid(url: str) -> int:
    import redis

    return int(redis.Redis.from_url(url).info("server")["process_id"])


def _ingest_rate(account_ids: list[int], t0: float) -> float:
    """Leads/s the workers accepted while the first rate-limit window was open: chunks go out
    as soon as they fill, so the k-th upload marks 100 k accepted leads (across accounts)."""
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        times = sorted(
            t.timestamp() if t.tzinfo else t.replace(tzinfo=UTC).timestamp()
            for t in s.scalars(
                select(AuditLog.created_at).where(
                    AuditLog.action == "upload_chunk",
                    AuditLog.outcome == "done",
                    AuditLog.account_id.in_(account_ids),
                )
            )
        )
    early = [t for t in times if t - t0 < 55]
    return 100 * len(early) / (early[-1] - t0) if early else float("nan")


def _resends(redis_url: str) -> int:
    import redis

    from workers.intake.buffer import RESENDS_KEY

    return int(redis.Redis.from_url(redis_url).get(RESENDS_KEY) or 0)


def report(r: dict[str, Any]) -> None:
    print(f"-- {r['run']}: {r['accounts']} x {r['per_account']} webhooks")
    print(
        f"   webhooks posted in {r['post_seconds']:.1f} s, gateway answers "
        f"{dict(sorted(r['webhook_answers'].items()))}"
    )
    for i, p in enumerate(r["per_account_figures"]):
        ok = p["by_status"].get("200", 0)
        print(
            f"   account {i}: add-leads calls {p['calls']} ({ok} answered 200; by status "
            f"{p['by_status']}), 429s {p['429']}, leads stored {p['stored']}, "
            f"uploaded more than once {p['twice']}"
        )
    print(
        f"   lead outcomes {dict(sorted(r['outcomes'].items()))}; chunk re-sends after a "
        f"worker fault {r['resends']}"
    )
    print(
        f"   intake throughput while the first 60 s window was open: about "
        f"{r['ingest']:.0f} leads/s (accept tasks on the workers)"
    )
    ratio = r["elapsed"] / r["floor"] if r["floor"] else float("nan")
    print(
        f"   first webhook -> last lead stored {r['elapsed']:.1f} s; rate-limit floor for "
        f"{r['max_calls']} calls {r['floor']:.1f} s ({ratio:.2f} x floor; keys run in "
        "parallel, so this is the per-key floor)"
    )
    from ops.bench.stack_meter import fmt

    leads = r["accounts"] * r["per_account"]
    per_k = {k: 1000 * v / leads for k, v in r["cpu"].items()}
    print(f"   CPU seconds per 1,000 leads, whole stack: {fmt(per_k, 's')}")
    print(
        f"   memory PSS idle {fmt(r['pss_idle'], 'MB')}; peak {fmt(r['pss_peak'], 'MB')}; "
        f"{r['processes']} processes"
    )


def main(
    runs: str = typer.Option("one,four,faults", help="Comma-separated: one, four, faults."),
    leads: int = typer.Option(10_000, help="Webhooks per account."),
    redis_url: str = typer.Option(
        "",
        envvar="LEADOPS_BENCH_REDIS_URL",
        help="A Redis db the benchmark may flush (default: a private "
        "redis-server, append-only, under a temp dir).",
    ),
    workers: int = typer.Option(2),
    concurrency: int = typer.Option(3),
    connections: int = typer.Option(32, help="Concurrent webhook connections."),
    timeout: float = typer.Option(900, help="Seconds to wait for the leads per run."),
) -> None:
    with stack.private_redis(redis_url) as url:
        results = [
            run_one(
                RUNS[name.strip()],
                leads,
                redis_url=url,
                workers=workers,
                concurrency=concurrency,
                connections=connections,
                timeout=timeout,
            )
            for name in runs.split(",")
            if name.strip()
        ]
    import os

    print("\n== lead intake benchmark (strict limit 10/2 s + 60/60 s per key)")
    print(f"   load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for r in results:
        report(r)


if __name__ == "__main__":
    typer.run(main)
