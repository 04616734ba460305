"""The SSRF guard: which hosts an HTTP node may reach, enforced where the socket is opened.

Flow designers write URLs as templates, so a visitor's input can end up in a URL. The guard keeps
those calls away from the deployment's own network (loopback, private ranges, cloud metadata)
unless ``http.allow_hosts`` in ``chatflow.yaml`` lets a host or range through.

It sits below the HTTP caller (:mod:`chatflow.engine.httpcall`) at two places:

- :meth:`SsrfGuard.check_url` is a static check of each URL (first request and every redirect
  hop): scheme, literal IP addresses in any spelling, refused names;
- :class:`GuardedBackend` is the httpcore network backend: it resolves the name itself, refuses
  the connection if ANY answer is forbidden, then connects to the address it checked. Nothing
  resolves the name a second time, so a DNS answer that changes between check and connect
  (DNS rebinding) cannot slip through. TLS still verifies, and sends SNI for, the host name.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import httpcore
import httpx

from chatflow.engine.config import HttpPolicy

IPAddress = IPv4Address | IPv6Address
Resolve = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses``: how the guard resolves names (injectable for tests)."""

SCHEMES = frozenset({"http", "https"})

_V4: list[tuple[IPv4Network, str]] = [
    (IPv4Network(net), why)
    for net, why in [
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "private (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.169.254/32", "link-local (cloud metadata)"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "reserved (documentation)"),
        ("192.88.99.0/24", "reserved (6to4 relay)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "reserved (documentation)"),
        ("203.0.113.0/24", "reserved (documentation)"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    ]
]
_V6: list[tuple[IPv6Network, str]] = [
    (IPv6Network(net), why)
    for net, why in [
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved (IPv4-compatible)"),
        ("100::/64", "reserved (discard)"),
        ("64:ff9b:1::/48", "private (local NAT64)"),
        ("2001:db8::/32", "reserved (documentation)"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
]
_NAT64 = IPv6Network("64:ff9b::/96")

REFUSED_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
"""Cloud metadata names, refused by name too: they may resolve through a DNS we do not control."""


class Blocked(Exception):
    """The guard refused a call; ``reason`` says why (it reaches the flow as ``blocked: ...``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def system_resolve(host: str, port: int) -> list[str]:
    """Resolve with the running event loop's ``getaddrinfo`` (the resolver the OS would use)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def normalize_host(host: str) -> str:
    """Lower case without the trailing dot: ``Metadata.Google.Internal.`` is the same name."""
    return host.strip("[]").lower().rstrip(".")


def parse_ip(host: str) -> IPAddress | None:
    """The address a literal host denotes, in any spelling resolvers accept; None for a name.

    ``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` all mean 127.0.0.1 to ``inet_aton``; they are
    read the way the WHATWG URL standard reads IPv4 hosts. A host whose last label is a number
    but which is no valid address is refused (no real name ends in a numeric label).
    """
    host = normalize_host(host)
    if ":" in host:
        try:
            return IPv6Address(host)
        except ValueError:
            raise Blocked(f"malformed IPv6 address {host!r}") from None
    labels = host.split(".")
    if not labels[-1] or not _is_number(labels[-1]):
        return None
    if len(labels) > 4 or not all(_is_number(label) for label in labels):
        raise Blocked(f"ambiguous numeric host {host!r}")
    numbers = [_number(label) for label in labels]
    last_limit = 256 ** (5 - len(numbers))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= last_limit:
        raise Blocked(f"malformed IPv4 address {host!r}")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return IPv4Address(value)


def _is_number(label: str) -> bool:
    if label[:2] in ("0x", "0X"):
        return all(c in "0123456789abcdefABCDEF" for c in label[2:])
    return label.isdigit()


def _number(label: str) -> int:
    if label[:2] in ("0x", "0X"):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        if not all(c in "01234567" for c in label):
            raise Blocked(f"malformed octal number {label!r} in host")
        return int(label, 8)
    return int(label)


def unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo), else ``ip``."""
    if isinstance(ip, IPv4Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return ip


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is no place for an HTTP node to call, or None when it is a public address."""
    inner = unwrap(ip)
    if inner is not ip:
        why = forbidden_reason(inner)
        return f"{why} (IPv4 {inner} inside IPv6)" if why else None
    if isinstance(ip, IPv4Address):
        return next((why for net, why in _V4 if ip in net), None)
    return next((why for net, why in _V6 if ip in net), None)


class SsrfGuard:
    """Applies the deployment's :class:`HttpPolicy` to URLs and to DNS answers."""

    def __init__(self, policy: HttpPolicy, resolve: Resolve = system_resolve) -> None:
        self._resolve = resolve
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[IPv4Network | IPv6Network] = []
        for entry in policy.allow_hosts:
            try:
                self._networks.append(ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                name = normalize_host(entry)
                if name.startswith("*."):
                    self._suffixes.append(name[1:])
                else:
                    self._names.add(name)

    def name_allowed(self, name: str) -> bool:
        """The deployment trusts this name (exact, or ``*.corp.example`` for its subdomains)."""
        return name in self._names or any(name.endswith(s) for s in self._suffixes)

    def ip_reason(self, ip: IPAddress) -> str | None:
        """Why ``ip`` is refused under this policy, or None (public, or allowlisted)."""
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self._networks if net.version == ip.version):
            return None
        return forbidden_reason(ip)

    def check_url(self, url: httpx.URL) -> str | None:
        """Refusal reason for ``url`` before any network I/O (scheme, literal address, name)."""
        if url.scheme not in SCHEMES:
            return f"scheme {url.scheme!r} is not allowed (only http and https)"
        if not url.host:
            return "URL has no host"
        try:
            self._literal(url.host)
        except Blocked as exc:
            return exc.reason
        return None

    def _literal(self, host: str) -> IPAddress | None:
        """Check what needs no DNS; return the address of a literal host (raises Blocked)."""
        name = normalize_host(host)
        ip = parse_ip(name)
        if ip is not None:
            if (why := self.ip_reason(ip)) is not None:
                raise Blocked(f"{host} is {why}")
            return ip
        if name in REFUSED_NAMES and not self.name_allowed(name):
            raise Blocked(f"{host} is a cloud metadata name")
        return None

    async def addresses(self, host: str, port: int) -> list[str]:
        """Checked addresses to connect to for ``host``; raises Blocked if ANY answer is refused.

        Raises OSError when the name does not resolve.
        """
        ip = self._literal(host)
        if ip is not None:
            return [_connect_form(ip)]
        name = normalize_host(host)
        answers = [ip_address(a) for a in await self._resolve(name, port)]
        if not answers:
            raise OSError(f"{name} has no addresses")
        if not self.name_allowed(name):
            for answer in answers:
                if (why := self.ip_reason(answer)) is not None:
                    raise Blocked(f"{name} resolves to {answer}, {why}")
        return list(dict.fromkeys(_connect_form(a) for a in answers))


def _connect_form(ip: IPAddress) -> str:
    """Connect to mapped addresses over IPv4: works without a dual-stack socket."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses the guard has checked.

    httpcore hands ``connect_tcp`` the URL's host; we resolve and check it, then connect the
    inner backend to the checked IP. httpcore starts TLS afterwards with the original host as
    ``server_hostname``, so SNI and certificate verification stay on the name, and httpx has
    already put the name in the Host header.
    """

    def __init__(self, guard: SsrfGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._guard.addresses(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # addresses is never empty
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Blocked("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
