"""How visitor text is compared: one rule for menu answers, keywords and interrupts alike."""

from __future__ import annotations

import unicodedata


def normalise(text: str) -> str:
    """Compare form of visitor text: NFKC (full-width -> half-width), casefolded, no whitespace.

    Whitespace is dropped, not collapsed: ``售前 服务`` and ``售前服务`` are the same answer.
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())
