"""``bot``: keyword auto-reply robot that hands over when nothing matches (seed: 客服机器人)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chatflow.engine.node import Model, NodeBase, Target, Text


class BotRule(Model):
    """Keywords and the replies they trigger."""

    keywords: list[str] = Field(min_length=1)
    """Words that trigger this rule."""
    match: Literal["contains", "exact"] = "contains"
    """``contains``: the message contains a keyword (fuzzy); ``exact``: the message is a keyword."""
    replies: list[str] = Field(min_length=1)
    """Templates of the replies."""
    mode: Literal["random", "all"] = "random"
    """``random``: send one reply picked at random; ``all``: send every reply in order."""


class BotNode(NodeBase):
    """Answer each visitor message from keyword rules; stay until an exit keyword or fallback."""

    type: Literal["bot"]
    waits_for_input = True
    prompt: str | None = None
    """Template sent when the session arrives at the bot."""
    rules: list[BotRule] = Field(min_length=1)
    """Rules, tried in order; the first that matches answers."""
    fallback: str | None = None
    """Node to continue at when no rule matches (typically a transfer to a human)."""
    fallback_message: str | None = None
    """Template sent when no rule matches (before going to ``fallback``, if any)."""
    exit_keywords: list[str] = Field(default_factory=list)
    """Messages (whole, ignoring case) that leave the bot for ``exit``."""
    exit: str | None = None
    """Node to continue at on an exit keyword."""

    def targets(self) -> list[Target]:
        out = []
        if self.fallback:
            out.append(Target(("fallback",), self.fallback, "no match", after_input=True))
        if self.exit:
            out.append(Target(("exit",), self.exit, "exit", after_input=True))
        return out

    def templates(self) -> list[Text]:
        out = [
            Text(("rules", i, "replies", j), reply)
            for i, rule in enumerate(self.rules)
            for j, reply in enumerate(rule.replies)
        ]
        if self.prompt:
            out.append(Text(("prompt",), self.prompt))
        if self.fallback_message:
            out.append(Text(("fallback_message",), self.fallback_message))
        return out
