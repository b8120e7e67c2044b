"""Gemini ``generateContent`` bodies, both dialects, as exact dicts (WIRE.md §5.1, §5.2); parsing is in test_gemini_response.py."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.values import ImageInput
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
