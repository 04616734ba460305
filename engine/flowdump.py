"""A flow as JSON data and back to YAML text: the form the visual editor reads and writes.

The editor edits the parsed document (:func:`flow_document`); a save turns it into YAML text with
:func:`dump_flow`, and that text is checked and stored like any uploaded file. The text a dump
makes reads back (through :mod:`~chatflow.engine.yamlsource`) as the same data, so it validates to
the same flow. What a dump loses is the original layout, and comments: :func:`has_comments` tells
the editor when there were some.

The dump writes the house style of the shipped flows, so a canvas save of a hand-written flow
diffs as its real changes, not as a new layout: short lists of plain values in brackets
(``keywords: [售前, 购买]``), short mappings inside lists and positions in braces
(``- {label: 售前咨询, next: to_presales}``, ``position: {x: 40, y: 40}``), and a blank line
between nodes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

import yaml

from chatflow.engine.errors import LoadError
from chatflow.engine.yamlsource import CoreSchemaResolver, loads


class _Dumper(yaml.SafeDumper):
    """Block style, list items indented under their key, multi-line text as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


OTHER_BREAKS = frozenset("\x85\u2028\u2029")
"""YAML 1.1's line breaks besides ``\n``, which a plain or block scalar would not keep."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # The emitter falls back to quotes by itself when a block cannot hold the text exactly, but
    # writes YAML 1.1's other line breaks plain, where the reader folds them: escape those.
    style = '"' if OTHER_BREAKS.intersection(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)

# PyYAML quotes a string that its YAML 1.1 resolver reads as something else. The reader is
# YAML 1.2 core, which reads a few other plain scalars as numbers (``09``, ``0o17``, ``1e5``):
# the dumper learns the reader's rules too, so a string either would misread gets quotes.
for first, rules in CoreSchemaResolver.yaml_implicit_resolvers.items():
    for tag, pattern in rules:
        _Dumper.add_implicit_resolver(tag, pattern, [first])
del first, rules, tag, pattern


FLOW_WIDTH = 80
"""The longest bracketed list or braced mapping the dump writes on one line (about: the items'
text and separators)."""


class Inline(list[Any]):
    """A list written in brackets (public for :mod:`~chatflow.engine.flowmerge`, which writes
    the new parts of a merged flow in the same style)."""


class InlineMap(dict[str, Any]):
    """A mapping written in braces."""


def _inline_list(dumper: yaml.SafeDumper, value: Inline) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _inline_map(dumper: yaml.SafeDumper, value: InlineMap) -> yaml.MappingNode:
    node = dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)
    return node


_Dumper.add_representer(Inline, _inline_list)
_Dumper.add_representer(InlineMap, _inline_map)


def _plain(value: Any) -> bool:
    """A value that fits on one line: a number, a boolean, null or a one-line string."""
    if isinstance(value, str):
        return "\n" not in value and not OTHER_BREAKS.intersection(value)
    return value is None or isinstance(value, (bool, int, float))


def _width(value: Any) -> int:
    if isinstance(value, list):
        return 2 + sum(_width(item) + 2 for item in value)
    if isinstance(value, dict):
        return 2 + sum(len(str(key)) + 2 + _width(item) + 2 for key, item in value.items())
    return len(str(value)) + 2  # room for quotes


def house_style(value: Any, *, in_list: bool = False, key: str = "") -> Any:
    """The document with the parts the house style writes on one line wrapped to say so."""
    if isinstance(value, list):
        elements = [house_style(item, in_list=True) for item in value]
        flat = all(_plain(item) for item in value)
        return Inline(elements) if value and flat and _width(value) <= FLOW_WIDTH else elements
    if isinstance(value, dict):
        fields = {k: house_style(item, key=k) for k, item in value.items()}
        short = all(_plain(item) or isinstance(item, Inline) for item in fields.values())
        wanted = in_list or key == "position"
        if value and wanted and short and _width(value) <= FLOW_WIDTH:
            return InlineMap(fields)
        return fields
    return value


def _space_nodes(text: str) -> str:
    """A blank line between the nodes (the keys two spaces in under the top-level ``nodes:``)."""
    out: list[str] = []
    inside = seen = False
    for line in text.split("\n"):
        if line and not line.startswith(" "):
            inside, seen = line == "nodes:", False
        elif inside and line.startswith("  ") and not line.startswith("   ") and line[2] != "-":
            if seen:
                out.append("")
            seen = True
        out.append(line)
    return "\n".join(out)


def dump_flow(document: Mapping[str, Any]) -> str:
    """YAML text of a flow document (JSON-like data), keys in the document's order."""
    text: str = yaml.dump(
        house_style(dict(document)),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=sys.maxsize,
    )
    return _space_nodes(text)


def flow_document(text: str) -> dict[str, Any] | None:
    """The flow text as JSON-compatible data in the text's key order (None when unreadable).

    The reader already keeps dates and times as strings; the floats JSON cannot carry
    (``.inf``, ``.nan``) become ``"inf"``, ``"-inf"`` and ``"nan"``, which a number field
    reads back as the same value.
    """
    try:
        data = loads(text).data
    except LoadError:
        return None
    return _json_safe(data) if isinstance(data, dict) else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class _CommentFinder(yaml.reader.Reader, yaml.scanner.Scanner):
    """The YAML scanner, noting whether the text it skips between tokens holds a comment.

    Comments are the only ``#`` the scanner skips: one inside a quoted or block string is part of
    a token, and one inside a plain scalar (``a#b``) is not a comment start.
    """

    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        self.found = False

    def _skipping(self, skip: Any, *args: Any) -> Any:
        start = self.pointer
        result = skip(*args)
        if "#" in self.buffer[start : self.pointer]:
            self.found = True
        return result

    def scan_to_next_token(self) -> None:
        self._skipping(super().scan_to_next_token)

    def scan_block_scalar_ignored_line(self, start_mark: Any) -> Any:
        return self._skipping(super().scan_block_scalar_ignored_line, start_mark)

    def scan_directive_ignored_line(self, start_mark: Any) -> Any:
        return self._skipping(super().scan_directive_ignored_line, start_mark)


def has_comments(text: str) -> bool:
    """True when the YAML text holds a comment (a save from the document would drop it)."""
    if "#" not in text:
        return False
    try:
        finder = _CommentFinder(text)
    except yaml.YAMLError:  # a character YAML does not allow: no comment can be told apart
        return False
    try:
        while not finder.found and not finder.check_token(yaml.StreamEndToken):
            finder.get_token()  # type: ignore[no-untyped-call]
    except yaml.YAMLError:
        pass  # unreadable past this point: report what was found before it
    return finder.found
