"""In-memory state of the Smartlead sandbox: keys, campaigns, leads, mailboxes, webhooks.

Everything lives in one ``SandboxState`` guarded by one re-entrant lock (endpoints are async
and mutate state without awaiting in between; the lock also covers callers on other threads).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ops.sandbox.smartlead_limits import SlidingLog, Window, max_in_any_window, parse_windows

DEFAULT_MAX_LEADS_PER_REQUEST = 100
DEFAULT_WEBHOOK_SECRET = "secretkey"  # what the dashboard's test delivery sends
CATEGORIES: dict[int, str] = {
    1: "Interested",
    2: "Meeting Request",
    3: "Not Interested",
    4: "Do Not Contact",
    5: "Information Request",
    6: "Out Of Office",
    7: "Wrong Person",
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "phone_number",
    "company_name",
    "website",
    "location",
    "linkedin_profile",
    "company_url",
    "custom_fields",
)


class ApiFailure(Exception):  # noqa: N818 - an answer, not a bug
    """An error answer of the fake API: JSON body (or text) and status."""

    def __init__(
        self, status: int, body: dict[str, Any] | None = None, text: str | None = None
    ) -> None:
        super().__init__(status, body, text)
        self.status, self.body, self.text = status, body, text


def joi(message: str, status: int = 400) -> ApiFailure:
    return ApiFailure(status, {"error": message})


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


# GET shows tracking under these names; POST accepts only the values (smartlead-api.md).
TRACKING_WRITE_TO_READ = {
    "DONT_TRACK_EMAIL_OPEN": "DONT_EMAIL_OPEN",
    "DONT_TRACK_LINK_CLICK": "DONT_LINK_CLICK",
    "DONT_TRACK_REPLY_TO_AN_EMAIL": "DONT_REPLY_TO_AN_EMAIL",
}


@dataclass
class PathFault:
    """A fault on one route: ``apply`` = do the write, then answer ``status`` (a ghost write:
    504 after the create) or, with status 200, answer truthfully only after ``delay_ms``;
    otherwise refuse with ``status`` without applying. ``times`` 0 = every matching request."""

    method: str
    path: str  # glob relative to /api/v1, e.g. "/campaigns/create", "/campaigns/*/sequences"
    status: int = 504
    delay_ms: float = 0.0
    times: int = 1
    apply: bool = True
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.method.upper() == method.upper() and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Faults:
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    latency_ms: float = 0.0
    storm_until: float = 0.0  # clock value until which every request gets 429
    unauthorized: bool = False
    rng: random.Random = field(default_factory=random.Random)
    path_faults: list[PathFault] = field(default_factory=list)

    def take_path_fault(self, method: str, path: str, *, applied: bool) -> PathFault | None:
        """The first live path fault for this request (counted as used), or None."""
        for fault in self.path_faults:
            if fault.apply == applied and fault.matches(method, path):
                if fault.times and fault.hits >= fault.times:
                    continue
                fault.hits += 1
                return fault
        return None


@dataclass
class KeyState:
    api_key: str
    limiter: SlidingLog
    max_leads_per_request: int = DEFAULT_MAX_LEADS_PER_REQUEST
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    faults: Faults = field(default_factory=Faults)
    statuses: Counter[int] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)  # answered requests by HTTP method
    rate_limited: int = 0
    block_list: list[str] = field(default_factory=list)
    unsubscribed: set[str] = field(default_factory=set)
    clients: list[dict[str, Any]] = field(default_factory=list)
    mailboxes: dict[int, dict[str, Any]] = field(default_factory=dict)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> lead record

    @property
    def hash(self) -> str:
        return key_hash(self.api_key)

    def is_blocked(self, email: str) -> bool:
        domain = email.rpartition("@")[2]
        return email in self.block_list or domain in self.block_list


@dataclass
class CampaignState:
    id: int
    api_key: str
    name: str
    status: str = "DRAFTED"
    client_id: int | None = None
    created_at: str = field(default_factory=now_iso)
    deleted: bool = False
    parent_campaign_id: int | None = None
    settings: dict[str, Any] = field(
        default_factory=lambda: {
            "track_settings": [],
            "stop_lead_settings": "REPLY_TO_AN_EMAIL",
            "unsubscribe_text": "",
            "send_as_plain_text": False,
            "follow_up_percentage": 100,
        }
    )
    schedule: dict[str, Any] = field(default_factory=dict)
    sequences: list[dict[str, Any]] = field(default_factory=list)
    mailbox_ids: list[int] = field(default_factory=list)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> lead map
    upload_counts: Counter[str] = field(default_factory=Counter)  # email -> add-leads calls
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    activity: dict[str, Counter[str]] = field(default_factory=dict)  # day -> counts
    stats: list[dict[str, Any]] = field(default_factory=list)  # per-email statistics rows
    writes: list[dict[str, Any]] = field(default_factory=list)  # status/schedule calls applied

    def count(self, day: str, what: str, n: int = 1) -> None:
        self.activity.setdefault(day, Counter())[what] += n

    def as_campaign(self) -> dict[str, Any]:
        sched = self.schedule
        return {
            "id": self.id,
            "user_id": 1,
            "name": self.name,
            "status": self.status,
            "client_id": self.client_id,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "parent_campaign_id": self.parent_campaign_id,
            "track_settings": [
                TRACKING_WRITE_TO_READ.get(t, t) for t in self.settings.get("track_settings") or []
            ],
            "stop_lead_settings": self.settings.get("stop_lead_settings"),
            "unsubscribe_text": self.settings.get("unsubscribe_text"),
            "send_as_plain_text": self.settings.get("send_as_plain_text"),
            "follow_up_percentage": self.settings.get("follow_up_percentage"),
            "scheduler_cron_value": {
                "tz": sched.get("timezone"),
                "days": sched.get("days_of_the_week"),
                "startHour": sched.get("start_hour"),
                "endHour": sched.get("end_hour"),
            }
            if sched
            else None,
            "min_time_btwn_emails": sched.get("min_time_btw_emails"),
            "max_leads_per_day": sched.get("max_new_leads_per_day"),
        }


class SandboxState:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.keys: dict[str, KeyState] = {}
            self.campaigns: dict[int, CampaignState] = {}
            self.unknown_key_requests: Counter[str] = Counter()
            self.deliveries: list[dict[str, Any]] = []
            self._ids: Counter[str] = Counter()

    def next_id(self, kind: str, start: int = 1000) -> int:
        with self.lock:
            self._ids[kind] += 1
            return start + self._ids[kind]

    def add_key(
        self,
        api_key: str,
        limits: list[Window] | list[list[float]] | None = None,
        max_leads_per_request: int | None = None,
        webhook_secret: str | None = None,
        seed: int | None = None,
    ) -> KeyState:
        with self.lock:
            key = self.keys.get(api_key)
            windows = parse_windows(limits)  # type: ignore[arg-type]
            if key is None:
                key = self.keys[api_key] = KeyState(api_key=api_key, limiter=SlidingLog(windows))
            elif limits:
                key.limiter.windows = windows
            if max_leads_per_request is not None:
                key.max_leads_per_request = max_leads_per_request
            if webhook_secret is not None:
                key.webhook_secret = webhook_secret
            if seed is not None:
                key.faults.rng.seed(seed)
            return key

    def campaign_of(self, key: KeyState, campaign_id: int) -> CampaignState:
        camp = self.campaigns.get(campaign_id)
        if camp is None or camp.deleted or camp.api_key != key.api_key:
            raise ApiFailure(404, {"error": "Campaign not found - Invalid campaign_id."})
        return camp

    def create_campaign(
        self, key: KeyState, name: str | None, client_id: int | None, status: str = "DRAFTED"
    ) -> CampaignState:
        with self.lock:
            cid = self.next_id("campaign", start=100)
            camp = CampaignState(
                id=cid,
                api_key=key.api_key,
                name=name or "Untitled Campaign",
                status=status,
                client_id=client_id,
            )
            self.campaigns[cid] = camp
            return camp

    def stats(self) -> dict[str, Any]:
        with self.lock:
            keys = {}
            for key in self.keys.values():
                campaigns = [c for c in self.campaigns.values() if c.api_key == key.api_key]
                repeated = {
                    f"{c.id}:{email}": n
                    for c in campaigns
                    for email, n in c.upload_counts.items()
                    if n > 1
                }
                keys[key.hash] = {
                    "requests": sum(key.statuses.values()),
                    "requests_by_status": {str(s): n for s, n in sorted(key.statuses.items())},
                    "requests_by_method": dict(sorted(key.methods.items())),
                    "accepted": len(key.limiter.accepted),
                    "rate_limited": key.rate_limited,
                    "windows": [[lim, sec] for lim, sec in key.limiter.windows],
                    "max_accepted_in_window": {
                        f"{lim}/{sec:g}s": max_in_any_window(key.limiter.accepted, sec)
                        for lim, sec in key.limiter.windows
                    },
                    "leads_uploaded_more_than_once": len(repeated),
                    "repeated_uploads": repeated,
                }
            return {
                "keys": keys,
                "unknown_keys": dict(self.unknown_key_requests),
                "webhook_deliveries": len(self.deliveries),
            }
