"""Unknown values are refused out loud, each where it was written (QA pass 3, finding 11): an
enumerated records filter (``status``, ``closed_by``, ``end_reason``, ``channel``) with a value
no record can have is a 422 naming the allowed ones, not an empty list; a permission group with
an unknown feature and a bad level hears of both. Real app, real SQLite, the admin world."""

from __future__ import annotations

from typing import Any

import pytest
from admin_world import World

R = "/api/v1/records"
P = "/api/v1/admin/permission-groups"


def refused(t: Any, method: str, url: str, lang: str = "en", **kwargs: Any) -> dict[str, Any]:
    headers = {**t.headers("owner"), "Accept-Language": lang}
    answer = t.client.request(method, url, headers=headers, **kwargs)
    assert answer.status_code == 422, answer.text
    body: dict[str, Any] = answer.json()
    assert body["type"] == "urn:chatflow:invalid_input"
    return body


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("status", "bot, queued, with_agent, ended"),
        ("closed_by", "client, seat, admin, timer"),
        ("end_reason", "flow, idle, agent, visitor, admin"),
    ],
)
def test_an_unknown_value_of_an_enumerated_filter_is_refused(
    shared_world: World, name: str, allowed: str
) -> None:
    t = shared_world.acme
    first = allowed.split(", ")[0]
    body = refused(t, "GET", R, params={name: [first, "bogus"]})
    message = f"{name} must be one of {allowed}, not 'bogus'"
    assert body["detail"] == message
    assert body["errors"] == [{"path": f"query.{name}", "message": message}]
    zh = refused(t, "GET", R, "zh-CN", params={name: "bogus"})
    assert zh["errors"][0]["message"] == f"{name} 必须是 {allowed} 之一，而不是 'bogus'"
    # every allowed value is still a filter (an empty page here is an answer, not a refusal)
    for value in allowed.split(", "):
        t.call("GET", R, params={name: value})
    # the export reads the same filter
    exported = refused(t, "GET", f"{R}/export", params={name: "bogus"})
    assert exported["errors"][0]["path"] == f"query.{name}"


def test_an_unknown_channel_is_refused_at_its_path(shared_world: World) -> None:
    t = shared_world.acme
    body = refused(t, "GET", R, "zh-CN", params={"channel": "sms"})
    assert body["errors"] == [
        {
            "path": "query.channel",
            "message": "渠道（channel）必须是 web、webhook 或 webhook:<渠道 key>，而不是 'sms'",
        }
    ]
    t.call("GET", R, params={"channel": ["web", "webhook:any"]})


def test_an_unknown_feature_and_a_bad_level_are_both_reported(shared_world: World) -> None:
    t = shared_world.acme
    permissions = {"chanels": "view", "records": "views", "sites": "edit"}
    body = refused(t, "POST", P, json={"name": t.fresh("pg"), "permissions": permissions})
    errors = {error["path"]: error["message"] for error in body["errors"]}
    assert set(errors) == {"body.permissions.chanels", "body.permissions.records"}
    assert errors["body.permissions.chanels"].startswith(
        "unknown feature 'chanels'. Available features: accounts, permission_groups,"
    )
    assert errors["body.permissions.chanels"].endswith(". Did you mean 'channels'?")
    assert errors["body.permissions.records"] == "Input should be 'view' or 'edit'"

    # the same in Chinese, and on a change of an existing group
    group = t.make_permission_group()
    zh = refused(t, "PATCH", f"{P}/{group}", "zh-CN", json={"permissions": permissions})
    errors = {error["path"]: error["message"] for error in zh["errors"]}
    assert errors["body.permissions.chanels"].startswith("未知的功能 'chanels'。可用的功能：")
    assert errors["body.permissions.chanels"].endswith("。是不是 'channels'？")
    assert errors["body.permissions.records"] == "必须是 'view' 或 'edit'"


def test_features_far_from_any_known_one_get_no_guess(shared_world: World) -> None:
    t = shared_world.acme
    permissions = {"billing": "view", "zzz": "edit"}
    body = refused(t, "POST", P, json={"name": t.fresh("pg"), "permissions": permissions})
    paths = [error["path"] for error in body["errors"]]
    assert paths == ["body.permissions.billing", "body.permissions.zzz"]
    assert all("Did you mean" not in error["message"] for error in body["errors"])
    zh = refused(t, "POST", P, "zh-CN", json={"name": t.fresh("pg"), "permissions": permissions})
    assert zh["errors"][0]["message"].startswith("未知的功能 'billing'。可用的功能：accounts")
    # a good set is still taken
    made = t.call("POST", P, json={"name": t.fresh("pg"), "permissions": {"channels": "view"}})
    assert made["permissions"] == {"channels": "view"}
