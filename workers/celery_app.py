"""The Celery app every worker, Beat and the gateway share. Task modules are included by name."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task, signals
from kombu.entity import Queue as KombuQueue

from workers.db import dispose_engine
from workers.logging import configure_logging
from workers.queues import ALL_QUEUES, Queue, route_task
from workers.redaction import redact
from workers.settings import Settings, get_settings
from workers.task_names import GATEWAY_TASK_NAMES

# Task modules, by name: workers/ never imports tasks/ code directly.
TASK_MODULES = [
    "tasks.ping.tasks",
    "tasks.limiter_probe.tasks",
    "tasks.lead_intake.tasks",
    "tasks.form_nurture.tasks",
    "tasks.visit_followup.tasks",
    "tasks.crm_sync.tasks",
    "tasks.blocklist.tasks",
    "tasks.analytics_snapshot.tasks",
    "tasks.analytics_snapshot.report.tasks",
]


class CeleryConfig:
    """Lowercase Celery settings built from LeadOps settings (Superset's pattern)."""

    def __init__(self, settings: Settings) -> None:
        redis_url = settings.resolved_redis_url()
        self.broker_url = redis_url
        self.result_backend = redis_url
        self.task_serializer = "json"
        self.result_serializer = "json"
        self.accept_content = ["json"]
        self.result_accept_content = ["json"]
        self.result_expires = 24 * 3600
        self.timezone = "UTC"
        self.enable_utc = True
        self.task_queues = [KombuQueue(q) for q in ALL_QUEUES]  # type: ignore[no-untyped-call]
        self.task_default_queue = Queue.DEFAULT.value
        self.task_routes = (route_task,)
        self.worker_prefetch_multiplier = 1
        self.worker_pool = settings.worker_pool
        # Idempotent tasks: ack after the work, redeliver when the worker process dies.
        self.task_acks_late = True
        self.task_reject_on_worker_lost = True
        self.task_soft_time_limit = settings.task_soft_time_limit
        self.task_time_limit = settings.task_time_limit
        self.broker_transport_options = {"visibility_timeout": settings.visibility_timeout}
        self.result_backend_transport_options = {"visibility_timeout": settings.visibility_timeout}
        self.broker_connection_retry_on_startup = True
        # Events on, so Flower sees tasks (received/started/succeeded/failed/retried); a task
        # may opt out with send_events=False (the per-lead accept does). No ``task-sent``
        # event: one more Redis publish per message that only duplicated ``received``.
        self.worker_send_task_events = True
        self.task_send_sent_event = False
        # No STARTED state in the result backend: nothing polls for it (Flower reads events).
        self.task_track_started = False
        # The gateway hands no task id out, so nobody can read these tasks' results: skip the
        # result-backend write (and the key kept result_expires) per webhook.
        self.task_annotations = {name: {"ignore_result": True} for name in GATEWAY_TASK_NAMES}
        self.worker_hijack_root_logger = False
        self.beat_scheduler = "redbeat.RedBeatScheduler"
        self.redbeat_redis_url = redis_url
        self.redbeat_key_prefix = "leadops:redbeat"
        self.redbeat_lock_timeout = 5 * 60
        self.beat_max_loop_interval = 5


class LeadOpsTask(Task):  # type: ignore[misc]
    """Base task: exceptions leave the task with secrets redacted (result backend, Flower)."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            text = str(exc)
            clean = redact(text)
            if clean != text:
                raise type(exc)(clean) if _rebuildable(exc) else RuntimeError(clean) from None
            raise


def _rebuildable(exc: Exception) -> bool:
    try:
        type(exc)("x")
        return True
    except Exception:
        return False


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("leadops", task_cls=LeadOpsTask)
    try:
        app.config_from_object(CeleryConfig(settings))
    except RuntimeError:
        # No Redis configured yet (e.g. `leadops accounts list`): keep a broker-less config; any
        # attempt to send a task will fail loudly.
        app.conf.task_serializer = "json"
        app.conf.accept_content = ["json"]
        app.conf.task_routes = (route_task,)
    app.conf.include = list(TASK_MODULES)
    return app


app = create_app()


@signals.before_task_publish.connect
def _redact_published_args(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """argsrepr/kwargsrepr are what Flower and logs show: never let a secret through."""
    if not headers:
        return
    for field in ("argsrepr", "kwargsrepr"):
        value = headers.get(field)
        if isinstance(value, str):
            headers[field] = redact(value)


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:

    configure_logging()


@signals.worker_process_init.connect
def _fresh_engine_per_process(**_: Any) -> None:
    """Forked worker processes must not share the parent's database connections."""

    dispose_engine()
