"""The language of an error's words: ``Accept-Language`` picks it, the catalogue words it.

The raise sites write English (``f"no group {exc.group!r}"``); :mod:`problem_texts` keys each
zh-CN text on that English as a template. Each template compiles to an anchored regex, so
:func:`translate` rewords a formatted text by matching it and putting the captured values into
the zh-CN template. ``problems.py`` calls it where errors become answers; a text no template
matches stays English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from string import Formatter

from chatflow.admin_api.problem_texts import TERMS, ZH_CN
from chatflow.engine.errors import ChatflowError

ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
"""English is the default and the fallback; every ``zh*`` tag reads zh-CN (no zh-TW catalogue)."""

_REPR = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+|None"""
"""What ``{x!r}`` of a str, an int or None prints."""
_CONVERSIONS = {None: "raw", "r": "repr"}
_ZH_CONVERSIONS = {None: "raw", "t": "translated", "l": "translated list"}
"""In a zh-CN template ``{x}`` is the captured value as it is, ``{x!t}`` its words (a term or
a catalogue text, else the template does not apply), ``{x!l}`` a ``, ``-list of such, joined
with 、."""


def pick_language(accept_language: str | None) -> str:
    """The language of ``LANGUAGES`` the client prefers most (``q`` weights, then order)."""
    best, best_q = ENGLISH, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = _supported(tag.strip().lower())
        if lang is not None and q > best_q:
            best, best_q = lang, q
    return best


def chosen_language(choice: str | None, accept_language: str | None) -> str:
    """The language a page chose (``lang=``: a browser's websocket sends the browser's
    ``Accept-Language``, not the page's choice) if the API speaks it, else ``Accept-Language``'s."""
    tag = (choice or "").strip().lower()
    chosen = _supported(tag) if tag != "*" else None
    return chosen or pick_language(accept_language)


def _supported(tag: str) -> str | None:
    if tag == "zh" or tag.startswith(("zh-", "zh_")):
        return CHINESE
    if tag in ("en", "*") or tag.startswith(("en-", "en_")):
        return ENGLISH
    return None


def translate(text: str, lang: str) -> str:
    """``text`` in ``lang``; English, or a text the catalogue does not know, as it is."""
    return PROBLEMS.translate(text, lang)


def error_text(exc: ChatflowError, lang: str) -> str:
    """``str(exc)`` in ``lang``: the message, then the flow and node it happened in."""
    if lang != CHINESE:
        return str(exc)
    where = ""
    if exc.flow_id:
        where = f"流程 {exc.flow_id!r}"
        if exc.node_id:
            where += f"，节点 {exc.node_id!r}"
        where = f"（{where}）"
    return translate(exc.message, lang) + where


def template_of(text: str) -> str | None:
    """The English template of the catalogue that words ``text``, or None (for the tests)."""
    return PROBLEMS.template_of(text)


Words = Callable[[str], str | None]
"""What puts a captured value's words into a template (``{x!t}``, each item of ``{x!l}``);
None: it has none."""


@dataclass(frozen=True)
class _Entry:
    english: str
    pattern: re.Pattern[str]
    target: tuple[tuple[str, str | None, str | None], ...]
    """The zh-CN template parsed: (literal, field, conversion)."""

    def render(self, text: str, term: Words, item: Words) -> str | None:
        match = self.pattern.fullmatch(text)
        if match is None:
            return None
        out = []
        for literal, field, conversion in self.target:
            out.append(literal)
            if field is None:
                continue
            value: str | None = match.group(field)
            if conversion == "t":
                value = term(match.group(field))
            elif conversion == "l":
                items = [item(part) for part in match.group(field).split(", ")]
                value = None if None in items else "、".join(items)  # type: ignore[arg-type]
            if value is None:
                return None  # a value that should be worded is not known: not this template
            out.append(value)
        return "".join(out)


class Catalogue:
    """zh-CN texts keyed on English templates (the rules of the module's docstring), compiled
    once, the most specific template (most literal text) first.

    A strict catalogue (the API's errors) applies a template only when every ``{x!t}`` value
    and ``{x!l}`` item has words (a term or a text of the catalogue). A ``lenient`` one (the
    flow check's messages) puts a value without words in as it is, since it is an id, a name
    or a parser's own message, and never takes a list item for a term (a node may be named
    ``template``).
    """

    def __init__(
        self,
        texts: Mapping[str, str],
        terms: Mapping[str, str],
        *,
        lenient: bool = False,
        words_from: Callable[[], Sequence[Catalogue]] | None = None,
    ) -> None:
        self.texts = texts
        self.terms = terms
        self.lenient = lenient
        self.words_from = words_from
        """The catalogues that word a ``{x!t}`` value that is no term, in order (called when
        first needed, so catalogues may name each other); None: this one."""

    @cached_property
    def _entries(self) -> tuple[_Entry, ...]:
        entries = [_compile(english, chinese) for english, chinese in self.texts.items()]
        entries.sort(key=lambda e: -len(_literal(e.english)))
        return tuple(entries)

    def translate(self, text: str, lang: str) -> str:
        """``text`` in ``lang``; English, or a text the catalogue does not know, as it is."""
        if lang != CHINESE:
            return text
        found = self.words(text)
        return text if found is None else found

    def template_of(self, text: str) -> str | None:
        """The English template that words ``text``, or None (for the tests)."""
        for entry in self._entries:
            if entry.render(text, self._term, self._item) is not None:
                return entry.english
        return None

    def words(self, text: str) -> str | None:
        """``text`` in zh-CN, or None when no template words it. Texts joined with ``; `` (a
        problem's detail that sums up its errors) are worded part by part."""
        for entry in self._entries:
            found = entry.render(text, self._term, self._item)
            if found is not None:
                return found
        if "; " in text:
            parts = [self.words(part) for part in text.split("; ")]
            if None not in parts:
                return "；".join(parts)  # type: ignore[arg-type]
        return None

    def _term(self, value: str) -> str | None:
        if value in self.terms:
            return self.terms[value]
        if self.words_from is None:
            return self._item(value) if self.lenient else self.words(value)
        for catalogue in self.words_from():
            found = catalogue.words(value)
            if found is not None:
                return found
        return value if self.lenient else None

    def _item(self, value: str) -> str | None:
        if not self.lenient:
            return self._term(value)
        found = self.words(value)
        return value if found is None else found


PROBLEMS = Catalogue(ZH_CN, TERMS)
"""The API's error texts (:mod:`problem_texts`)."""


def _literal(template: str) -> str:
    return "".join(literal for literal, *_ in Formatter().parse(template))


def _compile(english: str, chinese: str) -> _Entry:
    regex, seen = [], set()
    for literal, field, spec, conversion in Formatter().parse(english):
        regex.append(re.escape(literal))
        if field is None:
            continue
        _check_field(english, field, spec, conversion, _CONVERSIONS)
        if field in seen:
            regex.append(f"(?P={field})")
            continue
        seen.add(field)
        inner = _REPR if conversion == "r" else ".*?"
        regex.append(f"(?P<{field}>{inner})")
    target = []
    for literal, field, spec, conversion in Formatter().parse(chinese):
        if field is not None:
            _check_field(chinese, field, spec, conversion, _ZH_CONVERSIONS)
            if field not in seen:
                raise ValueError(f"{chinese!r} uses {{{field}}}, which {english!r} does not have")
        target.append((literal, field, conversion))
    return _Entry(english, re.compile("".join(regex), re.DOTALL), tuple(target))


def _check_field(
    template: str,
    field: str,
    spec: str | None,
    conversion: str | None,
    allowed: dict[str | None, str],
) -> None:
    if not field.isidentifier() or spec or conversion not in allowed:
        raise ValueError(
            f"{template!r}: write a placeholder as {{name}} or {{name!x}}, x in {allowed}"
        )
