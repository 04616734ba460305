"""The visual editor's Try: play a designer's input steps on a flow and show what happened.

:func:`play` runs the flow on the same :class:`~chatflow.engine.testing.stage.Stage` as
``chatflow test``, with no HTTP mocks (so no network: an HTTP node's request fails as in a test
without mocks, and the node takes its error path), and answers a :class:`Trial`: the frames, the
transcript, where the session is, the HTTP requests and the step that failed. :func:`as_test`
writes the try as a ``*.test.yaml`` that checks every output, for ``chatflow test`` in CI.

Only input steps play (what the visitor, the agents and the clock do); a try checks nothing, so
``bot`` and ``expect`` steps are refused. The work is bounded: :data:`MAX_STEPS` steps, and
waits that add up to :data:`MAX_WAIT` seconds; ``TIMER_ROUNDS`` stops a runaway timer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from chatflow.engine.errors import NotFoundError
from chatflow.engine.flow import FlowBase
from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.flowdump import dump_flow
from chatflow.engine.frames import Frame
from chatflow.engine.language import FlowLanguage
from chatflow.engine.session import Session
from chatflow.engine.stores.base import content_version
from chatflow.engine.testfile import Step
from chatflow.engine.testing.stage import SESSION_ID, Stage
from chatflow.engine.testing.transcript import is_output, output_texts, transcript

MAX_STEPS = 200
"""Steps one try plays at most."""
MAX_WAIT = 30 * 24 * 3600
"""Seconds the ``wait`` steps of one try add up to at most (30 days)."""

INPUTS = ("user", "choice", "wait", "agent_joins", "agent", "agent_ends", "visitor_ends", "rate")
"""The steps a try plays: what the visitor, the agents and the clock do."""


@dataclass(frozen=True)
class Refusal:
    """Why a try will not play its steps: which step (None: the steps as a whole) and field."""

    step: int | None
    field: str | None
    message: str

    def text(self) -> str:
        return self.message if self.step is None else f"step {self.step}: {self.message}"


@dataclass(frozen=True)
class Failed:
    """The step that did not hold."""

    step: int | None
    """Its index in the steps; None when the flow failed while starting."""
    message: str
    """``expected <expected>; got <got, joined with " / ">``, in English."""
    expected: str = ""
    """What the step was to do (:class:`~chatflow.engine.testing.conversation.Mismatch`)."""
    got: tuple[str, ...] = ()
    """What came instead, line by line (the editor words each in its page's language)."""


@dataclass(frozen=True)
class Trial:
    """What a try came to."""

    frames: list[dict[str, Any]]
    """The session's output log as the visitor's socket sends it (``Frame.to_json``)."""
    transcript: list[str]
    """The frames as ``chatflow test`` prints them."""
    node: str | None
    """The session's current node; None when it never started."""
    status: str
    """``active``, ``queued``, ``with_agent``, ``ended``, or ``not_started``."""
    variables: dict[str, Any]
    http_requests: list[tuple[str, str]]
    """``(METHOD, url)`` of every request the flow tried (each retry too), none answered."""
    failed: Failed | None
    test_yaml: str | None
    """The steps that held as a ``*.test.yaml`` (:func:`as_test`); None when none held and the
    start said nothing, since a test needs a step."""


def step_kind(step: Step) -> str:
    """The one field a step sets."""
    return next(name for name in type(step).model_fields if getattr(step, name) is not None)


def refusals(steps: Sequence[Step]) -> list[Refusal]:
    """Every reason the steps cannot be tried: too many, a check, a no-op, too long a wait."""
    found: list[Refusal] = []
    if len(steps) > MAX_STEPS:
        found.append(
            Refusal(None, None, f"a try plays at most {MAX_STEPS} steps, not {len(steps)}")
        )
    waited = 0.0
    for index, step in enumerate(steps):
        kind = step_kind(step)
        if kind not in INPUTS:
            found.append(
                Refusal(
                    index,
                    kind,
                    f"'{kind}' checks the flow, and a try only plays what the visitor, the agents "
                    f"and the clock do ({', '.join(INPUTS)}); save the try as a test to check it",
                )
            )
        elif getattr(step, kind) is False:
            found.append(
                Refusal(index, kind, f"'{kind}: false' does nothing; send true or leave it out")
            )
        elif step.wait is not None:
            before, waited = waited, waited + step.wait
            if before <= MAX_WAIT < waited:
                found.append(
                    Refusal(
                        index,
                        kind,
                        f"the waits add up to {_seconds(waited)} seconds here; a try moves "
                        f"the clock at most {MAX_WAIT} seconds (30 days)",
                    )
                )
    return found


async def play(
    language: FlowLanguage,
    flow: FlowBase,
    text: str,
    steps: Sequence[Step],
    *,
    now: datetime,
    variables: Mapping[str, Any],
    groups_online: Sequence[str] | None,
    opening: str | None = None,
) -> Trial:
    """Start ``flow`` (parsed from ``text``) at ``now`` (aware) and play ``steps`` until one fails.

    ``groups_online`` None means every group has an agent online. ``opening`` is a visitor
    message that opens the conversation, as on a webhook/IM channel (a test file's ``opening``,
    :meth:`Stage.play <chatflow.engine.testing.stage.Stage.play>`). Steps :func:`refusals`
    lists are a ``ValueError``; so is a naive ``now``.
    """
    refused = refusals(steps)
    if refused:
        raise ValueError("; ".join(r.text() for r in refused))
    loaded = LoadedFlow.build(flow, content_version(text))
    async with Stage(language, loaded, text, start=now, groups_online=groups_online) as stage:
        mismatch = await stage.play(steps, variables, opening)
        try:
            session = await stage.runtime.get(SESSION_ID)
        except NotFoundError:
            session = None
    frames = stage.conversation.frames
    failed = None
    if mismatch is not None:
        got = " / ".join(mismatch.got)
        failed = Failed(
            stage.played - 1 if stage.played else None,
            f"expected {mismatch.expected}; got {got}",
            mismatch.expected,
            tuple(mismatch.got),
        )
    bounds = [0, *stage.ends]
    turns = [frames[start:end] for start, end in pairwise(bounds)]
    test_yaml = None
    if turns and (len(turns) > 1 or any(_bot_texts(turns[0]))):
        held = steps[: len(turns) - 1]
        # where the conversation got to, when every step held (after a failure it is elsewhere)
        final = _where(session) if failed is None and session is not None else None
        test_yaml = as_test(
            flow.id,
            held,
            turns,
            now=now,
            variables=variables,
            groups_online=groups_online,
            expect=final,
            opening=opening,
        )
    return Trial(
        frames=[frame.to_json() for frame in frames],
        transcript=transcript(frames),
        node=session.node if session else None,
        status=session.status if session else "not_started",
        variables=dict(session.variables) if session else {},
        http_requests=[(r.method.upper(), r.url) for r in stage.http.requests],
        failed=failed,
        test_yaml=test_yaml,
    )


def as_test(
    flow_id: str,
    steps: Sequence[Step],
    turns: Sequence[Sequence[Frame]],
    *,
    now: datetime,
    variables: Mapping[str, Any],
    groups_online: Sequence[str] | None,
    expect: Mapping[str, Any] | None = None,
    opening: str | None = None,
) -> str:
    """A ``*.test.yaml`` text that replays ``steps`` and checks every output in order.

    ``turns[0]`` are the frames the start led to and ``turns[i + 1]`` those of ``steps[i]``;
    each output becomes a ``bot`` step after the step that made it; ``expect``, when given, is
    the last step (where the conversation must be); ``opening``, when given, is the test's
    ``opening`` (its frame is in ``turns[0]``, and no ``bot`` step matches it). A
    ``ValueError`` when the test would have no step (nothing played and nothing said).
    """
    if len(turns) != len(steps) + 1:
        raise ValueError(f"{len(steps)} steps need {len(steps) + 1} turns, not {len(turns)}")
    played: list[dict[str, Any]] = [{"bot": text} for text in _bot_texts(turns[0])]
    for step, turn in zip(steps, turns[1:], strict=True):
        played.append(_step_data(step))
        played += [{"bot": text} for text in _bot_texts(turn)]
    if not played:
        raise ValueError("nothing to replay: no step, and the flow said nothing")
    if expect:
        played.append({"expect": dict(expect)})
    document: dict[str, Any] = {"flow": flow_id, "now": now.isoformat()}
    if variables:
        document["vars"] = dict(variables)
    if groups_online is not None:
        document["groups_online"] = list(groups_online)
    if opening is not None:
        document["opening"] = opening
    document["steps"] = played
    return (
        "# yaml-language-server: $schema=../schemas/flow-test.schema.json\n"
        "# Saved from a try in the flow editor: its steps, and what the flow said after each.\n"
        + dump_flow(document)
    )


def _where(session: Session) -> dict[str, Any]:
    """An ``expect`` of the session's node, whether it ended, and the queue it waits in."""
    where: dict[str, Any] = {"node": session.node}
    if session.status == "queued" and session.queue_group:
        where["queued"] = {"group": session.queue_group}
    where["ended"] = session.ended
    return where


def _bot_texts(frames: Sequence[Frame]) -> list[str]:
    """What a ``bot`` step matches of each output (a message's text, else its bracketed line)."""
    texts = (output_texts(frame)[0] for frame in frames if is_output(frame))
    return [text for text in texts if text.strip()]


def _step_data(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = step.model_dump(exclude_none=True)
    if isinstance(step.wait, float) and step.wait.is_integer():
        data["wait"] = int(step.wait)
    return data


def _seconds(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
