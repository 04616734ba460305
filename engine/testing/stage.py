"""The offline stage a scripted conversation plays on, shared by ``chatflow test`` and Try.

:class:`Stage` runs one session of a flow on the in-memory twins: the memory store, a frozen
clock, HTTP mocks (:class:`~chatflow.engine.httpcall.MockCaller`) and simulated agents. The
runner (:mod:`~chatflow.engine.testing.runner`) plays a test file's steps on it and the editor's
Try (:mod:`~chatflow.engine.testing.trial`) a designer's, so both play a flow the same way and a
try saved as a test replays as it ran. Effects and timers fail quietly (they log), so the stage
captures the warnings and errors the engine logs while it plays, and only its own: a server may
run other sessions beside a try.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar, Token
from datetime import datetime
from types import TracebackType
from typing import Any

from chatflow.engine.clock import FrozenClock
from chatflow.engine.errors import ChatflowError
from chatflow.engine.events import VisitorText
from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.httpcall import MockCaller
from chatflow.engine.language import FlowLanguage
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.testfile import HttpMock, Step
from chatflow.engine.testing.agents import SimulatedAgents
from chatflow.engine.testing.conversation import Conversation, Mismatch, TimerLoop

logger = logging.getLogger("chatflow.engine.testing")

SESSION_ID = "test-session"
"""Every stage's session id: the seeded randomness (``random`` replies) depends on it, so a
conversation draws the same replies whatever runs before it, in a test as in a try."""

OPENING = "test:opening"
"""The event key of a test's opening message (the steps' keys are ``test:1``, ``test:2``...)."""

_PLAYING: ContextVar[Stage | None] = ContextVar("chatflow_testing_stage", default=None)
"""The stage the running task plays on: whose log records a :class:`Captured` keeps."""


class Captured(logging.Handler):
    """Warnings and errors the engine logs while one stage plays (its task and the tasks it
    starts; the context variable tells them from other sessions' records)."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(logging.WARNING)
        self.stage = stage
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if _PLAYING.get() is self.stage:
            self.records.append(record)


class Stage:
    """One session of a flow on in-memory twins; use it as ``async with Stage(...) as stage``."""

    def __init__(
        self,
        language: FlowLanguage,
        flow: LoadedFlow,
        text: str,
        *,
        start: datetime,
        mocks: Sequence[HttpMock] = (),
        groups_online: Iterable[str] | None = None,
    ) -> None:
        self.flow = flow
        self.text = text
        self.clock = FrozenClock(start)
        self.http = MockCaller(mocks)
        self.agents = SimulatedAgents(groups_online)
        self.runtime = Runtime(
            MemoryStore(), language, clock=self.clock, http=self.http, handoff=self.agents
        )
        self.runtime.flows.remember(flow)
        self.agents.bind(self.runtime)
        self.conversation = Conversation(self.runtime, self.clock, self.agents, SESSION_ID)
        self.captured = Captured(self)
        self.played = 0
        """Steps played, the last one that did not hold included (0: the start)."""
        self.ends: list[int] = []
        """Frames there were after the start and after each step that held, in order."""
        self._entered: Token[Stage | None] | None = None

    async def __aenter__(self) -> Stage:
        self._entered = _PLAYING.set(self)
        logging.getLogger("chatflow").addHandler(self.captured)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        logging.getLogger("chatflow").removeHandler(self.captured)
        if self._entered is not None:
            _PLAYING.reset(self._entered)
        await self.runtime.aclose()

    async def play(
        self, steps: Sequence[Step], variables: Mapping[str, Any], opening: str | None = None
    ) -> Mismatch | None:
        """Start the flow with ``variables``, then play ``steps`` in order; None when all held.

        ``opening`` is a visitor message that opens the conversation, started on it the way the
        webhook/IM channel starts one (:class:`~chatflow.engine.events.Start`'s ``opening``):
        the visitor's first line, ``sys.last_input``, nobody's answer.

        The first step that does not hold stops the play (:attr:`played` says which), and so do
        an error the engine logs, a ``ChatflowError`` and a runaway timer. Any other exception is
        a bug: logged, and reported as a crash of the step so the caller can go on.
        """
        index = 0
        try:
            try:
                version = await self.runtime.store.put_flow_version(self.flow.id, self.text)
                await self.runtime.start(
                    self.flow.id,
                    version=version,
                    variables=variables,
                    session_id=SESSION_ID,
                    opening=None if opening is None else VisitorText(OPENING, opening),
                )
                await self.conversation.settle()
                mismatch = self._held(index)
                while mismatch is None and index < len(steps):
                    index += 1
                    mismatch = await self.conversation.step(steps[index - 1])
                    mismatch = mismatch or self._held(index)
            except (ChatflowError, TimerLoop) as exc:
                mismatch = Mismatch(what(index), [f"the flow failed: {exc}"])
            except Exception as exc:  # a bug: report it on this play, let the caller go on
                logger.exception("testing.crashed", extra={"flow_id": self.flow.id, "step": index})
                mismatch = Mismatch(what(index), [f"crashed: {type(exc).__name__}: {exc}"])
        finally:
            self.played = index
        if mismatch is not None:
            await self.conversation.read()
        return mismatch

    def _held(self, index: int) -> Mismatch | None:
        """The logged errors as a mismatch of the step; else note where its frames end."""
        errors = [r for r in self.captured.records if r.levelno >= logging.ERROR]
        if errors:
            return Mismatch(what(index), [f"the flow failed: {record_text(r)}" for r in errors])
        self.ends.append(len(self.conversation.frames))
        return None


def what(index: int) -> str:
    """What was expected of step ``index`` (1-based; 0 is the flow's start)."""
    return "the step to run" if index else "the flow to start"


def record_text(record: logging.LogRecord) -> str:
    """A captured log record in one line, with the error it carries."""
    text = record.getMessage()
    detail = getattr(record, "error", None)
    return f"{text}: {detail}" if detail else text
