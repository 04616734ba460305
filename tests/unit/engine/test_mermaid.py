"""Mermaid charts of flows: ids that Mermaid accepts, escaped labels, every edge drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatflow.engine.mermaid import escape, to_mermaid
from chatflow.engine.yamlsource import load_path, loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[3]

FLOW = """\
id: demo
name: 演示 "flow"
start: hours
interrupts: [{keywords: [转人工, human], goto: end}]
nodes:
  hours:
    type: business_hours
    label: 服务时间 [9-18]
    schedule: [{days: [mon], from: "09:00", to: "18:00"}]
    open: menu
    closed: end
  menu:
    type: menu
    prompt: 请选择
    options:
      - {label: "售前 <咨询> #1", next: end}
      - {label: 'say "hi" | 1', next: ghost}
  end: {type: end, label: 结束}
"""


def chart(text: str = FLOW) -> str:
    return to_mermaid(LANGUAGE.parse(loads(text)))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ('say "hi"', "say #quot;hi#quot;"),
        ("a < b > c & d", "a #lt; b #gt; c #amp; d"),
        ("#1 `x` | y", "#35;1 #96;x#96; #124; y"),
        ("售前 [咨询] (1)", "售前 [咨询] (1)"),
        ("one\n  two", "one<br/>two"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_nodes_get_generated_ids_and_shapes() -> None:
    lines = chart().splitlines()
    assert lines[0] == "flowchart TD"
    assert '  flowstart(("start: 演示 #quot;flow#quot;"))' in lines
    assert '  n0{"<b>hours</b><br/>服务时间 [9-18]<br/><i>business_hours</i>"}' in lines
    assert '  n1("<b>menu</b><br/><i>menu</i>")' in lines
    assert '  n2(["<b>end</b><br/>结束<br/><i>end</i>"])' in lines
    assert "  flowstart --> n0" in lines


def test_edges_carry_branch_labels_and_interrupts_are_dotted() -> None:
    lines = chart().splitlines()
    assert '  n0 -->|"open"| n1' in lines
    assert '  n0 -->|"closed"| n2' in lines
    assert '  n1 -->|"1. 售前 #lt;咨询#gt; #35;1"| n2' in lines
    assert '  interrupt0{{"anywhere: 转人工 / human"}}' in lines
    assert "  interrupt0 -.-> n2" in lines


def test_missing_targets_are_drawn_as_missing() -> None:
    lines = chart().splitlines()
    assert '  missing0["missing: ghost"]:::missing' in lines
    assert '  n1 -->|"2. say #quot;hi#quot; #124; 1"| missing0' in lines
    assert lines[-1].startswith("  classDef missing")


@pytest.mark.parametrize("path", sorted(ROOT.glob("flows/*.flow.yaml")), ids=lambda p: p.name)
def test_every_shipped_flow_draws_every_node_and_edge(path: Path) -> None:
    flow = LANGUAGE.parse(load_path(path))
    text = to_mermaid(flow)
    assert len(re.findall(r"^  n\d+[\[({]", text, re.MULTILINE)) == len(flow.nodes)
    edges = sum(len(node.targets()) for node in flow.nodes.values())
    assert len(re.findall(r"^  n\d+ -->", text, re.MULTILINE)) == edges
    assert "missing" not in text
    for label in re.findall(r'"([^"]*)"', text):  # quoted labels: only the tags we write
        assert re.sub(r"</?(b|i)>|<br/>", "", label).count("<") == 0, label
