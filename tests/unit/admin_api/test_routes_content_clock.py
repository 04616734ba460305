"""Merchant content is dated by the app's clock, like the conversations beside it: a ban, a
profile, a quick reply, a word, an account and a flow version made on a frozen clock carry its
time, not the machine's (the kit's clock stands at 2026-11-23, far from today)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session

from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.contenttables import BlacklistRow, VisitorRow

FLOW = "id: dated\nstart: bye\nnodes:\n  bye: {type: end, message: bye}\n"


def call(kit: Kit, method: str, url: str, account: str = "admin01", **kwargs: Any) -> Any:
    response = kit.client.request(method, url, headers=kit.as_(account), **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def clock(kit: Kit) -> FrozenClock:
    frozen: FrozenClock = kit.client.app.state.clock  # type: ignore[attr-defined]
    return frozen


def stored(kit: Kit, visitor_id: str) -> tuple[datetime | None, datetime | None]:
    """The visitor's profile time and ban time as stored."""
    with Session(kit.engine) as db:
        profile = db.get(VisitorRow, ("acme", visitor_id))
        ban = db.get(BlacklistRow, ("acme", visitor_id))
        return (
            profile.updated_at if profile else None,
            ban.added_at if ban else None,
        )


def test_a_ban_and_the_profile_it_makes_are_dated_by_the_apps_clock(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")  # known by its conversation only: no profile yet
    added = call(kit, "PUT", "/api/v1/blacklist/v1", json={"reason": "spam"})
    assert at(added["added_at"]) == NOW
    assert stored(kit, "v1") == (NOW, NOW)
    clock(kit).advance(3600)
    again = call(kit, "PUT", "/api/v1/blacklist/v1", json={"reason": "spam again"})
    assert at(again["added_at"]) == NOW + timedelta(hours=1)


def test_a_batch_ban_and_a_batch_tag_are_dated_by_the_apps_clock(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")
    kit.conversation("s2", visitor="v2")
    group = call(kit, "POST", "/api/v1/tag-groups", json={"name": "level", "tags": ["vip"]})
    tag_id = group["tags"][0]["id"]
    batch = "/api/v1/records/batch"
    call(kit, "POST", f"{batch}/tag", json={"session_ids": ["s2"], "tag_ids": [tag_id]})
    assert stored(kit, "v2") == (NOW, None)
    clock(kit).advance(60)
    call(kit, "POST", f"{batch}/blacklist", json={"session_ids": ["s1"], "reason": "spam"})
    assert stored(kit, "v1") == (NOW + timedelta(seconds=60),) * 2


def test_profiles_and_tags_are_dated_by_the_apps_clock(kit: Kit) -> None:
    for n in (1, 2, 3):
        kit.conversation(f"s{n}", visitor=f"v{n}")
    saved = call(kit, "PUT", "/api/v1/visitors/v1", json={"name": "Wang"})
    assert at(saved["updated_at"]) == NOW
    group = call(kit, "POST", "/api/v1/tag-groups", json={"name": "level", "tags": ["vip"]})
    tag_id = group["tags"][0]["id"]
    clock(kit).advance(60)
    call(kit, "PUT", "/api/v1/visitors/v2/tags", json={"tag_ids": [tag_id]})
    call(kit, "POST", "/api/v1/visitors/tags", json={"visitor_ids": ["v3"], "tag_ids": [tag_id]})
    later = NOW + timedelta(seconds=60)
    assert stored(kit, "v2") == stored(kit, "v3") == (later, None)


def test_quick_replies_are_dated_by_the_apps_clock(kit: Kit) -> None:
    url = "/api/v1/quick-replies"
    made = call(kit, "POST", url, json={"title": "hello", "content": "hi"})
    assert at(made["updated_at"]) == NOW
    clock(kit).advance(60)
    changed = call(kit, "PATCH", f"{url}/{made['id']}", json={"content": "hi there"})
    assert at(changed["updated_at"]) == NOW + timedelta(seconds=60)
    clock(kit).advance(60)
    upload = "组名,标题,内容\n,hello,replaced\n常用语,bye,goodbye\n".encode()
    headers = {**kit.as_("admin01"), "Content-Type": "application/octet-stream"}
    report = kit.client.post(f"{url}/import", content=upload, headers=headers).json()
    assert (report["imported"], report["updated"]) == (1, 1), report
    listed = call(kit, "GET", url)["items"]
    assert {at(item["updated_at"]) for item in listed} == {NOW + timedelta(seconds=120)}


def test_words_are_dated_by_the_apps_clock(kit: Kit) -> None:
    added = call(kit, "POST", "/api/v1/sensitive-words", json={"kind": "sensitive", "words": ["x"]})
    assert [at(word["created_at"]) for word in added["added"]] == [NOW]


def test_accounts_and_flow_versions_are_dated_by_the_apps_clock(kit: Kit) -> None:
    group = call(
        kit, "POST", "/api/v1/admin/permission-groups", json={"name": "agents", "permissions": {}}
    )
    body = {
        "account": "dated01",
        "password": "Dated-pass1",
        "nickname": "Dee",
        "staff_no": "3001",
        "permission_group_id": group["id"],
    }
    account = call(kit, "POST", "/api/v1/admin/accounts", json=body)
    assert at(account["created_at"]) == NOW
    flows = "/api/v1/admin/flows/dated"
    version = call(kit, "POST", f"{flows}/versions", json={"yaml": FLOW})
    assert at(version["created_at"]) == NOW
    clock(kit).advance(60)
    rolled = call(kit, "POST", f"{flows}/rollback", json={"version": version["version"]})
    assert at(rolled["created_at"]) == NOW + timedelta(seconds=60)
