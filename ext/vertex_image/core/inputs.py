"""Turn whatever a user hands us as an image into ``ImageInput``s for the wire layer.

Accepted: a ``GeneratedImage``, an ``ImageSet`` (all its images), a PIL image, raw bytes, a local
file path (``str`` or ``Path``), a ``gs://`` URI (Vertex only), or a list of any of these.

An input is judged by its bytes, never by its file name (a text file named ``.png`` is refused as the same
bytes given directly are), and an inline image larger than the service takes is refused here, before a
request is paid for (WIRE.md section 7; the limits are copied below).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..base.errors import InvalidRequest
from ..base.imageinfo import sniff_mime_type
from ..base.values import ImageInput
from ..results.images import GeneratedImage
from ..results.store import strip_metadata

_ACCEPTED = "a GeneratedImage, an ImageSet, a PIL image, bytes, a file path or a gs:// URI"
MB = 1024 * 1024
# Inline limits per dialect. The Gemini API takes inline data up to 100 MB per request since January 2026
# (https://blog.google/innovation-and-ai/technology/developers-tools/gemini-api-new-file-limits; it was 20 MB,
# which WIRE.md section 7 still gives); Vertex takes 7 MB per inline image on the Gemini image models and 10 MB
# per Imagen input, and its whole-request limit is unconfirmed, so 20 MB is kept there. Sent as base64, an
# image costs 4/3 of its size in the request.
REQUEST_LIMIT_BYTES = {"gemini-api": 100 * MB, "vertex": 20 * MB}
IMAGE_LIMIT_BYTES = {
    ("vertex", "gemini"): 7 * MB,
    ("vertex", "imagen"): 10 * MB,
    ("gemini-api", "gemini"): REQUEST_LIMIT_BYTES["gemini-api"] * 3 // 4,
    ("gemini-api", "imagen"): 10 * MB,
}
_WHERE = {"vertex": "Vertex AI", "gemini-api": "the Gemini API"}
_SHRINK = "downscale or re-save it as JPEG (e.g. PIL: image.thumbnail((2048, 2048)))"
_EXTENSION_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".gif": "image/gif",
}


def to_image_inputs(refs: Any, *, dialect: str = "vertex") -> list[ImageInput]:
    """Every image in ``refs`` as an ``ImageInput``, in order.

    Raises:
        InvalidRequest: a reference that is not an image, a missing file, or ``gs://`` on the
            Gemini API (which takes only inline images and Files API URIs).
    """
    inputs = _collect(refs, dialect)
    _check_each(inputs, _largest(dialect), dialect, "any model")
    return inputs


def check_input_sizes(inputs: Iterable[ImageInput | None], *, family: str, dialect: str) -> None:
    """Refuse, before anything is sent, an inline image over the model family's limit, or images whose base64
    would not fit one request.

    Raises:
        InvalidRequest: one line naming the image, its size, the limit and what to do.
    """
    given = [image for image in inputs if image is not None]
    limit = IMAGE_LIMIT_BYTES.get((dialect, family), IMAGE_LIMIT_BYTES[("vertex", "gemini")])
    _check_each(given, limit, dialect, f"{family.capitalize()} models")
    total = sum(_base64_size(len(image.data)) for image in given if image.data)
    request_limit = REQUEST_LIMIT_BYTES.get(dialect, REQUEST_LIMIT_BYTES["vertex"])
    if total > request_limit:
        raise InvalidRequest(
            f"The {len(given)} input images take {_mb(total)} in the request (base64); "
            f"{_WHERE.get(dialect, dialect)} takes under {_mb(request_limit)} per request: "
            f"send fewer images, or {_SHRINK}."
        )


def _collect(refs: Any, dialect: str) -> list[ImageInput]:
    if refs is None:
        return []
    if _is_single(refs):
        return [_one(refs, dialect)]
    if isinstance(refs, Iterable) and not isinstance(refs, Mapping):  # a dict's keys are no images
        result: list[ImageInput] = []
        for ref in refs:
            result.extend(_collect(ref, dialect))
        return result
    raise InvalidRequest(f"Cannot use {type(refs).__name__} as an image; pass {_ACCEPTED}.")


def _check_each(inputs: list[ImageInput], limit: int, dialect: str, what: str) -> None:
    for number, image in enumerate(inputs, 1):
        if image.data and len(image.data) > limit:
            which = f"Input image {number}" if len(inputs) > 1 else "The input image"
            via = " (or pass a gs:// URI)" if dialect == "vertex" else " (or upload it with the Files API)"
            raise InvalidRequest(
                f"{which} is {_mb(len(image.data))}; {_WHERE.get(dialect, dialect)} takes at most {_mb(limit)} "
                f"per inline image for {what}: {_SHRINK}{via}."
            )


def _largest(dialect: str) -> int:
    """The largest inline image ``dialect`` takes for any model family."""
    return max(limit for (speaks, _), limit in IMAGE_LIMIT_BYTES.items() if speaks == dialect)


def _base64_size(size: int) -> int:
    return (size + 2) // 3 * 4


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def image_type(data: bytes) -> str:
    """The mime type the bytes' signature shows (PNG, JPEG, WebP, GIF, HEIC/HEIF), or ``""``."""
    mime_type = sniff_mime_type(data)
    if mime_type:
        return mime_type
    if data[4:8] == b"ftyp":  # an ISO media file: the brand says which
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"):
            return "image/heic"
        if brand in (b"mif1", b"msf1", b"heif"):
            return "image/heif"
    return ""


def _is_single(ref: Any) -> bool:
    return isinstance(ref, (GeneratedImage, ImageInput, bytes, bytearray, memoryview, str, os.PathLike)) or (
        _is_pil_image(ref)
    )


def _is_pil_image(ref: Any) -> bool:
    return type(ref).__module__.startswith("PIL.") and hasattr(ref, "save") and hasattr(ref, "mode")


def _one(ref: Any, dialect: str) -> ImageInput:
    if isinstance(ref, ImageInput):
        return ref
    if isinstance(ref, GeneratedImage):
        if not ref.data and ref.gcs_uri:
            return _uri_input(ref.gcs_uri, dialect, ref.mime_type)
        return ImageInput(data=ref.data, mime_type=ref.mime_type)
    if isinstance(ref, (bytes, bytearray, memoryview)):
        data = bytes(ref)
        mime_type = image_type(data)
        if not mime_type:
            raise InvalidRequest("These bytes are not a PNG, JPEG, WebP, GIF or HEIC image.")
        return ImageInput(data=data, mime_type=mime_type)
    if _is_pil_image(ref):
        return _pil_input(ref)
    text = os.fspath(ref)
    if text.startswith(("gs://", "https://")):
        return _uri_input(text, dialect)
    return _file_input(Path(text).expanduser(), dialect)


def _uri_input(uri: str, dialect: str, mime_type: str = "") -> ImageInput:
    if uri.startswith("gs://") and dialect == "gemini-api":
        raise InvalidRequest(
            f"{uri} is a Cloud Storage URI, which only Vertex AI can read; download it and pass the "
            "file, or use the vertex backend."
        )
    suffix = Path(uri.split("?", 1)[0]).suffix.lower()
    return ImageInput(uri=uri, mime_type=mime_type or _EXTENSION_TYPES.get(suffix, "image/png"))


def _file_input(path: Path, dialect: str) -> ImageInput:
    if not path.is_file():
        raise InvalidRequest(f"No image file at {path}.")
    largest = _largest(dialect)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidRequest(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if size > largest + MB:  # refused before reading: a store file is a little larger than the image it holds
        raise InvalidRequest(
            f"{path} is {_mb(size)}; {_WHERE.get(dialect, dialect)} takes at most {_mb(largest)} per inline "
            f"image: {_SHRINK}."
        )
    # A file from the store carries our provenance chunk; send the image as the service made it.
    try:
        data = strip_metadata(path.read_bytes())
    except OSError as exc:
        raise InvalidRequest(f"Cannot read {path}: {exc.strerror or exc}.") from None
    mime_type = image_type(data)  # the bytes decide, whatever the name says
    if not mime_type:
        named = f" (its name says {path.suffix})" if path.suffix.lower() in _EXTENSION_TYPES else ""
        raise InvalidRequest(f"{path} is not a PNG, JPEG, WebP, GIF or HEIC image{named}: its bytes say otherwise.")
    return ImageInput(data=data, mime_type=mime_type)


def _pil_input(image: Any) -> ImageInput:
    """A PIL image as PNG; modes PNG cannot store (CMYK, YCbCr, float...) are sent as RGB, or RGBA with alpha."""
    try:
        return ImageInput(data=_png_bytes(image), mime_type="image/png")
    except (OSError, ValueError, KeyError):
        pass
    mode = str(image.mode)
    alpha = mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in getattr(image, "info", {})
    for target in ("RGBA", "RGB") if alpha else ("RGB",):
        try:
            return ImageInput(data=_png_bytes(image.convert(target)), mime_type="image/png")
        except (OSError, ValueError, KeyError):
            continue
    raise InvalidRequest(
        f"This PIL image (mode {mode}) cannot be sent: convert it first, e.g. image.convert('RGB')."
    )


def _png_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
