"""Conversation tests (``*.test.yaml``) run in-process: the engine half of ``chatflow test``.

A test plays a scripted conversation against a flow with a frozen clock, HTTP mocks, simulated
agents and the memory store, and checks what the flow says and where the session is. The CLI
(``admin_api/commands/test.py``) and ``chatflow chat`` are thin layers over this package.
"""

from __future__ import annotations

from chatflow.engine.testing.agents import SimulatedAgents
from chatflow.engine.testing.conversation import Conversation, Mismatch
from chatflow.engine.testing.report import CaseResult, Failure, RunReport
from chatflow.engine.testing.runner import ConversationRunner, PreparedTest
from chatflow.engine.testing.transcript import frame_lines, transcript
from chatflow.engine.testing.trial import Failed, Trial, as_test, play

__all__ = [
    "CaseResult",
    "Conversation",
    "ConversationRunner",
    "Failed",
    "Failure",
    "Mismatch",
    "PreparedTest",
    "RunReport",
    "SimulatedAgents",
    "Trial",
    "as_test",
    "frame_lines",
    "play",
    "transcript",
]
