"""An admin's changes to accounts and groups reach the live queue while agents stay online.

Each test keeps the agents' websockets open from start to end (no logout, no reconnect) and
changes memberships or group rules through the admin API, over a real server.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agent_world import WAIT, Agent, LiveServer, Visitor, frame, running
from sqlmodel import Session, select

from chatflow.admin_api.routes_accounts import live_queue_update
from chatflow.engine.stores.recordsdb import AccountRow

ACCOUNTS = "/api/v1/admin/accounts"
GROUPS = "/api/v1/admin/groups"


def patch(admin: Agent, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = admin.server.http.patch(url, json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def settled(agent: Agent) -> None:
    """Every frame the queue had decided for ``agent`` before now has arrived (a ping's pong
    travels behind them on the same socket)."""
    agent.frames.send({"type": "ping"})
    agent.frames.expect(frame("pong"))


def queued(option: str, server: LiveServer) -> Visitor:
    """A visitor who chose ``option`` and is in its group's queue (offered or not)."""
    visitor = Visitor(server, "acme-web")
    visitor.choose(option)
    visitor.ws.expect(frame("queue"))
    return visitor


def set_status(agent: Agent, status: str) -> None:
    assert agent.put("/api/v1/agents/me/status", {"status": status}).is_success
    agent.frames.expect(frame("status", status=status))


def test_an_online_agent_added_to_a_group_gets_its_visitors(server: LiveServer) -> None:
    admin, carol = Agent(server, "acme_alice"), Agent(server, "acme_carol")
    carol.connect()  # aftersales only; nobody of presales is online
    patch(admin, f"{ACCOUNTS}/acme_carol", {"groups": {"aftersales": 1, "presales": 3}})
    visitor = queued("售前", server)
    carol.frames.expect(frame("offer", session_id=visitor.session_id, group="presales"))
    carol.ok(visitor.session_id, "accept")
    assert visitor.ws.expect(frame("agent_joined"))["staff_no"] == "1003"
    assert len(carol.frames.seen(frame("status"))) == 1  # the login's: never logged in again


def test_an_agent_removed_from_a_group_loses_its_offer_and_gets_no_new_ones(
    server: LiveServer,
) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    alice.connect()
    set_status(alice, "busy")  # online in presales, but takes nobody
    bob.connect()
    first = queued("售前", server)
    bob.frames.expect(frame("offer", session_id=first.session_id))

    patch(alice, f"{ACCOUNTS}/acme_bob", {"groups": {"aftersales": 1, "quick": 1}})
    bob.frames.expect(frame("auto_transfer", session_id=first.session_id, reason="group"))
    second = queued("售前", server)  # bob is free, but no longer of presales
    settled(bob)
    assert not bob.frames.seen(frame("offer", session_id=second.session_id))

    set_status(alice, "free")
    alice.frames.expect(frame("offer", session_id=first.session_id))
    alice.frames.expect(frame("offer", session_id=second.session_id))
    settled(bob)
    assert len(bob.frames.seen(frame("offer"))) == 1  # only the first, before the change


def test_a_groups_routing_and_ring_timeout_apply_to_the_live_queue(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    bob.connect()  # idle longest: fifo would ring bob first
    alice.connect()  # priority 1 in presales, bob 2
    changed = patch(alice, f"{GROUPS}/presales", {"routing": "priority", "ring_timeout": 42})
    assert (changed["routing"], changed["ring_timeout"]) == ("priority", 42)
    visitor = queued("售前", server)
    offer = alice.frames.expect(frame("offer", session_id=visitor.session_id))
    assert offer["timeout"] == 42
    settled(bob)
    assert not bob.frames.seen(frame("offer"))


def test_a_groups_reception_limit_applies_to_the_live_queue(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    bob.connect()  # the only presales agent online
    patch(alice, f"{GROUPS}/presales", {"max_sessions": 1})
    first = queued("售前", server)
    bob.frames.expect(frame("offer", session_id=first.session_id))
    bob.ok(first.session_id, "accept")

    second = queued("售前", server)  # bob is full at 1
    settled(bob)
    assert not bob.frames.seen(frame("offer", session_id=second.session_id))
    patch(alice, f"{GROUPS}/presales", {"max_sessions": 2})  # a place at once: it rings
    bob.frames.expect(frame("offer", session_id=second.session_id, group="presales"))


def test_a_new_group_and_its_members_reach_the_live_queue(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    bob.connect()
    created = alice.post(GROUPS, {"id": "vip", "max_sessions": 2, "routing": "priority"})
    assert created.status_code == 201, created.text
    patch(alice, f"{ACCOUNTS}/acme_bob", {"groups": {"presales": 2, "vip": 1}})
    dispatcher = server.services.queue.dispatcher
    vip = dispatcher.group("acme", "vip")
    assert (vip.max_sessions, vip.routing, dict(vip.members), vip.online) == (
        2,
        "priority",
        {"acme_bob": 1},
        1,
    )

    assert alice.server.http.delete(f"{GROUPS}/vip", headers=alice.headers).status_code == 204
    bob_now = dispatcher.agent("acme_bob")
    assert bob_now is not None and dict(bob_now.groups) == {"presales": 2}


def test_a_groups_rules_changed_by_an_admin_survive_a_restart(
    tmp_path: Path, cheap_argon2: None
) -> None:
    """The queue is loaded from the database at start, not from chatflow.yaml again."""
    with running(tmp_path) as server:
        admin = Agent(server, "acme_alice")
        patch(admin, f"{GROUPS}/presales", {"max_sessions": 1, "routing": "priority"})
    with running(tmp_path) as again:
        rules = {
            (g.merchant, g.group): (g.max_sessions, g.routing)
            for g in again.services.queue.dispatcher.groups()
        }
        assert rules["acme", "presales"] == (1, "priority")
        assert rules["globex", "presales"] == (5, "fifo")  # another merchant's namesake
        assert rules["acme", "aftersales"] == (5, "fifo")  # untouched: as imported


def test_a_login_racing_an_admin_change_ends_with_the_change(server: LiveServer) -> None:
    """An agent's websocket tells the queue its account in the admin changes' turn: a change
    saved while another change holds the turn reaches the queue with the login, not lost."""
    bob = Agent(server, "acme_bob")
    inside, release = threading.Event(), threading.Event()

    def in_flight_change() -> None:  # an admin change still telling the queue
        with Session(server.app.state.records) as db:
            row = db.exec(select(AccountRow).where(AccountRow.account == "acme_bob")).one()
            live_queue_update(db, row, lambda: (inside.set(), release.wait(WAIT)))

    holder = threading.Thread(target=in_flight_change)
    holder.start()
    assert inside.wait(WAIT)
    ws = server.stream(f"/ws/agent?token={bob.token}")
    with Session(server.app.state.records) as db:  # the next change, saved meanwhile
        row = db.exec(select(AccountRow).where(AccountRow.account == "acme_bob")).one()
        row.groups = {"aftersales": 1}
        db.add(row)
        db.commit()
    release.set()
    holder.join(WAIT)
    ws.expect(frame("status", status="free"))
    view = server.services.queue.dispatcher.agent("acme_bob")
    assert view is not None and dict(view.groups) == {"aftersales": 1}
