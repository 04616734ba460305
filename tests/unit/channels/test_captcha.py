"""The captcha's challenge tokens, pieces and one-time answers (channels/captcha.py), and the
pictures it cuts (channels/captcha_images.py), with the in-memory limiter and blob store."""

from __future__ import annotations

import asyncio
import base64
import io

import pytest
from PIL import Image

from chatflow.channels import captcha_images as pictures
from chatflow.channels.captcha import TOLERANCE, TTL, Captcha, CaptchaAnswer, CaptchaKeys
from chatflow.channels.image_blobs import MemoryBlobs
from chatflow.engine.clock import FrozenClock

SECRET = b"s" * 32


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock("2026-11-23T10:00:00+08:00")


@pytest.fixture
def captcha(clock: FrozenClock) -> Captcha:
    return Captcha(SECRET, clock, MemoryBlobs())


def solve(captcha: Captcha, token: str, off: float = 0) -> CaptchaAnswer:
    """The answer an insider computes with the deployment's key."""
    return CaptchaAnswer(challenge=token, x=captcha.keys.place(token.split(".")[0]).x + off)


def decode(url: str) -> Image.Image:
    head, _, data = url.partition(",")
    assert head in ("data:image/jpeg;base64", "data:image/png;base64")
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_a_token_is_checked_for_its_signature_site_and_expiry(clock: FrozenClock) -> None:
    keys = CaptchaKeys(SECRET, clock)
    token = keys.issue("acme-web", nonce="abc")
    assert keys.nonce_of(token, "acme-web") == "abc"
    assert keys.nonce_of(token, "other-web") is None  # bound to its site
    assert CaptchaKeys(b"t" * 32, clock).nonce_of(token, "acme-web") is None  # another key
    nonce, expires, mac = token.split(".")
    for forged in (
        f"abd.{expires}.{mac}",
        f"{nonce}.{int(expires) + 600}.{mac}",
        f"{nonce}.{expires}.{mac[:-1]}A",
        f"{nonce}.{expires}",
        "",
        "...",
    ):
        assert keys.nonce_of(forged, "acme-web") is None, forged
    clock.advance(TTL)
    assert keys.nonce_of(token, "acme-web") == "abc"
    clock.advance(1)
    assert keys.nonce_of(token, "acme-web") is None  # expired


def test_the_piece_place_comes_from_the_key_and_nonce_and_stays_inside(
    clock: FrozenClock,
) -> None:
    keys = CaptchaKeys(SECRET, clock)
    places = [keys.place(f"n{i}") for i in range(300)]
    assert places[0] == CaptchaKeys(SECRET, clock).place("n0")  # any worker derives the same
    assert CaptchaKeys(b"t" * 32, clock).place("n0") != places[0]
    (x0, x1), (y0, y1) = pictures.X_RANGE, pictures.Y_RANGE
    assert all(x0 <= p.x <= x1 and y0 <= p.y <= y1 for p in places)
    assert len({p.x for p in places}) > 50
    assert {p.background for p in places} == {0, 1, 2}


def test_an_answer_within_the_tolerance_passes_and_others_fail(captcha: Captcha) -> None:
    for off, passes in ((0, True), (TOLERANCE, True), (-TOLERANCE, True), (TOLERANCE + 1, False)):
        token = captcha.keys.issue("acme-web")
        assert captcha.check("acme-web", solve(captcha, token, off)) is passes, off
    token = captcha.keys.issue("acme-web")
    assert not captcha.check("other-web", solve(captcha, token))


def test_a_challenge_is_answered_once_right_or_wrong(captcha: Captcha) -> None:
    token = captcha.keys.issue("acme-web")
    assert captcha.check("acme-web", solve(captcha, token))
    assert not captcha.check("acme-web", solve(captcha, token))  # a replay
    wrong = captcha.keys.issue("acme-web")
    assert not captcha.check("acme-web", solve(captcha, wrong, 40))
    assert not captcha.check("acme-web", solve(captcha, wrong))  # no second guess


def test_an_expired_challenge_fails_even_when_right(captcha: Captcha, clock: FrozenClock) -> None:
    token = captcha.keys.issue("acme-web")
    clock.advance(TTL + 1)
    assert not captcha.check("acme-web", solve(captcha, token))


def test_a_challenge_shows_a_hole_where_the_piece_belongs(captcha: Captcha) -> None:
    challenge = asyncio.run(captcha.challenge("acme-web", None))
    place = captcha.keys.place(challenge.challenge.split(".")[0])
    assert challenge.piece_y == place.y
    assert (challenge.width, challenge.height) == (300, 150)
    background, piece = decode(challenge.background), decode(challenge.piece)
    assert background.size == (300, 150) and piece.size == (52, 52)
    assert piece.mode == "RGBA" and piece.getpixel((0, 0))[3] == 0  # outside the shape
    plain = pictures.default_background(place.background)
    inside = (place.x + 20, place.y + 30)
    shaded = background.convert("RGB").getpixel(inside)
    assert sum(shaded) < sum(plain.getpixel(inside)) - 60  # the hole is darker
    assert piece.getpixel((20, 30))[:3] == pytest.approx(plain.getpixel(inside), abs=12)


def test_three_default_backgrounds_differ() -> None:
    drawn = [pictures.default_background(i).tobytes() for i in range(pictures.DEFAULTS)]
    assert len(set(drawn)) == 3


def test_a_site_upload_is_the_background_and_a_deleted_one_falls_back(clock: FrozenClock) -> None:
    blobs = MemoryBlobs()
    upload = Image.new("RGB", (600, 300), (250, 0, 0))
    out = io.BytesIO()
    upload.save(out, "JPEG")
    blobs.put("b" * 43, pictures.prepare_upload(out.getvalue()))
    captcha = Captcha(SECRET, clock, blobs)
    red = decode(asyncio.run(captcha.challenge("acme-web", "b" * 43)).background)
    assert red.getpixel((2, 2))[0] > 230 and red.getpixel((2, 2))[1] < 30
    blobs.discard("b" * 43)
    again = decode(asyncio.run(captcha.challenge("acme-web", "b" * 43)).background)
    assert again.getpixel((2, 2))[0] > 230  # decoded once, kept by its id
    fallback = decode(asyncio.run(captcha.challenge("acme-web", "c" * 43)).background)
    assert fallback.getpixel((2, 2)) != red.getpixel((2, 2))
