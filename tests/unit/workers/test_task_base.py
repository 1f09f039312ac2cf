"""ApiTask's arithmetic: capped full-jitter backoff, deferral never before capacity, and the
account a dead letter is filed under."""

from __future__ import annotations

import random

from workers.task_base import ApiTask, backoff_seconds, deferral_countdown


def test_backoff_doubles_with_full_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    for failures, full in ((0, 2.0), (1, 4.0), (3, 16.0), (20, 300.0)):
        for _ in range(200):
            d = backoff_seconds(failures, 2.0, 300.0, rng)
            assert full / 2 <= d <= full


def test_deferral_comes_back_after_capacity_with_little_jitter() -> None:
    rng = random.Random(2)
    for retry_after in (0.0, 0.3, 10.0):
        for _ in range(200):
            c = deferral_countdown(retry_after, rng)
            assert retry_after <= c <= retry_after * 1.05 + 0.05


def test_account_id_found_in_kwargs_or_positional_args() -> None:
    class Probe(ApiTask):
        name = "tasks.probe.run"

        def run(self, account_id: int, email: str) -> None:  # pragma: no cover - not called
            return None

    t = Probe()
    assert t.account_id_of((), {"account_id": 7, "email": "a@b.c"}) == 7
    assert t.account_id_of((9, "a@b.c"), {}) == 9
    assert t.account_id_of(("x",), {}) is None
