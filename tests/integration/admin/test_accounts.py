"""Sub-accounts against the seed's rules (000: 商號子帳號, 禁用後才可刪除, 修改密碼, 商號總帳號)."""

from __future__ import annotations

from typing import Any

import pytest
from admin_world import GLOBEX_MARKER, PASSWORD, Tenant, World

A = "/api/v1/admin/accounts"
NEW = "Fresh-pass2"


def _body(t: Tenant, **changes: Any) -> dict[str, Any]:
    body = {
        "account": t.fresh("a"),
        "password": PASSWORD,
        "nickname": "N",
        "staff_no": t.fresh("n"),
        "permission_group_id": t.permission_groups["view"],
    }
    body.update(changes)
    return body


def _me(t: Tenant, token: str) -> int:
    response = t.client.get("/api/v1/agents/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Aa1!", "be 8-20 characters long"),
        ("Aa1!" * 6, "be 8-20 characters long"),
        ("Aa1! bcdef", "contain no spaces"),
        ("aa1!bcdef", "contain an upper-case letter"),
        ("AA1!BCDEF", "contain a lower-case letter"),
        ("Aa!bcdefg", "contain a digit"),
        ("Aa1bcdefg", "contain a symbol such as !@#$%"),
    ],
)
def test_each_password_rule_is_named(shared_world: World, password: str, broken: str) -> None:
    t = shared_world.acme
    response = t.client.post(A, headers=t.headers(), json=_body(t, password=password))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "body.password"
    assert error["message"].startswith("password must ") and broken in error["message"]


@pytest.mark.parametrize(
    "account", ["short", "a" * 21, "with-dash", "with space", "日本語帳號號號"]
)
def test_account_names_follow_the_seed(shared_world: World, account: str) -> None:
    t = shared_world.acme
    response = t.client.post(A, headers=t.headers(), json=_body(t, account=account))
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "path": "body.account",
        "message": "account must be 6-20 characters of letters, digits or _",
    }


def test_every_credential_problem_is_reported_at_once(shared_world: World) -> None:
    t = shared_world.acme
    response = t.client.post(A, headers=t.headers(), json=_body(t, account="x", password="x"))
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == ["body.account", "body.password"]


def test_account_names_are_unique_across_merchants_without_saying_whose(
    shared_world: World,
) -> None:
    t = shared_world.acme
    response = t.client.post(A, headers=t.headers(), json=_body(t, account="globex_owner"))
    assert response.status_code == 409
    assert "globex" not in response.json()["detail"].replace("'globex_owner'", "")


def test_a_permission_group_of_another_merchant_is_unknown(shared_world: World) -> None:
    t, other = shared_world.acme, shared_world.globex
    body = _body(t, permission_group_id=other.permission_groups["full"])
    response = t.client.post(A, headers=t.headers(), json=body)
    assert response.status_code == 422
    assert GLOBEX_MARKER not in response.text and "1 (Acme full)" in response.text


def test_the_owner_is_invisible_to_sub_accounts(shared_world: World) -> None:
    t = shared_world.acme
    owner = t.accounts["owner"]
    listed = [a["account"] for a in t.call("GET", A, role="admin")]
    assert owner not in listed and t.accounts["admin"] in listed
    assert owner in [a["account"] for a in t.call("GET", A, role="owner")]
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"nickname": "x"}),
        ("POST", "/disable", None),
        ("DELETE", "", None),
        ("PUT", "/password", {"new_password": NEW, "admin_password": PASSWORD}),
    ]:
        response = t.client.request(
            method, f"{A}/{owner}{suffix}", headers=t.headers("admin"), json=body
        )
        assert response.status_code == 404, (method, suffix, response.text)
    assert _me(t, t.tokens["owner"]) == 200


def test_the_owner_keeps_every_right(shared_world: World) -> None:
    t = shared_world.acme
    url = f"{A}/{t.accounts['owner']}"
    refused = t.client.patch(url, headers=t.headers("owner"), json={"permission_group_id": 1})
    assert refused.status_code == 409
    renamed = t.client.patch(url, headers=t.headers("owner"), json={"nickname": "Boss"})
    assert renamed.status_code == 200 and renamed.json()["owner"] is True
    assert t.client.post(f"{url}/disable", headers=t.headers("owner")).status_code == 409


def test_only_a_disabled_account_can_be_deleted(shared_world: World) -> None:
    t = shared_world.acme
    name = t.make_account()
    enabled = t.client.delete(f"{A}/{name}", headers=t.headers())
    assert enabled.status_code == 409
    assert enabled.json()["type"] == "urn:chatflow:account_enabled"
    assert "disable it first" in enabled.json()["detail"]
    assert t.call("POST", f"{A}/{name}/disable")["enabled"] is False
    assert t.client.delete(f"{A}/{name}", headers=t.headers()).status_code == 204
    assert t.client.get(f"{A}/{name}", headers=t.headers()).status_code == 404


def test_an_account_that_has_logged_in_can_be_deleted_with_its_tokens(
    shared_world: World,
) -> None:
    t = shared_world.acme
    name = t.make_account()
    token = t.login(name)
    t.call("POST", f"{A}/{name}/disable")
    assert t.client.delete(f"{A}/{name}", headers=t.headers()).status_code == 204
    assert t.client.get(f"{A}/{name}", headers=t.headers()).status_code == 404
    assert _me(t, token) == 401


def test_disabling_kills_the_tokens_and_enabling_needs_a_new_login(shared_world: World) -> None:
    t = shared_world.acme
    name = t.make_account()
    token = t.login(name)
    assert _me(t, token) == 200
    t.call("POST", f"{A}/{name}/disable", role="admin")
    assert _me(t, token) == 401
    refused = t.client.post("/api/v1/auth/login", json={"account": name, "password": PASSWORD})
    assert refused.status_code == 401
    t.call("POST", f"{A}/{name}/enable", role="admin")
    assert _me(t, token) == 401
    assert _me(t, t.login(name)) == 200


def test_nobody_disables_or_deletes_the_account_they_are_logged_in_with(
    shared_world: World,
) -> None:
    t = shared_world.acme
    me = t.accounts["admin"]
    assert t.client.post(f"{A}/{me}/disable", headers=t.headers()).status_code == 409
    assert _me(t, t.tokens["admin"]) == 200


def test_another_accounts_password_needs_the_admins_own_password(shared_world: World) -> None:
    t = shared_world.acme
    name = t.make_account()
    token = t.login(name)
    url = f"{A}/{name}/password"
    missing = t.client.put(url, headers=t.headers(), json={"new_password": NEW})
    assert missing.status_code == 422 and "admin_password" in missing.json()["detail"]
    with_old = t.client.put(
        url, headers=t.headers(), json={"new_password": NEW, "old_password": PASSWORD}
    )
    assert with_old.status_code == 422
    wrong = t.client.put(
        url, headers=t.headers(), json={"new_password": NEW, "admin_password": "Wrong-pass1"}
    )
    assert wrong.status_code == 403 and wrong.json()["type"] == "urn:chatflow:wrong_password"
    weak = t.client.put(
        url, headers=t.headers(), json={"new_password": "weak", "admin_password": PASSWORD}
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["path"] == "body.new_password"
    assert _me(t, token) == 200
    ok = t.client.put(
        url, headers=t.headers(), json={"new_password": NEW, "admin_password": PASSWORD}
    )
    assert ok.status_code == 204
    assert _me(t, token) == 401
    assert _me(t, t.login(name, NEW)) == 200
    old = t.client.post("/api/v1/auth/login", json={"account": name, "password": PASSWORD})
    assert old.status_code == 401


def test_ones_own_password_needs_the_old_one_and_ends_every_session(shared_world: World) -> None:
    t = shared_world.acme
    name = t.make_account()
    first, second = t.login(name), t.login(name)
    url = f"{A}/{name}/password"
    headers = {"Authorization": f"Bearer {first}"}
    as_admin = t.client.put(
        url, headers=headers, json={"new_password": NEW, "admin_password": PASSWORD}
    )
    assert as_admin.status_code == 422 and "old_password" in as_admin.json()["detail"]
    wrong = t.client.put(
        url, headers=headers, json={"new_password": NEW, "old_password": "Nope-pass1"}
    )
    assert wrong.status_code == 403
    ok = t.client.put(url, headers=headers, json={"new_password": NEW, "old_password": PASSWORD})
    assert ok.status_code == 204
    assert _me(t, first) == 401 and _me(t, second) == 401
    assert _me(t, t.login(name, NEW)) == 200


def test_any_account_changes_its_own_password_with_the_old_one(shared_world: World) -> None:
    t = shared_world.acme
    name = t.make_account(permission="empty")
    token = t.login(name)
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/agents/me/password"
    wrong = t.client.put(
        url, headers=headers, json={"old_password": "Nope-pass1", "new_password": NEW}
    )
    assert wrong.status_code == 403 and _me(t, token) == 200
    ok = t.client.put(url, headers=headers, json={"old_password": PASSWORD, "new_password": NEW})
    assert ok.status_code == 204 and _me(t, token) == 401
    assert _me(t, t.login(name, NEW)) == 200


def test_no_answer_carries_a_password_hash(shared_world: World) -> None:
    t = shared_world.acme
    name = t.make_account()
    for response in (
        t.client.get(A, headers=t.headers("owner")),
        t.client.get(f"{A}/{name}", headers=t.headers()),
        t.client.patch(f"{A}/{name}", headers=t.headers(), json={"nickname": "x"}),
    ):
        assert response.status_code == 200
        assert "argon2" not in response.text and "password" not in response.text


def test_scopes_need_what_they_name(shared_world: World) -> None:
    t = shared_world.acme
    chosen = t.client.post(A, headers=t.headers(), json=_body(t, site_scope="chosen"))
    assert chosen.status_code == 422 and "at least one site" in chosen.json()["detail"]
    unknown = t.client.post(
        A, headers=t.headers(), json=_body(t, site_scope="chosen", sites=["nope"])
    )
    assert unknown.status_code == 422 and "acme-web" in unknown.json()["detail"]
    groups = t.client.post(A, headers=t.headers(), json=_body(t, agent_scope="groups"))
    assert groups.status_code == 422 and "scope_groups" in groups.json()["detail"]
    made = t.call(
        "POST", A, json=_body(t, site_scope="chosen", sites=[t.site], groups={t.group: 5})
    )
    assert (made["site_scope"], made["sites"], made["groups"]) == ("chosen", [t.site], {t.group: 5})
    back = t.call("PATCH", f"{A}/{made['account']}", json={"site_scope": "all"})
    assert (back["site_scope"], back["sites"]) == ("all", [])
    priority = t.client.post(A, headers=t.headers(), json=_body(t, groups={t.group: 6}))
    assert priority.status_code == 422


def test_a_chosen_site_scope_limits_what_the_account_sees(shared_world: World) -> None:
    t = shared_world.acme
    sites = [s["key"] for s in t.call("GET", "/api/v1/admin/sites", role="chosen")]
    assert sites == [t.site]
    other = t.client.get(f"/api/v1/admin/sites/{t.other_site}", headers=t.headers("chosen"))
    assert other.status_code == 404
    body = {"key": t.fresh("k").replace("_", "-"), "flow": "simple"}
    create = t.client.post("/api/v1/admin/sites", headers=t.headers("chosen"), json=body)
    assert create.status_code == 403


def test_staff_numbers_are_unique_in_the_merchant_on_create(shared_world: World) -> None:
    """QA finding 12: a second account with Bob's 工号 was accepted; visitors could not tell the
    two apart. Refused like a taken account name (409 ``conflict``), placed on the field."""
    t, other = shared_world.acme, shared_world.globex
    taken = t.call("GET", f"{A}/{t.make_account()}")["staff_no"]
    response = t.client.post(A, headers=t.headers(), json=_body(t, staff_no=taken))
    assert response.status_code == 409
    problem = response.json()
    message = f"staff number {taken!r} is taken by another account of this merchant; choose another"
    assert problem["type"] == "urn:chatflow:conflict" and problem["detail"] == message
    assert problem["errors"] == [{"path": "body.staff_no", "message": message}]
    zh = t.client.post(
        A, headers={**t.headers(), "Accept-Language": "zh-CN"}, json=_body(t, staff_no=taken)
    )
    chinese = f"工号 {taken!r} 已被本商户的其他账号使用，请换一个"
    assert zh.json()["detail"] == chinese
    assert zh.json()["errors"] == [{"path": "body.staff_no", "message": chinese}]
    # the owner's number ("1", as the config gives it) counts too, without saying whose it is;
    # a disabled account's as well
    owner = t.client.post(A, headers=t.headers("admin"), json=_body(t, staff_no="1"))
    assert owner.status_code == 409 and t.accounts["owner"] not in owner.text
    parked = t.make_account(enabled=False)
    assert t.client.post(A, headers=t.headers(), json=_body(t, staff_no=parked)).status_code == 409
    # another merchant's numbers are its own
    assert other.call("POST", A, json=_body(other, staff_no=taken))["staff_no"] == taken


def test_staff_numbers_are_unique_in_the_merchant_on_edit(shared_world: World) -> None:
    t = shared_world.acme
    first, second = t.make_account(), t.make_account()
    url = f"{A}/{second}"
    refused = t.client.patch(url, headers=t.headers(), json={"staff_no": first, "nickname": "Z"})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["path"] == "body.staff_no"
    kept = t.call("GET", url)
    assert (kept["staff_no"], kept["nickname"]) == (second, f"{t.label} {second}")  # unchanged
    assert t.call("PATCH", url, json={"staff_no": second, "nickname": "Z"})["nickname"] == "Z"
    assert t.call("PATCH", url, json={"staff_no": "A-7"})["staff_no"] == "A-7"
    assert t.call("PATCH", f"{A}/{first}", json={"staff_no": second})["staff_no"] == second
