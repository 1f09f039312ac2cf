"""The `make demo` step of automation 7 (ops/demo_mailboxes.py) passes its own checks against
the sandboxes over loopback and prints the Slack message it sent."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.integration


@dataclass
class _Ctx:
    sandboxes: dict[str, str]
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.results.append((name, ok, detail))


def test_demo_step_runs_three_mornings_and_prints_the_message(
    redis_url: str, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.demo.mailboxes import scenario_mailbox_health
    from ops.sandbox import slack, smartlead
    from ops.sandbox.serve import serve

    with serve(smartlead.create_app()) as sl, serve(slack.create_app()) as sk:
        ctx = _Ctx({"smartlead": sl, "slack": sk})
        scenario_mailbox_health(ctx)  # type: ignore[arg-type]
    assert [name for name, ok, _ in ctx.results if not ok] == []
    assert len(ctx.results) == 3
    out = capsys.readouterr().out
    assert "Slack message sent" in out and "sdr007@northwind-mail.example" in out
