"""A canvas save written onto the text it was edited from: comments, quotes and layout kept."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatflow.engine.flowdump import dump_flow, flow_document
from chatflow.engine.flowmerge import MAX_MERGE, merge_document

ROOT = Path(__file__).resolve().parents[3]
FLOW_FILES = sorted([*ROOT.glob("flows/**/*.flow.yaml"), *ROOT.glob("examples/**/*.flow.yaml")])

BASE = """\
# yaml-language-server: $schema=../schemas/flow.schema.json
# A small flow: a menu, a human, and a goodbye.
id: demo   # the flow's id
name: 'Demo'
start: menu
vars:
  phone: ""     # asked by the form
  note: ~
nodes:
  # The first thing the visitor sees.
  menu:
    type: menu
    prompt: "请选择："  # shown above the options
    options:
      - {label: 售前, next: human}   # sales
      # after-sales goes to the same people for now
      - {label: 售后, next: human}
    next: bye

  # Everybody ends up with a person.
  human:
    type: transfer
    group: sales
    next: bye

  # Last words.
  bye:
    type: end
    message: |
      再见！
      欢迎再来。
# end of the flow
"""


def edited(change: Any, base: str = BASE) -> tuple[dict[str, Any], str]:
    """The base's document after ``change(document)``, and the merged text (which must read
    back as exactly that document)."""
    document = flow_document(base)
    assert document is not None
    change(document)
    text = merge_document(base, document)
    assert text is not None
    back = flow_document(text)
    assert back == document and list(back) == list(document)
    return document, text


def diff(old: str, new: str) -> tuple[list[str], list[str]]:
    """The lines that went and the lines that came."""
    lines = list(difflib.ndiff(old.splitlines(), new.splitlines()))
    return [x[2:] for x in lines if x[:2] == "- "], [x[2:] for x in lines if x[:2] == "+ "]


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def test_an_unchanged_document_gives_the_text_back() -> None:
    assert edited(lambda d: None)[1] == BASE


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_a_shipped_flow_changed_in_one_place_changes_in_one_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _, merged = edited(lambda d: d.update(name="新名字"), text)
    name = next(line for line in text.splitlines() if line.startswith("name:"))
    assert diff(text, merged) == ([name], ["name: 新名字"])


def test_a_changed_value_keeps_the_comments_around_it_and_its_quotes() -> None:
    def change(d: dict[str, Any]) -> None:
        d["nodes"]["menu"]["prompt"] = "Choose:"
        d["vars"]["phone"] = "1"
        d["nodes"]["bye"]["message"] = "再见！\n下次见。\n"

    _, text = edited(change)
    went, came = diff(BASE, text)
    assert went == [
        '  phone: ""     # asked by the form',
        '    prompt: "请选择："  # shown above the options',
        "      欢迎再来。",
    ]
    assert came == [
        '  phone: "1"    # asked by the form',  # the comment keeps its column
        '    prompt: "Choose:" # shown above the options',
        "      下次见。",
    ]
    assert comments(text) == comments(BASE)
    assert text.startswith("# yaml-language-server: $schema=../schemas/flow.schema.json\n")
    assert "name: 'Demo'\n" in text and "  note: ~\n" in text  # untouched spellings stay


def test_an_added_node_is_written_like_the_dump_after_the_others() -> None:
    node = {"type": "message", "position": {"x": 40, "y": 40}, "text": "hi", "next": "bye"}
    _, text = edited(lambda d: d["nodes"].update(message_1=node))
    added = ["", "  message_1:", "    type: message", "    position: {x: 40, y: 40}"]
    assert diff(BASE, text) == ([], [*added, "    text: hi", "    next: bye"])
    assert text.endswith("    next: bye\n# end of the flow\n")  # the last comment stays last


def test_a_deleted_node_takes_its_own_comments_and_leaves_its_neighbours() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["nodes"]["human"]
        for option in d["nodes"]["menu"]["options"]:
            option["next"] = "bye"

    _, text = edited(change)
    assert "# Everybody ends up with a person." not in text
    assert comments(text) == [c for c in comments(BASE) if "Everybody" not in c]
    assert "    next: bye\n\n  # Last words.\n  bye:\n" in text


def test_deleting_the_first_or_the_last_node() -> None:
    _, text = edited(lambda d: (d["nodes"].pop("menu"), d.update(start="human")))
    assert "nodes:\n  # Everybody ends up with a person.\n  human:\n" in text
    assert "# The first thing" not in text

    def last(d: dict[str, Any]) -> None:
        del d["nodes"]["bye"]
        del d["nodes"]["human"]["next"], d["nodes"]["menu"]["next"]

    _, text = edited(last)
    assert text.endswith("    group: sales\n# end of the flow\n")
    assert "# Last words." not in text


def test_a_renamed_node_keeps_its_place_and_its_comments() -> None:
    def rename(d: dict[str, Any]) -> None:
        d["nodes"] = {("agent" if k == "human" else k): v for k, v in d["nodes"].items()}
        for option in d["nodes"]["menu"]["options"]:
            option["next"] = "agent"

    _, text = edited(rename)
    went, came = diff(BASE, text)
    assert went == [
        "      - {label: 售前, next: human}   # sales",
        "      - {label: 售后, next: human}",
        "  human:",
    ]
    assert came == [
        "      - {label: 售前, next: agent}   # sales",
        "      - {label: 售后, next: agent}",
        "  agent:",
    ]


def test_a_list_grows_and_shrinks_around_the_comments_of_its_items() -> None:
    _, text = edited(lambda d: d["nodes"]["menu"]["options"].append({"label": "投诉", "next": "x"}))
    assert diff(BASE, text) == ([], ["      - {label: 投诉, next: x}"])

    _, text = edited(lambda d: d["nodes"]["menu"]["options"].pop(0))
    assert diff(BASE, text) == (["      - {label: 售前, next: human}   # sales"], [])
    assert "# after-sales goes to the same people for now" in text

    _, text = edited(
        lambda d: d["nodes"]["menu"]["options"].insert(1, {"label": "新", "next": "x"})
    )
    assert "   # sales\n      - {label: 新, next: x}\n      # after-sales" in text


def test_a_moved_node_gets_its_position_and_a_new_field_goes_where_the_document_has_it() -> None:
    def move(d: dict[str, Any]) -> None:
        d["nodes"]["menu"] = {"position": {"x": 10, "y": 20}, **d["nodes"]["menu"]}

    _, text = edited(move)
    assert diff(BASE, text) == ([], ["    position: {x: 10, y: 20}"])
    assert "  menu:\n    position: {x: 10, y: 20}\n    type: menu\n" in text


def test_keys_in_a_new_order_take_their_comments_along() -> None:
    _, text = edited(lambda d: d.update(nodes=dict(reversed(d["nodes"].items()))))
    assert "nodes:\n  # Last words.\n  bye:\n" in text
    assert "再来。\n\n  # Everybody ends up with a person.\n  human:\n" in text
    assert "next: bye\n\n  # The first thing the visitor sees.\n  menu:\n" in text
    assert text.endswith("    next: bye\n# end of the flow\n")


def test_texts_are_written_so_they_read_back_as_text() -> None:
    tricky = ["09", "1e5", "0o17", "yes", "true", "null", "~", "? q", "- x", "a: b", "#c", "中文"]
    document, text = edited(lambda d: d["vars"].update({f"v{i}": s for i, s in enumerate(tricky)}))
    assert "  v11: 中文\n" in text and "  v0: '09'\n" in text
    assert flow_document(text) == document


def test_a_text_with_lines_inside_braces_stays_inside_them() -> None:
    _, text = edited(lambda d: d["nodes"]["menu"]["options"][0].update(label="售前\n咨询"))
    assert diff(BASE, text)[1] == ['      - {label: "售前\\n咨询", next: human} # sales']


def test_the_texts_layout_is_kept_even_when_it_is_not_the_dumps() -> None:
    base = "id: x\r\nlist:\r\n- a\r\n- b   # bee\r\nnodes:\r\n    a:\r\n        type: end\r\n"
    _, text = edited(lambda d: (d["list"].append("c"), d.update(id="y")), base)
    assert text == base.replace("id: x", "id: y").replace("\r\nnodes:", "\r\n- c\r\nnodes:")


@pytest.mark.parametrize(
    ("base", "document"),
    [
        ("id: x\nnodes: [\n", {"id": "x"}),  # the base does not read
        ("- a list\n", {"id": "x"}),  # the base is no mapping
        # an anchor shared by two values, one of them changed: ruamel cannot tell them apart
        ("id: x\na: &v {k: 1}\nb: *v\n", {"id": "x", "a": {"k": 2}, "b": {"k": 1}}),
        ("id: x\n" + "#" * MAX_MERGE + "\n", {"id": "y"}),  # too large to merge in good time
    ],
    ids=["unreadable", "not-a-mapping", "shared-anchor", "too-large"],
)
def test_no_merge_when_the_text_cannot_carry_the_change(base: str, document: Any) -> None:
    assert merge_document(base, document) is None


# ---- any change, on every shipped flow ---------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
TEXTS = {path: path.read_text(encoding="utf-8") for path in FLOW_FILES}


@st.composite
def editor_changes(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A shipped flow and its document after a few of the editor's changes: a field set or
    removed, a node added, deleted, renamed (with its references) or moved."""
    text = TEXTS[draw(st.sampled_from(FLOW_FILES))]
    document = flow_document(text)
    assert document is not None
    new = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        nodes = new["nodes"]
        node = draw(st.sampled_from(sorted(nodes)))
        kind = draw(st.sampled_from(["set", "unset", "add", "delete", "rename", "move"]))
        if kind == "set":
            field = draw(st.sampled_from(sorted(nodes[node])) | st.text(min_size=1, max_size=8))
            nodes[node][field] = draw(JSON)
        elif kind == "unset" and len(nodes[node]) > 1:
            del nodes[node][draw(st.sampled_from(sorted(nodes[node])))]
        elif kind == "add":
            nodes[f"message_{len(nodes)}"] = {"type": "message", "text": draw(st.text())}
        elif kind == "delete" and len(nodes) > 1:
            del nodes[node]
        elif kind == "rename":
            to = draw(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
            if to not in nodes:
                new["nodes"] = {(to if k == node else k): v for k, v in nodes.items()}
                new = _retargeted(new, node, to)
        elif kind == "move":
            nodes[node]["position"] = {"x": draw(st.integers(0, 2000)), "y": 40}
    return text, new


def _retargeted(value: Any, old: str, new: str) -> Any:
    """Every string equal to ``old`` replaced (a rename's references, roughly)."""
    if isinstance(value, dict):
        return {k: _retargeted(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_retargeted(v, old, new) for v in value]
    return new if value == old else value


@settings(max_examples=150, deadline=None)
@given(editor_changes())
def test_any_editor_change_on_a_shipped_flow_merges_and_reads_back(case: Any) -> None:
    text, document = case
    merged = merge_document(text, document)
    assert merged is not None
    back = flow_document(merged)
    assert back is not None and back == document and list(back) == list(document)
    header = text[: text.index("\nid:")]  # the modeline and the flow's opening comments
    assert merged.startswith(header)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FLOW_FILES), st.dictionaries(st.text(), JSON, max_size=4))
def test_a_whole_new_document_is_merged_or_refused_never_misread(path: Path, new: Any) -> None:
    merged = merge_document(TEXTS[path], new)
    assert merged is None or flow_document(merged) == new


def test_the_merge_of_a_dump_is_the_dump_where_nothing_else_differs() -> None:
    document = flow_document(BASE)
    assert document is not None
    document["nodes"]["extra"] = {"type": "end", "message": "多行\n文本"}
    dumped = dump_flow(document)
    assert merge_document(dump_flow(flow_document(BASE) or {}), document) == dumped
