"""The demo steps of automations 2 and 9 (ops/demo/guard.py) pass against the sandboxes: the
low campaign is paused, the small one left alone, the weekday test narrowed."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

pytestmark = pytest.mark.integration


def test_demo_steps_pause_one_campaign_and_narrow_another(redis_url: str, db_url: str) -> None:
    from ops.demo.context import DemoContext
    from ops.demo.guard import scenario_reply_guard, scenario_send_days
    from ops.sandbox import slack, smartlead
    from ops.sandbox.serve import serve
    from workers.settings import get_settings

    with ExitStack() as es:
        sandboxes = {
            "smartlead": es.enter_context(serve(smartlead.create_app())),
            "slack": es.enter_context(serve(slack.create_app())),
        }
        ctx = DemoContext(get_settings(), None, "", "", ("", ""), sandboxes)  # type: ignore[arg-type]
        scenario_reply_guard(ctx)
        scenario_send_days(ctx)
    assert [name for name, ok, _ in ctx.results if not ok] == []
    assert len(ctx.results) == 4
    assert "0.25% < 1.0%" in ctx.results[0][2]
