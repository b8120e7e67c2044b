"""wire.openai: the bodies of a gateway's OpenAI routes, and LiteLLM's answers read into ParsedResponse."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from vertex_image.base.errors import ResponseFormatError
from vertex_image.base.values import ImageInput
from vertex_image.wire import openai


def png(color: str, size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "PNG")
    return out.getvalue()


DRAFT, FINAL = png("gray"), png("red", 16)
B64_DRAFT, B64_FINAL = base64.b64encode(DRAFT).decode(), base64.b64encode(FINAL).decode()


def test_generation_body_maps_the_aspect_ratio_to_a_size_and_sends_no_response_format() -> None:
    body = openai.images_generation_body("gemini-nano-banana-2.1", "a fox", n=2, aspect_ratio="16:9")
    assert body == {"model": "gemini-nano-banana-2.1", "prompt": "a fox", "n": 2, "size": "1344x768"}
    assert "size" not in openai.images_generation_body("m", "p")


def test_edit_form_sends_each_image_as_a_file() -> None:
    fields, files = openai.images_edit_form("m", "make it blue", [ImageInput(data=FINAL, mime_type="image/png")])
    assert fields == {"model": "m", "prompt": "make it blue", "n": "1"}
    assert files == [("image", ("image-0.png", FINAL, "image/png"))]


def test_chat_body_keeps_words_and_re_sends_only_the_last_model_image() -> None:
    contents = [
        {"role": "user", "parts": [{"text": "a boat"}]},
        {"role": "model", "parts": [{"text": "thinking", "thought": True}, {"text": "here"},
                                    {"inlineData": {"mimeType": "image/png", "data": B64_FINAL}, "thoughtSignature": "s"}]},
        {"role": "user", "parts": [{"text": "make it red"}]},
    ]  # fmt: skip
    body = openai.chat_body("m", contents)
    assert body["modalities"] == ["image", "text"]
    assert body["messages"][1] == {"role": "assistant", "content": "here"}  # no image, no signature, no thought
    last = body["messages"][2]["content"]
    assert last[0] == {"type": "text", "text": "make it red"}
    assert last[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64_FINAL}"}}
    assert "thoughtSignature" not in str(body)


def test_images_answer_leaves_out_the_unsigned_draft_litellm_returns() -> None:
    raw = {
        "created": 1796037738,
        "data": [
            {"b64_json": B64_DRAFT, "revised_prompt": None, "url": None, "provider_specific_fields": None},
            {"b64_json": B64_FINAL, "url": None, "provider_specific_fields": {"thought_signature": "VklF"}},
        ],
        "usage": {"input_tokens": 3, "output_tokens": 1504, "total_tokens": 1507},
    }
    parsed = openai.parse_images_response(raw, wanted=1)
    assert [image.data for image in parsed.images] == [FINAL]
    assert parsed.images[0].mime_type == "image/png" and parsed.images[0].thought_signature == "VklF"
    assert parsed.thought_images == 1 and parsed.usage["total_tokens"] == 1507
    assert not parsed.blocks


def test_edits_answer_without_signatures_keeps_the_last_n() -> None:
    raw = {"data": [{"b64_json": B64_DRAFT}, {"b64_json": B64_FINAL}]}
    assert [image.data for image in openai.parse_images_response(raw, wanted=1).images] == [FINAL]


def test_chat_answer_reads_images_and_the_older_singular_image_without_drafts() -> None:
    message = {
        "content": "Here is a fox.",
        "images": [
            {"image_url": {"url": f"data:image/png;base64,{B64_DRAFT}", "detail": "auto"}, "index": 0, "type": "image_url"},
            {"image_url": {"url": f"data:image/png;base64,{B64_FINAL}", "detail": "auto"}, "index": 0, "type": "image_url"},
        ],
        "thinking_blocks": [{"type": "thinking", "thinking": "**Planning**"}, {"type": "thinking", "thinking": ""}],
        "reasoning_content": "**Planning**",
    }
    parsed = openai.parse_chat_completion({"id": "r1", "choices": [{"finish_reason": "stop", "message": message}]})
    assert [image.data for image in parsed.images] == [FINAL] and parsed.thought_images == 1
    assert parsed.text == "Here is a fox." and parsed.response_id == "r1"
    assert parsed.model_content == {"role": "model", "parts": [
        {"text": "Here is a fox."}, {"inlineData": {"mimeType": "image/png", "data": B64_FINAL}}]}  # fmt: skip
    singular = {"choices": [{"message": {"content": None, "image": {"url": f"data:image/png;base64,{B64_FINAL}"}}}]}
    assert [image.data for image in openai.parse_chat_completion(singular).images] == [FINAL]


def test_content_filter_is_a_block_saying_why() -> None:
    raw = {"choices": [{"finish_reason": "content_filter", "message": {"role": "assistant", "content": None}}]}
    parsed = openai.parse_chat_completion(raw)
    assert parsed.blocked and parsed.blocks[0].reason == "CONTENT_FILTER"
    assert "safety" in parsed.blocks[0].message and parsed.model_content is None


def test_answers_that_are_not_what_they_claim_are_typed_errors() -> None:
    with pytest.raises(ResponseFormatError, match="no choices"):
        openai.parse_chat_completion({"data": []})
    with pytest.raises(ResponseFormatError, match="base64"):
        openai.parse_images_response({"data": [{"b64_json": "not base64!"}]})
