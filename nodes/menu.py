"""``menu``: offer numbered options and branch on the visitor's answer (seed: 分支)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chatflow.engine.node import Model, NodeBase, Target, Text


class MenuOption(Model):
    """One choice of a menu."""

    label: str = Field(min_length=1)
    """Text of the option (shown as a button, matched as typed)."""
    keywords: list[str] = Field(default_factory=list)
    """Other words that choose this option (matched on the whole message, ignoring case)."""
    next: str
    """Node to continue at when chosen."""


class MenuNode(NodeBase):
    """Ask a question with options; the answer may be the label, a keyword or the 1-based number."""

    type: Literal["menu"]
    waits_for_input = True
    prompt: str
    """Template of the question; the options are listed after it as ``1. label`` lines."""
    options: list[MenuOption] = Field(min_length=1)
    """The choices, in display order."""
    invalid_message: str = "抱歉，没有理解您的选择，请回复选项前的数字。"
    """Template sent when the answer matches no option (the menu is shown again)."""
    max_attempts: int = Field(default=3, ge=1)
    """Invalid answers allowed before going to ``on_fail`` (without ``on_fail`` the menu keeps asking)."""
    on_fail: str | None = None
    """Node to continue at after ``max_attempts`` invalid answers."""

    def targets(self) -> list[Target]:
        out = [
            Target(("options", i, "next"), o.next, f"{i + 1}. {o.label}", after_input=True)
            for i, o in enumerate(self.options)
        ]
        if self.on_fail:
            out.append(Target(("on_fail",), self.on_fail, "on_fail", after_input=True))
        return out

    def templates(self) -> list[Text]:
        return [Text(("prompt",), self.prompt), Text(("invalid_message",), self.invalid_message)]
