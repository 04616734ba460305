"""The bounded multipart reader: parts across any chunking, and every limit enforced while the
body streams in (reading stops at the first refusal)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest

from chatflow.channels.multipart import (
    MB,
    Limits,
    MultipartError,
    boundary_of,
    header_params,
    read_multipart,
)

pytestmark = pytest.mark.anyio

BOUNDARY = b"----cfBoundary7MA4YWxk"


def form(parts: Iterable[tuple[str, str | None, bytes]], boundary: bytes = BOUNDARY) -> bytes:
    """A multipart body of ``(name, filename, data)`` parts."""
    out = bytearray(b"preamble to ignore\r\n")
    for name, filename, data in parts:
        out += b"--" + boundary + b"\r\n"
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += b"--" + boundary + b"--\r\nepilogue"
    return bytes(out)


class Stream:
    """Chunks of a body, counting what the reader pulled; ``endless`` pads forever after it."""

    def __init__(self, body: bytes, size: int, *, endless: bool = False) -> None:
        self.body, self.size, self.endless = body, size, endless
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.body), self.size):
            chunk = self.body[i : i + self.size]
            self.pulled += len(chunk)
            yield chunk
        while self.endless:
            self.pulled += self.size
            yield b"\0" * self.size


TRICKY = b"a\r\n--" + BOUNDARY[:-1] + b"\r\n-\r\n--x\r\r\n"
"""File data holding most of a delimiter: it must not end the part."""


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 4096, 1 << 20])
async def test_parts_come_out_whole_however_the_body_is_cut(size: int) -> None:
    body = form([("file", "a.png", TRICKY), ("id", None, b"c-1"), ("file", "b.gif", b"")])
    parts = await read_multipart(Stream(body, size).__aiter__(), BOUNDARY)
    assert [(p.name, p.filename, bytes(p.data)) for p in parts] == [
        ("file", "a.png", TRICKY),
        ("id", None, b"c-1"),
        ("file", "b.gif", b""),
    ]
    assert parts[0].content_type == "application/octet-stream"


async def test_a_file_of_exactly_the_limit_is_taken() -> None:
    body = form([("file", "big.png", b"x" * (2 * MB))])
    parts = await read_multipart(Stream(body, 65536).__aiter__(), BOUNDARY)
    assert len(parts[0].data) == 2 * MB


async def test_one_byte_over_the_limit_stops_the_reading_there() -> None:
    head = form([("file", "big.png", b"x" * (2 * MB + 1))]).split(b"x" * 1000, 1)[0]
    stream = Stream(head + b"x" * (2 * MB + 1), 65536, endless=True)  # then 0-bytes, forever
    with pytest.raises(MultipartError) as info:
        await read_multipart(stream.__aiter__(), BOUNDARY)
    assert (info.value.status, info.value.code) == (413, "too_large")
    assert stream.pulled <= 2 * MB + 2 * 65536


async def test_the_epilogue_is_never_read() -> None:
    stream = Stream(form([("id", None, b"1")]), 8, endless=True)
    await read_multipart(stream.__aiter__(), BOUNDARY)
    assert stream.pulled < len(form([("id", None, b"1")])) + 8


@pytest.mark.parametrize(
    ("parts", "status", "code"),
    [
        ([("file", f"{i}.png", b"x") for i in range(10)], 413, "too_many_files"),
        ([("f", None, b"x") for _ in range(17)], 413, "too_many_fields"),
        ([("id", None, b"x" * 1025)], 413, "too_large"),
    ],
)
async def test_counts_and_field_sizes_are_bounded(
    parts: list[tuple[str, str | None, bytes]], status: int, code: str
) -> None:
    with pytest.raises(MultipartError) as info:
        await read_multipart(Stream(form(parts), 100).__aiter__(), BOUNDARY)
    assert (info.value.status, info.value.code) == (status, code)


@pytest.mark.parametrize(
    "body",
    [
        b"no boundary at all " * 1000,
        b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=a\r\n\r\nunfinished",
        b"--" + BOUNDARY + b"\r\n" + b"X-Long: " + b"y" * 5000 + b"\r\n\r\n",
        b"--" + BOUNDARY + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + BOUNDARY + b"--",
        b"--" + BOUNDARY + b"junk\r\n",
    ],
    ids=["no-boundary", "unterminated", "huge-headers", "no-disposition", "junk-after"],
)
async def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(MultipartError) as info:
        await read_multipart(Stream(body, 512).__aiter__(), BOUNDARY, Limits())
    assert info.value.status == 400


def test_the_boundary_comes_from_a_form_content_type_only() -> None:
    assert boundary_of('multipart/form-data; boundary="a b:c"') == b"a b:c"
    assert boundary_of("Multipart/Form-Data; charset=utf-8; boundary=xyz") == b"xyz"
    with pytest.raises(MultipartError) as info:
        boundary_of("image/png")
    assert info.value.status == 415
    for bad in ["multipart/form-data", "multipart/form-data; boundary=" + "x" * 71]:
        with pytest.raises(MultipartError):
            boundary_of(bad)


def test_header_parameters_keep_quoted_separators() -> None:
    assert header_params(r'form-data; name="a;b"; filename="x\"y.png"') == (
        "form-data",
        {"name": "a;b", "filename": 'x"y.png'},
    )
