"""HTTP callers: how the runtime carries out a node's ``CallHttp`` effect.

Two implementations of :class:`~chatflow.engine.effects.HttpCaller` share one set of rules
(what a status and a body come to, what is retried):

- :class:`HttpxCaller` calls the network with httpx, behind the SSRF guard of
  :mod:`chatflow.engine.ssrf`, following redirects itself so every hop is checked;
- :class:`MockCaller` answers from a conversation test's ``http`` mocks, in memory.

Neither raises: every failure becomes an :class:`HttpReply` whose ``error`` starts with one of
``timeout``, ``refused``, ``status <n>``, ``not JSON``, ``response too large``, ``too many
redirects``, ``invalid URL``, ``blocked: <reason>``, ``error: <detail>``, ``no mock for``.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType

import anyio
import httpcore
import httpx

from chatflow.engine.config import HttpPolicy
from chatflow.engine.effects import HttpReply, HttpRequest
from chatflow.engine.ssrf import (
    SCHEMES,
    Blocked,
    GuardedBackend,
    Resolve,
    SsrfGuard,
    system_resolve,
)
from chatflow.engine.testfile import HttpMock

log = logging.getLogger("chatflow.engine.http")

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

try:
    _VERSION = version("chatflow")
except PackageNotFoundError:  # running from a source tree that was never installed
    _VERSION = "0"
USER_AGENT = f"chatflow/{_VERSION} (HTTP node; +https://github.com/chatflow/chatflow)"
"""Lets the called API's operators see who calls them, and from which chatflow release."""

Sleep = Callable[[float], Awaitable[None]]


def reply_from(status: int, content: bytes) -> HttpReply:
    """What an answer comes to: a 2xx carries its parsed JSON; anything else is an error.

    An empty 2xx body is a success with no data (``204 No Content``, fire-and-forget hooks);
    only a body that is present and not JSON is ``not JSON``.
    """
    if not 200 <= status < 300:
        return HttpReply(status=status, error=f"status {status}")
    if not content.strip():
        return HttpReply(status=status)
    try:
        return HttpReply(status=status, body=json.loads(content))
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return HttpReply(status=status, error="not JSON")


def should_retry(reply: HttpReply) -> bool:
    """Retry what may pass by itself (no answer, 5xx, 429), never a 4xx or a refusal."""
    if reply.status is not None:
        return reply.status == 429 or reply.status >= 500
    error = reply.error or ""
    return error == "timeout" or error.startswith("refused")


async def with_retries(
    attempts: int,
    attempt: Callable[[], Awaitable[HttpReply]],
    backoff: Callable[[int], float],
    sleep: Sleep,
) -> HttpReply:
    """Run ``attempt`` up to ``attempts`` times while :func:`should_retry` says so."""
    reply = await attempt()
    for retry in range(1, attempts):
        if not should_retry(reply):
            break
        await sleep(backoff(retry))
        reply = await attempt()
    return reply


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, so sessions failing together do not retry in lockstep.

    The delay before retry ``n`` (1-based) is ``min(cap, base * 2**(n-1))``, scaled into its
    upper half by ``jitter()`` (a number in [0, 1)).
    """

    base: float = 0.25
    cap: float = 4.0
    jitter: Callable[[], float] = field(default=random.random)

    def __call__(self, retry: int) -> float:
        return min(self.cap, self.base * 2.0 ** (retry - 1)) * (0.5 + self.jitter() / 2)


def parse_url(raw: str) -> httpx.URL | HttpReply:
    """The URL, or the reply refusing it (unparsable, or a scheme other than http/https)."""
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        return HttpReply(status=None, error=f"invalid URL: {exc}")
    if url.scheme not in SCHEMES:
        return HttpReply(status=None, error=f"blocked: scheme {url.scheme!r} is not allowed")
    return url


def redirect(
    status: int, method: str, url: httpx.URL, location: httpx.URL, headers: httpx.Headers
) -> tuple[str, httpx.Headers, bool]:
    """Method and headers for the next hop, and whether the JSON body goes along.

    As browsers and httpx do: 303 (and 302, and 301 after POST) become a GET without body;
    credentials do not follow to another origin, except for an upgrade to https on the same host.
    """
    headers = httpx.Headers(headers)
    keep_body = True
    if method != "HEAD" and (status in (302, 303) or (status == 301 and method == "POST")):
        method, keep_body = "GET", False
        headers.pop("Content-Type", None)
    same_origin = (url.scheme, url.host, url.port) == (
        location.scheme,
        location.host,
        location.port,
    )
    upgrade = (url.scheme, location.scheme, url.host) == ("http", "https", location.host)
    if not same_origin and not upgrade:
        headers.pop("Authorization", None)
        headers.pop("Cookie", None)
    return method, headers, keep_body


def _headers(request: HttpRequest) -> httpx.Headers:
    """The flow's headers plus the Idempotency-Key (the flow's own, if it set one).

    Values go out as UTF-8: a template may well put a visitor's name in a header, and most
    servers take it; refusing the call would be worse.
    """
    headers = httpx.Headers([(k.encode("ascii"), v.encode()) for k, v in request.headers.items()])
    if request.idempotency_key and "Idempotency-Key" not in headers:
        headers["Idempotency-Key"] = request.idempotency_key
    return headers


def _loggable(url: httpx.URL) -> str:
    """URL without query or credentials: the query often carries a visitor's data."""
    return str(url.copy_with(query=None, fragment=None, username=None, password=None))


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over an httpcore pool whose sockets open through :class:`GuardedBackend`.

    httpx takes no network backend argument, so the pool is replaced after construction; the
    request/response mapping and error translation of the parent stay in use.
    """

    def __init__(self, guard: SsrfGuard, ssl_context: ssl.SSLContext | None) -> None:
        super().__init__(trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx's transport changed: the SSRF guard cannot attach to it")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(guard),
        )


class HttpxCaller:
    """The real :class:`HttpCaller`: httpx behind the SSRF guard, with retries and limits.

    One instance serves a whole process (it pools connections); close it with :meth:`aclose`
    or ``async with``. ``transport`` replaces the guarded one (tests); the URL checks still run,
    but resolving and pinning addresses is then the transport's business.
    """

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_response_bytes: int = 1_000_000,
        backoff: Callable[[int], float] | None = None,
        sleep: Sleep = anyio.sleep,
        resolve: Resolve = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = SsrfGuard(policy, resolve)
        self.max_response_bytes = max_response_bytes
        self._backoff = backoff if backoff is not None else Backoff()
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            transport=transport or _GuardedTransport(self.guard, ssl_context),
            follow_redirects=False,  # we follow, so that every hop meets the guard
            trust_env=False,  # an environment proxy would connect on our behalf, unchecked
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),  # keeps no cookie
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    async def __aenter__(self) -> HttpxCaller:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __call__(self, request: HttpRequest) -> HttpReply:
        url = parse_url(request.url)
        if isinstance(url, HttpReply):
            return url
        try:
            headers = _headers(request)
        except (UnicodeError, ValueError) as exc:
            return HttpReply(status=None, error=f"invalid header: {exc}")

        async def attempt() -> HttpReply:
            return await self._attempt(request, url, headers)

        try:
            return await with_retries(request.max_errors, attempt, self._backoff, self._sleep)
        except Exception as exc:  # the runtime must get a reply, whatever went wrong here
            log.exception("http.failed %s %s", request.method, _loggable(url))
            return HttpReply(status=None, error=f"error: {type(exc).__name__}: {exc}")

    async def _attempt(
        self, request: HttpRequest, url: httpx.URL, headers: httpx.Headers
    ) -> HttpReply:
        """One attempt, redirects included, within the request's timeout."""
        try:
            with anyio.fail_after(request.timeout):
                return await self._follow(request, url, headers)
        except TimeoutError:
            return HttpReply(status=None, error="timeout")

    async def _follow(
        self, request: HttpRequest, url: httpx.URL, headers: httpx.Headers
    ) -> HttpReply:
        method, body = request.method.upper(), request.json
        status = None
        for _hop in range(MAX_REDIRECTS + 1):
            reason = self.guard.check_url(url)
            if reason is not None:
                return self._blocked(method, url, reason)
            try:
                sent = self._client.build_request(
                    method, url, headers=headers, json=body, timeout=request.timeout
                )
                response = await self._client.send(sent, stream=True)
            except Blocked as exc:
                return self._blocked(method, url, exc.reason)
            except httpx.TimeoutException:
                return HttpReply(status=None, error="timeout")
            except httpx.ConnectError as exc:
                log.warning("http.refused %s %s: %s", method, _loggable(url), exc)
                return HttpReply(status=None, error=f"refused: {exc}" if str(exc) else "refused")
            except httpx.HTTPError as exc:  # protocol errors: retrying would not help
                return HttpReply(status=None, error=f"error: {type(exc).__name__}: {exc}")
            try:
                status = response.status_code
                location = response.headers.get("Location")
                if status in REDIRECT_STATUSES and location:
                    try:
                        target = url.join(location)
                    except httpx.InvalidURL as exc:
                        return HttpReply(status=status, error=f"invalid URL in redirect: {exc}")
                    method, headers, keep = redirect(status, method, url, target, headers)
                    url, body = target, body if keep else None
                    continue
                if not 200 <= status < 300:
                    return reply_from(status, b"")
                content = await self._read(response)
                if content is None:
                    return HttpReply(status=status, error="response too large")
                return reply_from(status, content)
            except httpx.TimeoutException:
                return HttpReply(status=None, error="timeout")
            except httpx.HTTPError as exc:
                return HttpReply(status=None, error=f"error: {type(exc).__name__}: {exc}")
            finally:
                await response.aclose()
        return HttpReply(status=status, error="too many redirects")

    async def _read(self, response: httpx.Response) -> bytes | None:
        """The body, or None as soon as it grows past the limit (the rest is never read)."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _blocked(self, method: str, url: httpx.URL, reason: str) -> HttpReply:
        log.warning(
            "http.blocked %s %s: %s",
            method,
            _loggable(url),
            reason,
            extra={"event": "http.blocked", "url": _loggable(url), "reason": reason},
        )
        return HttpReply(status=None, error=f"blocked: {reason}")


def _no_backoff(retry: int) -> float:
    return 0.0


async def _no_sleep(seconds: float) -> None:
    return None


class MockCaller:
    """The in-memory twin used by ``chatflow test``: the first mock whose ``match`` fits answers.

    Answers go through :func:`reply_from` and :func:`with_retries`, like the real caller's, so a
    flow meets the same replies in a test as in production (without waiting between retries).
    ``requests`` lists every attempt, in order, for assertions and transcripts.
    """

    def __init__(self, mocks: Sequence[HttpMock]) -> None:
        self.mocks = list(mocks)
        self.requests: list[HttpRequest] = []

    def find(self, request: HttpRequest) -> HttpMock | None:
        """The first mock that answers ``request``."""
        for mock in self.mocks:
            want = mock.match
            if want.method is not None and want.method.upper() != request.method.upper():
                continue
            if want.url.endswith("*"):
                if request.url.startswith(want.url[:-1]):
                    return mock
            elif request.url == want.url:
                return mock
        return None

    async def __call__(self, request: HttpRequest) -> HttpReply:
        url = parse_url(request.url)
        if isinstance(url, HttpReply):
            return url

        async def attempt() -> HttpReply:
            self.requests.append(request)
            return self._answer(request)

        return await with_retries(request.max_errors, attempt, _no_backoff, _no_sleep)

    def _answer(self, request: HttpRequest) -> HttpReply:
        mock = self.find(request)
        if mock is None:
            return HttpReply(
                status=None, error=f"no mock for {request.method.upper()} {request.url}"
            )
        if mock.fail == "timeout":
            return HttpReply(status=None, error="timeout")
        if mock.fail == "connect" or mock.respond is None:
            return HttpReply(status=None, error="refused")
        respond = mock.respond
        if respond.json_ is not None:
            content = json.dumps(respond.json_).encode()
        else:
            content = (respond.body or "").encode()
        return reply_from(respond.status, content)
