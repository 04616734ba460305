"""Simulated agents: the in-process twin of the human queue for ``chatflow test`` and ``chat``.

The runtime hands a session to the queue through :class:`~chatflow.engine.handoff.Handoff`; the
real dispatcher (``engine.routing``) answers with events (agents read what the visitor says in
the session's output log). This twin answers at once and decides
nothing on its own: an ``enqueue`` is reported as first in line (``QueuePosition(ahead=0)``), or
as ``NoAgents`` for a group that is not online; agents join, speak and end only when a test step
or a ``/agent`` command says so, through the events built here.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatflow.engine.effects import EndReason
from chatflow.engine.events import AgentEnded, AgentJoined, AgentMessage, NoAgents, QueuePosition
from chatflow.engine.handoff import EventSink, QueueHold


class SimulatedAgents:
    """A :class:`Handoff` that answers from a list of online groups.

    ``groups_online`` None means every group has an agent online, except those listed in
    ``offline`` (what ``chatflow chat --offline`` sets). Bind the runtime (the
    :class:`EventSink`) with :meth:`bind` before the first session reaches a transfer.
    """

    def __init__(
        self, groups_online: Iterable[str] | None = None, *, offline: Iterable[str] = ()
    ) -> None:
        self.groups_online = None if groups_online is None else frozenset(groups_online)
        self.offline = frozenset(offline)
        self.sink: EventSink | None = None
        self.queued: dict[str, str] = {}
        """Session id -> the group it waits for (until it leaves the queue)."""
        self.serving: dict[str, str] = {}
        """Session id -> id of the simulated agent who joined it last."""
        self._names: dict[str, str] = {}
        """Agent id -> the nickname it joined with (its lines carry it, as a real agent's do)."""
        self._count = 0

    def bind(self, sink: EventSink) -> SimulatedAgents:
        """Where queue events go (the runtime); returns self for chaining."""
        self.sink = sink
        return self

    def online(self, group: str) -> bool:
        """Whether the group has an agent online."""
        if group in self.offline:
            return False
        return self.groups_online is None or group in self.groups_online

    def key(self, what: str) -> str:
        """A fresh idempotency key for an event this twin makes."""
        self._count += 1
        return f"agents:{what}:{self._count}"

    # -- Handoff -------------------------------------------------------------------------------

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        self.queued[session_id] = group
        if self.sink is None:
            raise RuntimeError("SimulatedAgents.bind(runtime) was not called")
        if self.online(group):
            await self.sink.deliver(session_id, QueuePosition(self.key("queue"), ahead=0))
        else:
            await self.sink.deliver(session_id, NoAgents(self.key("no-agents")))

    async def restore(self, held: QueueHold) -> None:
        self.queued[held.session_id] = held.group
        if held.agent_id:
            self.serving[held.session_id] = held.agent_id

    async def leave(self, session_id: str, reason: EndReason | None = None) -> None:
        self.queued.pop(session_id, None)
        self.serving.pop(session_id, None)

    # -- what a test step or a chat command makes an agent do ----------------------------------

    def joins(self, session_id: str, staff_no: str, nickname: str) -> AgentJoined:
        """The event of an agent accepting the session."""
        agent_id = f"agent-{staff_no}"
        self.serving[session_id] = agent_id
        self._names[agent_id] = nickname
        return AgentJoined(
            self.key("join"), agent_id=agent_id, staff_no=staff_no, nickname=nickname
        )

    def says(self, session_id: str, text: str) -> AgentMessage:
        """The event of the serving agent sending text."""
        agent_id = self.serving.get(session_id, "agent")
        staff_no = agent_id.removeprefix("agent-") if agent_id != "agent" else ""
        return AgentMessage(
            self.key("message"),
            agent_id=agent_id,
            text=text,
            nickname=self._names.get(agent_id, ""),
            staff_no=staff_no,
        )

    def ends(self, session_id: str) -> AgentEnded:
        """The event of the agent ending the service."""
        self.serving.pop(session_id, None)
        return AgentEnded(self.key("end"), closed_by="seat")
