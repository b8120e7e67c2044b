"""base.openai_shapes: where the images are in LiteLLM's OpenAI-shaped answers, and which are drafts."""

from __future__ import annotations

from vertex_image.base.openai_shapes import (
    chat_message,
    draft_items,
    message_drafts,
    message_image_urls,
    split_data_url,
)


def signed(value: str) -> dict:
    return {"b64_json": "AAAA", "provider_specific_fields": {"thought_signature": value}}


def test_unsigned_items_beside_signed_ones_are_drafts() -> None:
    items = [{"b64_json": "AAAA", "provider_specific_fields": None}, signed("sig")]
    assert draft_items(items) == [True, False]
    assert draft_items(items, wanted=2) == [True, False]  # a signature settles it, whatever was asked


def test_without_any_signature_the_leading_items_beyond_n_are_drafts() -> None:
    items = [{"b64_json": "AAAA"}, {"b64_json": "BBBB"}, {"b64_json": "CCCC"}]
    assert draft_items(items, wanted=1) == [True, True, False]
    assert draft_items(items, wanted=3) == [False, False, False]
    assert draft_items(items) == [False, False, False]  # nothing to go on: keep everything


def test_message_images_list_wins_over_the_singular_image() -> None:
    message = {
        "images": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "auto"}, "index": 0}],
        "image": {"url": "data:image/png;base64,BBBB", "detail": "auto"},
    }
    assert message_image_urls(message) == ["data:image/png;base64,AAAA"]
    assert message_image_urls({"image": {"url": "data:image/png;base64,BBBB"}}) == ["data:image/png;base64,BBBB"]
    assert message_image_urls({"content": "no image"}) == []


def test_thinking_blocks_without_words_count_the_leading_drafts_but_never_all_images() -> None:
    message = {"thinking_blocks": [{"type": "thinking", "thinking": "planning"}, {"type": "thinking", "thinking": ""}]}
    assert message_drafts(message, images=2) == 1
    assert message_drafts(message, images=1) == 0
    assert message_drafts({}, images=2) == 0


def test_data_urls_split_and_remote_urls_are_not_fetched() -> None:
    assert split_data_url("data:image/jpeg;base64,/9j/") == ("image/jpeg", "/9j/")
    assert split_data_url("https://example.com/a.png") == ("", "")


def test_chat_message_carries_both_images_and_image() -> None:
    message = chat_message("here", ["data:image/png;base64,AAAA", "data:image/png;base64,BBBB"])
    assert message["role"] == "assistant" and message["content"] == "here"
    assert [item["image_url"]["url"] for item in message["images"]] == ["data:image/png;base64,AAAA", "data:image/png;base64,BBBB"]
    assert message["images"][1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,BBBB", "detail": "auto"}, "index": 1}
    assert message["image"] == {"url": "data:image/png;base64,AAAA", "detail": "auto"}
    assert "image" not in chat_message("", [])
