"""notebook/formatters.py: google-genai and LiteLLM image objects display inline once registered, and
unregistering puts back what was there."""

from __future__ import annotations

import base64
import io

import pytest
from IPython.core.formatters import DisplayFormatter
from PIL import Image
from vertex_image.notebook.formatters import register_formatters, unregister_formatters

XSS = "<img src=x onerror=alert(1)>"


def encode(size: tuple[int, int]) -> bytes:
    """A smooth test picture as PNG."""
    gradient = Image.linear_gradient("L").resize(size)
    second = gradient.transpose(Image.Transpose.ROTATE_90).resize(size)
    picture = Image.merge("RGB", [gradient, second, Image.new("L", size, 90)])
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()


GenaiImage = type("Image", (), {"__module__": "google.genai.types", "__init__": lambda self, b, m: (
    setattr(self, "image_bytes", b), setattr(self, "mime_type", m))[-1]})
ImageResponse = type("ImageResponse", (), {"__module__": "litellm.types.utils", "__init__": lambda self, d: (
    setattr(self, "data", d), setattr(self, "created", 1))[-1]})


class Item:
    def __init__(self, b64_json: str | None = None, url: str | None = None) -> None:
        self.b64_json, self.url, self.revised_prompt = b64_json, url, None


class FakeShell:
    def __init__(self) -> None:
        self.display_formatter = DisplayFormatter()


def test_genai_and_litellm_objects_display_once_formatters_are_registered() -> None:
    ip = FakeShell()
    genai = GenaiImage(encode((2048, 2048)), "image/png")
    response = ImageResponse([Item(b64_json=base64.b64encode(encode((64, 64))).decode()),
                              Item(url=f'https://x/"{XSS}.png')])
    assert "text/html" not in ip.display_formatter.format(genai)[0]
    register_formatters(ip)
    try:
        data, _ = ip.display_formatter.format(genai)
        assert "data:image/jpeg;base64," in data["text/html"] and 'width="768"' in data["text/html"]
        assert data["text/plain"] == "Image(2048x2048 PNG)"
        data, _ = ip.display_formatter.format(response)
        assert data["text/html"].count("<img") == 2 and "<img src=x" not in data["text/html"]
        assert data["text/plain"] == "ImageResponse(2 images)"
    finally:
        unregister_formatters(ip)
    data, _ = ip.display_formatter.format(genai)
    assert "text/html" not in data and "Image(2048x2048" not in data["text/plain"]


def test_unregister_restores_a_formatter_the_user_had() -> None:
    ip = FakeShell()
    html = ip.display_formatter.formatters["text/html"]
    mine = lambda obj: "<b>mine</b>"  # noqa: E731
    html.for_type_by_name("google.genai.types", "Image", mine)
    register_formatters(ip)
    register_formatters(ip)  # idempotent
    assert html.lookup_by_type("google.genai.types.Image") is not mine
    unregister_formatters(ip)
    assert html.lookup_by_type("google.genai.types.Image") is mine
    assert ip.display_formatter.format(GenaiImage(encode((8, 8)), "image/png"))[0]["text/html"] == "<b>mine</b>"


def test_real_google_genai_image_renders_inline() -> None:
    types = pytest.importorskip("google.genai.types")
    ip = FakeShell()
    register_formatters(ip)
    try:
        data, _ = ip.display_formatter.format(types.Image(image_bytes=encode((32, 16)), mime_type="image/png"))
    finally:
        unregister_formatters(ip)
    assert data["text/plain"] == "Image(32x16 PNG)" and 'width="32" height="16"' in data["text/html"]
