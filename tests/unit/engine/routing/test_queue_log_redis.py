"""One agent queue for several workers: each applies the same Redis command log (real Redis).

Every "worker" here is a ``QueueService`` with its own ``RedisCommandLog`` (its own Redis
connections and worker id), its own agents' websockets (a notifier that keeps the frames of
the agents connected to it) and its own session sink, as in ``chatflow serve --redis``.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from chatflow.engine import events
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, Group
from chatflow.engine.handoff import QueueHold
from chatflow.engine.routing import NotOffered, QueueService, QueueUnavailable, RoutingError
from chatflow.engine.routing.log_redis import RedisCommandLog

pytestmark = pytest.mark.anyio


class Sockets:
    """The agents' websockets on one worker: frames for agents connected here only."""

    def __init__(self) -> None:
        self.here: set[str] = set()
        self.frames: list[tuple[str, dict[str, Any]]] = []

    async def notify(self, agent_id: str, frame: dict[str, Any]) -> None:
        if agent_id in self.here:
            self.frames.append((agent_id, frame))

    def kinds(self, agent_id: str) -> list[str]:
        return [f["type"] for a, f in self.frames if a == agent_id]


class Sessions:
    """The runtime's side: the session events this worker delivered."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, events.Event]] = []

    async def deliver(self, session_id: str, event: events.Event) -> None:
        self.delivered.append((session_id, event))


class Worker:
    def __init__(self, queue: QueueService, log: RedisCommandLog) -> None:
        self.queue, self.log = queue, log
        self.sockets: Sockets = queue._notifier  # type: ignore[assignment]
        self.sessions: Sessions = queue._sink  # type: ignore[assignment]

    async def connect(self, agent_id: str) -> None:
        """The agent's websocket opens here and it logs in (as ``/ws/agent`` does)."""
        self.sockets.here.add(agent_id)
        await self.queue.attach(agent_id)
        view = self.queue.dispatcher.agent(agent_id)
        if view is None or view.status == "offline":
            await self.queue.login(agent_id)


CLOCK = FrozenClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))


@pytest.fixture
async def cluster(redis_url: str, redis_prefix: str) -> AsyncIterator[Callable[..., Any]]:
    made: list[Worker] = []

    async def worker(**options: Any) -> Worker:
        log = RedisCommandLog(redis_url, prefix=redis_prefix, **options)
        queue = QueueService(Sessions(), Sockets(), CLOCK, log=log)
        await queue.start()
        made.append(Worker(queue, log))
        return made[-1]

    yield worker
    for w in made:
        await w.queue.aclose()


async def settled(*workers: Worker) -> None:
    """Wait until every worker applied everything the log holds."""
    for _ in range(400):
        lasts = {w.log.last for w in workers}
        newest = await workers[0].log.redis.xrevrange(workers[0].log.log_key, count=1)
        if len(lasts) == 1 and (not newest or newest[0][0].decode() in lasts):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the workers did not catch up")


def summary(queue: QueueService) -> tuple[Any, ...]:
    d = queue.dispatcher
    return (
        sorted((v.session_id, v.phase, v.agents, v.offered_to, v.ahead) for v in d.sessions()),
        sorted((v.agent_id, v.status, sorted(v.active), sorted(v.ringing)) for v in d.agents()),
        sorted((v.group, v.online, v.waiting) for v in d.groups()),
        queue.state.profiles,
        {a: sorted(ws) for a, ws in queue.state.present.items()},
    )


def agent(account: str, groups: dict[str, int]) -> Agent:
    return Agent(account=account, password_hash="x", nickname=account, staff_no="7", groups=groups)


async def configure(w: Worker, *accounts: str) -> None:
    await w.queue.configure_group("acme", Group(id="presales", max_sessions=2))
    for account in accounts:
        await w.queue.register_agent("acme", agent(account, {"presales": 1}))


async def test_a_visitor_queued_on_one_worker_is_served_by_an_agent_on_another(
    cluster: Callable[..., Any],
) -> None:
    a, b = await cluster(), await cluster()
    await configure(a, "alice01")
    await settled(a, b)
    await b.connect("alice01")  # alice's websocket is on B
    await a.queue.enqueue("s1", "acme", "presales", 0)  # the visitor's transfer ran on A
    await settled(a, b)
    assert b.sockets.kinds("alice01") == ["status", "offer"]
    assert a.sockets.frames == []  # nobody is connected to A
    await b.queue.accept("alice01", "s1")  # alice accepts on B
    await settled(a, b)
    # Both copies agree; the session heard each event once, from the worker that caused it.
    assert a.queue.dispatcher.session("s1").agents == ("alice01",)  # type: ignore[union-attr]
    assert summary(a.queue) == summary(b.queue)
    assert [type(e).__name__ for _, e in a.sessions.delivered] == ["QueuePosition"]
    assert [type(e).__name__ for _, e in b.sessions.delivered] == ["AgentJoined"]
    joined = b.sessions.delivered[0][1]
    assert isinstance(joined, events.AgentJoined) and joined.nickname == "alice01"
    # The visitor leaves through A: alice, on B, hears the end.
    await a.queue.leave("s1", "visitor")
    await settled(a, b)
    assert b.sockets.kinds("alice01")[-1] == "session_ended"
    assert a.queue.dispatcher.session("s1") is None is b.queue.dispatcher.session("s1")


async def test_an_operation_refused_by_the_queue_is_refused_to_its_caller(
    cluster: Callable[..., Any],
) -> None:
    a, b = await cluster(), await cluster()
    await configure(a, "alice01")
    await b.connect("alice01")
    with pytest.raises(NotOffered):
        await a.queue.accept("alice01", "nobody")
    await settled(a, b)
    assert summary(a.queue) == summary(b.queue)  # the refusal changed nothing anywhere


async def test_a_worker_that_starts_later_takes_the_snapshot_and_what_followed(
    cluster: Callable[..., Any],
) -> None:
    a = await cluster(snapshot_every=4)
    await configure(a, "alice01", "bob0001")
    await a.connect("alice01")
    for n in range(12):
        await a.queue.enqueue(f"s{n}", "acme", "presales", 0)
    await a.queue.accept("alice01", "s0")
    stored = await a.log.redis.xlen(a.log.log_key)
    assert stored < a.queue.state.applied  # the log was trimmed behind a snapshot
    late = await cluster()
    await settled(a, late)
    assert summary(late.queue) == summary(a.queue)
    assert late.queue.state.applied == a.queue.state.applied
    # ... and goes on in step with the others.
    await late.connect("bob0001")
    await settled(a, late)
    assert summary(late.queue) == summary(a.queue)
    assert late.sockets.kinds("bob0001") == ["status", "offer", "offer"]  # his room: 2


async def test_every_worker_restores_the_same_hold_once(cluster: Callable[..., Any]) -> None:
    a, b = await cluster(), await cluster()
    await configure(a, "alice01")
    since = datetime(2026, 11, 21, 8, 50, tzinfo=UTC)
    held = QueueHold("s1", "acme", "presales", 0, None, since)
    await asyncio.gather(a.queue.restore(held), b.queue.restore(held))
    await settled(a, b)
    assert [v.session_id for v in a.queue.dispatcher.sessions()] == ["s1"]
    assert a.queue.dispatcher.session("s1").waiting_since == since.timestamp()  # type: ignore[union-attr]
    assert summary(a.queue) == summary(b.queue)


async def test_an_agent_stays_online_while_any_worker_holds_its_websocket(
    cluster: Callable[..., Any],
) -> None:
    a, b = await cluster(), await cluster()
    await configure(a, "alice01")
    await a.connect("alice01")
    await b.connect("alice01")  # a second tab, through another worker
    await a.queue.detach("alice01")  # A's socket closed (after its grace period)
    await settled(a, b)
    assert b.queue.dispatcher.agent("alice01").status == "free"  # type: ignore[union-attr]
    await b.queue.detach("alice01")
    await settled(a, b)
    assert a.queue.dispatcher.agent("alice01").status == "offline"  # type: ignore[union-attr]
    assert not a.queue.connected("alice01")


async def test_the_agents_of_a_worker_that_died_log_out(
    cluster: Callable[..., Any], redis_url: str
) -> None:
    a = await cluster(heartbeat=0.05)
    b = await cluster(heartbeat=0.05)
    await configure(a, "alice01", "bob0001")
    await a.connect("alice01")
    await b.connect("bob0001")
    await a.queue.enqueue("s1", "acme", "presales", 0)
    await settled(a, b)
    ringing_for = a.queue.dispatcher.session("s1").offered_to  # type: ignore[union-attr]
    # B stops without a goodbye: its log stops and its heartbeat expires.
    await b.log.aclose()
    client = Redis.from_url(redis_url)
    await client.delete(b.log._alive_key(b.log.worker))
    await client.aclose()
    for _ in range(300):
        if a.queue.dispatcher.agent("bob0001").status == "offline":  # type: ignore[union-attr]
            break
        await asyncio.sleep(0.01)
    assert a.queue.dispatcher.agent("bob0001").status == "offline"  # type: ignore[union-attr]
    assert a.queue.dispatcher.agent("alice01").status == "free"  # type: ignore[union-attr]
    if ringing_for == "bob0001":  # the offer went to alice instead
        assert a.queue.dispatcher.session("s1").offered_to == "alice01"  # type: ignore[union-attr]


async def test_a_failing_departure_does_not_stop_this_workers_heartbeat(
    cluster: Callable[..., Any], redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """If handling another worker's departure raises, the heartbeat goes on: otherwise the
    others would soon take this worker for dead too and log its agents out."""
    a = await cluster(heartbeat=0.05)
    b = await cluster(heartbeat=0.05)
    await configure(a, "alice01", "bob0001")
    await b.connect("bob0001")
    await settled(a, b)
    calls: list[str] = []

    async def broken(worker: str) -> None:
        calls.append(worker)
        raise RuntimeError("an observer failed")

    a.queue.worker_gone = broken  # type: ignore[method-assign]
    await b.log.aclose()
    client = Redis.from_url(redis_url)
    await client.delete(b.log._alive_key(b.log.worker))
    for _ in range(300):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    assert len(calls) >= 3, "the heartbeat loop stopped after the first failure"
    await client.delete(a.log._alive_key(a.log.worker))
    for _ in range(300):
        if await client.exists(a.log._alive_key(a.log.worker)):
            break
        await asyncio.sleep(0.01)
    assert await client.exists(a.log._alive_key(a.log.worker)), "A's heartbeat stopped"
    await client.aclose()
    assert "queue.heartbeat_failed" in caplog.text


async def test_random_operations_from_three_workers_leave_the_same_queue_everywhere(
    cluster: Callable[..., Any],
) -> None:
    workers = [await cluster(snapshot_every=25) for _ in range(3)]
    accounts = [f"agent{n:03d}" for n in range(6)]
    await configure(workers[0], *accounts)
    await settled(*workers)
    rng = random.Random(7)
    accepted: list[str] = []
    for account in accounts:
        await rng.choice(workers).connect(account)

    async def one(n: int) -> None:
        w = rng.choice(workers)
        roll = rng.random()
        try:
            if roll < 0.35:
                await w.queue.enqueue(f"v{n}", "acme", "presales", rng.choice((0, 0, 1)))
            elif roll < 0.6:
                view = rng.choice(list(w.queue.dispatcher.agents()))
                if view.ringing:
                    await w.queue.accept(view.agent_id, sorted(view.ringing)[0])
                    accepted.append(view.agent_id)
            elif roll < 0.8:
                served = [s for s in w.queue.dispatcher.sessions() if s.phase == "active"]
                if served:
                    await w.queue.end(rng.choice(served).session_id)
            else:
                status = rng.choice(("free", "busy", "rest"))
                await w.queue.set_status(rng.choice(accounts), status)  # type: ignore[arg-type]
        except RoutingError:
            pass  # another worker got there first: refused, as the API would

    for batch in range(6):
        await asyncio.gather(*(one(batch * 20 + n) for n in range(20)))
    await settled(*workers)
    first = summary(workers[0].queue)
    assert len(accepted) > 5  # the run served visitors, not only refusals
    for w in workers[1:]:
        assert summary(w.queue) == first
    late = await cluster()
    await settled(late, *workers)
    assert summary(late.queue) == first


async def test_an_unreachable_redis_is_a_clear_refusal_not_a_hang() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = RedisCommandLog(f"redis://127.0.0.1:{port}/0")
    queue = QueueService(Sessions(), Sockets(), CLOCK, log=log)
    with pytest.raises(QueueUnavailable, match="unreachable"):
        await queue.enqueue("s1", "acme", "presales", 0)
    await queue.aclose()
