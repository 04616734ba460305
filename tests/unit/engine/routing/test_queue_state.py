"""QueueState: the queue changed only by named commands, and its snapshots."""

from __future__ import annotations

import pickle

import pytest

from chatflow.engine.config import Agent, Group
from chatflow.engine.routing import QueueState, UnknownAgent
from chatflow.engine.routing.queue_state import dump, load


def state_with_bob() -> QueueState:
    state = QueueState()
    state.apply("configure_group", ("acme", Group(id="presales")), 100.0)
    bob = Agent(
        account="bob0001", password_hash="x", nickname="Bob", staff_no="2", groups={"presales": 1}
    )
    state.apply("account", ("acme", bob, (), "bob0001"), 100.0)
    state.apply("present", ("bob0001", "w1"), 100.0)
    return state


def status(state: QueueState, agent: str) -> str:
    view = state.dispatcher.agent(agent)
    assert view is not None
    return view.status


def test_a_command_names_one_of_the_operations_only() -> None:
    state = QueueState()
    with pytest.raises(ValueError, match="unknown queue command"):
        state.apply("__init__", (), 1.0)
    with pytest.raises(UnknownAgent):
        state.apply("login", ("nobody", None, None), 1.0)


def test_the_queue_time_never_goes_back() -> None:
    state = QueueState()
    state.apply("tick", (), 50.0)
    state.apply("tick", (), 40.0)  # a worker whose clock is behind
    assert state.now == 50.0 and state.applied == 2


def test_an_agent_whose_worker_went_away_gets_its_status_back_at_its_next_login() -> None:
    state = state_with_bob()
    state.apply("login", ("bob0001", "rest", "午餐"), 101.0)
    state.apply("worker_gone", ("w1",), 102.0)
    assert status(state, "bob0001") == "offline" and not state.connected("bob0001")
    state.apply("present", ("bob0001", "w2"), 103.0)
    state.apply("login", ("bob0001", None, None), 103.0)  # the websocket's login: no status
    assert status(state, "bob0001") == "rest" and state.reasons["bob0001"] == "午餐"


def test_a_status_chosen_at_login_or_going_offline_forgets_the_kept_one() -> None:
    state = state_with_bob()
    state.apply("login", ("bob0001", "busy", None), 101.0)
    state.apply("worker_gone", ("w1",), 102.0)
    state.apply("login", ("bob0001", "free", None), 103.0)
    assert status(state, "bob0001") == "free" and "bob0001" not in state.resume
    state.apply("present", ("bob0001", "w1"), 104.0)
    state.apply("set_status", ("bob0001", "rest", "会议"), 104.0)
    state.apply("worker_gone", ("w1",), 105.0)
    state.apply("logout", ("bob0001",), 106.0)  # offline on purpose
    state.apply("login", ("bob0001", None, None), 107.0)
    assert status(state, "bob0001") == "free"  # the account's default again


def test_an_agent_closing_its_own_workbench_is_not_resumed() -> None:
    state = state_with_bob()
    state.apply("login", ("bob0001", "rest", None), 101.0)
    state.apply("absent", ("bob0001", "w1"), 102.0)
    assert status(state, "bob0001") == "offline" and state.resume == {}


def test_a_snapshot_loads_only_in_its_own_format() -> None:
    state = state_with_bob()
    copy = load(dump(state))
    assert copy is not None and copy.profiles == state.profiles and copy.applied == 3
    assert load(b"chatflow-queue:0\n" + pickle.dumps(state)) is None
    assert load(dump(state)[:-10]) is None  # cut short
    assert load(b"chatflow-queue:1\n" + pickle.dumps({"not": "a state"})) is None
