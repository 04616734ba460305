"""Forbidden, sensitive and reminder words (seed 001): find them in a message, fast.

A merchant may keep thousands of words and every agent message is checked before it is sent, so
the words are compiled once into an Aho-Corasick automaton: one pass over the text finds every
word, whatever their number. Matching is case-insensitive and width-insensitive (NFKC, then
casefold), so ``ＢＡＤ`` and ``bad`` are the same word. Pure: no I/O, no web imports; the per-merchant
cache over the database is :mod:`chatflow.engine.content`.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS: tuple[str, ...] = ("forbidden", "sensitive", "reminder")
"""``forbidden`` blocks an agent's message; ``sensitive`` and ``reminder`` alert supervisors."""


def fold(text: str) -> str:
    """The form words and texts are compared in: NFKC (full-width -> ASCII), then casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Verdict:
    """What a check found: forbidden words (the message must not be sent) and alerts."""

    blocked: list[str] = field(default_factory=list)
    """Forbidden words found, in order of first occurrence, as configured."""
    alerts: list[tuple[str, str]] = field(default_factory=list)
    """``(kind, word)`` for each sensitive or reminder word found."""

    @property
    def allowed(self) -> bool:
        return not self.blocked

    @property
    def reason(self) -> str:
        """Why a message is refused, naming the words; empty when it is allowed."""
        if not self.blocked:
            return ""
        words = "、".join(f"「{word}」" for word in self.blocked)
        return f"the message contains the forbidden word {words}"


class WordFilter:
    """An immutable set of words of the three kinds, compiled for matching."""

    def __init__(self, entries: dict[str, tuple[str, frozenset[str]]]) -> None:
        """``entries``: folded word -> (word as configured, kinds). Use :meth:`from_words`."""
        self._entries = entries
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[tuple[str, ...]] = [()]
        for folded in entries:
            self._insert(folded)
        self._link()

    @classmethod
    def from_words(
        cls,
        pairs: Iterable[tuple[str, str]] = (),
        *,
        forbidden: Iterable[str] = (),
        sensitive: Iterable[str] = (),
        reminder: Iterable[str] = (),
    ) -> WordFilter:
        """Build from ``(kind, word)`` pairs and/or one list per kind; blank words are ignored."""
        everything = [
            *pairs,
            *(("forbidden", w) for w in forbidden),
            *(("sensitive", w) for w in sensitive),
            *(("reminder", w) for w in reminder),
        ]
        entries: dict[str, tuple[str, frozenset[str]]] = {}
        for kind, word in everything:
            if kind not in KINDS:
                raise ValueError(f"unknown word kind {kind!r}; known kinds: {', '.join(KINDS)}")
            folded = fold(word).strip()
            if not folded:
                continue
            shown, kinds = entries.get(folded, (word.strip(), frozenset()))
            entries[folded] = (shown, kinds | {kind})
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def words(self) -> list[tuple[str, str]]:
        """Every ``(kind, word)`` pair, sorted."""
        return sorted((k, shown) for shown, kinds in self._entries.values() for k in kinds)

    def find(self, text: str) -> list[str]:
        """Folded words occurring in ``text``, each once, in order of first occurrence."""
        found: dict[str, None] = {}
        goto, fail, out = self._goto, self._fail, self._out
        state = 0
        for char in fold(text):
            while state and char not in goto[state]:
                state = fail[state]
            state = goto[state].get(char, 0)
            for folded in out[state]:
                found.setdefault(folded, None)
        return list(found)

    def check(self, text: str) -> Verdict:
        blocked: list[str] = []
        alerts: list[tuple[str, str]] = []
        for folded in self.find(text):
            shown, kinds = self._entries[folded]
            if "forbidden" in kinds:
                blocked.append(shown)
            alerts.extend((kind, shown) for kind in ("sensitive", "reminder") if kind in kinds)
        return Verdict(blocked, alerts)

    def _insert(self, folded: str) -> None:
        state = 0
        for char in folded:
            nxt = self._goto[state].get(char)
            if nxt is None:
                nxt = len(self._goto)
                self._goto[state][char] = nxt
                self._goto.append({})
                self._fail.append(0)
                self._out.append(())
            state = nxt
        self._out[state] = (folded,)

    def _link(self) -> None:
        """Breadth-first: each state's failure link and the words ending there via that link."""
        queue = deque(self._goto[0].values())
        while queue:
            state = queue.popleft()
            for char, nxt in self._goto[state].items():
                queue.append(nxt)
                back = self._fail[state]
                while back and char not in self._goto[back]:
                    back = self._fail[back]
                self._fail[nxt] = self._goto[back].get(char, 0)
                self._out[nxt] = self._out[nxt] + self._out[self._fail[nxt]]
