"""``end``: say goodbye and end the session (seed: 结束)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chatflow.engine.effects import Outcome
from chatflow.engine.node import NodeBase, Text
from chatflow.nodes._outcome import say

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext


class EndNode(NodeBase):
    """End the session, optionally with a last message."""

    type: Literal["end"]
    terminal = True
    message: str | None = None
    """Template of the last message."""

    example = """\
bye:
  type: end
  message: 本次服务已结束，感谢您的支持。
"""

    def templates(self) -> list[Text]:
        return [Text(("message",), self.message)] if self.message else []

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.finish("flow", *say(ctx, self.message))
