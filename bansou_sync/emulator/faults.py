"""What makes the emulator misbehave on purpose, and what it remembers of the traffic.

* ``Clock`` — real time plus an offset tests can move forward (quota windows, token
  expiry, the timestamps of responses added while running).
* ``Faults`` — rules that answer a matching request with 429/5xx/403, slow it down or
  drop the connection, for the next N matching requests or at a rate.
* ``Quota`` — Google's per-user (and per-project) request limits, answering exactly the
  429 ``RESOURCE_EXHAUSTED`` body Google sends (no ``Retry-After``: Google sends none).
* ``RequestLog`` — every API request (not control calls) and a counter per Google method.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .http import ApiError

PROJECT_NUMBER = "603366585132"  # any project number; Google puts one in quota errors


class Clock:
    """``time.time()`` plus an offset, so tests can jump over a quota window."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


# --- faults ----------------------------------------------------------------------------

FAULT_KINDS = ("429", "500", "502", "503", "400", "403", "slow", "drop")


@dataclass
class FaultRule:
    kind: str
    api: str = "*"  # "sheets" | "forms" | "gmail" | "oauth" | "*" (every Google API but oauth)
    method: str | None = None  # Google method id, e.g. "sheets.spreadsheets.values.batchGet"
    rate: float | None = None  # probability per matching request
    count: int | None = None  # the next N matching requests; None with no rate: every one
    seconds: float = 0.0  # for "slow"
    when: str = "before"  # "after": the request is carried out, then the reply is lost/faulted
    fired: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        unknown = set(data) - {"kind", "api", "method", "rate", "count", "seconds", "when"}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        kind = str(data.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {kind!r}")
        rule = cls(
            kind=kind,
            api=str(data.get("api", "*")),
            method=data.get("method"),
            rate=None if data.get("rate") is None else float(data["rate"]),
            count=None if data.get("count") is None else int(data["count"]),
            seconds=float(data.get("seconds", 0.0)),
            when=str(data.get("when", "before")),
        )
        if rule.rate is not None and not 0.0 <= rule.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if rule.rate is not None and rule.count is not None:
            raise ValueError("give either rate or count, not both")
        if rule.when not in ("before", "after"):
            raise ValueError('when must be "before" or "after"')
        return rule

    def matches(self, api: str, method: str) -> bool:
        if self.api == "*":
            if api == "oauth":
                return False
        elif self.api != api:
            return False
        return self.method is None or self.method == method

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class Faults:
    """The active fault rules; the first rule that matches and fires wins."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule | Mapping[str, Any] | None = None, **kwargs: Any) -> FaultRule:
        if rule is None:
            rule = FaultRule.from_json(kwargs)
        elif not isinstance(rule, FaultRule):
            rule = FaultRule.from_json(rule)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def seed(self, seed: int) -> None:
        with self._lock:
            self._random.seed(seed)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def pick(self, api: str, method: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if not rule.matches(api, method):
                    continue
                if rule.count is not None:
                    if rule.count <= 0:
                        continue
                    rule.count -= 1
                elif rule.rate is not None and self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                return rule
            self._rules = [r for r in self._rules if r.count is None or r.count > 0]
        return None


def fault_error(kind: str, quota_error: ApiError | None) -> ApiError:
    if kind == "429":
        return quota_error or ApiError(429, "Resource has been exhausted (e.g. check quota).")
    if kind == "400":  # what Gmail answers for a recipient it will never accept
        return ApiError(400, "Invalid To header", "INVALID_ARGUMENT")
    if kind == "403":
        return ApiError(403, "The caller does not have permission")
    if kind == "500":
        return ApiError(500, "Internal error encountered.")
    if kind == "502":
        return ApiError(502, "Bad Gateway", "UNAVAILABLE")
    return ApiError(503, "The service is currently unavailable.")


# --- quota -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaLimit:
    limit: int
    window: float  # seconds
    per_user: bool
    service: str
    metric: str  # as Google words it in the message: 'Read requests'
    limit_name: str  # 'Read requests per minute per user'
    quota_metric: str  # 'sheets.googleapis.com/read_requests'
    quota_limit: str  # 'ReadRequestsPerMinutePerUser'

    def error(self) -> ApiError:
        unit = "1/min/{project}/{user}" if self.per_user else "1/min/{project}"
        return ApiError(
            429,
            f"Quota exceeded for quota metric '{self.metric}' and limit '{self.limit_name}'"
            f" of service '{self.service}' for consumer 'project_number:{PROJECT_NUMBER}'.",
            "RESOURCE_EXHAUSTED",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "quota_limit_value": str(self.limit),
                        "service": self.service,
                        "consumer": f"projects/{PROJECT_NUMBER}",
                        "quota_unit": unit,
                        "quota_location": "global",
                        "quota_metric": self.quota_metric,
                        "quota_limit": self.quota_limit,
                    },
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [
                        {
                            "description": "Request a higher quota limit.",
                            "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                        }
                    ],
                },
            ],
        )


def _per_minute(limit: int, per_user: bool, service: str, metric: str, qm: str) -> QuotaLimit:
    who = "per user" if per_user else ""
    name = f"{metric} per minute {who}".strip()
    camel = "".join(w.capitalize() for w in metric.split()) + "PerMinute"
    camel += "PerUser" if per_user else "PerProject"
    return QuotaLimit(limit, 60.0, per_user, service, metric, name, f"{service}/{qm}", camel)


SHEETS = "sheets.googleapis.com"
FORMS = "forms.googleapis.com"

# Google's documented limits (see ../shared/google-recordings/README.md).
DEFAULT_LIMITS: dict[str, list[QuotaLimit]] = {
    "sheets:read": [
        _per_minute(60, True, SHEETS, "Read requests", "read_requests"),
        _per_minute(300, False, SHEETS, "Read requests", "read_requests"),
    ],
    "sheets:write": [
        _per_minute(60, True, SHEETS, "Write requests", "write_requests"),
        _per_minute(300, False, SHEETS, "Write requests", "write_requests"),
    ],
    "forms:read": [
        _per_minute(390, True, FORMS, "Read requests", "read_requests"),
        _per_minute(975, False, FORMS, "Read requests", "read_requests"),
    ],
    "forms:list": [  # responses.list: Google's "expensive read requests"
        _per_minute(180, True, FORMS, "Expensive read requests", "expensive_read_requests"),
        _per_minute(450, False, FORMS, "Expensive read requests", "expensive_read_requests"),
    ],
    "forms:write": [
        _per_minute(150, True, FORMS, "Write requests", "write_requests"),
        _per_minute(375, False, FORMS, "Write requests", "write_requests"),
    ],
}
GMAIL_DAILY_SENDS = 2000  # Workspace; 500 for trial accounts


class Quota:
    """Sliding-window request counts per (quota group, user); off unless enabled."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.enabled = False
        self.limits: dict[str, list[QuotaLimit]] = {k: list(v) for k, v in DEFAULT_LIMITS.items()}
        self.gmail_daily_sends = GMAIL_DAILY_SENDS
        self._hits: dict[tuple[str, str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def set_limit(self, group: str, per_user: int) -> None:
        """Lower (or raise) the per-user limit of a group, e.g. for a fast test."""
        if group == "gmail:send":
            self.gmail_daily_sends = per_user
            return
        self.limits[group] = [
            replace(q, limit=per_user) if q.per_user else q for q in self.limits[group]
        ]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def usage(self) -> dict[str, int]:
        """Requests counted in the current windows, by "group user" ("*" = the project)."""
        now = self.clock.now()
        with self._lock:
            return {
                f"{group} {scope}": sum(1 for t in hits if t > now - float(window))
                for (group, scope, window), hits in self._hits.items()
            }

    def spend(self, group: str | None, user: str) -> ApiError | None:
        """Count one request; the error to answer if it is over a limit (then not counted)."""
        if not self.enabled or group is None:
            return None
        now = self.clock.now()
        checks: list[tuple[int, float, str, ApiError | None]] = []
        if group == "gmail:send":
            checks.append((self.gmail_daily_sends, 86400.0, user, None))
        for q in self.limits.get(group, []):
            checks.append((q.limit, q.window, user if q.per_user else "*", q.error()))
        with self._lock:
            windows = []
            for limit, window, scope, error in checks:
                hits = self._hits.setdefault((group, scope, str(window)), deque())
                while hits and hits[0] <= now - window:
                    hits.popleft()
                if len(hits) >= limit:
                    return error or _gmail_sending_error(hits[0] + window)
                windows.append(hits)
            for hits in windows:
                hits.append(now)
        return None


def _gmail_sending_error(retry_at: float) -> ApiError:
    when = datetime.fromtimestamp(retry_at, UTC).isoformat(timespec="milliseconds")
    message = f"User-rate limit exceeded.  Retry after {when.replace('+00:00', 'Z')} (Mail sending)"
    return ApiError(429, message, reason="rateLimitExceeded", domain="usageLimits")


# --- request log and counters ----------------------------------------------------------


@dataclass
class LoggedRequest:
    seq: int
    time: float
    api: str
    method: str  # Google method id
    http_method: str
    path: str
    status: int  # 0: connection dropped
    user: str
    fault: str | None = None
    query: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, keep: int = 20000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=keep)
        self._counters: Counter[str] = Counter()
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)
            self._counters[entry.method] += 1

    def entries(self, api: str | None = None, method: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [
                e
                for e in self._entries
                if (api is None or e.api == api) and (method is None or e.method == method)
            ]

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self._counters.clear()
