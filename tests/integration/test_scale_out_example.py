"""The scale-out example is a deployment that validates, and its nginx forwards what its
``server.trusted_proxies`` tells the workers to believe."""

from __future__ import annotations

import re
from pathlib import Path

from chatflow.engine.catalog import Catalog
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scale-out"


def test_the_example_validates_without_errors_or_warnings() -> None:
    report = validate_paths([EXAMPLE / "chatflow.yaml"], LANGUAGE, strict=True)
    assert [p.format() for p in report.problems] == []


def test_its_nginx_sends_the_forwarded_headers_from_the_address_the_workers_trust() -> None:
    config = Catalog(LANGUAGE).config(EXAMPLE / "chatflow.yaml").model
    assert config is not None
    assert config.server.trusted_proxies == ["127.0.0.1"]
    assert config.server.public_url == "https://chat.acme.com"
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    [nginx] = re.findall(r"```nginx\n(.*?)```", readme, re.DOTALL)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert re.findall(r"server (\S+):\d+;", nginx) == ["127.0.0.1", "127.0.0.1"]
    assert "server_name chat.acme.com;" in nginx
