"""An agent's pins and mutes on the server (``/agents/me/marks``), on the records kit's app:
what an agent may mark among its recorded conversations, the body's rules, another merchant's
agents, and the newest 200 kept. ``test_routes_postgres.py`` runs these on PostgreSQL too; the
live cases (an offer ringing, a conversation served now) are in
``tests/integration/agents/test_agent_marks_live.py``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session, select

from chatflow.admin_api.agent_marks import MARKS_KEPT
from chatflow.engine.stores.recordsdb import AgentMarkRow

MARKS = "/api/v1/agents/me/marks"


def mark(kit: Kit, account: str, session_id: str, **body: Any) -> Any:
    return kit.client.patch(f"{MARKS}/{session_id}", headers=kit.as_(account), json=body)


def marks_of(kit: Kit, account: str) -> list[tuple[str, bool, bool]]:
    answer = kit.client.get(MARKS, headers=kit.as_(account))
    assert answer.status_code == 200, answer.text
    return [(m["session_id"], m["pinned"], m["muted"]) for m in answer.json()]


def test_an_agent_pins_and_mutes_its_conversations_and_every_login_reads_them(kit: Kit) -> None:
    kit.conversation("s-old", agent="alice01")
    kit.conversation("s-new", agent="alice01", status="with_agent")
    pinned = mark(kit, "alice01", "s-old", pinned=True)
    assert pinned.status_code == 200, pinned.text
    assert pinned.json() == {
        "session_id": "s-old",
        "pinned": True,
        "muted": False,
        "updated_at": "2026-11-23T10:00:00Z",
    }
    assert mark(kit, "alice01", "s-new", muted=True).status_code == 200
    # a field left out stays as it is
    assert mark(kit, "alice01", "s-old", muted=True).json()["pinned"] is True
    # the one changed last comes first
    assert marks_of(kit, "alice01") == [("s-old", True, True), ("s-new", False, True)]

    # another login of the same agent (another browser) reads the same marks
    other_browser = kit.client.post(
        "/api/v1/auth/login", json={"account": "alice01", "password": "Demo-pass1"}
    ).json()["token"]
    again = kit.client.get(MARKS, headers={"Authorization": f"Bearer {other_browser}"})
    assert [m["session_id"] for m in again.json()] == ["s-old", "s-new"]

    # neither pinned nor muted: the mark is gone
    cleared = mark(kit, "alice01", "s-new", muted=False)
    assert cleared.json()["pinned"] is False and cleared.json()["muted"] is False
    assert marks_of(kit, "alice01") == [("s-old", True, True)]


def test_closing_a_conversation_forgets_its_marks(kit: Kit) -> None:
    kit.conversation("s1", agent="alice01")
    assert mark(kit, "alice01", "s1", pinned=True, muted=True).status_code == 200
    headers = kit.as_("alice01")
    assert kit.client.delete(f"{MARKS}/s1", headers=headers).status_code == 204
    assert marks_of(kit, "alice01") == []
    assert kit.client.delete(f"{MARKS}/s1", headers=headers).status_code == 204, "idempotent"
    missing = kit.client.delete(f"{MARKS}/no-such-session", headers=headers)
    assert missing.status_code == 404, missing.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"pinned": "true"},
        {"pinned": 1},
        {"muted": "yes"},
        {"pinned": None},
        {"pinned": True, "muted": None},
        {"pinned": True, "starred": True},
        [True],
    ],
)
def test_the_body_takes_booleans_only(kit: Kit, body: Any) -> None:
    kit.conversation("s1", agent="alice01")
    answer = kit.client.patch(f"{MARKS}/s1", headers=kit.as_("alice01"), json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == "urn:chatflow:invalid_input"
    assert marks_of(kit, "alice01") == []


def test_only_a_conversation_the_agent_served_takes_its_marks(kit: Kit) -> None:
    kit.conversation("alices", agent="alice01", group="presales")
    # bob, an agent of another group, does not see alice's conversation: as if it did not exist
    assert mark(kit, "bob0001", "alices", pinned=True).status_code == 404
    # sue supervises presales and sees it, but never served it
    seen = kit.client.patch(
        f"{MARKS}/alices",
        headers={**kit.as_("sup0001"), "Accept-Language": "zh-CN"},
        json={"pinned": True},
    )
    assert seen.status_code == 409, seen.text
    assert seen.headers["content-type"] == "application/problem+json"
    assert seen.json()["type"] == "urn:chatflow:not_markable"
    assert seen.json()["detail"] == (
        "您没有接待过会话 'alices'：只能置顶或免打扰您正在接待或接待过的会话"
    )
    # a conversation served by several agents (a transfer, an invitation) is each one's own
    kit.conversation("shared", agent="alice01", agents=["alice01", "bob0001"])
    assert mark(kit, "bob0001", "shared", muted=True).status_code == 200
    assert mark(kit, "alice01", "shared", pinned=True).status_code == 200
    assert marks_of(kit, "bob0001") == [("shared", False, True)]
    assert marks_of(kit, "alice01") == [("shared", True, False)]


def test_another_merchants_agent_neither_reads_nor_sets_them(kit: Kit) -> None:
    kit.conversation("acme-1", agent="alice01")
    kit.conversation("other-1", merchant="other", site="other-web", agent="carol01")
    assert mark(kit, "alice01", "acme-1", pinned=True).status_code == 200
    assert mark(kit, "carol01", "other-1", pinned=True).status_code == 200
    assert marks_of(kit, "carol01") == [("other-1", True, False)]
    assert marks_of(kit, "alice01") == [("acme-1", True, False)]
    # carol names acme's conversation: 404, and alice's mark stays as it was
    for method in ("PATCH", "DELETE"):
        answer = kit.client.request(
            method, f"{MARKS}/acme-1", headers=kit.as_("carol01"), json={"muted": True}
        )
        assert answer.status_code == 404, (method, answer.text)
        assert "alice" not in answer.text
    assert mark(kit, "alice01", "other-1", pinned=True).status_code == 404
    assert marks_of(kit, "alice01") == [("acme-1", True, False)]
    assert marks_of(kit, "carol01") == [("other-1", True, False)]
    assert kit.client.get(MARKS).status_code == 401


def test_an_agent_keeps_its_newest_200_marks(kit: Kit) -> None:
    ids = [f"s{n:03d}" for n in range(MARKS_KEPT + 1)]
    for session_id in ids:
        kit.conversation(session_id, agent="alice01")
    kit.conversation("bobs", agent="bob0001")
    assert mark(kit, "bob0001", "bobs", pinned=True).status_code == 200
    for session_id in ids[:MARKS_KEPT]:
        assert mark(kit, "alice01", session_id, pinned=True).status_code == 200
    # the oldest change is marked again: it becomes the newest, so s001 goes first
    assert mark(kit, "alice01", ids[0], muted=True).status_code == 200
    assert mark(kit, "alice01", ids[MARKS_KEPT], pinned=True).status_code == 200
    kept = [session_id for session_id, _, _ in marks_of(kit, "alice01")]
    assert len(kept) == MARKS_KEPT
    assert kept[:2] == [ids[MARKS_KEPT], ids[0]]
    assert ids[1] not in kept
    assert marks_of(kit, "bob0001") == [("bobs", True, False)], "each agent has its own 200"


def test_racing_changes_of_one_agent_all_land_and_keep_the_cap(kit: Kit) -> None:
    ids = [f"s{n:03d}" for n in range(MARKS_KEPT + 4)]
    for session_id in ids:
        kit.conversation(session_id, agent="alice01")
    for session_id in ids[: MARKS_KEPT - 2]:
        assert mark(kit, "alice01", session_id, pinned=True).status_code == 200
    late = ids[MARKS_KEPT - 2 :]
    # two browsers change the same conversation at once, and six new ones are marked at once
    bodies = [("s000", {"muted": True}), ("s000", {"pinned": False})]
    bodies += [(session_id, {"pinned": True}) for session_id in late]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda item: mark(kit, "alice01", item[0], **item[1]), bodies))
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    kept = {session_id: (pinned, muted) for session_id, pinned, muted in marks_of(kit, "alice01")}
    assert len(kept) == MARKS_KEPT
    assert set(late) <= set(kept)
    assert kept["s000"] == (False, True), "both changes applied"


def test_marks_go_with_their_conversation_and_with_their_account(kit: Kit) -> None:
    kit.conversation("s-gone", agent="alice01")
    kit.conversation("s-kept", agent="alice01")
    for session_id in ("s-gone", "s-kept"):
        assert mark(kit, "alice01", session_id, pinned=True).status_code == 200
    deleted = kit.client.post(
        "/api/v1/records/batch/delete", json={"session_ids": ["s-gone"]}, headers=kit.as_("admin01")
    )
    assert deleted.json()["succeeded"] == ["s-gone"], deleted.text
    assert marks_of(kit, "alice01") == [("s-kept", True, False)]

    admin = kit.as_("admin01")
    assert kit.client.post("/api/v1/admin/accounts/alice01/disable", headers=admin).is_success
    assert kit.client.delete("/api/v1/admin/accounts/alice01", headers=admin).status_code == 204
    with Session(kit.engine) as db:
        assert db.exec(select(AgentMarkRow)).all() == []
