"""base/imageinfo.py: format and pixel size read from an image's header, without PIL."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from vertex_image.base.imageinfo import image_size, sniff_mime_type


def encoded(fmt: str, size: tuple[int, int], **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "options", "mime_type"),
    [
        ("PNG", {}, "image/png"),
        ("JPEG", {}, "image/jpeg"),
        ("JPEG", {"progressive": True}, "image/jpeg"),
        ("WEBP", {}, "image/webp"),
        ("WEBP", {"lossless": True}, "image/webp"),
        ("GIF", {}, "image/gif"),
    ],
)
def test_the_header_gives_the_type_and_size_pil_sees(fmt: str, options: dict[str, object], mime_type: str) -> None:
    data = encoded(fmt, (123, 45), **options)
    assert sniff_mime_type(data) == mime_type
    assert image_size(data) == Image.open(io.BytesIO(data)).size == (123, 45)


def test_unknown_or_cut_bytes_give_nothing() -> None:
    assert sniff_mime_type(b"%PDF-1.7") == "" and image_size(b"%PDF-1.7") == (0, 0)
    assert image_size(encoded("PNG", (8, 8))[:20]) == (0, 0)
    assert image_size(encoded("JPEG", (8, 8))[:30]) == (0, 0)
