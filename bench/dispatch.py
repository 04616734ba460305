"""Benchmark of the dispatcher: decisions per second with a long queue and many agents.

10,000 visitors wait and 1,000 agents work in 10 groups (half ``fifo``, half ``priority``; one
agent in ten serves a second group). The measured loop is a seeded random mix of what a busy
floor does: agents accept ringing offers (the queue moves up: every visitor behind gets a new
position), end conversations (a new visitor arrives for each, keeping the queue at 10,000) and
switch between ``free`` and ``busy`` (offers are withdrawn and go to others). A *decision* is an
offer or an auto-assignment; position updates are counted separately.

The same-run baseline is a naive dispatcher with the same rules that, for every decision, scans
all agents and sorts all queued sessions, and recomputes every position after each operation.
Before measuring, both run one small workload side by side and must make identical offers, so
the baseline is a fair one. Times are CPU time of the dispatcher calls (``time.process_time``),
so the figures hold on a machine busy with other work.

Run: ``python bench/dispatch.py [--quick]``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatflow.engine.config import Group
from chatflow.engine.routing import (
    MAX_RINGING,
    Accepted,
    Assigned,
    Decision,
    Dispatcher,
    Ended,
    Offer,
    OfferWithdrawn,
    PositionChanged,
)

M = "acme"
RING = 3600.0  # offers never ring out during the run: the loop measures dispatching


class Desk(Protocol):
    def configure_group(self, merchant: str, group: Group, now: float) -> list[Decision]: ...
    def agent_login(
        self, agent_id: str, merchant: str, groups: dict[str, int], now: float, status: Any
    ) -> list[Decision]: ...
    def set_agent_status(self, agent_id: str, status: Any, now: float) -> list[Decision]: ...
    def enqueue(
        self, session_id: str, merchant: str, group: str, priority: int, now: float
    ) -> list[Decision]: ...
    def accept(self, agent_id: str, session_id: str, now: float) -> list[Decision]: ...
    def end_service(self, session_id: str, now: float) -> list[Decision]: ...


# -- the naive baseline ------------------------------------------------------------------------


@dataclass
class _Agent:
    id: str
    seq: int
    groups: dict[str, int]
    status: str
    idle: float
    active: set[str] = field(default_factory=set)
    offers: set[str] = field(default_factory=set)


@dataclass
class _Session:
    id: str
    group: str
    priority: int
    seq: int
    phase: str = "queued"
    agent: str | None = None


class NaiveDispatcher:
    """Same rules, no indexes: every decision scans all agents and sorts all queued sessions."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.agents: dict[str, _Agent] = {}
        self.sessions: dict[str, _Session] = {}
        self.told: dict[str, int] = {}
        self.seq = 0
        self.batch = False

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def configure_group(self, merchant: str, group: Group, now: float) -> list[Decision]:
        self.groups[group.id] = group
        return []

    def agent_login(
        self, agent_id: str, merchant: str, groups: dict[str, int], now: float, status: Any
    ) -> list[Decision]:
        self.agents[agent_id] = _Agent(agent_id, self._next(), dict(groups), status, now)
        return self._finish(now, [])

    def set_agent_status(self, agent_id: str, status: Any, now: float) -> list[Decision]:
        a = self.agents[agent_id]
        out: list[Decision] = []
        if a.status == status:
            return out
        a.status = status
        if status != "free":
            for sid in sorted(a.offers, key=lambda sid: self.sessions[sid].seq):
                self.sessions[sid].phase, self.sessions[sid].agent = "queued", None
                out.append(OfferWithdrawn(sid, a.id, "status"))
            a.offers.clear()
        else:
            a.idle = now
        return self._finish(now, out)

    def enqueue(
        self, session_id: str, merchant: str, group: str, priority: int, now: float
    ) -> list[Decision]:
        self.sessions[session_id] = _Session(session_id, group, priority, self._next())
        return self._finish(now, [])

    def accept(self, agent_id: str, session_id: str, now: float) -> list[Decision]:
        s, a = self.sessions[session_id], self.agents[agent_id]
        a.offers.discard(s.id)
        a.active.add(s.id)
        s.phase = "active"
        self.told.pop(s.id, None)
        return self._finish(now, [Accepted(s.id, a.id, s.group, "")])

    def end_service(self, session_id: str, now: float) -> list[Decision]:
        s = self.sessions.pop(session_id)
        a = self.agents[s.agent or ""]
        a.active.discard(s.id)
        return self._finish(now, [Ended(s.id, (a.id,), "seat", "")])

    def _fits(self, a: _Agent, group: str) -> bool:
        limit = self.groups[group].max_sessions
        return (
            a.status == "free"
            and len(a.offers) < MAX_RINGING
            and len(a.active) + len(a.offers) < limit
        )

    def _decide(self, now: float, out: list[Decision]) -> bool:
        """One decision: full scan of the agents, sorted full scan of the queued sessions."""
        best: dict[str, tuple[tuple[int, float, int], _Agent]] = {}
        for a in self.agents.values():
            for gid, priority in a.groups.items():
                if self._fits(a, gid):
                    rank = priority if self.groups[gid].routing == "priority" else 0
                    key = (rank, a.idle, a.seq)
                    if gid not in best or key < best[gid][0]:
                        best[gid] = (key, a)
        if not best:
            return False
        queued = sorted(
            (-s.priority, s.seq, s.id) for s in self.sessions.values() if s.phase == "queued"
        )
        for _, _, sid in queued:
            s = self.sessions[sid]
            if s.group in best:
                a = best[s.group][1]
                a.idle = now
                a.offers.add(s.id)
                s.phase, s.agent = "ringing", a.id
                out.append(Offer(s.id, a.id, s.group, now + RING, RING))
                return True
        return False

    def _finish(self, now: float, out: list[Decision]) -> list[Decision]:
        if self.batch:
            return out
        while self._decide(now, out):
            pass
        waiting: dict[str, list[_Session]] = defaultdict(list)
        for s in sorted(self.sessions.values(), key=lambda s: (-s.priority, s.seq)):
            if s.phase != "active":
                waiting[s.group].append(s)
        for sessions in waiting.values():
            for ahead, s in enumerate(sessions):
                if self.told.get(s.id) != ahead:
                    self.told[s.id] = ahead
                    out.append(PositionChanged(s.id, ahead, ""))
        return out


# -- the workload ------------------------------------------------------------------------------


class Picker:
    """A set with O(1) add, remove and random choice (the harness must not be the bottleneck)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.where: dict[str, int] = {}

    def add(self, item: str) -> None:
        self.where[item] = len(self.items)
        self.items.append(item)

    def remove(self, item: str) -> None:
        index = self.where.pop(item)
        last = self.items.pop()
        if index < len(self.items):
            self.items[index] = last
            self.where[last] = index

    def choice(self, rng: random.Random) -> str:
        return self.items[rng.randrange(len(self.items))]


@dataclass
class Floor:
    """What the harness knows from the decisions: what rings, what is in service."""

    ringing: Picker = field(default_factory=Picker)
    offered_to: dict[str, str] = field(default_factory=dict)
    active: Picker = field(default_factory=Picker)
    decisions: int = 0
    positions: int = 0
    offers: list[list[tuple[str, str]]] = field(default_factory=list)

    def take(self, out: list[Decision], record: bool = False) -> None:
        """Apply one operation's decisions, sorted, so picks do not depend on their order."""
        ring_off, ring_on, done, served = [], [], [], []
        assigned = 0
        for d in out:
            if type(d) is PositionChanged:
                self.positions += 1
            elif isinstance(d, Offer):
                ring_on.append((d.session_id, d.agent_id))
            elif isinstance(d, Assigned):
                served.append(d.session_id)
                assigned += 1
            elif isinstance(d, Accepted):
                ring_off.append(d.session_id)
                served.append(d.session_id)
            elif isinstance(d, OfferWithdrawn):
                ring_off.append(d.session_id)
            elif isinstance(d, Ended):
                done.append(d.session_id)
        for sid in sorted(ring_off):
            self.ringing.remove(sid)
        for sid in sorted(done):
            self.active.remove(sid)
        for sid, agent in sorted(ring_on):
            self.ringing.add(sid)
            self.offered_to[sid] = agent
        for sid in sorted(served):
            self.active.add(sid)
        self.decisions += len(ring_on) + assigned
        if record:
            self.offers.append(sorted(ring_on))


def build(
    desk: Desk, groups: int, agents: int, queued: int, seed: int
) -> tuple[Floor, list[str], dict[str, str], int]:
    """Groups, agents (70 % free) and enough visitors that ``queued`` wait beyond the offers."""
    rng = random.Random(seed)
    floor = Floor()
    for g in range(groups):
        routing = "priority" if g % 2 else "fifo"
        desk.configure_group(
            M, Group(id=f"g{g}", max_sessions=5, routing=routing, ring_timeout=RING), 0
        )
    ids, status = [], {}
    for n in range(agents):
        memberships = {f"g{n % groups}": rng.randint(1, 5)}
        if n % 10 == 0:
            memberships[f"g{(n + 1) % groups}"] = rng.randint(1, 5)
        aid = f"a{n}"
        status[aid] = "free" if rng.random() < 0.7 else "busy"
        floor.take(desk.agent_login(aid, M, memberships, 0, status[aid]))
        ids.append(aid)
    free = sum(1 for s in status.values() if s == "free")
    for n in range(queued + free * MAX_RINGING):
        floor.take(desk.enqueue(f"v{n}", M, f"g{n % groups}", int(rng.random() < 0.1), 0))
    return floor, ids, status, queued + free * MAX_RINGING


def work(
    desk: Desk,
    floor: Floor,
    agents: list[str],
    status: dict[str, str],
    next_visitor: int,
    ops: int,
    seed: int,
    groups: int,
    record: bool = False,
) -> dict[str, list[float]]:
    """Run ``ops`` operations of the random mix; CPU seconds spent in the dispatcher and count,
    by kind of operation (the harness's own bookkeeping is not timed)."""
    rng = random.Random(seed)
    now = 1.0
    spent: dict[str, list[float]] = {"accept": [0, 0], "end + arrival": [0, 0], "status": [0, 0]}
    clock = time.process_time  # CPU time: the figures hold on a loaded machine
    for _ in range(ops):
        now += 0.001
        roll = rng.random()
        if roll < 0.4 and floor.ringing.items:
            kind, sid = "accept", floor.ringing.choice(rng)
            started = clock()
            out = desk.accept(floor.offered_to[sid], sid, now)
            took = clock() - started
        elif roll < 0.7 and floor.active.items:
            kind, sid = "end + arrival", floor.active.choice(rng)
            started = clock()
            out = desk.end_service(sid, now)
            took = clock() - started
            floor.take(out, record)
            vid, group, priority = f"v{next_visitor}", f"g{rng.randrange(groups)}", rng.random()
            started = clock()
            out = desk.enqueue(vid, M, group, int(priority < 0.1), now)
            took += clock() - started
            next_visitor += 1
        else:
            kind, aid = "status", agents[rng.randrange(len(agents))]
            status[aid] = "busy" if status[aid] == "free" else "free"
            started = clock()
            out = desk.set_agent_status(aid, status[aid], now)
            took = clock() - started
        spent[kind][0] += took
        spent[kind][1] += 1
        floor.take(out, record)
    return spent


def cross_check() -> int:
    """Both dispatchers on one small workload must make the same offers, operation by operation."""
    floors = []
    for desk in (Dispatcher(), NaiveDispatcher()):
        floor, agents, status, visitors = build(desk, 3, 30, 300, seed=7)
        floor.offers.clear()
        work(desk, floor, agents, status, visitors, 3000, seed=11, groups=3, record=True)
        floors.append(floor)
    assert floors[0].offers == floors[1].offers, "the baseline decides differently"
    assert floors[0].positions == floors[1].positions
    return sum(len(o) for o in floors[0].offers)


def measure(desk: Desk, ops: int, args: argparse.Namespace) -> dict[str, float]:
    if isinstance(desk, NaiveDispatcher):
        desk.batch = True  # load the queue without deciding per arrival, then decide once
    floor, agents, status, visitors = build(desk, args.groups, args.agents, args.queued, seed=1)
    if isinstance(desk, NaiveDispatcher):
        desk.batch = False
        floor.take(desk._finish(0, []))
    floor.decisions = floor.positions = 0
    spent = work(desk, floor, agents, status, visitors, ops, seed=2, groups=args.groups)
    seconds = sum(t for t, _ in spent.values())
    result = {
        "ops/s": ops / seconds,
        "decisions/s": floor.decisions / seconds,
        "positions/s": floor.positions / seconds,
    }
    result.update({f"us per {kind}": t / n * 1e6 for kind, (t, n) in spent.items() if n})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--groups", type=int, default=10)
    args = parser.parse_args()
    fast_ops, naive_ops = (2_000, 20) if args.quick else (10_000, 200)
    print(f"cross-check: both dispatchers made the same {cross_check()} offers")
    print(f"{args.queued} queued, {args.agents} agents, {args.groups} groups")
    base = measure(NaiveDispatcher(), naive_ops, args)
    fast = measure(Dispatcher(), fast_ops, args)
    print(f"{'':28}{'naive (baseline)':>18}{'Dispatcher':>14}{'ratio':>8}")
    for name in fast:
        ratio = fast[name] / base[name] if name.endswith("/s") else base[name] / fast[name]
        print(f"{name:28}{base[name]:>18,.0f}{fast[name]:>14,.0f}{ratio:>7,.0f}x")


if __name__ == "__main__":
    main()
