"""``survey``: ask for a satisfaction rating (stars or numbers) within a validity window."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chatflow.engine.node import NodeBase, Target, Text


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
    """Template sent when a rating arrives after ``valid_for``."""
    valid_for: float = Field(default=86_400, gt=0)
    """Seconds the invitation stays valid."""
    var: str = Field(default="rating", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Variable that receives the score."""
    next: str | None = None
    """Node to continue at after the rating or the expiry (default: the session ends)."""

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
