"""Random arrivals, statuses, accepts, timeouts, transfers and ends; the queue rules hold after each."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from chatflow.engine.config import Group
from chatflow.engine.routing import (
    MAX_RINGING,
    Accepted,
    AgentUnavailable,
    Assigned,
    Decision,
    Dispatcher,
    Ended,
    InvalidTransfer,
    Invited,
    LastAgent,
    NoAgents,
    NotServing,
    PositionChanged,
    RoutingError,
    Transferred,
    UnknownAgent,
)

MERCHANTS = ("acme", "globex")
GROUPS = ("presales", "vip")
AGENTS = tuple(f"{m}-{i}" for m in MERCHANTS for i in range(3))
STATUSES = ("free", "free", "busy", "rest", "offline")


def merchant_of(agent: str) -> str:
    return agent.split("-")[0]


class DispatchMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.d = Dispatcher()
        self.now = 0.0
        self.count = 0
        self.groups_of: dict[str, dict[str, int]] = {}
        self.limits: dict[tuple[str, str], int] = {}
        self.invited: dict[str, set[str]] = {}
        self.told: dict[str, int] = {}
        self.no_agents: set[str] = set()

    @initialize(
        limits=st.lists(st.integers(1, 6), min_size=4, max_size=4),
        routings=st.lists(st.sampled_from(["fifo", "priority"]), min_size=4, max_size=4),
        rests=st.lists(st.booleans(), min_size=4, max_size=4),
        auto=st.lists(st.sampled_from([False, False, False, True]), min_size=4, max_size=4),
        memberships=st.lists(
            st.dictionaries(st.sampled_from(GROUPS), st.integers(1, 5), min_size=1),
            min_size=len(AGENTS),
            max_size=len(AGENTS),
        ),
    )
    def configure(
        self,
        limits: list[int],
        routings: list[Any],
        rests: list[bool],
        auto: list[bool],
        memberships: list[dict[str, int]],
    ) -> None:
        for i, (m, g) in enumerate((m, g) for m in MERCHANTS for g in GROUPS):
            group = Group(
                id=g,
                max_sessions=limits[i],
                routing=routings[i],
                ring_timeout=10,
                rest_after_missed=rests[i],
                auto_accept=auto[i],
            )
            self.limits[(m, g)] = limits[i]
            self.apply(self.d.configure_group(m, group, self.now))
        self.groups_of = dict(zip(AGENTS, memberships, strict=True))

    # -- bookkeeping ---------------------------------------------------------------------------

    def apply(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, PositionChanged):
                self.told[d.session_id] = d.ahead
            elif isinstance(d, NoAgents):
                self.no_agents.add(d.session_id)
            elif isinstance(d, Accepted | Assigned | Transferred):
                self.invited[d.session_id] = set()
            elif isinstance(d, Invited):
                self.invited.setdefault(d.session_id, set()).add(d.agent_id)
            elif isinstance(d, Ended):
                self.invited.pop(d.session_id, None)
                self.told.pop(d.session_id, None)

    def ids(self, phase: str | None = None) -> list[str]:
        return sorted(s.session_id for s in self.d.sessions() if phase in (None, s.phase))

    def snapshot(self) -> tuple[Any, ...]:
        return (sorted(map(repr, self.d.sessions())), sorted(map(repr, self.d.agents())))

    def refused(self, call: Any, *errors: type[RoutingError]) -> None:
        """Run an operation that may be refused; a refusal must leave everything as it was."""
        before = self.snapshot()
        try:
            self.apply(call())
        except errors:
            assert self.snapshot() == before

    # -- rules ---------------------------------------------------------------------------------

    @rule(
        merchant=st.sampled_from(MERCHANTS), group=st.sampled_from(GROUPS), prio=st.integers(0, 2)
    )
    def arrive(self, merchant: str, group: str, prio: int) -> None:
        self.count += 1
        sid = f"s{self.count}"
        nobody = self.d.group(merchant, group).online == 0
        self.apply(self.d.enqueue(sid, merchant, group, prio, self.now))
        assert (sid in self.no_agents) == nobody
        assert sid in self.told or self.d.session(sid).phase == "active"  # type: ignore[union-attr]

    @rule(merchant=st.sampled_from(MERCHANTS), group=st.sampled_from(GROUPS), n=st.integers(2, 6))
    def rush(self, merchant: str, group: str, n: int) -> None:
        for _ in range(n):
            self.arrive(merchant, group, 0)

    @rule(agent=st.sampled_from(AGENTS), status=st.sampled_from(STATUSES))
    def status(self, agent: str, status: Any) -> None:
        if self.d.agent(agent) is None:
            if status != "offline":
                groups = self.groups_of[agent]
                self.apply(self.d.agent_login(agent, merchant_of(agent), groups, self.now, status))
        else:
            self.apply(self.d.set_agent_status(agent, status, self.now))

    @precondition(lambda self: self.ids("ringing"))
    @rule(data=st.data(), accept=st.booleans())
    def answer(self, data: st.DataObject, accept: bool) -> None:
        sid = data.draw(st.sampled_from(self.ids("ringing")))
        view = self.d.session(sid)
        assert view is not None and view.offered_to is not None
        op = self.d.accept if accept else self.d.decline
        self.apply(op(view.offered_to, sid, self.now))

    @rule(seconds=st.floats(0, 12))
    def wait(self, seconds: float) -> None:
        self.now += seconds
        self.apply(self.d.tick(self.now))

    @precondition(lambda self: self.ids())
    @rule(data=st.data())
    def visitor_leaves(self, data: st.DataObject) -> None:
        self.apply(self.d.leave(data.draw(st.sampled_from(self.ids())), self.now))

    @precondition(lambda self: self.ids("active"))
    @rule(data=st.data())
    def agent_ends(self, data: st.DataObject) -> None:
        self.apply(self.d.end_service(data.draw(st.sampled_from(self.ids("active"))), self.now))

    @precondition(lambda self: self.ids())
    @rule(data=st.data(), group=st.sampled_from(GROUPS))
    def transfer_to_group(self, data: st.DataObject, group: str) -> None:
        sid = data.draw(st.sampled_from(self.ids()))
        self.apply(self.d.transfer(sid, self.now, to_group=group))

    @precondition(lambda self: self.ids())
    @rule(data=st.data(), agent=st.sampled_from(AGENTS))
    def transfer_to_agent(self, data: st.DataObject, agent: str) -> None:
        sid = data.draw(st.sampled_from(self.ids()))
        call = lambda: self.d.transfer(sid, self.now, to_agent=agent)  # noqa: E731
        self.refused(call, AgentUnavailable, InvalidTransfer, UnknownAgent)

    @precondition(lambda self: self.ids("active"))
    @rule(data=st.data(), agent=st.sampled_from(AGENTS))
    def invite(self, data: st.DataObject, agent: str) -> None:
        sid = data.draw(st.sampled_from(self.ids("active")))
        self.refused(lambda: self.d.invite(sid, agent, self.now), AgentUnavailable, UnknownAgent)

    @precondition(lambda self: self.ids("active"))
    @rule(data=st.data(), agent=st.sampled_from(AGENTS))
    def leave_collaboration(self, data: st.DataObject, agent: str) -> None:
        sid = data.draw(st.sampled_from(self.ids("active")))
        call = lambda: self.d.leave_collaboration(sid, agent, self.now)  # noqa: E731
        self.refused(call, LastAgent, NotServing)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def agents_within_limits(self) -> None:
        for a in self.d.agents():
            assert len(a.ringing) <= MAX_RINGING
            assert not a.ringing or a.status == "free"
            limit = max(self.limits[(a.merchant, g)] for g in a.groups)
            assert len(a.active) + len(a.ringing) <= limit

    @invariant()
    def conversations_have_the_agents_they_should(self) -> None:
        agents = {a.agent_id: a for a in self.d.agents()}
        for s in self.d.sessions():
            if s.phase == "active":
                assert s.agents and s.offered_to is None
                assert set(s.agents[1:]) <= self.invited.get(s.session_id, set())
                assert len(set(s.agents)) == len(s.agents)
            else:
                assert not s.agents
                assert (s.phase == "ringing") == (s.offered_to is not None)
            for aid in s.agents:
                assert s.session_id in agents[aid].active
                assert agents[aid].merchant == s.merchant
            if s.offered_to is not None:
                assert s.session_id in agents[s.offered_to].ringing
                assert agents[s.offered_to].merchant == s.merchant
        for a in agents.values():
            for sid in a.active:
                assert a.agent_id in self.d.session(sid).agents  # type: ignore[union-attr]

    @invariant()
    def nobody_waits_while_a_fitting_agent_is_free(self) -> None:
        queued = {(s.merchant, s.group) for s in self.d.sessions() if s.phase == "queued"}
        for a in self.d.agents():
            for g in a.groups:
                if (a.merchant, g) in queued and a.status == "free":
                    room = len(a.active) + len(a.ringing) < self.limits[(a.merchant, g)]
                    assert not (room and len(a.ringing) < MAX_RINGING), (a, g)

    @invariant()
    def visitors_know_their_place(self) -> None:
        for group in self.d.groups():
            order = [self.d.session(sid) for sid in group.waiting]
            keys = [(-s.priority, int(s.session_id[1:])) for s in order if s is not None]
            assert keys == sorted(keys)  # priority first, then arrival
            for ahead, s in enumerate(order):
                assert s is not None and s.phase != "active"
                assert self.told.get(s.session_id) == ahead, (s, ahead)
        waiting = {sid for g in self.d.groups() for sid in g.waiting}
        for s in self.d.sessions():
            if s.phase == "queued":
                assert s.session_id in waiting


DispatchMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_dispatcher_machine = DispatchMachine.TestCase
