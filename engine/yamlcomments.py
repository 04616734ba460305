"""Where ruamel.yaml's round-trip tree keeps the comments of a YAML text, and moving them.

ruamel hangs each comment on the token before it: a comment line above an entry is part of the
comment after the previous entry's last line, however deep that line is. :func:`normalize` gives
every run of whole comment lines to the entry below it instead, so that
:mod:`~chatflow.engine.flowmerge` can delete, insert, rename and reorder entries with their own
comments; the other helpers move the lines that follow a block's last entry (what comes after the
block) when its last entry changes.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

Key = Any
"""A key of the round-trip tree: a mapping key as ruamel read it, or a list index."""


def block(value: Any) -> bool:
    """A non-empty mapping or list written in block style (one entry per line)."""
    return (
        isinstance(value, (CommentedMap, CommentedSeq))
        and bool(value)
        and not value.fa.flow_style()
    )


def last_key(node: CommentedMap | CommentedSeq) -> Key:
    return next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1


def first_key(node: CommentedMap | CommentedSeq) -> Key:
    return next(iter(node)) if isinstance(node, CommentedMap) else 0


def _slot(node: CommentedMap | CommentedSeq) -> int:
    """Where ruamel keeps the comment after an entry's value: ``ca.items[key][slot]``."""
    return 2 if isinstance(node, CommentedMap) else 0


def _tail(node: CommentedMap | CommentedSeq, key: Key) -> tuple[Any, Key]:
    """The owner of the comment that follows entry ``key`` (its last line, recursively), and the
    key there; the key ``None`` for comments kept at the end of a block (``ca.end``)."""
    value = node[key]
    if block(value):
        if value.ca.end:
            return value, None
        return _tail(value, last_key(value))
    return node, key


def _at_column(token: CommentToken) -> str:
    """A comment token's text as whole lines (the first line's indent is kept as its column)."""
    text: str = token.value
    return text if text.startswith("\n") else " " * token.column + text


def take_lines(node: CommentedMap | CommentedSeq, key: Key) -> str:
    """Remove and return the whole comment (and blank) lines after entry ``key``: they are about
    what comes next. A comment at the end of the entry's last line stays."""
    owner, at = _tail(node, key)
    if at is None:
        lines = "".join(_at_column(token) for token in owner.ca.end)
        owner.ca.end = []
        return lines
    entry = owner.ca.items.get(at)
    slot = _slot(owner)
    token = entry[slot] if entry else None
    if token is None:
        return ""
    if isinstance(owner[at], (LiteralScalarString, FoldedScalarString)):
        entry[slot] = None  # a block text ends its line: everything after it is whole lines
        return _at_column(token)
    eol, _, lines = token.value.partition("\n")
    if lines:
        if eol:
            token.value = eol + "\n"
        else:
            entry[slot] = None
    return str(lines)


def put_lines(node: CommentedMap | CommentedSeq, key: Key, lines: str) -> None:
    """Add whole comment lines after entry ``key`` (what :func:`take_lines` took elsewhere)."""
    if not lines:
        return
    owner, at = _tail(node, key)
    if at is None:
        owner.ca.end.append(CommentToken(lines, CommentMark(0)))
        return
    entry = owner.ca.items.setdefault(at, [None, None, None, None])
    slot = _slot(owner)
    token = entry[slot]
    if token is not None:
        token.value = token.value + lines
    elif isinstance(owner[at], (LiteralScalarString, FoldedScalarString)):
        entry[slot] = CommentToken(lines, CommentMark(0))
    else:
        entry[slot] = CommentToken("\n" + lines, CommentMark(0))


def prepend(node: CommentedMap | CommentedSeq, key: Key, lines: str) -> None:
    """Put comment lines right above entry ``key``, which owns them from then on."""
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    entry[1] = [CommentToken(lines, CommentMark(0)), *(entry[1] or [])]


def normalize(node: Any) -> None:
    """Give each run of whole comment lines to the entry below it (see the module's docstring);
    the text dumps the same before and after."""
    if not block(node):
        return
    keys = list(node) if isinstance(node, CommentedMap) else list(range(len(node)))
    for key in keys:
        value = node[key]
        normalize(value)
        entry = node.ca.items.get(key) if isinstance(node, CommentedMap) else None
        if entry and entry[3] and block(value):
            # the lines between ``key:`` and the first entry of its block are that entry's
            first = entry[3]
            entry[3] = None
            if value.ca.comment and value.ca.comment[1] is first:
                value.ca.comment[1] = None
            prepend(value, first_key(value), "".join(_at_column(t) for t in first))
    for before, key in pairwise(keys):
        lines = take_lines(node, before)
        if lines:
            prepend(node, key, lines)


def no_blank_head(node: CommentedMap | CommentedSeq) -> None:
    """No blank line above the first entry of a block (there is none after ``key:``)."""
    entry = node.ca.items.get(first_key(node))
    if entry and entry[1]:
        text = "".join(map(_at_column, entry[1])).lstrip("\n")
        entry[1] = [CommentToken(text, CommentMark(0))] if text else None
