"""``set``: assign variables from expressions, then continue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from chatflow.engine.effects import Outcome, SetVars
from chatflow.engine.errors import TemplateError
from chatflow.engine.node import VARIABLE_PATTERN, NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import evaluate, log_failure

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext


class SetNode(NodeBase):
    """Evaluate each expression and store it in its variable, in order."""

    type: Literal["set"]
    vars: dict[Annotated[str, Field(pattern=VARIABLE_PATTERN)], str] = Field(min_length=1)
    """Variable -> expression (``{vip: "score >= 80", greeting: "'您好 ' ~ name"}``), evaluated
    in order: a later expression sees the values of earlier ones. An expression that fails
    leaves its variable unchanged (and is logged)."""
    next: NodeRef
    """Node to continue at."""

    example = """\
mark_vip:
  type: set
  vars: {vip: "score | int >= 80", greeting: "'您好 ' ~ phone"}
  next: route
"""

    def targets(self) -> list[Target]:
        return [Target(("next",), self.next, "")]

    def templates(self) -> list[Text]:
        return [Text(("vars", k), v, "expression") for k, v in self.vars.items()]

    def assigns(self) -> list[str]:
        return list(self.vars)

    def enter(self, ctx: NodeContext) -> Outcome:
        values: dict[str, Any] = {}
        for name, expression in self.vars.items():
            try:
                values[name] = evaluate(ctx, expression, values)
            except TemplateError as exc:
                log_failure(ctx, "node.set_failed", exc, var=name, expression=expression)
        return Outcome.go(self.next, SetVars(values)) if values else Outcome.go(self.next)
