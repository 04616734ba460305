"""A session as data: where a conversation is in its flow, serialisable to JSON.

The interpreter (``engine.interpreter``) changes a loaded :class:`Session` in place for one
event; the runtime saves it back with a compare-and-set on :attr:`Session.version`. Nothing here
does I/O. The JSON form is what every ``SessionStore`` keeps, so a session moves between
processes, survives restarts and can be inspected by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from chatflow.engine.effects import EndReason, HttpRequest

SessionStatus = Literal["active", "queued", "with_agent", "ended"]
"""``active``: the bot owns the session; ``queued`` / ``with_agent``: the human queue owns it."""

STATUSES: tuple[SessionStatus, ...] = ("active", "queued", "with_agent", "ended")

MAX_SEEN_KEYS = 1_000
"""Idempotency keys remembered per session (the oldest are forgotten first)."""


@dataclass
class SysValues:
    """The ``sys.*`` values the runtime keeps (``session_id`` and ``now`` are computed)."""

    visitor_id: str = ""
    channel_id: str = ""
    channel_name: str = ""
    staff_no: str = ""
    staff_nickname: str = ""
    wait_no: int = 0
    """Visitors ahead in the queue (0 when first)."""
    last_input: str = ""
    """The visitor's last text or choice."""


@dataclass
class Timer:
    """A pending timer of the session; fires once at ``due`` unless cancelled or restarted."""

    name: str
    id: str
    """Unique within the session; a restarted timer gets a new id, so its old instance is dead."""
    due: datetime
    node: str | None = None
    """The node that started it: leaving that node cancels it. None for the runtime's own."""

    @property
    def key(self) -> str:
        """Idempotency key of the ``TimerFired`` event for this instance."""
        return f"timer:{self.id}"


@dataclass
class PendingCall:
    """An HTTP call performed for a node whose ``HttpResult`` has not been applied yet."""

    id: str
    node: str
    request: HttpRequest
    attempts: int = 1

    @property
    def key(self) -> str:
        """Idempotency key of the ``HttpResult`` event answering this call."""
        return f"http:{self.id}"


@dataclass
class Session:
    """One conversation's state; see the module docstring."""

    id: str
    flow_id: str
    flow_version: str
    node: str
    merchant: str = ""
    site_key: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    """Node-local state of the current node (attempt counts, ...)."""
    variables: dict[str, Any] = field(default_factory=dict)
    sys: SysValues = field(default_factory=SysValues)
    status: SessionStatus = "active"
    end_reason: EndReason | None = None
    version: int = 0
    """Compare-and-set counter: each save writes ``version`` over ``version - 1``."""
    seen: list[str] = field(default_factory=list)
    """The last :data:`MAX_SEEN_KEYS` idempotency keys applied, oldest first. Not part of the
    JSON document: stores keep them beside it, numbered, and write only the new ones."""
    seen_count: int = 0
    """Keys ever remembered: key number ``n`` (0-based) is ``seen[n - seen_count]``."""
    timers: dict[str, Timer] = field(default_factory=dict)
    """Pending timers by name."""
    calls: dict[str, PendingCall] = field(default_factory=dict)
    """HTTP calls in flight by call id."""
    last_seq: int = 0
    """``seq`` of the last frame in the output log."""
    counter: int = 0
    """Source of ids (timers, calls) and of the seeded random draws."""
    queue_group: str | None = None
    queue_priority: int = 0
    queue_agent: str | None = None
    """The agent whose service the session is in (who accepted it, or was assigned it); None
    while it waits and while a transfer hands it on. What a restart gives back to the queue."""
    queued_at: datetime | None = None
    """When it first queued since it last left the queue (kept through transfers): a restart
    queues visitors again in this order."""
    waiting_since: datetime | None = None
    """When its current wait began: its queueing, or the transfer that took it from its agent
    (moving a visitor who waits does not restart the wait)."""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    _seen_set: set[str] | None = field(default=None, init=False, repr=False, compare=False)
    _saved_keys: int = field(default=0, init=False, repr=False, compare=False)
    """``seen_count`` when the session was loaded or last saved: newer keys are unsaved."""

    # -- idempotency ---------------------------------------------------------------------------

    def has_seen(self, key: str) -> bool:
        if self._seen_set is None:
            self._seen_set = set(self.seen)
        return key in self._seen_set

    def remember(self, key: str) -> None:
        """Record an applied key, forgetting the oldest beyond :data:`MAX_SEEN_KEYS`."""
        if self.has_seen(key):
            return
        assert self._seen_set is not None
        self.seen.append(key)
        self._seen_set.add(key)
        self.seen_count += 1
        if len(self.seen) > MAX_SEEN_KEYS:
            drop = len(self.seen) - MAX_SEEN_KEYS
            for old in self.seen[:drop]:
                self._seen_set.discard(old)
            del self.seen[:drop]

    def unsaved_keys(self) -> list[tuple[int, str]]:
        """``(number, key)`` of the keys remembered since the session was loaded or saved."""
        fresh = min(self.seen_count - self._saved_keys, len(self.seen))
        if fresh <= 0:
            return []
        first = self.seen_count - fresh
        return list(enumerate(self.seen[len(self.seen) - fresh :], start=first))

    @property
    def first_kept_key(self) -> int:
        """Number of the oldest key still remembered: a store may drop the ones below it."""
        return max(self.seen_count - MAX_SEEN_KEYS, 0)

    def keys_saved(self) -> None:
        """The store wrote :meth:`unsaved_keys` (called by stores after a successful write)."""
        self._saved_keys = self.seen_count

    def restore_keys(self, keys: list[str]) -> None:
        """Put back the stored keys (oldest first) of a session the store just loaded."""
        self.seen = [*keys, *self.seen][-MAX_SEEN_KEYS:]
        self._seen_set = None

    def next_id(self) -> str:
        """A fresh id, unique within the session."""
        self.counter += 1
        return str(self.counter)

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    # -- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "node": self.node,
            "merchant": self.merchant,
            "site_key": self.site_key,
            "state": self.state,
            "variables": self.variables,
            "sys": dict(vars(self.sys)),
            "status": self.status,
            "end_reason": self.end_reason,
            "version": self.version,
            "seen_count": self.seen_count,
            "timers": [
                {"name": t.name, "id": t.id, "due": t.due.isoformat(), "node": t.node}
                for t in self.timers.values()
            ],
            "calls": [
                {"id": c.id, "node": c.node, "request": asdict(c.request), "attempts": c.attempts}
                for c in self.calls.values()
            ],
            "last_seq": self.last_seq,
            "counter": self.counter,
            "queue_group": self.queue_group,
            "queue_priority": self.queue_priority,
            "queue_agent": self.queue_agent,
            "queued_at": _iso(self.queued_at),
            "waiting_since": _iso(self.waiting_since),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        timers = [
            Timer(t["name"], t["id"], datetime.fromisoformat(t["due"]), t.get("node"))
            for t in data.get("timers", [])
        ]
        calls = [
            PendingCall(c["id"], c["node"], HttpRequest(**c["request"]), int(c["attempts"]))
            for c in data.get("calls", [])
        ]
        legacy = list(data.get("seen", []))  # documents written before keys moved out
        session = cls(
            id=data["id"],
            flow_id=data["flow_id"],
            flow_version=data["flow_version"],
            node=data["node"],
            merchant=data.get("merchant", ""),
            site_key=data.get("site_key", ""),
            state=dict(data.get("state", {})),
            variables=dict(data.get("variables", {})),
            sys=SysValues(**data.get("sys", {})),
            status=cast(SessionStatus, data.get("status", "active")),
            end_reason=data.get("end_reason"),
            version=int(data.get("version", 0)),
            seen=legacy,
            seen_count=int(data.get("seen_count", len(legacy))),
            timers={t.name: t for t in timers},
            calls={c.id: c for c in calls},
            last_seq=int(data.get("last_seq", 0)),
            counter=int(data.get("counter", 0)),
            queue_group=data.get("queue_group"),
            queue_priority=int(data.get("queue_priority", 0)),
            queue_agent=data.get("queue_agent"),
            queued_at=_parse(data.get("queued_at")),
            waiting_since=_parse(data.get("waiting_since")),
            created_at=_parse(data.get("created_at")),
            updated_at=_parse(data.get("updated_at")),
        )
        session._saved_keys = session.seen_count - len(legacy)  # legacy keys: saved next time
        return session

    def leave_queue(self) -> None:
        """The queue no longer has it (the service ended, or the flow took it out): the bot's."""
        self.status = "active"
        self.queue_group = self.queue_agent = None
        self.queued_at = self.waiting_since = None

    def dumps(self) -> str:
        """Compact JSON text (what the stores keep; the idempotency keys are kept beside it)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | bytes) -> Session:
        return cls.from_json(json.loads(text))


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: datetimes to ISO text, tuples and sets to lists, else str.

    Variables are stored as JSON; an expression may evaluate to something richer (a date, a
    Jinja ``Undefined``), which is kept in the closest JSON form instead of breaking the save.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if type(value).__name__.endswith("Undefined"):
        return None
    return str(value)
