"""Why ``chatflow serve`` could not start, said in one paragraph instead of a traceback.

What fails before the server listens (the config, Redis or the records database out of reach,
the port taken, the start-up of the app itself) becomes the lines :func:`failure_lines` words:
what failed, why, and where to look. :class:`StartupGuard` keeps what failed in the app's
start-up, which uvicorn would otherwise print as a traceback; :class:`AnnouncingServer` prints
the addresses only once the server listens. (Imported by ``serve`` when it runs: uvicorn is
heavy.)
"""

from __future__ import annotations

import errno
import logging
import socket
import traceback
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.errors import ChatflowError, DefinitionError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SEE = "see docs/deployment.md"
UNREACHABLE = ("refused", "timed out", "timeout", "unreachable", "not known", "resolve")
"""Words of a reason that say the service is not there (so: is it running?)."""


class StartupGuard:
    """The app as uvicorn serves it, with the exception its start-up raised kept in
    :attr:`failure` and uvicorn's traceback of it left out (``chatflow serve`` words it)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.failure: BaseException | None = None
        self.failed = False
        """The start-up failed (said before :attr:`failure` is kept)."""
        self._started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def quiet(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._started = True
            if message["type"] == "lifespan.startup.failed":
                self.failed = True
                message = {"type": "lifespan.startup.failed", "message": ""}
            await send(message)

        try:
            await self.app(scope, receive, quiet)
        except BaseException as exc:
            if not self._started:
                self.failure = exc
            raise


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, calling ``announce`` once its start-up succeeded and it listens.

    Serving a :class:`StartupGuard`, it leaves out uvicorn's ``Application startup failed.
    Exiting.`` when the guard saw the start-up fail: ``chatflow serve`` words that failure."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        guard = self.config.app
        quiet = _QuietFailure(guard) if isinstance(guard, StartupGuard) else None
        if quiet:
            UVICORN_LOG.addFilter(quiet)
        try:
            await super().startup(sockets)
        finally:
            if quiet:
                UVICORN_LOG.removeFilter(quiet)
        if self.started:
            self._announce()


UVICORN_LOG = logging.getLogger("uvicorn.error")
STARTUP_FAILED = "Application startup failed. Exiting."
"""uvicorn's line for a failed start-up (uvicorn/lifespan/on.py)."""


class _QuietFailure(logging.Filter):
    """Drops uvicorn's :data:`STARTUP_FAILED` line once ``guard`` saw the start-up fail."""

    def __init__(self, guard: StartupGuard) -> None:
        super().__init__()
        self.guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.guard.failed and record.getMessage() == STARTUP_FAILED)


def failure_lines(exc: BaseException, settings: ServeSettings, *, debug: bool) -> list[str]:
    """What to print for a start-up that raised ``exc``: a config's problems each on its line,
    then one ``chatflow serve: ...`` line saying what failed and why."""
    if isinstance(exc, DefinitionError):
        return [*(p.format() for p in exc.problems), f"chatflow serve: {exc.message}"]
    causes = list(_chain(exc))
    for cause in causes:
        if type(cause).__module__.startswith("redis"):
            return [f"chatflow serve: {_unreachable('Redis at', settings.redis_url, causes)}"]
        if type(cause).__module__ == "sqlalchemy.exc":
            return [f"chatflow serve: {_database(settings, causes)}"]
    if isinstance(exc, ChatflowError):
        return [f"chatflow serve: {exc}"]
    if isinstance(exc, OSError):
        data = _data_folder(exc, settings)
        if data:
            return [f"chatflow serve: {data}"]
        where = f"{exc.filename}: " if exc.filename else ""
        return [f"chatflow serve: cannot start: {where}{_reason(causes)}"]
    lines = [f"chatflow serve: the server could not start: {type(exc).__name__}: {exc}"]
    if debug:
        lines.insert(0, "".join(traceback.format_exception(exc)).rstrip())
    else:
        lines.append("chatflow serve: run it again with --log-level debug to see where it failed")
    return lines


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (taken, not ours to take), or None.

    Checked by binding as the server will, then letting go; the server binds only after its
    start-up (config import, stores), so a taken port is said before all that."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {_reason([exc])}; check --host"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                why = _reason([exc])
                if exc.errno == errno.EADDRINUSE:
                    return (
                        f"cannot listen on {host}:{port}: {why}; is another server using the "
                        "port? Stop it or choose another with --port"
                    )
                return f"cannot listen on {host}:{port}: {why}; choose another --host or --port"
    return None


def shown_url(url: str | None) -> str:
    """``url`` with its password hidden (a database or Redis URL may carry one)."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
    return parts._replace(netloc=netloc).geturl()


def _data_folder(exc: OSError, settings: ServeSettings) -> str | None:
    """Why the ``--data`` folder could not be made (a file in its way, a place not writable),
    or None for another file: making the folder (or a parent) is what failed."""
    if not exc.filename:
        return None
    failed = Path(exc.filename)
    data = settings.data
    if failed != data and failed not in data.parents:
        return None
    in_the_way = next((p for p in (data, *data.parents) if p.exists() and not p.is_dir()), None)
    if in_the_way == data:
        return f"--data {data} is a file, not a folder; give a folder (it is created if missing)"
    if in_the_way is not None:
        return (
            f"cannot create the data folder {data}: {in_the_way} is a file, not a folder; "
            "choose a folder you can write to"
        )
    return (
        f"cannot create the data folder {data}: {_reason([exc])}; choose a folder you can write to"
    )


def _database(settings: ServeSettings, causes: list[BaseException]) -> str:
    if settings.database_url:
        return _unreachable("the records database at", settings.database_url, causes)
    return (
        f"cannot open the records database {settings.data / 'records.sqlite3'}: "
        f"{_reason(causes)}; check that --data {settings.data} is a folder you can write to"
    )


def _unreachable(what: str, url: str | None, causes: list[BaseException]) -> str:
    why = _reason(causes)
    hint = "is it running? " if any(word in why for word in UNREACHABLE) else ""
    return f"cannot reach {what} {shown_url(url)}: {why}; {hint}{SEE}"


def _reason(causes: list[BaseException]) -> str:
    """Why, in a few words: the operating system's reason when there is one (``connection
    refused``), else the first line of the innermost error."""
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return _lower_first(cause.strerror)
    line = (str(causes[-1]).strip().splitlines() or [type(causes[-1]).__name__])[0]
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: Connection refused'
    return _lower_first(line.rsplit("failed: ", 1)[-1].strip())


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
