"""``condition``: branch on expressions over variables (seed: 条件判断)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chatflow.engine.node import Model, NodeBase, Target, Text


class Branch(Model):
    """One branch: taken when its expression is true."""

    when: str = Field(min_length=1)
    """Expression (``score >= 80 and vip``; ``==  != > < >= <=  and or not``, ``in``)."""
    next: str
    """Node to continue at when ``when`` is true."""


class ConditionNode(NodeBase):
    """Continue at the first branch whose ``when`` is true, else at ``default``."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1)
    """Branches, tried in order."""
    default: str
    """Node to continue at when no branch is true (or an expression fails)."""

    def targets(self) -> list[Target]:
        out = [Target(("branches", i, "next"), b.next, b.when) for i, b in enumerate(self.branches)]
        return [*out, Target(("default",), self.default, "default")]

    def templates(self) -> list[Text]:
        return [
            Text(("branches", i, "when"), b.when, "expression") for i, b in enumerate(self.branches)
        ]
