"""Signatures of the webhook channel, the same both ways: ``X-Chatflow-Signature: t=<unix>,v1=<hex>``.

``v1`` is HMAC-SHA256 with the channel's shared secret over ``<t>.<raw body bytes>``, in lower-case
hex. A receiver recomputes it over the bytes it got (never over re-serialised JSON), compares in
constant time, and refuses a ``t`` more than five minutes away from its clock, so a captured
request cannot be replayed later. Several ``v1`` entries may be sent (while a secret is rotated);
one match is enough.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Chatflow-Signature"
TOLERANCE = 300
"""Seconds a signature's timestamp may be away from the receiver's clock, either way."""


class SignatureError(Exception):
    """Why a request's signature is refused: ``missing``, ``malformed``, ``stale`` or ``mismatch``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def digest(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``v1`` value: hex HMAC-SHA256 over ``<timestamp>.<body>``."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp`` (UNIX seconds)."""
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(
    secret: bytes, body: bytes, header: str | None, now: float, tolerance: int = TOLERANCE
) -> int:
    """Check a header against ``body``; returns its timestamp, raises :class:`SignatureError`."""
    if not header:
        raise SignatureError("missing", f"the {HEADER} header is missing")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq:
            raise SignatureError("malformed", f"{HEADER} must look like t=<unix>,v1=<hex>")
        if key == "t":
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise SignatureError("malformed", f"{HEADER}: t must be UNIX seconds")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError("malformed", f"{HEADER} must look like t=<unix>,v1=<hex>")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            "stale", f"the signature's timestamp is more than {tolerance} s from the server's clock"
        )
    expected = digest(secret, timestamp, body)
    matched = False
    for candidate in candidates:  # every candidate is compared: no early exit to time
        matched |= hmac.compare_digest(expected.encode(), candidate.encode("ascii", "replace"))
    if not matched:
        raise SignatureError("mismatch", "the signature does not match the body")
    return timestamp
