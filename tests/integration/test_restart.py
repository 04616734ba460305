"""Restart safety: a process running sessions on a SQLite file is killed (SIGKILL) between or
during events; a new process continues every session at its node, with its variables and its
pending timers, and ends in exactly the state of a run that never crashed."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import restart_child

from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.sqlite import SqliteStore

CHILD = Path(restart_child.__file__)


def run_until_killed(db: Path, acks_before_kill: int) -> list[tuple[str, str]]:
    """Run the child, SIGKILL it after it acknowledged ``acks_before_kill`` events."""
    acked: list[tuple[str, str]] = []
    with subprocess.Popen(
        [sys.executable, str(CHILD), str(db), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("ack ") and len(acked) < acks_before_kill:
                _, sid, key = line.split()
                acked.append((sid, key))
            if line.startswith("started") and acks_before_kill == 0:
                break
            if len(acked) == acks_before_kill:
                break
        child.send_signal(signal.SIGKILL)
        _, errors = child.communicate()
        assert child.returncode == -signal.SIGKILL, errors
    return acked


def resume(db: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(CHILD), str(db), "resume"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(done.stdout.splitlines()[-1]))


def reference() -> dict[str, Any]:
    """The same plan in this process on the in-memory store, never interrupted."""

    async def run() -> dict[str, Any]:
        store = MemoryStore()
        sink = io.StringIO()
        await restart_child.play(store, resume=True, pause=0, out=sink)
        return dict(json.loads(sink.getvalue().splitlines()[-1]))

    return asyncio.run(run())


async def inspect(db: Path, acked: list[tuple[str, str]]) -> None:
    """What the killed process left: every acknowledged event, pending timers still indexed."""
    store = SqliteStore(db)
    try:
        for sid, key in acked:
            session = await store.load(sid)
            assert session is not None and session.has_seen(key), (sid, key)
        for sid in ("s0", "s1"):  # they never answer: waiting at ask with its timeout pending
            session = await store.load(sid)
            if session is None:
                continue
            assert session.node == "ask" and "ask:timeout" in session.timers
        soon = FrozenClock(restart_child.START).advance(300)
        due = {(t.session_id, t.name) for t in await store.due_timers(soon + timedelta(seconds=1))}
        started = [sid for sid in restart_child.SESSIONS if await store.load(sid) is not None]
        assert {(sid, "ask:timeout") for sid in started if sid in ("s0", "s1")} <= due
    finally:
        await store.close()


@pytest.mark.parametrize("acks_before_kill", [0, 3, 11, 19])
def test_a_killed_process_loses_nothing_and_repeats_nothing(
    tmp_path: Path, acks_before_kill: int
) -> None:
    db = tmp_path / "sessions.db"
    acked = run_until_killed(db, acks_before_kill)
    assert len(acked) == acks_before_kill
    asyncio.run(inspect(db, acked))
    assert resume(db) == reference()


def test_the_reference_run_exercises_answers_timeouts_and_idle_endings() -> None:
    final = reference()
    nodes = {sid: v["session"]["node"] for sid, v in final.items()}
    assert set(nodes.values()) == {"log"}
    texts = [f.get("text") for f in final["s0"]["frames"]]
    assert texts == ["hi", "name?", "too slow", "too late", "idle, bye ", None]
    assert final["s7"]["session"]["variables"]["name"] == "name7"
    assert all(v["session"]["end_reason"] == "idle" for v in final.values())
