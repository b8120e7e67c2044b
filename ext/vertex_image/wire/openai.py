"""OpenAI-shaped JSON of a gateway's image routes <-> typed values (no I/O).

For gateways that offer only OpenAI routes (the ``openai`` backend): ``/v1/images/generations``,
``/v1/images/edits`` (multipart) and ``/v1/chat/completions`` with ``modalities: ["image", "text"]``.
The answers are read as LiteLLM 1.108 gives them; where the images are and which are drafts is
``base.openai_shapes`` (shared with ``ImageSet.from_openai``).

Limits of such a route, stated plainly: no thought signature reaches the caller in a usable form, so a
conversation cannot replay the model's turns; each turn sends the earlier words and re-sends the last
image as an input instead (``chat_body``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from ..base.errors import ResponseFormatError
from ..base.openai_shapes import draft_items, item_signature, listed, message_drafts, message_image_urls, split_data_url
from ..base.values import Block, ImageInput, ParsedResponse, ReceivedImage

# Gemini's 1K sizes per aspect ratio (ai.google.dev image-generation); LiteLLM maps "WxH" back to the ratio.
SIZES = {
    "1:1": "1024x1024",
    "2:3": "832x1248",
    "3:2": "1248x832",
    "3:4": "864x1184",
    "4:3": "1184x864",
    "4:5": "896x1152",
    "5:4": "1152x896",
    "9:16": "768x1344",
    "16:9": "1344x768",
    "21:9": "1536x672",
}
CONTENT_FILTER = "content_filter"


# --- requests ------------------------------------------------------------------------------------


def images_generation_body(model: str, prompt: str, *, n: int = 1, aspect_ratio: str | None = None) -> dict[str, Any]:
    """The body of ``POST /v1/images/generations`` (no ``response_format``: LiteLLM refuses it for Gemini)."""
    body: dict[str, Any] = {"model": model, "prompt": prompt, "n": int(n)}
    if aspect_ratio:
        body["size"] = SIZES.get(aspect_ratio, "1024x1024")
    return body


def images_edit_form(
    model: str, prompt: str, images: Sequence[ImageInput], *, n: int = 1, aspect_ratio: str | None = None
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """The multipart fields and files of ``POST /v1/images/edits``: one ``image`` file per input image."""
    fields = {"model": model, "prompt": prompt, "n": str(int(n))}
    if aspect_ratio:
        fields["size"] = SIZES.get(aspect_ratio, "1024x1024")
    files = []
    for index, image in enumerate(images):
        data = image.data or base64.b64decode(image.base64())
        extension = image.mime_type.split("/")[-1].replace("jpeg", "jpg")
        files.append(("image", (f"image-{index}.{extension}", data, image.mime_type)))
    return fields, files


def chat_body(model: str, contents: Sequence[Mapping[str, Any]], *, want_text: bool = True) -> dict[str, Any]:
    """A ``/v1/chat/completions`` body from Gemini ``contents`` (a one-shot turn, or a session's history).

    User turns keep their words and images (as ``data:`` URLs); model turns keep their words only,
    and the last image the model made is re-sent with the newest user turn, since an OpenAI route
    carries no thought signatures to replay the model's own turn with.
    """
    messages: list[dict[str, Any]] = []
    last_model_image: dict[str, Any] | None = None
    for content in contents:
        parts = [part for part in content.get("parts", ()) if not part.get("thought")]
        texts = [str(part["text"]) for part in parts if "text" in part]
        images = [_image_url(part["inlineData"]) for part in parts if "inlineData" in part]
        if content.get("role") == "model":
            if images:
                last_model_image = images[-1]
            messages.append({"role": "assistant", "content": "\n".join(texts)})
            continue
        messages.append({"role": "user", "content": [{"type": "text", "text": "\n".join(texts)}, *images]})
    if last_model_image is not None and messages and messages[-1]["role"] == "user":
        messages[-1]["content"].insert(1, last_model_image)
    return {"model": model, "messages": messages, "modalities": ["image", "text"] if want_text else ["image"]}


def _image_url(inline: Mapping[str, Any]) -> dict[str, Any]:
    mime = inline.get("mimeType") or inline.get("mime_type") or "image/png"
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{inline.get('data', '')}"}}


# --- answers -------------------------------------------------------------------------------------


def parse_images_response(raw: Mapping[str, Any], *, wanted: int | None = None) -> ParsedResponse:
    """Read an images answer; drafts (``draft_items``) are counted, not kept."""
    items = [item for item in listed(raw.get("data")) if isinstance(item, Mapping)]
    is_draft = draft_items(items, wanted)
    images, drafts = [], sum(is_draft)
    for item, draft in zip(items, is_draft):
        if draft:
            continue
        b64 = item.get("b64_json")
        if not b64:
            continue  # URL-only items: nothing to keep here (a gateway answering with URLs is out of scope)
        images.append(
            ReceivedImage(
                data=_decode(b64),
                mime_type=_sniff(b64),
                b64=str(b64),
                enhanced_prompt=str(item.get("revised_prompt") or ""),
                thought_signature=item_signature(item),
                candidate_index=len(images),
            )
        )
    blocks = () if images else (Block("NO_IMAGE", "The gateway answered without an image."),)
    return ParsedResponse(images=tuple(images), blocks=blocks, thought_images=drafts, usage=_usage(raw))


def parse_chat_completion(raw: Mapping[str, Any]) -> ParsedResponse:
    """Read a chat completion with images; drafts (see the module docstring) are counted, not kept."""
    choices = [choice for choice in listed(raw.get("choices")) if isinstance(choice, Mapping)]
    if not choices:
        raise ResponseFormatError("The gateway's chat answer has no choices; it is not an OpenAI chat completion.")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
    urls = message_image_urls(message)
    drafts = message_drafts(message, len(urls))
    images = []
    for url in urls[drafts:]:
        mime, b64 = split_data_url(url)
        if b64:
            images.append(ReceivedImage(data=_decode(b64), mime_type=mime, b64=b64, candidate_index=len(images)))
    text = message.get("content") if isinstance(message.get("content"), str) else ""
    finish = str(choice.get("finish_reason") or "")
    blocks: tuple[Block, ...] = ()
    if not images:
        if finish == CONTENT_FILTER:
            blocks = (Block("CONTENT_FILTER", "The model's safety filter blocked the image (finish_reason "
                            "content_filter through the gateway).", count=1),)
        else:
            blocks = (Block("TEXT_ONLY", "The model answered in words alone.") if text else Block("NO_IMAGE"),)
    parts: list[dict[str, Any]] = [{"text": text}] if text else []
    parts += [{"inlineData": {"mimeType": image.mime_type, "data": image.b64}} for image in images]
    return ParsedResponse(
        images=tuple(images),
        blocks=blocks,
        text=text or "",
        # the model turn as a session keeps it: words and final images, without signatures (the route has none)
        model_content={"role": "model", "parts": parts} if images else None,
        thought_text=str(message.get("reasoning_content") or ""),
        thought_images=drafts,
        finish_reason=finish.upper(),
        usage=_usage(raw),
        response_id=str(raw.get("id") or ""),
    )


def _decode(b64: str) -> bytes:
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise ResponseFormatError("The gateway sent an image that is not valid base64.") from None


def _sniff(b64: str) -> str:
    head = _decode(b64[:16])
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if head[:4] == b"RIFF":
        return "image/webp"
    return "image/png"


def _usage(raw: Mapping[str, Any]) -> dict[str, Any]:
    usage = raw.get("usage")
    return dict(usage) if isinstance(usage, Mapping) else {}


__all__ = [
    "SIZES",
    "chat_body",
    "images_edit_form",
    "images_generation_body",
    "parse_chat_completion",
    "parse_images_response",
]
