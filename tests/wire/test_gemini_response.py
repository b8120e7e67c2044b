"""wire/gemini_response.py: a ``GenerateContentResponse`` read into a ``ParsedResponse`` (WIRE.md §5.3-§5.6)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from vertex_image.base.errors import ResponseFormatError
from vertex_image.base.values import Block
from vertex_image.wire import gemini, gemini_response

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x02" * 16
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()


# ----------------------------------------------------------------------------- parse: images and text

# WIRE.md §5.3 / §5.4: two thought parts (text and a draft image), then signed text and image.
THINKING_REPLY: dict[str, Any] = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "**Composing the scene**", "thought": True},
                    {"inlineData": {"mimeType": "image/png", "data": "ZHJhZnQ="}, "thought": True},
                    {"text": "Here is your image", "thoughtSignature": "c2lnMQ=="},
                    {
                        "inlineData": {"mimeType": "image/png", "data": PNG_B64},
                        "thoughtSignature": "c2lnMg==",
                    },
                ],
            },
            "finishReason": "STOP",
            "index": 0,
            "groundingMetadata": {"webSearchQueries": ["cats"]},
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 10,
        "candidatesTokenCount": 1300,
        "thoughtsTokenCount": 90,
        "totalTokenCount": 1400,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}],
        "candidatesTokensDetails": [
            {"modality": "IMAGE", "tokenCount": 1290},
            {"modality": "TEXT", "tokenCount": 10},
        ],
        "trafficType": "ON_DEMAND",
    },
    "modelVersion": "gemini-3-pro-image-preview",
    "responseId": "KStzabiTDuClqtsP9KiFkQE",
    "createTime": "2026-07-11T15:14:35.409613Z",
}


def test_parse_final_image_skips_the_thought_draft() -> None:
    parsed = gemini_response.parse_generate_content_response(THINKING_REPLY)
    (image,) = parsed.images
    assert (image.data, image.b64, image.mime_type) == (PNG, PNG_B64, "image/png")
    assert image.thought_signature == "c2lnMg=="
    assert image.candidate_index == 0
    assert parsed.thought_images == 1
    assert parsed.text == "Here is your image"
    assert parsed.thought_text == "**Composing the scene**"
    assert parsed.blocks == ()


def test_parse_keeps_response_metadata() -> None:
    parsed = gemini_response.parse_generate_content_response(THINKING_REPLY)
    assert parsed.finish_reason == "STOP"
    assert parsed.model_version == "gemini-3-pro-image-preview"
    assert parsed.response_id == "KStzabiTDuClqtsP9KiFkQE"
    assert parsed.grounding == {"webSearchQueries": ["cats"]}


def test_parse_usage_in_snake_case_with_details() -> None:
    assert gemini_response.parse_generate_content_response(THINKING_REPLY).usage == {
        "prompt_token_count": 10,
        "candidates_token_count": 1300,
        "thoughts_token_count": 90,
        "total_token_count": 1400,
        "prompt_tokens_details": [{"modality": "TEXT", "token_count": 10}],
        "candidates_tokens_details": [
            {"modality": "IMAGE", "token_count": 1290},
            {"modality": "TEXT", "token_count": 10},
        ],
        "traffic_type": "ON_DEMAND",
    }


def test_model_content_is_the_candidate_content_exactly() -> None:
    parsed = gemini_response.parse_generate_content_response(THINKING_REPLY)
    assert parsed.model_content == THINKING_REPLY["candidates"][0]["content"]
    assert parsed.model_content is not THINKING_REPLY["candidates"][0]["content"]


def test_replaying_model_content_sends_the_same_parts_back() -> None:
    """WIRE.md §5.4: the second turn carries the model turn verbatim, signatures and thoughts included."""
    first_user = gemini.user_content("make a cat")
    parsed = gemini_response.parse_generate_content_response(copy.deepcopy(THINKING_REPLY))
    assert parsed.model_content is not None
    body = gemini.build_generate_content_body(
        [first_user, parsed.model_content, gemini.user_content("make it blue")]
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "make a cat"}]},
        {
            "role": "model",
            "parts": [
                {"text": "**Composing the scene**", "thought": True},
                {"inlineData": {"mimeType": "image/png", "data": "ZHJhZnQ="}, "thought": True},
                {"text": "Here is your image", "thoughtSignature": "c2lnMQ=="},
                {
                    "inlineData": {"mimeType": "image/png", "data": PNG_B64},
                    "thoughtSignature": "c2lnMg==",
                },
            ],
        },
        {"role": "user", "parts": [{"text": "make it blue"}]},
    ]


def test_model_content_keeps_snake_case_as_received_and_images_parse() -> None:
    content = {
        "role": "model",
        "parts": [
            {"inline_data": {"mime_type": "image/jpeg", "data": JPEG_B64}, "thought_signature": "c2ln"}
        ],
    }
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [{"content": content, "finish_reason": "STOP"}],
            "usage_metadata": {"total_token_count": 3},
        }
    )
    (image,) = parsed.images
    assert (image.data, image.mime_type, image.thought_signature) == (JPEG, "image/jpeg", "c2ln")
    assert parsed.model_content == content
    assert parsed.finish_reason == "STOP"
    assert parsed.usage == {"total_token_count": 3}


def test_parse_sniffs_a_missing_mime_type() -> None:
    parsed = gemini_response.parse_generate_content_response(
        {"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"data": JPEG_B64}}]}}]}
    )
    assert parsed.images[0].mime_type == "image/jpeg"


def test_parse_ignores_non_image_inline_data() -> None:
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
                            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
                        ],
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    assert [image.mime_type for image in parsed.images] == ["image/png"]


def test_parse_images_of_every_candidate_with_their_index() -> None:
    def candidate(index: int, data: str) -> dict[str, Any]:
        return {
            "content": {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png", "data": data}}]},
            "finishReason": "STOP",
            "index": index,
        }

    other = base64.b64encode(PNG + b"2").decode()
    parsed = gemini_response.parse_generate_content_response(
        {"candidates": [candidate(0, PNG_B64), candidate(1, other)]}
    )
    assert [(image.candidate_index, image.b64) for image in parsed.images] == [(0, PNG_B64), (1, other)]


def test_parse_candidate_index_defaults_to_position() -> None:
    image_part = {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}
    parsed = gemini_response.parse_generate_content_response(
        {"candidates": [{"content": {"parts": []}}, {"content": {"parts": [image_part]}}]}
    )
    assert parsed.images[0].candidate_index == 1


def test_parse_image_with_a_withholding_finish_reason_also_reports_the_block() -> None:
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [
                {
                    "content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]},
                    "finishReason": "IMAGE_SAFETY",
                }
            ]
        }
    )
    assert len(parsed.images) == 1
    assert [block.reason for block in parsed.blocks] == ["IMAGE_SAFETY"]
    assert not parsed.blocked


# ----------------------------------------------------------------------------- parse: blocks (§5.6)

BLOCKED_MESSAGE = "Unable to show the generated image. Support code: 11030041."


@pytest.mark.parametrize(
    "content",
    [None, {}, {"role": "model"}, {"parts": None}, {"role": "model", "parts": []}],
    ids=["missing", "empty", "no-parts", "parts-null", "parts-empty"],
)
@pytest.mark.parametrize(
    "reason",
    [
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_OTHER",
        "IMAGE_RECITATION",
        "NO_IMAGE",
        "SAFETY",
        "RECITATION",
        "PROHIBITED_CONTENT",
        "MAX_TOKENS",
        "IMAGE_SOMETHING_NEW",
    ],
)
def test_every_blocked_shape_gives_a_block_with_the_finish_reason(
    content: dict[str, Any] | None, reason: str
) -> None:
    candidate: dict[str, Any] = {"finishReason": reason, "index": 0}
    if content is not None:
        candidate["content"] = content
    plain = gemini_response.parse_generate_content_response({"candidates": [candidate]})
    assert plain.images == ()
    assert plain.blocked
    (block,) = plain.blocks
    assert block.reason == reason
    assert block.message  # ours: the service sent no finishMessage
    assert plain.finish_reason == reason
    assert plain.model_content == content

    with_message = gemini_response.parse_generate_content_response(
        {"candidates": [{**candidate, "finishMessage": BLOCKED_MESSAGE}]}
    )
    assert with_message.blocks == (Block(reason, BLOCKED_MESSAGE),)
    assert with_message.finish_message == BLOCKED_MESSAGE


def test_our_messages_explain_known_reasons() -> None:
    def message(reason: str) -> str:
        parsed = gemini_response.parse_generate_content_response({"candidates": [{"finishReason": reason}]})
        return parsed.blocks[0].message

    assert "safety filter" in message("IMAGE_SAFETY")
    assert "Ask explicitly for an image" in message("NO_IMAGE")
    assert "WEIRD_REASON" in message("WEIRD_REASON")


def test_the_captured_image_prohibited_content_response() -> None:
    """WIRE.md §5.6, first example (Vertex, captured verbatim)."""
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [
                {
                    "content": {"role": "model"},
                    "finishMessage": BLOCKED_MESSAGE,
                    "finishReason": "IMAGE_PROHIBITED_CONTENT",
                }
            ],
            "createTime": "2026-07-11T15:14:35.409613Z",
            "modelVersion": "gemini-3.1-flash-image",
            "responseId": "211Sao2AGf-HoLAP_svcmA4",
            "usageMetadata": {"promptTokenCount": 2658, "totalTokenCount": 2658},
        }
    )
    assert parsed.blocks == (Block("IMAGE_PROHIBITED_CONTENT", BLOCKED_MESSAGE),)
    assert parsed.usage == {"prompt_token_count": 2658, "total_token_count": 2658}
    assert parsed.model_content == {"role": "model"}


@pytest.mark.parametrize("candidates", [None, []])
def test_prompt_block_without_candidates(candidates: list[Any] | None) -> None:
    body: dict[str, Any] = {"promptFeedback": {"blockReason": "IMAGE_SAFETY", "safetyRatings": []}}
    if candidates is not None:
        body["candidates"] = candidates
    parsed = gemini_response.parse_generate_content_response(body)
    (block,) = parsed.blocks
    assert (block.reason, block.detail) == ("PROMPT_BLOCKED", "IMAGE_SAFETY")
    assert "IMAGE_SAFETY" in block.message
    assert parsed.model_content is None


def test_prompt_block_keeps_the_services_message() -> None:
    parsed = gemini_response.parse_generate_content_response(
        {"promptFeedback": {"blockReason": "MODEL_ARMOR", "blockReasonMessage": "Blocked by policy"}}
    )
    assert parsed.blocks == (Block("PROMPT_BLOCKED", "Blocked by policy", detail="MODEL_ARMOR"),)


def test_text_only_reply_is_a_text_only_block_with_the_text_clipped() -> None:
    long_text = "Which cat would you like? " * 20
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": long_text}]},
                    "finishReason": "STOP",
                }
            ]
        }
    )
    (block,) = parsed.blocks
    assert block.reason == "TEXT_ONLY"
    assert block.message.startswith("Which cat would you like?")
    assert len(block.message) <= 200
    assert parsed.text == long_text


def test_thought_text_alone_is_not_a_text_only_reply() -> None:
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [
                {"content": {"parts": [{"text": "thinking", "thought": True}]}, "finishReason": "STOP"}
            ]
        }
    )
    assert parsed.blocks == ()
    assert parsed.thought_text == "thinking"


def test_unknown_keys_are_ignored() -> None:
    parsed = gemini_response.parse_generate_content_response(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}, "mediaResolution": {}}
                        ],
                        "future": 1,
                    },
                    "avgLogprobs": -0.1,
                    "finishReason": "STOP",
                }
            ],
            "modelStatus": {"x": 1},
        }
    )
    assert len(parsed.images) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "not a JSON object"),
        ({}, "not a GenerateContentResponse"),
        ({"this": [1]}, "top-level keys: this"),
        ({"error": {"code": 499, "message": "cancelled"}}, "cancelled"),
        ({"candidates": {"a": 1}}, "not a list"),
        ({"candidates": ["x"]}, "not a JSON object"),
        ({"candidates": [{"content": "x"}]}, "content that is not a JSON object"),
        ({"candidates": [{"content": {"invalid-field": True}}]}, "neither role nor parts"),
        ({"candidates": [{"content": {"parts": {"text": "x"}}}]}, "parts that are not a list"),
        ({"candidates": [{"content": {"parts": ["x"]}}]}, "parts that are not a list"),
        ({"candidates": [{"content": {"parts": [{"inlineData": "x"}]}}]}, "inlineData"),
        ({"candidates": [{"content": {"parts": [{"inlineData": {"data": "%%%"}}]}}]}, "not valid base64"),
    ],
)
def test_malformed_bodies_raise_response_format_error(body: Any, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        gemini_response.parse_generate_content_response(body)


def test_snake_keys_converts_nested_objects_only() -> None:
    assert gemini_response.snake_keys({"aB": [{"cDe": "fGh"}], "x": 1}) == {"a_b": [{"c_de": "fGh"}], "x": 1}
