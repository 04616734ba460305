"""A flow as JSON data and back to YAML text: the form the visual editor reads and writes.

The editor edits the parsed document (:func:`flow_document`); a save turns it into YAML text with
:func:`dump_flow`, and that text is checked and stored like any uploaded file. The text a dump
makes reads back (through :mod:`~chatflow.engine.yamlsource`) as the same data, so it validates to
the same flow. What a dump loses is the original layout, and comments: :func:`has_comments` tells
the editor when there were some.
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


_OTHER_BREAKS = frozenset("\x85\u2028\u2029")


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # The emitter falls back to quotes by itself when a block cannot hold the text exactly, but
    # writes YAML 1.1's other line breaks plain, where the reader folds them: escape those.
    style = '"' if _OTHER_BREAKS.intersection(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)

# PyYAML quotes a string that its YAML 1.1 resolver reads as something else. The reader is
# YAML 1.2 core, which reads a few other plain scalars as numbers (``09``, ``0o17``, ``1e5``):
# the dumper learns the reader's rules too, so a string either would misread gets quotes.
for first, rules in CoreSchemaResolver.yaml_implicit_resolvers.items():
    for tag, pattern in rules:
        _Dumper.add_implicit_resolver(tag, pattern, [first])
del first, rules, tag, pattern


def dump_flow(document: Mapping[str, Any]) -> str:
    """YAML text of a flow document (JSON-like data), keys in the document's order."""
    text: str = yaml.dump(
        dict(document),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=sys.maxsize,
    )
    return text


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
