"""The process ``test_restart`` kills: it plays a fixed plan of events against a SQLite store.

``python restart_child.py DB run`` starts the sessions and delivers the plan, printing
``ack <session> <key>`` after each event is saved. ``... DB resume`` (a new process, after the
first was killed) delivers the whole plan again (repeats are ignored), lets the frozen clock run
so pending timers fire, and prints every session and its output log as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "engine"))

from runtime_kit import KIT

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import VisitorText
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.base import SessionStore
from chatflow.engine.stores.sqlite import SqliteStore

FLOW = """\
id: restart
start: hello
vars: {name: "", log: []}
settings: {idle_timeout: 600, idle_message: "idle, bye {{ name }}"}
nodes:
  hello: {type: say, text: "hi", next: ask}
  ask: {type: ask, prompt: "name?", var: name, next: thanks, timeout: 300, on_timeout: late}
  thanks: {type: say, text: "thanks {{ name }}", next: log}
  late: {type: say, text: "too late", next: log}
  log: {type: log}
"""
START = "2026-11-23T10:00:00+08:00"
SESSIONS = [f"s{n}" for n in range(8)]


def plan() -> list[tuple[str, str, str]]:
    """(session, key, text), interleaved across sessions; s0 and s1 never answer ``ask``."""
    events: list[tuple[str, str, str]] = []
    for round_ in range(6):
        for n, sid in enumerate(SESSIONS):
            if n < 2 or round_ >= n:
                continue
            text = f"name{n}" if round_ == 0 else f"m{round_}"
            events.append((sid, f"{sid}-k{round_}", text))
    return events


async def play(store: SessionStore, *, resume: bool, pause: float, out: TextIO) -> None:
    clock = FrozenClock(START)
    runtime = Runtime(store, KIT, clock=clock)
    if await store.latest_flow_version("restart") is None:
        await runtime.publish(FLOW)
    for sid in SESSIONS:
        if await store.load(sid) is None:
            await runtime.start("restart", session_id=sid)
    print("started", file=out, flush=True)
    for sid, key, text in plan():
        await runtime.deliver(sid, VisitorText(key, text))
        print(f"ack {sid} {key}", file=out, flush=True)
        if pause:
            time.sleep(pause)
    if resume:
        for seconds in (301, 601):
            clock.advance(seconds)
            await runtime.fire_due_timers()
        print(json.dumps(await snapshot(runtime)), file=out, flush=True)


async def snapshot(runtime: Runtime) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for sid in SESSIONS:
        session = await runtime.get(sid)
        frames = [f.to_json() for f in await runtime.outputs(sid)]
        result[sid] = {"session": session.to_json(), "frames": frames}
    return result


async def main(db: str, mode: str) -> None:
    store = SqliteStore(db)
    try:
        await play(
            store, resume=mode == "resume", pause=0.003 if mode == "run" else 0, out=sys.stdout
        )
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
