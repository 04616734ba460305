from __future__ import annotations

from typing import Any

from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.engine.content import is_blacklisted


def call(kit: Kit, method: str, url: str, account: str = "admin01", **kwargs: Any) -> Any:
    return kit.client.request(method, url, headers=kit.as_(account), **kwargs)


def test_profiles_of_known_visitors_only(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")
    kit.conversation("s9", merchant="other", site="other-web", visitor="v-other")
    body = {"name": " 王小明 ", "phone": "0912345678", "email": "wang@example.com", "note": "VIP"}
    saved = call(kit, "PUT", "/api/v1/visitors/v1", json=body).json()
    assert saved["name"] == "王小明" and saved["tag_ids"] == [] and saved["blacklist"] is None
    assert (
        call(kit, "GET", "/api/v1/visitors/v1", account="alice01").json()["phone"] == "0912345678"
    )
    assert call(kit, "PUT", "/api/v1/visitors/nobody", json=body).status_code == 404
    assert call(kit, "PUT", "/api/v1/visitors/v-other", json=body).status_code == 404
    assert call(kit, "GET", "/api/v1/visitors/v-other").status_code == 404
    assert call(kit, "PUT", "/api/v1/visitors/v1", account="alice01", json=body).status_code == 403
    found = call(kit, "GET", "/api/v1/visitors", params={"q": "example.com"}).json()
    assert found["total"] == 1 and found["items"][0]["visitor_id"] == "v1"


def test_a_profile_email_is_checked_like_the_form_nodes(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")
    url = "/api/v1/visitors/v1"
    for wrong in ("not an email", "wang@localhost", "wang@@example.com"):
        refused = call(kit, "PUT", url, json={"name": "王", "email": wrong})
        assert refused.status_code == 422, wrong
        [error] = refused.json()["errors"]
        assert error["path"] == "body.email" and "not an email address" in error["message"]
    assert call(kit, "GET", url).json()["name"] is None, "a refused save stores nothing"
    mended = call(kit, "PUT", url, json={"email": " wang＠example.com "}).json()
    assert mended["email"] == "wang@example.com", "an IME's full-width ＠ is mended"
    cleared = call(kit, "PUT", url, json={"email": "  "}).json()
    assert cleared["email"] is None


def test_blacklist_add_list_remove(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")
    kit.conversation("s2", visitor="v2")
    kit.conversation("s9", merchant="other", site="other-web", visitor="v9")
    added = call(kit, "PUT", "/api/v1/blacklist/v1", json={"reason": "辱骂客服"})
    assert added.status_code == 200 and added.json()["added_by"] == "admin01"
    assert is_blacklisted(kit.engine, "acme", "v1")
    assert call(kit, "PUT", "/api/v1/blacklist/v9", json={}).status_code == 404  # not acme's
    assert call(kit, "PUT", "/api/v1/blacklist/v2", account="alice01", json={}).status_code == 403
    listing = call(kit, "GET", "/api/v1/blacklist", account="alice01").json()
    assert listing["total"] == 1 and listing["items"][0]["reason"] == "辱骂客服"
    banned = call(kit, "GET", "/api/v1/visitors", params={"blacklisted": "true"}).json()
    assert [v["visitor_id"] for v in banned["items"]] == ["v1"]
    assert banned["items"][0]["blacklist"]["reason"] == "辱骂客服"
    assert call(kit, "GET", "/api/v1/blacklist", account="carol01").json()["total"] == 0
    assert call(kit, "DELETE", "/api/v1/blacklist/v1", account="carol01").status_code == 404
    assert call(kit, "DELETE", "/api/v1/blacklist/v1").status_code == 204
    assert not is_blacklisted(kit.engine, "acme", "v1")
    assert call(kit, "DELETE", "/api/v1/blacklist/v1").status_code == 404


def test_tag_groups_single_and_multiple_choice(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")
    kit.conversation("s2", visitor="v2")
    level = call(
        kit,
        "POST",
        "/api/v1/tag-groups",
        json={"name": "等级", "multi": False, "tags": ["金", "银"]},
    ).json()
    topics = call(kit, "POST", "/api/v1/tag-groups", json={"name": "兴趣", "tags": ["数码"]}).json()
    gold, silver = (t["id"] for t in level["tags"])
    digital = topics["tags"][0]["id"]
    books = call(
        kit, "POST", f"/api/v1/tag-groups/{topics['id']}/tags", json={"name": "图书"}
    ).json()
    assert call(kit, "POST", "/api/v1/tag-groups", json={"name": "等级"}).status_code == 409

    both = call(kit, "PUT", "/api/v1/visitors/v1/tags", json={"tag_ids": [gold, silver]})
    assert both.status_code == 422  # one tag per single-choice group
    held = call(
        kit, "PUT", "/api/v1/visitors/v1/tags", json={"tag_ids": [gold, digital, books["id"]]}
    )
    assert held.json() == sorted([gold, digital, books["id"]])

    batch = call(
        kit,
        "POST",
        "/api/v1/visitors/tags",
        json={"visitor_ids": ["v1", "v2", "nope"], "tag_ids": [silver]},
    ).json()
    assert batch["succeeded"] == ["v1", "v2"] and batch["failed"][0]["visitor_id"] == "nope"
    nobody = call(
        kit, "POST", "/api/v1/visitors/tags", json={"visitor_ids": ["nope"], "tag_ids": [silver]}
    )
    assert nobody.status_code == 404
    v1 = call(kit, "GET", "/api/v1/visitors/v1").json()
    assert v1["tag_ids"] == sorted([silver, digital, books["id"]])  # silver replaced gold

    tagged = call(kit, "GET", "/api/v1/visitors", params={"tag": digital}).json()
    assert [v["visitor_id"] for v in tagged["items"]] == ["v1"]
    crowded = call(kit, "PATCH", f"/api/v1/tag-groups/{topics['id']}", json={"multi": False})
    assert crowded.status_code == 409  # v1 holds two topics
    call(kit, "DELETE", f"/api/v1/tags/{books['id']}")
    assert (
        call(kit, "PATCH", f"/api/v1/tag-groups/{topics['id']}", json={"multi": False}).status_code
        == 200
    )
    call(kit, "DELETE", f"/api/v1/tag-groups/{level['id']}")
    assert call(kit, "GET", "/api/v1/visitors/v1").json()["tag_ids"] == [digital]
    groups = call(kit, "GET", "/api/v1/tag-groups", account="alice01").json()
    assert [(g["name"], g["multi"], [t["name"] for t in g["tags"]]) for g in groups] == [
        ("兴趣", False, ["数码"])
    ]


def test_tags_are_per_merchant(kit: Kit) -> None:
    kit.conversation("s1", visitor="v1")
    theirs = call(
        kit, "POST", "/api/v1/tag-groups", account="carol01", json={"name": "x", "tags": ["t"]}
    )
    tag_id = theirs.json()["tags"][0]["id"]
    assert (
        call(kit, "PUT", "/api/v1/visitors/v1/tags", json={"tag_ids": [tag_id]}).status_code == 404
    )
    assert call(kit, "PATCH", f"/api/v1/tags/{tag_id}", json={"name": "y"}).status_code == 404
    assert call(kit, "DELETE", f"/api/v1/tag-groups/{theirs.json()['id']}").status_code == 404
    assert call(kit, "GET", "/api/v1/tag-groups").json() == []
    assert (
        call(kit, "POST", "/api/v1/tag-groups", account="alice01", json={"name": "z"}).status_code
        == 403
    )
