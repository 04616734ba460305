"""Benchmark of the visitor websocket round trip through the engine against a bare echo.

Two real servers on loopback, each a ``uvicorn`` subprocess: ``chatflow serve`` on a deployment
whose flow is a keyword bot (every visitor message gets one bot reply: parse the frame, apply the
event under the session lock, render, save state and frames to SQLite, wake the socket, send),
and a bare Starlette websocket echo. The same client drives both with 1 and with N concurrent
visitors; a round trip is "send a text frame, receive the answer" (for the engine: the bot's
reply, after the echo of the visitor's own message). Prints throughput, p50/p99 latency and the
ratio engine/echo.

A second reference, ``echo x2``, answers every message with two frames as the visitor protocol
does (the visitor's own message comes back as its acknowledgement, then the reply), parsing the
client frame and building both JSON frames, with no state: the most a server speaking this
protocol through Starlette can do here, so ``engine / echo x2`` is the engine's own share.

Run: ``python bench/websocket.py [--messages 300] [--visitors 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import websockets

FLOW = """\
id: bench
start: bot
nodes:
  bot:
    type: bot
    rules:
      - {keywords: [价格], replies: ["价格请见官网"]}
    fallback_message: "收到：{{ sys.last_input }}"
"""

CONFIG = """\
flows: ./flows
limits:  # the benchmark sends as fast as it can; real visitors keep the default limits
  new_sessions_per_ip: {count: 1000, seconds: 1}
  messages_per_session: {count: 100000, seconds: 1}
merchants:
  - id: bench
    sites: [{key: bench-web, name: Bench, flow: bench}]
"""

ECHO_APP = """\
import json

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

async def echo(ws):
    await ws.accept()
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except Exception:
        pass

async def echo_twice(ws):
    await ws.accept()
    seq = 0
    try:
        while True:
            frame = json.loads(await ws.receive_text())
            seq += 2
            await ws.send_text(json.dumps({"type": "message", "seq": seq - 1, "from": "visitor",
                                           "text": frame["text"], "id": frame["id"]},
                                          ensure_ascii=False, separators=(",", ":")))
            await ws.send_text(json.dumps({"type": "message", "seq": seq, "from": "bot",
                                           "text": "收到：" + frame["text"]},
                                          ensure_ascii=False, separators=(",", ":")))
    except Exception:
        pass

app = Starlette(routes=[WebSocketRoute("/ws", echo), WebSocketRoute("/ws2", echo_twice)])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


async def engine_visitor(base: str, port: int, messages: int, latencies: list[float]) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{base}/api/v1/sites/bench-web/sessions", json={})
        if response.status_code != 201:
            raise RuntimeError(f"session creation failed: {response.status_code} {response.text}")
        created = response.json()
    url = f"ws://127.0.0.1:{port}/ws/visitor?token={created['visitor_token']}"
    async with websockets.connect(url) as ws:
        for i in range(messages):
            start = time.perf_counter()
            await ws.send(json.dumps({"type": "text", "text": f"m{i}", "id": f"c{i}"}))
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "error":
                    raise RuntimeError(f"the engine answered an error: {frame}")
                if frame.get("from") == "bot" and f"m{i}" in frame.get("text", ""):
                    break
            latencies.append(time.perf_counter() - start)


async def echo_visitor(port: int, messages: int, latencies: list[float], frames: int) -> None:
    path = "/ws" if frames == 1 else "/ws2"
    async with websockets.connect(f"ws://127.0.0.1:{port}{path}") as ws:
        for i in range(messages):
            start = time.perf_counter()
            await ws.send(json.dumps({"type": "text", "text": f"m{i}", "id": f"c{i}"}))
            for _ in range(frames):
                json.loads(await ws.recv())
            latencies.append(time.perf_counter() - start)


async def run(
    kind: str, visitors: int, messages: int, base: str, port: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    start = time.perf_counter()
    if kind == "engine":
        tasks = [engine_visitor(base, port, messages, latencies) for _ in range(visitors)]
    else:
        frames = 2 if kind == "echo2" else 1
        tasks = [echo_visitor(port, messages, latencies, frames) for _ in range(visitors)]
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return visitors * messages / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per visitor")
    parser.add_argument("--visitors", type=int, default=20, help="concurrent visitors")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "flows").mkdir()
        (root / "flows/bench.flow.yaml").write_text(FLOW, encoding="utf-8")
        (root / "chatflow.yaml").write_text(CONFIG, encoding="utf-8")
        (root / "echo_app.py").write_text(textwrap.dedent(ECHO_APP), encoding="utf-8")
        engine_port, echo_port = free_port(), free_port()
        env = {**os.environ, "PYTHONPATH": str(root)}
        engine = subprocess.Popen(
            [sys.executable, "-m", "chatflow.admin_api.cli", "serve", "--config",
             str(root / "chatflow.yaml"), "--data", str(root / "data"), "--port",
             str(engine_port), "--log-level", "error"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        echo = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "echo_app:app", "--port", str(echo_port),
             "--log-level", "error"],
            env=env, cwd=root, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{engine_port}"
            wait_up(f"{base}/healthz", engine)
            wait_up(f"http://127.0.0.1:{echo_port}/", echo)
            print(f"{'visitors':>8} {'server':>7} {'msg/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
            for visitors in (1, args.visitors):
                # warm up all three, then measure
                asyncio.run(run("echo", 1, 20, base, echo_port))
                asyncio.run(run("echo2", 1, 20, base, echo_port))
                asyncio.run(run("engine", 1, 20, base, engine_port))
                echo_rate, echo_lat = asyncio.run(
                    run("echo", visitors, args.messages, base, echo_port)
                )
                echo2_rate, echo2_lat = asyncio.run(
                    run("echo2", visitors, args.messages, base, echo_port)
                )
                eng_rate, eng_lat = asyncio.run(
                    run("engine", visitors, args.messages, base, engine_port)
                )
                for name, rate, lat in (
                    ("echo", echo_rate, echo_lat),
                    ("echo x2", echo2_rate, echo2_lat),
                    ("engine", eng_rate, eng_lat),
                ):
                    print(
                        f"{visitors:>8} {name:>7} {rate:>9.0f} {pct(lat, 0.5):>8.2f} {pct(lat, 0.99):>8.2f}"
                    )
                print(
                    f"{visitors:>8} {'ratio':>7} {eng_rate / echo_rate:>9.2f}  (engine / echo throughput)"
                )
                print(
                    f"{visitors:>8} {'':>7} {eng_rate / echo2_rate:>9.2f}  (engine / echo x2: the engine's own share)"
                )
        finally:
            for proc in (engine, echo):
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
