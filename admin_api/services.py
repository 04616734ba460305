"""The live services of a running deployment, built once per app: the composition of the engine.

Runtime (sessions), queue (dispatcher), output feed (websocket wake-ups), recorder (records
database) and the agents' websocket hub. The runtime and the queue are wired both ways: the
runtime hands sessions to the queue (``Handoff``) and the queue delivers events back through the
runtime (``EventSink``). Taps on those seams write the conversation records, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.admin_api.agent_hub import AgentHub
from chatflow.channels.web import SiteInfo, VisitorBackend
from chatflow.engine.clock import Clock
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.content import is_blacklisted, name_visitor
from chatflow.engine.directory import agent_of, find_site, group_of
from chatflow.engine.effects import EndReason
from chatflow.engine.errors import ChatflowError
from chatflow.engine.feed import OutputFeed
from chatflow.engine.flowversions import published_flow_yaml
from chatflow.engine.frames import Frame
from chatflow.engine.handoff import QueueHold
from chatflow.engine.httpcall import HttpxCaller
from chatflow.engine.privacy import kept_visit
from chatflow.engine.records import NO_VISIT, WEB, Channel, Recorder, Visit
from chatflow.engine.routing import (
    Accepted,
    Assigned,
    CommandLog,
    Decision,
    Ended,
    Offer,
    QueueService,
    Transferred,
)
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.base import SessionStore
from chatflow.engine.stores.recordsdb import AccountRow, GroupRow, RecordsTable
from chatflow.nodes import LANGUAGE

logger = logging.getLogger("chatflow.services")

RowT = TypeVar("RowT", bound=RecordsTable)


BATCH = 500
"""Most recorder calls written in one transaction."""
PAUSE = 0.05
"""Seconds the writer rests after a write, gathering the next batch meanwhile: a busy server
writes at most ~20 record transactions a second, each carrying many calls; the first call after
a quiet spell is written at once."""


class RecordWriter:
    """Runs recorder calls in order on a worker thread, so the event loop never waits on SQL."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._queue: asyncio.Queue[tuple[str, tuple[Any, ...], dict[str, Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def put(self, method: str, *args: Any, **kwargs: Any) -> None:
        self._queue.put_nowait((method, args, kwargs))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            calls = [await self._queue.get()]
            while len(calls) < BATCH and not self._queue.empty():
                calls.append(self._queue.get_nowait())
            try:
                await asyncio.to_thread(self._write, calls)
            finally:
                for _ in calls:
                    self._queue.task_done()
            await asyncio.sleep(PAUSE)

    def _write(self, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        """One transaction for the batch; if it fails, each call alone, so one bad call loses
        only itself."""
        try:
            self.recorder.run_batch(calls)
            return
        except Exception:
            if len(calls) == 1:
                logger.exception("records.write_failed", extra={"method": calls[0][0]})
                return
        for call in calls:
            try:
                self.recorder.run_batch([call])
            except Exception:
                logger.exception("records.write_failed", extra={"method": call[0]})

    async def flush(self) -> None:
        await self._queue.join()

    async def aclose(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


PROCESS_TURN = threading.Lock()
"""The admin changes' turn to tell the queue (``routes_accounts.live_queue_update``), for one
process; scaled out, ``Services.queue_turn`` is the deployment's (a Redis lock)."""


class QueueRecorder:
    """A queue observer: the milestones the queue decides, for the records. An offer rings (the
    first ring is kept), an agent joins (accepted, or auto-assigned), a service ends (the agent,
    the visitor leaving, the idle timeout, an admin: the decision says who closed it), a
    transfer hands the conversation on (the service of the agents before ends there; the record
    may move to another group). Written before the decisions are carried out, so the records
    follow the queue's order."""

    def __init__(self, writer: RecordWriter, clock: Clock) -> None:
        self._writer = writer
        self._clock = clock

    def __call__(self, decision: Decision) -> None:
        d, at = decision, self._clock.now()
        if isinstance(d, Offer):
            self._writer.put("rang", d.session_id, d.agent_id, at)
        elif isinstance(d, Accepted | Assigned):
            self._writer.put("joined", d.session_id, d.agent_id, at)
        elif isinstance(d, Ended):
            self._writer.put("service_ended", d.session_id, d.closed_by, at)
        elif isinstance(d, Transferred):
            self._writer.put("transferred", d.session_id, d.to_group, at)


class RecordingHandoff:
    """The runtime's ``Handoff``: the queue, plus the flow's own milestones, queued and left
    the queue to go on (the queue's decisions reach the records through :class:`QueueRecorder`;
    a session that ends reaches them through its ``ended`` frame)."""

    def __init__(self, queue: QueueService, writer: RecordWriter, clock: Clock) -> None:
        self._queue = queue
        self._writer = writer
        self._clock = clock

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        self._writer.put("queued", session_id, group, self._clock.now())
        await self._queue.enqueue(session_id, merchant, group, priority)

    async def restore(self, held: QueueHold) -> None:
        await self._queue.restore(held)

    async def leave(self, session_id: str, reason: EndReason | None = None) -> None:
        if reason is None:  # the flow gave up the wait and goes on (no agents, the timeout)
            self._writer.put("left_queue", session_id, self._clock.now())
        await self._queue.leave(session_id, reason)


class Services(VisitorBackend):
    """Everything that lives while the app runs."""

    def __init__(
        self,
        config: DeploymentConfig,
        records: Engine,
        store: SessionStore,
        clock: Clock,
        queue_log: CommandLog | None = None,
        queue_file: Path | None = None,
        queue_turn: AbstractContextManager[object] | None = None,
    ) -> None:
        self.config = config
        self.records = records
        self.store = store
        self.clock = clock
        self.feed = OutputFeed()
        self.writer = RecordWriter(Recorder(records))
        self.hub = AgentHub()
        self.http = HttpxCaller(config.http)
        self.runtime = Runtime(
            store,
            LANGUAGE,
            clock=clock,
            http=self.http,
            listeners=[self._on_frames],
        )
        self.queue = QueueService(
            self.runtime,
            self.hub,
            clock,
            observers=[QueueRecorder(self.writer, clock)],
            log=queue_log,
        )
        self.hub.queue = self.queue
        self.runtime.handoff = RecordingHandoff(self.queue, self.writer, clock)
        self.queue_file = queue_file
        """Embedded: where a graceful stop leaves the queue's state for the next start."""
        self.queue_turn: AbstractContextManager[object] = queue_turn or PROCESS_TURN
        """Whose turn it is to tell the queue of an admin change (see :data:`PROCESS_TURN`)."""
        self._tasks: list[asyncio.Task[None]] = []
        self._published: dict[tuple[str, str, int], str] = {}
        """(merchant, flow id, published version number) -> runtime (content) version."""
        self._background: set[asyncio.Task[None]] = set()

    def _on_frames(self, session_id: str, frames: Sequence[Frame]) -> None:
        self.feed(session_id, frames)
        self.writer.put("frames", session_id, list(frames))
        if any(frame.type == "ended" for frame in frames):
            task = asyncio.get_running_loop().create_task(self._rating_at_end(session_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def start(self) -> None:
        """Load groups and agents into the queue, recover sessions, start background loops.

        Flows reach the runtime from the records' published versions, on a site's first new
        session (:meth:`flow_version`); the flow files are read into those versions before
        (``create_app``: ``seed_flow_versions``, ``compare_flow_files``)."""
        self.writer.start()
        await self.queue.start()  # scaled out: the shared queue's state, before changing it
        resumed = await self._resume_queue()
        for group_row in self._rows(GroupRow):  # as the admin API last set them
            await self.queue.configure_group(group_row.merchant_id, group_of(group_row))
        for row in self._rows(AccountRow):
            await self.queue.register_agent(row.merchant_id, agent_of(row))
        holds = await self.runtime.queue_holds()
        if resumed:
            await self._drop_stale_queue({held.session_id for held in holds})
        recovered = await self.runtime.recover(holds)
        self._tasks = [
            asyncio.create_task(self.runtime.run_timers(0.5)),
            asyncio.create_task(self.queue.run(1.0)),
        ]
        logger.info("services.started", extra={"recovered": recovered})

    async def _resume_queue(self) -> bool:
        """Embedded: take back the queue a graceful stop saved (statuses, ringing order, invited
        agents, who missed which offer) and remove the file, so a later crash rebuilds the
        queue from the sessions instead of an old picture."""
        path = self.queue_file
        if path is None or not path.exists():
            return False
        data = path.read_bytes()
        path.unlink()
        if not await self.queue.resume(data):
            logger.warning("services.queue_not_resumed", extra={"path": str(path)})
            return False
        return True

    async def _drop_stale_queue(self, held: set[str]) -> None:
        """After a resume: a session the saved queue held that the store no longer has queued
        or served (changed while the server was stopped) leaves the queue."""
        for view in list(self.queue.dispatcher.sessions()):
            if view.session_id not in held:
                await self.queue.leave(view.session_id)

    def _save_queue(self) -> None:
        """Embedded graceful stop: leave the queue's state for the next start (written to a
        temporary file first, so a stop cut short leaves no half file)."""
        path = self.queue_file
        if path is None:
            return
        partial = path.with_suffix(".partial")
        partial.write_bytes(self.queue.snapshot())
        partial.replace(path)

    def _rows(self, table: type[RowT]) -> list[RowT]:
        with Session(self.records) as db:
            return list(db.exec(select(table)).all())

    async def aclose(self) -> None:
        """Graceful stop: finish in-flight effects, wake readers, flush records, close stores."""
        self.feed.close_all()
        await self.hub.aclose()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.queue.aclose()
        await self.runtime.aclose()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        self._save_queue()
        await self.writer.aclose()
        await self.http.aclose()
        await self.store.close()

    # -- VisitorBackend ----------------------------------------------------------------------

    async def site(self, key: str) -> SiteInfo | None:
        row = await asyncio.to_thread(find_site, self.records, key)
        if row is None:
            return None
        return SiteInfo(
            merchant=row.merchant_id,
            key=row.key,
            name=row.name or row.key,
            flow_id=row.flow_id,
            enabled=row.enabled,
            allowed_origins=tuple(row.allowed_origins),
            captcha=bool(row.captcha),
            captcha_image=row.captcha_image,
        )

    async def flow_version(self, site: SiteInfo) -> str | None:
        """The merchant's published version of the site's flow, as a runtime version.

        Publishing through the admin API takes effect for new sessions at once; running
        sessions keep the version they started on (the runtime pins it).
        """
        published = await asyncio.to_thread(
            published_flow_yaml, self.records, site.merchant, site.flow_id
        )
        if published is None:
            return None
        key = (site.merchant, site.flow_id, published[0])
        version = self._published.get(key)
        if version is None:
            _flow_id, version = await self.runtime.publish(
                published[1], f"{site.merchant}/{site.flow_id}@{published[0]}"
            )
            self._published[key] = version
        return version

    async def blacklisted(self, merchant: str, visitor_id: str) -> bool:
        return await asyncio.to_thread(is_blacklisted, self.records, merchant, visitor_id)

    async def started(
        self,
        session_id: str,
        site: SiteInfo,
        visitor_id: str,
        name: str | None = None,
        visit: Visit = NO_VISIT,
        channel: Channel = WEB,
    ) -> None:
        at = self.clock.now()
        # queued before the session's first frames, so the record exists when they are written;
        # the visit rides in the same insert (no write of its own)
        self.writer.put(
            "started",
            session_id,
            merchant=site.merchant,
            site=site.key,
            visitor=visitor_id,
            flow=site.flow_id,
            at=at,
            visit=kept_visit(visit, self.config.privacy),
            channel=channel,
        )
        if name:
            await asyncio.to_thread(name_visitor, self.records, site.merchant, visitor_id, name, at)

    async def typing(self, session_id: str) -> None:
        await self.hub.typing(session_id)

    async def _rating_at_end(self, session_id: str) -> None:
        """Record the survey score a session ended with, however it was given (a rating
        button or a typed number): the survey node's variable holds only valid scores."""
        try:
            session = await self.runtime.get(session_id)
            flow = await self.runtime.flows.get(session.flow_id, session.flow_version)
        except ChatflowError:
            return
        for node in flow.flow.nodes.values():
            score = session.variables.get(str(getattr(node, "var", "")))
            if node.type != "survey" or isinstance(score, bool) or not isinstance(score, int):
                continue
            if score > 0:
                self.writer.put("rated", session_id, score)
                return


def visitor_secret(data: Path) -> bytes:
    """The deployment's visitor-token secret, made once and kept under the data folder."""
    path = data / "visitor-token.key"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()
