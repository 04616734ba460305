"""The editor's form of a flow: document -> YAML text -> the same document, and comment detection."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatflow.engine.flowdump import dump_flow, flow_document, has_comments
from chatflow.engine.yamlsource import load_path, loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[3]
FLOW_FILES = sorted([*ROOT.glob("flows/**/*.flow.yaml"), *ROOT.glob("examples/**/*.flow.yaml")])

TRICKY = [
    *("09", "+1", "-0", "0o17", "0x1F", "1e5", ".5", "1.", "1_000", "9:00", "09:00"),
    *("yes", "no", "on", "off", "true", "True", "null", "Null", "~", "", " ", "2026-10-01"),
    *(".inf", "-.inf", ".nan", "inf", "nan", "a#b", "a # b", "# c", "- x", "key: value"),
    *("'quoted'", '"double"', "@at", "`tick", "!tag", "&anchor", "*alias", "%pct", "<<"),
    *("line\nnext", "trailing\n", "two\n\n", "  leading\nx", "space \nend", "\ttab\nx"),
    *("中文\n第二行", "\u2028sep", "\x85nel", "\ufeffbom", "bell\x07"),
]


def round_trip(data: dict[str, Any]) -> Any:
    return loads(dump_flow(data)).data


@pytest.mark.parametrize("value", TRICKY, ids=repr)
def test_strings_that_look_like_something_else_stay_strings(value: str) -> None:
    assert round_trip({"v": value, value or "k": [value]}) == {"v": value, value or "k": [value]}


def test_numbers_booleans_and_null_keep_their_types() -> None:
    data = {"n": [0, -7, 2**70, 1.5, -0.25, 1e300, 1e-7, True, False, None, {}, []]}
    back = round_trip(data)
    assert back == data
    assert [type(x) for x in back["n"]] == [type(x) for x in data["n"]]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), JSON, max_size=5))
def test_any_json_document_reads_back_the_same(data: dict[str, Any]) -> None:
    back = round_trip(data)
    assert back == data and list(back) == list(data)


def test_the_text_is_the_shipped_flows_style_in_document_order_with_text_blocks() -> None:
    text = dump_flow(
        {
            "id": "x",
            "start": "hello",
            "nodes": {
                "hello": {"type": "message", "text": "您好\n欢迎", "next": "bye"},
                "bye": {"type": "end", "position": {"x": 1, "y": 2}},
            },
        }
    )
    assert text == (
        "id: x\n"
        "start: hello\n"
        "nodes:\n"
        "  hello:\n"
        "    type: message\n"
        "    text: |-\n"
        "      您好\n"
        "      欢迎\n"
        "    next: bye\n"
        "\n"
        "  bye:\n"
        "    type: end\n"
        "    position: {x: 1, y: 2}\n"
    )
    long = "很长" * 200
    assert dump_flow({"a": [long]}) == f"a:\n  - {long}\n"
    # short lists of plain values in brackets, short mappings in lists in braces; not a list
    # holding a multi-line text, nor a mapping outside a list
    options = [{"label": "售前", "keywords": ["买", "价格"], "next": "a"}]
    assert dump_flow({"o": options}) == "o:\n  - {label: 售前, keywords: [买, 价格], next: a}\n"
    assert dump_flow({"k": ["a\nb", "c"]}) == "k:\n  - |-\n    a\n    b\n  - c\n"
    assert dump_flow({"s": {"x": 1}}) == "s:\n  x: 1\n"


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_a_shipped_flow_saved_from_its_document_differs_only_by_its_comments(path: Path) -> None:
    """The house style: a canvas save of a hand-written flow is a small diff, not a new layout.
    Compared without comments, blank lines and quote marks (the dump quotes with ')."""

    def core(text: str) -> list[str]:
        lines = [line.split(" #")[0].rstrip() for line in text.splitlines()]
        kept = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        return [line.replace('"', "'") for line in kept]

    text = path.read_text(encoding="utf-8")
    document = flow_document(text)
    assert document is not None
    dumped, original = core(dump_flow(document)), core(text)
    changed = [line for line in dumped if line not in original]
    assert len(changed) <= len(original) // 5, changed


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_a_shipped_flows_document_dumps_to_the_same_flow(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    document = flow_document(text)
    assert document is not None and list(document) == list(load_path(path).data)
    again = LANGUAGE.parse(loads(dump_flow(document)))
    assert again.model_dump() == LANGUAGE.parse(loads(text)).model_dump()


def test_the_document_is_json_compatible() -> None:
    document = flow_document(
        "a: .inf\nb: -.inf\nc: .nan\nd: 2026-10-01\ne: !!timestamp 2026-10-01 10:00:00\nf: 9:00\n"
    )
    assert document == {
        "a": "inf",
        "b": "-inf",
        "c": "nan",
        "d": "2026-10-01",
        "e": "2026-10-01 10:00:00",
        "f": "9:00",
    }
    settings_field = LANGUAGE.flow_model.model_fields["settings"].annotation
    assert settings_field is not None
    read = loads(dump_flow({"idle_timeout": document["a"]})).data
    assert math.isinf(settings_field.model_validate(read).idle_timeout)


@pytest.mark.parametrize("text", ["a: [1", "a: b\n\tc: d", "- just\n- a list\n", ""])
def test_no_document_for_text_that_is_not_a_mapping(text: str) -> None:
    assert flow_document(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: b\n", False),
        ("a: 'x # y'\nb: \"#\"\nc: a#b\n", False),
        ("a: |\n  # part of the text\n  x\n", False),
        ("a: {x: '#', y: [1, '#']}\n", False),
        ("# yaml-language-server: $schema=../schemas/flow.schema.json\na: b\n", True),
        ("a: b # why\n", True),
        ("a: |  # the text follows\n  x\n", True),
        ("a:\n  - x\n# between\n  - y\n", True),
        ("a: [x, # inside a flow list\n  y]\n", True),
        ("a: b\n# the end", True),
        ("a: 'unclosed # string\n", False),
    ],
)
def test_comments_are_found_by_the_scanner_not_by_a_hash(text: str, expected: bool) -> None:
    assert has_comments(text) is expected
