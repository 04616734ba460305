"""The dispatcher: a synchronous state machine matching queued visitors to agents.

It sits under :class:`~chatflow.engine.routing.service.QueueService`, which owns the clock and
the I/O. Every operation takes the time as ``now`` (seconds), checks its arguments before it
changes anything, and returns the decisions it took (offers, positions, ...) in order; the
queue moves inside the operation that freed a place, so no later call is needed for that.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from heapq import heappop

from chatflow.engine.config import AgentStatus, Group
from chatflow.engine.events import ClosedBy
from chatflow.engine.routing._core import Core, log
from chatflow.engine.routing._decisions import (
    Accepted,
    AgentRested,
    CollaboratorLeft,
    Decision,
    Invited,
    NoAgents,
    OfferExpired,
    StatusChanged,
    Transferred,
)
from chatflow.engine.routing._errors import (
    AgentUnavailable,
    InvalidTransfer,
    LastAgent,
    NotOffered,
    NotServing,
    RoutingError,
    UnknownSession,
)
from chatflow.engine.routing._state import (
    MAX_RINGING,
    AgentState,
    AgentView,
    GroupState,
    GroupView,
    SessionState,
    SessionView,
)


class Dispatcher(Core):
    """Queued sessions, agents and offers of every merchant; pure and synchronous."""

    # -- configuration -------------------------------------------------------------------------

    def configure_group(self, merchant: str, group: Group, now: float) -> list[Decision]:
        """Create or change a group; a new reception limit or routing applies at once."""
        g = self._groups.get((merchant, group.id))
        if g is None:
            g = GroupState(
                merchant,
                group.id,
                group.max_sessions,
                group.routing,
                group.ring_timeout,
                group.rest_after_missed,
                group.auto_accept,
            )
            self._groups[(merchant, group.id)] = g
        else:
            g.max_sessions = group.max_sessions
            g.routing = group.routing
            g.ring_timeout = group.ring_timeout
            g.rest_after_missed = group.rest_after_missed
            g.auto_accept = group.auto_accept
            g.rebuild(self._agents)
        log("routing.group", merchant=merchant, group=group.id, max_sessions=group.max_sessions)
        return self._finish([g], now, [])

    # -- agents --------------------------------------------------------------------------------

    def agent_login(
        self,
        agent_id: str,
        merchant: str,
        groups: Mapping[str, int],
        now: float,
        status: AgentStatus = "free",
    ) -> list[Decision]:
        """Bring an agent online in its groups (priority 1 highest .. 5) with ``status``."""
        if status == "offline":
            raise ValueError("an agent logs in to a status other than 'offline'")
        a = self._agents.get(agent_id)
        if a is not None and a.merchant != merchant:
            raise RoutingError(f"Agent id {agent_id!r} belongs to another merchant")
        self._check_groups(merchant, groups)
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        if a is None:
            a = AgentState(agent_id, merchant, next(self._seq), {}, "offline", now, now)
            self._agents[agent_id] = a
        self._regroup(a, groups, out, pump)
        if self._set_status(a, status, now, out, pump):
            out.append(StatusChanged(a.id, status))
        else:
            self._touch(a)  # same status, maybe new groups or priorities
        return self._finish(pump, now, out)

    def agent_logout(self, agent_id: str, now: float) -> list[Decision]:
        """Take the agent offline; it keeps the conversations it serves until they end or move."""
        return self.set_agent_status(agent_id, "offline", now)

    def set_agent_status(self, agent_id: str, status: AgentStatus, now: float) -> list[Decision]:
        """Change status; leaving ``free`` sends the agent's ringing offers to other agents."""
        a = self._agent(agent_id)
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        if self._set_status(a, status, now, out, pump):
            out.append(StatusChanged(a.id, status))
        return self._finish(pump, now, out)

    def set_agent_groups(
        self, agent_id: str, groups: Mapping[str, int], now: float
    ) -> list[Decision]:
        """Change the agent's groups or priorities; offers from groups it left are withdrawn."""
        a = self._agent(agent_id)
        self._check_groups(a.merchant, groups)
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        self._regroup(a, groups, out, pump)
        self._touch(a)
        return self._finish(pump, now, out)

    # -- sessions ------------------------------------------------------------------------------

    def enqueue(
        self,
        session_id: str,
        merchant: str,
        group: str,
        priority: int,
        now: float,
        since: float | None = None,
    ) -> list[Decision]:
        """Queue a session; repeating the call for the same group changes nothing. ``since``
        is when its wait began, if before ``now`` (a restart queues it again)."""
        g = self._group(merchant, group)
        s = self._sessions.get(session_id)
        if s is not None:
            if s.merchant == merchant and s.group is g:
                return []
            raise RoutingError(
                f"Session {session_id!r} is already with group {s.group.id!r}; transfer it instead"
            )
        s = self._new_session(session_id, g, priority, now)
        if since is not None:
            s.waiting_since = min(since, now)
        self._to_queue(s)
        out: list[Decision] = []
        if g.online == 0:
            out.append(NoAgents(s.id, g.id, self._key(s, "no_agents")))
        log("routing.enqueue", session_id=s.id, merchant=merchant, group=group, priority=priority)
        return self._finish([g], now, out)

    def restore(
        self, session_id: str, merchant: str, group: str, priority: int, agent_id: str, now: float
    ) -> list[Decision]:
        """Take back a service from before a restart: ``agent_id`` serves the session again.

        An agent not logged in yet is known offline from here on: its login finds the service
        and counts it against its room. Repeating the call changes nothing.
        """
        g = self._group(merchant, group)
        if session_id in self._sessions:
            return []
        a = self._agents.get(agent_id)
        if a is None:
            a = AgentState(agent_id, merchant, next(self._seq), {}, "offline", now, now)
            self._agents[agent_id] = a
        elif a.merchant != merchant:
            raise RoutingError(f"Agent id {agent_id!r} belongs to another merchant")
        s = self._new_session(session_id, g, priority, now)
        s.phase, s.agents = "active", [a.id]
        a.active.add(s.id)
        self._touch(a)
        log("routing.restore", session_id=s.id, agent_id=a.id, group=g.id)
        return self._finish(self._groups_of(a), now, [])

    def leave(self, session_id: str, now: float, closed_by: ClosedBy = "client") -> list[Decision]:
        """The visitor went away (or timed out): leave the queue, or end the service."""
        s = self._sessions.get(session_id)
        if s is None:
            return []
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        if s.offer is not None:
            self._withdraw(s.offer, "left", out, pump)
        self._out_of_waiting(s)
        self._close(s, closed_by, out, pump)
        return self._finish(pump, now, out)

    def accept(self, agent_id: str, session_id: str, now: float) -> list[Decision]:
        """The agent takes a session ringing for it; the service starts."""
        s = self._sessions.get(session_id)
        if s is None or s.offer is None or s.offer.agent_id != agent_id:
            raise NotOffered(session_id, agent_id)
        s, a = self._unlink(s.offer)
        s.phase = "active"
        s.agents = [a.id]
        s.missed.clear()
        a.active.add(s.id)
        self._out_of_waiting(s)
        out: list[Decision] = [Accepted(s.id, a.id, s.group.id, self._key(s, "joined"))]
        log("routing.accept", session_id=s.id, agent_id=a.id, group=s.group.id)
        self._touch(a)
        return self._finish(self._groups_of(a), now, out)

    def decline(self, agent_id: str, session_id: str, now: float) -> list[Decision]:
        """The agent refuses an offer; the session goes to someone else if anyone fits."""
        s = self._sessions.get(session_id)
        if s is None or s.offer is None or s.offer.agent_id != agent_id:
            raise NotOffered(session_id, agent_id)
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        self._withdraw(s.offer, "declined", out, pump)
        return self._finish(pump, now, out)

    def end_service(
        self,
        session_id: str,
        now: float,
        closed_by: ClosedBy = "seat",
        agent_id: str | None = None,
    ) -> list[Decision]:
        """End a conversation in service (by ``agent_id`` if given: it must be serving it)."""
        s = self._sessions.get(session_id)
        if s is None:
            raise UnknownSession(session_id)
        if s.phase != "active" or (agent_id is not None and agent_id not in s.agents):
            raise NotServing(session_id, agent_id)
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        self._close(s, closed_by, out, pump)
        return self._finish(pump, now, out)

    def transfer(
        self,
        session_id: str,
        now: float,
        *,
        to_group: str | None = None,
        to_agent: str | None = None,
    ) -> list[Decision]:
        """Move a session to another group's queue, or ring one named agent (free, with room)."""
        if (to_group is None) == (to_agent is None):
            raise InvalidTransfer("Give exactly one of to_group or to_agent")
        s = self._sessions.get(session_id)
        if s is None:
            raise UnknownSession(session_id)
        target = self._group(s.merchant, to_group) if to_group is not None else None
        agent = None
        if to_agent is not None:
            agent = self._agent(to_agent, s.merchant)
            if agent.id in s.agents or (s.offer is not None and s.offer.agent_id == agent.id):
                raise InvalidTransfer(f"Agent {agent.id!r} already has session {session_id!r}")
            self._check_room(agent, s, needs_free=True)
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        released = tuple(s.agents)
        if not s.in_waiting:  # served until now: a new wait begins (a waiting visitor's goes on)
            s.waiting_since = now
        if s.offer is not None:
            self._withdraw(s.offer, "transfer", out, pump)
        for aid in released:
            a = self._agents[aid]
            a.active.discard(s.id)
            self._touch(a)
            pump.update(dict.fromkeys(self._groups_of(a)))
        s.agents = []
        s.missed = set(released)  # the agent handing it over gets it back only if alone
        out.append(Transferred(s.id, released, to_group, to_agent, self._key(s, "transferred")))
        log("routing.transfer", session_id=s.id, to_group=to_group, to_agent=to_agent)
        if target is not None:
            self._out_of_waiting(s)
            s.group = target
            self._to_queue(s)
            if target.online == 0:
                out.append(NoAgents(s.id, target.id, self._key(s, "no_agents")))
            pump[target] = None
        elif agent is not None:
            self._out_of_waiting(s)
            self._ring(s, agent, now, out, directed=True)
        return self._finish(pump, now, out)

    def invite(self, session_id: str, agent_id: str, now: float) -> list[Decision]:
        """Add an online agent with room to a conversation in service, next to its agents."""
        s = self._active(session_id, None)
        a = self._agent(agent_id, s.merchant)
        if a.id in s.agents:
            raise AgentUnavailable(a.id, "already in the conversation")
        self._check_room(a, s, needs_free=False)
        s.agents.append(a.id)
        a.active.add(s.id)
        self._touch(a)
        log("routing.invite", session_id=s.id, agent_id=a.id)
        return self._finish([], now, [Invited(s.id, a.id)])

    def leave_collaboration(self, session_id: str, agent_id: str, now: float) -> list[Decision]:
        """An agent leaves a conversation that another agent keeps serving."""
        s = self._active(session_id, agent_id)
        if len(s.agents) == 1:
            raise LastAgent(session_id, agent_id)
        s.agents.remove(agent_id)
        a = self._agents[agent_id]
        a.active.discard(s.id)
        self._touch(a)
        log("routing.leave_collaboration", session_id=s.id, agent_id=a.id)
        return self._finish(self._groups_of(a), now, [CollaboratorLeft(s.id, a.id)])

    # -- time ----------------------------------------------------------------------------------

    def tick(self, now: float) -> list[Decision]:
        """Expire offers rung out by ``now``; each goes to another agent (resting the first)."""
        out: list[Decision] = []
        pump: dict[GroupState, None] = {}
        expiry = self._expiry
        while expiry and expiry[0][0] <= now:
            _, token, sid = heappop(expiry)
            s = self._sessions.get(sid)
            if s is None or s.offer is None or s.offer.token != token:
                continue
            s, a = self._unlink(s.offer)
            out.append(OfferExpired(s.id, a.id))
            log("routing.expired", session_id=s.id, agent_id=a.id, group=s.group.id)
            s.missed.add(a.id)
            self._to_queue(s)
            pump[s.group] = None
            if s.group.rest_after_missed and a.status == "free":
                self._set_status(a, "rest", now, out, pump, reason="rest")
                out.append(AgentRested(a.id, s.id))
            else:
                self._touch(a)
                pump.update(dict.fromkeys(self._groups_of(a)))
        return self._finish(pump, now, out)

    def next_deadline(self) -> float | None:
        """When the next ringing offer runs out (None when nothing rings): when to ``tick``."""
        expiry = self._expiry
        while expiry:
            _, token, sid = expiry[0]
            s = self._sessions.get(sid)
            if s is not None and s.offer is not None and s.offer.token == token:
                return expiry[0][0]
            heappop(expiry)
        return None

    # -- reading -------------------------------------------------------------------------------

    def session(self, session_id: str) -> SessionView | None:
        s = self._sessions.get(session_id)
        return SessionView.of(s) if s is not None else None

    def agent(self, agent_id: str) -> AgentView | None:
        a = self._agents.get(agent_id)
        return AgentView.of(a) if a is not None else None

    def group(self, merchant: str, group: str) -> GroupView:
        return GroupView.of(self._group(merchant, group))

    def sessions(self) -> Iterator[SessionView]:
        return (SessionView.of(s) for s in self._sessions.values())

    def sessions_of(self, agent_id: str) -> list[SessionView]:
        """The sessions ringing for the agent or served by it, in arrival order (read from the
        agent's own sets, not by scanning every session)."""
        a = self._agents.get(agent_id)
        if a is None:
            return []
        found = (self._sessions.get(sid) for sid in (*a.offers, *a.active))
        return [SessionView.of(s) for s in sorted((s for s in found if s), key=_arrival)]

    def agents(self) -> Iterator[AgentView]:
        return (AgentView.of(a) for a in self._agents.values())

    def groups(self) -> Iterator[GroupView]:
        return (GroupView.of(g) for g in self._groups.values())

    # -- helpers -------------------------------------------------------------------------------

    def _new_session(
        self, session_id: str, g: GroupState, priority: int, now: float
    ) -> SessionState:
        seq = next(self._seq)
        stem = f"routing:{session_id}:{round(now * 1000)}.{seq}:"
        s = SessionState(session_id, g.merchant, g, priority, seq, stem, waiting_since=now)
        self._sessions[session_id] = s
        return s

    def _check_groups(self, merchant: str, groups: Mapping[str, int]) -> None:
        for gid, priority in groups.items():
            self._group(merchant, gid)
            if not 1 <= priority <= 5:
                raise ValueError(f"priority of group {gid!r} must be 1..5, not {priority}")

    def _check_room(self, a: AgentState, s: SessionState, *, needs_free: bool) -> None:
        """A transfer needs a free agent, an invitation an online one; both need room.

        Room is counted against the session's group when the agent belongs to it, else against
        the agent's own groups: a group's limit never stretches an agent who is not in it.
        """
        if a.status == "offline" or (needs_free and a.status != "free"):
            raise AgentUnavailable(a.id, a.status)
        own = [g.max_sessions for g in self._groups_of(a)]
        limit = s.group.max_sessions if s.group.id in a.groups or not own else max(own)
        if a.load >= limit or (needs_free and len(a.offers) >= MAX_RINGING):
            raise AgentUnavailable(a.id, "full")


def _arrival(s: SessionState) -> int:
    return s.seq
