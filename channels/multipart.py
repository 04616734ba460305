"""A bounded ``multipart/form-data`` reader for uploads (RFC 7578), fed by the request stream.

Every limit is enforced on the bytes as they arrive: a file part that grows past
``max_file_bytes`` stops the reading at once (the rest of the body is never read), and so do too
many parts, oversized part headers or fields, and a preamble that never reaches a boundary. Part
data is kept in memory, which the limits bound: at most ``max_files * max_file_bytes`` plus the
small fields. Nothing is written to disk.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

MB = 1024 * 1024


class MultipartError(Exception):
    """The body is refused: ``status`` 400 (malformed), 413 (too large) or 415 (not a form)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 2 * MB
    """Largest file part, counted on the bytes received."""
    max_files: int = 9
    max_field_bytes: int = 1024
    """Largest non-file field (``id`` and the like)."""
    max_fields: int = 16
    max_header_bytes: int = 4096
    """Largest header block of one part."""
    max_preamble_bytes: int = 4096

    @property
    def max_body(self) -> int:
        """An upper bound of a body within every limit (a declared length above it is refused)."""
        per_part = self.max_header_bytes + 512
        files = self.max_files * (self.max_file_bytes + per_part)
        return files + self.max_fields * (self.max_field_bytes + per_part) + self.max_preamble_bytes


@dataclass
class Part:
    name: str
    filename: str | None
    """None for a plain field."""
    content_type: str | None
    data: bytearray = field(default_factory=bytearray)

    @property
    def is_file(self) -> bool:
        return self.filename is not None


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BOUNDARY = re.compile(r"^[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]$")


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="file"; filename="a.png"`` -> ``("form-data", {name, filename})``.

    Quoted strings may hold ``;`` and backslash escapes; parameter names are lower-cased.
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t;":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        name = rest[i:eq].strip().lower()
        i = eq + 1
        if i < n and rest[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(rest[i])
                i += 1
            i += 1
            params[name] = "".join(chars)
        else:
            end = rest.find(";", i)
            end = n if end < 0 else end
            params[name] = rest[i:end].strip()
            i = end
    return main.strip().lower(), params


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` content type; 415 for anything else."""
    kind, params = header_params(content_type or "")
    if kind != "multipart/form-data":
        raise MultipartError(
            415, "unsupported_media_type", "send the images as multipart/form-data"
        )
    boundary = params.get("boundary", "")
    if not _BOUNDARY.match(boundary):
        raise MultipartError(400, "bad_multipart", "the multipart boundary is missing or invalid")
    return boundary.encode("ascii")


class _Reader:
    """The parser's state: a buffer, the part being read, the parts done."""

    def __init__(self, boundary: bytes, limits: Limits) -> None:
        self.limits = limits
        self.first = b"--" + boundary
        self.delimiter = b"\r\n--" + boundary
        self.buffer = bytearray()
        self.state = "preamble"
        self.part: Part | None = None
        self.parts: list[Part] = []
        self.files = 0
        self.fields = 0

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk; True once the closing delimiter was read (stop reading then)."""
        self.buffer += chunk
        while True:
            progressed = getattr(self, f"_{self.state}")()
            if self.state == "done":
                return True
            if not progressed:
                return False

    def _preamble(self) -> bool:
        at = self.buffer.find(self.first)
        if at < 0:
            if len(self.buffer) > self.limits.max_preamble_bytes:
                raise MultipartError(400, "bad_multipart", "no multipart boundary in the body")
            return False
        del self.buffer[: at + len(self.first)]
        self.state = "after_delimiter"
        return True

    def _after_delimiter(self) -> bool:
        if len(self.buffer) < 2:
            return False
        if self.buffer[:2] == b"--":
            self.state = "done"
            return True
        end = self.buffer.find(b"\r\n")
        if end < 0:
            if len(self.buffer) > 64:
                raise MultipartError(400, "bad_multipart", "garbage after a multipart boundary")
            return False
        if self.buffer[:end].strip(b" \t"):
            raise MultipartError(400, "bad_multipart", "garbage after a multipart boundary")
        del self.buffer[: end + 2]
        self.state = "headers"
        return True

    def _headers(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > self.limits.max_header_bytes:
                raise MultipartError(400, "headers_too_large", "a part's headers are too large")
            return False
        if end > self.limits.max_header_bytes:
            raise MultipartError(400, "headers_too_large", "a part's headers are too large")
        block = bytes(self.buffer[:end]).decode("utf-8", "replace")
        del self.buffer[: end + 4]
        self.part = self._start_part(block)
        self.state = "body"
        return True

    def _start_part(self, block: str) -> Part:
        headers: dict[str, str] = {}
        for line in block.split("\r\n") if block else ():
            name, colon, value = line.partition(":")
            if not colon or not _TOKEN.match(name.strip()):
                raise MultipartError(400, "bad_multipart", "a part header is malformed")
            headers[name.strip().lower()] = value.strip()
        kind, params = header_params(headers.get("content-disposition", ""))
        if kind != "form-data" or "name" not in params:
            raise MultipartError(400, "bad_multipart", "a part has no form-data name")
        part = Part(params["name"], params.get("filename"), headers.get("content-type"))
        if part.is_file:
            self.files += 1
            if self.files > self.limits.max_files:
                raise MultipartError(
                    413,
                    "too_many_files",
                    f"at most {self.limits.max_files} images per request",
                )
        else:
            self.fields += 1
            if self.fields > self.limits.max_fields:
                raise MultipartError(413, "too_many_fields", "too many form fields")
        return part

    def _body(self) -> bool:
        part = self.part
        assert part is not None
        at = self.buffer.find(self.delimiter)
        if at >= 0:
            self._take(part, at)
            del self.buffer[: len(self.delimiter)]
            self.parts.append(part)
            self.part = None
            self.state = "after_delimiter"
            return True
        # Keep what could be the start of a delimiter split across chunks.
        safe = len(self.buffer) - (len(self.delimiter) - 1)
        if safe > 0:
            self._take(part, safe)
        return False

    def _take(self, part: Part, count: int) -> None:
        limit = self.limits.max_file_bytes if part.is_file else self.limits.max_field_bytes
        if len(part.data) + count > limit:
            if part.is_file:
                raise MultipartError(413, "too_large", f"an image may be at most {limit // MB} MB")
            raise MultipartError(413, "too_large", f"a form field may be at most {limit} bytes")
        part.data += self.buffer[:count]
        del self.buffer[:count]


async def read_multipart(
    chunks: AsyncIterator[bytes], boundary: bytes, limits: Limits | None = None
) -> list[Part]:
    """Parse the body as it streams; stops reading at the closing delimiter or the first refusal."""
    reader = _Reader(boundary, limits or Limits())
    async for chunk in chunks:
        if chunk and reader.feed(chunk):
            return reader.parts
    raise MultipartError(400, "bad_multipart", "the multipart body ended before its last boundary")
