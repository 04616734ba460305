"""``end``: say goodbye and end the session (seed: 结束)."""

from __future__ import annotations

from typing import Literal

from chatflow.engine.node import NodeBase, Text


class EndNode(NodeBase):
    """End the session, optionally with a last message."""

    type: Literal["end"]
    terminal = True
    message: str | None = None
    """Template of the last message."""

    def templates(self) -> list[Text]:
        return [Text(("message",), self.message)] if self.message else []
