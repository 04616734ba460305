"""``http``: call a business API with a JSON body and map the answer into variables (seed: 接口调用)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from chatflow.engine.node import Model, NodeBase, Target, Text
from chatflow.engine.yamlsource import PathTuple


class OutputMapping(Model):
    """Where in the JSON answer a variable's value is, and its value when absent."""

    path: str = Field(min_length=1)
    """Path into the JSON answer: ``data.items[0].name``."""
    default: Any = None
    """Value when the call fails or the path is absent."""


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
    next: str
    """Node to continue at (also after a failure when there is no ``on_error``)."""
    on_error: str | None = None
    """Node to continue at when every attempt failed (the outputs get their defaults first)."""

    def targets(self) -> list[Target]:
        out = [Target(("next",), self.next, "ok" if self.on_error else "")]
        if self.on_error:
            out.append(Target(("on_error",), self.on_error, "error"))
        return out

    def templates(self) -> list[Text]:
        out = [Text(("url",), self.url)]
        out += [Text(("headers", k), v) for k, v in self.headers.items()]
        out += [Text(path, s) for path, s in _strings(self.body, ("body",))]
        return out

    def assigns(self) -> list[str]:
        return list(self.outputs)


def _strings(value: Any, path: PathTuple) -> Iterator[tuple[PathTuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))
