"""The dispatcher's machinery: matching queued sessions to agents and reporting positions.

:class:`~chatflow.engine.routing.Dispatcher` builds its operations from these steps. Every step
works on one group's indexes (or one agent's groups), never on all sessions or all agents, which
is what keeps a decision cheap with 10,000 visitors waiting.
"""

from __future__ import annotations

import itertools
import logging
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from heapq import heapify, heappop, heappush
from typing import Any

from chatflow.engine.config import AgentStatus
from chatflow.engine.events import ClosedBy
from chatflow.engine.routing._decisions import (
    Assigned,
    Decision,
    Ended,
    NoAgents,
    Offer,
    OfferWithdrawn,
    PositionChanged,
    WithdrawReason,
)
from chatflow.engine.routing._errors import NotServing, UnknownAgent, UnknownGroup, UnknownSession
from chatflow.engine.routing._state import AgentState, GroupState, OfferState, SessionState

logger = logging.getLogger("chatflow.routing")

GroupKey = tuple[str, str]
"""(merchant, group id): groups of different merchants never meet."""


def log(event: str, **fields: Any) -> None:
    """Structured log line (``routing.offer`` ...); skipped cheaply when INFO is off."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(event, extra={"event": event, **fields})


class Counter:
    """``itertools.count(1)`` that pickles on every Python (a replica's snapshot holds it)."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = 0

    def __next__(self) -> int:
        self.last += 1
        return self.last


class Core:
    """State plus the steps operations are made of; holds no I/O and reads no clock."""

    def __init__(self) -> None:
        self._groups: dict[GroupKey, GroupState] = {}
        self._agents: dict[str, AgentState] = {}
        self._sessions: dict[str, SessionState] = {}
        self._expiry: list[tuple[float, int, str]] = []
        self._seq = Counter()
        self._tokens = Counter()
        self._dirty: dict[GroupState, None] = {}

    # -- lookups -------------------------------------------------------------------------------

    def _group(self, merchant: str, group: str) -> GroupState:
        found = self._groups.get((merchant, group))
        if found is None:
            known = [gid for (m, gid) in self._groups if m == merchant]
            raise UnknownGroup(merchant, group, known)
        return found

    def _key(self, s: SessionState, kind: str) -> str:
        """Deterministic idempotency key: same operations at the same times, same keys."""
        s.notices += 1
        return f"{s.stem}{s.notices}:{kind}"

    # -- queue and positions -------------------------------------------------------------------

    def _to_queue(self, s: SessionState) -> None:
        """Make the session wait for an offer in its group (entering the position list if new)."""
        s.phase = "queued"
        s.token = next(self._tokens)
        g = s.group
        heappush(g.queue, (-s.priority, s.seq, s.token, s.id))
        if not s.in_waiting:
            key = s.wait_key
            index = bisect_left(g.waiting, key)
            g.waiting.insert(index, key)
            g.waiting_sessions.insert(index, s)
            s.in_waiting = True
            g.mark(index)
            self._dirty[g] = None
        if len(g.queue) > 2 * len(g.waiting) + 64:  # visitors left from the middle: compact
            g.queue = [
                (-w.priority, w.seq, w.token, w.id)
                for w in g.waiting_sessions
                if w.phase == "queued"
            ]
            heapify(g.queue)

    def _out_of_waiting(self, s: SessionState) -> None:
        if s.in_waiting:
            g = s.group
            index = bisect_left(g.waiting, s.wait_key)
            del g.waiting[index]
            del g.waiting_sessions[index]
            s.in_waiting = False
            s.ahead = None
            g.mark(index)
            self._dirty[g] = None

    def _head(self, g: GroupState) -> SessionState | None:
        """The group's next session to offer, dropping stale heap entries on the way."""
        queue = g.queue
        while queue:
            _, _, token, sid = queue[0]
            s = self._sessions.get(sid)
            if s is not None and s.token == token and s.phase == "queued" and s.group is g:
                return s
            heappop(queue)
        return None

    def _flush_positions(self, out: list[Decision]) -> None:
        """Report the position of every waiting session whose count of visitors ahead changed."""
        append = out.append
        for g in self._dirty:
            waiting = g.waiting_sessions
            for index in range(g.dirty_from or 0, len(waiting)):
                s = waiting[index]
                if s.ahead != index:
                    s.ahead = index
                    s.notices += 1
                    append(PositionChanged(s.id, index, f"{s.stem}{s.notices}:position"))
            g.dirty_from = None
        self._dirty.clear()

    def _no_agents(self, g: GroupState, out: list[Decision]) -> None:
        log("routing.no_agents", merchant=g.merchant, group=g.id, waiting=len(g.waiting))
        sessions = self._sessions
        for _, _, sid in g.waiting:
            out.append(NoAgents(sid, g.id, self._key(sessions[sid], "no_agents")))

    # -- agents --------------------------------------------------------------------------------

    def _touch(self, a: AgentState) -> None:
        """The agent changed: re-enter it in every group index it now fits."""
        a.version += 1
        for gid in a.groups:
            self._groups[(a.merchant, gid)].index(a, self._agents)

    def _pick(self, g: GroupState, s: SessionState) -> AgentState | None:
        """Best agent for the session per the group's routing; one that missed it only if alone."""
        heap = g.agents
        agents = self._agents
        aside: list[tuple[int, float, int, int, str]] = []
        fallback: AgentState | None = None
        chosen: AgentState | None = None
        while heap:
            entry = heap[0]
            a = agents.get(entry[4])
            if a is None or a.version != entry[3] or not g.fits(a):
                heappop(heap)
                continue
            if a.id in s.missed:
                aside.append(heappop(heap))
                fallback = fallback or a
                continue
            chosen = a
            break
        for entry in aside:
            heappush(heap, entry)
        return chosen or fallback

    def _set_status(
        self,
        a: AgentState,
        status: AgentStatus,
        now: float,
        out: list[Decision],
        pump: dict[GroupState, None],
        reason: WithdrawReason = "status",
    ) -> bool:
        """Change status; an agent that is not free keeps no ringing offer. False if unchanged."""
        old = a.status
        if old == status:
            return False
        a.status = status
        a.status_since = now
        if status != "free":
            for offer in list(a.offers.values()):
                self._withdraw(offer, reason, out, pump)
        groups = [self._groups[(a.merchant, gid)] for gid in a.groups]
        if old == "offline":
            for g in groups:
                g.online += 1
        elif status == "offline":
            for g in groups:
                g.online -= 1
                if g.online == 0:
                    self._no_agents(g, out)
        if status == "free":
            a.idle_since = now
        self._touch(a)
        pump.update(dict.fromkeys(groups))
        log("routing.status", agent_id=a.id, merchant=a.merchant, status=status, was=old)
        return True

    # -- offers --------------------------------------------------------------------------------

    def _unlink(self, offer: OfferState) -> tuple[SessionState, AgentState]:
        s = self._sessions[offer.session_id]
        a = self._agents[offer.agent_id]
        del a.offers[s.id]
        s.offer = None
        return s, a

    def _withdraw(
        self,
        offer: OfferState,
        reason: WithdrawReason,
        out: list[Decision],
        pump: dict[GroupState, None],
    ) -> None:
        """Stop an offer ringing; its session goes back to the queue unless it leaves or moves."""
        s, a = self._unlink(offer)
        out.append(OfferWithdrawn(s.id, a.id, reason))
        log("routing.withdraw", session_id=s.id, agent_id=a.id, reason=reason)
        if reason not in ("left", "transfer"):
            if reason == "declined":
                s.missed.add(a.id)
            self._to_queue(s)
            pump[s.group] = None
        self._touch(a)
        pump.update(dict.fromkeys(self._groups[(a.merchant, gid)] for gid in a.groups))

    def _ring(
        self,
        s: SessionState,
        a: AgentState,
        now: float,
        out: list[Decision],
        directed: bool = False,
    ) -> None:
        """Offer the session to the agent, or hand it over at once when the group auto-accepts."""
        g = s.group
        a.idle_since = now
        if g.auto_accept:
            s.phase = "active"
            s.agents = [a.id]
            s.missed.clear()
            a.active.add(s.id)
            self._out_of_waiting(s)
            out.append(Assigned(s.id, a.id, g.id, self._key(s, "joined")))
            log("routing.assigned", session_id=s.id, agent_id=a.id, merchant=g.merchant, group=g.id)
        else:
            offer = OfferState(s.id, a.id, now + g.ring_timeout, directed, next(self._tokens))
            s.phase = "ringing"
            s.offer = offer
            a.offers[s.id] = offer
            heappush(self._expiry, (offer.expires_at, offer.token, s.id))
            out.append(Offer(s.id, a.id, g.id, offer.expires_at, g.ring_timeout))
            log("routing.offer", session_id=s.id, agent_id=a.id, merchant=g.merchant, group=g.id)
        self._touch(a)

    def _pump(self, groups: Iterable[GroupState], now: float, out: list[Decision]) -> None:
        """Offer queued sessions to fitting agents until every group is empty or blocked.

        Across groups the best session goes first (priority, then arrival), so an agent in
        several groups serves the longest-waiting visitor of all of them.
        """
        order = itertools.count()
        heap: list[tuple[int, int, int, GroupState]] = []
        for g in dict.fromkeys(groups):
            head = self._head(g)
            if head is not None:
                heap.append((-head.priority, head.seq, next(order), g))
        heap.sort()
        while heap:
            neg_priority, seq, _, g = heappop(heap)
            s = self._head(g)
            if s is None:
                continue
            if (-s.priority, s.seq) != (neg_priority, seq):
                heappush(heap, (-s.priority, s.seq, next(order), g))
                continue
            a = self._pick(g, s)
            if a is None:
                continue  # nobody fits in this group; offers only shrink what others can take
            heappop(g.queue)
            self._ring(s, a, now, out)
            head = self._head(g)
            if head is not None:
                heappush(heap, (-head.priority, head.seq, next(order), g))

    def _finish(
        self, pump: Iterable[GroupState], now: float, out: list[Decision]
    ) -> list[Decision]:
        """Common tail of an operation: move the queue, then report changed positions."""
        self._pump(pump, now, out)
        self._flush_positions(out)
        return out

    # -- memberships and closing ------------------------------------------------------------

    def _agent(self, agent_id: str, merchant: str | None = None) -> AgentState:
        a = self._agents.get(agent_id)
        if a is None or (merchant is not None and a.merchant != merchant):
            raise UnknownAgent(agent_id)
        return a

    def _active(self, session_id: str, agent_id: str | None) -> SessionState:
        s = self._sessions.get(session_id)
        if s is None:
            raise UnknownSession(session_id)
        if s.phase != "active" or (agent_id is not None and agent_id not in s.agents):
            raise NotServing(session_id, agent_id)
        return s

    def _groups_of(self, a: AgentState) -> list[GroupState]:
        return [self._groups[(a.merchant, gid)] for gid in a.groups]

    def _regroup(
        self,
        a: AgentState,
        groups: Mapping[str, int],
        out: list[Decision],
        pump: dict[GroupState, None],
    ) -> None:
        """Set the agent's memberships, keeping each group's online count right."""
        online = a.status != "offline"
        for gid in list(a.groups):
            if gid in groups:
                continue
            g = self._groups[(a.merchant, gid)]
            del a.groups[gid]
            del g.members[a.id]
            pump[g] = None
            for offer in [o for o in a.offers.values() if not o.directed]:
                if self._sessions[offer.session_id].group is g:
                    self._withdraw(offer, "group", out, pump)
            if online:
                g.online -= 1
                if g.online == 0:
                    self._no_agents(g, out)
        for gid, priority in groups.items():
            g = self._groups[(a.merchant, gid)]
            if gid not in a.groups and online:
                g.online += 1
            a.groups[gid] = priority
            g.members[a.id] = priority
            pump[g] = None

    def _close(
        self,
        s: SessionState,
        closed_by: ClosedBy,
        out: list[Decision],
        pump: dict[GroupState, None],
    ) -> None:
        """Forget the session; agents serving it get their places back."""
        if s.phase == "active":
            for aid in s.agents:
                a = self._agents[aid]
                a.active.discard(s.id)
                self._touch(a)
                pump.update(dict.fromkeys(self._groups_of(a)))
            out.append(Ended(s.id, tuple(s.agents), closed_by, self._key(s, "ended")))
            log("routing.ended", session_id=s.id, agents=list(s.agents), closed_by=closed_by)
        del self._sessions[s.id]
