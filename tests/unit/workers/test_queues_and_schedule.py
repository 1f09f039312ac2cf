"""Every registered task has its name in workers/task_names.py and routes to a declared queue;
every Beat entry is registered, routable and runnable without arguments."""

from __future__ import annotations

import inspect

from workers.queues import ALL_QUEUES, Queue, queue_for


def _registered_tasks() -> dict:
    from workers.celery_app import app

    app.loader.import_default_modules()
    app.autodiscover_tasks(lambda: list(app.conf.include), force=True)
    for module in app.conf.include:
        __import__(module)
    return {name: t for name, t in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_routes_to_a_declared_queue() -> None:
    tasks = _registered_tasks()
    assert "tasks.ping.ping" in tasks
    for name in tasks:
        assert queue_for(name).value in ALL_QUEUES, name


def test_every_registered_task_name_is_declared_in_task_names_and_back() -> None:
    from workers.task_names import ALL_TASK_NAMES

    registered = set(_registered_tasks())
    assert registered - set(ALL_TASK_NAMES) == set(), "declare these in workers/task_names.py"
    assert set(ALL_TASK_NAMES) - registered == set(), "no task registers these names"
    assert len(ALL_TASK_NAMES) == len(set(ALL_TASK_NAMES))


def test_every_task_has_time_limits_soft_under_hard() -> None:
    from workers.celery_app import app

    for name, task in _registered_tasks().items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name


def test_routing_prefers_the_most_specific_prefix() -> None:
    assert queue_for("tasks.lead_intake.upload_chunk") is Queue.BULK
    assert queue_for("tasks.lead_intake.accept_lead") is Queue.REALTIME
    assert queue_for("tasks.unknown.thing") is Queue.DEFAULT


def test_celery_config_is_json_only_late_ack_and_prefetch_one() -> None:
    from workers.celery_app import app

    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_send_task_events and not conf.task_track_started
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] >= 3600
    assert {q.name for q in conf.task_queues} == set(ALL_QUEUES)


def test_beat_schedule_entries_are_registered_routable_and_argument_free() -> None:
    from beat_schedule import BEAT_SCHEDULE
    from workers.celery_app import app

    tasks = _registered_tasks()
    for name, entry in BEAT_SCHEDULE.items():
        task_name = entry["task"]
        assert task_name in tasks, f"{name}: {task_name} not registered"
        assert queue_for(task_name).value in ALL_QUEUES
        schedule = entry["schedule"]
        if not hasattr(schedule, "is_due"):
            from celery.schedules import schedule as interval

            schedule = interval(schedule)
        schedule.app = app
        due, next_in = schedule.is_due(schedule.now())
        assert next_in >= 0
        sig = inspect.signature(tasks[task_name].run)
        required = [
            p
            for p in sig.parameters.values()
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.name != "self"
        ]
        given = len(entry.get("args", ())) + len(entry.get("kwargs", {}))
        assert len(required) <= given, f"{name}: {task_name} needs {required}"
        assert "expires" in entry.get("options", {}), f"{name}: set options.expires"


def test_published_argsrepr_is_redacted() -> None:
    from workers.celery_app import _redact_published_args

    headers = {"argsrepr": "('https://x/?api_key=SUPERSECRET1',)", "kwargsrepr": "{}"}
    _redact_published_args(headers=headers)
    assert "SUPERSECRET1" not in headers["argsrepr"]


def test_tasks_the_gateway_enqueues_write_no_result_and_the_accept_sends_no_events() -> None:
    """Nobody can read a gateway-enqueued task's result (its id never leaves the gateway), so
    none is stored; the per-lead accept sends no monitoring events; ping still stores one."""
    from workers import task_names
    from workers.celery_app import app

    app.loader.import_default_modules()
    for name in task_names.GATEWAY_TASK_NAMES:
        assert app.tasks[name].ignore_result, name
    assert app.tasks[task_names.ACCEPT_LEAD].send_events is False
    assert app.tasks[task_names.UPLOAD_CHUNK].send_events is True
    assert app.tasks[task_names.PING].ignore_result is False
