"""The web widget and chat page ship as package data and stay self-contained and markup-safe.

Grep-level guards on channels/static (no CDN, no HTML-injection sinks, CSP-friendly chat.html), then
node: `node --check` on every script and the JS unit tests in tests/unit/channels/js. Node is
optional on a laptop (skipped) but required under CI=true. Real browsers come later.
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

ASSETS = ("widget.js", "chat.html", "chat.js", "chat.css", "core.js", "view.js", "i18n.js")
SCRIPTS = tuple(name for name in ASSETS if name.endswith(".js"))
JS_TESTS = Path(__file__).parent / "js"

# Namespace identifiers are URLs by definition and are never fetched.
ALLOWED_URLS = {"http://www.w3.org/2000/svg"}
ABSOLUTE_URL = re.compile(r"\b(?:https?|wss?|ftp)://[^\s'\"`)<>]*", re.IGNORECASE)
PROTOCOL_RELATIVE = re.compile(r"""(?:["'(=]\s*)//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")
HTML_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|srcdoc|createContextualFragment"
    r"|DOMParser|\beval\s*\(|new\s+Function\s*\(|setTimeout\(\s*['\"`]|setInterval\(\s*['\"`]"
)


@contextmanager
def static_dir() -> Iterator[Path]:
    with as_file(files("chatflow.channels") / "static") as path:
        yield Path(path)


def read(name: str) -> str:
    with static_dir() as folder:
        return (folder / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ASSETS)
def test_asset_is_shipped_and_not_empty(name: str) -> None:
    with static_dir() as folder:
        assert (folder / name).is_file(), f"{name} is missing from chatflow.channels/static"
    assert read(name).strip()


def test_static_folder_is_flat() -> None:
    """package-data is `static/*`: a subfolder would silently not be installed."""
    with static_dir() as folder:
        nested = [p.name for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert nested == []


@pytest.mark.parametrize("name", ASSETS)
def test_no_external_urls(name: str) -> None:
    text = read(name)
    found = [url for url in ABSOLUTE_URL.findall(text) if url not in ALLOWED_URLS]
    found += PROTOCOL_RELATIVE.findall(text)
    assert found == [], f"{name} refers to other hosts (CDN?): {found}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_no_html_injection_sinks(name: str) -> None:
    """Text reaches the page through textContent / text nodes only."""
    hits = [
        f"{name}:{number}: {line.strip()}"
        for number, line in enumerate(read(name).splitlines(), start=1)
        if HTML_SINKS.search(line)
    ]
    assert hits == []


def test_chat_html_is_csp_friendly_and_its_assets_exist() -> None:
    html = read("chat.html")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], "inline script"
    assert re.findall(r"\son[a-z]+\s*=", html) == [], "inline event handler"
    assert re.findall(r"\sstyle\s*=|<style", html) == [], "inline style"
    # Relative, so a deployment under a path prefix (/cs/chat/x -> /cs/static/) works too.
    referenced = re.findall(r"""(?:src|href)="\.\./static/([^"]+)\"""", html)
    assert sorted(referenced) == sorted(["chat.css", "i18n.js", "core.js", "view.js", "chat.js"])
    with static_dir() as folder:
        assert all((folder / name).is_file() for name in referenced)


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
    with static_dir() as folder:
        env = {**os.environ, "CHATFLOW_STATIC": str(folder)}
        return subprocess.run(
            [node_or_skip(), *args], capture_output=True, text=True, timeout=120, env=env
        )


@pytest.mark.parametrize("name", SCRIPTS)
def test_node_check(name: str) -> None:
    with static_dir() as folder:
        result = run_node("--check", str(folder / name))
    assert result.returncode == 0, result.stderr


def test_js_unit_tests() -> None:
    tests = sorted(str(path) for path in JS_TESTS.glob("*.test.js"))
    assert tests, "no JS tests found"
    result = run_node("--test", *tests)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
