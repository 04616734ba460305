"""The pictures of the visitor captcha (seed 000's 驗證碼): a site's uploaded background, checked
and normalised here, or one of three default backgrounds drawn at runtime; and the slider
puzzle cut out of it (a background with a piece-shaped hole, and the piece).

Pure image work (Pillow), no I/O: :mod:`chatflow.channels.captcha` decides where the piece goes
and which background is used; the admin API stores what :func:`prepare_upload` returns.
"""

from __future__ import annotations

import base64
import io
import random
from functools import cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from chatflow.channels.errors import ChannelProblem

WIDTH, HEIGHT = 300, 150
"""The captcha's size (2:1, seed 000: 300 x 150)."""
PIECE = 52
"""The piece's bounding square: a 42 px body with a knob on top and one on the right."""
X_RANGE = (70, WIDTH - PIECE - 6)
"""Where the piece's left edge may be: never near the slider's start."""
Y_RANGE = (6, HEIGHT - PIECE - 6)
MAX_UPLOAD = 1024 * 1024
"""Bytes an uploaded background may have."""
MAX_SIDE = 6000
"""Pixels an uploaded background's width may have (a decompression bomb is refused unread)."""
DEFAULTS = 3
"""Default backgrounds, used at random when a site has uploaded none."""
JPEG_MAGIC = b"\xff\xd8\xff"


def prepare_upload(data: bytes) -> bytes:
    """The background to keep for an upload: a JPEG (by its bytes, never its name) of exactly
    300 x 150, or a larger 2:1 one scaled down; re-encoded, so no metadata (EXIF, GPS) stays.
    Anything else is a :class:`ChannelProblem` (413, 415 or 422)."""
    if len(data) > MAX_UPLOAD:
        raise ChannelProblem(413, "too_large", f"the image may be at most {MAX_UPLOAD} bytes")
    if not data.startswith(JPEG_MAGIC):
        raise ChannelProblem(415, "unsupported_type", "the image must be a JPEG (JPG/JPEG)")
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG"])
        width, height = image.size
        if width > MAX_SIDE or width != 2 * height or width < WIDTH:
            raise ChannelProblem(
                422,
                "invalid_image",
                f"the image must be {WIDTH} x {HEIGHT} pixels, or larger at 2:1 "
                f"(this one is {width} x {height})",
            )
        picture = image.convert("RGB")
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise ChannelProblem(
            415, "unsupported_type", "the image must be a JPEG (JPG/JPEG)"
        ) from None
    if picture.size != (WIDTH, HEIGHT):
        picture = picture.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return _encode(picture, "JPEG")


def open_background(data: bytes) -> Image.Image:
    """A stored background (what :func:`prepare_upload` returned), ready to cut."""
    picture = Image.open(io.BytesIO(data), formats=["JPEG"]).convert("RGB")
    if picture.size != (WIDTH, HEIGHT):
        picture = picture.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return picture


@cache
def default_background(index: int) -> Image.Image:
    """Default background ``index`` (0..2): a seeded gradient with soft shapes, drawn once."""
    rng = random.Random(f"chatflow-captcha-{index}")
    top = tuple(rng.randrange(40, 200) for _ in range(3))
    bottom = tuple(rng.randrange(40, 200) for _ in range(3))
    picture = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(picture)
    for x in range(WIDTH):
        mix = x / (WIDTH - 1)
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(x, 0), (x, HEIGHT)], fill=colour)
    shapes = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    pen = ImageDraw.Draw(shapes)
    for _ in range(14):
        colour = (*(rng.randrange(0, 256) for _ in range(3)), rng.randrange(70, 170))
        cx, cy, r = rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(12, 48)
        if rng.random() < 0.5:
            pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        else:
            corners = [(cx + rng.randint(-r, r), cy + rng.randint(-r, r)) for _ in range(3)]
            pen.polygon(corners, fill=colour)
    picture.paste(shapes, (0, 0), shapes)
    return picture


@cache
def _piece_mask() -> Image.Image:
    mask = Image.new("L", (PIECE, PIECE), 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle((0, 10, 41, PIECE - 1), fill=255)
    draw.ellipse((13, 2, 29, 18), fill=255)  # the knob on top
    draw.ellipse((34, 23, 50, 39), fill=255)  # the knob on the right
    return mask


@cache
def _outline() -> Image.Image:
    mask = _piece_mask()
    return ImageChops.subtract(mask, mask.filter(ImageFilter.MinFilter(5)))


def cut(background: Image.Image, x: int, y: int) -> tuple[str, str]:
    """``(background, piece)`` as data URLs: the background (JPEG) with a shaded hole at
    ``(x, y)``, and the piece (PNG with transparency) cut from there, outlined."""
    mask, outline = _piece_mask(), _outline()
    piece = background.crop((x, y, x + PIECE, y + PIECE)).convert("RGBA")
    piece.putalpha(mask)
    white = Image.new("RGBA", (PIECE, PIECE), (255, 255, 255, 255))
    piece.paste(white, (0, 0), outline)
    holed = background.copy()
    shade = Image.new("RGB", (PIECE, PIECE), (0, 0, 0))
    holed.paste(shade, (x, y), mask.point(lambda v: v * 150 // 255))
    holed.paste(Image.new("RGB", (PIECE, PIECE), (255, 255, 255)), (x, y), outline)
    return _data_url(holed, "JPEG"), _data_url(piece, "PNG")


def _encode(picture: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "JPEG":
        picture.save(out, "JPEG", quality=85)
    else:
        picture.save(out, kind)
    return out.getvalue()


def _data_url(picture: Image.Image, kind: str) -> str:
    media = "image/jpeg" if kind == "JPEG" else "image/png"
    return f"data:{media};base64,{base64.b64encode(_encode(picture, kind)).decode()}"
