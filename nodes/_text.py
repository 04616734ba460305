"""Normalising and reading what visitors type; shared by the menu, form, bot and survey nodes.

Visitors answer from phones and Chinese IMEs: full-width digits (``１``) and letters, full-width
spaces and mixed case are common, so answers are compared in one normal form instead of each
node guessing its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatflow.engine.events import Choice, Event, VisitorText
from chatflow.engine.text import normalise

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)


def parse_int(text: str) -> int | None:
    """The integer a visitor typed (``"１０"`` and ``" 3 "`` included), else None."""
    clean = normalise(text)
    return int(clean) if _INTEGER.fullmatch(clean) else None


def visitor_answer(event: Event) -> str | None:
    """What the visitor answered: the text typed or the option clicked; None for other events."""
    if isinstance(event, VisitorText):
        return event.text
    if isinstance(event, Choice):
        return event.value
    return None


def find(answer: str, candidates: Sequence[str]) -> int | None:
    """Index of the first candidate equal to ``answer`` in normal form, else None."""
    wanted = normalise(answer)
    if not wanted:
        return None
    for index, candidate in enumerate(candidates):
        if normalise(candidate) == wanted:
            return index
    return None


def ordinal(answer: str, count: int) -> int | None:
    """0-based index named by a 1-based number (``"2"`` -> 1) when it is within ``count``."""
    number = parse_int(answer)
    if number is None or not 1 <= number <= count:
        return None
    return number - 1
