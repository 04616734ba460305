"""Image upload and serving through the app: typed by bytes, 2 MB read-limited, several at once,
echoed into the session's log, served so a browser can only ever show them as images."""

from __future__ import annotations

import re
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session as Db
from sqlmodel import select

from chatflow.channels.image_blobs import MemoryBlobs
from chatflow.engine.stores.channeltables import ImageRow

MB = 1024 * 1024


def png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x80" * width)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x11" * 40
    + b"\xff\xd9"
)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
GIF += b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
SAMPLES = {"image/png": png(), "image/jpeg": JPEG, "image/gif": GIF, "image/webp": WEBP}
EXT = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
ID = re.compile(r"^/api/v1/images/[A-Za-z0-9_-]{43}$")


def start(client: TestClient) -> dict[str, str]:
    response = client.post("/api/v1/sites/demo-web/sessions", json={})
    assert response.status_code == 201, response.text
    return dict(response.json())


def auth(session: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['visitor_token']}"}


def upload(
    client: TestClient,
    session: dict[str, str],
    files: list[tuple[str, bytes, str]],
    ids: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
) -> Any:
    return client.post(
        f"/api/v1/sessions/{session['session_id']}/images",
        files=[("file", f) for f in files],
        data={"id": list(ids)} if ids else None,
        headers=auth(session) if headers is None else headers,
    )


def events(client: TestClient, session: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/sessions/{session['session_id']}/events", headers=auth(session))
    return list(response.json()["events"])


def image_rows(client: TestClient) -> list[ImageRow]:
    with Db(client.app.state.records) as db:  # type: ignore[attr-defined]
        return list(db.exec(select(ImageRow)).all())


@pytest.mark.parametrize("content_type", sorted(SAMPLES))
def test_each_type_is_detected_by_its_bytes_and_served_safely(
    client: TestClient, content_type: str
) -> None:
    session = start(client)
    data = SAMPLES[content_type]
    # the name and declared type lie: only the bytes count
    response = upload(client, session, [("evil.html", data, "text/html")], ("img-1",))
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert ID.match(url)
    assert response.json()["images"] == [
        {"url": url, "content_type": content_type, "size": len(data), "id": "img-1"}
    ]
    served = client.get(url)
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == content_type
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"] == f'inline; filename="image.{EXT[content_type]}"'
    assert served.headers["cache-control"].startswith("private")
    assert served.headers["content-security-policy"].startswith("default-src 'none'")
    echo = events(client, session)[-1]
    assert (echo["type"], echo["from"], echo["image"], echo["id"]) == (
        "message",
        "visitor",
        url,
        "img-1",
    )
    [row] = image_rows(client)
    assert (row.session_id, row.merchant_id, row.sender, row.content_type, row.size) == (
        session["session_id"],
        "demo",
        "visitor",
        content_type,
        len(data),
    )
    assert len(row.sha256) == 64


def test_several_images_at_once_each_echoed_in_order(client: TestClient) -> None:
    session = start(client)
    files = [(f"{i}.bin", SAMPLES[t], "application/octet-stream") for i, t in enumerate(SAMPLES)]
    response = upload(client, session, files, ("a", "b", "c", "d"))
    assert response.status_code == 201, response.text
    urls = [i["url"] for i in response.json()["images"]]
    assert len(set(urls)) == 4 and response.json()["url"] == urls[0]
    echoes = [e for e in events(client, session) if e.get("image")]
    assert [(e["image"], e["id"]) for e in echoes] == list(zip(urls, "abcd", strict=True))
    # each row is dated by the app's clock (the fixture's frozen Monday), not the machine's
    frozen = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    stored = {r.created_at.replace(tzinfo=r.created_at.tzinfo or UTC) for r in image_rows(client)}
    assert stored == {frozen}


def test_a_resent_upload_is_echoed_once_with_the_same_url(client: TestClient) -> None:
    session = start(client)
    first = upload(client, session, [("a.png", png(), "image/png")], ("same",)).json()["url"]
    again = upload(client, session, [("a.png", png(), "image/png")], ("same",)).json()["url"]
    assert first == again
    assert sum(1 for e in events(client, session) if e.get("id") == "same") == 1
    assert len(image_rows(client)) == 1


class MeetingBlobs(MemoryBlobs):
    """Bytes in memory; the first two puts wait for each other, so both uploads have looked for
    their client id (and not found it) before either writes its row."""

    def __init__(self) -> None:
        super().__init__()
        self.meeting = threading.Barrier(2, timeout=10)

    def put(self, image_id: str, data: bytes) -> None:
        super().put(image_id, data)
        if self.meeting.n_waiting or len(self.blobs) <= 2:
            self.meeting.wait()


def test_two_resends_racing_store_the_image_once(client: TestClient) -> None:
    blobs = MeetingBlobs()
    client.app.state.images.blobs = blobs  # type: ignore[attr-defined]
    session = start(client)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda _: upload(client, session, [("a.png", png(), "image/png")], ("same",)),
                range(2),
            )
        )
    assert [a.status_code for a in answers] == [201, 201]
    urls = {a.json()["url"] for a in answers}
    assert len(urls) == 1 and len(image_rows(client)) == 1
    assert list(blobs.blobs) == [urls.pop().rsplit("/", 1)[-1]]  # the loser's bytes are gone
    assert sum(1 for e in events(client, session) if e.get("id") == "same") == 1


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<!doctype html><script>alert(document.cookie)</script>",
        GIF + b"<script>alert(1)</script>",
        png() + b"<html><body onload=alert(1)>",
    ],
    ids=["svg", "html", "gif-polyglot", "png-polyglot"],
)
def test_svg_html_and_polyglots_are_refused_and_nothing_is_stored(
    client: TestClient, data: bytes
) -> None:
    session = start(client)
    before = events(client, session)
    files = [("ok.png", png(), "image/png"), ("x.png", data, "image/png")]
    response = upload(client, session, files)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["index"] == 1
    assert events(client, session) == before and image_rows(client) == []


def test_two_megabytes_pass_and_one_byte_more_is_413(client: TestClient) -> None:
    session = start(client)
    exact = png() + b"\0" * (2 * MB - len(png()))
    assert upload(client, session, [("a.png", exact, "image/png")]).status_code == 201
    response = upload(client, session, [("a.png", exact + b"\0", "image/png")])
    assert response.status_code == 413
    assert response.json()["type"] == "urn:chatflow:too_large"
    assert len(image_rows(client)) == 1


def test_an_oversized_upload_stops_being_read(client: TestClient) -> None:
    """Straight through ASGI: the body never ends; the app must stop pulling it past 2 MB."""
    session = start(client)
    boundary = "cfB0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png()
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = head if pulled == 0 else b"\0" * 65536
        pulled += len(chunk)
        if pulled > 50 * MB:
            raise AssertionError("the app kept reading an upload past its limit")
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path = f"/api/v1/sessions/{session['session_id']}/images"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"authorization", f"Bearer {session['visitor_token']}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert pulled <= 2 * MB + 3 * 65536


def test_a_declared_length_past_any_upload_is_refused_unread(client: TestClient) -> None:
    session = start(client)
    response = client.post(
        f"/api/v1/sessions/{session['session_id']}/images",
        content=b"x" * 10,
        headers={
            **auth(session),
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(100 * MB),
        },
    )
    assert response.status_code == 413


def test_a_body_that_is_not_a_form_is_415(client: TestClient) -> None:
    session = start(client)
    response = client.post(
        f"/api/v1/sessions/{session['session_id']}/images",
        content=png(),
        headers={**auth(session), "Content-Type": "image/png"},
    )
    assert response.status_code == 415


def test_only_the_sessions_own_token_may_upload(client: TestClient) -> None:
    mine, other = start(client), start(client)
    files = [("a.png", png(), "image/png")]
    assert upload(client, mine, files, headers=auth(other)).status_code == 401
    assert upload(client, mine, files, headers={}).status_code == 401
    forged = {"Authorization": f"Bearer {mine['session_id']}.forged"}
    assert upload(client, mine, files, headers=forged).status_code == 401
    assert image_rows(client) == []


def test_an_ended_session_takes_no_image(client: TestClient) -> None:
    session = start(client)
    url = f"/api/v1/sessions/{session['session_id']}/messages"
    client.post(url, json={"type": "end", "id": "bye"}, headers=auth(session))
    assert upload(client, session, [("a.png", png(), "image/png")]).status_code == 409


def test_ids_are_unguessable_and_anything_else_is_404(client: TestClient, tmp_path: Path) -> None:
    session = start(client)
    urls = {
        upload(client, session, [("a.png", png(), "image/png")]).json()["url"] for _ in range(20)
    }
    assert len(urls) == 20 and all(ID.match(u) for u in urls)
    for probe in ["A" * 43, "short", "..%2F..%2Frecords.sqlite3", "%2e%2e"]:
        assert client.get(f"/api/v1/images/{probe}").status_code == 404
    assert (tmp_path / "data" / "images").is_dir()


class FlakyBlobs(MemoryBlobs):
    """Bytes kept in memory, except that the puts numbered in ``fail`` (from 1) find a full disk."""

    def __init__(self, *fail: int) -> None:
        super().__init__()
        self.fail, self.puts = set(fail), 0

    def put(self, image_id: str, data: bytes) -> None:
        self.puts += 1
        if self.puts in self.fail:
            raise OSError(28, "No space left on device")
        super().put(image_id, data)


def problem_type(response: Any) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["type"])


def test_bytes_that_cannot_be_stored_are_a_503_and_nothing_is_sent(client: TestClient) -> None:
    client.app.state.images.blobs = FlakyBlobs(1)  # type: ignore[attr-defined]
    session = start(client)
    before = events(client, session)
    response = upload(client, session, [("a.png", png(), "image/png")], ("c1",))
    assert response.status_code == 503
    assert problem_type(response) == "urn:chatflow:image_not_stored"
    assert events(client, session) == before and image_rows(client) == []


def test_a_request_whose_second_image_fails_echoes_none_and_a_resend_sends_both_once(
    client: TestClient,
) -> None:
    blobs = FlakyBlobs(2)
    client.app.state.images.blobs = blobs  # type: ignore[attr-defined]
    session = start(client)
    before = events(client, session)
    files = [("a.png", png(), "image/png"), ("b.gif", GIF, "image/gif")]
    assert upload(client, session, files, ("a", "b")).status_code == 503
    assert events(client, session) == before  # the first image is kept, but not sent
    again = upload(client, session, files, ("a", "b"))
    assert again.status_code == 201, again.text
    echoes = [(e["id"], e["image"]) for e in events(client, session) if e.get("image")]
    assert echoes == [(i["id"], i["url"]) for i in again.json()["images"]]
    assert [i["id"] for i in again.json()["images"]] == ["a", "b"]
    assert len(image_rows(client)) == len(blobs.blobs) == 2  # "a" was not stored twice


def test_bytes_whose_row_cannot_be_written_are_discarded(client: TestClient) -> None:
    blobs = FlakyBlobs()
    client.app.state.images.blobs = blobs  # type: ignore[attr-defined]
    session = start(client)
    records = client.app.state.records  # type: ignore[attr-defined]

    def refuse(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO image "):
            raise OperationalError(statement, None, Exception("disk I/O error"))

    event.listen(records, "before_cursor_execute", refuse)
    try:
        response = upload(client, session, [("a.png", png(), "image/png")])
    finally:
        event.remove(records, "before_cursor_execute", refuse)
    assert response.status_code == 503
    assert problem_type(response) == "urn:chatflow:image_not_stored"
    assert blobs.puts == 1 and blobs.blobs == {} and image_rows(client) == []
