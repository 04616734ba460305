"""The interpreter: apply one event to a session, chaining nodes, without any I/O.

:func:`apply_event` is the pure core the runtime (``engine.runtime``) wraps with loading,
locking, saving and side effects. It changes the loaded session in place and returns a
:class:`Transition`: the frames for the output log and the actions to perform *after* the save
(HTTP calls, queue hand-offs). It owns the flow features no node has: ``sys``
values, interrupts, the idle timeout, ``agent_end_message``, the visitor ending the session,
node-scoped timers and HTTP calls, and the step limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chatflow.engine.effects import (
    CallHttp,
    CancelTimer,
    Effect,
    EndReason,
    Enqueue,
    HttpRequest,
    LeaveQueue,
    Outcome,
    Say,
    SetVars,
    ShowSurvey,
    StartTimer,
)
from chatflow.engine.errors import ChatflowError, RuntimeFlowError, StepLimitError
from chatflow.engine.events import (
    AgentEnded,
    AgentImage,
    AgentJoined,
    AgentMessage,
    AgentTransferred,
    Choice,
    Event,
    HttpResult,
    NoAgents,
    QueuePosition,
    Rating,
    SessionClosed,
    Start,
    TimerFired,
    VisitorEnded,
    VisitorImage,
    VisitorText,
)
from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.frames import Frame, FrameType
from chatflow.engine.node import NodeBase
from chatflow.engine.runcontext import RunContext
from chatflow.engine.session import PendingCall, Session, Timer, jsonable

logger = logging.getLogger("chatflow.engine.runtime")

DEFAULT_STEP_LIMIT = 100
"""Nodes one event may pass through without waiting for input."""
IDLE_TIMER = "sys.idle"
"""The runtime's idle-timeout timer (node ids cannot contain ``.``, so no node timer clashes)."""
HTTP_WATCHDOG = "sys.http."
"""Prefix of the timer that re-issues an HTTP call whose answer never came (a restart, a crash)."""
HTTP_MARGIN = 30.0
"""Seconds added to a call's own timeouts before its watchdog fires."""
MAX_HTTP_ATTEMPTS = 2
"""Times a call is issued before the node gets an ``HttpResult`` with ``error="no reply"``."""

_QUEUE_EVENTS = (
    QueuePosition,
    NoAgents,
    AgentJoined,
    AgentTransferred,
    AgentMessage,
    AgentImage,
    AgentEnded,
)
"""Events from the queue: they apply while the queue owns the session (queued or with an agent;
a transfer between agents re-queues a session that is with an agent)."""


@dataclass(frozen=True)
class PerformHttp(Effect):
    """A call to perform after the save; its answer comes back as ``HttpResult(key=http:<id>)``."""

    call_id: str
    request: HttpRequest


@dataclass
class Transition:
    """What applying one event did."""

    session: Session
    applied: bool = False
    """False when the event was ignored (repeated key, ended session, stale timer...)."""
    ignored: str = ""
    """Why it was ignored."""
    frames: list[Frame] = field(default_factory=list)
    """New frames of the output log, to save with the session."""
    actions: list[Effect] = field(default_factory=list)
    """``PerformHttp``, ``Enqueue``, ``LeaveQueue``: performed after the save. What the visitor
    says to agents needs no action: agents read it from the output log, like the visitor."""
    visited: list[str] = field(default_factory=list)
    """Nodes entered while applying the event, in order."""


def apply_event(
    session: Session,
    flow: LoadedFlow,
    event: Event,
    now: datetime,
    *,
    step_limit: int = DEFAULT_STEP_LIMIT,
) -> Transition:
    """Apply ``event`` to ``session`` (changed in place); raises ``RuntimeFlowError`` subclasses.

    On an error the session must be thrown away (it may be half changed); nothing was saved.
    """
    return _Apply(session, flow, now, step_limit).run(event)


class _Apply:
    def __init__(self, session: Session, flow: LoadedFlow, now: datetime, limit: int) -> None:
        self.s = session
        self.flow = flow
        self.now = now
        self.limit = limit
        self.ctx = RunContext(session, flow, now)
        self.tx = Transition(session)
        self.at = now.astimezone(UTC).isoformat()
        self.bot_spoke = False
        self.agent_spoke = False
        self.event_kind = ""

    # -- the event ---------------------------------------------------------------------------

    def run(self, event: Event) -> Transition:
        s = self.s
        self.event_kind = type(event).__name__
        if s.has_seen(event.key):
            return self.ignore("repeated key")
        if s.ended:
            return self.ignore("session ended")
        if isinstance(event, _QUEUE_EVENTS) and s.status not in ("queued", "with_agent"):
            return self.ignore(f"session is {s.status}, not with the queue")
        s.remember(event.key)
        if not self.handle(event):
            return self.tx
        self.finish()
        self.tx.applied = True
        return self.tx

    def handle(self, event: Event) -> bool:
        """Runtime-owned handling first, then the current node's ``on_event``."""
        s = self.s
        match event:
            case Start(opening=None):
                self.follow(self.enter(s.node))
            case Start(opening=opening) if opening is not None:
                self.opened(opening)
            case VisitorText(text=text, client_id=cid):
                self.visitor_said(text, cid)
                if not self.interrupted(text):
                    self.dispatch(event)
            case Choice(value=value, client_id=cid):
                self.visitor_said(value, cid)
                self.dispatch(event)
            case Rating(score=score, client_id=cid):
                self.visitor_said(str(score), cid, last_input=False, rating=score)
                self.dispatch(event)
            case VisitorImage(url=url, client_id=cid):
                self.visitor_image(url, cid)
            case AgentImage(agent_id=agent_id, url=url, client_id=cid):
                body = signed({"from": "agent", "image": url}, event.nickname, event.staff_no)
                self.frame("message", with_id(body, cid), agent_id)
                self.agent_spoke = True
            case VisitorEnded(client_id=cid):
                self.end("visitor", cid)
            case SessionClosed(reason=reason):
                self.end(reason)
            case TimerFired():
                return self.timer_fired(event)
            case HttpResult():
                call = next((c for c in s.calls.values() if c.key == event.key), None)
                if call is None:
                    self.ignore("no call waits for this result")
                    return False
                self.drop_call(call.id)
                self.dispatch(event)
            case QueuePosition(ahead=ahead):
                s.timers.pop(IDLE_TIMER, None)  # with an agent: a transfer queued it again
                s.sys.wait_no = max(ahead, 0)
                self.ctx.changed()
                self.frame("queue", {"position": s.sys.wait_no + 1, "ahead": s.sys.wait_no})
                self.dispatch(event)
            case NoAgents():
                s.timers.pop(IDLE_TIMER, None)
                self.dispatch(event)
            case AgentJoined(staff_no=staff_no, nickname=nickname):
                s.timers.pop(IDLE_TIMER, None)  # a new service: its agent's messages start it
                s.sys.staff_no, s.sys.staff_nickname, s.sys.wait_no = staff_no, nickname, 0
                s.status, s.queue_agent = "with_agent", event.agent_id
                self.ctx.changed()
                self.frame("agent_joined", {"staff_no": staff_no, "nickname": nickname})
                self.dispatch(event)
            case AgentTransferred(to_group=to_group):
                s.timers.pop(IDLE_TIMER, None)  # nobody serves until an agent joins again
                if s.queue_agent is not None:  # served until now: a new wait begins
                    s.queue_agent, s.waiting_since = None, self.now
                s.queue_group = to_group or s.queue_group
                self.ctx.changed()
                self.dispatch(event)
            case AgentEnded():
                s.timers.pop(IDLE_TIMER, None)  # the bot's rule again, from its next message
                s.leave_queue()
                self.say(self.flow.flow.settings.agent_end_message, "system")
                self.dispatch(event)
            case _:
                self.dispatch(event)
        return True

    def timer_fired(self, event: TimerFired) -> bool:
        s = self.s
        timer = s.timers.get(event.name)
        if timer is None or timer.key != event.key:
            self.ignore("timer was cancelled or restarted")
            return False
        del s.timers[event.name]
        if event.name == IDLE_TIMER:
            if s.status in ("active", "with_agent"):
                self.say(self.flow.flow.settings.idle_message, "system")
                self.end("idle")
        elif event.name.startswith(HTTP_WATCHDOG):
            call = s.calls.get(event.name[len(HTTP_WATCHDOG) :])
            if call is None:
                return True
            if call.attempts < MAX_HTTP_ATTEMPTS:
                call.attempts += 1
                self.watch_call(call)
                self.tx.actions.append(PerformHttp(call.id, call.request))
                logger.warning("engine.http_reissued", extra=self.ids(call_id=call.id))
            else:
                self.drop_call(call.id)
                s.remember(call.key)
                self.dispatch(HttpResult(key=call.key, status=None, error="no reply"))
        else:
            self.dispatch(event)
        return True

    def ignore(self, why: str) -> Transition:
        self.tx.ignored = why
        logger.debug("engine.event_ignored", extra=self.ids(event=self.event_kind, why=why))
        return self.tx

    def finish(self) -> None:
        """The idle timeout, (re)started by our last message: the bot's while the bot waits for
        the visitor, an agent's while one serves; it never runs while queued."""
        s = self.s
        if s.ended:
            return
        settings = self.flow.flow.settings
        if s.status == "active":
            if settings.idle_timeout > 0 and self.bot_spoke:
                self.start_timer(IDLE_TIMER, settings.idle_timeout, None)
        elif s.status == "with_agent":
            seconds = settings.service_idle_timeout()
            if seconds > 0 and self.agent_spoke:
                self.start_timer(IDLE_TIMER, seconds, None)
        else:
            s.timers.pop(IDLE_TIMER, None)

    # -- nodes -------------------------------------------------------------------------------

    def dispatch(self, event: Event) -> None:
        s = self.s
        self.ctx.at(s.node, s.state)
        self.follow(self.call(self.node(s.node), event))

    def enter(self, target: str) -> Outcome:
        s = self.s
        visited = self.tx.visited
        visited.append(target)
        if len(visited) > self.limit:
            shown = " -> ".join(visited[:12]) + (" -> ..." if len(visited) > 12 else "")
            raise StepLimitError(
                f"one {self.event_kind} event passed through {self.limit} nodes without waiting "
                f"for input: {shown} (nodes visited: {', '.join(dict.fromkeys(visited))})",
                flow_id=self.flow.id,
                node_id=target,
            )
        node = self.node(target)
        s.node, s.state = target, {}
        self.ctx.at(target, s.state)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("engine.step", extra=self.ids(event=self.event_kind))
        return self.call(node, None)

    def follow(self, outcome: Outcome) -> None:
        """Carry out an outcome and every ``goto`` after it, until a node waits or the end."""
        s = self.s
        while True:
            self.perform(outcome.effects)
            if outcome.end is not None:
                self.end(outcome.end)
                return
            if outcome.goto is None:
                s.state = jsonable(dict(outcome.state))
                return
            self.leave()
            outcome = self.enter(outcome.goto)

    def node(self, node_id: str) -> NodeBase:
        node = self.flow.flow.nodes.get(node_id)
        if node is None:
            raise RuntimeFlowError(
                f"node {node_id!r} does not exist in version {self.flow.version}",
                flow_id=self.flow.id,
                node_id=self.s.node,
            )
        return node

    def call(self, node: NodeBase, event: Event | None) -> Outcome:
        hook = "enter" if event is None else "on_event"
        try:
            out = node.enter(self.ctx) if event is None else node.on_event(self.ctx, event)
        except ChatflowError as exc:
            exc.flow_id = exc.flow_id or self.flow.id
            exc.node_id = exc.node_id or self.s.node
            raise
        except Exception as exc:
            raise RuntimeFlowError(
                f"{node.type} node failed in {hook}(): {type(exc).__name__}: {exc}",
                flow_id=self.flow.id,
                node_id=self.s.node,
            ) from exc
        if not isinstance(out, Outcome):
            raise RuntimeFlowError(
                f"{node.type} node's {hook}() returned {type(out).__name__}, not an Outcome",
                flow_id=self.flow.id,
                node_id=self.s.node,
            )
        return out

    def leave(self) -> None:
        """The session leaves its node: the node's timers and calls die with it."""
        s = self.s
        here = s.node
        for name in [n for n, t in s.timers.items() if t.node == here]:
            del s.timers[name]
        for call_id in [c for c, call in s.calls.items() if call.node == here]:
            del s.calls[call_id]
        self.perform((LeaveQueue(),))

    def end(self, reason: EndReason, client_id: str = "") -> None:
        s = self.s
        self.perform((LeaveQueue(),))
        s.status, s.end_reason, s.queue_group = "ended", reason, None
        s.timers.clear()
        s.calls.clear()
        s.state = {}
        self.frame("ended", with_id({"reason": reason}, client_id))
        logger.info("engine.ended", extra=self.ids(reason=reason))

    # -- effects -----------------------------------------------------------------------------

    def perform(self, effects: tuple[Effect, ...]) -> None:
        s = self.s
        for effect in effects:
            match effect:
                case Say(text=text, sender=sender, options=options, author=author):
                    body: dict[str, Any] = {"from": sender, "text": text}
                    if options:
                        body["options"] = list(options)
                    if sender == "agent":
                        signed(body, effect.nickname, effect.staff_no)
                    self.frame("message", body, author)
                    if sender == "agent":
                        self.agent_spoke = True
                    else:
                        self.bot_spoke = True
                case SetVars(values=values):
                    s.variables.update({str(k): jsonable(v) for k, v in values.items()})
                    self.ctx.changed()
                case StartTimer(name=name, seconds=seconds):
                    self.start_timer(name, seconds, s.node)
                case CancelTimer(name=name):
                    s.timers.pop(name, None)
                case CallHttp(request=request):
                    call_id = s.next_id()
                    if not request.idempotency_key:
                        request = replace(request, idempotency_key=f"{s.id}:{call_id}")
                    call = PendingCall(call_id, s.node, request)
                    s.calls[call_id] = call
                    self.watch_call(call)
                    self.tx.actions.append(PerformHttp(call_id, request))
                case Enqueue(group=group, priority=priority):
                    s.status, s.queue_group, s.queue_priority = "queued", group, priority
                    s.queued_at = s.queued_at or self.now
                    s.waiting_since = self.now
                    s.sys.wait_no = 0
                    self.ctx.changed()
                    self.tx.actions.append(effect)
                case LeaveQueue():
                    if s.status in ("queued", "with_agent"):
                        s.leave_queue()
                        self.tx.actions.append(effect)
                case ShowSurvey(style=style, levels=levels, labels=labels, prompt=prompt):
                    survey = {"style": style, "levels": levels, "labels": list(labels)}
                    self.frame("survey", {**survey, "prompt": prompt})
                    self.bot_spoke = True
                case _:
                    raise RuntimeFlowError(
                        f"unknown effect {type(effect).__name__}",
                        flow_id=self.flow.id,
                        node_id=s.node,
                    )

    def say(self, template: str | None, sender: str) -> None:
        if template:
            text = self.ctx.render(template)
            if text.strip():
                self.perform((Say(text, sender="system" if sender == "system" else "bot"),))

    def opened(self, opening: VisitorText | Choice) -> None:
        """Start on the message that opened the conversation: it is the visitor's first line and
        ``sys.last_input``, never the first node's answer; an interrupt phrase in it still jumps,
        once the flow has run to its first wait (so business hours and the welcome come first)."""
        s = self.s
        s.remember(opening.key)
        text = opening.text if isinstance(opening, VisitorText) else opening.value
        self.visitor_said(text, opening.client_id)
        self.follow(self.enter(s.node))
        if isinstance(opening, VisitorText):
            self.interrupted(text)

    def interrupted(self, text: str) -> bool:
        """Jump to the flow's interrupt for ``text`` (a phrase such as 转人工), if it has one
        and the bot is serving; whether it jumped."""
        target = self.flow.interrupt_for(text) if self.s.status == "active" else None
        if target is None:
            return False
        logger.info("engine.interrupt", extra=self.ids(target=target))
        self.follow(Outcome(goto=target))
        return True

    def visitor_said(
        self, text: str, client_id: str, *, last_input: bool = True, rating: int | None = None
    ) -> None:
        """Echo the visitor's text; a survey's button answer is marked ``rating``."""
        s = self.s
        body: dict[str, Any] = {"from": "visitor", "text": text}
        if rating is not None:
            body["rating"] = rating
        self.frame("message", with_id(body, client_id))
        if last_input:
            s.sys.last_input = text
            self.ctx.changed()
        s.timers.pop(IDLE_TIMER, None)

    def visitor_image(self, url: str, client_id: str) -> None:
        """Echo the image. With an agent it is a reply (the agents read it in the log, the idle
        clock stops); the bot never answers images, so its idle clock starts over instead."""
        s = self.s
        self.frame("message", with_id({"from": "visitor", "image": url}, client_id))
        if s.status == "with_agent":
            s.timers.pop(IDLE_TIMER, None)
        elif IDLE_TIMER in s.timers:
            self.start_timer(IDLE_TIMER, self.flow.flow.settings.idle_timeout, None)

    def start_timer(self, name: str, seconds: float, node: str | None) -> None:
        due = self.now + timedelta(seconds=seconds)
        self.s.timers[name] = Timer(name, self.s.next_id(), due, node)

    def watch_call(self, call: PendingCall) -> None:
        wait = call.request.timeout * max(call.request.max_errors, 1) + HTTP_MARGIN
        self.start_timer(HTTP_WATCHDOG + call.id, wait, call.node)

    def drop_call(self, call_id: str) -> None:
        self.s.calls.pop(call_id, None)
        self.s.timers.pop(HTTP_WATCHDOG + call_id, None)

    def frame(self, kind: FrameType, body: dict[str, Any], author: str = "") -> None:
        self.s.last_seq += 1
        self.tx.frames.append(Frame(self.s.last_seq, kind, body, self.at, author))

    def ids(self, **more: Any) -> dict[str, Any]:
        s = self.s
        return {"session_id": s.id, "flow_id": self.flow.id, "node_id": s.node, **more}


def signed(body: dict[str, Any], nickname: str, staff_no: str) -> dict[str, Any]:
    """An agent's line with the agent's public name and staff number, when known."""
    if nickname:
        body["nickname"] = nickname
    if staff_no:
        body["staff_no"] = staff_no
    return body


def with_id(body: dict[str, Any], client_id: str) -> dict[str, Any]:
    """A frame body with the client message id, when there is one."""
    if client_id:
        body["id"] = client_id
    return body
