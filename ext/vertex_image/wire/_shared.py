"""Helpers both wire families use (Imagen ``:predict`` and Gemini ``:generateContent``): base64, output
options, sizes, labels, and the checks that refuse a value by name.

Private to ``wire/``: ``imagen``, ``gemini`` and ``gemini_response`` import these names; nothing outside
the wire layer does. Pure functions, no I/O.
"""

from __future__ import annotations

import binascii
import numbers
from collections.abc import Mapping
from typing import Any

from ..base.errors import InvalidRequest, ResponseFormatError

try:  # optional (the ``fast`` extra): a SIMD base64 decoder, ~40x the stdlib's speed on image-sized text
    import pybase64
except ImportError:  # pragma: no cover - depends on the environment
    pybase64 = None


def decode_base64(text: Any, where: str) -> bytes:
    """Bytes of a base64 field; both alphabets, padded or not, as proto3 JSON allows (WIRE.md §1.4).

    One pass over the text in the common case (standard alphabet, padded): ``pybase64`` (SIMD) when it is
    installed (the ``fast`` extra), else ``binascii`` on the ASCII bytes (on a ``str`` it is ~2x slower).
    Only a value that fails that is looked at again for the URL-safe alphabet or missing padding.
    """
    if not isinstance(text, str):
        raise ResponseFormatError(
            f"{where}: the image data is {type(text).__name__}, not a base64 string."
        )
    try:
        try:  # pybase64 reads the str as it is; binascii is ~2x faster on bytes than on a str
            return _b64decode(text if _b64decode is _pybase64_decode else text.encode("ascii"))
        except (binascii.Error, ValueError):
            pass
        raw = text.encode("ascii")
        padded = raw + b"=" * (-len(raw) % 4)
        if b"-" in raw or b"_" in raw:
            padded = padded.translate(_URLSAFE_TO_STANDARD)
        return _b64decode(padded)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        raise ResponseFormatError(f"{where}: the image data is not valid base64.") from None


_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _stdlib_b64decode(data: bytes) -> bytes:
    return binascii.a2b_base64(data, strict_mode=True)


def _pybase64_decode(data: bytes | str) -> bytes:
    return pybase64.b64decode(data, validate=True)


_b64decode = _stdlib_b64decode if pybase64 is None else _pybase64_decode


def is_base64_of(text: Any, data: bytes) -> bool:
    """Whether ``text`` is exactly the standard, padded base64 of ``data``: the length first (free), then the
    encoding compared piece by piece (``pybase64`` when installed), so that no image-sized buffer is made."""
    if not isinstance(text, str) or len(text) != 4 * ((len(data) + 2) // 3):
        return False
    encode = _stdlib_b64encode if pybase64 is None else pybase64.b64encode
    view = memoryview(data)
    for start in range(0, len(data), _PIECE):
        piece = view[start : start + _PIECE]
        try:
            if encode(piece) != text[start // 3 * 4 : (start + len(piece) + 2) // 3 * 4].encode("ascii"):
                return False
        except UnicodeEncodeError:
            return False
    return True


_PIECE = 3 * 16384  # bytes of data compared at a time: 64 KiB of text, well under the allocator's mmap threshold


def _stdlib_b64encode(data: bytes | memoryview) -> bytes:
    return binascii.b2a_base64(data, newline=False)


def output_options(mime_type: str | None, compression_quality: int | None) -> dict[str, Any] | None:
    """``{"mimeType", "compressionQuality"}`` (Imagen ``outputOptions``, Gemini ``imageOutputOptions``)."""
    options: dict[str, Any] = {}
    mime = output_mime_value(mime_type)
    put(options, "mimeType", mime)
    if compression_quality is not None:
        quality = compression_quality
        if isinstance(quality, bool) or not isinstance(quality, numbers.Integral) or not 0 <= quality <= 100:
            raise InvalidRequest(
                f"compression_quality must be a whole number between 0 and 100, not {short_repr(quality)}."
            )
        if mime != "image/jpeg":
            # Without an explicit format the output may be PNG (the Imagen default), which has no quality.
            raise InvalidRequest(
                "compression_quality (--quality) applies to JPEG output only: also pass "
                "output_mime_type='image/jpeg' (--format jpeg)."
            )
        options["compressionQuality"] = int(quality)
    return options or None


def output_mime_value(mime_type: str | None) -> str | None:
    """``image/png`` or ``image/jpeg`` (also from "png", "jpeg", "jpg")."""
    if mime_type is None:
        return None
    text = text_option(mime_type, "output_mime_type").strip().lower()
    value = {
        "png": "image/png",
        "jpeg": "image/jpeg",
        "jpg": "image/jpeg",
        "image/jpg": "image/jpeg",
    }.get(text, text)
    if value not in ("image/png", "image/jpeg"):
        raise InvalidRequest(
            f"output_mime_type {mime_type!r} is not supported: use 'image/png' or 'image/jpeg'."
        )
    return value


def image_size_value(image_size: str | int | None) -> str | None:
    """``"1K"``, ``"2K"``, ``"4K"`` with the upper-case K the service wants; the 512 tier is ``"512"`` on the
    wire (also from ``"0.5K"``/``"512px"``, as ``models.normalize_image_size`` accepts them)."""
    if image_size is None:
        return None
    text = str(image_size).strip().upper().replace(" ", "")
    return "512" if text in ("512PX", "0.5K") else text


def label_map(labels: Mapping[str, str] | None) -> dict[str, str] | None:
    """Billing labels as a plain str -> str dict; None or empty means none.

    Keys and values must be text already: ``str()`` of anything else would send a label nobody chose.
    """
    if labels is None:
        return None
    if not isinstance(labels, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in labels.items()
    ):
        raise InvalidRequest(
            f"labels must be a dict of text to text, e.g. {{'team': 'design'}}, not {short_repr(labels)}."
        )
    return dict(labels) or None


def text_option(value: Any, option: str) -> Any:
    """``value`` unchanged when it is text or None; anything else is refused by name."""
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"{option} must be text, not {short_repr(value)}.")
    return value


def flag_option(value: Any, option: str) -> bool | None:
    """``value`` when it is True, False or None: a string such as 'no' is refused (it would read as true)."""
    if value is not None and not isinstance(value, bool):
        raise InvalidRequest(f"{option} must be True or False, not {short_repr(value)}.")
    return value


def prompt_text(prompt: Any, option: str = "prompt") -> str:
    """The prompt, which must be text (None or a number is a mistake, not an empty prompt)."""
    if not isinstance(prompt, str):
        raise InvalidRequest(f"The {option} must be text (a str), not {short_repr(prompt)}.")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(
            f"The {option} holds a lone surrogate {prompt[exc.start]!r} at position {exc.start} (broken text, "
            "not a character); it cannot be sent as UTF-8. Remove it or re-decode the text it came from."
        ) from None
    return prompt


def short_repr(value: Any, limit: int = 60) -> str:
    """A one-line, bounded description of a refused value for an error message."""
    text = " ".join(repr(value).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{text} ({type(value).__name__})"


def put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``target[key]`` unless ``value`` is None: a body carries only what the caller set."""
    if value is not None:
        target[key] = value
