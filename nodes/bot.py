"""``bot``: keyword auto-reply robot that hands over when nothing matches (seed: 客服机器人).

Messages and keywords are compared in normal form (full-width -> half-width, case, whitespace
dropped), so ``怎么 收费`` is found in ``请问怎么收费？`` and ``ＨＥＬＬＯ`` equals ``hello``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from chatflow.engine.effects import Outcome, Say
from chatflow.engine.node import Model, NodeBase, NodeRef, Target, Text
from chatflow.engine.text import normalise
from chatflow.nodes._outcome import say, stay
from chatflow.nodes._text import visitor_answer

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.events import Event


def _no_blank(words: list[str]) -> list[str]:
    if any(not normalise(word) for word in words):
        raise ValueError("a keyword must not be empty or only spaces (it would match anything)")
    return words


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

    _keywords = field_validator("keywords")(_no_blank)

    def matches(self, message: str) -> bool:
        """Whether the (normalised) message triggers this rule."""
        words = (normalise(k) for k in self.keywords)
        if self.match == "exact":
            return message in words
        return any(word in message for word in words)


class BotNode(NodeBase):
    """Answer each visitor message from keyword rules; stay until an exit keyword or fallback."""

    type: Literal["bot"]
    waits_for_input = True
    prompt: str | None = None
    """Template sent when the session arrives at the bot."""
    rules: list[BotRule] = Field(min_length=1)
    """Rules, tried in order; the first that matches answers."""
    fallback: NodeRef | None = None
    """Node to continue at when no rule matches (typically a transfer to a human)."""
    fallback_message: str | None = None
    """Template sent when no rule matches (before going to ``fallback``, if any)."""
    exit_keywords: list[str] = Field(default_factory=list)
    """Messages (whole, ignoring case, width and spaces) that leave the bot for ``exit``."""
    exit: NodeRef | None = None
    """Node to continue at on an exit keyword (required with ``exit_keywords``)."""

    _exit_keywords = field_validator("exit_keywords")(_no_blank)

    example = """\
robot:
  type: bot
  prompt: 您好，请直接输入您的问题。
  rules:
    - {keywords: [价格, 多少钱], match: contains, replies: [请参考价格说明文档。]}
    - {keywords: [你好, hi], match: exact, mode: random, replies: [您好！, 你好呀～]}
  fallback: to_agent
  exit_keywords: [再见]
  exit: bye
"""

    @model_validator(mode="after")
    def _exit_needs_target(self) -> BotNode:
        if self.exit_keywords and not self.exit:
            raise ValueError("'exit_keywords' need an 'exit' node to continue at")
        return self

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

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.wait(*say(ctx, self.prompt))

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        """Exit keyword, else the first matching rule's replies, else the fallback."""
        answer = visitor_answer(event)
        if answer is None:
            return stay(ctx)
        message = normalise(answer)
        if not message:
            return stay(ctx)
        if self.exit and message in (normalise(k) for k in self.exit_keywords):
            return Outcome.go(self.exit)
        for rule in self.rules:
            if rule.matches(message):
                return Outcome.wait(*self._replies(ctx, rule))
        fallback = say(ctx, self.fallback_message)
        return Outcome.go(self.fallback, *fallback) if self.fallback else Outcome.wait(*fallback)

    @staticmethod
    def _replies(ctx: NodeContext, rule: BotRule) -> list[Say]:
        chosen = rule.replies if rule.mode == "all" else [ctx.choice(rule.replies)]
        return [message for template in chosen for message in say(ctx, template)]
