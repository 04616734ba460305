"""``POST /flows/{id}/try``: the visual editor's Try panel, a conversation with an unsaved flow.

The flow arrives as ``/check`` takes it (``yaml`` or ``document``) and is checked by the same
function: errors refuse it (``422 invalid_flow``). The steps are a conversation test's input
steps, played by :func:`chatflow.engine.testing.play` on its own memory store, frozen clock and
simulated agents, with no HTTP mocks: nothing reaches the real store, the queue, an agent or the
network, and nothing is saved. The answer shows the frames, where the session is and the try as
a ``*.test.yaml`` for ``chatflow test``. An ``opening`` starts the conversation on a visitor's
message, as a webhook/IM channel does (a test file's ``opening``). Tries and the steps they
play are rate-limited per account (:mod:`chatflow.admin_api.try_limits`).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from pydantic import AwareDatetime, Field, field_validator

from chatflow.admin_api.agent_access import services_of
from chatflow.admin_api.check_texts import word_refusal
from chatflow.admin_api.flow_upload import FlowUpload, checked_flow, upload_text
from chatflow.admin_api.problems import ApiProblem, language
from chatflow.admin_api.routes_flows import Editor, Records
from chatflow.admin_api.tenants import ApiModel, FlowId
from chatflow.admin_api.try_limits import try_limits
from chatflow.admin_api.try_texts import failure_text
from chatflow.engine.testfile import Step, opening_says_something
from chatflow.engine.testing import play
from chatflow.engine.testing.trial import MAX_STEPS, refusals
from chatflow.nodes import LANGUAGE

router = APIRouter(prefix="/api/v1/admin", tags=["flows"])


class TryRequest(FlowUpload):
    """The flow as ``/check`` takes it (``note`` is ignored), and the conversation to play."""

    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)
    """Input steps of a conversation test: ``user``, ``choice``, ``wait``, ``agent_joins``,
    ``agent``, ``agent_ends``, ``visitor_ends``, ``rate`` (waits add up to 30 days at most)."""
    now: AwareDatetime | None = None
    """When the conversation starts (default: the server's time); the clock moves on ``wait``."""
    vars: dict[str, Any] = Field(default_factory=dict)
    """Variables set at the start, over the flow's ``vars``."""
    groups_online: list[str] | None = None
    """Groups with an agent online (default: every group)."""
    opening: str | None = Field(default=None, json_schema_extra={"pattern": r"\S"})
    """The visitor's message that opens the conversation, as on a webhook/IM channel: the
    visitor's first line, before the flow's first words, kept in ``sys.last_input`` and answered
    by no node (a test file's ``opening``). Absent: the flow starts on its own, as when the web
    widget opens. Blank is refused."""

    _opening = field_validator("opening")(opening_says_something)

    @field_validator("vars")
    @classmethod
    def _finite(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not _all_finite(value):
            raise ValueError("NaN and Infinity are not JSON numbers")
        return value


def _all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(map(_all_finite, value.values()))
    if isinstance(value, list):
        return all(map(_all_finite, value))
    return True


class HttpTried(ApiModel):
    """A request an HTTP node tried (no network: it failed, and the node took its error path)."""

    method: str
    url: str


class TryFailed(ApiModel):
    """The step that did not hold; the try stopped there."""

    step: int | None
    """Its index in ``steps``; null when the flow failed while starting."""
    message: str
    """What was expected and what came instead, in the language of ``Accept-Language``
    (English by default, as ``chatflow test`` prints it)."""


class TryOut(ApiModel):
    """What the try came to (nothing was saved)."""

    frames: list[dict[str, Any]]
    """The session's output log as the visitor's socket sends it."""
    transcript: list[str]
    """The frames as readable lines, as ``chatflow test`` prints them."""
    node: str | None
    """The current node; null when the session never started."""
    status: str
    """``active``, ``queued``, ``with_agent``, ``ended``, or ``not_started``."""
    vars: dict[str, Any]
    """The session's variables."""
    http_requests: list[HttpTried]
    failed: TryFailed | None
    test_yaml: str | None
    """The steps that held, each followed by a ``bot`` step per output: a ``*.test.yaml`` that
    passes ``chatflow test``; null when there is nothing to replay."""


@router.post("/flows/{flow_id}/try", response_model=TryOut)
async def try_flow(
    flow_id: FlowId,
    body: TryRequest,
    actor: Editor,
    engine: Records,
    request: Request,
    response: Response,
) -> TryOut:
    """Play input steps on a flow that need not be saved (checked like ``/check``; errors: 422
    ``invalid_flow``); an HTTP node gets no network and takes its error path. Too many tries or
    steps from the account: 429 ``throttled`` with ``Retry-After``. An ``opening`` starts the
    conversation on a visitor's message, as a webhook/IM channel does. A failed step's message is
    in the language of ``Accept-Language``."""
    refused = refusals(body.steps)
    if refused:
        errors = [
            {"path": ".".join(map(str, ["body", "steps", r.step, r.field])), "message": r.message}
            if r.step is not None
            else {"path": "body.steps", "message": r.message}
            for r in refused
        ]
        raise ApiProblem(422, "invalid_input", "these steps cannot be tried", errors=errors)
    try_limits(request.app).charge(actor.principal.account_id, len(body.steps))
    text = await upload_text(body)
    try:
        flow = await to_thread.run_sync(checked_flow, engine, actor, flow_id, text)
    except ApiProblem as exc:  # the flow's errors, worded like /check's
        word_refusal(exc, language(request))
        raise
    now = body.now or services_of(request).clock.now().replace(microsecond=0)
    # A try replays its whole conversation, up to 200 steps with their timers: on a worker
    # thread with its own event loop, so the server's loop (visitors, agents) never waits for it
    # (docs/performance.md, "Trying a flow").
    trial = await to_thread.run_sync(
        asyncio.run,
        play(
            LANGUAGE,
            flow,
            text,
            body.steps,
            now=now,
            variables=body.vars,
            groups_online=body.groups_online,
            opening=body.opening,
        ),
    )
    failed = trial.failed
    lang = language(request)
    worded = failure_text(failed, lang) if failed else ""
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return TryOut(
        frames=trial.frames,
        transcript=trial.transcript,
        node=trial.node,
        status=trial.status,
        vars=trial.variables,
        http_requests=[HttpTried(method=m, url=u) for m, u in trial.http_requests],
        failed=TryFailed(step=failed.step, message=worded) if failed else None,
        test_yaml=trial.test_yaml,
    )
