"""Shared constants and small helpers of the emulator tests (plain dicts, PIL and httpx only)."""

from __future__ import annotations

import base64
import datetime
import io
from typing import Any

from PIL import Image, ImageChops, ImageStat

VERTEX = "/v1/projects/proj/locations/us-central1/publishers/google/models/"
VERTEX_GLOBAL = "/v1beta1/projects/proj/locations/global/publishers/google/models/"
EXPRESS = "/v1beta1/publishers/google/models/"
GEMINI_API = "/v1beta/models/"
BEARER = {"Authorization": "Bearer test-token"}
KEY = {"x-goog-api-key": "test-key"}

# The tests pin the emulated day: TODAY is the day of MODELS-2026-11.md (Imagen and the Gemini 3 previews shut
# down, gemini-2.5-flash-image retired on Vertex); LEGACY_DAY is before those shutdowns, when Imagen :predict,
# the previews and gemini-2.5-flash-image on Vertex still answered (and the GA Gemini 3 ids did not exist yet).
TODAY = datetime.date(2026, 11, 30)
LEGACY_DAY = datetime.date(2026, 3, 1)
AS_OF = "x-emulator-as-of"
LEGACY = {AS_OF: LEGACY_DAY.isoformat()}  # the per-request header for one legacy request


def image(b64: str) -> Image.Image:
    """A base64 image (either alphabet) as a loaded PIL image."""
    data = base64.urlsafe_b64decode(b64.replace("+", "-").replace("/", "_") + "=" * (-len(b64) % 4))
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def png_b64(size: tuple[int, int] = (256, 256), colour: tuple[int, int, int] = (128, 128, 128)) -> str:
    """A plain PNG, base64."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def mean_rgb(img: Image.Image) -> tuple[float, float, float]:
    """Mean of each channel."""
    r, g, b = ImageStat.Stat(img.convert("RGB")).mean[:3]
    return r, g, b


def pixel_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255 (b resized to a's size)."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB").resize(a.size))
    return sum(ImageStat.Stat(diff).mean) / 3


def imagen(prompt: str, **parameters: Any) -> dict[str, Any]:
    """An Imagen :predict body."""
    return {"instances": [{"prompt": prompt}], "parameters": parameters}


def gemini(*turns: dict[str, Any], **generation_config: Any) -> dict[str, Any]:
    """A generateContent body."""
    body: dict[str, Any] = {"contents": list(turns)}
    if generation_config:
        body["generationConfig"] = generation_config
    return body


def user(text: str, *images: str, mime: str = "image/png") -> dict[str, Any]:
    """A user turn with text and inline images."""
    parts: list[dict[str, Any]] = [{"text": text}]
    parts += [{"inlineData": {"mimeType": mime, "data": data}} for data in images]
    return {"role": "user", "parts": parts}


def final_images(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Non-thought inlineData parts of the first candidate."""
    parts = response["candidates"][0]["content"]["parts"]
    return [p for p in parts if "inlineData" in p and not p.get("thought")]
