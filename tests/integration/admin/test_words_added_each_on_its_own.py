"""Adding sensitive words is not all or nothing (QA pass, content finding 1): each word of a
``POST /api/v1/sensitive-words`` stands alone. The new ones are added, those the merchant has
(case- and width-insensitively) are skipped and reported, a blank or too long one is refused
with its reason in the request's language, and the answer counts the three. Real app, real
SQLite, the admin world's accounts."""

from __future__ import annotations

from typing import Any

from admin_world import Tenant, World

W = "/api/v1/sensitive-words"


def add(t: Tenant, words: list[str], lang: str = "en", kind: str = "forbidden") -> Any:
    headers = {**t.headers(), "Accept-Language": lang}
    answer = t.client.post(W, json={"kind": kind, "words": words}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def stored(t: Tenant, kind: str = "forbidden") -> list[str]:
    page = t.call("GET", W, params={"kind": kind, "limit": 1000})
    return sorted(item["word"] for item in page["items"])


def test_new_words_are_added_beside_a_present_one_and_an_invalid_one(world: World) -> None:
    t = world.acme
    add(t, ["微信", "WeChat"])
    long = "长" * 51
    answer = add(t, ["QQ", "  微信 ", "ＷＥＣＨＡＴ", "", long, "电话", "qq", "x" * 50], "zh-CN")
    assert [w["word"] for w in answer["added"]] == ["QQ", "电话", "x" * 50]
    assert answer["existing"] == ["微信", "ＷＥＣＨＡＴ"]  # as sent, skipped
    assert answer["refused"] == [
        {"index": 3, "word": "", "code": "blank", "message": "词不能为空"},
        {
            "index": 4,
            "word": f"{'长' * 20}…",
            "code": "too_long",
            "message": "最多 50 个字符（现有 51 个）",
        },
    ]
    # "qq" is "QQ" again within the request: one word, added once, the repeat named
    assert answer["duplicates"] == [{"index": 6, "word": "qq", "same_as": 0}]
    assert answer["counts"] == {"added": 3, "existing": 2, "refused": 2, "duplicates": 1}
    assert stored(t) == sorted(["微信", "WeChat", "QQ", "电话", "x" * 50])

    # the added words work at once; the refused one was not stored under any spelling
    verdict = t.call("POST", f"{W}/check", json={"text": "打电话或加qq", "sender": "agent"})
    assert verdict["blocked"] == ["电话", "QQ"]
    assert t.call("GET", W, params={"q": "长"})["total"] == 0


def test_the_reasons_follow_the_requests_language(world: World) -> None:
    t = world.acme
    answer = add(t, ["  ", "y" * 60, "fine"])
    assert [(r["index"], r["message"]) for r in answer["refused"]] == [
        (0, "a word must not be blank"),
        (1, "at most 50 characters (this one has 60)"),
    ]
    assert answer["counts"] == {"added": 1, "existing": 0, "refused": 2, "duplicates": 0}
    assert answer["duplicates"] == []


def test_nothing_new_is_still_an_answer_and_the_kinds_and_merchants_are_apart(
    world: World,
) -> None:
    acme, globex = world.acme, world.globex
    add(acme, ["退款"], kind="sensitive")
    again = add(acme, ["退款", " "], kind="sensitive")
    assert (again["added"], again["existing"]) == ([], ["退款"])
    assert again["counts"] == {"added": 0, "existing": 1, "refused": 1, "duplicates": 0}
    assert stored(acme, "sensitive") == ["退款"]
    # the same word of another kind, or of another merchant, is new there
    assert add(acme, ["退款"], kind="reminder")["counts"]["added"] == 1
    assert add(globex, ["退款"], kind="sensitive")["counts"]["added"] == 1


def test_every_line_sent_is_accounted_for_repeats_too(world: World) -> None:
    """QA pass 3, finding 4: the pasted list of the report, where three lines went unmentioned
    (a repeat, a repeat with blanks around, a repeat after case and width folding)."""
    t = world.acme
    add(t, ["微信"])
    long = "长" * 80
    words = ["傻瓜", "笨蛋", "傻瓜", long, "  笨蛋  ", "<script>x</script>", "ＡＢＣ", "abc"]
    words += ["微信", "微信 ", "", ""]
    answer = add(t, words, "zh-CN")
    assert [w["word"] for w in answer["added"]] == ["傻瓜", "笨蛋", "<script>x</script>", "ＡＢＣ"]
    assert answer["existing"] == ["微信"]
    assert answer["duplicates"] == [
        {"index": 2, "word": "傻瓜", "same_as": 0},
        {"index": 4, "word": "笨蛋", "same_as": 1},
        {"index": 7, "word": "abc", "same_as": 6},
        {"index": 9, "word": "微信", "same_as": 8},  # repeats one already there
    ]
    assert [(r["index"], r["code"]) for r in answer["refused"]] == [
        (3, "too_long"),
        (10, "blank"),
        (11, "blank"),  # two blanks are two refusals, not a repeat
    ]
    counts = answer["counts"]
    assert counts == {"added": 4, "existing": 1, "refused": 3, "duplicates": 4}
    assert sum(counts.values()) == len(words)
    assert stored(t) == sorted(["微信", "傻瓜", "笨蛋", "<script>x</script>", "ＡＢＣ"])


def test_a_malformed_request_is_still_refused_whole(world: World) -> None:
    t = world.acme
    for body in ({"kind": "forbidden", "words": []}, {"kind": "rude", "words": ["x"]}):
        answer = t.client.post(W, json=body, headers=t.headers())
        assert answer.status_code == 422, answer.text
    too_many = {"kind": "forbidden", "words": [f"w{i}" for i in range(1001)]}
    assert t.client.post(W, json=too_many, headers=t.headers()).status_code == 422
    assert stored(t) == []
    # adding needs sensitive_words: edit
    viewer = t.client.post(
        W, json={"kind": "forbidden", "words": ["x"]}, headers=t.headers("viewer")
    )
    assert viewer.status_code == 403
