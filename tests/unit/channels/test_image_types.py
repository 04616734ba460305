"""Images are typed by their bytes: the four accepted kinds pass, SVG, HTML and polyglots do not."""

from __future__ import annotations

import pytest

from chatflow.channels.image_types import GIF, JPEG, PNG, WEBP, ImageType, check_image

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"IEND\xaeB`\x82"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 32 + b"\xff\xd9"
GIF_BYTES = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;"
WEBP_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00" + b"\x00" * 10


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG_BYTES, PNG),
        (JPEG_BYTES, JPEG),
        (GIF_BYTES, GIF),
        (b"GIF87a" + GIF_BYTES[6:], GIF),
        (WEBP_BYTES, WEBP),
    ],
)
def test_each_kind_is_known_by_its_magic_bytes(data: bytes, kind: ImageType) -> None:
    assert check_image(data) == kind


def test_camera_metadata_is_not_markup() -> None:
    xmp = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    xmp += b"<rdf:RDF><rdf:Description/></rdf:RDF></x:xmpmeta>"
    assert check_image(JPEG_BYTES[:20] + xmp + JPEG_BYTES[20:]) == JPEG


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "not a JPEG"),
        (b"", "not a JPEG"),
        (b"BM" + b"\x00" * 60, "not a JPEG"),
        (GIF_BYTES + b"<script>alert(1)</script>", "GIF file carries HTML"),
        (GIF_BYTES[:10] + b"/*<html><body onload=alert(1)>*/" + GIF_BYTES[10:], "markup"),
        (PNG_BYTES + b'<svg onload="alert(1)">', "PNG file carries"),
        (JPEG_BYTES + b"<IFRAME src=//evil>", "JPG file carries"),
    ],
    ids=["svg", "svg-xml", "html", "empty", "bmp", "gif-script", "gif-html", "png-svg", "jpeg"],
)
def test_svg_html_and_polyglots_are_refused(data: bytes, why: str) -> None:
    reason = check_image(data)
    assert isinstance(reason, str) and why in reason
