"""The generated JSON Schemas: committed copies match the code, and they agree with the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from chatflow.engine.schema import KINDS, all_schemas, schema_for, write_schemas
from chatflow.engine.yamlsource import load_path, loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", sorted(KINDS.values()))
def test_committed_schemas_match_the_models(name: str) -> None:
    committed = ROOT / "schemas" / name
    generated = all_schemas(LANGUAGE)[name]
    assert committed.is_file(), f"schemas/{name} is missing: run `chatflow schema --write`"
    assert committed.read_text(encoding="utf-8") == generated, (
        f"schemas/{name} differs from the models: run `chatflow schema --write` and commit it"
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_schemas_are_draft_07_for_the_yaml_language_server(kind: str) -> None:
    schema = schema_for(kind, LANGUAGE)
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    text = json.dumps(schema)
    assert "$defs" not in text
    assert "discriminator" not in text

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            assert not ("$ref" in value and len(value) > 1), f"$ref with siblings: {value}"
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(schema)


def test_node_ids_are_free_form_keys_with_the_node_union() -> None:
    nodes = schema_for("flow", LANGUAGE)["properties"]["nodes"]
    refs = [item["$ref"] for item in nodes["additionalProperties"]["oneOf"]]
    assert len(refs) == len(LANGUAGE.node_types)
    assert "#/definitions/MenuNode" in refs
    assert "pattern" in nodes["propertyNames"]


def test_descriptions_come_from_docstrings_with_markdown_hovers() -> None:
    menu = schema_for("flow", LANGUAGE)["definitions"]["MenuNode"]
    attempts = menu["properties"]["max_attempts"]
    docstring = LANGUAGE.node_types["menu"].model_fields["max_attempts"].description or ""
    assert attempts["description"] == " ".join(docstring.replace("``", "`").split())
    assert attempts["markdownDescription"].endswith("Default: `3`")
    assert menu["properties"]["type"]["description"].startswith("Node type `menu`: ")


def test_the_schema_rejects_what_the_model_rejects() -> None:
    validator = Draft7Validator(schema_for("flow", LANGUAGE))
    good = loads("id: a\nstart: x\nnodes:\n  x: {type: end}\n").data
    assert list(validator.iter_errors(good)) == []
    for bad in (
        "id: A\nstart: x\nnodes:\n  x: {type: end}\n",
        "id: a\nstart: x\nnodes:\n  x: {type: end, colour: red}\n",
        "id: a\nstart: x\nnodes:\n  x: {type: mesage}\n",
        "id: a\nstart: x\nnodes:\n  'bad id': {type: end}\n",
        "id: a\nstart: x\nnodes: {}\n",
    ):
        assert list(validator.iter_errors(loads(bad).data)), bad


def _files(pattern: str) -> list[Path]:
    return sorted(ROOT.glob(pattern))


@pytest.mark.parametrize("path", _files("flows/*.flow.yaml"), ids=lambda p: p.name)
def test_every_shipped_flow_validates_against_the_schema(path: Path) -> None:
    doc = load_path(path)
    assert doc.schema_comment == "../schemas/flow.schema.json"
    errors = list(Draft7Validator(schema_for("flow", LANGUAGE)).iter_errors(doc.data))
    assert errors == []


@pytest.mark.parametrize("path", _files("examples/*/chatflow.yaml"), ids=lambda p: p.parent.name)
def test_every_example_config_validates_against_the_schema(path: Path) -> None:
    doc = load_path(path)
    assert list(Draft7Validator(schema_for("config", LANGUAGE)).iter_errors(doc.data)) == []


def test_write_schemas(tmp_path: Path) -> None:
    written = write_schemas(LANGUAGE, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(KINDS.values())
    assert json.loads(written[0].read_text(encoding="utf-8"))["title"]


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="expected one of: flow, config, test"):
        schema_for("nope", LANGUAGE)
