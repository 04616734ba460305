"""Effects and outcomes: what a node asks the runtime to do, instead of doing I/O itself.

A node's ``enter``/``on_event`` returns an :class:`Outcome`: effects to carry out plus where the
session goes next (another node, stay and wait, or end). The runtime persists the new state
first, then performs the effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

EndReason = Literal["flow", "idle", "agent", "visitor", "admin"]
"""Why a session ended (the ``ended {reason}`` frame of the visitor channel)."""


@dataclass(frozen=True)
class Effect:
    """Base of every effect."""


@dataclass(frozen=True)
class Say(Effect):
    """Send a message to the visitor."""

    text: str
    sender: Literal["bot", "system", "agent"] = "bot"
    options: tuple[str, ...] = ()
    """Buttons offered with the message (menu options, form choices)."""
    author: str = ""
    """For ``sender="agent"``: the agent account that wrote it (records only, never shown)."""
    nickname: str = ""
    staff_no: str = ""
    """For ``sender="agent"``: the agent's public name and staff number, sent with the line."""


@dataclass(frozen=True)
class SetVars(Effect):
    """Assign session variables."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class StartTimer(Effect):
    """Start (or restart) the named timer of this session, due ``seconds`` from now."""

    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer(Effect):
    """Cancel the named timer, if pending."""

    name: str


@dataclass(frozen=True)
class HttpRequest:
    """A rendered HTTP call; the runtime performs it and answers with an ``HttpResult`` event."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    timeout: float = 5.0
    max_errors: int = 1
    idempotency_key: str = ""


@dataclass(frozen=True)
class HttpReply:
    """What an HTTP call came to; the runtime turns it into an ``HttpResult`` event."""

    status: int | None
    """HTTP status of the last attempt, None when no response arrived."""
    body: Any = None
    """Parsed JSON body of a 2xx answer, else None."""
    error: str | None = None
    """Why the call failed (``timeout``, ``refused``, ``status 500``, ``not JSON``, ``blocked``)."""


class HttpCaller(Protocol):
    """Performs HTTP calls for nodes (SSRF guard and retries inside); a mock twin serves tests."""

    async def __call__(self, request: HttpRequest) -> HttpReply: ...


@dataclass(frozen=True)
class CallHttp(Effect):
    """Perform an HTTP call outside the node."""

    request: HttpRequest


@dataclass(frozen=True)
class Enqueue(Effect):
    """Queue the session for a skill group's agents."""

    group: str
    priority: int = 0


@dataclass(frozen=True)
class LeaveQueue(Effect):
    """Take the session out of its queue (timeout, visitor left)."""


@dataclass(frozen=True)
class ShowSurvey(Effect):
    """Show the satisfaction survey to the visitor."""

    style: Literal["star", "number"]
    levels: int
    labels: tuple[str, ...]
    prompt: str


@dataclass(frozen=True)
class Outcome:
    """Effects plus the transition: ``goto`` a node, ``end`` the session, or (neither) wait here."""

    effects: tuple[Effect, ...] = ()
    goto: str | None = None
    end: EndReason | None = None
    state: Mapping[str, Any] = field(default_factory=dict)
    """Node-local state kept while the session waits at this node (attempt counts, ...)."""

    @property
    def waits(self) -> bool:
        return self.goto is None and self.end is None

    @classmethod
    def go(cls, node: str, *effects: Effect) -> Outcome:
        return cls(effects=effects, goto=node)

    @classmethod
    def wait(cls, *effects: Effect, state: Mapping[str, Any] | None = None) -> Outcome:
        return cls(effects=effects, state=dict(state or {}))

    @classmethod
    def finish(cls, reason: EndReason = "flow", *effects: Effect) -> Outcome:
        return cls(effects=effects, end=reason)
