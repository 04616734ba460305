"""``set``: assign variables from expressions, then continue."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chatflow.engine.node import NodeBase, Target, Text


class SetNode(NodeBase):
    """Evaluate each expression and store it in its variable, in order."""

    type: Literal["set"]
    vars: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        min_length=1
    )
    """Variable -> expression (``{vip: "score >= 80", greeting: "'您好 ' ~ name"}``)."""
    next: str
    """Node to continue at."""

    def targets(self) -> list[Target]:
        return [Target(("next",), self.next, "")]

    def templates(self) -> list[Text]:
        return [Text(("vars", k), v, "expression") for k, v in self.vars.items()]

    def assigns(self) -> list[str]:
        return list(self.vars)
