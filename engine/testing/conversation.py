"""One running conversation test: the steps of a ``*.test.yaml`` played against a runtime.

:class:`Conversation` turns each :class:`~chatflow.engine.testfile.Step` into events for the
runtime (visitor, agent, clock) or into a check of what the flow said and where the session is.
A step that does not hold returns a :class:`Mismatch` (what was expected, what came instead);
the runner (:mod:`~chatflow.engine.testing.runner`) adds the place and the transcript.

Time only moves on ``wait``: the clock jumps from one due timer to the next, so every timer
fires at its own due time (``sys.now`` in an idle message is the moment it fired), and what a
timer causes (an HTTP call, a queue event) settles before the next one fires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import Choice, Event, Rating, VisitorEnded, VisitorText
from chatflow.engine.frames import Frame
from chatflow.engine.runtime import Runtime
from chatflow.engine.session import Session
from chatflow.engine.stores.base import MAX_READ
from chatflow.engine.testfile import Expectation, Step
from chatflow.engine.testing.agents import SimulatedAgents
from chatflow.engine.testing.transcript import (
    frame_lines,
    is_output,
    output_texts,
    outputs_lines,
)

TIMER_ROUNDS = 10_000
"""Timer firings one ``wait`` may cause before the test is stopped as a runaway timer loop."""

_MISSING = object()


@dataclass(frozen=True)
class Mismatch:
    """A step that did not hold: what it expected and what was found instead (lines)."""

    expected: str
    got: list[str]


class Conversation:
    """The session of one test, driven step by step; see the module docstring."""

    def __init__(
        self, runtime: Runtime, clock: FrozenClock, agents: SimulatedAgents, session_id: str
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.agents = agents
        self.session_id = session_id
        self.frames: list[Frame] = []
        """Every frame of the session's output log read so far."""
        self.cursor = 0
        """Index in :attr:`frames` just after the last output a ``bot`` step matched."""
        self._keys = 0

    # -- driving the runtime ---------------------------------------------------------------------

    async def settle(self) -> None:
        """Let effects finish and timers already due fire; then read the new frames."""
        await self.advance(0)

    async def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` on, firing each timer at its due time on the way."""
        target = self.clock.now() + timedelta(seconds=seconds)
        await self.runtime.drain()
        for _round in range(TIMER_ROUNDS):
            due = await self.runtime.store.due_timers(target, 1)
            if not due:
                break
            if due[0].due > self.clock.now():
                self.clock.set(due[0].due)
            fired = await self.runtime.fire_due_timers()
            await self.runtime.drain()
            if not fired:
                break  # the timer's session failed; the runner reports the logged error
        else:
            raise TimerLoop(f"timers fired {TIMER_ROUNDS} times within one wait")
        if target > self.clock.now():
            self.clock.set(target)
        await self.read()

    async def read(self) -> None:
        """Append the frames logged since the last read."""
        while True:
            new = await self.runtime.outputs(self.session_id, after=len(self.frames))
            self.frames.extend(new)
            if len(new) < MAX_READ:
                return

    def key(self) -> str:
        self._keys += 1
        return f"test:{self._keys}"

    async def send(self, event: Event, what: str) -> Mismatch | None:
        """Apply an event; a session that ignores it (ended, not with an agent) fails the step."""
        applied = await self.runtime.apply(self.session_id, event)
        if not applied:
            session = await self.runtime.get(self.session_id)
            return Mismatch(what, [f"the session ignored it: {describe(session)}"])
        await self.settle()
        return None

    # -- the steps -------------------------------------------------------------------------------

    async def step(self, step: Step) -> Mismatch | None:
        """Play one step; None when it held."""
        if step.bot is not None:
            part = step.bot
            return self.match(f"an output containing {shown(part)}", lambda t: part in t)
        if step.bot_exact is not None:
            whole = step.bot_exact
            return self.match(f"an output that is exactly {shown(whole)}", lambda t: t == whole)
        if step.bot_regex is not None:
            pattern = re.compile(step.bot_regex)
            return self.match(
                f"an output matching /{step.bot_regex}/", lambda t: bool(pattern.search(t))
            )
        if step.user is not None:
            return await self.send(
                VisitorText(self.key(), step.user), f"the visitor to send {shown(step.user)}"
            )
        if step.choice is not None:
            return await self.choose(step.choice)
        if step.wait is not None:
            await self.advance(step.wait)
            return None
        if step.expect is not None:
            return self.check(step.expect, await self.runtime.get(self.session_id))
        if step.agent_joins is not None:
            joins = self.agents.joins(
                self.session_id, step.agent_joins.staff_no, step.agent_joins.nickname
            )
            return await self.send(joins, f"agent {joins.staff_no} {joins.nickname} to join")
        if step.agent is not None:
            return await self.send(
                self.agents.says(self.session_id, step.agent),
                f"the agent to send {shown(step.agent)}",
            )
        if step.agent_ends:
            return await self.send(
                self.agents.ends(self.session_id), "the agent to end the service"
            )
        if step.visitor_ends:
            return await self.send(
                VisitorEnded(self.key()), "the visitor to close the conversation"
            )
        if step.rate is not None:
            return await self.send(
                Rating(self.key(), step.rate), f"the visitor to rate {step.rate}"
            )
        return None  # `agent_ends: false` / `visitor_ends: false` (refused when the test loads)

    def match(self, expected: str, test: Callable[[str], bool]) -> Mismatch | None:
        """Find the first output since the last match that passes ``test``; move past it."""
        for index in range(self.cursor, len(self.frames)):
            frame = self.frames[index]
            if is_output(frame) and any(test(text) for text in output_texts(frame)):
                self.cursor = index + 1
                return None
        got = outputs_lines(self.frames[self.cursor :]) or ["no output since the last matched one"]
        if self.cursor:
            first, *more = frame_lines(self.frames[self.cursor - 1])
            got.append(f"(the last matched output: {first}{' ...' if more else ''})")
        return Mismatch(f"{expected} after the last matched one", got)

    async def choose(self, label: str) -> Mismatch | None:
        """Click an option button: it must be one the flow offered since the visitor last spoke."""
        offered = self.options_on_offer()
        if label not in offered:
            listed = " | ".join(offered)
            return Mismatch(
                f"an option button {shown(label)}",
                [f"options on offer: {listed}" if offered else "no option buttons on offer"],
            )
        return await self.send(Choice(self.key(), label), f"the visitor to choose {shown(label)}")

    def options_on_offer(self) -> list[str]:
        for frame in reversed(self.frames):
            if frame.type == "message" and frame.sender == "visitor":
                break
            options = frame.body.get("options") if frame.type == "message" else None
            if options:
                return [str(o) for o in options]
        return []

    def check(self, expect: Expectation, session: Session) -> Mismatch | None:
        """Compare the session with an ``expect`` step; every difference is listed."""
        wanted: list[str] = []
        got: list[str] = []
        if expect.node is not None and session.node != expect.node:
            wanted.append(f"node {expect.node}")
            got.append(f"node {session.node}")
        for name, value in (expect.vars or {}).items():
            actual = session.variables.get(name, _MISSING)
            if actual is _MISSING or not same(actual, value):
                wanted.append(f"{name} = {shown(value)}")
                got.append(
                    f"{name} is not set" if actual is _MISSING else f"{name} = {shown(actual)}"
                )
        if expect.queued is not None and not (
            session.status == "queued" and session.queue_group == expect.queued.group
        ):
            wanted.append(f"queued for group {expect.queued.group}")
            got.append(describe(session))
        if expect.ended is not None and session.ended != expect.ended:
            wanted.append("ended" if expect.ended else "not ended")
            got.append(describe(session))
        if not wanted:
            return None
        return Mismatch(", ".join(wanted), list(dict.fromkeys(got)))


class TimerLoop(Exception):
    """A ``wait`` kept firing timers (a timer that restarts itself at zero seconds)."""


def describe(session: Session) -> str:
    """Where the session is, in a few words (for "got" lines)."""
    at = f"at node {session.node}"
    if session.status == "ended":
        return f"ended (reason {session.end_reason}) {at}"
    if session.status == "queued":
        return f"queued for group {session.queue_group} {at}"
    if session.status == "with_agent":
        return f"with agent {session.sys.staff_no} {session.sys.staff_nickname} {at}"
    return f"the bot is serving {at}"


def same(actual: Any, wanted: Any) -> bool:
    """JSON equality: numbers by value (``5 == 5.0``), but ``true`` is not ``1``, ``"5"`` not 5."""
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return type(actual) is type(wanted) and actual == wanted
    if isinstance(actual, int | float) and isinstance(wanted, int | float):
        return actual == wanted
    if isinstance(actual, dict) and isinstance(wanted, dict):
        return actual.keys() == wanted.keys() and all(same(actual[k], wanted[k]) for k in actual)
    if isinstance(actual, list) and isinstance(wanted, list):
        return len(actual) == len(wanted) and all(map(same, actual, wanted))
    return type(actual) is type(wanted) and bool(actual == wanted)


def shown(value: Any) -> str:
    """A value as JSON text, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False)
