"""Gemini ``generateContent`` on the wire: request bodies here, answers and streams re-exported.

Pure functions, no I/O (WIRE.md §5). Everything we send is canonical camelCase. Reading an answer
lives in ``gemini_response`` and reading a stream in ``gemini_stream``; their public names are
importable from here too, so callers keep one wire module for Gemini.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..base.errors import InvalidRequest
from ..base.models import normalize_search, normalize_thinking
from ..base.values import ImageInput
from ._shared import (
    flag_option,
    image_size_value,
    is_base64_of,
    label_map,
    output_options,
    prompt_text,
    short_repr,
    text_option,
)
from .gemini_response import FINISH_MESSAGES, PROMPT_BLOCKED_MESSAGE, parse_generate_content_response, snake_keys
from .gemini_stream import SSEParser, merge_stream_chunks

DIALECTS = ("vertex", "gemini-api")
TEMPERATURE_RANGE = (0.0, 2.0)  # GenerationConfig.temperature, as the Vertex and Gemini API references give it
_SAFETY_SHAPES = (
    "safety_settings takes a list of {'category': ..., 'threshold': ...} dicts (with 'method' on Vertex AI) "
    "or (category, threshold) pairs of text, e.g. [('HARASSMENT', 'BLOCK_ONLY_HIGH')]"
)


def user_content(text: str, images: Sequence[ImageInput] = ()) -> dict[str, Any]:
    """A user turn: the text, then each image inline (exact base64 kept) or by URI."""
    parts: list[dict[str, Any]] = [{"text": text}] if prompt_text(text) else []
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
    google_search: bool | str | Sequence[str] = False,
    system_instruction: str | Mapping[str, Any] | None = None,
    person_generation: str | None = None,
    output_mime_type: str | None = None,
    compression_quality: int | None = None,
    include_thoughts: bool | None = None,
    thinking_level: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``:generateContent`` body (WIRE.md §5.1, §5.2); ``contents`` go out as given.

    ``dialect="gemini-api"`` refuses the options only Vertex AI takes (labels, person_generation,
    output_mime_type/compression_quality) rather than let the service reject the request.
    ``google_search``: True or ``"web"`` (web search), ``"image"``, ``"all"``, or a list of those
    (``tools[].googleSearch.searchTypes``); ``thinking_level``: minimal, medium or high
    (``thinkingConfig.thinkingLevel``).
    """
    if dialect not in DIALECTS:
        raise InvalidRequest(f"dialect={dialect!r} is not known: use 'vertex' or 'gemini-api'.")
    settings = _safety_settings(safety_settings)
    if dialect == "gemini-api":
        _refuse_vertex_only(
            labels=labels,
            person_generation=person_generation,
            output_mime_type=output_mime_type,
            compression_quality=compression_quality,
            safety_settings=settings,
        )
    body: dict[str, Any] = {"contents": _contents(contents)}
    if system_instruction is not None:
        body["systemInstruction"] = _system_instruction(system_instruction)
    if settings:
        body["safetySettings"] = settings
    search = _google_search(google_search)
    if search is not None:
        body["tools"] = [{"googleSearch": search}]
    generation_config = _generation_config(
        response_modalities=response_modalities,
        candidate_count=candidate_count,
        seed=seed,
        temperature=temperature,
        include_thoughts=include_thoughts,
        thinking_level=thinking_level,
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
    for setting in options["safety_settings"]:
        if "method" in setting:
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
    if not isinstance(instruction, str):
        raise InvalidRequest(
            f"system_instruction must be text or a {{'parts': [...]}} dict, not {short_repr(instruction)}."
        )
    return {"role": "user", "parts": [{"text": instruction}]}


def _safety_settings(
    settings: Iterable[Mapping[str, str] | Sequence[str]] | None,
) -> list[dict[str, str]]:
    """``[{"category", "threshold"}]`` in upper case, from dicts or (category, threshold) pairs.

    Raises:
        InvalidRequest: anything else, naming the accepted shapes (one line).
    """
    if settings is None:
        return []
    if isinstance(settings, (str, bytes, Mapping)) or not isinstance(settings, Iterable):
        raise InvalidRequest(f"{_SAFETY_SHAPES}; got {short_repr(settings)}.")
    result: list[dict[str, str]] = []
    for setting in settings:
        if isinstance(setting, Mapping):
            unknown = sorted(str(key) for key in setting if key not in ("category", "threshold", "method"))
            if unknown:
                raise InvalidRequest(
                    f"Safety setting {short_repr(setting)} has unknown key(s) {', '.join(unknown)}: {_SAFETY_SHAPES}."
                )
            category, threshold = setting.get("category"), setting.get("threshold")
            method = setting.get("method")
        elif isinstance(setting, Sequence) and not isinstance(setting, (str, bytes)) and len(setting) == 2:
            category, threshold = setting
            method = None
        else:
            raise InvalidRequest(
                f"Safety setting {short_repr(setting)} is neither a dict nor a (category, threshold) pair: "
                f"{_SAFETY_SHAPES}."
            )
        if not category or not threshold:
            raise InvalidRequest(
                f"Safety setting {short_repr(setting)} needs both a category and a threshold: {_SAFETY_SHAPES}."
            )
        if not all(isinstance(value, str) for value in (category, threshold, method or "")):
            raise InvalidRequest(
                f"Safety setting {short_repr(setting)} has a category, threshold or method that is not text: "
                f"{_SAFETY_SHAPES}."
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
    thinking_level: str | None,
    image_config: dict[str, Any],
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if temperature is not None:
        config["temperature"] = _temperature(temperature)
    if candidate_count is not None:
        if (
            isinstance(candidate_count, bool)
            or not isinstance(candidate_count, numbers.Integral)
            or candidate_count < 1
        ):
            raise InvalidRequest(f"candidate_count must be a whole number of at least 1, not {short_repr(candidate_count)}.")
        config["candidateCount"] = int(candidate_count)
    if seed is not None:
        config["seed"] = int(seed)
    if response_modalities:
        if isinstance(response_modalities, str):
            response_modalities = [response_modalities]
        config["responseModalities"] = [str(m).strip().upper() for m in response_modalities]
    thinking: dict[str, Any] = {}
    if include_thoughts is not None:
        thinking["includeThoughts"] = flag_option(include_thoughts, "include_thoughts")
    level = normalize_thinking(thinking_level)
    if level is not None:
        thinking["thinkingLevel"] = level
    if thinking:
        config["thinkingConfig"] = thinking
    if image_config:
        config["imageConfig"] = image_config
    return config


def _google_search(value: bool | str | Sequence[str]) -> dict[str, Any] | None:
    """``googleSearch`` as MODELS §3 gives it: ``{}`` is web search; image search names its search types."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        kinds = tuple(kind for item in value for kind in normalize_search(item))
    else:
        kinds = normalize_search(value)
    if not kinds:
        return None
    if kinds == ("web",):
        return {}
    types = {"web": "webSearch", "image": "imageSearch"}
    return {"searchTypes": {types[kind]: {} for kind in dict.fromkeys(kinds)}}


def _temperature(value: Any) -> float:
    """A finite number within the documented 0.0-2.0; anything else is refused before sending."""
    low, high = TEMPERATURE_RANGE
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise InvalidRequest(f"temperature must be a number from {low:g} to {high:g}, not {short_repr(value)}.")
    return float(value)


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
    if text_option(person_generation, "person_generation"):
        value = person_generation.strip().upper()
        # Imagen's DONT_ALLOW is Gemini's ALLOW_NONE (WIRE.md §5.2).
        config["personGeneration"] = "ALLOW_NONE" if value == "DONT_ALLOW" else value
    options = output_options(output_mime_type, compression_quality)
    if options:
        config["imageOutputOptions"] = options
    return config


def inline_blobs(content: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The inline data object of each part of a turn, as it is (a caller may change it in place).

    A part carries it as ``inlineData`` or, as proto3 JSON allows, ``inline_data``; the first spelling
    present counts. The object holds ``data`` (base64) and the mime type (``blob_mime_type``).
    """
    for part in content.get("parts") or []:
        key = "inlineData" if "inlineData" in part else "inline_data" if "inline_data" in part else ""
        blob = part.get(key) if key else None
        if isinstance(blob, dict):
            yield blob


def blob_mime_type(blob: Mapping[str, Any]) -> str:
    """The mime type of an inline data object (``mimeType`` or ``mime_type``); "" when it has none."""
    return str(blob.get("mimeType") or blob.get("mime_type") or "")


# ----------------------------------------------------------------------------- response


__all__ = [
    "DIALECTS",
    "FINISH_MESSAGES",
    "PROMPT_BLOCKED_MESSAGE",
    "SSEParser",
    "blob_mime_type",
    "build_generate_content_body",
    "inline_blobs",
    "is_base64_of",
    "merge_stream_chunks",
    "parse_generate_content_response",
    "snake_keys",
    "user_content",
]
