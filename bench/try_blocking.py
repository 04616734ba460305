"""Benchmark: does the flow editor's Try hold up the server while it plays?

A try replays its whole conversation (up to 200 steps, the timers of its waits included) on each
action. ``chatflow serve`` runs on the demo deployment as a subprocess on loopback; demo_alice
tries the keyword robot of flows/ with 200 steps (a question the robot answers, then a
minute, in turn: 100 answers rendered and 100 idle timers moved), back to back from one thread, while another thread times
``GET /healthz``, the cheapest request the server answers. The baseline is the same request on
the same server while nothing else runs. Printed: the health check's p50 / p99 / max in each
case, their ratio, and how long a try took.

Run: ``python bench/try_blocking.py [--tries 4]`` (an account may play 1000 steps a minute).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo" / "chatflow.yaml"
FLOW = (ROOT / "flows" / "keyword_bot.flow.yaml").read_text(encoding="utf-8")
STEPS = [{"user": "请问这个怎么收费？"} if i % 2 == 0 else {"wait": 60} for i in range(200)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, "-m", "chatflow.admin_api.cli", "serve", "--config", str(DEMO)]
    argv += ["--data", str(data), "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def ping(client: httpx.Client, until: threading.Event, count: int) -> list[float]:
    """Health-check latencies in ms, ``count`` of them or until ``until`` is set."""
    out: list[float] = []
    while len(out) < count and not until.is_set():
        started = time.perf_counter()
        client.get("/healthz").raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
        time.sleep(0.002)
    return out


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=4)  # 1000 steps a minute
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        proc, base = serve(Path(folder))
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                login = {"account": "demo_alice", "password": "Demo-pass1"}
                token = client.post("/api/v1/auth/login", json=login).json()["token"]
                headers = {"Authorization": f"Bearer {token}"}
                idle = ping(client, threading.Event(), 500)

                took: list[float] = []
                done = threading.Event()

                def trying() -> None:
                    with httpx.Client(base_url=base, timeout=120, headers=headers) as tc:
                        for _ in range(args.tries):
                            started = time.perf_counter()
                            answer = tc.post(
                                "/api/v1/admin/flows/keyword_bot/try",
                                json={"yaml": FLOW, "steps": STEPS},
                            )
                            answer.raise_for_status()
                            assert answer.json()["failed"] is None, answer.json()["failed"]
                            took.append((time.perf_counter() - started) * 1000)
                    done.set()

                worker = threading.Thread(target=trying)
                worker.start()
                busy = ping(client, done, 1_000_000)
                worker.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    i50, i99, imax = summary(idle)
    b50, b99, bmax = summary(busy)
    print(f"GET /healthz, idle:        p50 {i50:.2f} ms  p99 {i99:.2f} ms  max {imax:.1f} ms")
    print(f"GET /healthz, during tries: p50 {b50:.2f} ms  p99 {b99:.2f} ms  max {bmax:.1f} ms")
    print(f"  ratio during / idle:     p50 {b50 / i50:.1f}x  p99 {b99 / i99:.1f}x")
    print(f"a try of {len(STEPS)} steps: median {statistics.median(took):.0f} ms")


if __name__ == "__main__":
    main()
