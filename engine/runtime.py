"""The runtime: sessions in a store, events applied one at a time and exactly once, effects after.

It wraps the pure interpreter (``engine.interpreter``) with what needs I/O:

* ``start`` creates a session pinned to the flow's latest version and enters its ``start`` node;
* ``deliver`` applies one event under a per-session asyncio lock (in-process order) and saves
  with a compare-and-set on the session version (across processes), retrying on conflict; a
  repeated idempotency key is ignored;
* the new state and its output frames are saved first, in one write; only then are effects
  performed, in order per session, by a small worker: HTTP calls (through the injected
  :class:`~chatflow.engine.effects.HttpCaller`, answered by an ``HttpResult`` event) and queue
  hand-offs (:class:`~chatflow.engine.handoff.Handoff`); agents read what the visitor says
  from the output log, as the visitor's own socket does;
* ``fire_due_timers`` turns the store's due-time index into ``TimerFired`` events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from chatflow.engine.clock import Clock, SystemClock
from chatflow.engine.effects import (
    Effect,
    Enqueue,
    HttpCaller,
    HttpReply,
    LeaveQueue,
)
from chatflow.engine.errors import ChatflowError, NotFoundError, StoreConflict
from chatflow.engine.events import Choice, Event, HttpResult, Start, TimerFired, VisitorText
from chatflow.engine.flowcache import FlowCache, LoadedFlow
from chatflow.engine.frames import Frame
from chatflow.engine.handoff import Handoff, QueueHold
from chatflow.engine.interpreter import DEFAULT_STEP_LIMIT, PerformHttp, Transition, apply_event
from chatflow.engine.language import FlowLanguage
from chatflow.engine.locks import KeyedLocks
from chatflow.engine.session import Session, SysValues
from chatflow.engine.stores.base import FORGET_BATCH, MAX_READ, SessionStore

logger = logging.getLogger("chatflow.engine.runtime")

CONFLICT_RETRIES = 50
"""Times an event is re-applied on a fresh copy after losing a compare-and-set."""
HOT_SESSIONS = 4_096
"""Sessions this runtime saved last, kept in memory so the next event skips loading and parsing
them (least recently used dropped first). A kept copy is only a guess: the compare-and-set of the
save still decides, so a copy made stale by another process costs one retry, never a wrong save."""
CONFLICT_BACKOFF = 0.002
"""Seconds before the first retry; doubles each time (capped), with full jitter, so two workers
racing for one session stop colliding instead of retrying in lockstep."""


class OutputListener(Protocol):
    """Told of new frames right after they are saved (in order per session); must not block."""

    def __call__(self, session_id: str, frames: Sequence[Frame]) -> None: ...


class Runtime:
    """Runs sessions of published flows; see the module docstring."""

    def __init__(
        self,
        store: SessionStore,
        language: FlowLanguage,
        *,
        clock: Clock | None = None,
        http: HttpCaller | None = None,
        handoff: Handoff | None = None,
        listeners: Iterable[OutputListener] = (),
        step_limit: int = DEFAULT_STEP_LIMIT,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.http = http
        self.handoff = handoff
        self.listeners = list(listeners)
        self.step_limit = step_limit
        self.flows = FlowCache(store, language)
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self._jitter = random.Random().random
        self._locks = KeyedLocks()
        self._hot: OrderedDict[str, Session] = OrderedDict()
        self._queues: dict[str, deque[tuple[Session, Effect]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- flows -------------------------------------------------------------------------------

    async def publish(self, yaml_text: str, source: str = "<string>") -> tuple[str, str]:
        """Parse a flow text and store it as the flow's latest version: ``(flow_id, version)``.

        Raises ``DefinitionError`` (with every problem placed) when the text is not a valid flow.
        Sessions already running keep the version they started on.
        """
        flow = self.flows.parse(yaml_text, source)
        version = await self.store.put_flow_version(flow.id, yaml_text)
        self.flows.remember(LoadedFlow.build(flow, version))
        logger.info("engine.flow_published", extra={"flow_id": flow.id, "version": version})
        return flow.id, version

    # -- sessions ----------------------------------------------------------------------------

    async def start(
        self,
        flow_id: str,
        *,
        version: str | None = None,
        merchant: str = "",
        site_key: str = "",
        visitor_id: str = "",
        channel_id: str = "",
        channel_name: str = "",
        variables: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        opening: VisitorText | Choice | None = None,
    ) -> str:
        """Create a session on the flow's latest version (or ``version``), enter ``start``.

        ``variables`` override the flow's declared defaults. ``opening`` is the visitor message
        that opened the conversation (see :class:`Start`): recorded first, answered by nothing.
        The session, its first frames and timers are stored in one write; returns the session id.
        """
        version = version or await self.store.latest_flow_version(flow_id)
        if version is None:
            raise NotFoundError("no version of this flow was published", flow_id=flow_id)
        flow = await self.flows.get(flow_id, version)
        sid = session_id or self._new_id()
        now = self.clock.now()
        initial = json.loads(json.dumps(flow.flow.vars))
        initial.update(variables or {})
        session = Session(
            id=sid,
            flow_id=flow_id,
            flow_version=version,
            node=flow.flow.start,
            merchant=merchant,
            site_key=site_key,
            variables=initial,
            sys=SysValues(visitor_id=visitor_id, channel_id=channel_id, channel_name=channel_name),
            created_at=now,
            updated_at=now,
        )
        async with self._locks.hold(sid):
            tx = apply_event(
                session,
                flow,
                Start(key=f"start:{sid}", opening=opening),
                now,
                step_limit=self.step_limit,
            )
            session.version = 1
            await self.store.create(session, tx.frames)
            self._keep(session)
            self._committed(tx)
        logger.info(
            "engine.started",
            extra={
                "session_id": sid,
                "flow_id": flow_id,
                "version": version,
                "node_id": session.node,
            },
        )
        return sid

    async def deliver(self, session_id: str, event: Event) -> None:
        """Apply one event to the session (the :class:`~chatflow.engine.handoff.EventSink` entry)."""
        await self.apply(session_id, event)

    async def apply(self, session_id: str, event: Event) -> bool:
        """Like :meth:`deliver`; True when the event took effect, False when it was ignored.

        Raises ``NotFoundError`` for an unknown session and ``RuntimeFlowError`` subclasses
        (``StepLimitError``, ``TemplateError``...) when the flow fails; nothing is saved then.
        """
        async with self._locks.hold(session_id):
            # Taken out while the event is applied: a failed apply leaves no half-changed copy.
            kept = self._hot.pop(session_id, None)
            for attempt in range(CONFLICT_RETRIES):
                session = kept or await self.store.load(session_id)
                if session is None:
                    raise NotFoundError(f"no session {session_id!r}")
                from_memory, kept = kept is not None, None
                expected = session.version
                flow = await self.flows.get(session.flow_id, session.flow_version)
                now = self.clock.now()
                tx = apply_event(session, flow, event, now, step_limit=self.step_limit)
                if not tx.applied:
                    if from_memory:  # the kept copy may be stale: ask the store before ignoring
                        continue
                    return False
                session.version = expected + 1
                session.updated_at = now
                try:
                    await self.store.save(session, expected, tx.frames)
                except StoreConflict:
                    logger.info("engine.conflict", extra={"session_id": session_id})
                    if not from_memory:
                        ceiling = min(CONFLICT_BACKOFF * 2**attempt, 0.25)
                        await asyncio.sleep(self._jitter() * ceiling)
                    continue
                self._keep(session)
                self._committed(tx)
                return True
            raise StoreConflict(
                f"session {session_id!r} kept changing; gave up after {CONFLICT_RETRIES} tries"
            )

    def _keep(self, session: Session) -> None:
        """Remember the just-saved session for its next event (not once it has ended)."""
        if session.ended:
            return
        self._hot[session.id] = session
        if len(self._hot) > HOT_SESSIONS:
            self._hot.popitem(last=False)

    async def get(self, session_id: str) -> Session:
        """The stored session (a copy); ``NotFoundError`` if there is none."""
        session = await self.store.load(session_id)
        if session is None:
            raise NotFoundError(f"no session {session_id!r}")
        return session

    async def find(self, session_ids: Sequence[str]) -> list[Session | None]:
        """The stored sessions (copies), None for each the store does not have; read together
        (on Redis, every read in flight at once)."""
        return list(await asyncio.gather(*(self.store.load(sid) for sid in session_ids)))

    async def ended_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        """Ids of ended sessions last changed before ``cutoff``, oldest first (retention)."""
        return await self.store.ended_before(cutoff, limit)

    async def inactive_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        """Ids of live sessions last changed before ``cutoff``, oldest first (retention)."""
        return await self.store.inactive_before(cutoff, limit)

    async def forget(self, session_ids: Sequence[str]) -> int:
        """Delete these sessions from the store if they ended (retention, a deleted record);
        live ones are left. How many went."""
        return await self.store.forget(session_ids)

    async def outputs(self, session_id: str, after: int = 0, limit: int = MAX_READ) -> list[Frame]:
        """Frames of the session's output log with ``seq > after`` (what a reconnect replays)."""
        return await self.store.read_outputs(session_id, after, limit)

    # -- timers and recovery -----------------------------------------------------------------

    async def fire_due_timers(self, now: datetime | None = None, *, limit: int = 100) -> int:
        """Deliver ``TimerFired`` for every timer due by ``now``; returns how many took effect.

        Timers that come due while firing (a zero-second timer) fire in the same call. A timer
        whose session fails is logged and left due, to be retried on the next call.
        """
        fired = 0
        failed: set[str] = set()
        for _round in range(100):
            due = await self.store.due_timers(now or self.clock.now(), limit + len(failed))
            due = [t for t in due if t.key not in failed]
            if not due:
                break
            progress = False
            for timer in due:
                event = TimerFired(key=timer.key, name=timer.name)
                try:
                    took = await self.apply(timer.session_id, event)
                except ChatflowError as exc:
                    failed.add(timer.key)
                    logger.error(
                        "engine.timer_failed",
                        extra={
                            "session_id": timer.session_id,
                            "timer": timer.name,
                            "error": str(exc),
                        },
                    )
                    continue
                fired += took
                progress = True
            if not progress:
                break
        return fired

    async def run_timers(self, interval: float = 1.0) -> None:
        """Fire due timers every ``interval`` seconds until cancelled (``chatflow serve``)."""
        while True:
            try:
                await self.fire_due_timers()
            except Exception:
                logger.exception("engine.timer_loop_failed")
            await asyncio.sleep(interval)

    async def queue_holds(self) -> list[QueueHold]:
        """What the queue had of each session, as the store says: every queued or served
        session, in the order the visitors first queued."""
        found: list[Session] = []
        for status in ("queued", "with_agent"):
            for sid in await self.store.find_sessions(status, limit=100_000):
                session = await self.store.load(sid)
                if session is not None and session.status == status and session.queue_group:
                    found.append(session)
        found.sort(key=_arrival)
        return [
            QueueHold(
                s.id,
                s.merchant,
                s.queue_group or "",
                s.queue_priority,
                s.queue_agent,
                s.waiting_since,
            )
            for s in found
        ]

    async def recover(self, holds: Sequence[QueueHold] | None = None) -> int:
        """After a restart: hand every session the queue had back to it; returns how many.

        In the order the visitors first queued, so the queue keeps its order: a queued visitor
        waits again (since when it waited), one in an agent's service (``queue_agent``) is that
        agent's again, one a transfer was handing on waits for its new group. Pending HTTP
        calls need nothing here: their watchdog timers re-issue them. ``holds``: what
        :meth:`queue_holds` read already (read here when None).
        """
        if self.handoff is None:
            return 0
        if holds is None:
            holds = await self.queue_holds()
        for held in holds:
            try:
                await self.handoff.restore(held)
            except Exception as exc:
                extra = {"session_id": held.session_id, "error": repr(exc)}
                logger.exception("engine.recover_failed", extra=extra)
        return len(holds)

    # -- effects -----------------------------------------------------------------------------

    def _committed(self, tx: Transition) -> None:
        """After a successful save: tell listeners, queue the effects."""
        if tx.frames:
            for listener in self.listeners:
                try:
                    listener(tx.session.id, tx.frames)
                except Exception:
                    logger.exception("engine.listener_failed", extra={"session_id": tx.session.id})
        self._schedule(tx.session, tx.actions)

    def _schedule(self, session: Session, actions: Sequence[Effect]) -> None:
        if not actions:
            return
        queue = self._queues.setdefault(session.id, deque())
        queue.extend((session, action) for action in actions)
        if session.id not in self._workers:
            self._workers[session.id] = asyncio.create_task(self._work(session.id))

    async def _work(self, session_id: str) -> None:
        """Perform one session's effects in order (a hand-off may deliver events meanwhile)."""
        queue = self._queues[session_id]
        try:
            while queue:
                session, action = queue.popleft()
                await self._perform(session, action)
        finally:
            del self._workers[session_id]
            if not queue:
                del self._queues[session_id]

    async def _perform(self, session: Session, action: Effect) -> None:
        ids = {
            "session_id": session.id,
            "flow_id": session.flow_id,
            "effect": type(action).__name__,
        }
        try:
            if isinstance(action, PerformHttp):
                self._spawn(self._call_http(session.id, action))
            elif isinstance(action, Enqueue):
                if self.handoff is None:
                    logger.warning("engine.no_handoff", extra=ids)
                else:
                    await self.handoff.enqueue(
                        session.id, session.merchant, action.group, action.priority
                    )
            elif isinstance(action, LeaveQueue) and self.handoff is not None:
                await self.handoff.leave(session.id, session.end_reason)
        except Exception as exc:
            logger.exception("engine.effect_failed", extra={**ids, "error": repr(exc)})

    async def _call_http(self, session_id: str, action: PerformHttp) -> None:
        if self.http is None:
            reply = HttpReply(status=None, error="no HTTP client configured")
        else:
            try:
                reply = await self.http(action.request)
            except Exception as exc:
                logger.exception("engine.http_failed", extra={"session_id": session_id})
                reply = HttpReply(status=None, error=f"{type(exc).__name__}: {exc}")
        result = HttpResult(
            key=f"http:{action.call_id}", status=reply.status, body=reply.body, error=reply.error
        )
        try:
            await self.apply(session_id, result)
        except ChatflowError as exc:
            logger.error(
                "engine.http_result_failed", extra={"session_id": session_id, "error": str(exc)}
            )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every queued effect and HTTP call (and what they caused) is done."""
        while self._workers or self._tasks:
            await asyncio.gather(*self._workers.values(), *self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel effects still running (the saved state is untouched) and wait for them."""
        pending = [*self._workers.values(), *self._tasks]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        self._tasks.clear()


def _arrival(session: Session) -> datetime:
    """When the session first queued (older documents: when it started)."""
    return session.queued_at or session.created_at or datetime.min.replace(tzinfo=UTC)
