"""How the webhook outbox posts a delivery: a one-method protocol, the real sender behind the SSRF
guard, and an in-memory twin.

The real sender posts the exact signed bytes (httpx would re-encode JSON), follows no redirect
(a 3xx is not a delivery), reads no response body, and connects only to addresses the guard of
:mod:`chatflow.engine.ssrf` checked, under the deployment's ``http.allow_hosts``.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import anyio
import httpcore
import httpx

from chatflow.engine.config import HttpPolicy
from chatflow.engine.ssrf import Blocked, GuardedBackend, Resolve, SsrfGuard, system_resolve

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class SendResult:
    status: int | None
    """HTTP status, None when no answer came."""
    error: str | None = None
    """None exactly when a 2xx answered."""
    final: bool = False
    """Retrying cannot help (the URL is refused or malformed)."""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def result_for(status: int) -> SendResult:
    if 200 <= status < 300:
        return SendResult(status)
    return SendResult(status, f"status {status}")


class Sender(Protocol):
    async def __call__(
        self, url: str, body: bytes, headers: Headers, timeout: float
    ) -> SendResult: ...


class GuardedSender:
    """POSTs over an httpcore pool whose sockets open through the SSRF guard."""

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        resolve: Resolve = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = SsrfGuard(policy, resolve)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            network_backend=GuardedBackend(self.guard),
            max_connections=50,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def __call__(self, url: str, body: bytes, headers: Headers, timeout: float) -> SendResult:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return SendResult(None, f"invalid URL: {exc}", final=True)
        reason = self.guard.check_url(parsed)
        if reason is not None:
            return SendResult(None, f"blocked: {reason}", final=True)
        target = httpcore.URL(
            scheme=parsed.raw_scheme,
            host=parsed.raw_host,
            port=parsed.port,
            target=parsed.raw_path,
        )
        limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        try:
            with anyio.fail_after(timeout):
                async with self._pool.stream(
                    "POST",
                    target,
                    headers=list(headers),
                    content=body,
                    extensions={"timeout": limits},
                ) as response:
                    return result_for(response.status)
        except Blocked as exc:
            return SendResult(None, f"blocked: {exc.reason}", final=True)
        except (TimeoutError, httpcore.TimeoutException):
            return SendResult(None, "timeout")
        except httpcore.ConnectError as exc:
            return SendResult(None, f"refused: {exc}" if str(exc) else "refused")
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            return SendResult(None, f"error: {type(exc).__name__}: {exc}")


@dataclass
class Sent:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class MemorySender:
    """The in-memory twin: answers from ``answer`` and keeps every request in ``sent``."""

    answer: Callable[[Sent], Awaitable[SendResult]] | None = None
    sent: list[Sent] = field(default_factory=list)

    async def __call__(self, url: str, body: bytes, headers: Headers, timeout: float) -> SendResult:
        request = Sent(url, body, dict(headers))
        self.sent.append(request)
        return SendResult(200) if self.answer is None else await self.answer(request)
