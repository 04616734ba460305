"""The web widget, the chat page and the agent workbench ship as package data and stay
self-contained and markup-safe.

Grep-level guards on channels/static and admin_api/static (no CDN, no HTML-injection sinks,
CSP-friendly pages), then node: `node --check` on every script and the JS unit tests in
tests/unit/channels/js and tests/unit/admin_api/js. Node is optional on a laptop (skipped) but
required under CI=true. The real browser tests are in tests/browser.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

import pytest

CHANNELS = "chatflow.channels"
ADMIN = "chatflow.admin_api"
PAGES = {
    CHANNELS: (
        "widget.js",
        "chat.html",
        "chat.js",
        "chat.css",
        "core.js",
        "view.js",
        "i18n.js",
        "captcha.js",
        "favicon.svg",
    ),
    ADMIN: (
        "admin.css",
        "admin-client.js",
        "workbench.html",
        "workbench.css",
        "workbench.js",
        "workbench-state.js",
        "workbench-i18n.js",
        "workbench-notify.js",
        "workbench-replies.js",
        "workbench-list.js",
        "workbench-visitor.js",
        "workbench-apps.js",
        "editor.html",
        "editor.css",
        "editor.js",
        "editor-state.js",
        "editor-fields.js",
        "editor-inspector.js",
        "editor-canvas.js",
        "editor-try.js",
        "editor-versions.js",
        "editor-i18n.js",
        "console.html",
        "console.css",
        "console.js",
        "console-kit.js",
        "console-records.js",
        "console-records-view.js",
        "console-monitor.js",
        "console-stats.js",
        "console-sites.js",
        "console-apps.js",
        "console-groups.js",
        "console-accounts.js",
        "console-accounts-form.js",
        "console-permissions.js",
        "console-replies.js",
        "console-replies-import.js",
        "console-words.js",
        "console-visitors.js",
        "console-tags.js",
        "console-channels.js",
    ),
}
ASSETS = tuple((package, name) for package, names in PAGES.items() for name in names)
SCRIPTS = tuple((package, name) for package, name in ASSETS if name.endswith(".js"))
JS_TESTS = (Path(__file__).parent / "js", Path(__file__).parents[1] / "admin_api" / "js")

# Namespace identifiers are URLs by definition and are never fetched.
ALLOWED_URLS = {"http://www.w3.org/2000/svg"}
ABSOLUTE_URL = re.compile(r"\b(?:https?|wss?|ftp)://[^\s'\"`)<>]*", re.IGNORECASE)
PROTOCOL_RELATIVE = re.compile(r"""(?:["'(=]\s*)//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")
HTML_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|srcdoc|createContextualFragment"
    r"|DOMParser|\beval\s*\(|new\s+Function\s*\(|setTimeout\(\s*['\"`]|setInterval\(\s*['\"`]"
)


@contextmanager
def static_dir(package: str = CHANNELS) -> Iterator[Path]:
    with as_file(files(package) / "static") as path:
        yield Path(path)


def read(name: str, package: str = CHANNELS) -> str:
    with static_dir(package) as folder:
        return (folder / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("package", "name"), ASSETS)
def test_asset_is_shipped_and_not_empty(package: str, name: str) -> None:
    with static_dir(package) as folder:
        assert (folder / name).is_file(), f"{name} is missing from {package}/static"
    assert read(name, package).strip()


@pytest.mark.parametrize("package", PAGES)
def test_static_folder_is_flat(package: str) -> None:
    """package-data is `static/*`: a subfolder would silently not be installed."""
    with static_dir(package) as folder:
        nested = [p.name for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert nested == []


@pytest.mark.parametrize(("package", "name"), ASSETS)
def test_no_external_urls(package: str, name: str) -> None:
    text = read(name, package)
    found = [url for url in ABSOLUTE_URL.findall(text) if url not in ALLOWED_URLS]
    found += PROTOCOL_RELATIVE.findall(text)
    assert found == [], f"{name} refers to other hosts (CDN?): {found}"


@pytest.mark.parametrize(("package", "name"), SCRIPTS)
def test_no_html_injection_sinks(package: str, name: str) -> None:
    """Text reaches the page through textContent / text nodes only."""
    hits = [
        f"{name}:{number}: {line.strip()}"
        for number, line in enumerate(read(name, package).splitlines(), start=1)
        if HTML_SINKS.search(line)
    ]
    assert hits == []


def assert_csp_friendly(html: str) -> None:
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], "inline script"
    assert re.findall(r"\son[a-z]+\s*=", html) == [], "inline event handler"
    assert re.findall(r"\sstyle\s*=|<style", html) == [], "inline style"


def test_chat_html_is_csp_friendly_and_its_assets_exist() -> None:
    html = read("chat.html")
    assert_csp_friendly(html)
    # Relative, so a deployment under a path prefix (/cs/chat/x -> /cs/static/) works too.
    referenced = re.findall(r"""(?:src|href)="\.\./static/([^"]+)\"""", html)
    assert sorted(referenced) == sorted(
        ["favicon.svg", "chat.css", "i18n.js", "core.js", "view.js", "captcha.js", "chat.js"]
    )
    with static_dir() as folder:
        assert all((folder / name).is_file() for name in referenced)


STAFF_PAGES = {
    "workbench.html": [
        "static/favicon.svg",
        "ui/admin.css",
        "ui/workbench.css",
        "static/i18n.js",
        "static/core.js",
        "ui/admin-client.js",
        "ui/workbench-i18n.js",
        "ui/workbench-state.js",
        "ui/workbench-notify.js",
        "ui/workbench-replies.js",
        "ui/workbench-list.js",
        "ui/workbench-visitor.js",
        "ui/workbench-apps.js",
        "ui/workbench.js",
    ],
    "editor.html": [
        "static/favicon.svg",
        "ui/admin.css",
        "ui/editor.css",
        "static/i18n.js",
        "ui/admin-client.js",
        "ui/editor-i18n.js",
        "ui/editor-state.js",
        "ui/editor-fields.js",
        "ui/editor-inspector.js",
        "ui/editor-canvas.js",
        "ui/editor-try.js",
        "ui/editor-versions.js",
        "ui/editor.js",
    ],
    "console.html": [
        "static/favicon.svg",
        "ui/admin.css",
        "ui/console.css",
        "static/i18n.js",
        "ui/admin-client.js",
        "ui/console-kit.js",
        "ui/console-records.js",
        "ui/console-records-view.js",
        "ui/console-monitor.js",
        "ui/console-stats.js",
        "ui/console-sites.js",
        "ui/console-apps.js",
        "ui/console-groups.js",
        "ui/console-accounts.js",
        "ui/console-accounts-form.js",
        "ui/console-permissions.js",
        "ui/console-replies.js",
        "ui/console-replies-import.js",
        "ui/console-words.js",
        "ui/console-visitors.js",
        "ui/console-tags.js",
        "ui/console-channels.js",
        "ui/console.js",
    ],
}


@pytest.mark.parametrize(("page", "expected"), STAFF_PAGES.items())
def test_staff_page_is_csp_friendly_and_its_assets_exist(page: str, expected: list[str]) -> None:
    """The staff pages load their own files from ui/ and the chat page's helpers from static/,
    both relative, so a path prefix works too."""
    html = read(page, ADMIN)
    assert_csp_friendly(html)
    # the files it loads (links to the other staff pages, "workbench", have no folder)
    referenced = [ref for ref in re.findall(r"""(?:src|href)="([^"]+)\"""", html) if "/" in ref]
    assert referenced == expected
    for ref in referenced:
        folder_name, name = ref.split("/")
        with static_dir(ADMIN if folder_name == "ui" else CHANNELS) as folder:
            assert (folder / name).is_file(), ref


def test_widget_styles_through_the_cssom_only() -> None:
    """A host page's strict CSP blocks <style> and style attributes, not element.style."""
    widget = read("widget.js")
    assert "createElement('style')" not in widget
    assert "setAttribute('style'" not in widget
    assert "cssText" not in widget


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required under CI=true to check the widget scripts")
        pytest.skip("node is not installed")
    return node


def run_node(*args: str) -> subprocess.CompletedProcess[str]:
    with static_dir() as folder, static_dir(ADMIN) as admin:
        env = {**os.environ, "CHATFLOW_STATIC": str(folder), "CHATFLOW_ADMIN_STATIC": str(admin)}
        return subprocess.run(
            [node_or_skip(), *args], capture_output=True, text=True, timeout=120, env=env
        )


@pytest.mark.parametrize(("package", "name"), SCRIPTS)
def test_node_check(package: str, name: str) -> None:
    with static_dir(package) as folder:
        result = run_node("--check", str(folder / name))
    assert result.returncode == 0, result.stderr


def test_js_unit_tests() -> None:
    tests = sorted(str(path) for folder in JS_TESTS for path in folder.glob("*.test.js"))
    assert tests, "no JS tests found"
    result = run_node("--test", *tests)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
