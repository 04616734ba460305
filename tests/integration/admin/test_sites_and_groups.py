"""Sites, agent groups and permission groups against the seed's rules (000: 站點管理, 權限分組)."""

from __future__ import annotations

from admin_world import GLOBEX_MARKER, World

S = "/api/v1/admin/sites"
G = "/api/v1/admin/groups"
P = "/api/v1/admin/permission-groups"


def test_a_disabled_site_can_never_be_enabled_again(shared_world: World) -> None:
    t = shared_world.acme
    key = t.make_site()
    disabled = t.call("POST", f"{S}/{key}/disable", role="admin")
    assert disabled["enabled"] is False and disabled["disabled_at"]
    for role in ("admin", "owner"):
        again = t.client.post(f"{S}/{key}/enable", headers=t.headers(role))
        assert again.status_code == 409, again.text
        assert again.json()["type"] == "urn:chatflow:site_disabled"
        assert "Contact the administrator" in again.json()["detail"]
    change = t.client.patch(f"{S}/{key}", headers=t.headers(), json={"name": "back"})
    assert change.status_code == 409
    assert t.call("GET", f"{S}/{key}")["enabled"] is False
    assert t.call("POST", f"{S}/{key}/disable")["disabled_at"] == disabled["disabled_at"]


def test_sites_get_only_existing_groups_of_their_merchant(shared_world: World) -> None:
    t, other = shared_world.acme, shared_world.globex
    body = {"key": t.fresh("k").replace("_", "-"), "flow": "simple", "groups": [other.group]}
    response = t.client.post(S, headers=t.headers(), json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "unknown group 'globex_sales'" in detail and "acme_sales, support" in detail
    assert GLOBEX_MARKER not in response.text


def test_site_keys_are_unique_in_the_deployment(shared_world: World) -> None:
    t, other = shared_world.acme, shared_world.globex
    taken = t.client.post(S, headers=t.headers(), json={"key": other.site, "flow": "simple"})
    assert taken.status_code == 409 and GLOBEX_MARKER not in taken.text
    assert other.call("GET", f"{S}/{other.site}")["name"] == f"{GLOBEX_MARKER} web"


def test_a_site_runs_a_published_flow_of_its_merchant(shared_world: World) -> None:
    t = shared_world.acme
    body = {"key": t.fresh("k").replace("_", "-"), "flow": "nope"}
    response = t.client.post(S, headers=t.headers(), json=body)
    assert response.status_code == 422 and "published flows: " in response.json()["detail"]
    flow = t.make_flow()
    made = t.call("POST", S, json={**body, "flow": flow, "allowed_origins": ["https://a.example"]})
    assert (made["flow"], made["published_version"]) == (flow, 1)
    bad = t.client.post(
        S, headers=t.headers(), json={**body, "key": "x-y", "allowed_origins": ["a.example/x"]}
    )
    assert bad.status_code == 422


def test_a_group_in_use_cannot_be_deleted_and_agents_just_leave_it(shared_world: World) -> None:
    t = shared_world.acme
    group = t.make_group()
    key = t.make_site()
    t.call("PATCH", f"{S}/{key}", json={"groups": [group]})
    agent = t.make_account(groups={group: 1}, agent_scope="groups", scope_groups=[group])
    used = t.client.delete(f"{G}/{group}", headers=t.headers())
    assert used.status_code == 409
    assert used.json()["sites"] == [key] and key in used.json()["detail"]
    t.call("PATCH", f"{S}/{key}", json={"groups": ["support"]})
    assert t.client.delete(f"{G}/{group}", headers=t.headers()).status_code == 204
    account = t.call("GET", f"/api/v1/admin/accounts/{agent}")
    assert account["groups"] == {} and account["scope_groups"] == []


def test_a_disabled_site_does_not_hold_its_groups(shared_world: World) -> None:
    """A disabled site can never be changed again, so if it held its groups they could never be
    deleted: it takes no visitor, and it no longer counts as using them."""
    t = shared_world.acme
    group = t.make_group()
    key = t.make_site()
    t.call("PATCH", f"{S}/{key}", json={"groups": [group]})
    assert t.client.delete(f"{G}/{group}", headers=t.headers()).status_code == 409
    t.call("POST", f"{S}/{key}/disable")
    assert t.client.delete(f"{G}/{group}", headers=t.headers()).status_code == 204
    assert t.client.get(f"{G}/{group}", headers=t.headers()).status_code == 404


def test_a_group_a_published_flow_transfers_to_cannot_be_deleted(shared_world: World) -> None:
    t = shared_world.acme
    response = t.client.delete(f"{G}/support", headers=t.headers())
    assert response.status_code == 409
    assert "simple (version 1)" in response.json()["flows"]
    assert {"flow": "simple", "version": 1} in response.json()["flow_versions"]
    assert "flow 'simple' (version 1)" in response.json()["detail"]
    # the console lists `flows` as they are: in the request's language (QA finding 4)
    zh = {**t.headers(), "Accept-Language": "zh-CN"}
    chinese = t.client.delete(f"{G}/support", headers=zh).json()
    assert "simple（版本 1）" in chinese["flows"]
    assert chinese["flow_versions"] == response.json()["flow_versions"]
    assert chinese["detail"].startswith("分组 'support' 仍被 站点 ")  # the world's other tests
    assert "、站点 'acme-web'、" in chinese["detail"]  # may have made sites and flows using it
    assert "、流程 'simple'（版本 1） 使用，请先从中移除" in chinese["detail"]
    assert "version" not in chinese["detail"] and "site" not in chinese["detail"]


def test_groups_of_the_same_id_in_two_merchants_are_separate(shared_world: World) -> None:
    t, other = shared_world.acme, shared_world.globex
    t.call("PATCH", f"{G}/support", json={"max_sessions": 9, "routing": "priority"})
    assert other.call("GET", f"{G}/support")["max_sessions"] == 5
    for bad in ({"max_sessions": 0}, {"max_sessions": 101}, {"routing": "random"}):
        response = t.client.patch(f"{G}/support", headers=t.headers(), json=bad)
        assert response.status_code == 422, bad


def test_unknown_features_are_refused_with_the_valid_ones(shared_world: World) -> None:
    t = shared_world.acme
    body = {"name": "x", "permissions": {"sites": "edit", "billing": "view"}}
    response = t.client.post(P, headers=t.headers(), json=body)
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert "unknown feature 'billing'. Available features: accounts, permission_groups" in message
    bad_level = t.client.post(
        P, headers=t.headers(), json={"name": "y", "permissions": {"sites": "all"}}
    )
    assert bad_level.status_code == 422


def test_rights_apply_at_once_and_a_used_group_stays(shared_world: World) -> None:
    t = shared_world.acme
    group = t.make_permission_group()
    t.call("PATCH", f"{P}/{group}", json={"permissions": {"sites": "view"}})
    name = t.make_account()
    t.call("PATCH", f"/api/v1/admin/accounts/{name}", json={"permission_group_id": group})
    headers = {"Authorization": f"Bearer {t.login(name)}"}
    assert t.client.get(S, headers=headers).status_code == 200
    assert (
        t.client.post(S, headers=headers, json={"key": "zz", "flow": "simple"}).status_code == 403
    )
    t.call("PATCH", f"{P}/{group}", json={"permissions": {"records": "view"}})
    assert t.client.get(S, headers=headers).status_code == 403
    used = t.client.delete(f"{P}/{group}", headers=t.headers())
    assert used.status_code == 409 and used.json()["accounts"] == [name]
    duplicate = t.client.post(P, headers=t.headers(), json={"name": "Acme full"})
    assert duplicate.status_code == 409
