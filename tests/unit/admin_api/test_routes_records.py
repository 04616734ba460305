from __future__ import annotations

from datetime import timedelta

from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session

from chatflow.engine.stores.contenttables import TagGroupRow, TagRow, VisitorRow, VisitorTagRow


def ids(kit: Kit, account: str, **params: object) -> list[str]:
    response = kit.client.get("/api/v1/records", params=params, headers=kit.as_(account))
    assert response.status_code == 200, response.text
    return [item["session_id"] for item in response.json()["items"]]


def test_the_list_defaults_to_the_last_30_days_newest_first(kit: Kit) -> None:
    kit.conversation("s-1d", days_ago=1)
    kit.conversation("s-29d", days_ago=29)
    kit.conversation("s-31d", days_ago=31)
    kit.conversation("s-future", days_ago=-1)
    assert ids(kit, "admin01") == ["s-1d", "s-29d"]
    assert ids(kit, "admin01", start="2026-10-01") == ["s-1d", "s-29d", "s-31d"]
    assert ids(kit, "admin01", start="2026-10-01", end="2026-10-23") == ["s-31d"]
    bad = kit.client.get("/api/v1/records?start=yesterday", headers=kit.as_("admin01"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "query.start"
    for odd in ("end=0001-01-01", "end=9999-12-31", "tag=99999999999", "offset=-1", "rating=11"):
        response = kit.client.get(f"/api/v1/records?{odd}", headers=kit.as_("admin01"))
        assert response.status_code in (200, 422), (odd, response.text)


def test_one_record_carries_first_response_and_reception_time(kit: Kit) -> None:
    kit.conversation("s1", messages=[("visitor", "hi")])
    record = kit.client.get("/api/v1/records/s1", headers=kit.as_("admin01")).json()
    assert record["first_response_seconds"] == 10.0  # joined 16 s - first ring 6 s
    assert record["reception_minutes"] == 4.7  # 300 s - 16 s = 4.73 min
    assert record["started_at"].endswith("Z") or record["started_at"].endswith("+00:00")
    assert record["service_ended_at"] is None  # not written: reception runs to the end


def test_a_record_shows_when_the_human_service_ended(kit: Kit) -> None:
    start = NOW - timedelta(days=1)
    kit.conversation("s1", service_ended_at=start + timedelta(minutes=2, seconds=16))
    record = kit.client.get("/api/v1/records/s1", headers=kit.as_("admin01")).json()
    assert record["service_ended_at"] == "2026-11-22T10:02:16Z"
    assert record["ended_at"] == "2026-11-22T10:05:00Z"  # the survey ran on
    assert record["reception_minutes"] == 2.0  # joined at 16 s, service ended at 2 min 16 s
    listed = kit.client.get("/api/v1/records", headers=kit.as_("admin01")).json()["items"]
    assert listed[0]["service_ended_at"] == record["service_ended_at"]


def test_a_transferred_record_counts_the_time_agents_served(kit: Kit) -> None:
    """Alice served 60 s, Bob 90 s after a wait in the vip queue: 2.5 minutes of reception.
    ``old`` was written by a version that marked a served visitor who left a second queue
    abandoned: the record and the statistics say what it is now, served and not abandoned."""
    start = NOW - timedelta(days=1)
    kit.conversation("moved", group="vip", agent="bob0001", served_micros=150_000_000,
                     service_ended_at=start + timedelta(minutes=4))  # fmt: skip
    kit.conversation("old", abandoned=True)
    headers = kit.as_("admin01")
    moved = kit.client.get("/api/v1/records/moved", headers=headers).json()
    assert moved["reception_minutes"] == 2.5 and moved["abandoned"] is False
    old = kit.client.get("/api/v1/records/old", headers=headers).json()
    assert old["abandoned"] is False and old["agent_joined_at"] is not None
    total = kit.client.get("/api/v1/stats/groups", headers=headers).json()["total"]
    assert (total["served"], total["abandoned"], total["reception_minutes"]) == (2, 0, 3.6)


def test_filters(kit: Kit) -> None:
    kit.conversation("web-alice", rating=5)
    kit.conversation("shop-alice", site="acme-shop", rating=3, closed_by="client")
    kit.conversation("vip-bob", group="vip", agent="bob0001", visitor="v2")
    kit.conversation("live", status="with_agent", visitor="v3")
    kit.conversation("bot-only", group=None, agent=None, visitor="v4")
    assert set(ids(kit, "admin01", site="acme-shop")) == {"shop-alice"}
    assert set(ids(kit, "admin01", group="vip")) == {"vip-bob"}
    assert set(ids(kit, "admin01", agent="bob0001")) == {"vip-bob"}
    assert set(ids(kit, "admin01", status="with_agent")) == {"live"}
    assert set(ids(kit, "admin01", closed_by="client")) == {"shop-alice"}
    assert set(ids(kit, "admin01", rating=[3, 5])) == {"web-alice", "shop-alice"}
    assert set(ids(kit, "admin01", visitor="v4")) == {"bot-only"}
    assert set(ids(kit, "admin01", status=["ended", "with_agent"], site="acme-web")) == {
        "web-alice",
        "vip-bob",
        "live",
        "bot-only",
    }


def test_tag_filter_follows_the_visitors_tags(kit: Kit) -> None:
    kit.conversation("tagged", visitor="v-vip")
    kit.conversation("untagged", visitor="v-plain")
    with Session(kit.engine) as db:
        group = TagGroupRow(merchant_id="acme", name="level")
        db.add(group)
        db.flush()
        tag = TagRow(merchant_id="acme", group_id=group.id or 0, name="VIP")
        db.add(tag)
        db.flush()
        db.add(VisitorTagRow(merchant_id="acme", visitor_id="v-vip", tag_id=tag.id or 0))
        db.commit()
        tag_id = tag.id
    assert ids(kit, "admin01", tag=tag_id) == ["tagged"]


def test_search_covers_transcripts_and_visitor_profiles_and_escapes_wildcards(kit: Kit) -> None:
    kit.conversation("refund", messages=[("visitor", "我要 Refund 退款"), ("agent", "好的")])
    kit.conversation("named", visitor="v-wang", messages=[("visitor", "hello")])
    kit.conversation("percent", visitor="v-pct", messages=[("visitor", "100% sure_thing")])
    with Session(kit.engine) as db:
        db.add(
            VisitorRow(merchant_id="acme", visitor_id="v-wang", name="王小明", phone="0912345678")
        )
        db.commit()
    assert ids(kit, "admin01", q="refund") == ["refund"]  # case-insensitive
    assert ids(kit, "admin01", q="退款") == ["refund"]
    assert ids(kit, "admin01", q="小明") == ["named"]
    assert ids(kit, "admin01", q="345") == ["named"]
    assert ids(kit, "admin01", q="%") == ["percent"]
    assert ids(kit, "admin01", q="1_0") == []  # "_" is not a wildcard (it would match "100")
    assert kit.client.get("/api/v1/records?q=%20%20", headers=kit.as_("admin01")).status_code == 422


def test_paging_reports_the_total(kit: Kit) -> None:
    for n in range(7):
        kit.conversation(f"s{n}", days_ago=1 + n / 24)
    page = kit.client.get(
        "/api/v1/records", params={"limit": 3, "offset": 3}, headers=kit.as_("admin01")
    ).json()
    assert page["total"] == 7 and [i["session_id"] for i in page["items"]] == ["s3", "s4", "s5"]


def test_scope_agent_sees_own_supervisor_their_groups_admin_all_other_tenant_none(kit: Kit) -> None:
    kit.conversation("alice-presales")
    kit.conversation("bob-vip", group="vip", agent="bob0001")
    kit.conversation("transferred", group="vip", agent="bob0001", agents=["alice01", "bob0001"])
    kit.conversation("queued-presales", agent=None, status="queued")
    kit.conversation("shop", site="acme-shop", group="vip", agent="bob0001")
    kit.conversation("others", merchant="other", site="other-web", agent="carol01")
    assert set(ids(kit, "alice01")) == {"alice-presales", "transferred"}
    assert set(ids(kit, "bob0001")) == {"bob-vip", "transferred", "shop"}
    assert set(ids(kit, "sup0001")) == {"alice-presales", "queued-presales"}
    assert set(ids(kit, "admin01")) == {
        "alice-presales",
        "bob-vip",
        "transferred",
        "queued-presales",
        "shop",
    }
    assert ids(kit, "carol01") == ["others"]
    for path in ("/api/v1/records/bob-vip", "/api/v1/records/bob-vip/transcript"):
        assert kit.client.get(path, headers=kit.as_("alice01")).status_code == 404
    assert kit.client.get("/api/v1/records/others", headers=kit.as_("admin01")).status_code == 404


def test_transcript_search_reports_match_k_of_n_and_wraps(kit: Kit) -> None:
    kit.conversation(
        "s1",
        messages=[
            ("visitor", "订单 order 123, order 456"),
            ("agent", "Which ORDER?"),
            ("visitor", "no match here"),
            ("visitor", "the first order"),
        ],
    )
    url = "/api/v1/records/s1/transcript"
    plain = kit.client.get(url, headers=kit.as_("admin01")).json()
    assert [m["seq"] for m in plain["messages"]] == [1, 2, 3, 4] and plain["search"] is None
    first = kit.client.get(url, params={"q": "order"}, headers=kit.as_("admin01")).json()
    assert first["search"] == {"query": "order", "matches": 4, "current": 1, "seq": 1, "offset": 3}
    third = kit.client.get(url, params={"q": "order", "k": 3}, headers=kit.as_("admin01")).json()
    assert (third["search"]["current"], third["search"]["seq"], third["search"]["offset"]) == (
        3,
        2,
        6,
    )
    wrapped = kit.client.get(url, params={"q": "order", "k": 5}, headers=kit.as_("admin01")).json()
    assert wrapped["search"]["current"] == 1  # past the last one: back to the first
    spaced = kit.client.get(url, params={"q": "no match"}, headers=kit.as_("admin01")).json()
    assert spaced["search"]["matches"] == 1  # blanks between words are fine
    none = kit.client.get(url, params={"q": "退款"}, headers=kit.as_("admin01")).json()
    assert none["search"] == {
        "query": "退款",
        "matches": 0,
        "current": 0,
        "seq": None,
        "offset": None,
    }
    blank = kit.client.get(url, params={"q": "   "}, headers=kit.as_("admin01"))
    assert blank.status_code == 422


def test_records_need_the_records_right(kit: Kit) -> None:
    assert kit.client.get("/api/v1/records").status_code == 401
