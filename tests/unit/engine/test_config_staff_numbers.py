"""chatflow.yaml: no two agents of a merchant share a staff number (工号), which visitors see
(QA finding 12); the admin API refuses it the same way (tests/integration/admin/test_accounts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chatflow.engine.config import DeploymentConfig
from chatflow.engine.deployment import read_config
from chatflow.engine.errors import DefinitionError


def _agent(account: str, staff_no: str) -> dict[str, Any]:
    return {"account": account, "password_env": "PW", "nickname": account, "staff_no": staff_no}


def _config(*merchants: list[dict[str, Any]]) -> dict[str, Any]:
    return {"merchants": [{"id": f"m{i}", "agents": a} for i, a in enumerate(merchants)]}


def test_every_shared_number_is_named_with_its_agents() -> None:
    agents = [
        _agent("alice01", "1001"),
        _agent("bob0001", "1002"),
        _agent("carol_01", "1002"),
        _agent("dave001", "7"),
        _agent("erin001", "7"),
        _agent("frank01", "7"),
    ]
    with pytest.raises(ValidationError) as caught:
        DeploymentConfig.model_validate(_config(agents))
    [error] = caught.value.errors()
    assert error["loc"] == ("merchants", 0)
    assert error["msg"] == (
        "Value error, each agent of merchant 'm0' needs a staff_no of its own (visitors see it): "
        "'1002' is given to bob0001 and carol_01; '7' is given to dave001, erin001 and frank01"
    )


def test_merchants_number_their_agents_each_on_their_own() -> None:
    config = _config([_agent("alice01", "1")], [_agent("bob0001", "1")])
    merchants = DeploymentConfig.model_validate(config).merchants
    assert [m.agents[0].staff_no for m in merchants] == ["1", "1"]


def test_serve_and_validate_report_it_at_the_merchant(tmp_path: Path) -> None:
    config = tmp_path / "chatflow.yaml"
    config.write_text(
        "merchants:\n"
        "  - id: acme\n"
        "    agents:\n"
        '      - {account: bob0001, password_env: PW, nickname: Bob, staff_no: "1002"}\n'
        '      - {account: carol_01, password_env: PW, nickname: Carol, staff_no: "1002"}\n'
    )
    with pytest.raises(DefinitionError) as caught:
        read_config(config)
    [problem] = caught.value.problems
    assert (problem.line, problem.json_path) == (2, "$.merchants[0]")
    assert "'1002' is given to bob0001 and carol_01" in problem.message
