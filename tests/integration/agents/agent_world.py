"""A real chatflow server on loopback for the agent tests, and clients that talk to it.

:class:`LiveServer` runs ``create_app`` under uvicorn in a background thread on a free port
(what ``chatflow serve`` does, minus the command line; :mod:`server_kit` starts and stops it).
:class:`FrameStream` reads a websocket on its own thread (the ``websockets`` client library), so
a test waits for the frame it expects with a timeout, in order, and can still look at everything
that arrived. Nothing here sleeps to assert.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from server_kit import ThreadedServer
from sqlmodel import Session, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from chatflow.admin_api.app import create_app
from chatflow.admin_api.services import Services
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import Clock
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow

HERE = Path(__file__).parent
PASSWORD = "Agent-pass1"
WAIT = 10.0
"""Seconds a test waits for a frame or a condition before it fails."""

Frame = dict[str, Any]
Match = Callable[[Frame], bool]


def frame(kind: str, **fields: Any) -> Match:
    """A predicate: a frame of ``kind`` whose fields equal ``fields``."""

    def match(f: Frame) -> bool:
        return f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())

    match.__name__ = f"{kind}({fields})"
    return match


def says(text: str, sender: str | None = None) -> Match:
    """A predicate: a ``message`` frame containing ``text`` (from ``sender``)."""

    def match(f: Frame) -> bool:
        return (
            f.get("type") == "message"
            and text in str(f.get("text", ""))
            and (sender is None or f.get("from") == sender)
        )

    match.__name__ = f"says({text!r}, {sender})"
    return match


def eventually(check: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy (state reached by another thread)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.02)


class FrameStream:
    """A websocket whose JSON frames are collected by a reader thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        # entered like ``with connect(...)``; :meth:`close` leaves it
        self.ws: ClientConnection = connect(url, open_timeout=WAIT, close_timeout=5).__enter__()
        self.frames: list[Frame] = []
        self.close_code: int | None = None
        self._cursor = 0
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for message in self.ws:
                with self._changed:
                    self.frames.append(json.loads(message))
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        with self._changed:
            self.close_code = self.ws.close_code if self.ws.close_code is not None else -1
            self._changed.notify_all()

    def expect(self, match: Match, timeout: float = WAIT) -> Frame:
        """The next frame (after the last one expected) that matches; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index in range(self._cursor, len(self.frames)):
                    if match(self.frames[index]):
                        self._cursor = index + 1
                        return self.frames[index]
                left = deadline - time.monotonic()
                if left <= 0 or self.close_code is not None:
                    got = json.dumps(self.frames[self._cursor :], ensure_ascii=False, indent=1)
                    raise AssertionError(
                        f"no {getattr(match, '__name__', 'matching')} frame on {self.url} "
                        f"(closed: {self.close_code}); frames since the last match: {got}"
                    )
                self._changed.wait(left)

    def seen(self, match: Match) -> list[Frame]:
        """Every frame so far that matches (for "never got" checks)."""
        with self._changed:
            return [f for f in self.frames if match(f)]

    def send(self, data: Frame) -> None:
        self.ws.send(json.dumps(data, ensure_ascii=False))

    def wait_closed(self, timeout: float = WAIT) -> int:
        """The close code once the server closed the socket."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.close_code is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.url} is still open")
                self._changed.wait(left)
            return self.close_code

    def close(self) -> None:
        self.ws.close()
        self._reader.join(WAIT)


class LiveServer:
    """``create_app`` served by uvicorn on a free loopback port, in a background thread.

    ``clock`` is the services' clock (the runtime's timers, the queue, the records); the
    system clock when None.
    """

    def __init__(self, folder: Path, clock: Clock | None = None) -> None:
        shutil.copytree(HERE / "flows", folder / "flows", dirs_exist_ok=True)  # restarts reuse it
        shutil.copy(HERE / "chatflow.yaml", folder / "chatflow.yaml")
        settings = ServeSettings(
            config=folder / "chatflow.yaml", data=folder / "data", env={"PW": PASSWORD}
        )
        self.app: FastAPI = create_app(settings, clock=clock)
        self._served = ThreadedServer(
            self.app, log_level="warning", ws="websockets-sansio", lifespan="on"
        )
        self.base = self._served.url
        self.ws_base = f"ws://{self._served.host}"
        self._served.start()
        self._served.wait_started()
        self.http = httpx.Client(base_url=self.base, timeout=WAIT)
        self.streams: list[FrameStream] = []

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def stream(self, path: str) -> FrameStream:
        stream = FrameStream(self.ws_base + path)
        self.streams.append(stream)
        return stream

    def stop(self) -> None:
        for stream in self.streams:
            stream.close()
        self.http.close()
        self._served.stop()

    # -- records ---------------------------------------------------------------------------

    def conversation(self, session_id: str) -> ConversationRow | None:
        with Session(self.app.state.records) as db:
            return db.get(ConversationRow, session_id)

    def messages(self, session_id: str) -> list[MessageRow]:
        with Session(self.app.state.records) as db:
            statement = select(MessageRow).where(MessageRow.session_id == session_id)
            return list(db.exec(statement).all())

    def record_when(self, session_id: str, check: Callable[[ConversationRow], bool]) -> Any:
        """The conversation record once ``check`` holds (the recorder writes off the loop)."""

        def ready() -> ConversationRow | None:
            row = self.conversation(session_id)
            return row if row is not None and check(row) else None

        return eventually(ready, what=f"the record of {session_id}")


class Agent:
    """An agent account: its token, REST calls and its websocket."""

    def __init__(self, server: LiveServer, account: str) -> None:
        self.server = server
        self.account = account
        response = server.http.post(
            "/api/v1/auth/login", json={"account": account, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.token: str = response.json()["token"]
        self.ws: FrameStream | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def connect(self) -> FrameStream:
        """Open the agent websocket and wait for the agent's status (it is logged in then)."""
        self.ws = self.server.stream(f"/ws/agent?token={self.token}")
        self.ws.expect(frame("status"))
        return self.ws

    @property
    def frames(self) -> FrameStream:
        assert self.ws is not None, f"{self.account} has no websocket"
        return self.ws

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.server.http.post(path, json=body, headers=self.headers)

    def act(self, session_id: str, action: str, body: Any = None) -> httpx.Response:
        return self.post(f"/api/v1/sessions/{session_id}/{action}", body)

    def ok(self, session_id: str, action: str, body: Any = None) -> httpx.Response:
        response = self.act(session_id, action, body)
        assert response.status_code in (202, 204), (action, response.status_code, response.text)
        return response

    def say(self, session_id: str, text: str) -> httpx.Response:
        return self.act(session_id, "messages", {"text": text})

    def get(self, path: str, **params: Any) -> Any:
        response = self.server.http.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.server.http.put(path, json=body, headers=self.headers)


def offered_to(agents: list[Agent], session_id: str) -> Agent:
    """The agent the session rings for first (whichever the queue picked)."""
    agent: Agent = eventually(
        lambda: next(
            (a for a in agents if a.frames.seen(frame("offer", session_id=session_id))), None
        ),
        what=f"an offer of {session_id}",
    )
    agent.frames.expect(frame("offer", session_id=session_id))
    return agent


class Visitor:
    """A visitor on a site (a new one unless ``visitor_id`` names it): its session and its
    websocket."""

    def __init__(self, server: LiveServer, site: str, visitor_id: str | None = None) -> None:
        body = {} if visitor_id is None else {"visitor_id": visitor_id}
        response = server.http.post(f"/api/v1/sites/{site}/sessions", json=body)
        assert response.status_code == 201, response.text
        self.session_id: str = response.json()["session_id"]
        self.token: str = response.json()["visitor_token"]
        self.ws = server.stream(f"/ws/visitor?token={self.token}")

    def choose(self, label: str) -> None:
        self.ws.send({"type": "choice", "value": label})

    def say(self, text: str) -> None:
        self.ws.send({"type": "text", "text": text})


@contextmanager
def running(folder: Path, clock: Clock | None = None) -> Iterator[LiveServer]:
    server = LiveServer(folder, clock)
    try:
        yield server
    finally:
        server.stop()
