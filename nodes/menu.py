"""``menu``: offer numbered options and branch on the visitor's answer (seed: 分支).

An answer is compared after normalising (full-width -> half-width, case, whitespace): first to
the labels, then to the keywords, then as a 1-based number, so a label or keyword that is itself
a number (``"2"`` as a keyword of the first option) wins over the position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from chatflow.engine.effects import Outcome, Say
from chatflow.engine.node import Model, NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import say, stay
from chatflow.nodes._text import find, ordinal, visitor_answer

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.events import Event


class MenuOption(Model):
    """One choice of a menu."""

    label: str = Field(min_length=1)
    """Text of the option (shown as a button, matched as typed)."""
    keywords: list[str] = Field(default_factory=list)
    """Other words that choose this option (matched on the whole message, ignoring case)."""
    next: NodeRef
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
    """The invalid answer that goes to ``on_fail`` instead of asking again: 3 = the third
    (without ``on_fail`` the menu keeps asking)."""
    on_fail: NodeRef | None = None
    """Node to continue at after ``max_attempts`` invalid answers."""

    example = """\
menu:
  type: menu
  prompt: 请选择您需要的服务：
  options:
    - {label: 售前咨询, keywords: [售前, 购买], next: to_presales}
    - {label: 售后服务, keywords: [售后], next: to_aftersales}
  invalid_message: 您的输入有误，请回复选项前的数字。
  max_attempts: 3
  on_fail: to_presales
"""

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

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.wait(self._menu(ctx), state={"attempts": 0})

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        """Branch on a matching answer; re-show the menu on a wrong one, up to ``max_attempts``."""
        answer = visitor_answer(event)
        if answer is None:
            return stay(ctx)
        chosen = self.match(answer)
        if chosen is not None:
            return Outcome.go(self.options[chosen].next)
        attempts = int(ctx.state.get("attempts", 0)) + 1
        if self.on_fail and attempts >= self.max_attempts:
            return Outcome.go(self.on_fail)
        return Outcome.wait(
            *say(ctx, self.invalid_message), self._menu(ctx), state={"attempts": attempts}
        )

    def match(self, answer: str) -> int | None:
        """Index of the option ``answer`` chooses (label, keyword, then number), else None."""
        labels = [option.label for option in self.options]
        found = find(answer, labels)
        if found is not None:
            return found
        for index, option in enumerate(self.options):
            if find(answer, option.keywords) is not None:
                return index
        return ordinal(answer, len(self.options))

    def _menu(self, ctx: NodeContext) -> Say:
        """The prompt with ``1. label`` lines, and the labels as buttons."""
        labels = [option.label for option in self.options]
        numbered = [f"{number}. {label}" for number, label in enumerate(labels, 1)]
        lines = [ctx.render(self.prompt).rstrip(), *numbered]
        return Say("\n".join(line for line in lines if line), options=tuple(labels))
