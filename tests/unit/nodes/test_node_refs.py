"""Node references are marked in the flow schema: ``x-node-ref`` paths equal ``targets()``.

Walking a flow (or a node example) together with the generated schema finds every string whose
schema carries ``x-node-ref``; that set must be exactly the paths ``targets()`` returns, plus
``start`` and ``interrupts[].goto``. A node type that names another node in a field it forgot to
type ``NodeRef`` (or a ``targets()`` that forgot a field) fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatflow.engine.node import NODE_REF_KEY
from chatflow.engine.schema import schema_for
from chatflow.engine.yamlsource import PathTuple, load_path, loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = schema_for("flow", LANGUAGE)
FLOW_FILES = sorted([*ROOT.glob("flows/**/*.flow.yaml"), *ROOT.glob("examples/**/*.flow.yaml")])


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (also the ``allOf: [{$ref}]`` wrapper the draft-07 rewrite makes)."""
    while True:
        if "$ref" in schema:
            schema = SCHEMA["definitions"][schema["$ref"].removeprefix("#/definitions/")]
        elif len(schema.get("allOf", ())) == 1 and "properties" not in schema:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            return schema


_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}


def _fits(schema: dict[str, Any], value: Any) -> bool:
    kind = schema.get("type")
    if isinstance(value, dict):
        tag = schema.get("properties", {}).get("type", {}).get("const")
        return kind == "object" and (tag is None or tag == value.get("type"))
    if isinstance(value, list):
        return kind == "array"
    found = _JSON_TYPES.get(type(value))
    return kind is None or kind == found or (kind == "number" and found == "integer")


def _branches(schema: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    """The (resolved) alternatives of ``schema`` that ``value`` fits."""
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [b for sub in schema[key] for b in _branches(sub, value)]
    return [schema] if _fits(schema, value) else []


def marked_paths(schema: dict[str, Any], value: Any, path: PathTuple = ()) -> set[PathTuple]:
    """Paths of the strings in ``value`` whose schema carries ``x-node-ref: true``."""
    found: set[PathTuple] = set()
    for branch in _branches(schema, value):
        if isinstance(value, str) and branch.get(NODE_REF_KEY) is True:
            found.add(path)
        elif isinstance(value, dict):
            properties = branch.get("properties", {})
            extra = branch.get("additionalProperties")
            for key, item in value.items():
                child = properties.get(key, extra if isinstance(extra, dict) else None)
                if child is not None:
                    found |= marked_paths(child, item, (*path, key))
        elif isinstance(value, list) and isinstance(branch.get("items"), dict):
            for index, item in enumerate(value):
                found |= marked_paths(branch["items"], item, (*path, index))
    return found


NODE_SCHEMA = SCHEMA["properties"]["nodes"]["additionalProperties"]


@pytest.mark.parametrize("tag", sorted(LANGUAGE.node_types))
def test_a_node_examples_references_are_exactly_its_marked_fields(tag: str) -> None:
    node_type = LANGUAGE.node_types[tag]
    nodes = loads(node_type.example, f"{tag} example").data
    for node_id, data in nodes.items():
        node = node_type.model_validate(data)
        targets = {t.path for t in node.targets()}
        assert targets or node_type.terminal, f"the {tag} example names no other node"
        assert marked_paths(NODE_SCHEMA, data) == targets, (
            f"{tag} node {node_id!r}: fields marked x-node-ref in the schema differ from "
            "targets(); type every field that names a node as engine.node.NodeRef"
        )


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_flows_references_are_exactly_its_marked_fields(path: Path) -> None:
    doc = load_path(path)
    flow = LANGUAGE.parse(doc)
    expected: set[PathTuple] = {("start",)}
    expected |= {("interrupts", i, "goto") for i in range(len(flow.interrupts))}
    for node_id, node in flow.nodes.items():
        expected |= {("nodes", node_id, *t.path) for t in node.targets()}
    assert marked_paths(SCHEMA, doc.data) == expected


def test_shipped_flows_are_found() -> None:
    assert len(FLOW_FILES) >= 3
    assert any(load_path(p).data.get("interrupts") for p in FLOW_FILES), "no flow tests goto"


def test_start_and_interrupt_goto_are_marked() -> None:
    assert SCHEMA["properties"]["start"][NODE_REF_KEY] is True
    assert SCHEMA["definitions"]["Interrupt"]["properties"]["goto"][NODE_REF_KEY] is True


def test_optional_references_carry_the_marker_on_their_string_branch() -> None:
    on_fail = SCHEMA["definitions"]["MenuNode"]["properties"]["on_fail"]
    assert NODE_REF_KEY not in on_fail and on_fail["description"]
    assert {"type": "string", NODE_REF_KEY: True} in on_fail["anyOf"]


def test_no_other_string_is_marked() -> None:
    """Plain text fields (labels, templates, groups) are not node references."""
    data = loads(
        "id: x\nstart: a\nnodes:\n  a: {type: transfer, group: a, queue_message: a, label: a}\n"
    ).data
    assert marked_paths(SCHEMA, data) == {("start",)}
