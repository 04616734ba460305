"""The visitor captcha (seed 000's 驗證碼): a slider puzzle a captcha site asks before it opens a
new session, so bots cannot open chats in bulk.

Stateless, so any worker can draw and check any challenge: a challenge is the token
``nonce.expires.mac`` (HMAC-SHA256 with a key derived from the deployment's secret, over the
site, the nonce and the expiry), and the piece's place comes from HMAC(key, nonce), so the
answer is never sent to the client nor kept anywhere. One-time use goes through a rate limiter
of count 1 on ``captcha:{nonce}`` (in memory, or Redis when scaled out): a challenge is
answered once, right or wrong, so it can neither be replayed nor guessed at again.

The pictures are :mod:`chatflow.channels.captcha_images`; the routes are in
:mod:`chatflow.channels.web`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image
from pydantic import BaseModel, Field

from chatflow.channels import captcha_images as pictures
from chatflow.channels.image_blobs import ImageBlobs
from chatflow.engine.clock import Clock
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter, RateLimiter

TTL = 120
"""Seconds a challenge may be answered in."""
TOLERANCE = 5
"""Pixels the answer may be off by."""
USED = Limit(count=1, seconds=TTL + 60)
"""The one-time-use limiter's window: longer than a challenge lives."""
_CACHED_UPLOADS = 32


class CaptchaAnswer(BaseModel):
    """A solved puzzle, sent with the new session."""

    challenge: str = Field(max_length=200)
    """The challenge token the puzzle came with."""
    x: float = Field(ge=-1000, le=1000)
    """Where the visitor put the piece's left edge, in the puzzle's 300 px wide space."""


class Challenge(BaseModel):
    """A puzzle: slide ``piece`` along ``piece_y`` until it fills the hole in ``background``."""

    challenge: str
    """Send it back with the answer (``captcha.challenge`` of the new session)."""
    background: str
    """The background with the hole (a ``data:image/jpeg`` URL)."""
    piece: str
    """The piece (a ``data:image/png`` URL with transparency)."""
    piece_y: int
    """Pixels from the background's top to the piece's top."""
    width: int
    height: int
    piece_size: int
    """The piece's width and height."""


@dataclass(frozen=True)
class Place:
    """Where a challenge's piece sits (its left and top edges) and which default background
    a site without an upload shows."""

    x: int
    y: int
    background: int


class CaptchaKeys:
    """Signs and checks challenge tokens and derives their pieces' places; no state."""

    def __init__(self, secret: bytes, clock: Clock) -> None:
        if len(secret) < 16:
            raise ValueError("the captcha secret must be at least 16 bytes")
        self._key = hmac.new(secret, b"chatflow-captcha-v1", hashlib.sha256).digest()
        self.clock = clock

    def issue(self, site_key: str, nonce: str | None = None) -> str:
        nonce = nonce or secrets.token_urlsafe(16)
        expires = int(self.clock.now().timestamp()) + TTL
        return f"{nonce}.{expires}.{self._mac(site_key, nonce, expires)}"

    def nonce_of(self, token: str, site_key: str) -> str | None:
        """The nonce of a token this deployment signed for ``site_key`` and that has not
        expired, else None."""
        nonce, _, rest = token.partition(".")
        expires_text, _, mac = rest.partition(".")
        if not nonce or not expires_text.isdigit() or len(expires_text) > 12:
            return None
        expires = int(expires_text)
        if not hmac.compare_digest(mac, self._mac(site_key, nonce, expires)):
            return None
        if self.clock.now().timestamp() > expires:
            return None
        return nonce

    def place(self, nonce: str) -> Place:
        digest = hmac.new(self._key, f"place\n{nonce}".encode(), hashlib.sha256).digest()
        (x0, x1), (y0, y1) = pictures.X_RANGE, pictures.Y_RANGE
        x = x0 + int.from_bytes(digest[:4], "big") % (x1 - x0 + 1)
        y = y0 + int.from_bytes(digest[4:8], "big") % (y1 - y0 + 1)
        return Place(x, y, digest[8] % pictures.DEFAULTS)

    def _mac(self, site_key: str, nonce: str, expires: int) -> str:
        message = f"challenge\n{site_key}\n{nonce}\n{expires}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


class Captcha:
    """The captcha of the web channel: draws challenges and checks answers once each.

    ``secret`` is the deployment's (the visitor tokens'); ``used`` must have a limit of count 1
    (:data:`USED`) and be shared by every worker (None: this process's own); ``blobs`` holds the
    sites' uploaded backgrounds (by the id the site row names).
    """

    def __init__(
        self, secret: bytes, clock: Clock, blobs: ImageBlobs, used: RateLimiter | None = None
    ) -> None:
        self.keys = CaptchaKeys(secret, clock)
        self.used = used if used is not None else MemoryRateLimiter(USED, time.monotonic)
        self.blobs = blobs
        self._uploads: OrderedDict[str, Image.Image] = OrderedDict()

    async def challenge(self, site_key: str, image_id: str | None) -> Challenge:
        """A new puzzle for the site, on its uploaded background (``image_id``) if it has one."""
        token = self.keys.issue(site_key)
        place = self.keys.place(token.partition(".")[0])
        background = await self._background(image_id, place.background)
        hole, piece = await asyncio.to_thread(pictures.cut, background, place.x, place.y)
        return Challenge(
            challenge=token,
            background=hole,
            piece=piece,
            piece_y=place.y,
            width=pictures.WIDTH,
            height=pictures.HEIGHT,
            piece_size=pictures.PIECE,
        )

    def check(self, site_key: str, answer: CaptchaAnswer) -> bool:
        """Whether the answer solves a live challenge of the site that was never answered
        before; the challenge is spent either way."""
        nonce = self.keys.nonce_of(answer.challenge, site_key)
        if nonce is None:
            return False
        if self.used.hit(f"captcha:{nonce}"):
            return False  # answered before
        return abs(answer.x - self.keys.place(nonce).x) <= TOLERANCE

    async def _background(self, image_id: str | None, default: int) -> Image.Image:
        if image_id is None:
            return pictures.default_background(default)
        cached = self._uploads.get(image_id)
        if cached is not None:
            self._uploads.move_to_end(image_id)
            return cached
        data = await asyncio.to_thread(self.blobs.get, image_id)
        if data is None:  # deleted meanwhile
            return pictures.default_background(default)
        picture = await asyncio.to_thread(pictures.open_background, data)
        self._uploads[image_id] = picture
        while len(self._uploads) > _CACHED_UPLOADS:
            self._uploads.popitem(last=False)
        return picture
