"""Flower's memory is bounded: the role passes a task cap that Flower's own state honours."""

from __future__ import annotations

import pytest


def test_flower_keeps_only_the_newest_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    import flower.options  # noqa: F401  (defines Flower's options on tornado's parser)
    from celery.events.state import State
    from tornado.options import OptionParser

    from ops.cli.roles import flower_argv
    from workers.settings import reset_settings_cache

    monkeypatch.setenv("LEADOPS_FLOWER_MAX_TASKS", "50")
    reset_settings_cache()
    argv = flower_argv(5999)
    parser = OptionParser()
    from tornado.options import options as flower_defined

    for name, opt in flower_defined._options.items():
        if name != "help":
            parser.define(name.replace("-", "_"), default=opt.default, type=opt.type)
    parser.parse_command_line(argv, final=False)
    assert parser.max_tasks == 50 and parser.port == 5999

    # What Flower builds from that option (flower/events.py EventsState): old tasks drop out.
    state = State(max_tasks_in_memory=parser.max_tasks)
    for i in range(200):
        state.event(
            {
                "type": "task-received",
                "uuid": f"t{i}",
                "hostname": "w",
                "timestamp": i,
                "local_received": i,
                "clock": i,
                "name": "x",
            }
        )
    assert len(state.tasks) <= 50 and "t199" in state.tasks and "t0" not in state.tasks
