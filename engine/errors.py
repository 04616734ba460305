"""The one error root of chatflow.

Everything chatflow raises on purpose derives from :class:`ChatflowError`; the API maps the tree
to RFC 9457 problem+json in one place (``admin_api``)::

    ChatflowError
    ├── DefinitionError          a flow, config or test file is wrong (found before running)
    │   └── LoadError            the YAML itself cannot be read (syntax, duplicate key, too big)
    └── RuntimeFlowError         something went wrong while a session ran
        ├── StepLimitError       an event chained through too many nodes without waiting
        ├── TemplateError        a template or expression failed at run time
        ├── StoreConflict        a compare-and-set on a session version lost the race
        └── NotFoundError        no such session or flow version in the store
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a file, at its place (``line`` and ``column`` are 1-based; 0 when
    not known: a file that does not exist or cannot be read)."""

    message: str
    path: str = ""
    line: int = 0
    column: int = 0
    severity: str = "error"
    json_path: str = ""
    code: str = ""

    def format(self) -> str:
        """``path:line:column: severity: message [json.path]``; a place not known is left out
        (``path: error: ...``), never written as ``0:0``."""
        where = self.path or "<input>"
        if self.line:
            where += f":{self.line}" + (f":{self.column}" if self.column else "")
        suffix = f" [{self.json_path}]" if self.json_path else ""
        return f"{where}: {self.severity}: {self.message}{suffix}"


class ChatflowError(Exception):
    """Root of every error chatflow raises on purpose; carries flow and node ids when known."""

    def __init__(self, message: str, *, flow_id: str = "", node_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.flow_id = flow_id
        self.node_id = node_id

    def __str__(self) -> str:
        where = ""
        if self.flow_id:
            where = f"flow {self.flow_id!r}"
            if self.node_id:
                where += f", node {self.node_id!r}"
            where = f" ({where})"
        return f"{self.message}{where}"


class DefinitionError(ChatflowError):
    """A flow, deployment config or test file is invalid; ``problems`` lists every problem found."""

    def __init__(self, message: str, problems: list[Problem] | None = None, **ids: str) -> None:
        super().__init__(message, **ids)
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        lines = [super().__str__()] + ["  " + p.format() for p in self.problems]
        return "\n".join(lines)


class LoadError(DefinitionError):
    """The YAML text cannot be read: syntax, duplicate keys, aliases or size over the bounds."""


class RuntimeFlowError(ChatflowError):
    """Something went wrong while a session ran its flow."""


class StepLimitError(RuntimeFlowError):
    """One event chained through more nodes than the step limit without waiting for input."""


class TemplateError(RuntimeFlowError):
    """A template or expression failed to render or evaluate at run time."""


class StoreConflict(RuntimeFlowError):
    """A session was saved by someone else since it was read (compare-and-set lost)."""


class NotFoundError(RuntimeFlowError):
    """The session or flow version asked for is not in the store."""
