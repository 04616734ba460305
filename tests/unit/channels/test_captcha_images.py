"""Uploaded captcha backgrounds (channels/captcha_images.prepare_upload): JPEG by its bytes,
300 x 150 or a larger 2:1 picture, at most 1 MB; kept re-encoded, without metadata."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from chatflow.channels.captcha_images import MAX_UPLOAD, prepare_upload
from chatflow.channels.errors import ChannelProblem


def picture(width: int, height: int, kind: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, kind, **options)
    return out.getvalue()


def refusal(data: bytes) -> tuple[int, str]:
    with pytest.raises(ChannelProblem) as caught:
        prepare_upload(data)
    return caught.value.status, caught.value.code


def test_a_300_by_150_jpeg_is_kept() -> None:
    kept = Image.open(io.BytesIO(prepare_upload(picture(300, 150))))
    assert (kept.format, kept.size) == ("JPEG", (300, 150))


def test_a_larger_2_to_1_jpeg_is_scaled_down() -> None:
    kept = Image.open(io.BytesIO(prepare_upload(picture(1200, 600))))
    assert kept.size == (300, 150)


def test_metadata_is_not_kept() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    kept = Image.open(io.BytesIO(prepare_upload(picture(300, 150, exif=exif.tobytes()))))
    assert not kept.getexif()


def test_a_png_named_jpg_is_refused_by_its_bytes() -> None:
    assert refusal(picture(300, 150, "PNG")) == (415, "unsupported_type")
    assert refusal(picture(300, 150, "GIF")) == (415, "unsupported_type")


def test_a_broken_jpeg_is_refused() -> None:
    assert refusal(picture(300, 150)[:200]) == (415, "unsupported_type")
    assert refusal(b"\xff\xd8\xff" + b"\x00" * 100) == (415, "unsupported_type")


@pytest.mark.parametrize("size", [(301, 150), (400, 150), (200, 100), (150, 300), (7000, 3500)])
def test_other_sizes_are_refused(size: tuple[int, int]) -> None:
    assert refusal(picture(*size)) == (422, "invalid_image")


def test_more_than_1_mb_is_refused() -> None:
    noisy = Image.frombytes("RGB", (1200, 600), os.urandom(1200 * 600 * 3))
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=100)
    assert len(out.getvalue()) > MAX_UPLOAD
    assert refusal(out.getvalue()) == (413, "too_large")
