"""``json.loads`` of an answer body, with its image strings cut out of the scan.

An image answer is a few hundred bytes of JSON around megabytes of base64 (``inlineData.data``, Imagen's
``bytesBase64Encoded``). ``json.loads`` checks every character of those strings for escapes; base64 has
none, so ``loads`` finds them first (a byte search), hands ``json`` the small rest with a marker in
their place, and puts each one back as a ``str`` made straight from the body bytes (one copy, no scan).
The result is exactly ``json.loads(content)``; a body it is not sure about (an escape inside the string,
a key spelled differently, anything unexpected) simply goes through ``json.loads`` whole.

Pure, no I/O.
"""

from __future__ import annotations

import json
from typing import Any

LIFT_MIN_BYTES = 32 * 1024  # strings shorter than this stay in the JSON scan
LIFTED_KEYS = ("data", "bytesBase64Encoded")
_KEY_PATTERNS = tuple(f'"{key}"'.encode("ascii") for key in LIFTED_KEYS)
_MARK = "\x00vertex-image-lifted:"
_MARK_JSON = b'"\\u0000vertex-image-lifted:%d"'
_SPACE = b" \t\r\n"


def loads(content: bytes) -> Any:
    """``json.loads(content)``, faster for bodies that carry big base64 strings.

    Raises:
        ValueError: the body is not JSON (as ``json.loads`` does).
    """
    spans = lifted_spans(content) if len(content) >= LIFT_MIN_BYTES else []
    if not spans:
        return json.loads(content)
    view = memoryview(content)
    pieces: list[Any] = []
    strings: list[str] = []
    position = 0
    for start, end in spans:
        pieces += [view[position : start - 1], _MARK_JSON % len(strings)]
        try:
            strings.append(str(view[start:end], "ascii"))
        except UnicodeDecodeError:  # not base64 after all: let json read (or refuse) it
            return json.loads(content)
        position = end + 1
    pieces.append(view[position:])
    rest = b"".join(pieces)
    del pieces, view
    found: list[int] = []

    def put_back(obj: dict[str, Any]) -> dict[str, Any]:
        for key in LIFTED_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value.startswith(_MARK):
                number = int(value[len(_MARK) :])
                obj[key] = strings[number]
                found.append(number)
        return obj

    value = json.loads(rest, object_hook=put_back)
    if sorted(found) != list(range(len(strings))):  # a marker where none was put, or one lost: be plain
        return json.loads(content)
    return value


def lifted_spans(content: bytes) -> list[tuple[int, int]]:
    """(start, end) of the big string values of ``LIFTED_KEYS`` (inside the quotes), in body order.

    A span qualifies when the key stands where a key must (after ``{`` or ``,``), its value is a string of
    at least ``LIFT_MIN_BYTES`` bytes, and it holds no backslash (no JSON escape to undo).
    """
    spans: list[tuple[int, int]] = []
    for pattern in _KEY_PATTERNS:
        position = 0
        while (found := content.find(pattern, position)) != -1:
            position = found + len(pattern)
            if not _after_structure(content, found):
                continue
            colon = _skip_space(content, position)
            if content[colon : colon + 1] != b":":
                continue
            quote = _skip_space(content, colon + 1)
            if content[quote : quote + 1] != b'"':
                continue
            start = quote + 1
            end = content.find(b'"', start)
            if end == -1:
                break
            position = end + 1
            if end - start >= LIFT_MIN_BYTES and content.find(b"\\", start, end) == -1:
                spans.append((start, end))
    spans.sort()
    return spans


def _after_structure(content: bytes, at: int) -> bool:
    before = at - 1
    while before >= 0 and content[before] in _SPACE:
        before -= 1
    return before >= 0 and content[before] in b"{,"


def _skip_space(content: bytes, at: int) -> int:
    while at < len(content) and content[at] in _SPACE:
        at += 1
    return at


__all__ = ["LIFTED_KEYS", "LIFT_MIN_BYTES", "lifted_spans", "loads"]
