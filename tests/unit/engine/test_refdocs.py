"""The generated flow language reference: committed copy matches the models, examples are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatflow.engine import refdocs_text
from chatflow.engine.refdocs import DOC_NAME, reference
from chatflow.engine.templates import SYSTEM_VARIABLES
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[3]


def test_committed_reference_matches_the_models() -> None:
    committed = ROOT / "docs" / DOC_NAME
    assert committed.is_file(), (
        "docs/flow-language.md is missing: run `chatflow schema --docs --write`"
    )
    assert committed.read_text(encoding="utf-8") == reference(LANGUAGE), (
        "docs/flow-language.md differs from the models: run `chatflow schema --docs --write` "
        "and commit it"
    )


@pytest.mark.parametrize("tag", list(LANGUAGE.node_types))
def test_every_node_type_has_a_valid_example(tag: str) -> None:
    example = LANGUAGE.node_types[tag].example
    assert example, f"add an example for {tag!r}: the node class's 'example'"
    ((_node_id, node),) = loads(example).data.items()
    LANGUAGE.node_types[tag].model_validate(node)


@pytest.mark.parametrize("tag", list(LANGUAGE.node_types))
def test_every_field_of_a_node_is_in_its_section(tag: str) -> None:
    doc = reference(LANGUAGE)
    section = doc.split(f"### `{tag}`", 1)[1].split("\n### ", 1)[0]
    for name, field in LANGUAGE.node_types[tag].model_fields.items():
        if name not in ("type", "label", "position"):
            assert f"| `{field.alias or name}` |" in section


def test_types_defaults_and_links_read_well() -> None:
    doc = reference(LANGUAGE)
    assert "| `options` | list of [MenuOption](#menuoption) | **required** |" in doc
    assert '| `method` | `"GET"` \\| `"POST"`' in doc
    assert "| `max_attempts` | integer | `3` |" in doc
    assert "| `holidays` | list of date (YYYY-MM-DD) | `[]` |" in doc
    assert '<a id="menuoption"></a>' in doc


def test_every_system_variable_is_described() -> None:
    assert set(refdocs_text.SYSTEM_VARIABLE_DOCS) == set(SYSTEM_VARIABLES)
    doc = reference(LANGUAGE)
    assert "| `sys.wait_no` | `${WaitNo}` |" in doc


def test_the_flow_example_is_a_valid_flow() -> None:
    yaml_text = refdocs_text.FLOW_EXAMPLE.split("```yaml\n", 1)[1].split("```", 1)[0]
    LANGUAGE.parse(loads(yaml_text))
