"""Gemini ``GenerateContentResponse`` read into a ``ParsedResponse`` (WIRE.md §5.3-§5.5).

Pure, no I/O. The model's turn is kept verbatim in ``ParsedResponse.model_content`` (parts, order,
``thought`` flags, ``thoughtSignature``s, image strings) because the service wants exactly that back
in the next turn (§5.4). Keys are accepted in camelCase or snake_case, as proto3 JSON allows (§1.4).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..base.errors import ResponseFormatError
from ..base.imageinfo import sniff_mime_type
from ..base.text import clip
from ..base.values import Block, ParsedResponse, ReceivedImage
from ._shared import decode_base64

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
_CLIP = 200  # characters of text kept in a block message

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


def parse_generate_content_response(body: Mapping[str, Any]) -> ParsedResponse:
    """Final images, text, thoughts, blocks and usage from one ``GenerateContentResponse``.

    Thought images (drafts) are counted, not returned. A blocked or empty answer is a
    ``Block``, never an exception; a body that is not a ``GenerateContentResponse`` raises
    ``ResponseFormatError``. An image that cannot be decoded does not cost its neighbours: the
    good ones are returned with one ``UNDECODABLE_IMAGE`` block naming the parts that failed; only
    an answer whose every image failed raises (there is nothing to keep).
    """
    check_response_shape(body)
    candidates = get_field(body, "candidates") or []
    if not isinstance(candidates, list):
        raise ResponseFormatError("The Gemini response's 'candidates' is not a list.")
    images: list[ReceivedImage] = []
    blocks: list[Block] = []
    texts: list[str] = []
    thoughts: list[str] = []
    thought_images = 0
    failures: list[ResponseFormatError] = []
    for position, candidate in enumerate(candidates):
        if not isinstance(candidate, Mapping):
            raise ResponseFormatError(f"Gemini candidate {position} is not a JSON object.")
        reading = _read_candidate(candidate, position)
        failures.extend(reading.failures)
        images.extend(reading.images)
        blocks.extend(reading.blocks)
        if reading.text:
            texts.append(reading.text)
        if reading.thought_text:
            thoughts.append(reading.thought_text)
        thought_images += reading.thought_images
    if not candidates:
        blocks.extend(_prompt_block(get_field(body, "promptFeedback")))
    if failures:
        if not images:
            raise failures[0]
        blocks.append(_undecodable_block(failures, kept=len(images)))
    first: Mapping[str, Any] = candidates[0] if candidates else {}
    content = get_field(first, "content")
    return ParsedResponse(
        images=tuple(images),
        blocks=tuple(blocks),
        text="\n\n".join(texts),
        thought_text="\n\n".join(thoughts),
        thought_images=thought_images,
        finish_reason=str(get_field(first, "finishReason") or ""),
        finish_message=str(get_field(first, "finishMessage") or ""),
        usage=snake_keys(get_field(body, "usageMetadata") or {}),
        model_version=str(get_field(body, "modelVersion") or ""),
        response_id=str(get_field(body, "responseId") or ""),
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
    failures: list[ResponseFormatError] = field(default_factory=list)


def _read_candidate(candidate: Mapping[str, Any], position: int) -> _CandidateReading:
    reading = _CandidateReading()
    index = get_field(candidate, "index")
    candidate_index = index if isinstance(index, int) else position
    texts: list[str] = []
    thoughts: list[str] = []
    for part_number, part in enumerate(_parts(get_field(candidate, "content"), position)):
        thought = bool(part.get("thought"))
        inline = get_field(part, "inlineData")
        text = part.get("text")
        if inline is not None:
            where = f"Gemini candidate {position}, part {part_number}"
            try:
                image = _received_image(inline, part, candidate_index, where)
            except ResponseFormatError as exc:
                if not thought:
                    reading.failures.append(exc)  # a lost draft costs nothing; a lost image is told
                continue
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
    finish_reason = str(get_field(candidate, "finishReason") or "")
    finish_message = str(get_field(candidate, "finishMessage") or "")
    if reading.images:
        if finish_reason in _WITHHOLDING_FINISH:
            reading.blocks.append(_finish_block(finish_reason, finish_message))
    elif finish_reason not in _NORMAL_FINISH:
        reading.blocks.append(_finish_block(finish_reason, finish_message))
    elif reading.text.strip():
        reading.blocks.append(Block("TEXT_ONLY", clip(reading.text, _CLIP)))
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
    mime_type = str(get_field(inline, "mimeType") or "") or sniff_mime_type(data)
    if mime_type and not mime_type.startswith("image/"):
        return None  # audio or another medium: not an image of ours
    return ReceivedImage(
        data=data,
        mime_type=mime_type,
        b64=str(b64),
        thought_signature=str(get_field(part, "thoughtSignature") or ""),
        candidate_index=candidate_index,
    )


def _undecodable_block(failures: Sequence[ResponseFormatError], *, kept: int) -> Block:
    """One block for the images of an answer that could not be read, naming each, and what was kept."""
    what = "; ".join(str(failure).rstrip(".") for failure in failures)
    return Block(
        "UNDECODABLE_IMAGE",
        f"{len(failures)} image(s) of the answer could not be read ({what}); the {kept} other(s) are kept. "
        "Try again for the missing one(s).",
        count=len(failures),
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
    reason = str(get_field(feedback, "blockReason") or "")
    message = str(get_field(feedback, "blockReasonMessage") or "")
    if not reason and not message:
        return []
    if not message:
        message = f"The prompt was blocked ({reason}) before any image was generated. Rephrase the prompt."
    return [Block("PROMPT_BLOCKED", message, detail=reason)]


def _grounding(candidates: Sequence[Any]) -> dict[str, Any]:
    for candidate in candidates:
        metadata = get_field(candidate, "groundingMetadata")
        if isinstance(metadata, Mapping) and metadata:
            return copy.deepcopy(dict(metadata))
    return {}


def check_response_shape(body: Any) -> None:
    """Raise ``ResponseFormatError`` unless ``body`` looks like a GenerateContentResponse or one event of it."""
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


def get_field(obj: Any, camel: str) -> Any:
    """``obj[camel]``, or its snake_case spelling, as proto3 JSON accepts both."""
    if not isinstance(obj, Mapping):
        return None
    if camel in obj:
        return obj[camel]
    return obj.get(_CAMEL_HUMP.sub("_", camel).lower())
