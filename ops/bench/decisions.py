"""How often the reply guard and send-days rules act on noise, and how often they catch a real
difference (seeded simulation of Binomial replies; prints figures, asserts nothing).

    python -m ops.bench.decisions [--campaigns 2000] [--seed 13]

Send days: five scheduled weekdays, 28-day lookback (4 days per weekday). "Null" means every
weekday has the same true reply rate, so any change is a flap. Compared with the article's rule
(keep the top 3 weekdays by mean daily rate, whatever the sample size).
Reply guard: 3 days, threshold 1%. Compared with the article's rule (mean of the daily rates).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Callable

from tasks.reply_guard.rules import GuardRule
from tasks.reply_guard.rules import decide as guard_decide
from tasks.send_days.rules import WeekdayRow
from tasks.send_days.rules import decide as days_decide
from workers.campaign_stats import DayFigures

WEEKDAYS = (1, 2, 3, 4, 5)
TODAY = dt.date(2026, 3, 12)


def binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _weekdays(
    rng: random.Random, sends: int, rates: dict[int, float]
) -> tuple[list[WeekdayRow], list[float]]:
    rows, means = [], []
    for w in range(7):
        if w not in WEEKDAYS:
            rows.append(WeekdayRow(w, 0, 0, 0, False, False))
            means.append(-1.0)
            continue
        daily = [binomial(rng, sends, rates[w]) for _ in range(4)]
        rows.append(WeekdayRow(w, 4, 4 * sends, sum(daily), True, 4 * sends >= 100))
        means.append(sum(d / sends for d in daily) / 4)
    return rows, means


def send_days(
    rng: random.Random, campaigns: int, sends: int, rates: dict[int, float], want: set[int] | None
) -> str:
    ours = article = right = 0
    for _ in range(campaigns):
        rows, means = _weekdays(rng, sends, rates)
        decision = days_decide(rows, WEEKDAYS, 3, 0.95)
        ours += decision.action == "change"
        right += want is not None and set(decision.days_after) == want
        top3 = sorted(WEEKDAYS, key=lambda w: -means[w])[:3]
        article += set(top3) != set(WEEKDAYS)
    out = f"ours changed {100 * ours / campaigns:5.1f}%"
    if want is not None:
        out += f" (exactly the bad days dropped {100 * right / campaigns:5.1f}%)"
    return out + f"; article's top-3 rule changed {100 * article / campaigns:5.1f}%"


def guard(rng: random.Random, campaigns: int, volumes: Callable[[], int], rate: float) -> str:
    rule, careful = GuardRule(1.0, 3, 50), GuardRule(1.0, 3, 50, confidence=0.8)
    ours = sure = article = 0
    for _ in range(campaigns):
        figures, daily_rates = {}, []
        for i in range(1, 4):
            day = TODAY - dt.timedelta(days=i)
            sent = volumes()
            replied = binomial(rng, sent, rate)
            figures[day] = DayFigures(day, sent=sent, replied_by_sent=replied)
            daily_rates.append(100 * replied / sent if sent else 0.0)
        ours += guard_decide(TODAY, figures, rule).action == "pause"
        sure += guard_decide(TODAY, figures, careful).action == "pause"
        article += sum(daily_rates) / 3 < 1.0
    return (
        f"ours paused {100 * ours / campaigns:5.1f}% "
        f"(with confidence 0.8: {100 * sure / campaigns:5.1f}%); "
        f"article's mean-of-rates paused {100 * article / campaigns:5.1f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng, n = random.Random(args.seed), args.campaigns
    print(
        f"send days, {n} simulated campaigns each, 5 weekdays x 4 days, keep_days 3, "
        "confidence 0.95"
    )
    for sends in (25, 50, 100):
        equal = {w: 0.02 for w in WEEKDAYS}
        print(f"  null, 2% every weekday, {sends}/day: {send_days(rng, n, sends, equal, None)}")
    for sends in (50, 100):
        skew = {1: 0.03, 2: 0.03, 3: 0.03, 4: 0.005, 5: 0.005}
        print(f"  Thu+Fri 0.5% vs 3%, {sends}/day: {send_days(rng, n, sends, skew, {1, 2, 3})}")
    print(f"reply guard, {n} simulated campaigns each, 3 days, threshold 1%, min 50 sends/day")
    steady = lambda: 200  # noqa: E731
    uneven = lambda: rng.choice([2, 5, 200])  # noqa: E731
    for label, volumes in (("200/day", steady), ("2, 5 or 200/day", uneven)):
        for rate in (0.005, 0.01, 0.015, 0.02):
            print(f"  true {100 * rate:.1f}%, {label}: {guard(rng, n, volumes, rate)}")


if __name__ == "__main__":
    main()
