"""The console's embed code and chat link under ``server.public_url``: the deployment is reached
on loopback, but the code it hands out names the address visitors use (the sites test covers
the fallback: the console's own address)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from server_kit import in_thread
from staff_kit import WAIT, console_log_in, open_section

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://chat.acme.com/support"


@pytest.fixture
def public_server(tmp_path: Path) -> Iterator[str]:
    """The demo deployment with ``server.public_url`` set to :data:`PUBLIC`."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = yaml.safe_load((ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8"))
    config["flows"] = "./flows"
    config["server"] = {"public_url": PUBLIC}
    path = tmp_path / "chatflow.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    app = create_app(ServeSettings(config=path, data=tmp_path / "data"))
    with in_thread(app, log_level="warning", proxy_headers=False) as served:
        yield served.url


def test_the_embed_code_and_chat_link_use_the_public_url(public_server: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    console_log_in(page, public_server, "demo_alice")
    sites = open_section(page, "sites")
    sites.locator("tbody tr", has_text="demo-web").locator('[data-action="embed"]').click()
    dialog = page.locator(".cs-dialog")
    dialog.wait_for(timeout=WAIT)
    code = dialog.locator('[data-name="embed"]').input_value()
    assert code == f'<script src="{PUBLIC}/static/widget.js" data-site="demo-web" async></script>'
    assert dialog.locator('[data-name="link"]').input_value() == f"{PUBLIC}/chat/demo-web"
    context.close()
