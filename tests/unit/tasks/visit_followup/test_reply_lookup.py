"""The reply look-up of the visit follow-up: a failing statistics call is retried when the
failure is transient, then the lead's own status and category decide, and the audit says so."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tasks.visit_followup import rules
from tasks.visit_followup import smartlead as visit_smartlead
from tasks.visit_followup.smartlead import SmartleadVisitApi
from tests.unit.tasks.visit_followup.test_flow_and_rules import env  # noqa: F401,F811 (fixture)
from workers.clients.errors import PermanentError, TransientError


class _Lead:
    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries

    def model_dump(self) -> dict[str, Any]:
        return {"email": "ann@acme.io", "lead_campaign_data": [dict(e) for e in self.entries]}


class _Client:
    def __init__(self, failures: list[Exception], rows: list[Any] | None = None) -> None:
        self.failures, self.rows, self.calls = list(failures), rows or [], 0

    def get_lead_by_email(self, email: str) -> _Lead:
        return _Lead([{"campaign_id": 7, "lead_status": "INPROGRESS"}])

    def get_campaign_statistics(self, campaign_id: int, **_: Any) -> Any:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return SimpleNamespace(data=self.rows)


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(visit_smartlead.time, "sleep", lambda s: None)


def test_transient_statistics_errors_are_retried_and_the_reply_is_still_found() -> None:
    row = SimpleNamespace(lead_email="ann@acme.io", reply_time="2026-11-20T10:00:00Z")
    client = _Client([TransientError("503", status_code=503)] * 2, rows=[row])
    data = SmartleadVisitApi(1, client).lookup("ann@acme.io")
    assert client.calls == 3
    assert data["lead_campaign_data"][0]["reply_time"] == "2026-11-20T10:00:00Z"
    assert data[rules.REPLY_CHECKS] == {"7": rules.CHECK_STATISTICS}
    assert rules.smartlead_standing(data).replied_basis is not None


@pytest.mark.parametrize(
    ("failures", "calls"),
    [
        ([TransientError("Service Unavailable", status_code=503)] * 5, 3),
        ([PermanentError("Forbidden", status_code=403)], 1),
    ],
)
def test_failed_statistics_fall_back_to_status_and_category_and_say_so(
    failures: list[Exception], calls: int
) -> None:
    client = _Client(failures)
    data = SmartleadVisitApi(1, client).lookup("ann@acme.io")
    assert client.calls == calls  # a 4xx is not retried
    how = data[rules.REPLY_CHECKS]["7"]
    assert how.startswith(rules.CHECK_FALLBACK) and str(failures[0].status_code) in how
    # The decision goes on (no lookup_failed) on the lead's status and category ...
    decision = rules.decide_after_lookup(
        "ann@acme.io",
        rules.OwnStanding(),
        rules.smartlead_standing(data),
        trigger="pricing",
        visit_day="2026-11-23",
    )
    assert decision.reason == rules.ADDED
    # ... and its basis says which check decided.
    assert "status and category only in campaign(s) 7" in rules.fallback_note(
        data[rules.REPLY_CHECKS]
    )


def test_the_audit_says_the_reply_check_fell_back_to_status_and_category(env) -> None:  # noqa: F811
    from tests.unit.tasks.visit_followup.test_flow_and_rules import (
        INPROGRESS,
        audit_rows,
        make_account,
    )

    acc = make_account()
    checks = {"100": f"{rules.CHECK_FALLBACK}: 503 Service Unavailable"}
    env["sl"].seed("ann@acme.io", INPROGRESS, **{rules.REPLY_CHECKS: checks})

    [result] = env["run"](acc)

    assert result["reason"] == "added"  # not lookup_failed
    [row] = audit_rows(acc)
    assert row.details[rules.REPLY_CHECKS] == checks
    assert "status and category only in campaign(s) 100" in row.details["basis"]
