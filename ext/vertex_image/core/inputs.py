"""Turn whatever a user hands us as an image into ``ImageInput``s for the wire layer.

Accepted: a ``GeneratedImage``, an ``ImageSet`` (all its images), a PIL image, raw bytes, a local
file path (``str`` or ``Path``), a ``gs://`` URI (Vertex only), or a list of any of these.
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
    if refs is None:
        return []
    if _is_single(refs):
        return [_one(refs, dialect)]
    if isinstance(refs, Iterable) and not isinstance(refs, Mapping):  # a dict's keys are no images
        result: list[ImageInput] = []
        for ref in refs:
            result.extend(to_image_inputs(ref, dialect=dialect))
        return result
    raise InvalidRequest(f"Cannot use {type(refs).__name__} as an image; pass {_ACCEPTED}.")


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
        mime_type = sniff_mime_type(data)
        if not mime_type:
            raise InvalidRequest("These bytes are not a PNG, JPEG, WebP or GIF image.")
        return ImageInput(data=data, mime_type=mime_type)
    if _is_pil_image(ref):
        return _pil_input(ref)
    text = os.fspath(ref)
    if text.startswith(("gs://", "https://")):
        return _uri_input(text, dialect)
    return _file_input(Path(text).expanduser())


def _uri_input(uri: str, dialect: str, mime_type: str = "") -> ImageInput:
    if uri.startswith("gs://") and dialect == "gemini-api":
        raise InvalidRequest(
            f"{uri} is a Cloud Storage URI, which only Vertex AI can read; download it and pass the "
            "file, or use the vertex backend."
        )
    suffix = Path(uri.split("?", 1)[0]).suffix.lower()
    return ImageInput(uri=uri, mime_type=mime_type or _EXTENSION_TYPES.get(suffix, "image/png"))


def _file_input(path: Path) -> ImageInput:
    if not path.is_file():
        raise InvalidRequest(f"No image file at {path}.")
    # A file from the store carries our provenance chunk; send the image as the service made it.
    data = strip_metadata(path.read_bytes())
    mime_type = sniff_mime_type(data) or _EXTENSION_TYPES.get(path.suffix.lower(), "")
    if not mime_type:
        raise InvalidRequest(f"{path} is not a PNG, JPEG, WebP or GIF image.")
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
