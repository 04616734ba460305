"""The conversation test file (``*.test.yaml``): a scripted conversation with expectations.

``chatflow test`` runs it against a flow with a frozen clock, HTTP mocks and simulated agents.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from chatflow.engine.node import Model


class HttpMatch(Model):
    """Which requests a mock answers."""

    url: str
    """Exact URL, or a prefix ending in ``*``."""
    method: str | None = None
    """HTTP method; any when absent."""


class HttpResponse(Model):
    """The mock's answer."""

    status: int = Field(default=200, ge=100, le=599)
    """HTTP status."""
    json_: Any = Field(default=None, alias="json")
    """JSON body."""
    body: str | None = None
    """Raw body text (use for a body that is not JSON)."""


class HttpMock(Model):
    """An HTTP mock: the first one whose ``match`` fits a request answers it."""

    match: HttpMatch
    """Which requests it answers."""
    respond: HttpResponse | None = None
    """The answer."""
    fail: Literal["timeout", "connect"] | None = None
    """Fail instead of answering: ``timeout`` or ``connect`` (refused)."""

    @model_validator(mode="after")
    def _respond_or_fail(self) -> HttpMock:
        if (self.respond is None) == (self.fail is None):
            raise ValueError("an HTTP mock needs exactly one of 'respond' or 'fail'")
        return self


class Queued(Model):
    """Expected queue state."""

    group: str
    """Skill group the session waits for."""


class Expectation(Model):
    """State the session must be in at this step; fields left out are not checked."""

    node: str | None = None
    """Current node id."""
    vars: dict[str, Any] | None = None
    """Variables that must have these values (others are not checked)."""
    queued: Queued | None = None
    """The session waits in this group's queue."""
    ended: bool | None = None
    """Whether the session has ended."""


class AgentJoins(Model):
    """A simulated agent accepts the queued session."""

    staff_no: str = "1001"
    """Staff number."""
    nickname: str = "Agent"
    """Nickname."""


EMPTY_STEP: dict[str, str] = {
    "bot": "write a text the flow says",
    "bot_exact": "write the text the flow says",
    "bot_regex": "write a regular expression the flow's words match",
    "user": "write what the visitor says",
    "choice": "write the label of the option the visitor clicks",
    "wait": "write how many seconds pass",
    "expect": "write what to check: node, vars, queued or ended",
    "agent_joins": "write {} for the default agent, or its staff_no and nickname",
    "agent": "write what the agent says",
    "agent_ends": "write 'agent_ends: true'",
    "visitor_ends": "write 'visitor_ends: true'",
    "rate": "write the score the visitor gives",
}
"""What to write in a step's field left empty (YAML reads ``user:`` with nothing as null); a
field without an entry is still refused empty, with a general hint."""


def step_field_given(value: Any, info: ValidationInfo) -> Any:
    """A step's field written with no value is refused by name, not as a step with no field."""
    if value is None:
        field = info.field_name or ""
        raise ValueError(f"{field!r} is empty; {EMPTY_STEP.get(field, 'give it a value')}")
    return value


class Step(Model):
    """One step: exactly one of its fields."""

    bot: str | None = None
    """Some flow output since the last matched one contains this text."""
    bot_exact: str | None = None
    """Some flow output since the last matched one is exactly this text."""
    bot_regex: str | None = None
    """Some flow output since the last matched one matches this regular expression."""
    user: str | None = None
    """The visitor sends this text."""
    choice: str | None = None
    """The visitor clicks the option button with this label."""
    wait: float | None = Field(default=None, ge=0)
    """Advance the frozen clock this many seconds; due timers fire."""
    expect: Expectation | None = None
    """Check the session's state."""
    agent_joins: AgentJoins | None = None
    """A simulated agent accepts the session."""
    agent: str | None = None
    """The agent sends this text."""
    agent_ends: bool | None = None
    """The agent ends the service."""
    visitor_ends: bool | None = None
    """The visitor closes the conversation."""
    rate: int | None = None
    """The visitor answers the survey with this score."""

    _given = field_validator("*", mode="before")(step_field_given)

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            names = ", ".join(type(self).model_fields)
            raise ValueError(
                f"a step needs exactly one of: {names} (got {', '.join(given) or 'none'})"
            )
        return self


def opening_says_something(value: str | None) -> str | None:
    """An ``opening`` is refused empty and blank alike (the schema's ``pattern`` says the same to
    an editor); the editor's Try checks its ``opening`` with this too."""
    if value is not None and not value.strip():
        raise ValueError(
            "'opening' must not be blank: write the visitor's first message, or leave "
            "'opening' out to start the flow on its own"
        )
    return value


class ConversationTest(Model):
    """One conversation test."""

    flow: str
    """Flow id (looked up beside the test file, then in ``flows/``) or a path to a flow file."""
    name: str | None = None
    """What the test shows."""
    now: str = "2026-11-23T10:00:00+08:00"
    """Frozen start time, ISO 8601 with offset."""
    vars: dict[str, Any] = Field(default_factory=dict)
    """Initial variable overrides."""
    groups_online: list[str] | None = None
    """Groups with an agent online (default: every group)."""
    http: list[HttpMock] = Field(default_factory=list)
    """HTTP mocks; an unmocked request fails like a refused connection."""
    opening: str | None = Field(default=None, json_schema_extra={"pattern": r"\S"})
    """The visitor's message that opens the conversation, as on a webhook/IM channel: recorded
    as the visitor's first line before the flow's first words and kept in ``sys.last_input``,
    but no node takes it as an answer (an interrupt phrase in it still jumps, after the
    welcome). Absent: the flow starts on its own, as when the web widget opens."""
    steps: list[Step] = Field(min_length=1)
    """The conversation."""

    _opening = field_validator("opening")(opening_says_something)
