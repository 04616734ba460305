"""The dispatcher's queue rules: who gets an offer, in what order, and what the queue reports."""

from __future__ import annotations

from typing import Any

import pytest
from dispatch_kit import of, offers

from chatflow.engine.config import Group
from chatflow.engine.routing import (
    Accepted,
    AgentRested,
    Assigned,
    Decision,
    Dispatcher,
    NoAgents,
    NotOffered,
    Offer,
    OfferExpired,
    OfferWithdrawn,
    PositionChanged,
    StatusChanged,
    UnknownGroup,
)

M = "acme"


def desk(*groups: Group, merchant: str = M) -> Dispatcher:
    d = Dispatcher()
    for g in groups or (Group(id="presales"),):
        d.configure_group(merchant, g, 0)
    return d


def fill(
    d: Dispatcher, count: int, now: float = 1, group: str = "presales", **kw: Any
) -> list[Decision]:
    out: list[Decision] = []
    for i in range(count):
        out += d.enqueue(f"{group}-s{i}", kw.get("merchant", M), group, kw.get("priority", 0), now)
    return out


def ringing(d: Dispatcher) -> int:
    return sum(1 for s in d.sessions() if s.phase == "ringing")


# -- seed FIRST LINE: at most 3 offers ringing per agent, bounded by free places -------------


def test_five_agents_with_ten_free_places_ring_fifteen_conversations() -> None:
    d = desk(Group(id="presales", max_sessions=10))
    for i in range(5):
        d.agent_login(f"a{i}", M, {"presales": 3}, 0)
    fill(d, 30)
    assert ringing(d) == 15
    assert all(len(a.ringing) == 3 for a in d.agents())


def test_an_agent_with_one_free_place_rings_one_so_five_agents_ring_thirteen() -> None:
    d = desk(Group(id="presales", max_sessions=10))
    d.agent_login("full", M, {"presales": 3}, 0)
    for i in range(9):  # give "full" nine conversations: one place left
        (offer,) = of(Offer, d.enqueue(f"busy{i}", M, "presales", 0, 0))
        d.accept("full", offer.session_id, 0)
    for i in range(4):
        d.agent_login(f"a{i}", M, {"presales": 3}, 0)
    fill(d, 30)
    assert ringing(d) == 4 * 3 + 1 == 13
    full = d.agent("full")
    assert full is not None and len(full.active) == 9 and len(full.ringing) == 1


def test_reception_limit_counts_active_sessions_and_ringing_offers() -> None:
    d = desk(Group(id="presales", max_sessions=2))
    d.agent_login("a", M, {"presales": 3}, 0)
    out = fill(d, 4)
    assert offers(out) == [("presales-s0", "a"), ("presales-s1", "a")]
    d.accept("a", "presales-s0", 2)
    d.accept("a", "presales-s1", 2)
    assert ringing(d) == 0
    out = d.end_service("presales-s0", 3)  # a place frees: the queue moves in the same call
    assert offers(out) == [("presales-s2", "a")]


# -- order -----------------------------------------------------------------------------------


def test_higher_session_priority_first_then_longest_waiting() -> None:
    d = desk()
    d.enqueue("low-early", M, "presales", 0, 1)
    d.enqueue("high-late", M, "presales", 5, 2)
    d.enqueue("low-late", M, "presales", 0, 3)
    d.enqueue("high-later", M, "presales", 5, 4)
    out = d.agent_login("a", M, {"presales": 3}, 5)
    assert offers(out) == [("high-late", "a"), ("high-later", "a"), ("low-early", "a")]


def test_fifo_routing_offers_to_the_longest_idle_agent() -> None:
    d = desk()
    d.agent_login("b", M, {"presales": 1}, 10)
    d.agent_login("a", M, {"presales": 5}, 20)
    out = fill(d, 3, now=30)
    # b idled longest; after each offer the agent counts as freshly busy, so they alternate
    assert offers(out) == [("presales-s0", "b"), ("presales-s1", "a"), ("presales-s2", "b")]


def test_priority_routing_offers_by_agent_priority_then_longest_idle() -> None:
    d = desk(Group(id="presales", routing="priority", max_sessions=2))
    d.agent_login("low", M, {"presales": 5}, 0)
    d.agent_login("top-late", M, {"presales": 1}, 20)
    d.agent_login("top-early", M, {"presales": 1}, 10)
    out: list[Decision] = []
    for i in range(5):
        out += d.enqueue(f"s{i}", M, "presales", 0, 30 + i)
    assert [agent for _, agent in offers(out)] == ["top-early", "top-late"] * 2 + ["low"]


def test_an_agent_in_two_groups_takes_the_longest_waiting_visitor_of_both() -> None:
    d = desk(Group(id="presales", max_sessions=1), Group(id="aftersales", max_sessions=1))
    d.enqueue("after", M, "aftersales", 0, 1)
    d.enqueue("pre", M, "presales", 0, 2)
    out = d.agent_login("a", M, {"presales": 3, "aftersales": 3}, 5)
    assert offers(out) == [("after", "a")]


def test_auto_accept_assigns_without_ringing_and_keeps_the_limit() -> None:
    d = desk(Group(id="presales", auto_accept=True, max_sessions=2))
    d.agent_login("a", M, {"presales": 3}, 0)
    out = fill(d, 3)
    assert [(x.session_id, x.agent_id) for x in of(Assigned, out)] == [
        ("presales-s0", "a"),
        ("presales-s1", "a"),
    ]
    assert not of(Offer, out)
    assert [p.ahead for p in of(PositionChanged, out) if p.session_id == "presales-s2"] == [0]


# -- statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["busy", "rest", "arrange", "not_ready", "offline"])
def test_only_free_agents_get_offers_and_leaving_free_hands_offers_on(status: Any) -> None:
    d = desk()
    d.agent_login("a", M, {"presales": 3}, 0)
    d.agent_login("b", M, {"presales": 3}, 0, status="busy")
    fill(d, 2)
    assert {s.offered_to for s in d.sessions()} == {"a"}
    out = d.set_agent_status("a", status, 5)
    assert [(w.agent_id, w.reason) for w in of(OfferWithdrawn, out)] == [("a", "status")] * 2
    assert StatusChanged("a", status) in out
    assert ringing(d) == 0
    out = d.set_agent_status("b", "free", 6)  # a free agent moves the queue at once
    assert offers(out) == [("presales-s0", "b"), ("presales-s1", "b")]


def test_no_agents_at_enqueue_and_when_the_last_agent_goes_offline() -> None:
    d = desk()
    out = d.enqueue("s1", M, "presales", 0, 1)
    assert [n.session_id for n in of(NoAgents, out)] == ["s1"]
    d.agent_login("a", M, {"presales": 3}, 2, status="busy")
    assert not of(NoAgents, d.enqueue("s2", M, "presales", 0, 3))  # busy is online
    d.agent_login("b", M, {"presales": 3}, 4, status="rest")
    assert not of(NoAgents, d.agent_logout("a", 5))  # b is still online
    out = d.agent_logout("b", 6)
    assert [n.session_id for n in of(NoAgents, out)] == ["s1", "s2"]


# -- positions -------------------------------------------------------------------------------


def test_positions_are_reported_at_enqueue_and_only_when_they_change() -> None:
    d = desk(Group(id="presales", max_sessions=1))
    out = fill(d, 3)
    assert [(p.session_id, p.ahead) for p in of(PositionChanged, out)] == [
        ("presales-s0", 0),
        ("presales-s1", 1),
        ("presales-s2", 2),
    ]
    out = d.agent_login("a", M, {"presales": 3}, 2)  # s0 rings: still waiting, nobody moves
    assert not of(PositionChanged, out)
    out = d.accept("a", "presales-s0", 3)
    assert [(p.session_id, p.ahead) for p in of(PositionChanged, out)] == [
        ("presales-s1", 0),
        ("presales-s2", 1),
    ]
    assert not of(PositionChanged, d.tick(4))


def test_a_higher_priority_arrival_pushes_others_back() -> None:
    d = desk()
    fill(d, 2)
    out = d.enqueue("vip", M, "presales", 9, 2)
    assert [(p.session_id, p.ahead) for p in of(PositionChanged, out)] == [
        ("vip", 0),
        ("presales-s0", 1),
        ("presales-s1", 2),
    ]


# -- ringing ---------------------------------------------------------------------------------


def test_only_the_offered_agent_may_accept_and_accepting_starts_the_service() -> None:
    d = desk()
    d.agent_login("a", M, {"presales": 3}, 0)
    d.agent_login("b", M, {"presales": 3}, 0, status="busy")
    d.enqueue("s", M, "presales", 0, 1)
    with pytest.raises(NotOffered):
        d.accept("b", "s", 2)
    out = d.accept("a", "s", 2)
    assert of(Accepted, out) == [Accepted("s", "a", "presales", of(Accepted, out)[0].key)]
    view = d.session("s")
    assert view is not None and view.phase == "active" and view.agents == ("a",)
    with pytest.raises(NotOffered):
        d.accept("a", "s", 3)


def test_a_rung_out_offer_goes_to_another_agent() -> None:
    d = desk(Group(id="presales", ring_timeout=15))
    d.agent_login("a", M, {"presales": 3}, 0)
    d.agent_login("b", M, {"presales": 3}, 1)
    (offer,) = of(Offer, d.enqueue("s", M, "presales", 0, 2))
    assert (offer.agent_id, offer.expires_at, offer.timeout) == ("a", 17, 15)
    assert d.next_deadline() == 17
    assert d.tick(16.9) == []
    out = d.tick(17)
    assert of(OfferExpired, out) == [OfferExpired("s", "a")]
    assert offers(out) == [("s", "b")]
    out = d.tick(32)  # b misses it too: back to a, the one who missed it first
    assert offers(out) == [("s", "a")]


def test_a_lone_agent_who_missed_is_asked_again() -> None:
    d = desk()
    d.agent_login("a", M, {"presales": 3}, 0)
    d.enqueue("s", M, "presales", 0, 1)
    assert offers(d.tick(16)) == [("s", "a")]


def test_rest_after_missed_rests_the_agent_and_hands_its_offers_on() -> None:
    d = desk(Group(id="presales", rest_after_missed=True, max_sessions=5))
    d.agent_login("a", M, {"presales": 3}, 0)
    d.enqueue("s1", M, "presales", 0, 1)
    d.enqueue("s2", M, "presales", 0, 5)  # rings a until 20
    d.agent_login("b", M, {"presales": 3}, 6, status="busy")
    out = d.tick(16)
    assert of(AgentRested, out) == [AgentRested("a", "s1")]
    assert of(OfferWithdrawn, out) == [OfferWithdrawn("s2", "a", "rest")]
    a = d.agent("a")
    assert a is not None and a.status == "rest" and not a.ringing
    assert ringing(d) == 0  # b is busy: both wait
    assert offers(d.set_agent_status("b", "free", 17)) == [("s1", "b"), ("s2", "b")]


def test_decline_sends_the_session_to_someone_else() -> None:
    d = desk()
    d.agent_login("a", M, {"presales": 3}, 0)
    d.agent_login("b", M, {"presales": 3}, 1)
    d.enqueue("s", M, "presales", 0, 2)
    out = d.decline("a", "s", 3)
    assert of(OfferWithdrawn, out) == [OfferWithdrawn("s", "a", "declined")]
    assert offers(out) == [("s", "b")]


def test_a_visitor_leaving_while_ringing_frees_the_agent_for_the_next() -> None:
    d = desk(Group(id="presales", max_sessions=1))
    d.agent_login("a", M, {"presales": 3}, 0)
    fill(d, 2)
    out = d.leave("presales-s0", 2)
    assert of(OfferWithdrawn, out) == [OfferWithdrawn("presales-s0", "a", "left")]
    assert offers(out) == [("presales-s1", "a")]
    assert d.session("presales-s0") is None
    assert d.leave("presales-s0", 3) == []  # leaving twice is harmless


# -- groups ----------------------------------------------------------------------------------


def test_raising_the_reception_limit_moves_the_queue_at_once() -> None:
    d = desk(Group(id="presales", max_sessions=1))
    d.agent_login("a", M, {"presales": 3}, 0)
    fill(d, 3)
    d.accept("a", "presales-s0", 2)
    out = d.configure_group(M, Group(id="presales", max_sessions=3), 3)
    assert offers(out) == [("presales-s1", "a"), ("presales-s2", "a")]
    out = d.configure_group(M, Group(id="presales", max_sessions=1), 4)
    assert out == []  # lowering the limit takes nothing away


def test_joining_a_group_moves_its_queue() -> None:
    d = desk(Group(id="presales"), Group(id="vip"))
    d.agent_login("a", M, {"presales": 3}, 0)
    d.enqueue("s", M, "vip", 0, 1)
    assert offers(d.set_agent_groups("a", {"presales": 3, "vip": 1}, 2)) == [("s", "a")]
    out = d.set_agent_groups("a", {"presales": 3}, 3)
    assert of(OfferWithdrawn, out) == [OfferWithdrawn("s", "a", "group")]
    assert [n.session_id for n in of(NoAgents, out)] == ["s"]


def test_unknown_group_lists_the_merchants_groups() -> None:
    d = desk(Group(id="presales"), Group(id="vip"))
    with pytest.raises(UnknownGroup, match="Available groups: presales, vip"):
        d.enqueue("s", M, "sales", 0, 1)
    with pytest.raises(UnknownGroup):
        d.agent_login("a", M, {"sales": 3}, 0)


def test_enqueue_twice_for_the_same_group_changes_nothing() -> None:
    d = desk()
    d.enqueue("s", M, "presales", 0, 1)
    assert d.enqueue("s", M, "presales", 0, 2) == []


# -- merchants and keys ----------------------------------------------------------------------


def test_merchants_with_the_same_group_never_see_each_other() -> None:
    d = desk()
    d.configure_group("globex", Group(id="presales"), 0)
    d.agent_login("acme-agent", M, {"presales": 3}, 0)
    d.enqueue("globex-visitor", "globex", "presales", 0, 1)
    assert ringing(d) == 0
    assert d.group("globex", "presales").waiting == ("globex-visitor",)
    assert d.group(M, "presales").waiting == ()
    out = d.agent_login("globex-agent", "globex", {"presales": 3}, 2)
    assert offers(out) == [("globex-visitor", "globex-agent")]
    out = d.enqueue("acme-visitor", M, "presales", 0, 3)
    assert offers(out) == [("acme-visitor", "acme-agent")]
    out = d.agent_logout("globex-agent", 4)
    assert [n.session_id for n in of(NoAgents, out)] == ["globex-visitor"]


def _scenario() -> list[Decision]:
    d = desk()
    out = d.agent_login("a", M, {"presales": 3}, 0)
    out += fill(d, 4)
    out += d.accept("a", "presales-s0", 2)
    out += d.tick(30)
    out += d.end_service("presales-s0", 31)
    return out


def test_the_same_operations_at_the_same_times_give_the_same_keys() -> None:
    first, second = _scenario(), _scenario()
    assert first == second
    keys = [k for d in first if (k := getattr(d, "key", None))]
    assert len(keys) == len(set(keys))


def test_visitors_leaving_a_stuck_queue_leave_no_garbage_behind() -> None:
    d = desk()
    d.enqueue("first", M, "presales", 0, 0)  # never served: stale entries cannot surface
    for i in range(2000):
        d.enqueue(f"s{i}", M, "presales", 0, 1)
        d.leave(f"s{i}", 2)
    assert len(d._groups[(M, "presales")].queue) < 100
    d.agent_login("a", M, {"presales": 3}, 3)
    assert d.session("first").offered_to == "a"  # type: ignore[union-attr]


def test_a_wait_runs_from_arrival_through_ring_outs_and_restarts_only_after_a_service() -> None:
    d = desk(Group(id="presales", ring_timeout=15), Group(id="vip"))
    d.enqueue("s", M, "presales", 0, 10)
    d.agent_login("a", M, {"presales": 1}, 20)  # rings at once
    d.tick(36)  # rang out, rings again (nobody else): still waiting since its arrival
    view = d.session("s")
    assert view is not None and view.expires_at == 51 and view.waiting_since == 10
    d.transfer("s", 40, to_group="vip")  # moved while waiting: the same wait goes on
    assert (view := d.session("s")) is not None and view.waiting_since == 10
    d.agent_login("v", M, {"vip": 1}, 50)
    d.accept("v", "s", 51)
    assert (view := d.session("s")) is not None and view.waiting_since is None  # served
    d.transfer("s", 70, to_group="presales")  # its service stopped: a new wait begins
    assert (view := d.session("s")) is not None and view.waiting_since == 70


def test_an_agents_sessions_are_the_ones_ringing_for_it_or_served_by_it_in_arrival_order() -> None:
    d = desk(Group(id="presales", max_sessions=5))
    d.agent_login("a", M, {"presales": 1}, 0)
    d.agent_login("b", M, {"presales": 1}, 0, status="busy")
    fill(d, 2)  # both ring for a
    d.accept("a", "presales-s1", 2)
    d.set_agent_status("b", "free", 3)
    fill(d, 4, now=4)  # s2, s3 ring; b takes its share
    mine = [(v.session_id, v.phase) for v in d.sessions_of("a")]
    theirs = {v.session_id for v in d.sessions_of("b")}
    expected = sorted(
        (v.session_id, v.phase) for v in d.sessions() if v.offered_to == "a" or "a" in v.agents
    )
    assert sorted(mine) == expected and ("presales-s1", "active") in mine
    assert [sid for sid, _ in mine] == [
        v.session_id for v in d.sessions() if (v.session_id, v.phase) in mine
    ]
    assert theirs and not theirs & {sid for sid, _ in mine}
    assert d.sessions_of("nobody") == []
