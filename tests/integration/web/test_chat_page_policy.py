"""The chat page's Content-Security-Policy: its own files only, framed only where the site says."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in policy.split(";"))
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def test_the_chat_page_loads_only_its_own_files_and_any_page_may_frame_a_site_without_a_list(
    client: TestClient,
) -> None:
    page = client.get("/chat/demo-web")
    assert page.status_code == 200
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = directives(page.headers["content-security-policy"])
    for name in ("default-src", "script-src", "style-src", "connect-src"):
        assert policy[name] == "'self'", name
    assert policy["img-src"] == "'self' data:"  # the captcha's pictures come as data URLs
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "*"  # like its websocket: no list, any page


def test_a_site_with_allowed_origins_is_framed_only_by_them(
    demo: Path, tmp_path: Path, clock: FrozenClock
) -> None:
    text = demo.read_text(encoding="utf-8")
    listed = (
        "        flow: reception\n"
        '        allowed_origins: ["https://shop.example.com/", '
        '"https://evil.example.com; script-src *"]\n'
    )
    demo.write_text(text.replace("        flow: reception\n", listed, 1), encoding="utf-8")
    settings = ServeSettings(config=demo, data=tmp_path / "data")
    with TestClient(create_app(settings, clock=clock)) as client:
        policy = client.get("/chat/demo-web").headers["content-security-policy"]
        unknown = client.get("/chat/nope").headers["content-security-policy"]
    assert directives(policy)["frame-ancestors"] == "'self' https://shop.example.com"
    assert "evil" not in policy and policy.count("script-src") == 1  # nothing injected
    assert directives(unknown)["frame-ancestors"] == "'self'"


@pytest.mark.parametrize(
    ("page_path", "assets"),
    [
        ("/workbench", ("/ui/workbench.js", "/ui/workbench-state.js", "/static/core.js")),
        ("/editor", ("/ui/editor.js", "/ui/editor-state.js", "/ui/admin-client.js")),
        ("/console", ("/ui/console.js", "/ui/console-kit.js", "/ui/console-records.js")),
    ],
)
def test_staff_pages_load_only_their_own_files_and_are_never_framed(
    client: TestClient, page_path: str, assets: tuple[str, ...]
) -> None:
    page = client.get(page_path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = directives(page.headers["content-security-policy"])
    for name in ("default-src", "script-src", "style-src", "img-src", "connect-src"):
        assert policy[name] == "'self'", name
    assert policy["frame-ancestors"] == "'none'"  # no clickjacking of a staff member's clicks
    assert policy["form-action"] == "'none'"
    # only the workbench frames pages, the merchant's apps: https ones or on this machine
    frames = "https: http://localhost:* http://127.0.0.1:*" if page_path == "/workbench" else None
    assert policy.get("frame-src") == frames
    # the files it names are served: its own under /ui/, the chat page's helpers under /static/
    for path in assets:
        asset = client.get(path)
        assert asset.status_code == 200, path
        assert "javascript" in asset.headers["content-type"], path
    assert client.get("/ui/nope.js").status_code == 404


@pytest.mark.parametrize("page_path", ["/chat/demo-web", "/workbench", "/editor", "/console"])
def test_every_page_names_the_icon_and_the_icon_is_served(
    client: TestClient, page_path: str
) -> None:
    """No page makes the browser ask for a missing /favicon.ico (a 404 in every page's log)."""
    page = client.get(page_path).text
    icon = "../static/favicon.svg" if page_path.startswith("/chat/") else "static/favicon.svg"
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml" />' in page
    for path in ("/static/favicon.svg", "/favicon.ico"):
        served = client.get(path)
        assert served.status_code == 200, path
        assert served.headers["content-type"].startswith("image/svg+xml"), path
        assert served.text.lstrip().startswith("<svg")
