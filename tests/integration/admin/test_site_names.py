"""A site needs a name (QA pass 2, finding 10): the admin API refuses an empty or blank one on
create and on update (422 on ``body.name``, worded "required"), trims the one it keeps, and
names a site created without one by its key; a blank name in chatflow.yaml counts as none."""

from __future__ import annotations

from typing import Any

from admin_world import World

from chatflow.engine.config import Site

S = "/api/v1/admin/sites"


def _refused(t: Any, method: str, url: str, body: dict[str, Any], lang: str) -> list[Any]:
    headers = {**t.headers(), "Accept-Language": lang}
    answer = t.client.request(method, url, headers=headers, json=body)
    assert answer.status_code == 422, answer.text
    errors: list[Any] = answer.json()["errors"]
    return errors


def test_a_new_site_with_an_empty_or_blank_name_is_refused(shared_world: World) -> None:
    t = shared_world.acme
    for name in ("", "   "):
        key = t.fresh("n").replace("_", "-")
        body = {"key": key, "name": name, "flow": "simple"}
        assert _refused(t, "POST", S, body, "en") == [
            {"path": "body.name", "message": "Field required"}
        ]
        assert _refused(t, "POST", S, body, "zh-CN") == [
            {"path": "body.name", "message": "此项必填"}
        ]
        missing = t.client.get(f"{S}/{key}", headers=t.headers())
        assert missing.status_code == 404, "nothing was created"


def test_a_site_keeps_a_trimmed_name_and_one_without_is_named_by_its_key(
    shared_world: World,
) -> None:
    t = shared_world.acme
    key = t.fresh("n").replace("_", "-")
    made = t.call("POST", S, json={"key": key, "name": "  Shop  ", "flow": "simple"})
    assert made["name"] == "Shop"
    bare = t.fresh("n").replace("_", "-")
    assert t.call("POST", S, json={"key": bare, "flow": "simple"})["name"] == bare
    assert t.call("GET", f"{S}/{bare}")["name"] == bare


def test_an_update_cannot_blank_or_drop_the_name(shared_world: World) -> None:
    t = shared_world.acme
    key = t.make_site()
    before = t.call("GET", f"{S}/{key}")["name"]
    for name in ("", " \t ", None):
        errors = _refused(t, "PATCH", f"{S}/{key}", {"name": name}, "zh-CN")
        assert errors == [{"path": "body.name", "message": "此项必填"}], name
    assert t.call("GET", f"{S}/{key}")["name"] == before
    changed = t.call("PATCH", f"{S}/{key}", json={"name": " New name ", "captcha": False})
    assert changed["name"] == "New name"
    # a change that leaves the name out keeps it
    assert t.call("PATCH", f"{S}/{key}", json={"captcha": True})["name"] == "New name"


def test_a_blank_name_in_the_config_counts_as_none() -> None:
    """chatflow.yaml keeps loading (no error for a blank name there); the site shows its key."""
    assert Site.model_validate({"key": "w", "flow": "f", "name": "  "}).name is None
    assert Site.model_validate({"key": "w", "flow": "f", "name": " Web "}).name == "Web"
    assert Site.model_validate({"key": "w", "flow": "f"}).name is None
