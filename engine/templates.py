"""Templates and expressions: Jinja2 in a sandbox, compiled once per flow version.

Flow text fields are templates (``您好 {{ name }}``) and conditions are expressions
(``score > 80 and vip``). The seed product's ``${Name}`` placeholders are accepted too and
translated before compiling. Visitor text only ever arrives as *data* in the variables; it is
never compiled. Rendering is bounded in output size and in the work a template may do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, Undefined, meta, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from chatflow.engine.errors import TemplateError

SYSTEM_ALIASES: dict[str, str] = {
    "SystemSessionId": "sys.session_id",
    "SystemClientUserID": "sys.visitor_id",
    "ClientAppID": "sys.channel_id",
    "ClientAppName": "sys.channel_name",
    "WaitNo": "sys.wait_no",
    "StaffNo": "sys.staff_no",
    "StaffNickName": "sys.staff_nickname",
}
"""The seed product's ``${Name}`` system parameters and the ``sys.*`` variable each stands for."""

SYSTEM_VARIABLES: tuple[str, ...] = (
    "session_id",
    "visitor_id",
    "channel_id",
    "channel_name",
    "wait_no",
    "staff_no",
    "staff_nickname",
    "now",
    "last_input",
)
"""Names under ``sys.`` that every template and expression may use."""

MAX_OUTPUT = 8_000
"""Longest text a template may render to; longer output is cut (and logged by the caller)."""
MAX_RANGE = 1_000
"""Largest ``range()`` a template may build."""

_ALIAS = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}")


def translate_aliases(source: str, *, expression: bool = False) -> str:
    """``${WaitNo}`` -> ``{{ sys.wait_no }}``; ``${phone}`` -> ``{{ phone }}`` (bare in expressions)."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        target = SYSTEM_ALIASES.get(name, name)
        return target if expression else "{{ " + target + " }}"

    return _ALIAS.sub(repl, source)


class _Strict(Undefined):
    """Undefined that renders as empty text but refuses attribute chains (caught as errors)."""

    def __str__(self) -> str:
        return ""


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range() larger than {MAX_RANGE} is not allowed")
    return r


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus bounds on ``*`` and ``**`` so one template cannot allocate gigabytes."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponent larger than 64 is not allowed")
            return left**right
        if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
            count = right if isinstance(right, int) else left if isinstance(left, int) else 0
            size = len(left) if isinstance(left, str | list | tuple) else len(right)
            if count * size > MAX_OUTPUT:
                raise SecurityError(f"repetition longer than {MAX_OUTPUT} is not allowed")
        return left * right


def make_environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed environment: no autoescape (plain chat text), bounded range() and ``*``."""
    env = _BoundedSandbox(autoescape=False, undefined=_Strict, keep_trailing_newline=False)
    env.globals["range"] = _safe_range
    return env


ENV = make_environment()


@dataclass(frozen=True)
class SyntaxProblem:
    """A template or expression that does not parse: the message and the line inside it."""

    message: str
    line: int
    unknown: tuple[str, str] | None = None
    """For a filter or test the sandbox does not have: ``("filter", name)`` or ``("test", name)``."""


_UNKNOWN = re.compile(r"No (filter|test) named '([^']*)'")
"""Jinja's message for a filter or test it does not know (raised when it compiles, not parses)."""


def _syntax_problem(exc: TemplateSyntaxError) -> SyntaxProblem:
    message = exc.message or "syntax error"
    match = _UNKNOWN.match(message)
    unknown = (match.group(1), match.group(2)) if match else None
    return SyntaxProblem(message, exc.lineno or 1, unknown)


def _parse(source: str, *, expression: bool) -> nodes.Template:
    text = translate_aliases(source, expression=expression)
    if expression:
        text = "{{ (" + text + ") }}"
    return ENV.parse(text)


@dataclass(frozen=True)
class TemplateFacts:
    """What static checks need to know about one template or expression, from a single parse."""

    problem: SyntaxProblem | None
    """Why it does not parse, or None."""
    variables: frozenset[str]
    """Top-level names it reads that it does not define itself (``sys`` and globals included)."""
    sys_attributes: frozenset[str]
    """Names read on ``sys``."""


@functools.lru_cache(maxsize=8192)
def analyse(source: str, *, expression: bool = False) -> TemplateFacts:
    """Parse once and report syntax, variables and ``sys.*`` names (cached: flows repeat texts)."""
    try:
        ast = _parse(source, expression=expression)
        # This compiles the template: an unknown filter or test (TemplateAssertionError, a
        # TemplateSyntaxError) shows only here, not when parsing.
        variables = meta.find_undeclared_variables(ast)
    except TemplateSyntaxError as exc:
        return TemplateFacts(_syntax_problem(exc), frozenset(), frozenset())
    attributes = {
        node.attr
        for node in ast.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == "sys"
    }
    return TemplateFacts(None, frozenset(variables), frozenset(attributes))


_SYNTAX = ("{{", "{%", "{#")
"""What makes a text a template (the environment's default delimiters; no line statements)."""


def _compile(source: str) -> Template | str:
    """The compiled template, or for a text without any template syntax (most bot texts) its
    rendering: the same for every session, so it is rendered once instead of per message."""
    text = translate_aliases(source)
    try:
        template = ENV.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template does not parse: {exc.message}") from None
    if any(mark in text for mark in _SYNTAX):
        return template
    return template.render()[:MAX_OUTPUT]


class CompiledFlowTemplates:
    """Compiled templates and expressions of one flow version, compiled on first use then cached."""

    def __init__(self) -> None:
        self._templates: dict[str, Template | str] = {}
        self._expressions: dict[str, Any] = {}

    def render(self, source: str, variables: Mapping[str, Any]) -> str:
        """Render a text template; raise :class:`TemplateError` on any failure."""
        template = self._templates.get(source)
        if template is None:
            template = self._templates[source] = _compile(source)
        if isinstance(template, str):  # no Jinja syntax: the text was rendered once, when compiled
            return template
        try:
            out = template.render(variables)
        except (SecurityError, UndefinedError, TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateError(f"template failed: {exc}") from None
        except Exception as exc:
            raise TemplateError(f"template failed: {type(exc).__name__}: {exc}") from None
        return out[:MAX_OUTPUT]

    def evaluate(self, source: str, variables: Mapping[str, Any]) -> Any:
        """Evaluate an expression to a Python value; raise :class:`TemplateError` on failure."""
        expr = self._expressions.get(source)
        if expr is None:
            try:
                expr = ENV.compile_expression(
                    translate_aliases(source, expression=True), undefined_to_none=True
                )
            except TemplateSyntaxError as exc:
                raise TemplateError(f"expression does not parse: {exc.message}") from None
            self._expressions[source] = expr
        try:
            return expr(**variables)
        except Exception as exc:
            raise TemplateError(f"expression failed: {type(exc).__name__}: {exc}") from None
