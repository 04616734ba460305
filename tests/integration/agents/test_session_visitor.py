"""The workbench's visitor panel: a conversation's visitor, who may change it, its history.

Bob (an agent, agent scope ``self``) serves visitor ``v-wang`` on acme-web; earlier conversations
of that visitor and of others are written straight into the records tables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from agent_world import PASSWORD, Agent, LiveServer, Visitor, frame, running
from sqlmodel import Session

from chatflow.admin_api.routes_records import RecordOut
from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.contenttables import VisitorRow
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow

WANG = "v-wang"


def path(session_id: str, rest: str = "") -> str:
    return f"/api/v1/sessions/{session_id}/visitor{rest}"


def call(agent: Agent, method: str, url: str, **kwargs: Any) -> httpx.Response:
    return agent.server.http.request(method, url, headers=agent.headers, **kwargs)


def serve(server: LiveServer, visitor_id: str = WANG) -> tuple[Agent, str]:
    """Bob, the only agent online, accepts a new conversation of ``visitor_id``."""
    bob = Agent(server, "acme_bob")
    bob.connect()
    visitor = Visitor(server, "acme-web", visitor_id)
    visitor.choose("售前")
    bob.frames.expect(frame("offer", session_id=visitor.session_id))
    bob.ok(visitor.session_id, "accept")
    return bob, visitor.session_id


def past(
    server: LiveServer,
    session_id: str,
    *,
    days_ago: float,
    visitor: str = WANG,
    merchant: str = "acme",
    site: str = "acme-web",
    agent: str | None = None,
    lines: tuple[str, ...] = (),
) -> None:
    """An ended conversation that started ``days_ago`` days ago."""
    start = datetime.now(UTC) - timedelta(days=days_ago)
    with Session(server.app.state.records) as db:
        db.add(
            ConversationRow(
                session_id=session_id,
                merchant_id=merchant,
                site_key=site,
                visitor_id=visitor,
                flow_id="acme_reception",
                status="ended",
                group_id="aftersales" if agent else None,
                agent_account=agent,
                agents=[agent] if agent else [],
                started_at=start,
                ended_at=start + timedelta(minutes=5),
            )
        )
        for seq, text in enumerate(lines, start=1):
            db.add(
                MessageRow(
                    session_id=session_id,
                    merchant_id=merchant,
                    seq=seq,
                    sender="visitor",
                    text=text,
                    at=start + timedelta(seconds=seq),
                )
            )
        db.commit()


def tag_group(agent: Agent, name: str, tags: list[str], *, multi: bool) -> list[int]:
    body = {"name": name, "multi": multi, "tags": tags}
    response = call(agent, "POST", "/api/v1/tag-groups", json=body)
    assert response.status_code == 201, response.text
    return [tag["id"] for tag in response.json()["tags"]]


def make_account(admin: Agent, account: str, permissions: dict[str, str], **scope: Any) -> Agent:
    """A sub-account of acme with a permission group of its own."""
    body = {"name": f"{account} rights", "permissions": permissions}
    group = call(admin, "POST", "/api/v1/admin/permission-groups", json=body)
    assert group.status_code == 201, group.text
    body = {
        "account": account,
        "password": PASSWORD,
        "nickname": account,
        "staff_no": f"7-{account}"[:20],  # staff numbers are unique within a merchant
        "permission_group_id": group.json()["id"],
        **scope,
    }
    made = call(admin, "POST", "/api/v1/admin/accounts", json=body)
    assert made.status_code == 201, made.text
    return Agent(admin.server, account)


def test_the_serving_agent_reads_and_edits_its_visitor(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    bob, sid = serve(server)
    mine = bob.get("/api/v1/agents/me/sessions")[0]
    assert mine["visitor_name"] is None
    # names, not keys, for the workbench's header
    assert (mine["site_name"], mine["agent_names"]) == ("Acme 官网", {"acme_bob": "Bob"})
    fresh = bob.get(path(sid))
    visit = fresh.pop("visit")  # its own tests: test_visit_capture.py
    assert (visit["ip"], visit["channel"], visit["page_url"]) == ("127.0.0.1", "Acme 官网", None)
    assert visit["channel_type"] == "web"
    assert fresh == {
        "visitor_id": WANG,
        "site_key": "acme-web",
        "site_name": "Acme 官网",
        "name": None,
        "phone": None,
        "email": None,
        "note": None,
        "tags": [],
        "blacklist": None,
        "updated_at": None,
        "rights": {"profile": True, "tags": True, "blacklist": False},
    }
    with Session(server.app.state.records) as db:
        assert db.get(VisitorRow, ("acme", WANG)) is None  # reading made no profile

    body = {"name": " 王小明 ", "phone": "0912345678", "note": "VIP"}
    saved = call(bob, "PUT", path(sid), json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["name"] == "王小明" and saved.json()["email"] is None
    assert saved.json()["updated_at"] is not None
    li = Visitor(server, "acme-web", "v-li")
    li.choose("售前")
    bob.frames.expect(frame("offer", session_id=li.session_id))
    bob.ok(li.session_id, "accept")
    names = {s["visitor_id"]: s["visitor_name"] for s in bob.get("/api/v1/agents/me/sessions")}
    assert names == {WANG: "王小明", "v-li": None}
    cleared = call(bob, "PUT", path(sid), json={"name": "王小明"}).json()
    assert cleared["phone"] is None and cleared["note"] is None  # left out: cleared
    too_long = call(bob, "PUT", path(sid), json={"name": "x" * 65})
    assert too_long.status_code == 422

    gold, silver = tag_group(alice, "等级", ["金", "银"], multi=False)
    [digital] = tag_group(alice, "兴趣", ["数码"], multi=True)
    gina = Agent(server, "globex_gina")
    [theirs] = tag_group(gina, "Globex", ["x"], multi=True)
    tagged = call(bob, "PUT", path(sid, "/tags"), json={"tag_ids": [digital, gold]})
    assert tagged.status_code == 200, tagged.text
    level_group = tagged.json()["tags"][0]["group_id"]
    assert [(t["name"], t["group_name"]) for t in tagged.json()["tags"]] == [
        ("金", "等级"),
        ("数码", "兴趣"),
    ]
    assert tagged.json()["tags"][0] == {
        "id": gold,
        "name": "金",
        "group_id": level_group,
        "group_name": "等级",
    }
    both = call(bob, "PUT", path(sid, "/tags"), json={"tag_ids": [gold, silver]})
    assert both.status_code == 422 and both.json()["type"] == "urn:chatflow:single_choice"
    foreign = call(bob, "PUT", path(sid, "/tags"), json={"tag_ids": [theirs]})
    assert foreign.status_code == 404
    assert [t["id"] for t in bob.get(path(sid))["tags"]] == [gold, digital]  # unchanged

    banned = call(alice, "PUT", f"/api/v1/blacklist/{WANG}", json={"reason": "辱骂客服"})
    assert banned.status_code == 200, banned.text
    entry = bob.get(path(sid))["blacklist"]
    assert entry["reason"] == "辱骂客服" and entry["added_by"] == "acme_alice"
    assert entry["added_at"] is not None

    admin_view = alice.get(path(sid))  # an admin sees every conversation and may edit
    assert admin_view["rights"] == {"profile": True, "tags": True, "blacklist": True}
    assert admin_view["name"] == "王小明"
    by_admin = call(alice, "PUT", path(sid), json={"name": "王先生", "email": "w@example.com"})
    assert by_admin.status_code == 200 and by_admin.json()["email"] == "w@example.com"
    by_admin = call(alice, "PUT", path(sid, "/tags"), json={"tag_ids": [silver]})
    assert [t["name"] for t in by_admin.json()["tags"]] == ["银"]


def test_a_session_the_caller_cannot_see_is_404_on_every_route(server: LiveServer) -> None:
    _, sid = serve(server)
    past(server, "old-1", days_ago=2)
    dave, gina = Agent(server, "acme_dave"), Agent(server, "globex_gina")
    for agent in (dave, gina):  # dave: not his conversation; gina: another merchant's
        for method, url, body in (
            ("GET", path(sid), None),
            ("PUT", path(sid), {"name": "x"}),
            ("PUT", path(sid, "/tags"), {"tag_ids": []}),
            ("GET", path(sid, "/history"), None),
            ("GET", path(sid, "/history/old-1"), None),
        ):
            response = call(agent, method, url, json=body)
            assert response.status_code == 404, (agent.account, url, response.text)
            assert response.json()["detail"] == f"no session {sid!r}"
    assert call(gina, "GET", path("nope")).status_code == 404


def test_after_its_service_an_agent_reads_its_visitor_but_may_not_edit(
    server: LiveServer,
) -> None:
    bob, sid = serve(server)
    bob.ok(sid, "end")
    server.record_when(sid, lambda row: "acme_bob" in row.agents)
    seen = bob.get(path(sid))  # its own past conversation
    assert seen["visitor_id"] == WANG
    assert seen["rights"] == {"profile": False, "tags": False, "blacklist": False}
    for url, body in ((path(sid), {"name": "x"}), (path(sid, "/tags"), {"tag_ids": []})):
        refused = call(bob, "PUT", url, json=body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"] == "urn:chatflow:forbidden"
    assert bob.get(path(sid))["name"] is None
    assert bob.get(path(sid, "/history"))["total"] == 0


def test_the_blacklist_right_follows_blacklist_edit(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    _, sid = serve(server)
    keeper = make_account(
        alice,
        "acme_keeper",
        {"records": "view", "blacklist": "edit"},
        agent_scope="all",
    )
    assert keeper.get(path(sid))["rights"] == {"profile": False, "tags": False, "blacklist": True}
    assert call(keeper, "PUT", path(sid), json={"name": "x"}).status_code == 403
    editor = make_account(alice, "acme_editor", {"records": "edit"}, agent_scope="all")
    assert editor.get(path(sid))["rights"] == {"profile": True, "tags": False, "blacklist": False}
    assert call(editor, "PUT", path(sid), json={"name": "王"}).status_code == 200
    assert call(editor, "PUT", path(sid, "/tags"), json={"tag_ids": []}).status_code == 403


def test_history_is_the_visitors_other_conversations_whoever_served_them(
    server: LiveServer,
) -> None:
    alice = Agent(server, "acme_alice")
    bob, sid = serve(server)
    past(server, "h-dave", days_ago=2, agent="acme_dave", lines=("我的打印机坏了", "好的"))
    past(server, "h-bot", days_ago=10, lines=("营业时间？",))
    past(server, "h-old", days_ago=40, lines=("打印机",))
    past(server, "h-shop", days_ago=1, site="acme-shop", lines=("退货",))
    past(server, "other-visitor", days_ago=1, visitor="v-li", lines=("打印机",))
    past(server, "globex-same-id", days_ago=1, merchant="globex", site="globex-web")
    server.record_when(sid, lambda row: True)

    history = bob.get(path(sid, "/history"))
    assert history["total"] == 3
    assert [r["session_id"] for r in history["items"]] == ["h-shop", "h-dave", "h-bot"]
    assert history["items"][1]["agent_account"] == "acme_dave"
    assert set(history["items"][0]) == set(RecordOut.model_fields)
    # not limited by the agent scope: bob's records do not show dave's conversation
    assert call(bob, "GET", "/api/v1/records/h-dave").status_code == 404

    longer = bob.get(path(sid, "/history"), days=60)
    assert [r["session_id"] for r in longer["items"]] == ["h-shop", "h-dave", "h-bot", "h-old"]
    found = bob.get(path(sid, "/history"), q="打印机", days=90)
    assert [r["session_id"] for r in found["items"]] == ["h-dave", "h-old"]
    page = bob.get(path(sid, "/history"), limit=1, offset=1)
    assert page["total"] == 3 and [r["session_id"] for r in page["items"]] == ["h-dave"]
    for query in ({"q": "  "}, {"days": 0}, {"days": 91}, {"limit": 101}, {"q": "x" * 101}):
        assert call(bob, "GET", path(sid, "/history"), params=query).status_code == 422, query

    transcript = bob.get(path(sid, "/history/h-dave"), q="打印机")
    assert transcript["record"]["session_id"] == "h-dave"
    assert [m["text"] for m in transcript["messages"]] == ["我的打印机坏了", "好的"]
    assert transcript["search"] == {
        "query": "打印机",
        "matches": 1,
        "current": 1,
        "seq": 1,
        "offset": 2,
    }
    assert bob.get(path(sid, f"/history/{sid}"))["record"]["visitor_id"] == WANG  # this one
    for other in ("other-visitor", "globex-same-id", "nope"):
        refused = call(bob, "GET", path(sid, f"/history/{other}"))
        assert refused.status_code == 404, (other, refused.text)
        assert refused.json()["detail"] == f"no conversation {other!r}"
    assert call(bob, "GET", path(sid, "/history/h-dave"), params={"q": " "}).status_code == 422

    web_only = make_account(
        alice,
        "acme_webonly",
        {"records": "view"},
        agent_scope="all",
        site_scope="chosen",
        sites=["acme-web"],
    )
    limited = web_only.get(path(sid, "/history"))
    assert [r["session_id"] for r in limited["items"]] == ["h-dave", "h-bot"]  # not acme-shop
    assert call(web_only, "GET", path(sid, "/history/h-shop")).status_code == 404
    assert web_only.get(path(sid, "/history/h-bot"))["record"]["session_id"] == "h-bot"


def test_the_panels_edits_are_dated_by_the_apps_clock(tmp_path: Path, cheap_argon2: None) -> None:
    """A profile the panel saves and the tags it sets carry the app's time, not the machine's
    (a frozen demo clock would otherwise date them days apart from the conversation)."""
    clock = FrozenClock("2026-01-05T09:30:00+08:00")
    with running(tmp_path, clock) as server:
        bob, sid = serve(server)
        saved = call(bob, "PUT", path(sid), json={"name": "王小明"})
        assert saved.status_code == 200, saved.text
        assert datetime.fromisoformat(saved.json()["updated_at"]) == clock.now()

        admin = Agent(server, "acme_alice")
        (vip,) = tag_group(admin, "等级", ["VIP"], multi=False)
        clock.advance(300)
        with Session(server.app.state.records) as db:  # a visitor the panel makes a profile for
            db.delete(db.get(VisitorRow, ("acme", WANG)))
            db.commit()
        tagged = call(bob, "PUT", path(sid, "/tags"), json={"tag_ids": [vip]})
        assert tagged.status_code == 200, tagged.text
        assert datetime.fromisoformat(tagged.json()["updated_at"]) == clock.now()


def test_an_agent_who_may_tag_lists_the_tags_without_the_tags_right(server: LiveServer) -> None:
    """The panel's tag picker reads the tag groups through the conversation: an agent serving it
    may tag its visitor, so it may list the tags even when its permission group has no
    ``tags: view``; once the service has ended it may not."""
    alice = Agent(server, "acme_alice")
    tag_group(alice, "等级", ["VIP", "普通"], multi=False)
    cleo = make_account(alice, "acme_cleo", {"records": "view"}, groups={"presales": 1})
    assert call(cleo, "GET", "/api/v1/tag-groups").status_code == 403
    cleo.connect()
    visitor = Visitor(server, "acme-web", "v-zhao")
    visitor.choose("售前")
    cleo.frames.expect(frame("offer", session_id=visitor.session_id))
    cleo.ok(visitor.session_id, "accept")
    listed = call(cleo, "GET", path(visitor.session_id, "/tag-groups"))
    assert listed.status_code == 200, listed.text
    assert [(g["name"], [t["name"] for t in g["tags"]]) for g in listed.json()] == [
        ("等级", ["VIP", "普通"])
    ]
    cleo.ok(visitor.session_id, "end")
    server.record_when(visitor.session_id, lambda row: "acme_cleo" in row.agents)
    refused = call(cleo, "GET", path(visitor.session_id, "/tag-groups"))
    assert refused.status_code == 403, refused.text
