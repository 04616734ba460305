"""A real server for the tests that need one: an ASGI app under uvicorn on a free loopback port.

:func:`in_thread` gives the app a thread and an event loop of its own, as a worker process has;
clients in the test talk to it over the network only. :func:`on_this_loop` runs it as a task on
the test's own loop instead, for async tests that also call into the app's objects (its runtime,
its stores), which belong to the loop they were made on.

The port is bound here, before uvicorn starts, so the URL is known at once and no other process
can take the port in between.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

START_TIMEOUT = 60.0
"""Seconds a server may take to start (two apps starting at once on a busy CI machine)."""


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (uvicorn listens on it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class ThreadedServer:
    """``app`` under uvicorn in a daemon thread; ``options`` are :class:`uvicorn.Config`'s."""

    def __init__(self, app: Any, **options: Any) -> None:
        self.socket = loopback_socket()
        port: int = self.socket.getsockname()[1]
        self.host = f"127.0.0.1:{port}"
        """``host:port``, for ``http://`` and ``ws://`` URLs alike."""
        self.url = f"http://{self.host}"
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def wait_started(self, timeout: float = START_TIMEOUT) -> None:
        """Return once uvicorn serves; if it stops or takes too long, stop it and fail."""
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                state = "did not start" if self.thread.is_alive() else "stopped while starting"
                self.stop()
                raise AssertionError(f"the server on {self.host} {state}")
            time.sleep(0.02)

    def stop(self, timeout: float = 30) -> None:
        self.server.should_exit = True
        if self.thread.ident is not None:
            self.thread.join(timeout)
        self.socket.close()


@contextmanager
def in_thread(app: Any, **options: Any) -> Iterator[ThreadedServer]:
    """A started :class:`ThreadedServer`, stopped (and its thread joined) on the way out."""
    served = ThreadedServer(app, **options)
    served.start()
    served.wait_started()
    try:
        yield served
    finally:
        served.stop()


@contextmanager
def html_site(page: Callable[[str], str]) -> Iterator[str]:
    """A plain HTTP server on loopback (a third party's page to frame, say) answering every
    GET of a path with ``page(path)`` as HTML; yields its base URL."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page(self.path).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@asynccontextmanager
async def on_this_loop(app: Any, **options: Any) -> AsyncIterator[str]:
    """``app`` under uvicorn as a task of the running loop; yields its base URL."""
    sock = loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise AssertionError("the server stopped while starting")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        try:
            await task
        finally:
            sock.close()
