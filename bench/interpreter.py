"""Benchmark of the interpreter and of event throughput through the SQLite session store.

Every figure is printed next to a baseline measured in the same run, and as a ratio, so results
compare across machines:

* interpreter steps per second (a step = one node entered), pure ``apply_event`` and through the
  runtime with the in-memory store, against a bare ``dict`` update loop;
* events per second through ``Runtime.apply`` on a SQLite file, against a bare SQLite loop that
  updates one row and commits, with the same connection settings.

Run: ``python bench/interpreter.py [--quick]``. The nodes are tiny ones defined here, so the
figures measure the interpreter and the store, not any node's logic.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from chatflow.engine.clock import FrozenClock
from chatflow.engine.effects import Outcome, Say, SetVars
from chatflow.engine.events import Event, VisitorText
from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.interpreter import apply_event
from chatflow.engine.language import FlowLanguage
from chatflow.engine.node import NodeBase
from chatflow.engine.runtime import Runtime
from chatflow.engine.session import Session
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.sqlite import SqliteStore, sqlite_pragmas
from chatflow.engine.yamlsource import loads

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext

CHAIN = 50
"""Nodes one event passes through in the interpreter benchmark."""


class CountNode(NodeBase):
    """Add one to ``counter`` and go on."""

    type: Literal["count"]
    next: str

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.go(self.next, SetVars({"counter": int(ctx.variables["counter"]) + 1}))


class WaitNode(NodeBase):
    """Wait; any text answers with one message and goes to ``next``."""

    type: Literal["wait"]
    waits_for_input = True
    next: str

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.wait()

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        return Outcome.go(self.next, Say("ok"))


LANGUAGE = FlowLanguage((CountNode, WaitNode))


def chain_flow(length: int) -> str:
    lines = ["id: bench", "start: wait", "vars: {counter: 0}", "nodes:"]
    lines.append("  wait: {type: wait, next: c0}")
    for n in range(length):
        target = f"c{n + 1}" if n + 1 < length else "wait"
        lines.append(f"  c{n}: {{type: count, next: {target}}}")
    return "\n".join(lines) + "\n"


def best_rate(run: Callable[[], tuple[int, float]], repeat: int) -> float:
    """Best of ``repeat`` runs in units per second; ``run`` returns (units done, seconds taken),
    timing only the measured loop, not its setup."""
    best = 0.0
    for _ in range(repeat):
        done, seconds = run()
        best = max(best, done / seconds)
    return best


def dict_updates(count: int) -> tuple[int, float]:
    values: dict[str, int] = {"counter": 0}
    start = time.perf_counter()
    for n in range(count):
        values["counter"] = n
    return count, time.perf_counter() - start


def pure_steps(events: int) -> tuple[int, float]:
    flow = LoadedFlow.build(LANGUAGE.parse(loads(chain_flow(CHAIN))), "v")
    session = Session(id="s", flow_id="bench", flow_version="v", node="wait")
    session.variables = {"counter": 0}
    now = FrozenClock().now()
    steps = 0
    start = time.perf_counter()
    for n in range(events):
        tx = apply_event(session, flow, VisitorText(f"k{n}", "go"), now)
        steps += len(tx.visited)
    return steps, time.perf_counter() - start


async def runtime_steps(events: int) -> tuple[int, float]:
    runtime = Runtime(MemoryStore(), LANGUAGE, clock=FrozenClock())
    await runtime.publish(chain_flow(CHAIN))
    sid = await runtime.start("bench")
    start = time.perf_counter()
    for n in range(events):
        await runtime.apply(sid, VisitorText(f"k{n}", "go"))
    return events * (CHAIN + 1), time.perf_counter() - start


async def sqlite_events(path: Path, sessions: int, events: int) -> tuple[int, float]:
    store = SqliteStore(path)
    try:
        runtime = Runtime(store, LANGUAGE, clock=FrozenClock())
        await runtime.publish(chain_flow(1))
        ids = [await runtime.start("bench") for _ in range(sessions)]
        start = time.perf_counter()
        for n in range(events):
            await runtime.apply(ids[n % sessions], VisitorText(f"k{n}", "go"))
        return events, time.perf_counter() - start
    finally:
        await store.close()


def sqlite_commits(path: Path, sessions: int, commits: int, blob: str) -> tuple[int, float]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in sqlite_pragmas():
            connection.execute(pragma)
        connection.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, data TEXT)")
        connection.executemany(
            "INSERT OR REPLACE INTO t VALUES (?, ?)", [(n, blob) for n in range(sessions)]
        )
        start = time.perf_counter()
        for n in range(commits):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE t SET data = ? WHERE id = ?", (blob, n % sessions))
            connection.execute("COMMIT")
        return commits, time.perf_counter() - start
    finally:
        connection.close()


def session_blob() -> str:
    """A stored session of the SQLite benchmark's size, for the baseline's row."""
    session = Session(id="x" * 32, flow_id="bench", flow_version="0" * 16, node="wait")
    session.variables = {"counter": 0}
    session.seen = [f"k{n}" for n in range(50)]
    return session.dumps()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    repeat = 1 if args.quick else 3

    baseline = best_rate(lambda: dict_updates(2_000_000 // scale), repeat)
    pure = best_rate(lambda: pure_steps(2_000 // scale), repeat)
    memory = best_rate(lambda: asyncio.run(runtime_steps(1_000 // scale)), repeat)
    print(f"dict updates/s (baseline)            {baseline:>14,.0f}")
    print(
        f"interpreter steps/s (apply_event)    {pure:>14,.0f}   1 step = {baseline / pure:,.0f} dict updates"
    )
    print(
        f"runtime steps/s (memory store)       {memory:>14,.0f}   1 step = {baseline / memory:,.0f} dict updates"
    )

    with tempfile.TemporaryDirectory() as folder:
        events = 3_000 // scale
        blob = session_blob()
        counter = iter(range(1_000))

        def fresh(name: str) -> Path:
            return Path(folder) / f"{name}{next(counter)}.db"

        commits = best_rate(lambda: sqlite_commits(fresh("bare"), 100, events, blob), repeat)
        through = best_rate(lambda: asyncio.run(sqlite_events(fresh("store"), 100, events)), repeat)
    print(f"bare SQLite commits/s (baseline)     {commits:>14,.0f}")
    print(
        f"events/s through the SQLite store    {through:>14,.0f}   ratio {through / commits:.2f} of bare commits"
    )


if __name__ == "__main__":
    main()
