"""Gemini ``generateContent`` bodies (both dialects, exact dicts) and response parsing (WIRE.md §5)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from vertex_image.base.errors import InvalidRequest, ResponseFormatError
from vertex_image.base.values import Block, ImageInput
from vertex_image.wire import gemini

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x02" * 16
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()
HELLO = [{"role": "user", "parts": [{"text": "make a cat"}]}]


def config(dialect: str = "vertex", **options: Any) -> dict[str, Any]:
    """The ``generationConfig`` of a body for "make a cat"."""
    return gemini.build_generate_content_body(HELLO, dialect=dialect, **options)["generationConfig"]


# ----------------------------------------------------------------------------- user_content


def test_user_content_is_text_then_inline_images_in_camel_case() -> None:
    assert gemini.user_content("make it blue", [ImageInput(PNG), ImageInput(JPEG, "image/jpeg")]) == {
        "role": "user",
        "parts": [
            {"text": "make it blue"},
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
            {"inlineData": {"mimeType": "image/jpeg", "data": JPEG_B64}},
        ],
    }


def test_user_content_sends_a_replayed_image_with_its_exact_base64_string() -> None:
    url_safe = "_9j_4AAQ"  # how the string arrived; re-encoding would give "/9j/4AAQ"
    content = gemini.user_content(
        "again", [ImageInput(b"\xff\xd8\xff\xe0\x00\x10", "image/jpeg", b64=url_safe)]
    )
    assert content["parts"][1] == {"inlineData": {"mimeType": "image/jpeg", "data": url_safe}}


def test_user_content_uses_file_data_for_uri_inputs() -> None:
    content = gemini.user_content("", [ImageInput(mime_type="image/jpeg", uri="gs://b/c.jpg")])
    assert content == {
        "role": "user",
        "parts": [{"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://b/c.jpg"}}],
    }


def test_user_content_needs_text_or_an_image() -> None:
    with pytest.raises(InvalidRequest, match="prompt or at least one image"):
        gemini.user_content("")
    with pytest.raises(InvalidRequest, match="input image is empty"):
        gemini.user_content("x", [ImageInput()])


# ----------------------------------------------------------------------------- body


@pytest.mark.parametrize("dialect", ["vertex", "gemini-api"])
def test_body_defaults_ask_for_text_and_image(dialect: str) -> None:
    assert gemini.build_generate_content_body(HELLO, dialect=dialect) == {
        "contents": HELLO,
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    }


@pytest.mark.parametrize("dialect", ["vertex", "gemini-api"])
@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("temperature", 1, {"temperature": 1.0}),
        ("candidate_count", 2, {"candidateCount": 2}),
        ("seed", 7, {"seed": 7}),
        ("response_modalities", ["image"], {"responseModalities": ["IMAGE"]}),
        ("response_modalities", "Image", {"responseModalities": ["IMAGE"]}),
        ("include_thoughts", True, {"thinkingConfig": {"includeThoughts": True}}),
        ("include_thoughts", False, {"thinkingConfig": {"includeThoughts": False}}),
        ("aspect_ratio", "16:9", {"imageConfig": {"aspectRatio": "16:9"}}),
        ("image_size", "2K", {"imageConfig": {"imageSize": "2K"}}),
        ("image_size", "1k", {"imageConfig": {"imageSize": "1K"}}),
        ("image_size", "4k", {"imageConfig": {"imageSize": "4K"}}),
        ("image_size", "512", {"imageConfig": {"imageSize": "512"}}),
        # the 512 tier's wire string is "512" (Vertex 3.1 Flash Image model page, Gemini API ImageConfig)
        ("image_size", "0.5K", {"imageConfig": {"imageSize": "512"}}),
        ("image_size", "512px", {"imageConfig": {"imageSize": "512"}}),
        ("image_size", 512, {"imageConfig": {"imageSize": "512"}}),
    ],
)
def test_generation_config_options_in_both_dialects(
    dialect: str, option: str, value: Any, expected: dict[str, Any]
) -> None:
    want = {"responseModalities": ["TEXT", "IMAGE"], **expected}
    assert config(dialect, **{option: value}) == want


def test_no_modalities_and_nothing_else_leaves_out_generation_config() -> None:
    body = gemini.build_generate_content_body(HELLO, response_modalities=None)
    assert body == {"contents": HELLO}


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("person_generation", "allow_adult", {"personGeneration": "ALLOW_ADULT"}),
        ("person_generation", "ALLOW_NONE", {"personGeneration": "ALLOW_NONE"}),
        ("person_generation", "dont_allow", {"personGeneration": "ALLOW_NONE"}),
        ("output_mime_type", "image/jpeg", {"imageOutputOptions": {"mimeType": "image/jpeg"}}),
    ],
)
def test_vertex_only_image_config(option: str, value: Any, expected: dict[str, Any]) -> None:
    assert config(**{option: value})["imageConfig"] == expected


@pytest.mark.parametrize(
    ("option", "value", "name"),
    [
        ("labels", {"k": "v"}, "labels"),
        ("person_generation", "ALLOW_ADULT", "person_generation"),
        ("output_mime_type", "image/jpeg", "output_mime_type"),
        ("compression_quality", 80, "compression_quality"),
        ("safety_settings", [{"category": "x", "threshold": "y", "method": "SEVERITY"}], "method"),
    ],
)
def test_gemini_api_refuses_vertex_only_options_by_name(option: str, value: Any, name: str) -> None:
    with pytest.raises(InvalidRequest, match=f"{name}.*Vertex AI only"):
        gemini.build_generate_content_body(HELLO, dialect="gemini-api", **{option: value})


def test_full_vertex_body_matches_the_canonical_example() -> None:
    """WIRE.md §5.1 (thinkingLevel aside: it is not an option of ours)."""
    contents = [
        gemini.user_content(
            "make a cat",
            [ImageInput(PNG), ImageInput(mime_type="image/jpeg", uri="gs://b/c.jpg")],
        )
    ]
    body = gemini.build_generate_content_body(
        contents,
        system_instruction="be nice",
        safety_settings=[("dangerous_content", "block_only_high")],
        google_search=True,
        temperature=1.0,
        candidate_count=1,
        seed=7,
        response_modalities=("TEXT", "IMAGE"),
        include_thoughts=True,
        aspect_ratio="16:9",
        image_size="2K",
        labels={"k": "v"},
    )
    assert body == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "make a cat"},
                    {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://b/c.jpg"}},
                ],
            }
        ],
        "systemInstruction": {"role": "user", "parts": [{"text": "be nice"}]},
        "safetySettings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_ONLY_HIGH"}],
        "tools": [{"googleSearch": {}}],
        "generationConfig": {
            "temperature": 1.0,
            "candidateCount": 1,
            "seed": 7,
            "responseModalities": ["TEXT", "IMAGE"],
            "thinkingConfig": {"includeThoughts": True},
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
        },
        "labels": {"k": "v"},
    }


def test_full_vertex_image_config() -> None:
    assert config(
        aspect_ratio="3:4",
        image_size="4K",
        person_generation="ALLOW_ALL",
        output_mime_type="jpeg",
        compression_quality=75,
    )["imageConfig"] == {
        "aspectRatio": "3:4",
        "imageSize": "4K",
        "personGeneration": "ALLOW_ALL",
        "imageOutputOptions": {"mimeType": "image/jpeg", "compressionQuality": 75},
    }


def test_full_gemini_api_body() -> None:
    body = gemini.build_generate_content_body(
        HELLO,
        dialect="gemini-api",
        response_modalities=["IMAGE"],
        aspect_ratio="1:1",
        image_size="1K",
        google_search=True,
        safety_settings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "off"}],
    )
    assert body == {
        "contents": HELLO,
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}],
        "tools": [{"googleSearch": {}}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"aspectRatio": "1:1", "imageSize": "1K"},
        },
    }


def test_safety_settings_keep_method_on_vertex() -> None:
    body = gemini.build_generate_content_body(
        HELLO,
        safety_settings=[
            {"category": "harm_category_image_hate", "threshold": "block_none", "method": "severity"}
        ],
    )
    assert body["safetySettings"] == [
        {"category": "HARM_CATEGORY_IMAGE_HATE", "threshold": "BLOCK_NONE", "method": "SEVERITY"}
    ]


@pytest.mark.parametrize("setting", [("HATE_SPEECH",), {"category": "HATE_SPEECH"}, "HATE_SPEECH", ("a", "")])
def test_malformed_safety_setting_is_refused(setting: Any) -> None:
    with pytest.raises(InvalidRequest, match="Safety setting"):
        gemini.build_generate_content_body(HELLO, safety_settings=[setting])


def test_system_instruction_as_a_content_dict_goes_out_unchanged() -> None:
    instruction = {"role": "user", "parts": [{"text": "draw in ink"}]}
    body = gemini.build_generate_content_body(HELLO, system_instruction=instruction)
    assert body["systemInstruction"] == instruction


@pytest.mark.parametrize(
    "contents",
    [[], "make a cat", [{"role": "system", "parts": []}], [{"parts": [{"text": "x"}]}], ["x"]],
)
def test_contents_must_be_user_and_model_turns(contents: Any) -> None:
    with pytest.raises(InvalidRequest, match="contents|Turn 0"):
        gemini.build_generate_content_body(contents)


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="dialect"):
        gemini.build_generate_content_body(HELLO, dialect="openai")


def test_building_a_body_does_not_change_the_callers_contents() -> None:
    contents = [gemini.user_content("x", [ImageInput(PNG)])]
    snapshot = copy.deepcopy(contents)
    gemini.build_generate_content_body(contents, aspect_ratio="1:1")
    assert contents == snapshot


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
    parsed = gemini.parse_generate_content_response(THINKING_REPLY)
    (image,) = parsed.images
    assert (image.data, image.b64, image.mime_type) == (PNG, PNG_B64, "image/png")
    assert image.thought_signature == "c2lnMg=="
    assert image.candidate_index == 0
    assert parsed.thought_images == 1
    assert parsed.text == "Here is your image"
    assert parsed.thought_text == "**Composing the scene**"
    assert parsed.blocks == ()


def test_parse_keeps_response_metadata() -> None:
    parsed = gemini.parse_generate_content_response(THINKING_REPLY)
    assert parsed.finish_reason == "STOP"
    assert parsed.model_version == "gemini-3-pro-image-preview"
    assert parsed.response_id == "KStzabiTDuClqtsP9KiFkQE"
    assert parsed.grounding == {"webSearchQueries": ["cats"]}


def test_parse_usage_in_snake_case_with_details() -> None:
    assert gemini.parse_generate_content_response(THINKING_REPLY).usage == {
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
    parsed = gemini.parse_generate_content_response(THINKING_REPLY)
    assert parsed.model_content == THINKING_REPLY["candidates"][0]["content"]
    assert parsed.model_content is not THINKING_REPLY["candidates"][0]["content"]


def test_replaying_model_content_sends_the_same_parts_back() -> None:
    """WIRE.md §5.4: the second turn carries the model turn verbatim, signatures and thoughts included."""
    first_user = gemini.user_content("make a cat")
    parsed = gemini.parse_generate_content_response(copy.deepcopy(THINKING_REPLY))
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
    parsed = gemini.parse_generate_content_response(
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
    parsed = gemini.parse_generate_content_response(
        {"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"data": JPEG_B64}}]}}]}
    )
    assert parsed.images[0].mime_type == "image/jpeg"


def test_parse_ignores_non_image_inline_data() -> None:
    parsed = gemini.parse_generate_content_response(
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
    parsed = gemini.parse_generate_content_response(
        {"candidates": [candidate(0, PNG_B64), candidate(1, other)]}
    )
    assert [(image.candidate_index, image.b64) for image in parsed.images] == [(0, PNG_B64), (1, other)]


def test_parse_candidate_index_defaults_to_position() -> None:
    image_part = {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}
    parsed = gemini.parse_generate_content_response(
        {"candidates": [{"content": {"parts": []}}, {"content": {"parts": [image_part]}}]}
    )
    assert parsed.images[0].candidate_index == 1


def test_parse_image_with_a_withholding_finish_reason_also_reports_the_block() -> None:
    parsed = gemini.parse_generate_content_response(
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
    plain = gemini.parse_generate_content_response({"candidates": [candidate]})
    assert plain.images == ()
    assert plain.blocked
    (block,) = plain.blocks
    assert block.reason == reason
    assert block.message  # ours: the service sent no finishMessage
    assert plain.finish_reason == reason
    assert plain.model_content == content

    with_message = gemini.parse_generate_content_response(
        {"candidates": [{**candidate, "finishMessage": BLOCKED_MESSAGE}]}
    )
    assert with_message.blocks == (Block(reason, BLOCKED_MESSAGE),)
    assert with_message.finish_message == BLOCKED_MESSAGE


def test_our_messages_explain_known_reasons() -> None:
    def message(reason: str) -> str:
        parsed = gemini.parse_generate_content_response({"candidates": [{"finishReason": reason}]})
        return parsed.blocks[0].message

    assert "safety filter" in message("IMAGE_SAFETY")
    assert "Ask explicitly for an image" in message("NO_IMAGE")
    assert "WEIRD_REASON" in message("WEIRD_REASON")


def test_the_captured_image_prohibited_content_response() -> None:
    """WIRE.md §5.6, first example (Vertex, captured verbatim)."""
    parsed = gemini.parse_generate_content_response(
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
    parsed = gemini.parse_generate_content_response(body)
    (block,) = parsed.blocks
    assert (block.reason, block.detail) == ("PROMPT_BLOCKED", "IMAGE_SAFETY")
    assert "IMAGE_SAFETY" in block.message
    assert parsed.model_content is None


def test_prompt_block_keeps_the_services_message() -> None:
    parsed = gemini.parse_generate_content_response(
        {"promptFeedback": {"blockReason": "MODEL_ARMOR", "blockReasonMessage": "Blocked by policy"}}
    )
    assert parsed.blocks == (Block("PROMPT_BLOCKED", "Blocked by policy", detail="MODEL_ARMOR"),)


def test_text_only_reply_is_a_text_only_block_with_the_text_clipped() -> None:
    long_text = "Which cat would you like? " * 20
    parsed = gemini.parse_generate_content_response(
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
    parsed = gemini.parse_generate_content_response(
        {
            "candidates": [
                {"content": {"parts": [{"text": "thinking", "thought": True}]}, "finishReason": "STOP"}
            ]
        }
    )
    assert parsed.blocks == ()
    assert parsed.thought_text == "thinking"


def test_unknown_keys_are_ignored() -> None:
    parsed = gemini.parse_generate_content_response(
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
        gemini.parse_generate_content_response(body)


def test_snake_keys_converts_nested_objects_only() -> None:
    assert gemini.snake_keys({"aB": [{"cDe": "fGh"}], "x": 1}) == {"a_b": [{"c_de": "fGh"}], "x": 1}


# ----------------------------------------------------------------------------- values refused before sending


def _refused_body(**options: Any) -> str:
    with pytest.raises(InvalidRequest) as caught:
        gemini.build_generate_content_body(HELLO, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("value", ["x", "1.0", float("nan"), float("inf"), -0.1, 2.01, True, [1.0]])
def test_temperature_outside_the_documented_range_or_not_a_number_is_refused(value: Any) -> None:
    assert "temperature must be a number from 0 to 2" in _refused_body(temperature=value)


@pytest.mark.parametrize("value", [0, 0.0, 1, 2.0])
def test_temperature_at_the_ends_of_the_range_is_sent(value: Any) -> None:
    assert config(temperature=value)["temperature"] == float(value)


@pytest.mark.parametrize("dialect", ["vertex", "gemini-api"])
@pytest.mark.parametrize(
    "value",
    [
        5,
        "HARASSMENT",
        {"category": "HARASSMENT", "threshold": "BLOCK_NONE"},  # one dict, not a list of them
        [{"category": "HARASSMENT", "threshold": "BLOCK_NONE", "level": "x"}],
        [("HARASSMENT", 3)],
        [(1, 2)],
        [{"category": "HARASSMENT", "threshold": "BLOCK_NONE", "method": 7}],
        [None],
    ],
)
def test_safety_settings_of_another_shape_are_refused_listing_the_accepted_ones(dialect: str, value: Any) -> None:
    message = _refused_body(dialect=dialect, safety_settings=value)
    assert "safety_settings takes a list of" in message and "(category, threshold) pairs" in message


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"labels": {"team": 5}}, "labels must be a dict of text to text"),
        ({"labels": {5: "x"}}, "labels must be a dict of text to text"),
        ({"labels": "team=art"}, "labels must be a dict of text to text"),
        ({"labels": [("team", "art")]}, "labels must be a dict of text to text"),
        ({"compression_quality": 80}, "applies to JPEG output only"),
        ({"output_mime_type": "png", "compression_quality": 80}, "applies to JPEG output only"),
        ({"output_mime_type": "jpeg", "compression_quality": 80.5}, "whole number between 0 and 100"),
        ({"output_mime_type": "jpeg", "compression_quality": "80"}, "whole number between 0 and 100"),
        ({"output_mime_type": 5}, "output_mime_type must be text"),
        ({"person_generation": 1}, "person_generation must be text"),
        ({"system_instruction": 5}, "system_instruction must be text"),
        ({"candidate_count": "2"}, "candidate_count must be a whole number"),
    ],
)
def test_other_bad_values_are_refused_by_name(options: dict[str, Any], says: str) -> None:
    assert says in _refused_body(**options)


@pytest.mark.parametrize("text", [None, 5, b"a cat"])
def test_a_user_turn_whose_text_is_not_a_str_is_refused(text: Any) -> None:
    with pytest.raises(InvalidRequest, match="prompt must be text"):
        gemini.user_content(text, [ImageInput(PNG)])


def test_inline_blobs_reads_either_spelling_and_yields_the_objects_themselves() -> None:
    content = {
        "role": "model",
        "parts": [
            {"text": "here"},
            {"inlineData": {"mimeType": "image/png", "data": "AAAA"}, "thoughtSignature": "sig"},
            {"inline_data": {"mime_type": "image/jpeg", "data": "BBBB"}},
            {"inlineData": "not an object"},
        ],
    }
    blobs = list(gemini.inline_blobs(content))
    assert [blob["data"] for blob in blobs] == ["AAAA", "BBBB"]
    assert [gemini.blob_mime_type(blob) for blob in blobs] == ["image/png", "image/jpeg"]
    assert gemini.blob_mime_type({"data": "x"}) == ""
    blobs[0]["data"] = "CCCC"
    assert content["parts"][1]["inlineData"]["data"] == "CCCC"
    assert list(gemini.inline_blobs({"role": "user"})) == []
