"""An edited flow document written back onto the YAML text it was read from, comments kept.

The visual editor edits a flow as data (:func:`~chatflow.engine.flowdump.flow_document`). Written
anew (:func:`~chatflow.engine.flowdump.dump_flow`) that data has lost the text's comments;
:func:`merge_document` instead loads the text the editor started from with ruamel.yaml's
round-trip loader (comments, quotes, block and flow styles, key order), changes in that tree
only what the document changed, and dumps it. The flows API uses it when a save names the version
it was edited from, and falls back to the dump when it returns None.

ruamel hangs a comment line on whatever ends before it, so the comment above a node belongs, in
its tree, to the end of the node before. The tree is first rearranged so that each run of comment
lines belongs to the entry below it (:mod:`~chatflow.engine.yamlcomments`): a deleted node then
takes its own comments and leaves its neighbours', a renamed one keeps them. New parts are
written in the dump's style (:func:`~chatflow.engine.flowdump.house_style`). Whatever comes out
is read back with the project's loader and must be exactly the document, or the merge is
refused.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from collections.abc import Mapping
from difflib import SequenceMatcher
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from chatflow.engine import yamlcomments as yc
from chatflow.engine.flowdump import OTHER_BREAKS, Inline, InlineMap, flow_document, house_style
from chatflow.engine.yamlsource import CoreSchemaResolver

log = logging.getLogger("chatflow.engine.flowmerge")

_NODES = ("nodes",)
"""Where the dump puts a blank line between entries (the flow's nodes)."""

MAX_MERGE = 200_000
"""The largest base text, and document (as JSON), that are merged, in characters. ruamel is pure
Python, about 20 ms per 1000 characters each way; a larger flow is written anew."""


class _Unmergeable(Exception):
    """The tree and the data read by the project's loader do not line up."""


def merge_document(base_text: str, document: Mapping[str, Any]) -> str | None:
    """``base_text`` changed to say ``document``, its comments and layout kept where the document
    kept the value; None when the text cannot be merged onto (unreadable, or a merge that would
    not read back as exactly ``document``)."""
    old = flow_document(base_text)
    if old is None:
        return None
    if _same(old, document):
        return base_text
    if len(base_text) > MAX_MERGE or len(_json(document)) > MAX_MERGE:
        return None
    crlf = "\r\n" in base_text  # ruamel keeps the \r in comments: work on \n, write \r\n back
    try:
        loader = _round_trip()
        tree = loader.load(base_text.replace("\r\n", "\n") if crlf else base_text)
        if not isinstance(tree, CommentedMap):
            return None
        loader.indent(*_indents(tree))
        yc.normalize(tree)
        _merge_map(tree, old, document, (), flow=False)
        out = io.StringIO()
        loader.dump(tree, out)
        text = out.getvalue().replace("\n", "\r\n") if crlf else out.getvalue()
    except Exception as exc:  # a text or a change ruamel cannot carry: the caller dumps instead
        log.info("flowmerge.refused", extra={"reason": f"{type(exc).__name__}: {exc}"})
        return None
    back = flow_document(text)
    if back is None or not _same(back, document):
        log.info("flowmerge.refused", extra={"reason": "the merged text reads differently"})
        return None
    return text


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON data, key order included: ``1``, ``1.0`` and ``true`` are three values."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and bool(a == b)


# ---- the round-trip loader ------------------------------------------------------------------


class _Null:
    """A null of the base text, written back as it was spelled (``null``, ``~`` or nothing)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Constructor(RoundTripConstructor):
    def construct_kept_null(self, node: ScalarNode) -> _Null:
        return _Null(node.value)


class _Representer(RoundTripRepresenter):
    def represent_kept_null(self, data: _Null) -> ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:null", data.text)

    def represent_none(self, data: None) -> ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")  # as the dump writes it


_Constructor.add_constructor("tag:yaml.org,2002:null", _Constructor.construct_kept_null)
_Representer.add_representer(_Null, _Representer.represent_kept_null)
_Representer.add_representer(type(None), _Representer.represent_none)


def _round_trip() -> YAML:
    loader = YAML(typ="rt", pure=True)
    loader.Constructor = _Constructor
    loader.Representer = _Representer
    loader.preserve_quotes = True
    loader.width = 1 << 30  # never fold a long line (as the dump)
    loader.allow_unicode = True
    return loader


def _indents(tree: CommentedMap) -> tuple[int, int, int]:
    """ruamel's ``indent(mapping, sequence, offset)`` as most of the text has them (the dump's
    when it has no nested blocks), from the blocks nested under a key."""
    mappings: Counter[int] = Counter()
    sequences: Counter[int] = Counter()
    todo: list[Any] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, CommentedSeq):
            todo.extend(item for item in node if yc.block(item))
            continue
        for key, value in node.items():
            if not yc.block(value):
                continue
            column = node.lc.key(key)[1]
            if isinstance(value, CommentedMap):
                mappings[value.lc.key(next(iter(value)))[1] - column] += 1
            else:
                sequences[value.lc.item(0)[1] - column] += 1
            todo.append(value)
    mapping = max(mappings, key=mappings.__getitem__, default=2)
    sequence = max(sequences, key=sequences.__getitem__, default=mapping + 2)
    mapping = mapping if mapping > 0 else 2
    sequence = sequence if sequence >= 2 else mapping + 2
    return mapping, sequence, sequence - 2


# ---- applying the document ------------------------------------------------------------------


def _merge_map(
    node: CommentedMap,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: tuple[str, ...],
    *,
    flow: bool,
) -> None:
    """Make ``node`` (read as ``old``) say ``new``: kept keys merged, gone keys deleted, new keys
    inserted where ``new`` has them; a key that went and one that came in its place with a
    like value is a rename. ``flow``: the node is inside brackets or braces."""
    flow = flow or bool(node.fa.flow_style())
    if len(old) != len(node):
        raise _Unmergeable(f"{path}: the tree has {len(node)} keys, the data {len(old)}")
    tree_key = dict(zip(old, node, strict=True))
    renamed = _renames(old, new)
    for gone, came in renamed.items():
        tree_key[came] = _key_text(came)
        _rename(node, tree_key.pop(gone), tree_key[came])
    was = {renamed.get(k, k): v for k, v in old.items()}
    for key in [k for k in was if k not in new]:
        _delete(node, tree_key.pop(key))
    before: yc.Key = None
    for key, value in new.items():
        if key in was:
            _merge_entry(node, tree_key[key], was[key], value, (*path, key), flow=flow)
        else:
            at = 0 if before is None else list(node).index(before) + 1
            fresh = _fresh(value, key=key, flow=flow)
            _insert(node, at, _key_text(key), fresh, blank=path == _NODES)
            tree_key[key] = list(node)[at]
        before = tree_key[key]
    order = [tree_key[k] for k in new]
    if list(node) != order:
        _reorder(node, order, blank=path == _NODES)
    if not node:
        node.fa.set_flow_style()  # ``{}``, with any comment after it


def _renames(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, str]:
    """Keys that went paired with keys that came in the same place (after the same kept key)
    with a like value: the editor's rename of a node, or of a variable."""

    def by_place(keys: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, list[str]]:
        places: dict[str, list[str]] = {}
        after = ""
        for key in keys:
            if key in other:
                after = key
            else:
                places.setdefault(after, []).append(key)
        return places

    came = by_place(new, old)
    pairs: dict[str, str] = {}
    for place, gone in by_place(old, new).items():
        for a, b in zip(gone, came.get(place, []), strict=False):
            if _alike(old[a], new[b]):
                pairs[a] = b
    return pairs


def _alike(a: Any, b: Any) -> bool:
    """The same value, or mappings that share at least half their fields."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        shared = sum(1 for k in a if k in b and _same(a[k], b[k]))
        return 2 * shared >= max(len(a), len(b), 1)
    return _same(a, b)


def _rename(node: CommentedMap, key: yc.Key, to: str) -> None:
    at = list(node).index(key)
    value = node[key]
    comments = node.ca.items.pop(key, None)
    del node[key]
    node.insert(at, to, value)
    if comments is not None:
        node.ca.items[to] = comments


def _delete(node: CommentedMap | CommentedSeq, key: yc.Key) -> None:
    """Remove an entry with its comments; the lines after the last entry stay at the end, and
    the entry that becomes the first starts with no blank line."""
    first = key == yc.first_key(node)
    lines = yc.take_lines(node, key) if key == yc.last_key(node) and len(node) > 1 else ""
    del node[key]
    if lines:
        yc.put_lines(node, yc.last_key(node), lines)
    if first and node:
        yc.no_blank_head(node)


def _reorder(node: CommentedMap, order: list[yc.Key], *, blank: bool) -> None:
    """Put the keys in ``order``, each with the comment lines above it; the lines after the last
    entry stay at the end (a blank line between entries when ``blank``)."""
    lines = yc.take_lines(node, yc.last_key(node))
    first = yc.first_key(node)
    for key in order:
        node.move_to_end(key)
    yc.put_lines(node, yc.last_key(node), lines)
    if first != yc.first_key(node):
        yc.no_blank_head(node)
        if blank:
            yc.prepend(node, first, "\n")


def _insert(
    node: CommentedMap | CommentedSeq, at: int, key: yc.Key, value: Any, *, blank: bool
) -> None:
    """Insert an entry at index ``at`` (a blank line above it when ``blank``)."""
    lines = yc.take_lines(node, yc.last_key(node)) if node and at == len(node) else ""
    if isinstance(node, CommentedMap):
        node.insert(at, key, value)
    else:
        node.insert(at, value)
        key = at
    if lines:
        yc.put_lines(node, yc.last_key(node), lines)
    if blank and len(node) > 1 and yc.block(node):
        # the blank line goes above the new entry, or above the old first when it goes first
        after = list(node)[1] if isinstance(node, CommentedMap) else 1
        yc.prepend(node, key if at else after, "\n")


def _merge_entry(
    node: CommentedMap | CommentedSeq,
    key: yc.Key,
    old: Any,
    new: Any,
    path: tuple[Any, ...],
    *,
    flow: bool,
) -> None:
    if _same(old, new):
        return
    current = node[key]
    if isinstance(old, Mapping) and isinstance(new, Mapping) and isinstance(current, CommentedMap):
        _merge_map(current, old, new, path, flow=flow)
    elif isinstance(old, list) and isinstance(new, list) and isinstance(current, CommentedSeq):
        _merge_list(current, old, new, path, flow=flow)
    else:
        lines = yc.take_lines(node, key)
        in_list = isinstance(node, CommentedSeq)
        value = _fresh(new, like=current, in_list=in_list, key=path[-1], flow=flow)
        if isinstance(node, CommentedMap):
            ordereddict.__setitem__(node, key, value)  # not node[key]: it keeps the old quotes
        else:
            list.__setitem__(node, key, value)
        yc.put_lines(node, key, lines)


def _merge_list(
    node: CommentedSeq, old: list[Any], new: list[Any], path: tuple[Any, ...], *, flow: bool
) -> None:
    """Items the same in both stay; a run that changed is merged item by item, and the items
    one side has more of are deleted or inserted (a list that grew or shrank)."""
    flow = flow or bool(node.fa.flow_style())
    if len(old) != len(node):
        raise _Unmergeable(f"{path}: the tree has {len(node)} items, the data {len(old)}")
    matcher = SequenceMatcher(None, list(map(_json, old)), list(map(_json, new)), autojunk=False)
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1)
        for i in reversed(range(i1 + pairs, i2)):
            _delete(node, i)
        for offset, value in enumerate(new[j1 + pairs : j2]):
            fresh = _fresh(value, in_list=True, flow=flow)
            _insert(node, i1 + pairs + offset, None, fresh, blank=False)
        for offset in range(pairs):
            i = i1 + offset
            _merge_entry(node, i, old[i], new[j1 + offset], (*path, i), flow=flow)
    if not node:
        node.fa.set_flow_style()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---- new values in the dump's style ---------------------------------------------------------


def _fresh(
    value: Any, *, like: Any = None, in_list: bool = False, key: Any = "", flow: bool
) -> Any:
    """A value for the tree, laid out as the dump lays it out (all on one line inside brackets
    or braces, ``flow``); a text that replaces a quoted one keeps its quotes."""
    return _tree(house_style(value, in_list=in_list, key=str(key)), like, flow=flow)


def _tree(value: Any, like: Any = None, *, flow: bool) -> Any:
    if isinstance(value, dict):
        flow = flow or isinstance(value, InlineMap) or not value  # ``{}``: a comment after it
        mapping = CommentedMap((_key_text(k), _tree(v, flow=flow)) for k, v in value.items())
        _set_style(mapping, flow)
        return mapping
    if isinstance(value, list):
        flow = flow or isinstance(value, Inline) or not value
        items = CommentedSeq(_tree(v, flow=flow) for v in value)
        _set_style(items, flow)
        return items
    if isinstance(value, str):
        return _text(value, like, flow=flow)
    return value


def _set_style(node: CommentedMap | CommentedSeq, flow: bool) -> None:
    if flow:
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()


_RESOLVER = CoreSchemaResolver()
_STR = "tag:yaml.org,2002:str"


def _analysis(value: str) -> yaml.emitter.ScalarAnalysis:
    """How PyYAML would write ``value`` (which styles can hold it)."""
    emitter = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)
    return emitter.analyze_scalar(value)


def _text(value: str, like: Any = None, *, flow: bool = False) -> str:
    """A text the project's reader (PyYAML's scanner, the YAML 1.2 core schema) reads back as
    it is: a ``|`` block when it has lines (outside brackets and braces, ``flow``), else as
    :func:`_key_text`; a text that replaces a quoted one keeps its quotes."""
    analysis = _analysis(value)
    breaks = "\r" in value or OTHER_BREAKS.intersection(value)
    # no ``|+`` either: the blank lines that may follow a block (between nodes) would join it
    kept = value.endswith("\n\n") or not value.strip("\n")
    style: type[str] = str
    if "\n" in value and not (breaks or kept or flow) and analysis.allow_block:
        style = LiteralScalarString
    elif isinstance(like, SingleQuotedScalarString) and not analysis.multiline:
        style = (
            SingleQuotedScalarString if analysis.allow_single_quoted else DoubleQuotedScalarString
        )
    elif isinstance(like, (SingleQuotedScalarString, DoubleQuotedScalarString)):
        style = DoubleQuotedScalarString
    else:
        return _key_text(value)
    styled: str = style(value)
    return styled


def _key_text(value: str) -> str:
    """Plain when PyYAML would write it plain and read it as text, else quoted (ruamel alone is
    bolder: it writes ``? q`` plain, which PyYAML reads as a mapping)."""
    analysis = _analysis(value)
    plain = analysis.allow_flow_plain and analysis.allow_block_plain
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if plain and tag == _STR:
        return value
    style: type[str] = SingleQuotedScalarString  # as PyYAML quotes, and the dump
    if not analysis.allow_single_quoted or analysis.multiline:
        style = DoubleQuotedScalarString
    return style(value)
