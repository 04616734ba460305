"""Deployment config and test-file checks, through ``validate_paths`` on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatflow.engine.catalog import Catalog
from chatflow.engine.deployment import read_config
from chatflow.engine.errors import DefinitionError, Problem
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

FLOW = """\
id: sales
start: hi
nodes:
  hi: {type: message, text: hi, next: agent}
  agent: {type: transfer, group: presales, next: bye}
  bye: {type: end}
"""

CONFIG = """\
flows: ./flows
merchants:
  - id: acme
    sites:
      - {key: acme-web, flow: sales, groups: [presales]}
    groups:
      - {id: presales}
    agents:
      - {account: alice01, password_env: ALICE_PASSWORD, nickname: Alice, staff_no: "1001",
         groups: {presales: 1}}
"""


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")


def problems(*paths: str, config: str | None = None) -> dict[tuple[str, str], Problem]:
    report = validate_paths(list(paths), LANGUAGE, config=config)
    return {(p.path, p.json_path): p for p in report.problems}


def test_a_sound_deployment_has_no_problems() -> None:
    write("flows/sales.flow.yaml", FLOW)
    write("chatflow.yaml", CONFIG)
    report = validate_paths(["."], LANGUAGE)
    assert report.problems == []
    assert report.files == 2


def test_validating_a_config_checks_its_flows_and_their_groups() -> None:
    write("flows/sales.flow.yaml", FLOW.replace("group: presales", "group: presale"))
    write("chatflow.yaml", CONFIG)
    got = problems("chatflow.yaml")
    problem = got[("flows/sales.flow.yaml", "$.nodes.agent.group")]
    assert "skill group 'presale' is not defined" in problem.message
    assert "chatflow.yaml: merchant acme" in problem.message
    assert "Did you mean 'presales'?" in problem.message


def test_groups_come_from_the_merchants_running_the_flow() -> None:
    write("flows/sales.flow.yaml", FLOW)
    config = CONFIG + "  - id: other\n    groups: [{id: vip}]\n"
    write("chatflow.yaml", config)
    assert problems(".") == {}
    write("flows/sales.flow.yaml", FLOW.replace("group: presales", "group: vip"))
    assert ("flows/sales.flow.yaml", "$.nodes.agent.group") in problems(".")


def test_an_explicit_config_applies_to_flows_elsewhere() -> None:
    write("deploy/chatflow.yaml", CONFIG.replace("./flows", "../flows"))
    write("flows/sales.flow.yaml", FLOW)
    write("other/sales2.flow.yaml", FLOW.replace("sales", "sales2").replace("presales", "vip"))
    assert problems("other") == {}
    got = problems("other", config="deploy/chatflow.yaml")
    problem = got[("other/sales2.flow.yaml", "$.nodes.agent.group")]
    assert "no site runs flow 'sales2'" in problem.message


def test_config_semantics() -> None:
    write("flows/sales.flow.yaml", FLOW)
    config = """\
flows: ./flows
merchants:
  - id: acme
    sites:
      - {key: web, flow: sale, groups: [presales, nope]}
    groups: [{id: presales}, {id: presales}]
    agents:
      - {account: alice01, password_env: A, nickname: A, staff_no: "1", groups: {presale: 1}}
  - id: acme
    sites: [{key: web, flow: sales}]
    agents:
      - {account: alice01, password_env: MISSING_ENV_IS_FINE, nickname: B, staff_no: "2"}
"""
    write("chatflow.yaml", config)
    got = {k[1]: v for k, v in problems("chatflow.yaml").items() if k[0] == "chatflow.yaml"}
    assert set(got) == {
        "$.merchants[0].sites[0].flow",
        "$.merchants[0].sites[0].groups[1]",
        "$.merchants[0].groups[1].id",
        "$.merchants[0].agents[0].groups.presale",
        "$.merchants[1].id",
        "$.merchants[1].sites[0].key",
        "$.merchants[1].agents[0].account",
    }
    assert "Did you mean 'sales'?" in got["$.merchants[0].sites[0].flow"].message
    assert got["$.merchants[1].id"].message.startswith(
        "duplicate merchant id 'acme' (first at line 3)"
    )
    assert got["$.merchants[0].agents[0].groups.presale"].line == 8
    assert "within merchant 'acme'" in got["$.merchants[0].groups[1].id"].message


def test_config_model_errors_and_missing_flows_folder() -> None:
    write("chatflow.yaml", "flows: ./nowhere\nmerchants: [{id: a, colour: red}]\n")
    got = problems("chatflow.yaml")
    assert "unknown field 'colour'" in got[("chatflow.yaml", "$.merchants[0].colour")].message
    write("chatflow.yaml", "flows: ./nowhere\n")
    got = problems("chatflow.yaml")
    assert "flows folder './nowhere' does not exist" in got[("chatflow.yaml", "$.flows")].message


def test_duplicate_flow_ids_in_a_deployment() -> None:
    write("flows/a/sales.flow.yaml", FLOW)
    write("flows/b/sales.flow.yaml", FLOW)
    write("chatflow.yaml", CONFIG)
    got = problems(".")
    problem = got[("flows/b/sales.flow.yaml", "$.id")]
    assert "already used by flows/a/sales.flow.yaml" in problem.message


TEST = """\
flow: sales
groups_online: [presales, vipp]
vars: {phone: "1", unknown: 2}
steps:
  - bot: hi
  - expect: {node: agnet, queued: {group: presale}, vars: {rating: 5}}
"""


def test_test_files_name_existing_flows_nodes_and_groups() -> None:
    write("flows/sales.flow.yaml", FLOW.replace("nodes:", "vars: {phone: ''}\nnodes:"))
    write("tests/sales.test.yaml", TEST)
    got = problems("tests")
    assert {k[1]: v.severity for k, v in got.items() if k[0] == "tests/sales.test.yaml"} == {
        "$.groups_online[1]": "warning",
        "$.vars.unknown": "warning",
        "$.steps[1].expect.node": "error",
        "$.steps[1].expect.queued.group": "error",
        "$.steps[1].expect.vars.rating": "warning",
    }
    assert (
        "Did you mean 'agent'?" in got[("tests/sales.test.yaml", "$.steps[1].expect.node")].message
    )


def test_a_test_whose_flow_is_missing() -> None:
    write("flows/sales.flow.yaml", FLOW)
    write("tests/x.test.yaml", "flow: sale\nsteps: [{user: hi}]\n")
    problem = problems("tests")[("tests/x.test.yaml", "$.flow")]
    assert "flow 'sale' not found" in problem.message
    assert "Did you mean 'sales'?" in problem.message


def test_the_flow_of_a_test_is_validated_too() -> None:
    write("flows/sales.flow.yaml", FLOW.replace("next: bye}", "next: by}"))
    write("tests/x.test.yaml", "flow: sales\nsteps: [{user: hi}]\n")
    report = validate_paths(["tests"], LANGUAGE)
    assert report.files == 2
    assert {(p.path, p.code) for p in report.problems} == {
        ("flows/sales.flow.yaml", "unknown-node"),
        ("flows/sales.flow.yaml", "unreachable"),
    }


def test_serve_reads_a_bad_config_with_the_problems_validate_reports(tmp_path: Path) -> None:
    path = tmp_path / "chatflow.yaml"
    path.write_text(
        "merchants:\n  - id: acme\n    groups:\n      - {id: sales, max_session: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as refused:
        read_config(path)
    validated = Catalog(LANGUAGE).config(path).problems
    said = [(p.line, p.column, p.message) for p in refused.value.problems]
    assert said == [(p.line, p.column, p.message) for p in validated]
    assert "expected one of: id, name, max_sessions" in said[0][2]  # the field it may mean
