"""``message``: send one text, several texts in order, or one picked at random; then continue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from chatflow.engine.effects import Outcome, Say
from chatflow.engine.node import NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import say

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext


class MessageNode(NodeBase):
    """Send a message to the visitor and continue at once (seed: 消息发送)."""

    type: Literal["message"]
    text: str | None = None
    """Template of the one message to send."""
    texts: list[str] | None = Field(default=None, min_length=1)
    """Templates of several messages, sent in order."""
    random: list[str] | None = Field(default=None, min_length=1)
    """Templates of which one, picked at random, is sent."""
    next: NodeRef
    """Node to continue at."""

    example = """\
welcome:
  type: message
  random: [您好，欢迎光临！, 您好，很高兴为您服务！]
  next: hours
"""

    @model_validator(mode="after")
    def _one_kind_of_text(self) -> MessageNode:
        given = [name for name in ("text", "texts", "random") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "a message needs exactly one of 'text', 'texts' or 'random'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    def targets(self) -> list[Target]:
        return [Target(("next",), self.next, "")]

    def templates(self) -> list[Text]:
        if self.text is not None:
            return [Text(("text",), self.text)]
        field = "texts" if self.texts is not None else "random"
        return [Text((field, i), t) for i, t in enumerate(getattr(self, field) or [])]

    def enter(self, ctx: NodeContext) -> Outcome:
        """Send the text(s) and continue; a template that renders blank is not sent."""
        if self.text is not None:
            chosen = [self.text]
        elif self.texts is not None:
            chosen = list(self.texts)
        else:
            chosen = [ctx.choice(self.random or [])]
        effects: list[Say] = []
        for template in chosen:
            effects.extend(say(ctx, template))
        return Outcome.go(self.next, *effects)
