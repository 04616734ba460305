"""``form``: ask one question, check the answer, store it in a variable (seed: 收集信息)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from chatflow.engine.node import NodeBase, Target, Text

InputKind = Literal["text", "number", "phone", "email", "options", "regex"]


class FormNode(NodeBase):
    """Collect one answer into ``var``; invalid answers are asked again."""

    type: Literal["form"]
    waits_for_input = True
    prompt: str
    """Template of the question."""
    var: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Variable that receives the answer."""
    input: InputKind = "text"
    """What a valid answer is: ``text`` (anything not blank), ``number``, ``phone``, ``email``,
    ``options`` (one of ``options``), ``regex`` (matches ``pattern``)."""
    options: list[str] | None = None
    """The allowed answers when ``input`` is ``options`` (shown as buttons)."""
    pattern: str | None = None
    """Regular expression the whole answer must match when ``input`` is ``regex``."""
    success_message: str | None = None
    """Template sent after a valid answer."""
    invalid_message: str = "输入格式不正确，请重新输入。"
    """Template sent after an invalid answer."""
    max_attempts: int = Field(default=3, ge=1)
    """Invalid answers allowed before ``on_fail`` (without ``on_fail`` the form keeps asking)."""
    on_fail: str | None = None
    """Node to continue at after ``max_attempts`` invalid answers."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds to wait for an answer before ``on_timeout``."""
    on_timeout: str | None = None
    """Node to continue at when ``timeout`` passes (default: ``next``, the variable unchanged)."""
    next: str
    """Node to continue at after a valid answer."""

    @model_validator(mode="after")
    def _input_needs(self) -> FormNode:
        if self.input == "options" and not self.options:
            raise ValueError("input 'options' needs a non-empty 'options' list")
        if self.input == "regex":
            if not self.pattern:
                raise ValueError("input 'regex' needs a 'pattern'")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from None
        if self.on_timeout and self.timeout is None:
            raise ValueError("'on_timeout' needs a 'timeout' in seconds")
        return self

    def targets(self) -> list[Target]:
        out = [Target(("next",), self.next, "", after_input=True)]
        if self.on_fail:
            out.append(Target(("on_fail",), self.on_fail, "on_fail", after_input=True))
        if self.on_timeout:
            out.append(Target(("on_timeout",), self.on_timeout, "timeout", after_input=True))
        return out

    def templates(self) -> list[Text]:
        out = [Text(("prompt",), self.prompt), Text(("invalid_message",), self.invalid_message)]
        if self.success_message:
            out.append(Text(("success_message",), self.success_message))
        return out

    def assigns(self) -> list[str]:
        return [self.var]
