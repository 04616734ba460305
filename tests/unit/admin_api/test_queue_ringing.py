"""The live queue board's ringing offers (GET /api/v1/stats/queue ``ringing``): a waiting visitor
offered to an agent names that agent, limited like the rest of the board to the caller's
merchant and groups, and also to its sites."""

from __future__ import annotations

from records_kit import PASSWORD, Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api.live import QueueSnapshot, Ringing


def ringing(kit: Kit, account: str) -> list[dict[str, str]]:
    """The queue board's ``ringing`` as `account` reads it."""
    response = kit.client.get("/api/v1/stats/queue", headers=kit.as_(account))
    assert response.status_code == 200, response.text
    offers: list[dict[str, str]] = response.json()["ringing"]
    return offers


def site_scoped(kit: Kit, account: str, sites: list[str]) -> None:
    """As admin01: an account seeing every group's statistics, but only `sites`."""
    admin = kit.as_("admin01")
    group = kit.client.post(
        "/api/v1/admin/permission-groups",
        json={"name": f"{account} rights", "permissions": {"statistics": "view"}},
        headers=admin,
    )
    assert group.status_code == 201, group.text
    body = {
        "account": account,
        "password": PASSWORD,
        "nickname": account,
        "staff_no": "3001",
        "role": "supervisor",
        "permission_group_id": group.json()["id"],
        "site_scope": "chosen",
        "sites": sites,
        "agent_scope": "all",
    }
    made = kit.client.post("/api/v1/admin/accounts", json=body, headers=admin)
    assert made.status_code == 201, made.text


def test_ringing_offers_name_their_agent_within_the_callers_groups_and_sites(kit: Kit) -> None:
    kit.conversation("s-web", status="queued", agent=None)
    kit.conversation("s-shop", site="acme-shop", status="queued", agent=None)
    kit.conversation("s-vip", group="vip", status="queued", agent=None)
    kit.live.snapshots["acme"] = QueueSnapshot(
        waiting={"presales": 3, "vip": 1},
        ringing=(
            Ringing("s-web", "presales", "alice01"),
            Ringing("s-shop", "presales", "sup0001"),
            Ringing("s-vip", "vip", "bob0001"),
        ),
    )
    kit.live.snapshots["other"] = QueueSnapshot(
        waiting={"presales": 1}, ringing=(Ringing("s-other", "presales", "carol01"),)
    )

    assert ringing(kit, "admin01") == [
        {"session_id": "s-web", "group_id": "presales", "agent": "alice01"},
        {"session_id": "s-shop", "group_id": "presales", "agent": "sup0001"},
        {"session_id": "s-vip", "group_id": "vip", "agent": "bob0001"},
    ]
    # a supervisor of presales: not the vip offer
    assert [o["session_id"] for o in ringing(kit, "sup0001")] == ["s-web", "s-shop"]
    # an account limited to acme-shop: only that site's offer
    site_scoped(kit, "shop_sup", ["acme-shop"])
    assert [o["session_id"] for o in ringing(kit, "shop_sup")] == ["s-shop"]
    # the other merchant sees its own offer only
    assert ringing(kit, "carol01") == [
        {"session_id": "s-other", "group_id": "presales", "agent": "carol01"}
    ]


def test_no_offer_ringing_is_an_empty_list(kit: Kit) -> None:
    kit.live.snapshots["acme"] = QueueSnapshot(waiting={"presales": 1})
    assert ringing(kit, "admin01") == []
