"""Where the images are in an OpenAI-shaped answer, and which of them are drafts (pure rules, no I/O).

Shared by ``wire.openai`` (answers of a gateway's OpenAI routes) and ``results.images``
(``ImageSet.from_openai`` reading an answer a user got elsewhere), so both read LiteLLM 1.108's
answers the same way (MODELS-2026-11 §7):

- images answers: ``data[]`` items; LiteLLM returns Gemini 3's draft images (thought parts) as items.
  Google signs every final image of a thinking model and never a thought part, so when any item carries
  ``provider_specific_fields.thought_signature`` the unsigned ones are drafts. Its ``/v1/images/edits``
  answers carry no signature at all: there the leading items beyond the ``n`` asked for are drafts
  (a model thinks before it answers).
- chat messages: ``images = [{"type": "image_url", "image_url": {"url", "detail"}, "index"}]`` (LiteLLM's
  list), else the older singular ``image = {"url", "detail"}``. LiteLLM keeps drafts there too, first,
  and writes one ``thinking_blocks`` entry with empty ``thinking`` per thought part that carried no
  words (an image): that many leading images are drafts (never all of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def listed(value: Any) -> list[Any]:
    """``value`` as a list when it is one (a list or tuple), else []."""
    return list(value) if isinstance(value, (list, tuple)) else []


def item_signature(item: Mapping[str, Any]) -> str:
    """The thought signature LiteLLM put on an images-answer item, or ""."""
    extra = item.get("provider_specific_fields")
    return str(extra.get("thought_signature") or "") if isinstance(extra, Mapping) else ""


def draft_items(items: Sequence[Mapping[str, Any]], wanted: int | None = None) -> list[bool]:
    """For each item of an images answer, whether it is a draft (see the module docstring)."""
    signed = [bool(item_signature(item)) for item in items]
    if any(signed):
        return [not flag for flag in signed]
    extra = max(len(items) - wanted, 0) if wanted else 0
    return [index < extra for index in range(len(items))]


def message_image_urls(message: Mapping[str, Any]) -> list[str]:
    """The image URLs of a chat message: ``images`` (LiteLLM's list), else ``image`` (the older singular)."""
    urls = []
    for item in listed(message.get("images")):
        inner = item.get("image_url") if isinstance(item, Mapping) else None
        url = inner.get("url") if isinstance(inner, Mapping) else inner
        if isinstance(url, str) and url:
            urls.append(url)
    single = message.get("image")
    if not urls and isinstance(single, Mapping) and isinstance(single.get("url"), str):
        urls.append(single["url"])
    return urls


def message_drafts(message: Mapping[str, Any], images: int) -> int:
    """How many of a chat message's ``images`` leading images are drafts: thinking blocks without words."""
    blocks = sum(1 for b in listed(message.get("thinking_blocks")) if isinstance(b, Mapping) and not b.get("thinking"))
    return min(blocks, max(images - 1, 0))


def split_data_url(url: str) -> tuple[str, str]:
    """``("image/png", base64 text)`` of a ``data:`` URL; ``("", "")`` for any other URL (never fetched)."""
    if not url.startswith("data:") or ";base64," not in url:
        return "", ""
    head, b64 = url[5:].split(";base64,", 1)
    return head or "image/png", b64


def chat_message(text: str, data_urls: Sequence[str]) -> dict[str, Any]:
    """An assistant message carrying images both ways: ``images`` (LiteLLM's list) and ``image`` (the singular)."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    message["images"] = [
        {"type": "image_url", "image_url": {"url": url, "detail": "auto"}, "index": index}
        for index, url in enumerate(data_urls)
    ]
    if data_urls:
        message["image"] = {"url": data_urls[0], "detail": "auto"}
    return message


__all__ = [
    "chat_message",
    "draft_items",
    "item_signature",
    "listed",
    "message_drafts",
    "message_image_urls",
    "split_data_url",
]
