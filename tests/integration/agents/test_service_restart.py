"""A restart keeps the human side: served conversations go back to their agents, transfers in
progress queue again for their new group. After a graceful stop the queue is taken back as it
was (``queue.state`` in the data folder: statuses, invited agents); after a crash it is rebuilt
from the sessions (``Runtime.recover``, ``QueueService.restore``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_world import Agent, LiveServer, Visitor, frame, running, says


def crash(folder: Path) -> None:
    """What a killed process leaves: no saved queue (the sessions are all in the store)."""
    (folder / "data" / "queue.state").unlink()


def served_by_alice(server: LiveServer) -> tuple[Agent, Visitor]:
    """A presales visitor Alice has accepted."""
    alice = Agent(server, "acme_alice")
    alice.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    alice.frames.expect(frame("offer", session_id=visitor.session_id))
    alice.ok(visitor.session_id, "accept")
    visitor.ws.expect(frame("agent_joined", nickname="Alice"))
    return alice, visitor


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_a_conversation_in_service_is_the_agents_again_after_a_restart(
    tmp_path: Path, cheap_argon2: None, stop: str
) -> None:
    with running(tmp_path) as server:
        alice, visitor = served_by_alice(server)
        sid = visitor.session_id
        visitor.say("打印机卡纸了")
        alice.frames.expect(says("打印机卡纸了", "visitor"))
        token = visitor.token
    if stop == "crash":
        crash(tmp_path)

    with running(tmp_path) as again:
        alice = Agent(again, "acme_alice")
        alice.connect()
        alice.frames.expect(frame("assigned", session_id=sid, resumed=True))
        alice.frames.expect(says("打印机卡纸了", "visitor"))  # the transcript, replayed
        [mine] = alice.get("/api/v1/agents/me/sessions")
        assert (mine["session_id"], mine["phase"]) == (sid, "active")

        visitor_ws = again.stream(f"/ws/visitor?token={token}")
        visitor_ws.expect(says("打印机卡纸了", "visitor"))
        visitor_ws.send({"type": "text", "text": "还在吗"})
        alice.frames.expect(says("还在吗", "visitor"))
        assert alice.say(sid, "在的，请稍等").status_code == 202
        visitor_ws.expect(says("在的，请稍等", "agent"))

        alice.ok(sid, "end")
        alice.frames.expect(frame("session_ended", session_id=sid, closed_by="seat"))
        visitor_ws.expect(says("本次服务已结束", "system"))
        row = again.record_when(sid, lambda r: r.closed_by is not None)
        assert (row.closed_by, row.agents) == ("seat", ["acme_alice"])


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_a_transfer_in_progress_queues_for_its_new_group_after_a_restart(
    tmp_path: Path, cheap_argon2: None, stop: str
) -> None:
    """Alice hands the visitor to aftersales, where nobody is online; after the restart the
    visitor waits there (not with Alice again), and Carol of aftersales gets the offer."""
    with running(tmp_path) as server:
        alice, visitor = served_by_alice(server)
        sid = visitor.session_id
        alice.ok(sid, "transfer", {"group": "aftersales"})
        alice.frames.expect(frame("transferred", session_id=sid))
    if stop == "crash":
        crash(tmp_path)

    with running(tmp_path) as again:
        alice = Agent(again, "acme_alice")
        alice.connect()
        carol = Agent(again, "acme_carol")
        carol.connect()
        carol.frames.expect(frame("offer", session_id=sid, group="aftersales"))
        carol.ok(sid, "accept")
        assert alice.get("/api/v1/agents/me/sessions") == []
        assert not alice.frames.seen(frame("assigned", session_id=sid))


def test_after_a_graceful_restart_agents_keep_their_status_and_invited_colleagues(
    tmp_path: Path, cheap_argon2: None
) -> None:
    """Bob rests (lunch) and Alice invited Bob into her conversation; after the restart Bob's
    workbench comes back resting, not free, and the conversation still has them both."""
    with running(tmp_path) as server:
        alice, visitor = served_by_alice(server)
        sid = visitor.session_id
        bob = Agent(server, "acme_bob")
        bob.connect()
        alice.ok(sid, "invite", {"agent": "acme_bob"})
        bob.frames.expect(frame("assigned", session_id=sid, invited=True))
        assert bob.put("/api/v1/agents/me/status", {"status": "rest", "reason": "午餐"}).is_success
        bob.frames.expect(frame("status", status="rest"))
    assert (tmp_path / "data" / "queue.state").exists()

    with running(tmp_path) as again:
        assert not (tmp_path / "data" / "queue.state").exists()  # taken: a crash rebuilds
        bob = Agent(again, "acme_bob")
        bob.connect()
        [status] = bob.frames.seen(frame("status"))
        assert (status["status"], status.get("reason")) == ("rest", "午餐")
        alice = Agent(again, "acme_alice")
        alice.connect()
        view = again.services.queue.dispatcher.session(sid)
        assert view is not None and view.agents == ("acme_alice", "acme_bob")
        # A new visitor is offered to Alice (free), never to Bob (resting).
        other = Visitor(again, "acme-web")
        other.choose("售前")
        alice.frames.expect(frame("offer", session_id=other.session_id))
        assert not bob.frames.seen(frame("offer", session_id=other.session_id))
