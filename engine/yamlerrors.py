"""PyYAML's syntax errors in plain words: what is wrong and how to fix it.

The reader (:mod:`~chatflow.engine.yamlsource`) asks :func:`explain` when PyYAML refuses a text;
the problem keeps PyYAML's line and column (:func:`place`: a key indented too far is shown at
its first character, not at PyYAML's ':'), only the words change. :data:`RULES` is the table
(docs/cli.md shows it to users); an error no rule knows keeps PyYAML's own words. Each message is
a template of :data:`MESSAGES` (``admin_api/check_texts.py`` words every one in zh-CN).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

INDENT = (
    "this line is indented differently from the lines above it; keys of one mapping must start "
    "in the same column"
)
INDENT_LIST = (
    "this list item is indented differently from the items above it; the '-' of one list must "
    "start in the same column"
)
LIST_AMONG_KEYS = (
    "a list item ('- ...') among the keys of a mapping; put the list under a key of its own "
    "(key:, then the items indented below it) or write this line as 'key: value'"
)
KEY_AMONG_ITEMS = (
    "a 'key: value' line among the items of a list; start it with '- ' to make it an item, or "
    "indent it under the item above"
)
TAB_INDENT = "tabs are not allowed for indentation in YAML; use spaces"
TAB = "YAML does not allow a tab here; use spaces, or put the value in quotes"
RESERVED = "a value cannot start with {char!r} in YAML; put the value in quotes"
TEMPLATE = (
    "a value that starts with '{{{{' is read as a YAML mapping, not as a template; put the whole "
    'value in quotes, like text: "{{{{ name }}}}, welcome"'
)
AFTER_QUOTE = (
    "more text follows the closing quote of the value on this line; put the whole value in one "
    "pair of quotes"
)
AFTER_BRACKET = (
    "more text follows the closing {close!r} of the value on this line; a value that starts "
    "with '[' or '{{' is a YAML list or mapping: put a text value in quotes"
)
COLON_IN_VALUE = (
    "a value cannot contain ': ' (a colon and a space) unless it is quoted; put the value in "
    'quotes, like key: "a: b"'
)
NO_COLON = (
    "line {line} is not 'key: value': add ': ' after its key, or, if it goes on with the value "
    "above it, indent it more than that value's key"
)
STAR = "a value that starts with '*' is read as a YAML alias; put the value in quotes"
AMPERSAND = "a value that starts with '&' is read as a YAML anchor; put the value in quotes"
UNDEFINED_ALIAS = (
    "{alias!r} is read as a YAML alias, but no anchor of that name comes before it; put the "
    "value in quotes"
)
UNCLOSED_QUOTE = (
    "the quote opened at line {line}, column {column} is never closed; add the closing {quote!r}"
)
UNCLOSED_FLOW = (
    "the {kind} opened with {opening!r} at line {line}, column {column} is not closed with "
    "{closing!r}, or a ',' is missing between two of its items"
)
BAD_ESCAPE = (
    "'\\{char}' is not an escape of a double-quoted value; write '\\\\' for a backslash, or "
    "use single quotes"
)
BLOCK_INDICATOR = (
    "only '-', '+' or a digit may follow '|' or '>' on its line; start the text on the next "
    "line, indented"
)
TWO_DOCUMENTS = "a file holds one YAML document; remove the '---' line and what follows it"

MESSAGES: tuple[str, ...] = (
    INDENT,
    INDENT_LIST,
    LIST_AMONG_KEYS,
    KEY_AMONG_ITEMS,
    TAB_INDENT,
    TAB,
    RESERVED,
    TEMPLATE,
    AFTER_QUOTE,
    AFTER_BRACKET,
    COLON_IN_VALUE,
    NO_COLON,
    STAR,
    AMPERSAND,
    UNDEFINED_ALIAS,
    UNCLOSED_QUOTE,
    UNCLOSED_FLOW,
    BAD_ESCAPE,
    BLOCK_INDICATOR,
    TWO_DOCUMENTS,
)
"""Every message :func:`explain` gives: ``str.format`` templates (``{{`` is a brace), formatted
even when they have no field."""


@dataclass(frozen=True)
class Seen:
    """What PyYAML reported, with the text's lines to look at."""

    match: re.Match[str]
    """The rule's pattern matched on PyYAML's ``problem``."""
    lines: list[str]
    line: int
    """0-based line and column of PyYAML's problem mark."""
    column: int
    context: tuple[int, int] | None
    """0-based line and column of PyYAML's context mark (where what it was reading began)."""

    @property
    def here(self) -> str:
        return self.lines[self.line] if self.line < len(self.lines) else ""

    def at(self, mark: tuple[int, int]) -> str:
        """The text from a mark to the end of its line."""
        line, column = mark
        return self.lines[line][column:] if line < len(self.lines) else ""


@dataclass(frozen=True)
class Rule:
    """One row of the table: PyYAML's context and problem, and the plain words for it."""

    context: str | None
    """PyYAML's ``context`` (None: any, or none)."""
    problem: re.Pattern[str]
    words: Callable[[Seen], str | None]
    """The plain message (None: these words do not fit this case; PyYAML's are kept)."""


_KEY = re.compile(r"""^\s*(?:-\s+)*(?:"[^"]*"|'[^']*'|[^\s:#'"\[{][^:#]*?)\s*:(?:\s+|$)""")
"""The indentation, list dashes and ``key:`` in front of a line's value."""


def _value(line: str) -> str:
    """The value a line gives (after its dashes and key), as written."""
    match = _KEY.match(line)
    rest = line[match.end() :] if match else line.lstrip(" -")
    return rest.strip()


def _after_value(seen: Seen) -> str | None:
    value = _value(seen.here)
    if value.startswith(("{{", "{%")):
        return TEMPLATE.format()
    if value.startswith(('"', "'")):
        return AFTER_QUOTE.format()
    if value.startswith("["):
        return AFTER_BRACKET.format(close="]")
    if value.startswith("{"):
        return AFTER_BRACKET.format(close="}")
    return None


def _block_end(seen: Seen) -> str | None:
    found = seen.match.group(1)
    if found == "<block mapping start>":
        return INDENT.format()
    if found == "<block sequence start>":
        return INDENT_LIST.format()
    if found == "-":
        return LIST_AMONG_KEYS.format()
    return _after_value(seen)


def _mapping_values(seen: Seen) -> str | None:
    before = seen.here[: seen.column]
    if _KEY.match(before) or ": " in before.strip():
        return COLON_IN_VALUE.format()
    above = _line_above(seen.lines, seen.line)
    if above is None:
        return None
    if _indent(seen.here) > _indent(seen.lines[above]):
        return INDENT.format()
    return NO_COLON.format(line=above + 1)


def _line_above(lines: list[str], line: int) -> int | None:
    """The index of the nearest line above with content (not blank, not only a comment)."""
    for index in range(min(line, len(lines)) - 1, -1, -1):
        text = lines[index].strip()
        if text and not text.startswith("#"):
            return index
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _no_colon(seen: Seen) -> str | None:
    return NO_COLON.format(line=(seen.context or (seen.line, 0))[0] + 1)


def _character(seen: Seen) -> str | None:
    char = seen.match.group(1)
    if char == "\\t":
        return (TAB_INDENT if not seen.here[: seen.column].strip() else TAB).format()
    if _value(seen.here).startswith(("{{", "{%")):
        return TEMPLATE.format()
    if char in ("@", "`", "%"):
        return RESERVED.format(char=char)
    return None


def _unclosed_quote(seen: Seen) -> str | None:
    if seen.context is None:
        return None
    quote = seen.at(seen.context)[:1] or '"'
    line, column = seen.context
    return UNCLOSED_QUOTE.format(line=line + 1, column=column + 1, quote=quote)


def _unclosed_flow(seen: Seen) -> str | None:
    if seen.context is None:
        return None
    if _value(seen.lines[seen.context[0]]).startswith(("{{", "{%")):
        return TEMPLATE.format()
    opening = seen.at(seen.context)[:1]
    if opening not in ("[", "{"):
        return None
    line, column = seen.context
    return UNCLOSED_FLOW.format(
        kind="list" if opening == "[" else "mapping",
        opening=opening,
        closing="]" if opening == "[" else "}",
        line=line + 1,
        column=column + 1,
    )


def _constant(message: str) -> Callable[[Seen], str | None]:
    return lambda seen: message.format()


RULES: tuple[Rule, ...] = (
    Rule(
        "while parsing a block mapping",
        re.compile(r"expected <block end>, but found '(.*)'"),
        _block_end,
    ),
    Rule(
        "while parsing a block collection",
        re.compile(r"expected <block end>, but found '\?'"),
        _constant(KEY_AMONG_ITEMS),
    ),
    Rule(None, re.compile(r"mapping values are not allowed here"), _mapping_values),
    Rule("while scanning a simple key", re.compile(r"could not find expected ':'"), _no_colon),
    Rule(None, re.compile(r"found character '(.*)' that cannot start any token"), _character),
    Rule("while scanning an alias", re.compile(r"expected alphabetic"), _constant(STAR)),
    Rule("while scanning an anchor", re.compile(r"expected alphabetic"), _constant(AMPERSAND)),
    Rule(
        None,
        re.compile(r"found undefined alias '(.*)'"),
        lambda seen: UNDEFINED_ALIAS.format(alias="*" + seen.match.group(1)),
    ),
    Rule("while scanning a quoted scalar", re.compile(r"found unexpected end of"), _unclosed_quote),
    Rule("while parsing a flow sequence", re.compile(r"expected ',' or ']'"), _unclosed_flow),
    Rule("while parsing a flow mapping", re.compile(r"expected ',' or '}'"), _unclosed_flow),
    Rule(
        "while scanning a double-quoted scalar",
        re.compile(r"found unknown escape character '(.*)'"),
        lambda seen: BAD_ESCAPE.format(char=seen.match.group(1)),
    ),
    Rule(
        "while scanning a block scalar",
        re.compile(r"expected chomping or indentation indicators"),
        _constant(BLOCK_INDICATOR),
    ),
    Rule(
        "expected a single document in the stream",
        re.compile(r"but found another document"),
        _constant(TWO_DOCUMENTS),
    ),
)
"""PyYAML's (context, problem) and the plain words for it, most common first."""


_LEAD = re.compile(r"[ ]*(?:-[ ]+)*")
"""A line's indentation and list dashes: what comes before its key."""


def place(exc: yaml.MarkedYAMLError, text: str, message: str | None) -> tuple[int, int]:
    """1-based line and column to show ``message`` at: PyYAML's mark, except that a key indented
    too far (PyYAML marks the ':' after it, where the mapping it cannot be in shows) is shown at
    the key's first character."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return (1, 1)
    line, column = mark.line, mark.column
    lines = text.splitlines()
    if message == INDENT.format() and "mapping values" in (exc.problem or "") and line < len(lines):
        start = _LEAD.match(lines[line])
        if start is not None and start.end() < column:
            column = start.end()
    return (line + 1, column + 1)


def explain(exc: yaml.MarkedYAMLError, text: str) -> str | None:
    """Plain words for a PyYAML syntax error, or None when no rule of :data:`RULES` knows it."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None or exc.problem is None:
        return None
    context = (exc.context_mark.line, exc.context_mark.column) if exc.context_mark else None
    for rule in RULES:
        if rule.context is not None and exc.context != rule.context:
            continue
        match = rule.problem.search(exc.problem)
        if match is None:
            continue
        seen = Seen(match, text.splitlines(), mark.line, mark.column, context)
        return rule.words(seen)
    return None
