"""Benchmark of the shared agent queue (scale-out) against the embedded one: a command's cost.

The same seeded workload drives ``QueueService`` three ways: embedded (no log: each command is
applied at once; the same-run baseline), through a ``RedisCommandLog`` on one worker (each
command is appended to a Redis stream; the worker's follower reads it back and applies it, and
the issuer waits until it is applied), and on two workers sharing the stream (two services,
each with its own log, Redis connections and agents' websockets; commands issued alternately
on one and the other, so each worker applies the other's commands as it follows the log).

The workload: 40 agents in 4 groups (one in five also in the next group), logged in ``free``
with their websockets on their worker (half on each with two workers), and 400 visitors
waiting. The measured loop is a seeded mix as in ``bench/dispatch.py``: accept a ringing offer
(40 %), end a conversation and let a new visitor arrive (30 %, two commands), switch an agent
between ``free`` and ``busy`` (30 %). Offers never ring out during the run (no ticks). One
command is in flight at a time: each is awaited before the next, so a command's latency is what
one agent's action or one visitor's arrival waits for. The three runs must make the same offers
(the clock is a frozen one the harness advances), so they did the same work.

Times are wall-clock (``time.perf_counter``) around each awaited command: the log's cost is
mostly waiting for Redis, which CPU time would not see. Also printed for scale: one bare Redis
round trip (``PING``) with the same client library. Keys go under a fresh prefix, deleted
afterwards. Exits 2 when Redis is unreachable.

Run: ``python bench/queue_log.py [--quick] [--redis redis://127.0.0.1:6379]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dispatch import Picker  # bench/ is the script's folder, so on sys.path
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chatflow.engine import events
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, AgentStatus, Group
from chatflow.engine.routing import (
    Accepted,
    Assigned,
    Decision,
    Ended,
    Offer,
    OfferWithdrawn,
    QueueService,
    QueueUnavailable,
)
from chatflow.engine.routing.log_redis import RedisCommandLog
from chatflow.engine.routing.queue_state import dump

M = "acme"
RING = 3600.0  # offers never ring out during the run
START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


# -- the world around the queue ----------------------------------------------------------------


class Sockets:
    """The agents' websockets on one worker: counts the frames for agents connected here."""

    def __init__(self) -> None:
        self.here: set[str] = set()
        self.frames = 0

    async def notify(self, agent_id: str, frame: dict[str, Any]) -> None:
        if agent_id in self.here:
            self.frames += 1


class Sessions:
    """The runtime's side: counts the session events delivered."""

    def __init__(self) -> None:
        self.delivered = 0

    async def deliver(self, session_id: str, event: events.Event) -> None:
        self.delivered += 1


@dataclass
class Floor:
    """What the harness knows from the decisions (an observer of every issuing service)."""

    ringing: Picker = field(default_factory=Picker)
    offered_to: dict[str, str] = field(default_factory=dict)
    active: Picker = field(default_factory=Picker)
    offers: list[tuple[str, str]] = field(default_factory=list)

    def observe(self, d: Decision) -> None:
        if isinstance(d, Offer):
            self.ringing.add(d.session_id)
            self.offered_to[d.session_id] = d.agent_id
            self.offers.append((d.session_id, d.agent_id))
        elif isinstance(d, Accepted):
            self.ringing.remove(d.session_id)
            self.active.add(d.session_id)
        elif isinstance(d, Assigned):
            self.active.add(d.session_id)
        elif isinstance(d, OfferWithdrawn):
            self.ringing.remove(d.session_id)
        elif isinstance(d, Ended):
            self.active.remove(d.session_id)


@dataclass
class Workload:
    groups: int
    agents: int
    visitors: int
    ops: int


@dataclass
class Result:
    latencies: dict[str, list[float]]  # seconds, by kind of command
    seconds: float  # the measured loop, wall clock
    offers: list[tuple[str, str]]
    frames: int
    events: int
    snapshot: int = 0  # bytes of the last queue snapshot in Redis
    copies_agree: bool = True  # two workers: both copies ended in the same state

    @property
    def all(self) -> list[float]:
        return [t for values in self.latencies.values() for t in values]

    @property
    def rate(self) -> float:
        return len(self.all) / self.seconds


# -- the workload ------------------------------------------------------------------------------


async def drive(
    services: list[QueueService],
    sockets: list[Sockets],
    floor: Floor,
    clock: FrozenClock,
    w: Workload,
) -> tuple[dict[str, list[float]], float]:
    """Set the floor up (untimed), then run the seeded mix: each command's latency by kind,
    and the loop's seconds. Commands go to the services in turn (one service: all to it)."""
    rng = random.Random(1)
    first = services[0]
    for g in range(w.groups):
        routing = "priority" if g % 2 else "fifo"
        group = Group(id=f"g{g}", max_sessions=3, routing=routing, ring_timeout=RING)
        await first.configure_group(M, group)
    status: dict[str, AgentStatus] = {}
    agents: list[str] = []
    for n in range(w.agents):
        memberships = {f"g{n % w.groups}": rng.randint(1, 5)}
        if n % 5 == 0:
            memberships[f"g{(n + 1) % w.groups}"] = rng.randint(1, 5)
        aid = f"agent{n:04d}"
        account = Agent(
            account=aid, password_hash="x", nickname=aid, staff_no=str(n), groups=memberships
        )
        await first.register_agent(M, account)
        home = n % len(services)  # the worker holding the agent's websocket
        sockets[home].here.add(aid)
        await services[home].attach(aid)
        await services[home].login(aid, "free")
        status[aid] = "free"
        agents.append(aid)
    visitor = 0
    for _ in range(w.visitors):
        await first.enqueue(f"v{visitor}", M, f"g{visitor % w.groups}", 0)
        visitor += 1

    latencies: dict[str, list[float]] = {"accept": [], "end": [], "enqueue": [], "status": []}
    turn = 0

    async def timed(kind: str, command: Callable[[QueueService], Awaitable[None]]) -> None:
        nonlocal turn
        service = services[turn % len(services)]
        turn += 1
        started = time.perf_counter()
        await command(service)
        latencies[kind].append(time.perf_counter() - started)

    started = time.perf_counter()
    for _ in range(w.ops):
        clock.advance(0.01)
        roll = rng.random()
        if roll < 0.4 and floor.ringing.items:
            sid = floor.ringing.choice(rng)
            aid = floor.offered_to[sid]
            await timed("accept", lambda s, a=aid, i=sid: s.accept(a, i))
        elif roll < 0.7 and floor.active.items:
            sid = floor.active.choice(rng)
            await timed("end", lambda s, i=sid: s.end(i))
            vid, group = f"v{visitor}", f"g{rng.randrange(w.groups)}"
            priority = int(rng.random() < 0.1)
            visitor += 1
            await timed("enqueue", lambda s, v=vid, g=group, p=priority: s.enqueue(v, M, g, p))
        else:
            aid = agents[rng.randrange(len(agents))]
            status[aid] = "busy" if status[aid] == "free" else "free"
            await timed("status", lambda s, a=aid, st=status[aid]: s.set_status(a, st))
    return latencies, time.perf_counter() - started


async def run(w: Workload, workers: int, url: str | None, prefix: str) -> Result:
    """The workload on an embedded service (``url`` None) or on ``workers`` services sharing
    one Redis command log; everything started here is stopped here."""
    floor = Floor()
    clock = FrozenClock(START)
    sockets = [Sockets() for _ in range(max(workers, 1))]
    sessions = [Sessions() for _ in sockets]
    services: list[QueueService] = []
    logs: list[RedisCommandLog] = []
    try:
        for n in range(len(sockets)):
            log = RedisCommandLog(url, prefix=prefix) if url is not None else None
            service = QueueService(
                sessions[n], sockets[n], clock, observers=(floor.observe,), log=log
            )
            services.append(service)
            if log is not None:
                logs.append(log)
            await service.start()
        latencies, seconds = await drive(services, sockets, floor, clock, w)
        result = Result(
            latencies,
            seconds,
            floor.offers,
            sum(s.frames for s in sockets),
            sum(s.delivered for s in sessions),
        )
        if logs:
            result.snapshot = await logs[0].redis.hstrlen(logs[0].snapshot_key, "state")
            await settled(logs)
            result.copies_agree = len({dump(s.state) for s in services}) == 1
        return result
    finally:
        for service in services:
            await service.aclose()


async def settled(logs: list[RedisCommandLog]) -> None:
    """Wait until every worker applied everything the log holds."""
    for _ in range(1_000):
        newest = await logs[0].redis.xrevrange(logs[0].log_key, count=1)
        if all(newest and log.last == newest[0][0].decode() for log in logs):
            return
        await asyncio.sleep(0.01)
    raise QueueUnavailable("the workers did not catch up with the log")


# -- Redis -------------------------------------------------------------------------------------


async def unreachable(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used, or None."""
    try:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    except ValueError as exc:  # not a Redis URL
        return str(exc)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        return str(exc) or type(exc).__name__
    finally:
        await client.aclose()
    return None


async def round_trips(url: str, count: int) -> list[float]:
    """Seconds of ``count`` bare ``PING`` round trips, for scale."""
    client = Redis.from_url(url)
    try:
        await client.ping()  # connect first
        times = []
        for _ in range(count):
            started = time.perf_counter()
            await client.ping()
            times.append(time.perf_counter() - started)
        return times
    finally:
        await client.aclose()


async def delete_keys(url: str, prefix: str) -> int:
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1_000)]
        if keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.aclose()


# -- report ------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def bench(url: str, w: Workload, pings: int) -> int:
    problem = await unreachable(url)
    if problem is not None:
        print(
            f"Redis is not reachable at {url}: {problem}\n"
            "This benchmark needs one: start redis-server, or pass --redis URL.",
            file=sys.stderr,
        )
        return 2
    prefix = f"cfbench:{uuid.uuid4().hex[:12]}:"
    try:
        embedded = await run(w, 0, None, "")
        ping = await round_trips(url, pings)
        one = await run(w, 1, url, f"{prefix}one:")
        two = await run(w, 2, url, f"{prefix}two:")
    except (QueueUnavailable, RedisError, OSError) as exc:
        print(f"Redis at {url} failed during the run: {exc}", file=sys.stderr)
        return 2
    finally:
        try:
            await delete_keys(url, prefix)
        except (RedisError, OSError) as exc:
            print(f"could not delete the keys {prefix}*: {exc}", file=sys.stderr)
    if not embedded.offers == one.offers == two.offers:
        print("the runs made different offers: the comparison is void", file=sys.stderr)
        return 1
    if not two.copies_agree:
        print("the two workers' copies of the queue differ at the end", file=sys.stderr)
        return 1
    commands = len(embedded.all)
    print(
        f"{w.agents} agents in {w.groups} groups, {w.visitors} visitors waiting; "
        f"{w.ops} operations = {commands} commands, one in flight at a time"
    )
    print(
        f"cross-check: the three runs made the same {len(embedded.offers)} offers "
        f"({embedded.events} session events, {embedded.frames} agent frames); "
        "the two workers' copies ended identical"
    )
    if one.snapshot:
        print(f"queue snapshot in Redis: {one.snapshot / 1024:,.0f} KiB (the pickled state)")
    else:
        print("queue snapshot in Redis: none yet (taken every 500 commands)")
    print(
        f"one bare Redis round trip (PING): p50 {pct(ping, 0.5):.3f} ms, p99 {pct(ping, 0.99):.3f} ms"
    )
    print()
    runs = (
        ("embedded (baseline)", embedded),
        ("Redis log, 1 worker", one),
        ("Redis log, 2 workers", two),
    )
    print(
        f"{'':22}{'commands/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'rate vs embedded':>18}"
    )
    for name, r in runs:
        ratio = "" if r is embedded else f"{r.rate / embedded.rate:.3f}"
        mean = statistics.fmean(r.all) * 1000
        print(
            f"{name:22}{r.rate:>11,.0f}{pct(r.all, 0.5):>9.3f}{pct(r.all, 0.99):>9.3f}"
            f"{mean:>9.3f}{ratio:>18}"
        )
    for name, r in runs[1:]:
        added = pct(r.all, 0.5) - pct(embedded.all, 0.5)
        print(
            f"{name}: a command takes {pct(r.all, 0.5) / pct(embedded.all, 0.5):.1f}x the "
            f"embedded p50, +{added:.3f} ms ({added / pct(ping, 0.5):.1f} PING round trips)"
        )
    print()
    print("p50 ms by command" + "".join(f"{name:>22}" for name, _ in runs))
    for kind in embedded.latencies:
        n = len(embedded.latencies[kind])
        cells = "".join(f"{pct(r.latencies[kind], 0.5):>22.3f}" for _, r in runs)
        print(f"{kind + f' ({n})':17}{cells}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="the Redis to use")
    parser.add_argument("--ops", type=int, help="operations in the measured loop")
    parser.add_argument("--agents", type=int, help="agents (default 40; 10 with --quick)")
    parser.add_argument("--visitors", type=int, help="visitors waiting (default 400; 50 quick)")
    args = parser.parse_args()
    if args.quick:
        w, pings = Workload(groups=2, agents=10, visitors=50, ops=300), 200
    else:
        w, pings = Workload(groups=4, agents=40, visitors=400, ops=6_000), 2_000
    w.ops = args.ops or w.ops
    w.agents = args.agents or w.agents
    w.visitors = args.visitors or w.visitors
    sys.exit(asyncio.run(bench(args.redis, w, pings)))


if __name__ == "__main__":
    main()
