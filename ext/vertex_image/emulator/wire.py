"""Reading request JSON the way proto3 JSON parsing does (WIRE.md §1.4).

Every field may arrive in camelCase or snake_case; bytes fields in the standard or URL-safe base64 alphabet,
padded or not. Unknown fields are ignored.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .errors import ApiError, invalid

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
_B64_CHARS = re.compile(r"^[A-Za-z0-9+/_\-]*={0,2}$")
_WORD = re.compile(r"[\w']+", re.UNICODE)


def snake(name: str) -> str:
    """``inlineData`` -> ``inline_data``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Field ``name`` (given in camelCase) of a JSON object, under either spelling."""
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    return obj.get(snake(name), default)


def obj(value: Any, path: str) -> dict[str, Any]:
    """A JSON object or {} when absent; 400 when something else is there."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid value at '{path}', expected an object but got {type(value).__name__}.", field=path)
    return value


def array(value: Any, path: str) -> list[Any]:
    """A JSON array or [] when absent; 400 when something else is there."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"Invalid value at '{path}', expected a list but got {type(value).__name__}.", field=path)
    return value


def integer(value: Any, path: str) -> int | None:
    """An int32 field (proto3 JSON also accepts numeric strings)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid(f"Invalid value at '{path}' (TYPE_INT32), {str(value).lower()}", field=path)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise invalid(f"Invalid value at '{path}' (TYPE_INT32), {value!r}", field=path)


def number(value: Any, path: str) -> float | None:
    """A float field."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise invalid(f"Invalid value at '{path}' (TYPE_FLOAT), {value!r}", field=path)


def boolean(value: Any, path: str) -> bool | None:
    """A bool field."""
    if value is None or isinstance(value, bool):
        return value
    raise invalid(f"Invalid value at '{path}' (TYPE_BOOL), {value!r}", field=path)


def string(value: Any, path: str) -> str | None:
    """A string field."""
    if value is None or isinstance(value, str):
        return value
    raise invalid(f"Invalid value at '{path}' (TYPE_STRING), {value!r}", field=path)


def b64decode(value: Any, path: str) -> bytes:
    """A proto3 ``bytes`` field: standard or URL-safe alphabet, padded or not."""
    if not isinstance(value, str) or not _B64_CHARS.match(value.strip()):
        shown = value if isinstance(value, str) else repr(value)
        raise _bad_bytes(path, shown)
    text = value.strip().rstrip("=").replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad_bytes(path, value) from None


def _bad_bytes(path: str, shown: str) -> ApiError:
    shown = shown if len(shown) <= 40 else shown[:40] + "..."
    return invalid(f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"", field=path)


def words(text: str) -> list[str]:
    """The words of a text, for token estimates and trigger words."""
    return _WORD.findall(text)


def has_word(text: str, word: str) -> bool:
    """Whether ``word`` (or phrase) occurs in ``text`` as a whole word, ignoring case."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None
