"""The HTTP callers against a real HTTP server on loopback, and the mock twin."""

from __future__ import annotations

import datetime
import json
import logging
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chatflow.engine.config import HttpPolicy
from chatflow.engine.effects import HttpReply, HttpRequest
from chatflow.engine.httpcall import (
    USER_AGENT,
    Backoff,
    HttpxCaller,
    MockCaller,
    redirect,
    reply_from,
)
from chatflow.engine.ssrf import Resolve
from chatflow.engine.testfile import HttpMock

LOOPBACK = HttpPolicy(allow_hosts=["127.0.0.1"])


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ServerState:
    seen: list[Seen] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    stream_finished: bool | None = None
    stream_done: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    state: ServerState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(value).encode(), "application/json", headers)

    def send(
        self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        state = self.state
        state.seen.append(Seen(self.command, url.path, dict(self.headers.items()), body))
        count = state.counters[url.path] = state.counters.get(url.path, 0) + 1
        parts = url.path.strip("/").split("/")
        if parts[0] == "echo":
            self.send_json(
                200,
                {
                    "method": self.command,
                    "json": json.loads(body) if body else None,
                    "content_type": self.headers.get("Content-Type"),
                    "host": self.headers.get("Host"),
                    "x_name": self.headers.get("X-Name"),
                },
            )
        elif parts[0] == "flaky":  # /flaky/<failures>/<status>
            if count <= int(parts[1]):
                self.send_json(int(parts[2]), {"error": "try again"})
            else:
                self.send_json(200, {"ok": True, "attempt": count})
        elif parts[0] == "status":
            self.send_json(int(parts[1]), {"error": "nope"})
        elif parts[0] == "sleep":
            state.stop.wait(5)
            self.send_json(200, {"late": True})
        elif parts[0] == "text":
            self.send(200, b"<html>hello</html>", "text/html")
        elif parts[0] == "empty":
            self.send_response(204)
            self.end_headers()
        elif parts[0] == "big":
            self.send(200, b"[" + b"1," * 600_000 + b"1]", "application/json")
        elif parts[0] == "stream":  # no Content-Length: the limit must bite while reading
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(b"[")
                for _ in range(800):
                    self.wfile.write(b"1," * 32_768)
                self.wfile.write(b"1]")
                state.stream_finished = True
            except OSError:
                state.stream_finished = False
            finally:
                state.stream_done.set()
        elif parts[0] == "redirect":
            status = int(query.get("status", "302"))
            self.send_json(status, {}, {"Location": query["to"]})
        elif parts[0] == "loop":
            self.send_json(302, {}, {"Location": "/loop"})
        elif parts[0] == "cookie":
            self.send_json(200, {"cookie": self.headers.get("Cookie")}, {"Set-Cookie": "sid=1"})
        else:
            self.send_json(404, {"error": "no route"})


class Server(ThreadingMixIn, HTTPServer):
    daemon_threads = False  # server_close() joins every handler thread: nothing outlives a test
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up early (timeouts, size limit) are expected here


@dataclass
class Running:
    state: ServerState
    port: int
    scheme: str = "http"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Running]:
    with serve() as running:
        yield running


@contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[Running]:
    """A threaded HTTP(S) server on a free loopback port, stopped and joined on exit."""
    state = ServerState()
    handler = type("BoundHandler", (Handler,), {"state": state})
    httpd = Server(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Running(state, httpd.server_address[1], "https" if tls else "http")
    finally:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


class Sleeps:
    """Injected sleep: records the backoff delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def caller(policy: HttpPolicy = LOOPBACK, **kwargs: Any) -> HttpxCaller:
    kwargs.setdefault("sleep", Sleeps())
    return HttpxCaller(policy, **kwargs)


def resolving_to(*answers: str) -> Resolve:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return answers

    return resolve


@pytest.mark.anyio
async def test_posts_json_and_returns_the_json_answer(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("POST", server.url("/echo"), json={"phone": "138"}))
    assert reply == HttpReply(
        status=200,
        body={
            "method": "POST",
            "json": {"phone": "138"},
            "content_type": "application/json",
            "host": f"127.0.0.1:{server.port}",
            "x_name": None,
        },
    )
    headers = server.state.seen[0].headers
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "application/json"


@pytest.mark.anyio
async def test_header_values_go_out_as_utf8_and_bad_ones_fail_the_call(server: Running) -> None:
    async with caller() as call:
        ok = await call(HttpRequest("GET", server.url("/echo"), headers={"X-Name": "张三"}))
        bad = await call(HttpRequest("GET", server.url("/echo"), headers={"X-Name": "a\r\nX: y"}))
        name = await call(HttpRequest("GET", server.url("/echo"), headers={"名": "x"}))
    assert ok.body is not None and ok.body["x_name"] == "张三".encode().decode("latin-1")
    assert bad.status is None and bad.error is not None and bad.error.startswith("error: ")
    assert (
        name.status is None and name.error is not None and name.error.startswith("invalid header")
    )
    assert len(server.state.seen) == 1


@pytest.mark.anyio
async def test_retries_5xx_with_backoff_and_one_idempotency_key(server: Running) -> None:
    sleeps = Sleeps()
    backoff = Backoff(base=0.5, jitter=lambda: 1.0)
    async with caller(sleep=sleeps, backoff=backoff) as call:
        reply = await call(
            HttpRequest("POST", server.url("/flaky/2/500"), max_errors=3, idempotency_key="k-42")
        )
    assert reply == HttpReply(status=200, body={"ok": True, "attempt": 3})
    assert [s.headers["Idempotency-Key"] for s in server.state.seen] == ["k-42"] * 3
    assert sleeps.delays == [0.5, 1.0]


@pytest.mark.anyio
async def test_429_is_retried_and_the_last_status_is_reported(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url("/flaky/5/429"), max_errors=2))
    assert reply == HttpReply(status=429, error="status 429")
    assert len(server.state.seen) == 2


@pytest.mark.anyio
async def test_4xx_is_not_retried(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url("/status/404"), max_errors=5))
    assert reply == HttpReply(status=404, error="status 404")
    assert len(server.state.seen) == 1


@pytest.mark.anyio
async def test_timeout_per_attempt_is_retried(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url("/sleep"), timeout=0.3, max_errors=2))
    assert reply == HttpReply(status=None, error="timeout")
    assert len(server.state.seen) == 2


@pytest.mark.anyio
async def test_refused_connection_is_an_error_not_an_exception(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", "http://127.0.0.1:1/", max_errors=2))
    assert reply.status is None and reply.error is not None
    assert reply.error.startswith("refused")


@pytest.mark.anyio
async def test_a_2xx_body_that_is_not_json(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url("/text"), max_errors=3))
    assert reply == HttpReply(status=200, error="not JSON")
    assert len(server.state.seen) == 1


@pytest.mark.anyio
async def test_an_empty_2xx_is_a_success_without_data(server: Running) -> None:
    async with caller() as call:
        assert await call(HttpRequest("DELETE", server.url("/empty"))) == HttpReply(status=204)


@pytest.mark.anyio
async def test_a_declared_length_past_the_limit_is_refused(server: Running) -> None:
    async with caller(max_response_bytes=100_000) as call:
        reply = await call(HttpRequest("GET", server.url("/big")))
    assert reply == HttpReply(status=200, error="response too large")


@pytest.mark.anyio
async def test_the_size_limit_stops_reading_a_stream(server: Running) -> None:
    async with caller(max_response_bytes=100_000) as call:
        reply = await call(HttpRequest("GET", server.url("/stream")))
    assert reply == HttpReply(status=200, error="response too large")
    assert server.state.stream_done.wait(10)
    # the server could not push its 50 MB: we closed the connection instead of reading on
    assert server.state.stream_finished is False


@pytest.mark.anyio
async def test_no_cookie_is_kept_between_calls(server: Running) -> None:
    async with caller() as call:
        await call(HttpRequest("GET", server.url("/cookie")))
        reply = await call(HttpRequest("GET", server.url("/cookie")))
    assert reply.body == {"cookie": None}


@pytest.mark.anyio
async def test_redirects_are_followed_to_an_allowed_address(server: Running) -> None:
    target = server.url("/echo")
    async with caller() as call:
        reply = await call(
            HttpRequest(
                "POST",
                server.url(f"/redirect?status=307&to={target}"),
                json={"a": 1},
                idempotency_key="k",
            )
        )
    assert reply.status == 200 and reply.body["method"] == "POST"
    assert reply.body["json"] == {"a": 1}
    assert [(s.path, s.headers["Idempotency-Key"]) for s in server.state.seen] == [
        ("/redirect", "k"),
        ("/echo", "k"),
    ]


@pytest.mark.anyio
async def test_a_302_after_post_continues_as_get_without_body(server: Running) -> None:
    async with caller() as call:
        reply = await call(
            HttpRequest("POST", server.url(f"/redirect?to={server.url('/echo')}"), json={"a": 1})
        )
    assert reply.body is not None
    assert (reply.body["method"], reply.body["json"]) == ("GET", None)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]/", "loopback"),
        ("http://10.0.0.1/admin", "private"),
        ("file:///etc/passwd", "scheme 'file'"),
    ],
)
@pytest.mark.anyio
async def test_a_redirect_to_a_forbidden_address_is_blocked(
    server: Running, target: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url(f"/redirect?to={target}")))
    assert reply.status is None and reply.error is not None
    assert reply.error.startswith("blocked: ") and reason in reply.error
    assert [r.levelno for r in caplog.records if "http.blocked" in r.message] == [logging.WARNING]


@pytest.mark.anyio
async def test_a_redirect_to_a_name_resolving_inside_is_blocked(server: Running) -> None:
    async with caller(resolve=resolving_to("192.168.0.10")) as call:
        reply = await call(HttpRequest("GET", server.url("/redirect?to=http://evil.example/")))
    assert reply.error == "blocked: evil.example resolves to 192.168.0.10, private"


@pytest.mark.anyio
async def test_redirect_loops_stop(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url("/loop")))
    assert reply == HttpReply(status=302, error="too many redirects")
    assert len(server.state.seen) == 6


@pytest.mark.anyio
async def test_loopback_is_refused_unless_allowlisted(server: Running) -> None:
    async with caller(HttpPolicy()) as call:
        reply = await call(HttpRequest("GET", server.url("/echo")))
    assert reply == HttpReply(status=None, error="blocked: 127.0.0.1 is loopback")
    async with caller(HttpPolicy(allow_hosts=["127.0.0.0/8"])) as call:
        assert (await call(HttpRequest("GET", server.url("/echo")))).status == 200
    assert len(server.state.seen) == 1


@pytest.mark.parametrize(
    "host", ["localhost", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "2130706433", "0x7f.1"]
)
@pytest.mark.anyio
async def test_other_spellings_of_loopback_are_refused(server: Running, host: str) -> None:
    async with caller(HttpPolicy()) as call:
        reply = await call(HttpRequest("GET", server.url("/echo", host=host)))
    assert reply.status is None and reply.error is not None
    assert reply.error.startswith("blocked: ") and "loopback" in reply.error
    assert server.state.seen == []


@pytest.mark.anyio
async def test_octal_dotted_hosts_never_reach_the_network(server: Running) -> None:
    async with caller(HttpPolicy()) as call:
        reply = await call(HttpRequest("GET", server.url("/echo", host="0177.0.0.1")))
    assert reply.status is None and reply.error is not None
    assert reply.error.startswith("invalid URL")  # httpx itself refuses to parse it
    assert server.state.seen == []


@pytest.mark.anyio
async def test_a_mapped_address_goes_out_over_ipv4_when_allowlisted(server: Running) -> None:
    async with caller() as call:
        reply = await call(HttpRequest("GET", server.url("/echo", host="[::ffff:127.0.0.1]")))
    assert reply.status == 200


@pytest.mark.anyio
async def test_a_name_resolving_to_a_private_address_is_refused(server: Running) -> None:
    async with caller(HttpPolicy(), resolve=resolving_to("10.3.4.5")) as call:
        reply = await call(HttpRequest("GET", "http://crm.example.com/score"))
    assert reply == HttpReply(
        status=None, error="blocked: crm.example.com resolves to 10.3.4.5, private"
    )


@pytest.mark.anyio
async def test_the_checked_address_is_the_one_connected_to(server: Running) -> None:
    # api.example.test does not exist: only the address we checked can have been used
    async with caller(resolve=resolving_to("127.0.0.1")) as call:
        reply = await call(HttpRequest("GET", server.url("/echo", host="api.example.test")))
    assert reply.status == 200 and reply.body is not None
    assert reply.body["host"] == f"api.example.test:{server.port}"


@pytest.fixture
def tls_pair(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context for ``api.example.test`` and a client context trusting only its CA."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def cert(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = cert("chatflow test CA", ca_key, "chatflow test CA", ca_key, ca=True)
    leaf = cert("api.example.test", leaf_key, "chatflow test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(
        leaf.public_bytes(pem)
        + leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "leaf.pem")
    client_ctx = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return server_ctx, client_ctx


@pytest.mark.anyio
async def test_tls_is_verified_on_the_name_while_connecting_to_the_checked_address(
    tls_pair: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, client_ctx = tls_pair
    names: list[str | None] = []

    def record_sni(sock: Any, name: str | None, ctx: Any) -> None:
        names.append(name)

    server_ctx.sni_callback = record_sni
    with serve(server_ctx) as running:
        async with caller(resolve=resolving_to("127.0.0.1"), ssl_context=client_ctx) as call:
            ok = await call(HttpRequest("GET", running.url("/echo", host="api.example.test")))
            wrong = await call(HttpRequest("GET", running.url("/echo", host="www.example.test")))
    assert ok.status == 200
    assert names[0] == "api.example.test"
    assert wrong.status is None and wrong.error is not None and "CERTIFICATE_VERIFY" in wrong.error


def test_status_and_body_make_the_same_reply_everywhere() -> None:
    assert reply_from(200, b'{"a": 1}') == HttpReply(200, {"a": 1})
    assert reply_from(200, b"  ") == HttpReply(200)
    assert reply_from(201, b"oops") == HttpReply(201, error="not JSON")
    assert reply_from(200, b"\xff\xfe{") == HttpReply(200, error="not JSON")
    assert reply_from(200, b"[" * 100_000) == HttpReply(200, error="not JSON")
    assert reply_from(503, b'{"a": 1}') == HttpReply(503, error="status 503")


def test_backoff_grows_exponentially_up_to_its_cap_with_jitter() -> None:
    top = Backoff(base=0.25, cap=1.0, jitter=lambda: 0.999999)
    assert [round(top(n), 3) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 1.0]
    assert Backoff(base=1.0, jitter=lambda: 0.0)(1) == 0.5


def test_cross_origin_redirects_drop_credentials() -> None:
    import httpx

    headers = httpx.Headers({"Authorization": "Bearer x", "Idempotency-Key": "k"})
    here = httpx.URL("https://a.example/x")
    _, same, _ = redirect(307, "POST", here, httpx.URL("https://a.example/y"), headers)
    _, other, keep = redirect(308, "POST", here, httpx.URL("https://b.example/y"), headers)
    assert "Authorization" in same and "Authorization" not in other
    assert other["Idempotency-Key"] == "k" and keep


def mocks(*items: dict[str, Any]) -> list[HttpMock]:
    return [HttpMock.model_validate(item) for item in items]


@pytest.mark.anyio
async def test_mock_caller_answers_with_the_first_matching_mock() -> None:
    call = MockCaller(
        mocks(
            {
                "match": {"url": "https://crm.example.com/score", "method": "post"},
                "respond": {"json": {"Score": "95"}},
            },
            {"match": {"url": "https://crm.example.com/*"}, "respond": {"status": 404}},
        )
    )
    score = HttpRequest("POST", "https://crm.example.com/score", json={"phone": "1"})
    assert await call(score) == HttpReply(200, {"Score": "95"})
    assert await call(HttpRequest("GET", "https://crm.example.com/score")) == HttpReply(
        404, error="status 404"
    )
    assert await call(HttpRequest("GET", "https://other.example/")) == HttpReply(
        None, error="no mock for GET https://other.example/"
    )
    assert [r.url for r in call.requests] == [
        "https://crm.example.com/score",
        "https://crm.example.com/score",
        "https://other.example/",
    ]


@pytest.mark.anyio
async def test_mock_caller_shares_the_real_callers_semantics() -> None:
    call = MockCaller(
        mocks(
            {"match": {"url": "https://x.example/slow"}, "fail": "timeout"},
            {"match": {"url": "https://x.example/down"}, "fail": "connect"},
            {"match": {"url": "https://x.example/html"}, "respond": {"body": "<html>"}},
            {"match": {"url": "https://x.example/boom"}, "respond": {"status": 500}},
        )
    )
    assert await call(HttpRequest("GET", "https://x.example/slow")) == HttpReply(
        None, error="timeout"
    )
    assert await call(HttpRequest("GET", "https://x.example/down")) == HttpReply(
        None, error="refused"
    )
    assert await call(HttpRequest("GET", "https://x.example/html")) == HttpReply(
        200, error="not JSON"
    )
    call.requests.clear()
    boom = await call(HttpRequest("GET", "https://x.example/boom", max_errors=3))
    assert boom == HttpReply(500, error="status 500")
    assert len(call.requests) == 3  # retried as the real caller would
    assert (await call(HttpRequest("GET", "ftp://x.example/"))).error == (
        "blocked: scheme 'ftp' is not allowed"
    )
