"""Gemini ``:streamGenerateContent?alt=sse`` bodies: SSE events parsed, then joined into one answer.

Pure, no I/O (WIRE.md §5.7). ``SSEParser`` turns bytes into JSON objects as they arrive;
``merge_stream_chunks`` joins the events into one ``GenerateContentResponse`` that
``gemini_response.parse_generate_content_response`` reads like a non-streamed answer.
"""

from __future__ import annotations

import codecs
import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..base.errors import ResponseFormatError
from ..base.text import clip
from .gemini_response import check_response_shape, get_field


class SSEParser:
    """Incremental parser of a ``:streamGenerateContent?alt=sse`` body (WIRE.md §5.7).

    ``feed`` returns each JSON object as soon as its event is complete. Lines may end in CR, LF
    or CRLF and have no length limit. A JSON object sent without ``data:`` framing (a mid-stream
    error) is buffered until its brackets balance and returned as a dict; the caller raises.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._line: list[str] = []
        self._after_cr = False
        self._data: list[str] = []
        self._raw = _RawJson()

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Parse more bytes; return the objects whose events ended in them."""
        return self._text(self._decoder.decode(chunk))

    def close(self) -> list[dict[str, Any]]:
        """The end of the stream: flush a last event that had no blank line after it."""
        events = self._text(self._decoder.decode(b"", final=True))
        if self._line:
            events.extend(self._handle_line("".join(self._line)))
            self._line = []
        events.extend(self._dispatch())
        if self._raw.started:
            raise ResponseFormatError(
                f"The stream ended in the middle of a JSON object: {clip(self._raw.text(), 120)!r}"
            )
        return events

    def _text(self, text: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        start = 0
        if self._after_cr and text.startswith("\n"):
            start = 1  # the LF of a CRLF split across chunks
        self._after_cr = False
        for match in _LINE_END.finditer(text, start):
            self._line.append(text[start : match.start()])
            events.extend(self._handle_line("".join(self._line)))
            self._line = []
            start = match.end()
        rest = text[start:]
        if rest.endswith("\r"):
            # A CR at the end of a chunk ends a line; an LF opening the next chunk belongs to it.
            self._line.append(rest[:-1])
            events.extend(self._handle_line("".join(self._line)))
            self._line = []
            self._after_cr = True
        elif rest:
            self._line.append(rest)
        return events

    def _handle_line(self, line: str) -> list[dict[str, Any]]:
        if self._raw.started:
            value = self._raw.add(line)
            return _objects(value) if value is not None else []
        if line.startswith("data:"):
            payload = line[5:]
            self._data.append(payload[1:] if payload.startswith(" ") else payload)
            return []
        if not line.strip():
            return self._dispatch()
        if line.startswith(":") or _SSE_FIELD.match(line):
            return []  # an SSE comment or an event/id/retry field: nothing for us
        events = self._dispatch()  # an unframed object also ends a pending data event
        value = self._raw.add(line)
        return events + (_objects(value) if value is not None else [])

    def _dispatch(self) -> list[dict[str, Any]]:
        if not self._data:
            return []
        text = "\n".join(self._data)
        self._data = []
        return _objects(_loads(text))


_LINE_END = re.compile(r"\r\n|\r(?!$)|\n")
_SSE_FIELD = re.compile(r"(event|id|retry)(:|$)")


class _RawJson:
    """JSON lines without ``data:`` framing, gathered until their brackets balance.

    The scan is incremental and ignores brackets inside strings (with escapes), so it costs one
    pass over the text however the lines arrive.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lines: list[str] = []
        self._depth = 0
        self._in_string = False
        self.started = False

    def add(self, line: str) -> Any:
        """Add a line; return the parsed value when it completes one, else None."""
        if not self.started and not line.lstrip().startswith(("{", "[")):
            raise ResponseFormatError(
                f"The stream holds a line that is neither SSE nor JSON: {clip(line, 120)!r}"
            )
        self._lines.append(line)
        escaped_at = -1
        for match in _JSON_SPECIAL.finditer(line):
            at, char = match.start(), match.group()
            if at == escaped_at:
                continue
            if self._in_string:
                if char == "\\":
                    escaped_at = at + 1
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char in "{[":
                self._depth += 1
                self.started = True
            elif char in "}]":
                self._depth -= 1
        if self.started and self._depth <= 0:
            text = self.text()
            self._reset()
            return _loads(text)
        return None

    def text(self) -> str:
        """The buffered lines."""
        return "\n".join(self._lines)


_JSON_SPECIAL = re.compile(r'[{}\[\]"\\]')


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ResponseFormatError(
            f"The stream sent an event that is not JSON ({error}): {clip(text, 120)!r}"
        ) from None


def _objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of one event; a one-element array (a wrapped error) is unwrapped."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise ResponseFormatError(
            f"The stream sent an event that is not a JSON object: {clip(str(value), 120)!r}"
        )
    return items


def merge_stream_chunks(chunks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One ``GenerateContentResponse`` from the events of a stream.

    Parts are appended in order per candidate and never joined, so every ``thoughtSignature``
    stays on the part it came with; only empty parts that carry neither text, signature nor
    ``thought`` are dropped. For every other field the last event that has it wins.
    """
    merged: dict[str, Any] = {}
    candidates: dict[int, dict[str, Any]] = {}
    for number, chunk in enumerate(chunks):
        if not chunk:
            continue
        check_response_shape(chunk)
        for key, value in chunk.items():
            if key != "candidates":
                merged[key] = copy.deepcopy(value)
        for position, candidate in enumerate(chunk.get("candidates") or []):
            if not isinstance(candidate, Mapping):
                raise ResponseFormatError(
                    f"Stream event {number}, candidate {position} is not a JSON object."
                )
            index = get_field(candidate, "index")
            _merge_candidate(candidates, index if isinstance(index, int) else position, candidate)
    if candidates:
        merged["candidates"] = [candidates[index] for index in sorted(candidates)]
    return merged


def _merge_candidate(
    candidates: dict[int, dict[str, Any]], index: int, candidate: Mapping[str, Any]
) -> None:
    target = candidates.setdefault(index, {})
    for key, value in candidate.items():
        if key == "content":
            _merge_content(target, value)
        elif key in ("groundingMetadata", "grounding_metadata") and not value and target.get(key):
            continue  # an empty groundingMetadata does not erase an earlier one
        else:
            target[key] = copy.deepcopy(value)


def _merge_content(target: dict[str, Any], content: Any) -> None:
    if content is None:
        return
    if not isinstance(content, Mapping):
        raise ResponseFormatError("A stream event has a content that is not a JSON object.")
    merged = target.setdefault("content", {})
    for key, value in content.items():
        if key != "parts":
            merged.setdefault(key, value)
    parts = content.get("parts")
    if parts is None:
        return
    if not isinstance(parts, list):
        raise ResponseFormatError("A stream event has parts that are not a list.")
    kept = [copy.deepcopy(part) for part in parts if _worth_keeping(part)]
    if kept or "parts" in merged:
        merged.setdefault("parts", []).extend(kept)


def _worth_keeping(part: Any) -> bool:
    if not isinstance(part, Mapping):
        raise ResponseFormatError("A stream event has a part that is not a JSON object.")
    return bool(part) and part != {"text": ""}

