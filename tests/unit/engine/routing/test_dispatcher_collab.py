"""Transfers, invitations and ending: conversations that change hands."""

from __future__ import annotations

import pytest
from dispatch_kit import of, offers

from chatflow.engine.config import Group
from chatflow.engine.routing import (
    AgentUnavailable,
    CollaboratorLeft,
    Dispatcher,
    Ended,
    InvalidTransfer,
    Invited,
    LastAgent,
    NoAgents,
    NotServing,
    OfferExpired,
    PositionChanged,
    RoutingError,
    Transferred,
    UnknownAgent,
    UnknownSession,
)

M = "acme"


def served(max_sessions: int = 5) -> Dispatcher:
    """Session ``s`` served by agent ``a`` of presales; ``b`` free in presales and aftersales."""
    d = Dispatcher()
    for gid in ("presales", "aftersales"):
        d.configure_group(M, Group(id=gid, max_sessions=max_sessions), 0)
    d.agent_login("a", M, {"presales": 3}, 0)
    d.enqueue("s", M, "presales", 0, 1)
    d.accept("a", "s", 2)
    d.agent_login("b", M, {"presales": 3, "aftersales": 3}, 3)
    return d


# -- transfer --------------------------------------------------------------------------------


def test_transfer_to_a_group_requeues_for_someone_else_and_frees_the_agent() -> None:
    d = served()
    d.agent_login("c", M, {"aftersales": 3}, 4, status="busy")
    out = d.transfer("s", 5, to_group="aftersales")
    [moved] = of(Transferred, out)
    assert (moved.session_id, moved.from_agents, moved.to_group, moved.to_agent) == (
        "s",
        ("a",),
        "aftersales",
        None,
    )
    assert moved.key.endswith(":transferred")
    assert offers(out) == [("s", "b")]
    assert [(p.session_id, p.ahead) for p in of(PositionChanged, out)] == [("s", 0)]
    a = d.agent("a")
    assert a is not None and not a.active


def test_transfer_to_a_group_without_agents_reports_no_agents() -> None:
    d = served()
    d.configure_group(M, Group(id="complaints"), 4)
    out = d.transfer("s", 5, to_group="complaints")
    assert [n.session_id for n in of(NoAgents, out)] == ["s"]


def test_the_agent_handing_over_gets_it_back_only_when_nobody_else_can() -> None:
    d = served()
    d.set_agent_status("b", "busy", 4)
    out = d.transfer("s", 5, to_group="presales")
    assert offers(out) == [("s", "a")]


def test_transfer_to_a_free_agent_rings_that_agent() -> None:
    d = served()
    out = d.transfer("s", 5, to_agent="b")
    [moved] = of(Transferred, out)
    assert (moved.from_agents, moved.to_group, moved.to_agent) == (("a",), None, "b")
    assert offers(out) == [("s", "b")]
    d.accept("b", "s", 6)
    view = d.session("s")
    assert view is not None and view.agents == ("b",)


def test_a_directed_transfer_that_rings_out_goes_to_the_group_queue() -> None:
    d = served()
    d.transfer("s", 5, to_agent="b")
    out = d.tick(20)
    assert of(OfferExpired, out) == [OfferExpired("s", "b")]
    assert offers(out) == [("s", "a")]  # a is the other presales agent


@pytest.mark.parametrize("status", ["offline", "busy", "rest", "not_ready", "arrange"])
def test_transfer_refuses_an_agent_who_is_not_free(status: str) -> None:
    d = served()
    d.set_agent_status("b", status, 4)  # type: ignore[arg-type]
    with pytest.raises(AgentUnavailable) as refused:
        d.transfer("s", 5, to_agent="b")
    assert refused.value.reason == status
    view = d.session("s")
    assert view is not None and view.agents == ("a",)  # nothing changed


def test_transfer_refuses_an_agent_without_room() -> None:
    d = served(max_sessions=1)
    d.enqueue("t", M, "presales", 0, 4)
    d.accept("b", "t", 5)
    with pytest.raises(AgentUnavailable, match="full"):
        d.transfer("s", 6, to_agent="b")


def test_transfer_needs_one_target_that_is_not_the_current_agent() -> None:
    d = served()
    with pytest.raises(InvalidTransfer):
        d.transfer("s", 5)
    with pytest.raises(InvalidTransfer):
        d.transfer("s", 5, to_group="aftersales", to_agent="b")
    with pytest.raises(InvalidTransfer):
        d.transfer("s", 5, to_agent="a")
    with pytest.raises(UnknownSession):
        d.transfer("nope", 5, to_group="aftersales")


def test_transfer_never_crosses_merchants() -> None:
    d = served()
    d.configure_group("globex", Group(id="presales"), 0)
    d.agent_login("g", "globex", {"presales": 3}, 0)
    with pytest.raises(UnknownAgent):
        d.transfer("s", 5, to_agent="g")
    with pytest.raises(UnknownAgent):
        d.invite("s", "g", 5)


# -- invite and leave ------------------------------------------------------------------------


def test_an_invited_agent_serves_alongside_and_may_leave_while_another_stays() -> None:
    d = served()
    out = d.invite("s", "b", 5)
    assert out == [Invited("s", "b")]
    view = d.session("s")
    assert view is not None and view.agents == ("a", "b")
    with pytest.raises(AgentUnavailable):
        d.invite("s", "b", 6)
    assert d.leave_collaboration("s", "a", 7) == [CollaboratorLeft("s", "a")]
    view = d.session("s")
    assert view is not None and view.agents == ("b",)
    with pytest.raises(LastAgent):
        d.leave_collaboration("s", "b", 8)


def test_invite_counts_against_the_invitees_limit() -> None:
    d = served(max_sessions=1)
    d.enqueue("t", M, "presales", 0, 4)
    d.accept("b", "t", 5)
    with pytest.raises(AgentUnavailable, match="full"):
        d.invite("s", "b", 6)


def test_invite_refuses_offline_agents_but_not_busy_ones() -> None:
    d = served()
    d.set_agent_status("b", "offline", 4)
    with pytest.raises(AgentUnavailable, match="offline"):
        d.invite("s", "b", 5)
    d.set_agent_status("b", "busy", 6)
    assert d.invite("s", "b", 7) == [Invited("s", "b")]


def test_invite_and_leave_need_a_conversation_in_service() -> None:
    d = served()
    d.enqueue("queued", M, "presales", 0, 4)  # rings b
    with pytest.raises(NotServing):
        d.invite("queued", "a", 5)
    with pytest.raises(NotServing):
        d.leave_collaboration("s", "b", 5)


# -- ending ----------------------------------------------------------------------------------


def test_ending_frees_every_agent_of_the_conversation() -> None:
    d = served()
    d.invite("s", "b", 4)
    out = d.end_service("s", 5, closed_by="seat", agent_id="b")
    (ended,) = of(Ended, out)
    assert (ended.agents, ended.closed_by) == (("a", "b"), "seat")
    assert all(not a.active for a in d.agents())
    with pytest.raises(UnknownSession):
        d.end_service("s", 6)


def test_only_a_serving_agent_may_end_and_only_a_served_conversation() -> None:
    d = served()
    with pytest.raises(NotServing):
        d.end_service("s", 5, agent_id="b")
    d.set_agent_status("b", "busy", 5)
    d.enqueue("queued", M, "presales", 0, 6)
    with pytest.raises(NotServing):
        d.end_service("queued", 7)


def test_a_visitor_leaving_a_served_conversation_ends_it_as_client() -> None:
    d = served()
    (ended,) = of(Ended, d.leave("s", 5))
    assert (ended.agents, ended.closed_by) == (("a",), "client")


def test_another_groups_larger_limit_never_stretches_an_agent_outside_it() -> None:
    d = served(max_sessions=1)  # a serves s; b is in presales and aftersales, limit 1 each
    d.configure_group(M, Group(id="vip", max_sessions=5), 4)
    d.enqueue("t", M, "presales", 0, 5)
    d.accept("b", "t", 6)
    d.transfer("s", 7, to_group="vip")
    with pytest.raises(AgentUnavailable, match="full"):
        d.transfer("s", 8, to_agent="b")  # b is not in vip: its own limit (1) counts


# -- restore (after a restart) ---------------------------------------------------------------


def test_a_restored_service_takes_its_agents_room_at_login() -> None:
    d = Dispatcher()
    d.configure_group(M, Group(id="presales", max_sessions=1), 0)
    assert d.restore("s", M, "presales", 0, "a", 1) == []
    d.enqueue("t", M, "presales", 0, 2)
    out = d.agent_login("a", M, {"presales": 3}, 3)
    assert offers(out) == []  # its one place is the restored conversation
    assert [v.session_id for v in d.sessions_of("a")] == ["s"]
    out = d.end_service("s", 4, agent_id="a")
    assert [e.closed_by for e in of(Ended, out)] == ["seat"]
    assert offers(out) == [("t", "a")]


def test_restore_refuses_an_agent_of_another_merchant() -> None:
    d = served()
    d.configure_group("globex", Group(id="presales"), 0)
    with pytest.raises(RoutingError):
        d.restore("x", "globex", "presales", 0, "a", 5)
    assert d.session("x") is None


def test_a_wait_given_back_after_a_restart_keeps_its_start() -> None:
    d = Dispatcher()
    d.configure_group(M, Group(id="presales"), 0)
    d.enqueue("s", M, "presales", 0, 100, since=40)
    d.enqueue("t", M, "presales", 0, 100, since=140)  # a clock ahead: never after now
    waits = {v.session_id: v.waiting_since for v in d.sessions()}
    assert waits == {"s": 40, "t": 100}
