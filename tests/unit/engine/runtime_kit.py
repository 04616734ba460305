"""Tiny node types for testing the runtime: the runtime is under test, not the real nodes.

Each is a ``NodeBase`` subclass with the behaviour a runtime test needs and nothing more; they
form their own :data:`KIT` flow language. Imported by the runtime tests (same folder) and by the
restart test's child process (which puts this folder on ``sys.path``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from chatflow.engine.effects import (
    CallHttp,
    EndReason,
    Enqueue,
    HttpReply,
    HttpRequest,
    LeaveQueue,
    Outcome,
    Say,
    SetVars,
    ShowSurvey,
    StartTimer,
)
from chatflow.engine.events import (
    AgentEnded,
    AgentJoined,
    AgentMessage,
    Choice,
    Event,
    HttpResult,
    NoAgents,
    QueuePosition,
    Rating,
    TimerFired,
    VisitorText,
)
from chatflow.engine.handoff import QueueHold
from chatflow.engine.language import FlowLanguage
from chatflow.engine.node import NodeBase
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.base import SessionStore

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext


def _stay(ctx: NodeContext) -> Outcome:
    return Outcome.wait(state=ctx.state)


class SayNode(NodeBase):
    """Send ``text`` and go on to ``next``."""

    type: Literal["say"]
    text: str
    next: str

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.go(self.next, Say(ctx.render(self.text)))


class JumpNode(NodeBase):
    """Go on to ``next`` at once, saying nothing (loops for the step limit)."""

    type: Literal["jump"]
    next: str

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.go(self.next)


class AskNode(NodeBase):
    """Ask ``prompt``; store the answer in ``var``; optional ``timeout`` to ``on_timeout``."""

    type: Literal["ask"]
    waits_for_input = True
    prompt: str
    var: str
    next: str
    timeout: float | None = None
    on_timeout: str | None = None
    options: tuple[str, ...] = ()

    def enter(self, ctx: NodeContext) -> Outcome:
        effects: list[Any] = [Say(ctx.render(self.prompt), options=self.options)]
        if self.timeout:
            effects.append(StartTimer(f"{ctx.node_id}:timeout", self.timeout))
        return Outcome.wait(*effects, state={"asked": 1})

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        if isinstance(event, VisitorText | Choice):
            answer = event.text if isinstance(event, VisitorText) else event.value
            return Outcome.go(self.next, SetVars({self.var: answer}))
        if isinstance(event, TimerFired) and self.on_timeout:
            return Outcome.go(self.on_timeout, Say("too slow"))
        return _stay(ctx)


class LogNode(NodeBase):
    """Append every visitor text to the ``log`` variable and echo it; ``bye`` ends."""

    type: Literal["log"]
    waits_for_input = True

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.wait(state={"count": 0})

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        if not isinstance(event, VisitorText):
            return _stay(ctx)
        if event.text == "bye":
            return Outcome.finish("flow", Say("goodbye"))
        log = [*ctx.variables.get("log", []), event.text]
        count = int(ctx.state.get("count", 0)) + 1
        return Outcome.wait(SetVars({"log": log}), Say(f"got {event.text}"), state={"count": count})


class StopNode(NodeBase):
    """End the session with an optional ``message``."""

    type: Literal["stop"]
    terminal = True
    message: str | None = None

    def enter(self, ctx: NodeContext) -> Outcome:
        effects = (Say(ctx.render(self.message)),) if self.message else ()
        return Outcome.finish("flow", *effects)


class QueueNode(NodeBase):
    """A minimal transfer: queue, relay both ways, continue at ``next`` when the agent ends."""

    type: Literal["queue"]
    waits_for_input = True
    group: str
    next: str | None = None
    timeout: float | None = None
    on_timeout: str | None = None
    on_no_agents: str | None = None

    def enter(self, ctx: NodeContext) -> Outcome:
        effects: list[Any] = [Enqueue(self.group, priority=1)]
        if self.timeout:
            effects.append(StartTimer(f"{ctx.node_id}:timeout", self.timeout))
        return Outcome.wait(*effects)

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        match event:
            case QueuePosition():
                return Outcome.wait(Say(ctx.render("ahead: {{ sys.wait_no }}")))
            case AgentJoined():
                return Outcome.wait(Say(ctx.render("agent {{ sys.staff_nickname }} here")))
            case AgentMessage(text=text):
                return Outcome.wait(Say(text, sender="agent"))
            case AgentEnded():
                return Outcome.go(self.next) if self.next else Outcome.finish("agent")
            case NoAgents() if self.on_no_agents:
                return Outcome.go(self.on_no_agents, LeaveQueue())
            case TimerFired() if self.on_timeout:
                return Outcome.go(self.on_timeout)
        return _stay(ctx)


class FetchNode(NodeBase):
    """Call ``url``; store the JSON body (or the error) in ``result``; go on to ``next``."""

    type: Literal["fetch"]
    url: str
    next: str

    def enter(self, ctx: NodeContext) -> Outcome:
        request = HttpRequest("POST", ctx.render(self.url), json={"s": ctx.session_id})
        return Outcome.wait(CallHttp(request))

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        if isinstance(event, HttpResult):
            value = event.body if event.error is None else f"error: {event.error}"
            return Outcome.go(self.next, SetVars({"result": value}))
        return _stay(ctx)


class RateNode(NodeBase):
    """Show a survey; a rating goes to ``score`` and on to ``next``."""

    type: Literal["rate"]
    waits_for_input = True
    next: str

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.wait(ShowSurvey("star", 5, (), "rate us"))

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        if isinstance(event, Rating):
            return Outcome.go(self.next, SetVars({"score": event.score}))
        return _stay(ctx)


class BoomNode(NodeBase):
    """A node with a bug: entering it raises."""

    type: Literal["boom"]

    def enter(self, ctx: NodeContext) -> Outcome:
        raise ZeroDivisionError("division by zero")


KIT = FlowLanguage(
    (SayNode, JumpNode, AskNode, LogNode, StopNode, QueueNode, FetchNode, RateNode, BoomNode)
)
"""The flow language of the kit's node types."""


async def runtime_for(flow: str, store: SessionStore, **options: Any) -> Runtime:
    """A runtime over ``store`` with the kit's node types and ``flow`` published."""
    runtime = Runtime(store, KIT, **options)
    await runtime.publish(flow)
    return runtime


class FakeHttp:
    """An ``HttpCaller`` twin: answers from a table of URL -> reply, records every request."""

    def __init__(self, replies: dict[str, HttpReply] | None = None) -> None:
        self.replies = dict(replies or {})
        self.requests: list[HttpRequest] = []

    async def __call__(self, request: HttpRequest) -> HttpReply:
        self.requests.append(request)
        return self.replies.get(request.url, HttpReply(status=None, error="refused"))


class FakeQueue:
    """A ``Handoff`` twin that records what the runtime asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        self.calls.append(("enqueue", session_id, merchant, group, str(priority)))

    async def restore(self, held: QueueHold) -> None:
        h = held
        since = h.waiting_since.isoformat() if h.waiting_since else ""
        self.calls.append(
            ("restore", h.session_id, h.merchant, h.group, str(h.priority), h.agent_id or "", since)
        )

    async def leave(self, session_id: str, reason: EndReason | None = None) -> None:
        self.calls.append(
            ("leave", session_id) if reason is None else ("leave", session_id, reason)
        )
