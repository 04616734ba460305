from __future__ import annotations

from datetime import timedelta

from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api.live import AgentState, QueueSnapshot


def stats(kit: Kit, by: str, account: str = "admin01", **params: object) -> dict[str, object]:
    response = kit.client.get(f"/api/v1/stats/{by}", params=params, headers=kit.as_(account))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_per_agent_figures_with_one_decimal_half_up(kit: Kit) -> None:
    start = NOW - timedelta(days=1)
    # alice: 120 s and 150 s of reception -> 2.25 min -> 2.3 (seed: minutes, one decimal)
    kit.conversation("a1", ended_at=start + timedelta(seconds=16 + 120), rating=5)
    kit.conversation("a2", ended_at=start + timedelta(seconds=16 + 150), rating=4)
    kit.conversation("b1", group="vip", agent="bob0001", rating=2)
    kit.conversation("gone", agent=None, abandoned=True, ended_at=start + timedelta(seconds=65))
    body = stats(kit, "agents")
    agents = {a["account"]: a for a in body["agents"]}  # type: ignore[attr-defined]
    alice = agents["alice01"]
    assert alice["conversations"] == 2 and alice["reception_minutes"] == 2.3
    assert alice["first_response_seconds"] == 10.0 and alice["nickname"] == "Alice"
    assert alice["ratings"] == {"count": 2, "average": 4.5, "distribution": {"4": 1, "5": 1}}
    assert alice["queue_wait_seconds"] == 11.0  # queued at 5 s, joined at 16 s
    total = body["total"]
    assert total["conversations"] == 4 and total["abandoned"] == 1  # type: ignore[index]


def test_per_group_counts_abandoned_waits(kit: Kit) -> None:
    start = NOW - timedelta(days=1)
    kit.conversation("a1")
    kit.conversation("gone", agent=None, abandoned=True, ended_at=start + timedelta(seconds=65))
    kit.conversation("b1", group="vip", agent="bob0001")
    groups = {g["group_id"]: g for g in stats(kit, "groups")["groups"]}  # type: ignore[attr-defined]
    presales = groups["presales"]
    assert (presales["conversations"], presales["served"], presales["abandoned"]) == (2, 1, 1)
    assert presales["queue_wait_max_seconds"] == 60.0 and presales["queue_wait_seconds"] == 35.5
    assert set(groups) == {"presales", "vip"}


def test_range_and_scope(kit: Kit) -> None:
    kit.conversation("recent")
    kit.conversation("old", days_ago=40)
    kit.conversation("vip", group="vip", agent="bob0001")
    kit.conversation("theirs", merchant="other", site="other-web", agent="carol01")
    assert stats(kit, "groups")["total"]["conversations"] == 2  # type: ignore[index]
    wide = stats(kit, "groups", start="2026-10-01")
    assert wide["total"]["conversations"] == 3  # type: ignore[index]
    supervised = stats(kit, "agents", account="sup0001")  # presales only
    assert [a["account"] for a in supervised["agents"]] == ["alice01"]  # type: ignore[attr-defined]
    assert stats(kit, "groups", account="carol01")["total"]["conversations"] == 1  # type: ignore[index]
    only_vip = stats(kit, "groups", group="vip")
    assert only_vip["total"]["conversations"] == 1  # type: ignore[index]
    # agents have no statistics right by default
    denied = kit.client.get("/api/v1/stats/agents", headers=kit.as_("alice01"))
    assert denied.status_code == 403


def test_live_queue_board_is_limited_to_the_callers_groups(kit: Kit) -> None:
    kit.live.snapshots["acme"] = QueueSnapshot(
        waiting={"presales": 3, "vip": 1},
        longest_wait_seconds={"presales": 95.0},
        agents=(
            AgentState("alice01", "free", ("presales",), 1),
            AgentState("bob0001", "busy", ("vip",), 5),
            AgentState("sup0001", "rest", ("presales",), 0),
        ),
    )
    board = kit.client.get("/api/v1/stats/queue", headers=kit.as_("admin01")).json()
    assert board["groups"] == [
        {"group_id": "presales", "waiting": 3, "longest_wait_seconds": 95.0},
        {"group_id": "vip", "waiting": 1, "longest_wait_seconds": None},
    ]
    assert board["by_status"] == {"busy": 1, "free": 1, "rest": 1}
    supervised = kit.client.get("/api/v1/stats/queue", headers=kit.as_("sup0001")).json()
    assert [g["group_id"] for g in supervised["groups"]] == ["presales"]
    assert {a["account"] for a in supervised["agents"]} == {"alice01", "sup0001"}
    assert kit.live.calls[-1] == ("snapshot", "acme")
    kit.client.get("/api/v1/stats/queue", headers=kit.as_("carol01"))
    assert kit.live.calls[-1] == ("snapshot", "other")
