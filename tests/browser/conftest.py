"""What the browser tests share: Debian's Chromium driven by Playwright, the demo deployment
served on loopback, and the folder for screenshots kept as test artifacts.

Playwright never downloads a browser here: it drives /usr/bin/chromium. Under CI=true a missing
Chromium fails the test; locally it skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_kit import in_thread

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    """`chatflow serve`'s demo (a copy of its flows), on a clock frozen at Monday 10:00 in
    Shanghai: within the demo's business hours, and offers never ring out."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    (tmp_path / "chatflow.yaml").write_text(config.replace("../../flows", "./flows"), "utf-8")
    settings = ServeSettings(config=tmp_path / "chatflow.yaml", data=tmp_path / "data")
    app = create_app(settings, clock=FrozenClock("2026-11-23T10:00:00+08:00"))
    with in_thread(app, log_level="warning") as served:
        yield served.url


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright's sync API)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def artifacts() -> Path:
    """test-artifacts/ at the repository's root, for screenshots."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
