"""Wire-neutral data: images going out, parsed responses coming back.

This is the contract between the wire layer (``wire/``) and everything above it.

``imagen.parse_predict_response`` and ``gemini_response.parse_generate_content_response`` turn service
JSON into a ``ParsedResponse``; ``core.operations`` turns that into ``GeneratedImage``s with provenance. Nothing
here knows about HTTP or camelCase, except ``model_content``: the Gemini model turn kept verbatim
(as received, signatures included) so that a session can send it back unchanged (WIRE.md §5.4).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImageInput:
    """An image sent to the service: inline bytes, or a ``gs://`` / Files API URI.

    ``b64`` may carry the exact base64 text to send (a replayed model image keeps the string it
    arrived as); when empty, ``data`` is encoded with the standard alphabet.
    """

    data: bytes = b""
    mime_type: str = "image/png"
    uri: str = ""
    b64: str = ""

    def base64(self) -> str:
        """The base64 text to put on the wire."""
        if self.b64:
            return self.b64
        return base64.b64encode(self.data).decode("ascii")


@dataclass(frozen=True)
class ReceivedImage:
    """One final (non-thought) image exactly as the service sent it.

    ``data`` is the decoded bytes, untouched; ``b64`` is the base64 text as received, so that a
    session can replay it byte for byte. For an Imagen result written to Cloud Storage, ``data`` is
    empty and ``gcs_uri`` says where it is.
    """

    data: bytes
    mime_type: str
    b64: str = ""
    gcs_uri: str = ""
    enhanced_prompt: str = ""
    safety_attributes: dict[str, float] = field(default_factory=dict)
    thought_signature: str = ""
    candidate_index: int = 0


@dataclass(frozen=True)
class Block:
    """Why an expected image is missing.

    Attributes:
        reason: a short code: an Imagen ``RAI_FILTERED``, a Gemini ``finishReason`` such as
            ``IMAGE_SAFETY`` or ``NO_IMAGE``, ``PROMPT_BLOCKED`` (with ``promptFeedback.blockReason``
            in ``detail``), or ``TEXT_ONLY`` when the model answered in words alone.
        message: the service's own explanation (``raiFilteredReason``, ``finishMessage``,
            ``blockReasonMessage``), or ours when it gave none.
        count: how many images this block accounts for, when the service says (Imagen).
        detail: a secondary code, e.g. the ``blockReason`` of a prompt block.
    """

    reason: str
    message: str = ""
    count: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class ParsedResponse:
    """Everything a caller needs from one ``:predict`` or ``:generateContent`` answer."""

    images: tuple[ReceivedImage, ...] = ()
    blocks: tuple[Block, ...] = ()
    text: str = ""
    thought_text: str = ""
    thought_images: int = 0
    finish_reason: str = ""
    finish_message: str = ""
    prompt_safety_attributes: dict[str, float] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    model_version: str = ""
    response_id: str = ""
    grounding: dict[str, Any] = field(default_factory=dict)
    model_content: dict[str, Any] | None = None

    @property
    def blocked(self) -> bool:
        """True when the service gave no image at all and said (or showed) why."""
        return not self.images and bool(self.blocks)


def joined_responses(parsed_list: Sequence[ParsedResponse]) -> ParsedResponse:
    """Several answers to one call (``n`` requests, or their recorded replays) as one: images, blocks and texts
    in order, usage summed; finish reason, model version and response id of the first."""
    if len(parsed_list) == 1:
        return parsed_list[0]
    first = parsed_list[0]
    usage: dict[str, Any] = {}
    for parsed in parsed_list:
        for key, value in parsed.usage.items():
            if isinstance(value, (int, float)):
                usage[key] = usage.get(key, 0) + value
    return ParsedResponse(
        images=tuple(image for parsed in parsed_list for image in parsed.images),
        blocks=tuple(block for parsed in parsed_list for block in parsed.blocks),
        text="\n".join(parsed.text for parsed in parsed_list if parsed.text),
        finish_reason=first.finish_reason,
        usage=usage,
        model_version=first.model_version,
        response_id=first.response_id,
    )

