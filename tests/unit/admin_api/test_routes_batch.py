from __future__ import annotations

from typing import Any

from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session, select

from chatflow.admin_api.live import LiveError
from chatflow.channels.images import new_image_id
from chatflow.engine.content import is_blacklisted
from chatflow.engine.frames import Frame
from chatflow.engine.session import Session as StoredSession
from chatflow.engine.stores.channeltables import ImageRow
from chatflow.engine.stores.contenttables import TagGroupRow, TagRow, VisitorTagRow
from chatflow.engine.stores.recordsdb import (
    AccountRow,
    ConversationRow,
    MessageRow,
    PermissionGroupRow,
)

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def batch(kit: Kit, action: str, body: dict[str, Any], account: str = "admin01") -> Any:
    return kit.client.post(f"/api/v1/records/batch/{action}", json=body, headers=kit.as_(account))


def test_close_reports_successes_and_failures_per_item(kit: Kit) -> None:
    kit.conversation("live-1", status="with_agent")
    kit.conversation("live-2", status="queued", agent=None)
    kit.conversation("refused", status="with_agent")
    kit.conversation("done", status="ended")
    kit.conversation("foreign", merchant="other", site="other-web", status="with_agent")
    kit.live.refuse["refused"] = LiveError("not_live", "the session is no longer running")
    ids = ["live-1", "live-2", "refused", "done", "foreign", "missing", "live-1"]
    response = batch(kit, "close", {"session_ids": ids})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["succeeded"] == ["live-1", "live-2"] and result["success_count"] == 2
    assert [(f["session_id"], f["code"]) for f in result["failed"]] == [
        ("refused", "not_live"),
        ("done", "already_ended"),
        ("foreign", "not_found"),  # another tenant's id looks like a missing one
        ("missing", "not_found"),
    ]
    assert kit.live.calls == [
        ("close", "acme", "live-1", "admin01"),
        ("close", "acme", "live-2", "admin01"),
    ]


def test_a_batch_of_nothing_visible_is_404(kit: Kit) -> None:
    kit.conversation("theirs", merchant="other", site="other-web", status="with_agent")
    response = batch(kit, "close", {"session_ids": ["theirs", "missing"]})
    assert response.status_code == 404 and kit.live.calls == []
    assert batch(kit, "delete", {"session_ids": ["theirs"]}).status_code == 404


def test_transfer_takes_at_most_20_and_names_one_target(kit: Kit) -> None:
    for n in range(21):
        kit.conversation(f"s{n}", status="with_agent")
    too_many = batch(kit, "transfer", {"session_ids": [f"s{n}" for n in range(21)], "group": "vip"})
    assert too_many.status_code == 422 and too_many.json()["type"] == "urn:chatflow:too_many"
    assert too_many.json()["limit"] == 20 and kit.live.calls == []
    twenty = batch(kit, "transfer", {"session_ids": [f"s{n}" for n in range(20)], "group": "vip"})
    assert twenty.json()["success_count"] == 20
    assert kit.live.calls[0] == ("transfer", "acme", "s0", "group:vip", "admin01")
    to_agent = batch(kit, "transfer", {"session_ids": ["s20"], "agent": "bob0001"})
    assert to_agent.json()["succeeded"] == ["s20"]
    assert kit.live.calls[-1] == ("transfer", "acme", "s20", "agent:bob0001", "admin01")
    both = batch(kit, "transfer", {"session_ids": ["s1"], "group": "vip", "agent": "bob0001"})
    assert both.status_code == 422
    assert batch(kit, "transfer", {"session_ids": ["s1"], "group": "nope"}).status_code == 404
    assert batch(kit, "transfer", {"session_ids": ["s1"], "agent": "carol01"}).status_code == 404


def test_transfer_to_a_disabled_agent_is_refused_like_a_missing_one(kit: Kit) -> None:
    kit.conversation("s1", status="with_agent")
    with Session(kit.engine) as db:
        bob = db.exec(select(AccountRow).where(AccountRow.account == "bob0001")).one()
        bob.enabled = False
        db.add(bob)
        db.commit()
    response = batch(kit, "transfer", {"session_ids": ["s1"], "agent": "bob0001"})
    assert response.status_code == 404 and kit.live.calls == []


def test_live_actions_need_the_live_wiring(kit: Kit) -> None:
    kit.conversation("s1", status="with_agent")
    del kit.client.app.state.live  # type: ignore[attr-defined]
    response = batch(kit, "close", {"session_ids": ["s1"]})
    assert (
        response.status_code == 503 and response.json()["type"] == "urn:chatflow:live_unavailable"
    )


def test_scope_limits_batch_actions_too(kit: Kit) -> None:
    kit.conversation("vip", group="vip", agent="bob0001", status="with_agent")
    kit.conversation("presales", status="with_agent")
    result = batch(kit, "close", {"session_ids": ["vip", "presales"]}, account="sup0001").json()
    assert result["succeeded"] == ["presales"]
    assert result["failed"][0] == {
        "session_id": "vip",
        "code": "not_found",
        "detail": "no such conversation",
    }
    assert batch(kit, "close", {"session_ids": ["presales"]}, account="alice01").status_code == 403


def test_delete_removes_ended_conversations_and_their_transcripts_only(kit: Kit) -> None:
    kit.conversation("old", messages=[("visitor", "hi")])
    kit.conversation("live", status="with_agent", messages=[("visitor", "hi")])
    kit.conversation("theirs", merchant="other", site="other-web", messages=[("visitor", "x")])
    result = batch(kit, "delete", {"session_ids": ["old", "live", "theirs"]}).json()
    assert result["succeeded"] == ["old"]
    assert {f["session_id"]: f["code"] for f in result["failed"]} == {
        "live": "still_live",
        "theirs": "not_found",
    }
    with Session(kit.engine) as db:
        left = set(db.exec(select(ConversationRow.session_id)).all())
        lines = set(db.exec(select(MessageRow.session_id)).all())
    assert left == {"live", "theirs"} and lines == {"live", "theirs"}


def test_delete_takes_the_conversations_images_with_it(kit: Kit) -> None:
    kit.conversation("old")
    kit.conversation("live", status="with_agent")
    blobs = kit.client.app.state.images.blobs  # type: ignore[attr-defined]
    stored = {}
    for session_id in ("old", "live"):
        image_id = new_image_id()
        with Session(kit.engine) as db:
            db.add(
                ImageRow(
                    id=image_id, session_id=session_id, merchant_id="acme", sender="visitor",
                    content_type="image/png", size=len(PNG), sha256="x",
                )
            )  # fmt: skip
            db.commit()
        blobs.put(image_id, PNG)
        stored[session_id] = image_id
    assert kit.client.get(f"/api/v1/images/{stored['old']}").status_code == 200

    assert batch(kit, "delete", {"session_ids": ["old", "live"]}).json()["succeeded"] == ["old"]
    assert kit.client.get(f"/api/v1/images/{stored['old']}").status_code == 404
    assert blobs.get(stored["old"]) is None
    with Session(kit.engine) as db:
        assert set(db.exec(select(ImageRow.session_id)).all()) == {"live"}
    assert kit.client.get(f"/api/v1/images/{stored['live']}").content == PNG


def test_delete_forgets_the_ended_session_so_the_visitor_cannot_replay_it(kit: Kit) -> None:
    app: Any = kit.client.app
    portal: Any = kit.client.portal
    store = app.state.services.runtime.store
    for session_id, status in (("old", "ended"), ("live", "with_agent")):
        kit.conversation(session_id, status=status)
        stored = StoredSession(id=session_id, flow_id="presales", flow_version="v", node="n")
        stored.status = status
        portal.call(store.create, stored, frames_of(session_id))
    tokens = app.state.visitor_channel.tokens
    events = "/api/v1/sessions/old/events"
    before = kit.client.get(events, headers={"Authorization": f"Bearer {tokens.issue('old')}"})
    assert [e["text"] for e in before.json()["events"]] == ["hello old"]

    assert batch(kit, "delete", {"session_ids": ["old", "live"]}).json()["succeeded"] == ["old"]
    assert portal.call(store.load, "old") is None
    assert portal.call(store.load, "live") is not None
    after = kit.client.get(events, headers={"Authorization": f"Bearer {tokens.issue('old')}"})
    assert after.status_code == 404 and after.json()["type"] == "urn:chatflow:session_not_found"


def frames_of(session_id: str) -> list[Frame]:
    return [Frame(1, "message", {"from": "bot", "text": f"hello {session_id}"}, NOW.isoformat())]


def test_tag_and_blacklist_act_on_the_visitors(kit: Kit) -> None:
    kit.conversation("a", visitor="v1")
    kit.conversation("b", visitor="v2")
    with Session(kit.engine) as db:
        level = TagGroupRow(merchant_id="acme", name="level", multi=False)
        db.add(level)
        db.flush()
        gold = TagRow(merchant_id="acme", group_id=level.id or 0, name="gold")
        silver = TagRow(merchant_id="acme", group_id=level.id or 0, name="silver")
        db.add_all([gold, silver])
        db.commit()
        gold_id, silver_id = gold.id, silver.id
    assert batch(kit, "tag", {"session_ids": ["a", "b"], "tag_ids": [silver_id]}).status_code == 200
    result = batch(kit, "tag", {"session_ids": ["a"], "tag_ids": [gold_id]}).json()
    assert result["succeeded"] == ["a"]
    with Session(kit.engine) as db:
        held = {(r.visitor_id, r.tag_id) for r in db.exec(select(VisitorTagRow)).all()}
    assert held == {("v1", gold_id), ("v2", silver_id)}  # single-choice: gold replaced silver
    unknown = batch(kit, "tag", {"session_ids": ["a"], "tag_ids": [999]})
    assert unknown.status_code == 404

    banned = batch(kit, "blacklist", {"session_ids": ["b", "zzz"], "reason": "spam"}).json()
    assert banned["succeeded"] == ["b"] and banned["failed"][0]["code"] == "not_found"
    assert is_blacklisted(kit.engine, "acme", "v2") and not is_blacklisted(kit.engine, "acme", "v1")


def test_tagging_and_blacklisting_need_their_own_rights(kit: Kit) -> None:
    kit.conversation("a", agent="alice01")
    with Session(kit.engine) as db:
        rights = PermissionGroupRow(
            merchant_id="acme", name="records only", permissions={"records": "edit"}
        )
        db.add(rights)
        db.flush()
        alice = db.exec(select(AccountRow).where(AccountRow.account == "alice01")).one()
        alice.permission_group_id = rights.id
        db.add(alice)
        db.commit()
    body = {"session_ids": ["a"], "tag_ids": [1]}
    assert batch(kit, "tag", body, account="alice01").status_code == 403
    assert batch(kit, "blacklist", {"session_ids": ["a"]}, account="alice01").status_code == 403
    assert batch(kit, "delete", {"session_ids": ["a"]}, account="alice01").status_code == 200
