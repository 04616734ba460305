"""The flows and the demo deployment the product ships: each validates with no problem at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from chatflow.engine.catalog import Catalog
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted((ROOT / "flows").glob("*.flow.yaml"))
DEMO = ROOT / "examples" / "demo" / "chatflow.yaml"


def test_the_product_ships_its_flows() -> None:
    assert {p.name.removesuffix(".flow.yaml") for p in FLOWS} >= {
        "reception",
        "tccc_presales",
        "course_signup",
        "keyword_bot",
    }


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.name)
def test_each_flow_validates_without_errors_or_warnings(path: Path) -> None:
    report = validate_paths([path], LANGUAGE, config=DEMO, strict=True)
    assert [p.format() for p in report.problems] == []


@pytest.mark.parametrize("path", [*FLOWS, DEMO], ids=lambda p: p.name)
def test_each_file_starts_with_the_editor_schema_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    schema = "flow.schema.json" if path in FLOWS else "chatflow-config.schema.json"
    assert first.startswith("# yaml-language-server: $schema=")
    assert (path.parent / first.split("=", 1)[1]).resolve() == ROOT / "schemas" / schema


def test_the_demo_deployment_validates_with_its_flows() -> None:
    report = validate_paths([DEMO.parent], LANGUAGE, strict=True)
    assert [p.format() for p in report.problems] == []
    assert report.files == 1 + len(FLOWS)


def test_the_demo_runs_reception_and_its_agents_log_in_with_the_documented_password() -> None:
    config = Catalog(LANGUAGE).config(DEMO).model
    assert config is not None
    (merchant,) = config.merchants
    assert (merchant.id, merchant.sites[0].key, merchant.sites[0].flow) == (
        "demo",
        "demo-web",
        "reception",
    )
    assert {g.id for g in merchant.groups} == {"presales", "aftersales", "complaints"}
    assert "Demo-pass1" in DEMO.read_text(encoding="utf-8")
    for agent in merchant.agents:
        assert agent.password_hash is not None
        assert PasswordHasher().verify(agent.password_hash, "Demo-pass1")


def test_the_reception_flow_has_the_documented_settings_and_interrupt() -> None:
    flow = Catalog(LANGUAGE).flow(ROOT / "flows" / "reception.flow.yaml").model
    assert flow is not None
    assert flow.settings.idle_timeout > 0
    assert flow.settings.idle_message and flow.settings.agent_end_message
    (interrupt,) = flow.interrupts
    assert interrupt.keywords == ["转人工", "人工客服", "human"]
    assert {node.type for node in flow.nodes.values()} >= {
        "message",
        "business_hours",
        "menu",
        "transfer",
        "survey",
        "end",
    }
