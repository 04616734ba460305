"""An expression that does not parse, in plain words: what is missing or wrong, and where.

Jinja's parser speaks of tokens (``unexpected 'end of template'``), and the checks parse an
expression inside ``{{ ( ... ) }}``, so its message may name a ``)`` the author never wrote. The
check (:mod:`~chatflow.engine.checks`) asks :func:`explain` instead: it reads the expression
alone with Jinja's own lexer and parser (as :meth:`~jinja2.Environment.compile_expression`
does when the flow runs), keeping each token's offset, and says what went wrong at which
character. Each message is a template of :data:`MESSAGES` (``admin_api/check_texts.py`` words
every one in zh-CN).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser

from chatflow.engine.templates import ENV, translate_aliases

ENDS_AFTER = "the expression ends after {after!r}; a value is expected after it"
ENDS_AFTER_IS = "the expression ends after 'is'; a test name is expected after it, like defined"
ENDS_AFTER_BAR = (
    "the expression ends after '|'; a filter name is expected after it, like lower or length"
)
ENDS_AFTER_DOT = "the expression ends after '.'; a name is expected after it"
EMPTY = "the expression is empty; write a condition, like score > 80"
UNCLOSED = "{opening!r} is never closed; add the {closing!r} that closes it"
ASSIGN = "'=' is not a comparison; write '==' to compare"
DOUBLE_BAR = "'||' is not an operator; write 'or'"
DOUBLE_AMPERSAND = "'&&' is not an operator; write 'and'"
BANG = "'!' is not an operator; write 'not' (or '!=' to compare)"
NO_OPERATOR = (
    "nothing joins {before!r} and {after!r}; put an operator between them, like and, or, == or >"
)
VALUE_BEFORE = "a value is expected before {token!r}"
CANNOT_FOLLOW = "{token!r} cannot follow {before!r} here"
UNCLOSED_TEXT = "the text opened with {quote!r} is never closed; add the closing {quote!r}"
CHARACTER = "{char!r} cannot be used in an expression"
STRAY_CLOSE = "{closing!r} closes nothing; remove it, or add the {opening!r} it should close"
WRONG_CLOSE = "{closing!r} does not close the {opening!r} before it; write {expected!r}"

MESSAGES: tuple[str, ...] = (
    ENDS_AFTER,
    ENDS_AFTER_IS,
    ENDS_AFTER_BAR,
    ENDS_AFTER_DOT,
    EMPTY,
    UNCLOSED,
    ASSIGN,
    DOUBLE_BAR,
    DOUBLE_AMPERSAND,
    BANG,
    NO_OPERATOR,
    VALUE_BEFORE,
    CANNOT_FOLLOW,
    UNCLOSED_TEXT,
    CHARACTER,
    STRAY_CLOSE,
    WRONG_CLOSE,
)
"""Every message :func:`explain` gives (``str.format`` templates)."""

_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_VALUES = ("name", "integer", "float", "string")
"""Token types that are a value by themselves (a name may also be a word operator)."""
_WORD_OPERATORS = ("and", "or", "not", "in", "is", "if", "else")
_LEXER_CHAR = re.compile(r"unexpected char (.+) at (\d+)$")
_LEXER_CLOSE = re.compile(r"unexpected '(.)'(?:, expected '(.)')?$")


@dataclass(frozen=True)
class Explained:
    """What is wrong with an expression, and the 0-based offset in it of where."""

    message: str
    offset: int | None
    """None when the expression uses ``${name}`` (its offsets are those of the translation)."""


@dataclass(frozen=True)
class _Placed:
    token: Token
    offset: int
    raw: str
    """The token as written (a string with its quotes)."""


def explain(source: str) -> Explained | None:
    """Plain words for an expression that does not parse (None: it parses, or no words fit)."""
    text = translate_aliases(source, expression=True)
    found = _explain(text)
    if found is None or text == source:
        return found
    return Explained(found.message, None)


def _explain(source: str) -> Explained | None:
    placed: list[_Placed] = []
    try:
        for item in _tokens(source):
            placed.append(item)
    except TemplateSyntaxError as exc:
        return _lexer_problem(source, exc.message or "", placed)
    by_id = {id(p.token): i for i, p in enumerate(placed)}
    parser = Parser(ENV, "", state="variable")
    parser.stream = TokenStream(iter([p.token for p in placed]), None, None)
    try:
        parser.parse_expression()
        if parser.stream.eos:
            return None
    except TemplateSyntaxError:
        pass
    current = parser.stream.current
    index = by_id.get(id(current))
    if index is None:  # the end of the expression
        return _ends_early(source, placed)
    return _unexpected(placed, index)


def place(text: str, line: int, column: int, source: str, offset: int) -> tuple[int, int] | None:
    """The file line and column of ``offset`` in the expression ``source`` whose YAML value
    starts at (line, column) of ``text``: when the expression is written in the file as it is
    (plain or quoted on one line without escapes, or a ``|`` block); None otherwise."""
    lines = text.splitlines()
    if not 0 < line <= len(lines) or column < 1:
        return None
    row = lines[line - 1]
    start = column - 1
    if row[start : start + 1] == "|":
        return _in_block(lines, line, source, offset)
    if row[start : start + 1] in ("'", '"'):
        start += 1
    if "\n" in source or not row.startswith(source, start):
        return None
    return line, start + offset + 1


def _in_block(lines: list[str], line: int, source: str, offset: int) -> tuple[int, int] | None:
    """In a literal block (``|``) the expression's lines are the file's, below ``line``,
    after the block's indentation."""
    parts = source.split("\n")
    if parts and not parts[-1]:
        parts.pop()
    if not parts or line + len(parts) > len(lines):
        return None
    indent = len(lines[line]) - len(lines[line].lstrip(" "))
    if any(part and lines[line + i][indent:] != part for i, part in enumerate(parts)):
        return None
    inner = source.count("\n", 0, offset)
    return line + 1 + inner, indent + offset - (source.rfind("\n", 0, offset) + 1) + 1


def _tokens(source: str) -> Iterator[_Placed]:
    """Jinja's tokens of an expression with their offsets (whitespace counted, then dropped)."""
    offset = 0
    for lineno, kind, raw in ENV.lexer.tokeniter(source, None, None, "variable"):
        for token in ENV.lexer.wrap([(lineno, kind, raw)]):
            yield _Placed(token, offset, raw)
        offset += len(raw)


def _shown(item: _Placed) -> str:
    return item.raw.strip()


def _ends_early(source: str, placed: list[_Placed]) -> Explained | None:
    end = len(source.rstrip())
    if not placed:
        return Explained(EMPTY.format(), 0)
    last = placed[-1]
    shown = _shown(last)
    open_brackets = _open_brackets(placed)
    if shown == "is":
        return Explained(ENDS_AFTER_IS.format(), end)
    if shown == "|":
        return Explained(ENDS_AFTER_BAR.format(), end)
    if shown == ".":
        return Explained(ENDS_AFTER_DOT.format(), end)
    if open_brackets and (shown == "," or _is_value(last)):
        opening = open_brackets[-1]
        return Explained(
            UNCLOSED.format(opening=_shown(opening), closing=_PAIRS[_shown(opening)]),
            opening.offset,
        )
    if not _is_value(last):
        return Explained(ENDS_AFTER.format(after=shown), end)
    return None


def _open_brackets(placed: list[_Placed]) -> list[_Placed]:
    stack: list[_Placed] = []
    for item in placed:
        shown = _shown(item)
        if shown in _PAIRS and item.token.type not in _VALUES:
            stack.append(item)
        elif shown in _CLOSERS and stack:
            stack.pop()
    return stack


def _is_value(item: _Placed) -> bool:
    shown = _shown(item)
    if item.token.type in _VALUES:
        return shown not in _WORD_OPERATORS
    return shown in _CLOSERS


def _unexpected(placed: list[_Placed], index: int) -> Explained:
    item = placed[index]
    shown = _shown(item)
    before = placed[index - 1] if index else None
    if shown == "=":
        return Explained(ASSIGN.format(), item.offset)
    if before is not None and _shown(before) == "|" and shown == "|":
        return Explained(DOUBLE_BAR.format(), before.offset)
    if before is None:
        return Explained(VALUE_BEFORE.format(token=shown), item.offset)
    if _is_value(before) and (_is_value(item) or shown in _PAIRS):
        return Explained(NO_OPERATOR.format(before=_shown(before), after=shown), item.offset)
    if not _is_value(before) and not _is_value(item) and shown not in _PAIRS:
        return Explained(VALUE_BEFORE.format(token=shown), item.offset)
    return Explained(CANNOT_FOLLOW.format(token=shown, before=_shown(before)), item.offset)


def _lexer_problem(source: str, message: str, placed: list[_Placed]) -> Explained | None:
    """What the lexer refused: a character it has no token for, or an unbalanced bracket."""
    after = placed[-1].offset + len(placed[-1].raw) if placed else 0
    at = after + len(source[after:]) - len(source[after:].lstrip())
    found = _LEXER_CHAR.match(message)
    if found is not None:
        at = int(found.group(2))
        char = source[at : at + 1]
        if source.startswith("&&", at):
            return Explained(DOUBLE_AMPERSAND.format(), at)
        if char == "!":
            return Explained(BANG.format(), at)
        if char in ("'", '"'):
            return Explained(UNCLOSED_TEXT.format(quote=char), at)
        return Explained(CHARACTER.format(char=char), at)
    closing = _LEXER_CLOSE.match(message)
    if closing is None:
        return None
    char, expected = closing.group(1), closing.group(2)
    if expected is None:
        return Explained(STRAY_CLOSE.format(closing=char, opening=_CLOSERS.get(char, "(")), at)
    return Explained(
        WRONG_CLOSE.format(closing=char, opening=_CLOSERS.get(expected, "("), expected=expected),
        at,
    )
