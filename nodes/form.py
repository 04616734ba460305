"""``form``: ask one question, check the answer, store it in a variable (seed: 收集信息).

Answers are read leniently where visitors' keyboards differ (full-width digits and ``＠`` from
Chinese IMEs, spaces and dashes in phone numbers) and stored in one canonical form, so the HTTP
and condition nodes after a form see clean values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from chatflow.engine.effects import CancelTimer, Effect, Outcome, SetVars, StartTimer
from chatflow.engine.events import TimerFired
from chatflow.engine.node import VARIABLE_PATTERN, NodeBase, NodeRef, Target, Text
from chatflow.nodes._outcome import say, stay, timer_name
from chatflow.nodes._text import find, visitor_answer

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.events import Event

InputKind = Literal["text", "number", "phone", "email", "options", "regex"]


class FormNode(NodeBase):
    """Collect one answer into ``var``; invalid answers are asked again."""

    type: Literal["form"]
    waits_for_input = True
    prompt: str
    """Template of the question."""
    var: str = Field(pattern=VARIABLE_PATTERN)
    """Variable that receives the answer."""
    input: InputKind = "text"
    """What a valid answer is: ``text`` (anything not blank), ``number`` (integer or decimal,
    stored as a number), ``phone`` (a Chinese mobile, ``+86`` and spaces/dashes allowed, stored
    as its 11 digits; or any 7-15 digit number, stored with its ``+``), ``email``, ``options``
    (one of ``options``), ``regex`` (matches ``pattern``)."""
    options: list[str] | None = None
    """The allowed answers when ``input`` is ``options`` (shown as buttons)."""
    pattern: str | None = None
    """Regular expression the whole answer must match when ``input`` is ``regex``."""
    success_message: str | None = None
    """Template sent after a valid answer."""
    invalid_message: str = "输入格式不正确，请重新输入。"
    """Template sent after an invalid answer."""
    max_attempts: int = Field(default=3, ge=1)
    """The invalid answer that goes to ``on_fail`` instead of asking again: 3 = the third
    (without ``on_fail`` the form keeps asking)."""
    on_fail: NodeRef | None = None
    """Node to continue at after ``max_attempts`` invalid answers."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds to wait for an answer before ``on_timeout`` (restarted by an invalid answer)."""
    on_timeout: NodeRef | None = None
    """Node to continue at when ``timeout`` passes (default: ``next``, the variable unchanged)."""
    next: NodeRef
    """Node to continue at after a valid answer."""

    example = """\
ask_phone:
  type: form
  prompt: 请输入您的手机号：
  var: phone
  input: phone
  invalid_message: 手机号格式不正确，请重新输入。
  timeout: 120
  on_timeout: bye
  next: lookup
"""

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

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.wait(*self._ask(ctx, self.prompt), *self._timer(ctx), state={"attempts": 0})

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        """Store a valid answer and go on; ask again after an invalid one; honour the timeout."""
        if isinstance(event, TimerFired):
            if self.timeout is None or event.name != timer_name(ctx, "timeout"):
                return stay(ctx)
            return Outcome.go(self.on_timeout or self.next)
        answer = visitor_answer(event)
        if answer is None:
            return stay(ctx)
        value = self.read(answer)
        if value is not None:
            return Outcome.go(
                self.next,
                SetVars({self.var: value}),
                *self._cancel(ctx),
                *say(ctx, self.success_message, extra={self.var: value}),
            )
        attempts = int(ctx.state.get("attempts", 0)) + 1
        if self.on_fail and attempts >= self.max_attempts:
            return Outcome.go(self.on_fail, *self._cancel(ctx))
        return Outcome.wait(
            *self._ask(ctx, self.invalid_message), *self._timer(ctx), state={"attempts": attempts}
        )

    def read(self, answer: str) -> Any:
        """The value to store for ``answer``, or None when it is not a valid answer."""
        if self.input == "options":
            index = find(answer, self.options or [])
            return None if index is None else (self.options or [])[index]
        if self.input == "regex":
            return _regex(self.pattern or "", answer)
        return _READERS[self.input](answer)

    def _ask(self, ctx: NodeContext, template: str) -> tuple[Effect, ...]:
        return say(ctx, template, options=(self.options or []) if self.input == "options" else ())

    def _timer(self, ctx: NodeContext) -> tuple[Effect, ...]:
        if self.timeout is None:
            return ()
        return (StartTimer(timer_name(ctx, "timeout"), self.timeout),)

    def _cancel(self, ctx: NodeContext) -> tuple[Effect, ...]:
        return () if self.timeout is None else (CancelTimer(timer_name(ctx, "timeout")),)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _text(answer: str) -> str | None:
    return answer.strip() or None


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def _number(answer: str) -> int | float | None:
    """``42`` -> 42, ``-1.5`` -> -1.5 (full-width digits too); no exponents, no separators."""
    clean = _nfkc(answer)
    if len(clean) > 30 or not _NUMBER.fullmatch(clean):
        return None
    return float(clean) if "." in clean else int(clean)


_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_INTERNATIONAL = re.compile(r"\+?[0-9]{7,15}", re.ASCII)


def _phone(answer: str) -> str | None:
    """A Chinese mobile (with or without +86/0086/86) as 11 digits, else 7-15 digits as typed.

    An 11-digit number starting with 1 (after an optional Chinese prefix) is taken as a Chinese
    mobile and must look like one (``1[3-9]`` + 9 digits); anything else is accepted as an
    international or landline number of 7-15 digits, keeping its leading ``+``.
    """
    raw = _PHONE_SEPARATORS.sub("", _nfkc(answer))
    national = raw
    for prefix in ("+86", "0086", "86"):
        if raw.startswith(prefix) and len(raw) == len(prefix) + 11:
            national = raw[len(prefix) :]
            break
    if len(national) == 11 and national.isascii() and national.isdigit() and national[0] == "1":
        return national if _CN_MOBILE.fullmatch(national) else None
    return raw if _INTERNATIONAL.fullmatch(raw) else None


_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
    re.ASCII,
)


def email_address(answer: str) -> str | None:
    """An address with a dotted domain (full-width ``＠`` from IMEs accepted), as typed."""
    clean = _nfkc(answer)
    return clean if len(clean) <= 254 and _EMAIL.fullmatch(clean) else None


_REGEX_INPUT_LIMIT = 1_000
"""Longest answer tried against a ``pattern``: bounds the cost of a badly backtracking pattern."""


def _regex(pattern: str, answer: str) -> str | None:
    """The answer if the pattern matches all of it, as typed or else in half-width form."""
    if len(answer) > _REGEX_INPUT_LIMIT:
        return None
    for candidate in (answer.strip(), _nfkc(answer)):
        if candidate and re.fullmatch(pattern, candidate):
            return candidate
    return None


_READERS: dict[str, Callable[[str], Any]] = {
    "text": _text,
    "number": _number,
    "phone": _phone,
    "email": email_address,
}
