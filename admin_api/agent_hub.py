"""The agents' open websockets: where the queue's frames go, and each session's transcript.

:class:`AgentHub` is the queue's ``AgentNotifier``: a frame for an agent is put on each of its
connections' outbound queues and never waits for a slow socket, so the dispatcher's deliveries
are not held up by a client. Each :class:`AgentConnection` has one writer (frames reach the
client in the order they were put) and, for every session the agent serves, a reader of the
session's output log: on ``assigned`` it replays the transcript so far, then follows the feed
live (visitor, bot, system and agent messages alike, each with its ``seq``; an agent's line
names its author, so two agents in one conversation tell their lines apart; each agent's join
comes as a ``joined`` frame). The log is the one
source of messages: nothing else carries what the visitor says to the agents. A connection also
follows topics of the feed's live frames (:meth:`AgentConnection.follow`): what changed outside
the queue for its account or merchant (:mod:`.agent_notices`).

When the service ends or moves away, the reader stops and the writer sends what the log holds
beyond the last ``seq`` sent before the ``session_ended`` / ``transferred`` frame, so nothing said
just before the end is lost. When an agent's last websocket on this worker closes, the queue is
told after :attr:`AgentHub.logout_grace` seconds unless it reconnects (a reload keeps its state);
the agent logs out when no worker holds a websocket of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket

from chatflow.engine.feed import OutputFeed, Subscription
from chatflow.engine.frames import Frame
from chatflow.engine.routing.service import QueueService
from chatflow.engine.runtime import Runtime

logger = logging.getLogger("chatflow.agents")

REPLAY_BATCH = 500
LEAVING = frozenset({"session_ended", "transferred", "left"})
"""Frames after which the agent no longer serves the session (its transcript stops)."""


@dataclass(frozen=True)
class _Flush:
    session_id: str
    after: int


@dataclass(frozen=True)
class _Close:
    code: int


def _no_name(_account: str) -> str:
    return ""


def agent_message(
    session_id: str, frame: Frame, *, replay: bool, names: Callable[[str], str] = _no_name
) -> dict[str, Any]:
    """A logged message as the agent's ``message`` frame; ``names`` gives an author's nickname."""
    out: dict[str, Any] = {
        "type": "message",
        "session_id": session_id,
        "seq": frame.seq,
        "from": frame.sender,
        "text": frame.text,
        "at": frame.at,
    }
    if frame.author:
        out["author"] = frame.author
        nickname = names(frame.author)
        if nickname:
            out["author_nickname"] = nickname
    if frame.body.get("image"):
        out["image"] = frame.body["image"]
    if frame.body.get("options"):
        out["options"] = list(frame.body["options"])
    if replay:
        out["replay"] = True
    return out


def agent_joined(session_id: str, frame: Frame, *, replay: bool) -> dict[str, Any]:
    """A logged ``agent_joined`` (what the visitor was told) as the agent's ``joined`` frame:
    when an agent took the conversation, so a client can tell the lines before it (the bot's
    part, the queue) from those an agent should answer, after a reload too."""
    out: dict[str, Any] = {
        "type": "joined",
        "session_id": session_id,
        "seq": frame.seq,
        "staff_no": frame.body.get("staff_no", ""),
        "nickname": frame.body.get("nickname", ""),
        "at": frame.at,
    }
    if replay:
        out["replay"] = True
    return out


class AgentConnection:
    """One open agent websocket: an ordered outbound queue and a transcript reader per session.

    ``names`` gives the nickname of an account that wrote a line (the queue's
    :meth:`~chatflow.engine.routing.service.QueueService.nickname`).
    """

    def __init__(
        self,
        websocket: WebSocket,
        agent_id: str,
        account_id: int,
        token: str,
        runtime: Runtime,
        feed: OutputFeed,
        names: Callable[[str], str] = _no_name,
    ) -> None:
        self.websocket = websocket
        self._names = names
        self.agent_id = agent_id
        self.account_id = account_id
        self.token = token
        self._runtime = runtime
        self._feed = feed
        self._out: asyncio.Queue[dict[str, Any] | _Flush | _Close] = asyncio.Queue()
        self.serving: set[str] = set()
        self._streams: dict[str, asyncio.Task[None]] = {}
        self._last: dict[str, int] = {}
        self._topics = contextlib.ExitStack()
        self._relays: list[asyncio.Task[None]] = []

    def push(self, frame: dict[str, Any]) -> None:
        """Queue a frame for the client; ``assigned`` starts a transcript, leaving stops it."""
        kind, sid = frame.get("type"), str(frame.get("session_id", ""))
        if kind == "assigned":
            if sid in self.serving:
                return  # already announced (a reconnect's resume raced the queue)
            self.serving.add(sid)
            # the server's time, against which the client reads the lines' and joins' ``at``
            self._out.put_nowait({**frame, "at": self._runtime.clock.now().isoformat()})
            self._streams[sid] = asyncio.create_task(self._stream(sid))
            return
        if kind in LEAVING and sid in self.serving:
            self.serving.discard(sid)
            task = self._streams.pop(sid, None)
            if task is not None:
                task.cancel()
            self._out.put_nowait(_Flush(sid, self._last.pop(sid, 0)))
        self._out.put_nowait(frame)

    def close(self, code: int) -> None:
        self._out.put_nowait(_Close(code))

    def follow(self, topic: str) -> None:
        """Send the client the live frames pushed to ``topic`` (:mod:`.agent_notices`: the
        agent's marks, the merchant's apps) from now on, on whichever worker they were pushed."""
        sub = self._topics.enter_context(self._feed.subscribe(topic, live=True))
        self._relays.append(asyncio.create_task(self._relay(sub)))

    async def _relay(self, sub: Subscription) -> None:
        while True:
            for frame in sub.take_live():
                self._out.put_nowait(frame)
            if sub.closed:
                return
            await sub.wait(30)

    async def write(self) -> None:
        """Send queued frames in order until closed (or the socket fails)."""
        while True:
            item = await self._out.get()
            if isinstance(item, _Close):
                with contextlib.suppress(Exception):
                    await self.websocket.close(code=item.code)
                return
            if isinstance(item, _Flush):
                frames = await self._runtime.outputs(item.session_id, item.after, REPLAY_BATCH)
                for frame in frames:
                    if frame.type == "message":
                        await self.websocket.send_json(
                            agent_message(item.session_id, frame, replay=False, names=self._names)
                        )
                continue
            await self.websocket.send_json(item)

    async def _stream(self, session_id: str) -> None:
        """Replay the session's messages, then follow them live (until cancelled)."""
        replay = True
        try:
            with self._feed.subscribe(session_id) as sub:
                while True:
                    after = self._last.get(session_id, 0)
                    frames = await self._runtime.outputs(session_id, after, REPLAY_BATCH)
                    # no await from here to the update of _last: a cancel never loses a frame
                    for frame in frames:
                        if frame.type == "message":
                            line = agent_message(
                                session_id, frame, replay=replay, names=self._names
                            )
                            self._out.put_nowait(line)
                        elif frame.type == "agent_joined":
                            self._out.put_nowait(agent_joined(session_id, frame, replay=replay))
                    if frames:
                        self._last[session_id] = frames[-1].seq
                    if len(frames) == REPLAY_BATCH:
                        continue
                    replay = False
                    if sub.closed:
                        return
                    await sub.wait(30)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception(
                "agents.transcript_failed",
                extra={"session_id": session_id, "agent_id": self.agent_id},
            )

    async def stop(self) -> None:
        """Stop every transcript reader and followed topic (the connection is going away)."""
        tasks = [*self._streams.values(), *self._relays]
        self._streams.clear()
        self._relays.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._topics.close()


class AgentHub:
    """Every agent's connections; the queue's ``AgentNotifier`` and the runtime's relay."""

    def __init__(self) -> None:
        self.connections: dict[str, set[AgentConnection]] = {}
        self.queue: QueueService | None = None
        self.logout_grace = 10.0
        """Seconds an agent stays logged in to the queue after its last websocket closed."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._resolve: Callable[[str], object] | None = None
        self._pending_logouts: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def online(self, agent_id: str) -> bool:
        return bool(self.connections.get(agent_id))

    # -- the queue's AgentNotifier -----------------------------------------------------------

    async def notify(self, agent_id: str, frame: dict[str, Any]) -> None:
        if frame.get("type") == "status" and "reason" not in frame:
            frame = {**frame, **self.status_frame(agent_id, frame["status"])}
        self.send(agent_id, frame)

    def status_frame(self, agent_id: str, status: str) -> dict[str, Any]:
        """A ``status`` frame with the reason the agent gave for that status, if any (the
        queue keeps a reason only with a status that takes one: not ``free``, not ``offline``)."""
        frame: dict[str, Any] = {"type": "status", "status": status}
        reason = self.queue.reason(agent_id) if self.queue is not None else None
        if reason:
            frame["reason"] = reason
        return frame

    def send(self, agent_id: str, frame: dict[str, Any]) -> None:
        """Put a frame on each of the agent's connections (never waits)."""
        for connection in list(self.connections.get(agent_id, ())):
            connection.push(frame)

    async def typing(self, session_id: str) -> None:
        """The visitor is typing: tell the agents serving the session (live only)."""
        view = self.queue.dispatcher.session(session_id) if self.queue else None
        for agent in view.agents if view else ():
            self.send(agent, {"type": "typing", "session_id": session_id, "from": "visitor"})

    # -- connections -------------------------------------------------------------------------

    def attach(self, connection: AgentConnection) -> None:
        self.loop = asyncio.get_running_loop()
        self.connections.setdefault(connection.agent_id, set()).add(connection)
        pending = self._pending_logouts.pop(connection.agent_id, None)
        if pending is not None:
            pending.cancel()

    def detach(self, connection: AgentConnection) -> None:
        """Forget a closed connection; the agent's last one starts the logout grace period."""
        agent = connection.agent_id
        connections = self.connections.get(agent)
        if connections is None:
            return
        connections.discard(connection)
        if connections:
            return
        del self.connections[agent]
        if agent not in self._pending_logouts:
            self._pending_logouts[agent] = asyncio.create_task(self._logout_later(agent))

    async def _logout_later(self, agent_id: str) -> None:
        """After the grace period, tell the queue this worker holds no websocket of the agent:
        it logs out unless another worker holds one."""
        try:
            await asyncio.sleep(self.logout_grace)
            if self.online(agent_id) or self.queue is None:
                return
            await self.queue.detach(agent_id)
            if not self.queue.connected(agent_id):
                logger.info("agents.logged_out", extra={"agent_id": agent_id})
        finally:
            if self._pending_logouts.get(agent_id) is asyncio.current_task():
                del self._pending_logouts[agent_id]

    # -- tokens that die ---------------------------------------------------------------------

    def watch_tokens(
        self,
        on_revoke: Callable[[Callable[[int], None]], None],
        resolve: Callable[[str], object],
    ) -> None:
        """Close the websockets whose token died (logout, password change, disable, delete).

        ``on_revoke`` registers a listener (``AuthService.on_revoke``), which may be called from a
        worker thread; ``resolve`` tells whether a token still lives.
        """
        self._resolve = resolve
        on_revoke(self._revoked)

    def _revoked(self, account_id: int) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._spawn_check, account_id)

    def _spawn_check(self, account_id: int) -> None:
        task = asyncio.create_task(self._check_tokens(account_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _check_tokens(self, account_id: int) -> None:
        resolve = self._resolve
        for connections in list(self.connections.values()):
            for connection in list(connections):
                if connection.account_id != account_id:
                    continue
                alive = (
                    None if resolve is None else await asyncio.to_thread(resolve, connection.token)
                )
                if alive is None:
                    connection.close(4401)
                    logger.info("agents.token_revoked", extra={"agent_id": connection.agent_id})

    async def aclose(self) -> None:
        """Shutdown: close every websocket (1001) and cancel the pending work."""
        for connections in self.connections.values():
            for connection in connections:
                connection.close(1001)
        pending = [*self._pending_logouts.values(), *self._tasks]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._pending_logouts.clear()
