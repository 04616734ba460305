"""``chatflow serve``'s banner: the pages' addresses, at ``server.public_url`` when it is set;
and a ``server`` section it cannot use stops it with the reason, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatflow.admin_api.cli import main
from chatflow.admin_api.commands.serve import banner
from chatflow.admin_api.settings import ServeSettings

SETTINGS = ServeSettings(config=Path("deploy/chatflow.yaml"), host="0.0.0.0", port=8001)


def test_without_a_public_url_the_banner_shows_where_the_server_listens() -> None:
    text = banner(SETTINGS, ["acme-web"])
    assert "  chat page     http://127.0.0.1:8001/chat/acme-web" in text
    assert '<script src="http://127.0.0.1:8001/static/widget.js" data-site="acme-web"' in text
    assert "  admin console http://127.0.0.1:8001/console" in text
    assert "public address" not in text


def test_the_banner_uses_the_public_url_and_says_where_it_listens() -> None:
    text = banner(SETTINGS, ["acme-web"], "https://www.acme.com/support")
    assert "listening on http://127.0.0.1:8001, public address https://www.acme.com/support" in text
    assert "  chat page     https://www.acme.com/support/chat/acme-web" in text
    widget = '<script src="https://www.acme.com/support/static/widget.js" data-site="acme-web"'
    assert widget in text
    assert "  workbench     https://www.acme.com/support/workbench" in text
    assert "  agent login   POST https://www.acme.com/support/api/v1/auth/login" in text
    lines = text.splitlines()
    assert not any("8001" in line for line in lines if line.startswith("  "))


def test_an_ipv6_listening_address_is_bracketed() -> None:
    settings = ServeSettings(config=Path("chatflow.yaml"), host="::1", port=8000)
    assert "  workbench     http://[::1]:8000/workbench" in banner(settings, [])


def test_a_bad_server_section_stops_serve_with_the_place_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "chatflow.yaml"
    config.write_text(
        "flows: ./flows\nserver:\n  trusted_proxies: [nginx]\n  public_url: chat.acme.com\n",
        encoding="utf-8",
    )
    code = main(["serve", "--config", str(config), "--data", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{config}:3:" in err and "trusted proxy 'nginx' is neither an IP address" in err
    assert f"{config}:4:" in err and "must start with https:// or http://" in err
    assert "Traceback" not in err
