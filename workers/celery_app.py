"""The Celery app every worker, Beat and the gateway share. Task modules are included by name."""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery, Task, signals
from celery.exceptions import Reject
from kombu.entity import Queue as KombuQueue

from workers.beat import SCHEDULER
from workers.broker import TRANSPORT
from workers.db import dispose_engine
from workers.logging import configure_logging, get_logger
from workers.queues import ALL_QUEUES, Queue, route_task
from workers.reaper import ReaperStep
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
    "tasks.reply_guard.tasks",
    "tasks.send_days.tasks",
    "workers.scheduling.tasks",
    "tasks.schedule_probe.tasks",
    "tasks.onboarding.tasks",
    "tasks.mailbox_health.tasks",
]


log = get_logger("leadops.celery")
REDIS_AWAY = (redis.ConnectionError, redis.TimeoutError)


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
        # kombu's Redis transport with the fix for the restore crash (workers/broker.py).
        self.broker_transport = TRANSPORT
        self.broker_transport_options = {
            "visibility_timeout": settings.visibility_timeout,
            # Fail fast on a dead socket instead of hanging the event loop.
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            "health_check_interval": 10,
        }
        self.result_backend_transport_options = {"visibility_timeout": settings.visibility_timeout}
        # Every role reconnects for ever (with Celery's backoff) instead of exiting.
        self.broker_connection_retry_on_startup = True
        self.broker_connection_retry = True
        self.broker_connection_max_retries = None
        self.redis_socket_timeout = 10
        self.redis_socket_connect_timeout = 5
        self.redis_retry_on_timeout = True
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
        self.beat_scheduler = SCHEDULER
        self.redbeat_redis_url = redis_url
        self.redbeat_key_prefix = settings.redbeat_key_prefix
        self.beat_max_loop_interval = 5
        # Seconds, not minutes: a standby Beat takes over this soon after the active one died
        # (the lock is extended every tick, at most every beat_max_loop_interval).
        self.redbeat_lock_timeout = 3 * self.beat_max_loop_interval
        self.redbeat_redis_options = {"socket_timeout": 5, "socket_connect_timeout": 5}


class LeadOpsTask(Task):  # type: ignore[misc]
    """Base task: exceptions leave the task with secrets redacted (result backend, Flower)."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except REDIS_AWAY as exc:
            if self.request.called_directly:
                raise
            # Redis went away mid-task (buffers, leases, locks live there): hand the message
            # back instead of failing it, or its work (a claimed chunk holding an in-flight
            # slot) would wait for a lease to lapse. The requeue needs Redis too; when it is
            # still away the message stays unacked and the reaper restores it.
            log.warning("task_requeued_redis_away", task=self.name, error=type(exc).__name__)
            raise Reject(f"redis unavailable: {type(exc).__name__}", requeue=True) from None
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
    app.steps["consumer"].add(ReaperStep)
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


@signals.before_task_publish.connect
def _clamp_eta(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """No message waits in Redis longer than max_countdown_seconds (< visibility timeout): a
    later ETA is brought forward (the task, idempotent, finds it too early and reschedules, or
    just does the work early), so Redis never redelivers a waiting message as if it were lost."""
    if not headers or not headers.get("eta"):
        return
    from datetime import UTC, datetime, timedelta

    limit = get_settings().max_countdown_seconds
    try:
        eta = datetime.fromisoformat(str(headers["eta"]))
    except ValueError:
        return
    now = datetime.now(eta.tzinfo or UTC)
    if eta - now > timedelta(seconds=limit):
        headers["eta"] = (now + timedelta(seconds=limit)).isoformat()


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:

    configure_logging()


@signals.worker_process_init.connect
def _fresh_engine_per_process(**_: Any) -> None:
    """Forked worker processes must not share the parent's database connections."""

    dispose_engine()
