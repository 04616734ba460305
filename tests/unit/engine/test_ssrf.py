"""The SSRF guard on its own: address tables, host spellings, the allowlist, address pinning."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import ip_address

import httpcore
import httpx
import pytest

from chatflow.engine.config import HttpPolicy
from chatflow.engine.ssrf import (
    Blocked,
    GuardedBackend,
    Resolve,
    SsrfGuard,
    forbidden_reason,
    parse_ip,
    system_resolve,
)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.100.100.200", "carrier-grade NAT"),  # Alibaba Cloud metadata
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd00:ec2::254", "unique-local"),  # AWS metadata over IPv6
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1 inside IPv6)"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a00:1", "private (IPv4 10.0.0.1 inside IPv6)"),
        ("2002:7f00:1::", "loopback (IPv4 127.0.0.1 inside IPv6)"),
    ],
)
def test_internal_addresses_are_forbidden(address: str, reason: str) -> None:
    why = forbidden_reason(ip_address(address))
    assert why is not None and reason in why


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.258", "10.1.1.2"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("1.2.3.4.", "1.2.3.4"),
    ],
)
def test_every_spelling_of_an_address_is_read_as_that_address(host: str, address: str) -> None:
    assert parse_ip(host) == ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "api.v2.example", "0x.example", "localhost"])
def test_names_are_not_addresses(host: str) -> None:
    assert parse_ip(host) is None


@pytest.mark.parametrize("host", ["1.2.3.4.5", "example.123", "256.1.1.1", "09.1.1.1", "1..2"])
def test_numeric_hosts_that_are_no_address_are_refused(host: str) -> None:
    with pytest.raises(Blocked):
        parse_ip(host)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://example.com/", "scheme 'gopher'"),
        ("http://127.0.0.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata name"),
        ("http://Metadata.Google.Internal./", "metadata name"),
    ],
)
def test_check_url_refuses_before_any_io(url: str, reason: str) -> None:
    why = SsrfGuard(HttpPolicy()).check_url(httpx.URL(url))
    assert why is not None and reason in why


def test_check_url_lets_public_names_through_to_the_dns_check() -> None:
    assert SsrfGuard(HttpPolicy()).check_url(httpx.URL("https://crm.example.com/x")) is None


def test_allowlist_takes_addresses_ranges_and_names() -> None:
    guard = SsrfGuard(
        HttpPolicy(allow_hosts=["127.0.0.1", "10.0.0.0/8", "metadata", "*.corp.example"])
    )
    assert guard.ip_reason(ip_address("127.0.0.1")) is None
    assert guard.ip_reason(ip_address("::ffff:127.0.0.1")) is None
    assert guard.ip_reason(ip_address("10.200.0.1")) is None
    assert guard.ip_reason(ip_address("127.0.0.2")) == "loopback"
    assert guard.check_url(httpx.URL("http://metadata/")) is None
    assert guard.name_allowed("crm.corp.example")
    assert not guard.name_allowed("corp.example.evil.com")


def fixed(*answers: str) -> Resolve:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return answers

    return resolve


@pytest.mark.anyio
async def test_a_name_is_refused_if_any_answer_is_internal() -> None:
    guard = SsrfGuard(HttpPolicy(), resolve=fixed("93.184.216.34", "10.0.0.7"))
    with pytest.raises(Blocked, match=r"crm\.example resolves to 10\.0\.0\.7, private"):
        await guard.addresses("crm.example", 443)


@pytest.mark.anyio
async def test_an_allowlisted_name_may_resolve_anywhere() -> None:
    resolve = fixed("10.0.0.7")
    guard = SsrfGuard(HttpPolicy(allow_hosts=["crm.internal"]), resolve=resolve)
    assert await guard.addresses("CRM.internal.", 443) == ["10.0.0.7"]


@pytest.mark.anyio
async def test_the_system_resolver_reads_localhost_as_loopback() -> None:
    answers = await system_resolve("localhost", 80)
    assert answers and all(ip_address(a).is_loopback for a in answers)
    with pytest.raises(Blocked, match=r"localhost resolves to .*loopback"):
        await SsrfGuard(HttpPolicy()).addresses("localhost", 80)


class Recorder(httpcore.AsyncNetworkBackend):
    """Inner backend that records where it was asked to connect, and the TLS server name."""

    def __init__(self) -> None:
        self.connects: list[str] = []
        self.server_names: list[str | None] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append(host)
        if host == "203.0.113.9":
            raise httpcore.ConnectError("unreachable")
        return RecordingStream(self)

    async def sleep(self, seconds: float) -> None:
        return None


class RecordingStream(httpcore.AsyncMockStream):
    def __init__(self, backend: Recorder) -> None:
        super().__init__([b"HTTP/1.1 200 OK\r\n", b"Content-Length: 2\r\n\r\n", b"{}"])
        self.backend = backend

    async def start_tls(
        self, ssl_context: object, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self.backend.server_names.append(server_hostname)
        return self


@pytest.mark.anyio
async def test_the_backend_connects_to_the_checked_address_and_keeps_the_name_for_tls() -> None:
    calls: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[str]:
        calls.append(host)  # a rebinding DNS would answer differently the second time
        return ["93.184.216.34"] if len(calls) == 1 else ["127.0.0.1"]

    recorder = Recorder()
    backend = GuardedBackend(SsrfGuard(HttpPolicy(), resolve=resolve), recorder)
    async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
        response = await pool.request("GET", "https://api.example.com/x")
    assert response.status == 200
    assert calls == ["api.example.com"]
    assert recorder.connects == ["93.184.216.34"]
    assert recorder.server_names == ["api.example.com"]


@pytest.mark.anyio
async def test_the_backend_tries_the_next_checked_address_when_one_fails() -> None:
    recorder = Recorder()
    guard = SsrfGuard(HttpPolicy(), resolve=fixed("203.0.113.9", "93.184.216.34"))
    guard_allow_docs = SsrfGuard(
        HttpPolicy(allow_hosts=["203.0.113.0/24"]),
        resolve=fixed("203.0.113.9", "93.184.216.34"),
    )
    with pytest.raises(Blocked, match="documentation"):
        await GuardedBackend(guard, recorder).connect_tcp("api.example.com", 80)
    stream = await GuardedBackend(guard_allow_docs, recorder).connect_tcp("api.example.com", 80)
    await stream.aclose()
    assert recorder.connects == ["203.0.113.9", "93.184.216.34"]


@pytest.mark.anyio
async def test_the_backend_refuses_unix_sockets_and_reports_unknown_names() -> None:
    async def nowhere(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    backend = GuardedBackend(SsrfGuard(HttpPolicy(), resolve=nowhere), Recorder())
    with pytest.raises(Blocked):
        await backend.connect_unix_socket("/var/run/docker.sock")
    with pytest.raises(httpcore.ConnectError, match=r"cannot resolve nowhere\.example"):
        await backend.connect_tcp("nowhere.example", 80)
