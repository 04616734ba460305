"""``survey``: ask for a satisfaction rating (stars or numbers) within a validity window.

A rating is a ``Rating`` event, or visitor text naming a score: the number (``4``, ``４``) or a
level's label (``满意``). The validity timer moves the flow on silently; a rating that still
arrives after ``valid_for`` (before the timer fired) is answered with ``expired_message``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from chatflow.engine.effects import CancelTimer, Effect, Outcome, SetVars, ShowSurvey, StartTimer
from chatflow.engine.events import Rating, TimerFired
from chatflow.engine.node import VARIABLE_PATTERN, NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import render, say, stay, timer_name
from chatflow.nodes._text import find, parse_int, visitor_answer

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.events import Event


class SurveyNode(NodeBase):
    """Show the survey, store the score in ``var`` and continue at ``next``."""

    type: Literal["survey"]
    waits_for_input = True
    may_end = True
    style: Literal["star", "number"] = "star"
    """``star``: stars 1..levels; ``number``: numbers 1..levels."""
    levels: int = Field(default=5, ge=1, le=10)
    """How many levels (1-10)."""
    labels: list[str] = Field(default_factory=list)
    """Names of the levels, lowest first (``[很不满意, 不满意, 一般, 满意, 非常满意]``)."""
    prompt: str = "请对本次服务进行评价。"
    """Template of the invitation."""
    thanks: str | None = "感谢您的评价！"
    """Template sent after a valid rating."""
    invalid_message: str | None = None
    """Template sent when the answer is not a score in range (default: "请选择 1 到 N 之间的评分。")."""
    expired_message: str | None = "评价已过期，感谢您的支持。"
    """Template sent when a rating arrives after ``valid_for`` (the flow then moves on)."""
    valid_for: float = Field(default=86_400, gt=0)
    """Seconds the invitation stays valid."""
    var: str = Field(default="rating", pattern=VARIABLE_PATTERN)
    """Variable that receives the score."""
    next: NodeRef | None = None
    """Node to continue at after the rating or the expiry (default: the session ends)."""

    example = """\
survey:
  type: survey
  style: star
  levels: 5
  labels: [非常不满意, 不满意, 一般, 满意, 非常满意]
  prompt: 感谢您使用我们的服务，请对此次服务进行评价！
  next: bye
"""

    @model_validator(mode="after")
    def _labels_fit(self) -> SurveyNode:
        if self.labels and len(self.labels) != self.levels:
            raise ValueError(f"'labels' has {len(self.labels)} names but 'levels' is {self.levels}")
        return self

    def targets(self) -> list[Target]:
        return [Target(("next",), self.next, "", after_input=True)] if self.next else []

    def templates(self) -> list[Text]:
        names = ("prompt", "thanks", "invalid_message", "expired_message")
        return [Text((name,), v) for name in names if (v := getattr(self, name))]

    def assigns(self) -> list[str]:
        return [self.var]

    def enter(self, ctx: NodeContext) -> Outcome:
        survey = ShowSurvey(self.style, self.levels, tuple(self.labels), render(ctx, self.prompt))
        timer = StartTimer(timer_name(ctx, "valid"), self.valid_for)
        return Outcome.wait(survey, timer, state={"entered_at": ctx.now.isoformat()})

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        """Store a score in range and thank; ask again otherwise; move on when it expires."""
        if isinstance(event, TimerFired):
            if event.name != timer_name(ctx, "valid"):
                return stay(ctx)
            return self._leave()
        if isinstance(event, Rating):
            score: int | None = event.score
        elif (answer := visitor_answer(event)) is not None:
            score = self.read(answer)
        else:
            return stay(ctx)
        if self._expired(ctx):
            return self._leave(
                *say(ctx, self.expired_message), CancelTimer(timer_name(ctx, "valid"))
            )
        if score is None or not 1 <= score <= self.levels:
            invalid = self.invalid_message or f"请选择 1 到 {self.levels} 之间的评分。"
            return Outcome.wait(*say(ctx, invalid), state=ctx.state)
        return self._leave(
            SetVars({self.var: score}),
            CancelTimer(timer_name(ctx, "valid")),
            *say(ctx, self.thanks, extra={self.var: score}),
        )

    def read(self, answer: str) -> int | None:
        """The score a typed answer names: a number, or a level's label (lowest = 1)."""
        number = parse_int(answer)
        if number is not None:
            return number
        index = find(answer, self.labels)
        return None if index is None else index + 1

    def _expired(self, ctx: NodeContext) -> bool:
        entered = ctx.state.get("entered_at")
        if not isinstance(entered, str):
            return False
        return ctx.now >= datetime.fromisoformat(entered) + timedelta(seconds=self.valid_for)

    def _leave(self, *effects: Effect) -> Outcome:
        return Outcome.go(self.next, *effects) if self.next else Outcome.finish("flow", *effects)
