"""The output feed across workers: Redis pub/sub carries "session X has new output".

A visitor's websocket may sit on one worker while another applies the event that answers it.
:class:`RedisOutputFeed` is an :class:`~chatflow.engine.feed.OutputFeed` (same interface, same
local subscribers) that also publishes every wake-up on one channel and, from a listener task,
wakes its local readers when another worker publishes. The store stays the truth: a message
lost while Redis is unreachable only delays a reader until its next timed wake-up, and when the
listener reconnects it wakes every local reader so they read the store again.

One channel for the deployment keeps the subscription fixed (subscribing per session would let
a wake-up slip past between the reader's first read and the subscription taking effect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from chatflow.engine.feed import OutputFeed
from chatflow.engine.frames import Frame
from chatflow.engine.stores.redis import DEFAULT_PREFIX

logger = logging.getLogger("chatflow.engine.feed")

PUBLISH_BATCH = 200
"""Most messages one publishing round trip (a pipeline) carries."""


class RedisOutputFeed(OutputFeed):
    """See the module docstring. ``await start()`` before serving, ``await aclose()`` after."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = DEFAULT_PREFIX,
        reconnect_delay: float = 0.5,
    ) -> None:
        super().__init__()
        if (url is None) == (client is None):
            raise ValueError("give RedisOutputFeed either a url or a client")
        self._owned = client is None
        self.redis: Redis = client if client is not None else Redis.from_url(str(url))
        self.channel = f"{prefix}feed"
        self.origin = uuid.uuid4().hex[:16]
        """This feed's id: its own messages come back from Redis and are skipped."""
        self.reconnect_delay = reconnect_delay
        self._outbox: asyncio.Queue[str] | None = None
        self._pubsub: PubSub | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- the OutputFeed interface, plus publishing ---------------------------------------------

    def __call__(self, session_id: str, frames: Sequence[Frame]) -> None:
        super().__call__(session_id, frames)
        self._send({"o": self.origin, "s": session_id})

    def push(self, session_id: str, frame: dict[str, Any]) -> None:
        """A live-only frame for the session's live readers on every worker."""
        self._push_local(session_id, frame)
        self._send({"o": self.origin, "s": session_id, "f": frame})

    def _push_local(self, session_id: str, frame: dict[str, Any]) -> None:
        super().push(session_id, frame)

    def _send(self, message: dict[str, Any]) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(json.dumps(message, ensure_ascii=False))

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe (before returning, so nothing published afterwards is missed) and start
        the listener and the publisher."""
        if self._tasks:
            return
        self._outbox = asyncio.Queue()
        self._pubsub = await self._subscribe()
        self._tasks = [
            asyncio.create_task(self._listen(), name="chatflow-feed-listen"),
            asyncio.create_task(self._publish(), name="chatflow-feed-publish"),
        ]

    async def aclose(self) -> None:
        """Stop listening and publishing (what is still queued is dropped) and close Redis."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._outbox = None
        if self._pubsub is not None:
            await _close(self._pubsub)
            self._pubsub = None
        if self._owned:
            await self.redis.aclose()

    async def _subscribe(self) -> PubSub:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    # -- the two loops -------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            try:
                if self._pubsub is None:
                    self._pubsub = await self._subscribe()
                    self.wake_all()  # wake-ups may have been lost while disconnected
                    logger.info("feed.resubscribed", extra={"channel": self.channel})
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        self._received(message["data"])
            except (RedisError, OSError) as exc:
                logger.warning("feed.disconnected", extra={"error": repr(exc)})
                if self._pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await _close(self._pubsub)
                    self._pubsub = None
                await asyncio.sleep(self.reconnect_delay)

    def _received(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            origin, session_id = message["o"], str(message["s"])
        except (ValueError, KeyError, TypeError):
            logger.warning("feed.bad_message", extra={"channel": self.channel})
            return
        if origin == self.origin:
            return
        if "f" in message:
            self._push_local(session_id, message["f"])
        else:
            self.notify(session_id)

    async def _publish(self) -> None:
        assert self._outbox is not None
        outbox = self._outbox
        while True:
            batch = [await outbox.get()]
            while not outbox.empty() and len(batch) < PUBLISH_BATCH:
                batch.append(outbox.get_nowait())
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for message in dict.fromkeys(batch):  # a burst for one session: one message
                        pipe.publish(self.channel, message)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                # Readers on other workers wake on their timer and read the store.
                logger.warning("feed.publish_failed", extra={"error": repr(exc)})

    def wake_all(self) -> None:
        """Wake every local reader (they read the store again); nothing is closed."""
        for session_id in list(self._subscribers):
            self.notify(session_id)


async def _close(pubsub: PubSub) -> None:
    """``PubSub.aclose``, which redis-py leaves untyped."""
    await pubsub.aclose()  # type: ignore[no-untyped-call]
