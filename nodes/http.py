"""``http``: call a business API with a JSON body and map the answer into variables (seed: 接口调用).

The node builds the request and waits; the runtime's HTTP caller performs every attempt and
answers with one ``HttpResult``. A request whose templates fail to render is not sent at all:
it counts as a failed call (defaults, then ``on_error``), because half-rendered data in a
business system is worse than no call.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from chatflow.engine.effects import CallHttp, Effect, HttpRequest, Outcome, SetVars
from chatflow.engine.errors import TemplateError
from chatflow.engine.events import HttpResult
from chatflow.engine.node import Model, NodeBase, NodeRef, Target, Text
from chatflow.engine.yamlsource import walk
from chatflow.nodes._outcome import log_failure, render_strict, stay

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.events import Event


class OutputMapping(Model):
    """Where in the JSON answer a variable's value is, and its value when absent."""

    path: str = Field(min_length=1)
    """Path into the JSON answer: ``data.items[0].name`` (``items.0`` and ``items[-1]`` too)."""
    default: Any = None
    """Value when the call fails, or the path is absent or ``null`` in the answer."""

    @field_validator("path")
    @classmethod
    def _path_parses(cls, value: str) -> str:
        parse_path(value)
        return value


class HttpNode(NodeBase):
    """Call an HTTP API; on failure continue with the defaults (or at ``on_error``)."""

    type: Literal["http"]
    url: str = Field(min_length=1)
    """Template of the URL (``https://crm.example.com/score?phone={{ phone }}``)."""
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    """HTTP method."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Request headers; values are templates."""
    body: dict[str, Any] | None = None
    """JSON body; every string inside is a template (``{"phone": "{{ phone }}"}``)."""
    timeout: float = Field(default=5, gt=0, le=60)
    """Seconds to wait for an answer, per attempt."""
    max_errors: int = Field(default=1, ge=1, le=10)
    """Attempts before giving up (1 = no retry); retries back off and keep one Idempotency-Key."""
    outputs: dict[str, OutputMapping] = Field(default_factory=dict)
    """Variables to set from the JSON answer: ``{score: {path: Score, default: 0}}``."""
    next: NodeRef
    """Node to continue at (also after a failure when there is no ``on_error``)."""
    on_error: NodeRef | None = None
    """Node to continue at when every attempt failed (the outputs get their defaults first)."""

    example = """\
lookup:
  type: http
  url: https://crm.example.com/fetchVariables
  body: {Phonenumber: "{{ phone }}", SessionId: "${SystemSessionId}"}
  outputs:
    score: {path: Score, default: 0}
  next: route
  on_error: sorry
"""

    def targets(self) -> list[Target]:
        out = [Target(("next",), self.next, "ok" if self.on_error else "")]
        if self.on_error:
            out.append(Target(("on_error",), self.on_error, "error"))
        return out

    def templates(self) -> list[Text]:
        out = [Text(("url",), self.url)]
        out += [Text(("headers", k), v) for k, v in self.headers.items()]
        out += [Text(path, s) for path, s in walk(self.body, ("body",)) if isinstance(s, str)]
        return out

    def assigns(self) -> list[str]:
        return list(self.outputs)

    def enter(self, ctx: NodeContext) -> Outcome:
        """Send the rendered request and wait for its one ``HttpResult``."""
        try:
            request = self.request(ctx)
        except TemplateError as exc:
            log_failure(ctx, "node.http_not_sent", exc)
            return self._failed()
        return Outcome.wait(CallHttp(request))

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        if not isinstance(event, HttpResult):
            return stay(ctx)
        ok = event.error is None and event.status is not None and 200 <= event.status < 300
        if not ok:
            return self._failed()
        values = {
            var: lookup(event.body, out.path, out.default) for var, out in self.outputs.items()
        }
        return Outcome.go(self.next, *_set(values))

    def request(self, ctx: NodeContext) -> HttpRequest:
        """The rendered request; raises ``TemplateError`` when a template fails.

        The idempotency key is the session id, the node id and a nonce from the session's seeded
        randomness: unique per visit of the node, the same on replay, and kept by every retry.
        """
        nonce = ctx.choice(_NONCES)
        return HttpRequest(
            method=self.method,
            url=render_strict(ctx, self.url).strip(),
            headers={k: _one_line(render_strict(ctx, v)) for k, v in self.headers.items()},
            json=_render_body(ctx, self.body),
            timeout=self.timeout,
            max_errors=self.max_errors,
            idempotency_key=f"{ctx.session_id}:{ctx.node_id}:{nonce:016x}",
        )

    def _failed(self) -> Outcome:
        defaults = {var: out.default for var, out in self.outputs.items()}
        return Outcome.go(self.on_error or self.next, *_set(defaults))


_NONCES = range(2**62)


def _set(values: dict[str, Any]) -> tuple[Effect, ...]:
    return (SetVars(values),) if values else ()


def _one_line(value: str) -> str:
    """Header values are one line: a CR or LF from a variable must not start a new header."""
    return " ".join(value.splitlines()).strip()


def _render_body(ctx: NodeContext, value: Any) -> Any:
    """Every string inside is rendered; numbers, booleans, null and keys stay as written."""
    if isinstance(value, str):
        return render_strict(ctx, value)
    if isinstance(value, dict):
        return {k: _render_body(ctx, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_body(ctx, v) for v in value]
    return value


_PATH = re.compile(r"(?:[^.\[\]]+|\[-?[0-9]+\])(?:\.[^.\[\]]+|\[-?[0-9]+\])*")
_STEP = re.compile(r"\[(-?[0-9]+)\]|([^.\[\]]+)")


def parse_path(path: str) -> tuple[str | int, ...]:
    """``data.items[0].name`` -> ``("data", "items", 0, "name")``; ValueError when malformed."""
    if not _PATH.fullmatch(path):
        raise ValueError(
            f"{path!r} is not a path into JSON; write names joined by dots with list "
            "indexes in brackets, like data.items[0].name"
        )
    return tuple(int(index) if index else name for index, name in _STEP.findall(path))


def lookup(document: Any, path: str, default: Any = None) -> Any:
    """The value at ``path`` in a JSON document, or ``default`` when absent or null.

    A name made of digits also indexes a list (``items.0``), as many API docs write it.
    """
    current = document
    for step in parse_path(path):
        if isinstance(step, str) and isinstance(current, dict):
            if step not in current:
                return default
            current = current[step]
            continue
        if isinstance(step, str):
            if not (isinstance(current, list) and re.fullmatch(r"-?[0-9]+", step)):
                return default
            step = int(step)
        if not isinstance(current, list) or not -len(current) <= step < len(current):
            return default
        current = current[step]
    return default if current is None else current
