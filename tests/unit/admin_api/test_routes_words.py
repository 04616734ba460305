from __future__ import annotations

from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api.routes_words import word_filters

URL = "/api/v1/sensitive-words"


def check(
    kit: Kit, text: str, account: str = "admin01", sender: str = "agent"
) -> dict[str, object]:
    response = kit.client.post(
        f"{URL}/check", json={"text": text, "sender": sender}, headers=kit.as_(account)
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_add_list_check_delete_and_the_filter_follows_at_once(kit: Kit) -> None:
    admin = kit.as_("admin01")
    added = kit.client.post(
        URL, json={"kind": "forbidden", "words": ["微信", "WeChat", "wechat "]}, headers=admin
    )
    assert added.status_code == 201
    assert [w["word"] for w in added.json()["added"]] == ["微信", "WeChat"]
    again = kit.client.post(
        URL, json={"kind": "forbidden", "words": ["WECHAT", "QQ"]}, headers=admin
    )
    assert again.json()["existing"] == ["WECHAT"] and len(again.json()["added"]) == 1
    kit.client.post(URL, json={"kind": "sensitive", "words": ["退款"]}, headers=admin)
    kit.client.post(URL, json={"kind": "reminder", "words": ["投诉"]}, headers=admin)

    verdict = check(kit, "加我ｗｅｃｈａｔ，退款别投诉")
    assert verdict["allowed"] is False and verdict["blocked"] == ["WeChat"]
    assert "「WeChat」" in str(verdict["reason"])
    assert verdict["alerts"] == [
        {"kind": "sensitive", "word": "退款"},
        {"kind": "reminder", "word": "投诉"},
    ]
    visitor = check(kit, "加我微信，我要投诉", sender="visitor")
    assert visitor["allowed"] is True and visitor["alerts"] == [
        {"kind": "reminder", "word": "投诉"}
    ]

    listing = kit.client.get(URL, params={"kind": "forbidden"}, headers=admin).json()
    assert listing["total"] == 3
    wechat = next(w for w in listing["items"] if w["word"] == "WeChat")
    assert kit.client.get(URL, params={"q": "CHAT"}, headers=admin).json()["total"] == 1
    assert kit.client.delete(f"{URL}/{wechat['id']}", headers=admin).status_code == 204
    assert check(kit, "wechat")["allowed"] is True  # the cache was invalidated


def test_words_are_per_merchant_and_foreign_ids_are_404(kit: Kit) -> None:
    added = kit.client.post(
        URL, json={"kind": "forbidden", "words": ["微信"]}, headers=kit.as_("admin01")
    ).json()["added"][0]
    assert check(kit, "微信", account="carol01")["allowed"] is True
    assert kit.client.get(URL, headers=kit.as_("carol01")).json()["total"] == 0
    gone = kit.client.delete(f"{URL}/{added['id']}", headers=kit.as_("carol01"))
    assert gone.status_code == 404
    assert word_filters(kit.client.app).check("acme", "微信").blocked == ["微信"]  # type: ignore[arg-type]


def test_rights_and_validation(kit: Kit) -> None:
    body = {"kind": "forbidden", "words": ["x"]}
    # supervisors may view the words, not change them; agents may not even view them
    assert kit.client.post(URL, json=body, headers=kit.as_("sup0001")).status_code == 403
    assert kit.client.get(URL, headers=kit.as_("sup0001")).status_code == 200
    assert kit.client.get(URL, headers=kit.as_("alice01")).status_code == 403
    blank = kit.client.post(
        URL, json={"kind": "forbidden", "words": ["  "]}, headers=kit.as_("admin01")
    )
    assert blank.status_code == 201  # refused on its own, with its reason
    assert [r["code"] for r in blank.json()["refused"]] == ["blank"]
    empty = kit.client.post(
        URL, json={"kind": "forbidden", "words": []}, headers=kit.as_("admin01")
    )
    assert empty.status_code == 422
    wrong = kit.client.post(URL, json={"kind": "rude", "words": ["x"]}, headers=kit.as_("admin01"))
    assert wrong.status_code == 422
