"""What an uploaded image is, decided by its bytes alone: JPEG, PNG, GIF or WebP, nothing else.

The file name and the declared Content-Type are never trusted. SVG is refused (it is a document
that can run script), and so is any file that carries markup a browser or an old viewer might
render as HTML (an image/HTML polyglot), even when it starts like a real image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageType:
    content_type: str
    extension: str


JPEG = ImageType("image/jpeg", "jpg")
PNG = ImageType("image/png", "png")
GIF = ImageType("image/gif", "gif")
WEBP = ImageType("image/webp", "webp")
TYPES = (JPEG, PNG, GIF, WEBP)

BY_CONTENT_TYPE = {t.content_type: t for t in TYPES}

_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|script|svg|iframe|frame|object|embed|meta|link|style|"
    rb"form|img|a|base|\?xml-stylesheet)[\s/>]",
    re.IGNORECASE,
)
"""Tags that make a browser treat bytes as a document. Camera XMP metadata (``<x:xmpmeta``,
``<rdf:RDF``) matches none of them."""


def sniff(data: bytes) -> ImageType | None:
    """The image type the magic bytes announce, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def check_image(data: bytes) -> ImageType | str:
    """The type of an acceptable image, else why it is refused (for the problem's ``errors``)."""
    kind = sniff(data)
    if kind is None:
        head = data[:512].lstrip().lower()
        if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
            return "SVG is not accepted; send JPEG, PNG, GIF or WebP"
        return "not a JPEG, PNG, GIF or WebP image"
    if _MARKUP.search(data):
        return f"the {kind.extension.upper()} file carries HTML or SVG markup"
    return kind
