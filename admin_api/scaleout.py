"""What the workers of one deployment share, chosen from the ``chatflow serve`` options.

Embedded (no ``--redis``): the SQLite session store under ``--data``, the in-process output
feed and rate limiters, the visitor-token secret in a file under ``--data``. Scale-out
(``--redis URL``): the Redis session store, the Redis pub/sub feed, rate limiters whose windows
live in Redis, and a visitor-token secret kept in Redis, so a visitor's token, websocket and
messages work on whichever worker the load balancer picks, and one agent queue that every worker
applies from a Redis stream (``engine.routing.log_redis``), so agents on any worker serve
visitors queued through any worker. The records database (``--database``) is chosen in ``app.py``.

``CHATFLOW_REDIS_PREFIX`` (in the environment) puts the keys under another prefix than
``chatflow:``, so several deployments can share one Redis.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chatflow.admin_api.auth import LOGINS_PER_ACCOUNT, LOGINS_PER_IP
from chatflow.admin_api.services import visitor_secret
from chatflow.admin_api.settings import ServeSettings
from chatflow.admin_api.try_limits import TryLimits
from chatflow.channels.captcha import USED as CAPTCHA_USED
from chatflow.engine.config import Limits, Rate
from chatflow.engine.errors import ChatflowError
from chatflow.engine.feed import OutputFeed
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter, RateLimiter
from chatflow.engine.routing import CommandLog
from chatflow.engine.stores.base import SessionStore
from chatflow.engine.stores.sqlite import SqliteStore

if TYPE_CHECKING:
    import redis

PREFIX_ENV = "CHATFLOW_REDIS_PREFIX"


@dataclass
class Shared:
    """The pieces ``create_app`` wires in; ``start`` before serving, ``aclose`` after."""

    store: SessionStore
    feed: OutputFeed
    session_limiter: RateLimiter
    message_limiter: RateLimiter
    visitor_secret: bytes
    try_limits: TryLimits
    """The flow editor's Try windows per account, beside the visitor channel's."""
    login_per_account: RateLimiter | None = None
    """Login attempts per account for ``AuthService`` (None: its in-process default)."""
    login_per_ip: RateLimiter | None = None
    captcha_used: RateLimiter | None = None
    """The captcha's one-time use (``channels.captcha.USED``; None: the process's own)."""
    queue_log: CommandLog | None = None
    """The shared agent queue's command log (None: the queue is the process's own)."""
    queue_turn: AbstractContextManager[object] | None = None
    """The admin changes' turn to tell the queue, across workers (None: the process's own)."""
    queue_file: Path | None = None
    """Embedded: where a graceful stop leaves the queue's state for the next start."""
    starts: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    closes: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> None:
        for start in self.starts:
            await start()

    async def aclose(self) -> None:
        """Close what was opened here (the session store is closed by its user, ``Services``)."""
        for close in self.closes:
            await close()


def redis_prefix(settings: ServeSettings) -> str:
    return settings.env.get(PREFIX_ENV) or "chatflow:"


def session_store(settings: ServeSettings) -> SessionStore:
    """Redis with ``--redis`` (shared by every worker), else SQLite under ``--data``."""
    if settings.redis_url:
        from chatflow.engine.stores.redis import RedisStore

        return RedisStore(settings.redis_url, prefix=redis_prefix(settings))
    settings.data.mkdir(parents=True, exist_ok=True)
    return SqliteStore(settings.data / "sessions.sqlite3")


def shared(settings: ServeSettings, limits: Limits | None = None) -> Shared:
    """The store, feed, limiters and secret for ``settings`` (see the module docstring);
    ``limits`` are the visitor rate limits of ``chatflow.yaml`` (defaults when None)."""
    limits = limits or Limits()
    per_ip, per_session = _limit(limits.new_sessions_per_ip), _limit(limits.messages_per_session)
    tries, steps = (
        _limit(limits.editor_tries_per_account),
        _limit(limits.editor_try_steps_per_account),
    )
    if not settings.redis_url:
        return Shared(
            store=session_store(settings),
            feed=OutputFeed(),
            session_limiter=MemoryRateLimiter(per_ip, time.monotonic),
            message_limiter=MemoryRateLimiter(per_session, time.monotonic),
            visitor_secret=visitor_secret(settings.data),
            try_limits=TryLimits(
                MemoryRateLimiter(tries, time.monotonic), MemoryRateLimiter(steps, time.monotonic)
            ),
            queue_file=settings.data / "queue.state",
        )
    import redis

    from chatflow.engine.feed_redis import RedisOutputFeed
    from chatflow.engine.ratelimit_redis import RedisRateLimiter
    from chatflow.engine.routing.log_redis import RedisCommandLog

    url, prefix = settings.redis_url, redis_prefix(settings)
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        secret = shared_secret(client, f"{prefix}visitor-token-key")
    except (redis.RedisError, ChatflowError) as exc:
        client.close()
        raise ChatflowError(f"cannot use Redis at {url}: {exc}") from exc
    feed = RedisOutputFeed(url, prefix=prefix)

    def limiter(name: str, limit: Limit) -> RateLimiter:
        return RedisRateLimiter(name, limit, client=client, prefix=prefix)

    async def close_client() -> None:
        client.close()

    return Shared(
        store=session_store(settings),
        feed=feed,
        session_limiter=limiter("visitor-sessions", per_ip),
        message_limiter=limiter("visitor-messages", per_session),
        visitor_secret=secret,
        login_per_account=limiter("login-account", LOGINS_PER_ACCOUNT),
        login_per_ip=limiter("login-ip", LOGINS_PER_IP),
        captcha_used=limiter("captcha-used", CAPTCHA_USED),
        try_limits=TryLimits(limiter("editor-tries", tries), limiter("editor-try-steps", steps)),
        queue_log=RedisCommandLog(url, prefix=prefix),
        queue_turn=admin_turn(client, prefix),
        starts=[feed.start],
        closes=[feed.aclose, close_client],
    )


def admin_turn(client: redis.Redis, prefix: str) -> AbstractContextManager[object]:
    """The deployment's turn for admin changes to reach the queue (``live_queue_update``): a
    Redis lock, so two workers' changes of one account are told to the queue in the order
    they read their rows. It expires after 30 s should its holder die; a change that cannot
    get it within 30 s fails (``LockError``) rather than tell the queue out of turn."""
    lock: AbstractContextManager[object] = client.lock(
        f"{prefix}queue:admin-turn", timeout=30, blocking_timeout=30
    )
    return lock


def shared_secret(client: redis.Redis, key: str) -> bytes:
    """The deployment's visitor-token secret: made by the first worker, read by the others."""
    client.set(key, secrets.token_bytes(32), nx=True)
    value = client.get(key)
    if not isinstance(value, bytes) or len(value) < 16:
        raise ChatflowError(f"Redis key {key} does not hold a visitor-token secret")
    return value


def _limit(rate: Rate) -> Limit:
    return Limit(rate.count, rate.seconds)
