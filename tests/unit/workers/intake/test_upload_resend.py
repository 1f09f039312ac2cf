# ruff: noqa: F811 - pytest fixtures imported from a sibling test module
"""True records after an attempt that may have been applied (issue 17): a ghost 504 then a
re-send answered "already in campaign" records the leads as added by us, counted once as a
re-send; a deferred or rate-limited attempt is no re-send."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.workers.intake.test_accept import _answer, _submit, account, sent  # noqa: F401
from workers.clients.errors import RateLimitDeferred, RateLimited, TransientError
from workers.intake import buffer
from workers.intake.upload import RESEND_REASON, upload_chunk


class Client:
    """add_leads raises the queued errors in turn, then answers ``answer``."""

    def __init__(self, errors: list[BaseException], answer: Any) -> None:
        self.errors, self.answer, self.calls = errors, answer, 0
        self.max_leads_per_request = 100

    def add_leads(self, campaign_id: int, leads: list[dict[str, Any]]) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.answer


def _outcomes(account_id: int) -> dict[str, tuple[str, str]]:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        rows = s.query(LeadOutcome).filter_by(account_id=account_id).all()
        return {r.email: (r.status, r.reason or "") for r in rows}


def _run(account_id: int, r: Any, client: Client) -> list[Any]:
    """Upload the account's one claimed chunk until it finishes, as task retries would."""
    chunk_id = f"{account_id}-1"
    results: list[Any] = []
    for _ in range(5):
        gen = int(r.hget(buffer.chunk_key(chunk_id), "gen") or 0)
        try:
            results.append(
                upload_chunk(account_id, chunk_id, gen, client_for=lambda a: client, redis=r)
            )
            return results
        except (TransientError, RateLimited, RateLimitDeferred) as exc:
            results.append(exc)
    return results


@pytest.mark.parametrize("ghost", [TransientError("504 Gateway Timeout", status_code=504)])
def test_a_resend_after_a_ghost_504_records_added_by_us_and_counts_one_resend(
    account: int, fake_redis: Any, sent: list[Any], ghost: Exception
) -> None:
    _submit(account, fake_redis, "a@x.com", "e1")
    _submit(account, fake_redis, "b@x.com", "e2")  # chunk of 2 claimed
    # the first attempt was applied then timed out; a limiter deferral comes before the re-send
    client = Client(
        [ghost, RateLimitDeferred(1.0)],
        _answer(upload_count=0, total_leads=2, already_added_to_campaign=2),
    )
    _run(account, fake_redis, client)
    assert client.calls == 3
    assert _outcomes(account) == {
        "a@x.com": ("added", RESEND_REASON),
        "b@x.com": ("added", RESEND_REASON),
    }
    assert int(fake_redis.get(buffer.resends_key(account)) or 0) == 1


def test_a_429_is_no_resend_and_already_in_campaign_then_is_what_smartlead_says(
    account: int, fake_redis: Any, sent: list[Any]
) -> None:
    _submit(account, fake_redis, "a@x.com", "e1")
    _submit(account, fake_redis, "b@x.com", "e2")
    client = Client(
        [RateLimited("429", retry_after=1.0)],
        _answer(upload_count=0, total_leads=2, already_added_to_campaign=2),
    )
    _run(account, fake_redis, client)
    assert {s for s, _ in _outcomes(account).values()} == {"already_in_campaign"}
    assert int(fake_redis.get(buffer.resends_key(account)) or 0) == 0
