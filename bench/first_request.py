"""Benchmark of the first requests a fresh server answers, with and without the start-up warm-up.

FastAPI builds a route's dependencies and validators the first time a request walks past it, so
the first request of a new process pays for most of the app. ``chatflow serve`` builds them at
start (``app.openapi()`` walks every route). Two fresh servers on the demo deployment, each a
subprocess on loopback: ``cold`` is the same app run by uvicorn without the warm-up, ``serve`` is
``chatflow serve``. Each answers a few typical first requests once, then each request 20 times
more; the baseline is the same server's own steady latency (median of the repeats).

Run: ``python bench/first_request.py``.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo" / "chatflow.yaml"
REQUESTS = [
    ("GET", "/healthz", None),
    ("GET", "/api/v1/admin/sites", None),
    ("GET", "/api/v1/records", None),
    ("POST", "/api/v1/sites/demo-web/sessions", {}),
    ("GET", "/openapi.json", None),
]
COLD = """\
import sys
from pathlib import Path
import uvicorn
from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
settings = ServeSettings(config=Path(sys.argv[1]), data=Path(sys.argv[2]), port=int(sys.argv[3]))
uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(kind: str, data: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    if kind == "cold":
        argv = [sys.executable, "-c", COLD, str(DEMO), str(data), str(port)]
    else:
        argv = [sys.executable, "-m", "chatflow.admin_api.cli", "serve", "--config", str(DEMO)]
        argv += ["--data", str(data), "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a TCP connect, not a request: no route gets warmed
        if proc.poll() is not None:
            raise SystemExit(f"{kind} server exited early with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{kind} server did not start")


def timed(client: httpx.Client, method: str, path: str, body: object) -> float:
    began = time.perf_counter()
    client.request(method, path, json=body)
    return (time.perf_counter() - began) * 1000


def measure(kind: str) -> list[tuple[float, float]]:
    """Per request: (first ms, steady median ms) on a fresh server of ``kind``."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(kind, Path(tmp))
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                first = [timed(client, *request) for request in REQUESTS]
                steady = [
                    statistics.median(timed(client, *request) for _ in range(20))
                    for request in REQUESTS
                ]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return list(zip(first, steady, strict=True))


def main() -> None:
    cold, serve = measure("cold"), measure("serve")
    print(f"{'request':<42} {'cold first':>11} {'serve first':>12} {'steady':>8}")
    for (method, path, _), (cold_first, _), (serve_first, steady) in zip(
        REQUESTS, cold, serve, strict=True
    ):
        name = f"{method} {path}"
        print(f"{name:<42} {cold_first:>8.1f} ms {serve_first:>9.1f} ms {steady:>5.1f} ms")
    cold_total = sum(first for first, _ in cold)
    serve_total = sum(first for first, _ in serve)
    steady_total = sum(steady for _, steady in serve)
    print(
        f"first requests together: cold {cold_total / steady_total:.1f}x steady, "
        f"serve {serve_total / steady_total:.1f}x steady"
    )


if __name__ == "__main__":
    main()
