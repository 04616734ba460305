"""``condition``: branch on expressions over variables (seed: 条件判断).

An expression that fails (a string compared with a number, a missing attribute) counts as false
and is logged: the seed's default branch is the safety net for exactly that, and a visitor
should not lose the conversation over a data problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from chatflow.engine.effects import Outcome
from chatflow.engine.errors import TemplateError
from chatflow.engine.node import Model, NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import log_failure

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext


class Branch(Model):
    """One branch: taken when its expression is true."""

    when: str = Field(min_length=1)
    """Expression (``score >= 80 and vip``; ``==  != > < >= <=  and or not``, ``in``)."""
    next: NodeRef
    """Node to continue at when ``when`` is true."""


class ConditionNode(NodeBase):
    """Continue at the first branch whose ``when`` is true, else at ``default``."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1)
    """Branches, tried in order."""
    default: NodeRef
    """Node to continue at when no branch is true (or an expression fails)."""

    example = """\
route:
  type: condition
  branches:
    - {when: "score | int >= 80", next: vip}
    - {when: "course == 'math'", next: math}
  default: general
"""

    def targets(self) -> list[Target]:
        out = [Target(("branches", i, "next"), b.next, b.when) for i, b in enumerate(self.branches)]
        return [*out, Target(("default",), self.default, "default")]

    def templates(self) -> list[Text]:
        return [
            Text(("branches", i, "when"), b.when, "expression") for i, b in enumerate(self.branches)
        ]

    def enter(self, ctx: NodeContext) -> Outcome:
        """Continue at the first branch whose expression is truthy (Python truth), else default."""
        for index, branch in enumerate(self.branches):
            try:
                taken = bool(ctx.evaluate(branch.when))
            except TemplateError as exc:
                log_failure(ctx, "node.condition_failed", exc, branch=index, when=branch.when)
                continue
            if taken:
                return Outcome.go(branch.next)
        return Outcome.go(self.default)
