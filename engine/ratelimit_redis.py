"""The rate limiter shared by every worker: the sliding window of ``ratelimit`` in Redis.

One sorted set per key holds the hit times; one Lua script drops the expired ones, counts, and
either records the hit or answers how long to wait, atomically. Time comes from the Redis
server (``TIME``), so workers with skewed clocks agree; tests inject a clock instead.

``RateLimiter.hit`` is synchronous (the channels call it inline), so this uses the synchronous
client: one round trip on the event loop's thread, a fraction of a millisecond to a nearby
Redis. A Redis that does not answer within ``timeout`` raises, like every other scale-out call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import redis

from chatflow.engine.ratelimit import Limit, check_cost
from chatflow.engine.stores.redis import DEFAULT_PREFIX

# KEYS: 1 the key's window. ARGV: 1 now (seconds; empty = the server's clock), 2 window
# seconds, 3 allowed count, 4 a unique member, 5 the cost (members ARGV[4]:1..cost). Returns "0"
# or the seconds to wait, as text.
_HIT = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local over = redis.call('ZCARD', KEYS[1]) + cost - tonumber(ARGV[3])
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], over - 1, over - 1, 'WITHSCORES')
  return tostring(math.max(tonumber(oldest[2]) + window - now, 0.001))
end
for i = 1, cost do
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""


class RedisRateLimiter:
    """A :class:`~chatflow.engine.ratelimit.RateLimiter` whose windows every worker shares.

    ``name`` separates limiters on one Redis (``visitor-sessions``, ``login-account``...).
    Give a URL (the limiter owns the client: :meth:`close` it) or a synchronous client.
    """

    def __init__(
        self,
        name: str,
        limit: Limit,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] | None = None,
        timeout: float = 2.0,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("give RedisRateLimiter either a url or a client")
        self.limit = limit
        self._owned = client is None
        self.redis: redis.Redis = (
            client
            if client is not None
            else redis.Redis.from_url(
                str(url), socket_timeout=timeout, socket_connect_timeout=timeout
            )
        )
        self._prefix = f"{prefix}rl:{name}:"
        self._clock = clock
        self._hit = self.redis.register_script(_HIT)

    def hit(self, key: str, cost: int = 1) -> float:
        check_cost(self.limit, cost)
        now = "" if self._clock is None else repr(self._clock())
        args: list[str | int] = [now, repr(float(self.limit.seconds)), self.limit.count]
        args += [uuid.uuid4().hex, cost]
        wait = self._hit(keys=[self._prefix + key], args=args)
        return float(wait.decode() if isinstance(wait, bytes) else wait)

    def reset(self, key: str) -> None:
        self.redis.delete(self._prefix + key)

    def forgive(self, key: str) -> None:
        """Drop the newest hit (``ZPOPMAX``): the window then holds what it held before it."""
        self.redis.zpopmax(self._prefix + key)

    def close(self) -> None:
        if self._owned:
            self.redis.close()
