"""Gemini ``generateContent`` on the wire: bodies, parsed answers, SSE streams joined into one answer.

Pure functions, no I/O (WIRE.md §5). The model's turn is kept verbatim in
``ParsedResponse.model_content`` (parts, order, ``thought`` flags, ``thoughtSignature``s, image
strings) because the service wants exactly that back in the next turn (§5.4). Everything we send is
canonical camelCase; everything we read is accepted in camelCase or snake_case, as proto3 JSON
allows (§1.4).
"""

from __future__ import annotations

import codecs
import copy
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest, ResponseFormatError
from .imageinfo import sniff_mime_type
from .imagen import decode_base64, image_size_value, label_map, output_options
from .wiredata import Block, ImageInput, ParsedResponse, ReceivedImage

DIALECTS = ("vertex", "gemini-api")

# finishReason values that end a candidate normally: no block unless the image is missing.
_NORMAL_FINISH = frozenset({"", "STOP", "FINISH_REASON_UNSPECIFIED"})
# finishReason values that say output was withheld even when some image did come.
_WITHHOLDING_FINISH = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
    }
)
# Our explanation when the service sent a finishReason without a finishMessage.
FINISH_MESSAGES: dict[str, str] = {
    "IMAGE_SAFETY": "The generated image was withheld by the safety filter. Rephrase the prompt.",
    "IMAGE_PROHIBITED_CONTENT": (
        "The generated image was withheld as prohibited content. Rephrase the prompt."
    ),
    "IMAGE_RECITATION": (
        "The generated image was withheld because it reproduced existing content too closely. "
        "Rephrase the prompt or ask for something more original."
    ),
    "IMAGE_OTHER": "The model could not produce the image. Try again, or rephrase the prompt.",
    "NO_IMAGE": (
        "The model was expected to draw an image but produced none. Ask explicitly for an image."
    ),
    "SAFETY": "The reply was withheld by the safety filter. Rephrase the prompt.",
    "RECITATION": (
        "The reply was withheld because it reproduced existing content too closely. "
        "Rephrase the prompt."
    ),
    "PROHIBITED_CONTENT": "The reply was withheld as prohibited content. Rephrase the prompt.",
    "BLOCKLIST": "The reply was withheld because it contained blocked terms. Rephrase the prompt.",
    "SPII": "The reply was withheld because it contained personal information.",
    "MAX_TOKENS": (
        "The model ran out of output tokens before it finished the image. "
        "Ask for a smaller image, or fewer images per request."
    ),
    "LANGUAGE": "The model does not support the prompt's language. Try the prompt in English.",
    "OTHER": "The model stopped for an unspecified reason. Try again.",
}
PROMPT_BLOCKED_MESSAGE = (
    "The prompt was blocked before any image was generated. Rephrase the prompt."
)
_CLIP = 200

_KNOWN_TOP_LEVEL = frozenset(
    {
        "candidates",
        "promptFeedback",
        "prompt_feedback",
        "usageMetadata",
        "usage_metadata",
        "modelVersion",
        "model_version",
        "responseId",
        "response_id",
        "createTime",
        "create_time",
        "modelStatus",
        "model_status",
    }
)


# ----------------------------------------------------------------------------- request


def user_content(text: str, images: Sequence[ImageInput] = ()) -> dict[str, Any]:
    """A user turn: the text, then each image inline (exact base64 kept) or by URI."""
    parts: list[dict[str, Any]] = [{"text": text}] if text else []
    for image in images:
        if image.uri:
            parts.append({"fileData": {"mimeType": image.mime_type, "fileUri": image.uri}})
        elif image.data or image.b64:
            parts.append({"inlineData": {"mimeType": image.mime_type, "data": image.base64()}})
        else:
            raise InvalidRequest(
                "An input image is empty: pass its bytes, or a gs:// or Files API URI."
            )
    if not parts:
        raise InvalidRequest("A turn needs a prompt or at least one image.")
    return {"role": "user", "parts": parts}


def build_generate_content_body(
    contents: Sequence[Mapping[str, Any]],
    *,
    dialect: str = "vertex",
    response_modalities: Sequence[str] | None = ("TEXT", "IMAGE"),
    aspect_ratio: str | None = None,
    image_size: str | int | None = None,
    candidate_count: int | None = None,
    seed: int | None = None,
    temperature: float | None = None,
    safety_settings: Iterable[Mapping[str, str] | Sequence[str]] | None = None,
    google_search: bool = False,
    system_instruction: str | Mapping[str, Any] | None = None,
    person_generation: str | None = None,
    output_mime_type: str | None = None,
    compression_quality: int | None = None,
    include_thoughts: bool | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``:generateContent`` body (WIRE.md §5.1, §5.2); ``contents`` go out as given.

    ``dialect="gemini-api"`` refuses the options only Vertex AI takes (labels, person_generation,
    output_mime_type/compression_quality) rather than let the service reject the request.
    """
    if dialect not in DIALECTS:
        raise InvalidRequest(f"dialect={dialect!r} is not known: use 'vertex' or 'gemini-api'.")
    if dialect == "gemini-api":
        _refuse_vertex_only(
            labels=labels,
            person_generation=person_generation,
            output_mime_type=output_mime_type,
            compression_quality=compression_quality,
            safety_settings=safety_settings,
        )
    body: dict[str, Any] = {"contents": _contents(contents)}
    if system_instruction is not None:
        body["systemInstruction"] = _system_instruction(system_instruction)
    settings = _safety_settings(safety_settings)
    if settings:
        body["safetySettings"] = settings
    if google_search:
        body["tools"] = [{"googleSearch": {}}]
    generation_config = _generation_config(
        response_modalities=response_modalities,
        candidate_count=candidate_count,
        seed=seed,
        temperature=temperature,
        include_thoughts=include_thoughts,
        image_config=_image_config(
            aspect_ratio, image_size, person_generation, output_mime_type, compression_quality
        ),
    )
    if generation_config:
        body["generationConfig"] = generation_config
    vertex_labels = label_map(labels)
    if vertex_labels:
        body["labels"] = vertex_labels
    return body


def _refuse_vertex_only(**options: Any) -> None:
    names = {
        "labels": "labels",
        "person_generation": "person_generation",
        "output_mime_type": "output_mime_type (imageOutputOptions)",
        "compression_quality": "compression_quality (imageOutputOptions)",
    }
    for option, label in names.items():
        if options[option]:
            raise InvalidRequest(
                f"{label} works on Vertex AI only, not on the Gemini Developer API: "
                "drop it, or switch the backend to Vertex AI."
            )
    for setting in options["safety_settings"] or ():
        if isinstance(setting, Mapping) and "method" in setting:
            raise InvalidRequest(
                "The safety setting 'method' works on Vertex AI only, not on the Gemini Developer "
                "API: drop it, or switch the backend to Vertex AI."
            )


def _contents(contents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(contents, (str, bytes)) or not contents:
        raise InvalidRequest(
            "contents must be a non-empty list of turns (see gemini.user_content)."
        )
    turns: list[dict[str, Any]] = []
    for position, turn in enumerate(contents):
        if not isinstance(turn, Mapping) or turn.get("role") not in ("user", "model"):
            raise InvalidRequest(
                f"Turn {position} of contents is not a {{'role': 'user'|'model', 'parts': [...]}} object."
            )
        turns.append(dict(turn))
    return turns


def _system_instruction(instruction: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(instruction, Mapping):
        return dict(instruction)
    return {"role": "user", "parts": [{"text": instruction}]}


def _safety_settings(
    settings: Iterable[Mapping[str, str] | Sequence[str]] | None,
) -> list[dict[str, str]]:
    """``[{"category", "threshold"}]`` in upper case, from dicts or (category, threshold) pairs."""
    result: list[dict[str, str]] = []
    for setting in settings or ():
        if isinstance(setting, Mapping):
            category, threshold = setting.get("category"), setting.get("threshold")
            method = setting.get("method")
        elif isinstance(setting, Sequence) and not isinstance(setting, str) and len(setting) == 2:
            category, threshold = setting
            method = None
        else:
            raise InvalidRequest(
                f"Safety setting {setting!r} is neither a dict nor a (category, threshold) pair."
            )
        if not category or not threshold:
            raise InvalidRequest(
                f"Safety setting {setting!r} needs both a category and a threshold."
            )
        name = str(category).strip().upper()
        if not name.startswith("HARM_CATEGORY_"):
            name = "HARM_CATEGORY_" + name
        entry = {"category": name, "threshold": str(threshold).strip().upper()}
        if method:
            entry["method"] = str(method).strip().upper()
        result.append(entry)
    return result


def _generation_config(
    *,
    response_modalities: Sequence[str] | None,
    candidate_count: int | None,
    seed: int | None,
    temperature: float | None,
    include_thoughts: bool | None,
    image_config: dict[str, Any],
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if temperature is not None:
        config["temperature"] = float(temperature)
    if candidate_count is not None:
        if isinstance(candidate_count, bool) or int(candidate_count) < 1:
            raise InvalidRequest(f"candidate_count must be at least 1, not {candidate_count!r}.")
        config["candidateCount"] = int(candidate_count)
    if seed is not None:
        config["seed"] = int(seed)
    if response_modalities:
        if isinstance(response_modalities, str):
            response_modalities = [response_modalities]
        config["responseModalities"] = [str(m).strip().upper() for m in response_modalities]
    if include_thoughts is not None:
        config["thinkingConfig"] = {"includeThoughts": bool(include_thoughts)}
    if image_config:
        config["imageConfig"] = image_config
    return config


def _image_config(
    aspect_ratio: str | None,
    image_size: str | int | None,
    person_generation: str | None,
    output_mime_type: str | None,
    compression_quality: int | None,
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if aspect_ratio is not None:
        config["aspectRatio"] = aspect_ratio
    size = image_size_value(image_size)
    if size is not None:
        config["imageSize"] = size
    if person_generation:
        value = person_generation.strip().upper()
        # Imagen's DONT_ALLOW is Gemini's ALLOW_NONE (WIRE.md §5.2).
        config["personGeneration"] = "ALLOW_NONE" if value == "DONT_ALLOW" else value
    options = output_options(output_mime_type, compression_quality)
    if options:
        config["imageOutputOptions"] = options
    return config


# ----------------------------------------------------------------------------- response


def parse_generate_content_response(body: Mapping[str, Any]) -> ParsedResponse:
    """Final images, text, thoughts, blocks and usage from one ``GenerateContentResponse``.

    Thought images (drafts) are counted, not returned. A blocked or empty answer is a
    ``Block``, never an exception; a body that is not a ``GenerateContentResponse`` raises
    ``ResponseFormatError``.
    """
    _check_response_shape(body)
    candidates = _get(body, "candidates") or []
    if not isinstance(candidates, list):
        raise ResponseFormatError("The Gemini response's 'candidates' is not a list.")
    images: list[ReceivedImage] = []
    blocks: list[Block] = []
    texts: list[str] = []
    thoughts: list[str] = []
    thought_images = 0
    for position, candidate in enumerate(candidates):
        if not isinstance(candidate, Mapping):
            raise ResponseFormatError(f"Gemini candidate {position} is not a JSON object.")
        reading = _read_candidate(candidate, position)
        images.extend(reading.images)
        blocks.extend(reading.blocks)
        if reading.text:
            texts.append(reading.text)
        if reading.thought_text:
            thoughts.append(reading.thought_text)
        thought_images += reading.thought_images
    if not candidates:
        blocks.extend(_prompt_block(_get(body, "promptFeedback")))
    first: Mapping[str, Any] = candidates[0] if candidates else {}
    content = _get(first, "content")
    return ParsedResponse(
        images=tuple(images),
        blocks=tuple(blocks),
        text="\n\n".join(texts),
        thought_text="\n\n".join(thoughts),
        thought_images=thought_images,
        finish_reason=str(_get(first, "finishReason") or ""),
        finish_message=str(_get(first, "finishMessage") or ""),
        usage=snake_keys(_get(body, "usageMetadata") or {}),
        model_version=str(_get(body, "modelVersion") or ""),
        response_id=str(_get(body, "responseId") or ""),
        grounding=_grounding(candidates),
        model_content=copy.deepcopy(dict(content)) if isinstance(content, Mapping) else None,
    )


@dataclass
class _CandidateReading:
    """What one candidate holds, in our terms."""

    images: list[ReceivedImage] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    text: str = ""
    thought_text: str = ""
    thought_images: int = 0


def _read_candidate(candidate: Mapping[str, Any], position: int) -> _CandidateReading:
    reading = _CandidateReading()
    index = _get(candidate, "index")
    candidate_index = index if isinstance(index, int) else position
    texts: list[str] = []
    thoughts: list[str] = []
    for part_number, part in enumerate(_parts(_get(candidate, "content"), position)):
        thought = bool(part.get("thought"))
        inline = _get(part, "inlineData")
        text = part.get("text")
        if inline is not None:
            where = f"Gemini candidate {position}, part {part_number}"
            image = _received_image(inline, part, candidate_index, where)
            if image is None:
                continue
            if thought:
                reading.thought_images += 1
            else:
                reading.images.append(image)
        elif isinstance(text, str):
            (thoughts if thought else texts).append(text)
    reading.text = "".join(texts)
    reading.thought_text = "".join(thoughts)
    finish_reason = str(_get(candidate, "finishReason") or "")
    finish_message = str(_get(candidate, "finishMessage") or "")
    if reading.images:
        if finish_reason in _WITHHOLDING_FINISH:
            reading.blocks.append(_finish_block(finish_reason, finish_message))
    elif finish_reason not in _NORMAL_FINISH:
        reading.blocks.append(_finish_block(finish_reason, finish_message))
    elif reading.text.strip():
        reading.blocks.append(Block("TEXT_ONLY", _clip(reading.text)))
    return reading


def _parts(content: Any, position: int) -> list[Mapping[str, Any]]:
    """The parts of a candidate's content; none for every blocked shape (§5.6)."""
    if content is None:
        return []
    if not isinstance(content, Mapping):
        raise ResponseFormatError(
            f"Gemini candidate {position} has a content that is not a JSON object."
        )
    if content and not ({"role", "parts"} & content.keys()):
        keys = ", ".join(sorted(map(str, content)))
        raise ResponseFormatError(
            f"Gemini candidate {position} has a content with neither role nor parts (keys: {keys})."
        )
    parts = content.get("parts")
    if parts is None:
        return []
    if not isinstance(parts, list) or not all(isinstance(part, Mapping) for part in parts):
        raise ResponseFormatError(
            f"Gemini candidate {position} has parts that are not a list of objects."
        )
    return parts


def _received_image(
    inline: Any, part: Mapping[str, Any], candidate_index: int, where: str
) -> ReceivedImage | None:
    if not isinstance(inline, Mapping):
        raise ResponseFormatError(f"{where}: inlineData is not a JSON object.")
    b64 = inline.get("data")
    data = decode_base64(b64, where)
    mime_type = str(_get(inline, "mimeType") or "") or sniff_mime_type(data)
    if mime_type and not mime_type.startswith("image/"):
        return None  # audio or another medium: not an image of ours
    return ReceivedImage(
        data=data,
        mime_type=mime_type,
        b64=str(b64),
        thought_signature=str(_get(part, "thoughtSignature") or ""),
        candidate_index=candidate_index,
    )


def _finish_block(reason: str, message: str) -> Block:
    if not message:
        message = FINISH_MESSAGES.get(
            reason,
            f"The model stopped ({reason}) without an image. Try again, or rephrase the prompt.",
        )
    return Block(reason, message)


def _prompt_block(feedback: Any) -> list[Block]:
    if not isinstance(feedback, Mapping):
        return []
    reason = str(_get(feedback, "blockReason") or "")
    message = str(_get(feedback, "blockReasonMessage") or "")
    if not reason and not message:
        return []
    if not message:
        message = f"The prompt was blocked ({reason}) before any image was generated. Rephrase the prompt."
    return [Block("PROMPT_BLOCKED", message, detail=reason)]


def _grounding(candidates: Sequence[Any]) -> dict[str, Any]:
    for candidate in candidates:
        metadata = _get(candidate, "groundingMetadata")
        if isinstance(metadata, Mapping) and metadata:
            return copy.deepcopy(dict(metadata))
    return {}


def _check_response_shape(body: Any) -> None:
    if not isinstance(body, Mapping):
        raise ResponseFormatError(
            f"The Gemini service answered with {type(body).__name__}, not a JSON object."
        )
    if "error" in body:
        error = body["error"]
        text = error.get("message", "") if isinstance(error, Mapping) else str(error)
        raise ResponseFormatError(
            f"The Gemini service answered with an error where a reply was due: {text}"
        )
    if not _KNOWN_TOP_LEVEL & body.keys():
        keys = ", ".join(sorted(map(str, body))) or "none"
        raise ResponseFormatError(
            f"The service's answer is not a GenerateContentResponse (top-level keys: {keys})."
        )


def _clip(text: str, limit: int = _CLIP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_keys(value: Any) -> Any:
    """A JSON value with every object key in snake_case (``promptTokenCount`` -> ``prompt_token_count``)."""
    if isinstance(value, Mapping):
        return {
            _CAMEL_HUMP.sub("_", str(key)).lower(): snake_keys(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def _get(obj: Any, camel: str) -> Any:
    """``obj[camel]``, or its snake_case spelling, as proto3 JSON accepts both."""
    if not isinstance(obj, Mapping):
        return None
    if camel in obj:
        return obj[camel]
    return obj.get(_CAMEL_HUMP.sub("_", camel).lower())


# ----------------------------------------------------------------------------- streaming


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
                f"The stream ended in the middle of a JSON object: {_clip(self._raw.text(), 120)!r}"
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
                f"The stream holds a line that is neither SSE nor JSON: {_clip(line, 120)!r}"
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
            f"The stream sent an event that is not JSON ({error}): {_clip(text, 120)!r}"
        ) from None


def _objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of one event; a one-element array (a wrapped error) is unwrapped."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise ResponseFormatError(
            f"The stream sent an event that is not a JSON object: {_clip(str(value), 120)!r}"
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
        _check_response_shape(chunk)
        for key, value in chunk.items():
            if key != "candidates":
                merged[key] = copy.deepcopy(value)
        for position, candidate in enumerate(chunk.get("candidates") or []):
            if not isinstance(candidate, Mapping):
                raise ResponseFormatError(
                    f"Stream event {number}, candidate {position} is not a JSON object."
                )
            index = _get(candidate, "index")
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
