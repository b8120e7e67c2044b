"""Imagen ``:predict`` bodies (exact dicts, WIRE.md §3.1, §4) and prediction parsing (§3.2)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from vertex_image.base.errors import InvalidRequest, ResponseFormatError
from vertex_image.base.values import Block, ImageInput
from vertex_image.wire import imagen

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()


def params(**options: Any) -> dict[str, Any]:
    """The ``parameters`` of a generate body for "a cat"."""
    return imagen.build_generate_body("a cat", **options)["parameters"]


# ----------------------------------------------------------------------------- generate


def test_generate_defaults_send_only_the_prompt_and_rai_reason() -> None:
    assert imagen.build_generate_body("a cat") == {
        "instances": [{"prompt": "a cat"}],
        "parameters": {"includeRaiReason": True},
    }


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("n", 3, {"sampleCount": 3}),
        ("aspect_ratio", "16:9", {"aspectRatio": "16:9"}),
        ("image_size", "2K", {"sampleImageSize": "2K"}),
        ("image_size", "1k", {"sampleImageSize": "1K"}),
        ("negative_prompt", "dogs", {"negativePrompt": "dogs"}),
        ("add_watermark", True, {"addWatermark": True}),
        ("add_watermark", False, {"addWatermark": False}),
        ("enhance_prompt", True, {"enhancePrompt": True}),
        ("enhance_prompt", False, {"enhancePrompt": False}),
        ("guidance_scale", 7.5, {"guidanceScale": 7.5}),
        ("safety_setting", "block_only_high", {"safetySetting": "BLOCK_ONLY_HIGH"}),
        ("safety_setting", "BLOCK_LOW_AND_ABOVE", {"safetySetting": "BLOCK_LOW_AND_ABOVE"}),
        ("person_generation", "allow_adult", {"personGeneration": "ALLOW_ADULT"}),
        ("person_generation", "DONT_ALLOW", {"personGeneration": "DONT_ALLOW"}),
        ("person_generation", "allow_none", {"personGeneration": "DONT_ALLOW"}),
        ("include_safety_attributes", True, {"includeSafetyAttributes": True}),
        ("language", "ja", {"language": "ja"}),
        ("output_mime_type", "image/jpeg", {"outputOptions": {"mimeType": "image/jpeg"}}),
        ("output_mime_type", "png", {"outputOptions": {"mimeType": "image/png"}}),
        ("storage_uri", "gs://bucket/out", {"storageUri": "gs://bucket/out"}),
    ],
)
def test_generate_sends_each_option_under_its_wire_name(
    option: str, value: Any, expected: dict[str, Any]
) -> None:
    assert params(**{option: value}) == {"includeRaiReason": True, **expected}


def test_include_rai_reason_can_be_turned_off_or_left_out() -> None:
    assert params(include_rai_reason=False) == {"includeRaiReason": False}
    assert params(include_rai_reason=None) == {}


def test_include_safety_attributes_false_is_the_service_default_and_is_not_sent() -> None:
    assert "includeSafetyAttributes" not in params(include_safety_attributes=False)


def test_labels_go_at_the_top_level_beside_parameters() -> None:
    body = imagen.build_generate_body("a cat", labels={"team": "art"})
    assert body["labels"] == {"team": "art"}
    assert "labels" not in body["parameters"]


def test_seed_without_watermark_choice_turns_the_watermark_off() -> None:
    assert params(seed=42) == {"seed": 42, "addWatermark": False, "includeRaiReason": True}


def test_seed_with_watermark_off_is_sent_as_is() -> None:
    assert params(seed=0, add_watermark=False) == {
        "seed": 0,
        "addWatermark": False,
        "includeRaiReason": True,
    }


def test_seed_with_watermark_on_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidRequest, match="seed while the SynthID watermark is on"):
        imagen.build_generate_body("a cat", seed=1, add_watermark=True)


def test_generate_with_every_option_matches_the_recorded_sdk_request() -> None:
    """WIRE.md §3.1 "Recorded SDK request (Vertex, all fields)"."""
    body = imagen.build_generate_body(
        "a cat",
        storage_uri="gs://bucket/out",
        negative_prompt="dogs",
        n=2,
        aspect_ratio="16:9",
        guidance_scale=7.5,
        seed=42,
        safety_setting="block_only_high",
        person_generation="allow_adult",
        include_safety_attributes=True,
        include_rai_reason=True,
        language="en",
        output_mime_type="image/jpeg",
        compression_quality=80,
        add_watermark=False,
        image_size="2K",
        enhance_prompt=True,
        labels={"k": "v"},
    )
    assert body == {
        "instances": [{"prompt": "a cat"}],
        "parameters": {
            "storageUri": "gs://bucket/out",
            "negativePrompt": "dogs",
            "sampleCount": 2,
            "aspectRatio": "16:9",
            "guidanceScale": 7.5,
            "seed": 42,
            "safetySetting": "BLOCK_ONLY_HIGH",
            "personGeneration": "ALLOW_ADULT",
            "includeSafetyAttributes": True,
            "includeRaiReason": True,
            "language": "en",
            "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 80},
            "addWatermark": False,
            "sampleImageSize": "2K",
            "enhancePrompt": True,
        },
        "labels": {"k": "v"},
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n": 0}, "n must be a whole number"),
        ({"n": True}, "n must be a whole number"),
        ({"compression_quality": 101}, "between 0 and 100"),
        ({"output_mime_type": "image/png", "compression_quality": 50}, "JPEG output only"),
        ({"output_mime_type": "image/gif"}, "use 'image/png' or 'image/jpeg'"),
        ({"storage_uri": "s3://bucket"}, "gs://bucket/path"),
    ],
)
def test_generate_refuses_values_the_service_cannot_take(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        imagen.build_generate_body("a cat", **options)


# ----------------------------------------------------------------------------- edit


def test_edit_sends_raw_references_numbered_from_one() -> None:
    body = imagen.build_edit_body(
        "in glowing style [1] beside [2]",
        images=[ImageInput(PNG), ImageInput(JPEG, "image/jpeg")],
        mode="default",
    )
    assert body == {
        "instances": [
            {
                "prompt": "in glowing style [1] beside [2]",
                "referenceImages": [
                    {
                        "referenceType": "REFERENCE_TYPE_RAW",
                        "referenceId": 1,
                        "referenceImage": {"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"},
                    },
                    {
                        "referenceType": "REFERENCE_TYPE_RAW",
                        "referenceId": 2,
                        "referenceImage": {
                            "bytesBase64Encoded": JPEG_B64,
                            "mimeType": "image/jpeg",
                        },
                    },
                ],
            }
        ],
        "parameters": {"editMode": "EDIT_MODE_DEFAULT", "includeRaiReason": True},
    }


def test_edit_with_a_computed_mask_matches_the_recorded_sdk_request() -> None:
    """WIRE.md §4.1 request shape."""
    body = imagen.build_edit_body(
        "Sunlight",
        images=[ImageInput(PNG)],
        mode="inpaint-insert",
        mask_mode="background",
        mask_dilation=0.06,
        base_steps=32,
        n=1,
        negative_prompt="human",
        guidance_scale=15.0,
        safety_setting="BLOCK_MEDIUM_AND_ABOVE",
        person_generation="DONT_ALLOW",
        include_rai_reason=True,
        output_mime_type="image/jpeg",
        compression_quality=80,
        add_watermark=False,
        labels={"a": "b"},
    )
    assert body == {
        "instances": [
            {
                "prompt": "Sunlight",
                "referenceImages": [
                    {
                        "referenceType": "REFERENCE_TYPE_RAW",
                        "referenceId": 1,
                        "referenceImage": {"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"},
                    },
                    {
                        "referenceType": "REFERENCE_TYPE_MASK",
                        "referenceId": 2,
                        "maskImageConfig": {"maskMode": "MASK_MODE_BACKGROUND", "dilation": 0.06},
                    },
                ],
            }
        ],
        "parameters": {
            "editMode": "EDIT_MODE_INPAINT_INSERTION",
            "editConfig": {"baseSteps": 32},
            "sampleCount": 1,
            "negativePrompt": "human",
            "guidanceScale": 15.0,
            "safetySetting": "BLOCK_MEDIUM_AND_ABOVE",
            "personGeneration": "DONT_ALLOW",
            "includeRaiReason": True,
            "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 80},
            "addWatermark": False,
        },
        "labels": {"a": "b"},
    }


def test_edit_with_a_mask_image_sends_it_as_user_provided() -> None:
    mask = ImageInput(PNG, b64="bWFzaw==")
    references = imagen.build_edit_body(
        "remove it", images=[ImageInput(JPEG, "image/jpeg")], mask=mask, mode="inpaint-remove"
    )["instances"][0]["referenceImages"]
    assert references[1] == {
        "referenceType": "REFERENCE_TYPE_MASK",
        "referenceId": 2,
        "referenceImage": {"bytesBase64Encoded": "bWFzaw==", "mimeType": "image/png"},
        "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED"},
    }


def test_edit_semantic_mask_sends_its_classes() -> None:
    references = imagen.build_edit_body(
        "recolour the car",
        images=[ImageInput(PNG)],
        mode="inpaint-insert",
        mask_mode="MASK_MODE_SEMANTIC",
        mask_classes=[175],
    )["instances"][0]["referenceImages"]
    assert references[1]["maskImageConfig"] == {
        "maskMode": "MASK_MODE_SEMANTIC",
        "maskClasses": [175],
    }


def test_edit_reads_gcs_inputs_by_uri() -> None:
    body = imagen.build_edit_body("x", images=[ImageInput(uri="gs://b/in.png")])
    assert body["instances"][0]["referenceImages"][0]["referenceImage"] == {"gcsUri": "gs://b/in.png"}


@pytest.mark.parametrize(
    ("mode", "wire"),
    [
        ("inpaint-insert", "EDIT_MODE_INPAINT_INSERTION"),
        ("inpaint-remove", "EDIT_MODE_INPAINT_REMOVAL"),
        ("outpaint", "EDIT_MODE_OUTPAINT"),
        ("bgswap", "EDIT_MODE_BGSWAP"),
        ("default", "EDIT_MODE_DEFAULT"),
        ("style", "EDIT_MODE_STYLE"),
        ("controlled", "EDIT_MODE_CONTROLLED_EDITING"),
        ("product-image", "EDIT_MODE_PRODUCT_IMAGE"),
        ("EDIT_MODE_BGSWAP", "EDIT_MODE_BGSWAP"),
        ("edit_mode_inpaint_insertion", "EDIT_MODE_INPAINT_INSERTION"),
        ("inpaint_insertion", "EDIT_MODE_INPAINT_INSERTION"),
        ("Product_Image", "EDIT_MODE_PRODUCT_IMAGE"),
    ],
)
def test_edit_mode_accepts_short_and_full_names(mode: str, wire: str) -> None:
    assert imagen.edit_mode_value(mode) == wire


def test_edit_mode_unknown_lists_the_choices() -> None:
    with pytest.raises(InvalidRequest, match="'inpaint-insert'"):
        imagen.edit_mode_value("inpaint")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"images": []}, "at least one input image"),
        ({"images": [ImageInput(PNG)], "mode": "inpaint-insert"}, "needs a mask"),
        ({"images": [ImageInput(PNG)], "mode": "bgswap"}, "needs a mask"),
        ({"images": [ImageInput(PNG)], "mask_dilation": 0.1}, "also pass mask= or mask_mode="),
        (
            {"images": [ImageInput(PNG)], "mask": ImageInput(PNG), "mask_mode": "background"},
            "pass one or the other",
        ),
        ({"images": [ImageInput(PNG)], "mask_mode": "user-provided"}, "needs the mask image"),
        ({"images": [ImageInput(PNG)], "mask_mode": "background", "mask_dilation": 2}, "between 0 and 1"),
        ({"images": [ImageInput(PNG)], "mask_mode": "background", "mask_classes": [1]}, "semantic"),
        ({"images": [ImageInput(uri="https://x/y.png")]}, "gs:// URI"),
        ({"images": [ImageInput(b"")]}, "input image is empty"),
        ({"images": [ImageInput(PNG)], "base_steps": 0}, "base_steps"),
        ({"images": [ImageInput(PNG)], "seed": 3, "add_watermark": True}, "watermark"),
    ],
)
def test_edit_refuses_inconsistent_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        imagen.build_edit_body("x", **options)


def test_edit_seed_turns_the_watermark_off() -> None:
    parameters = imagen.build_edit_body("x", images=[ImageInput(PNG)], seed=5)["parameters"]
    assert (parameters["seed"], parameters["addWatermark"]) == (5, False)


# ----------------------------------------------------------------------------- upscale


def test_upscale_matches_the_recorded_sdk_request() -> None:
    """WIRE.md §4.2."""
    body = imagen.build_upscale_body(
        ImageInput(PNG),
        factor="x4",
        enhance_input_image=True,
        image_preservation_factor=0.6,
        safety_setting="block_only_high",
        person_generation="allow_adult",
        output_mime_type="image/jpeg",
        compression_quality=90,
    )
    assert body == {
        "instances": [{"image": {"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"}}],
        "parameters": {
            "mode": "upscale",
            "sampleCount": 1,
            "upscaleConfig": {
                "upscaleFactor": "x4",
                "enhanceInputImage": True,
                "imagePreservationFactor": 0.6,
            },
            "safetySetting": "BLOCK_ONLY_HIGH",
            "personGeneration": "ALLOW_ADULT",
            "includeRaiReason": True,
            "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 90},
        },
    }


def test_upscale_default_is_x2_with_one_sample() -> None:
    assert imagen.build_upscale_body(ImageInput(PNG))["parameters"] == {
        "mode": "upscale",
        "sampleCount": 1,
        "upscaleConfig": {"upscaleFactor": "x2"},
        "includeRaiReason": True,
    }


def test_upscale_keeps_storage_and_labels() -> None:
    body = imagen.build_upscale_body(
        ImageInput(uri="gs://b/in.png"), storage_uri="gs://b/out", labels={"k": "v"}
    )
    assert body["instances"] == [{"image": {"gcsUri": "gs://b/in.png"}}]
    assert body["parameters"]["storageUri"] == "gs://b/out"
    assert body["labels"] == {"k": "v"}


@pytest.mark.parametrize(
    ("factor", "wire"), [("x2", "x2"), ("X4", "x4"), (2, "x2"), ("4x", "x4"), ("x3", "x3"), (3, "x3")]
)
def test_upscale_factor_spellings(factor: Any, wire: str) -> None:
    assert imagen.upscale_factor_value(factor) == wire


@pytest.mark.parametrize("factor", ["x5", 8, "", "big"])
def test_upscale_factor_other_than_x2_x3_x4_is_refused(factor: Any) -> None:
    with pytest.raises(InvalidRequest, match="use 'x2', 'x3' or 'x4'"):
        imagen.build_upscale_body(ImageInput(PNG), factor=factor)


# ----------------------------------------------------------------------------- parse


def test_parse_keeps_bytes_and_the_base64_string_as_received() -> None:
    parsed = imagen.parse_predict_response(
        {"predictions": [{"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"}]}
    )
    (image,) = parsed.images
    assert (image.data, image.b64, image.mime_type) == (PNG, PNG_B64, "image/png")
    assert parsed.blocks == ()


def test_parse_sniffs_the_mime_type_when_the_service_omits_it() -> None:
    parsed = imagen.parse_predict_response({"predictions": [{"bytesBase64Encoded": JPEG_B64}]})
    assert parsed.images[0].mime_type == "image/jpeg"


def test_parse_gcs_entries_have_a_uri_and_no_bytes() -> None:
    parsed = imagen.parse_predict_response({"predictions": [{"gcsUri": "gs://b/sample_0.png"}]})
    (image,) = parsed.images
    assert (image.data, image.gcs_uri, image.mime_type) == (b"", "gs://b/sample_0.png", "image/png")


def test_parse_enhanced_prompt_and_safety_attributes_per_image() -> None:
    parsed = imagen.parse_predict_response(
        {
            "predictions": [
                {
                    "bytesBase64Encoded": PNG_B64,
                    "mimeType": "image/png",
                    "prompt": "a fluffy cat on a windowsill",
                    "safetyAttributes": {"categories": ["Violence", "Animal"], "scores": [0.1, 0.9]},
                },
                {
                    "contentType": "Positive Prompt",
                    "safetyAttributes": {"categories": ["Violence"], "scores": [0.0]},
                },
            ]
        }
    )
    (image,) = parsed.images
    assert image.enhanced_prompt == "a fluffy cat on a windowsill"
    assert image.safety_attributes == {"Violence": 0.1, "Animal": 0.9}
    assert parsed.prompt_safety_attributes == {"Violence": 0.0}


def test_parse_accepts_top_level_positive_prompt_safety_attributes() -> None:
    parsed = imagen.parse_predict_response(
        {
            "predictions": [{"bytesBase64Encoded": PNG_B64}],
            "positivePromptSafetyAttributes": {"categories": ["Hate"], "scores": [0.25]},
        }
    )
    assert parsed.prompt_safety_attributes == {"Hate": 0.25}


def test_parse_filtered_reason_becomes_a_block_with_its_count() -> None:
    reason = "Your current safety filter threshold filtered out 3 generated images. Try again."
    parsed = imagen.parse_predict_response(
        {"predictions": [{"bytesBase64Encoded": PNG_B64}, {"raiFilteredReason": reason}]}
    )
    assert len(parsed.images) == 1
    assert parsed.blocks == (Block("RAI_FILTERED", reason, count=3),)
    assert not parsed.blocked


@pytest.mark.parametrize("body", [{}, {"predictions": []}, {"predictions": None}])
def test_parse_no_predictions_means_everything_was_filtered(body: dict[str, Any]) -> None:
    parsed = imagen.parse_predict_response(body)
    assert parsed.images == ()
    assert parsed.blocked
    (block,) = parsed.blocks
    assert block.reason == "RAI_FILTERED"
    assert "include_rai_reason" in block.message
    assert block.count is None


def test_parse_only_prompt_safety_entry_is_still_all_filtered() -> None:
    parsed = imagen.parse_predict_response(
        {"predictions": [{"contentType": "Positive Prompt", "safetyAttributes": {}}]}
    )
    assert [block.reason for block in parsed.blocks] == ["RAI_FILTERED"]


def test_parse_ignores_unknown_keys() -> None:
    parsed = imagen.parse_predict_response(
        {
            "predictions": [{"bytesBase64Encoded": PNG_B64, "semanticFilterResponse": {}}],
            "deployedModelId": "123",
            "modelVersionId": "1",
        }
    )
    assert len(parsed.images) == 1


def test_parse_accepts_url_safe_unpadded_base64() -> None:
    text = base64.urlsafe_b64encode(b"\xff\xd8\xff\xfe\xfb").decode().rstrip("=")
    parsed = imagen.parse_predict_response({"predictions": [{"bytesBase64Encoded": text}]})
    assert parsed.images[0].data == b"\xff\xd8\xff\xfe\xfb"
    assert parsed.images[0].b64 == text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"predictions": {"a": 1}}, "not a list"),
        ({"predictions": ["x"]}, "not a JSON object"),
        ({"predictions": [{"bytesBase64Encoded": "not base64!"}]}, "not valid base64"),
        ({"predictions": [{"bytesBase64Encoded": 12}]}, "not a base64 string"),
        ({"predictions": [{"gcsUri": 5}]}, "gcsUri"),
        (
            {"predictions": [{"bytesBase64Encoded": PNG_B64, "safetyAttributes": {"categories": "x"}}]},
            "not lists",
        ),
        ({"error": {"code": 400, "message": "bad"}}, "bad"),
    ],
)
def test_parse_malformed_shapes_raise_response_format_error(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        imagen.parse_predict_response(body)


# ----------------------------------------------------------------------------- values refused before sending


def _refused(build: Any, **options: Any) -> str:
    with pytest.raises(InvalidRequest) as caught:
        build(**options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def _generate(**options: Any) -> dict[str, Any]:
    return imagen.build_generate_body(options.pop("prompt", "a cat"), **options)


def _edit(**options: Any) -> dict[str, Any]:
    return imagen.build_edit_body(options.pop("prompt", "x"), images=[ImageInput(PNG)], **options)


@pytest.mark.parametrize(
    ("build", "options", "says"),
    [
        (_edit, {"mask_mode": "background", "mask_dilation": "x"}, "mask_dilation must be a number between 0 and 1"),
        (_edit, {"mask_mode": "background", "mask_dilation": -0.1}, "mask_dilation must be a number between 0 and 1"),
        (_edit, {"mask_mode": "background", "mask_dilation": 1.5}, "mask_dilation must be a number between 0 and 1"),
        (_edit, {"mask_mode": "background", "mask_dilation": float("nan")}, "mask_dilation must be a number"),
        (_edit, {"mask_mode": "semantic", "mask_classes": ["a"]}, "mask_classes takes a list"),
        (_edit, {"mask_mode": 3}, "mask_mode takes one of"),
        (_edit, {"mode": ["bgswap"]}, "mode takes one of"),
        (_edit, {"prompt": None}, "prompt must be text"),
        (_generate, {"guidance_scale": "high"}, "guidance_scale must be a number"),
        (_generate, {"guidance_scale": float("inf")}, "guidance_scale must be a number"),
        (_generate, {"compression_quality": 80}, "applies to JPEG output only"),
        (_generate, {"output_mime_type": "png", "compression_quality": 80}, "--format jpeg"),
        (_generate, {"output_mime_type": "jpeg", "compression_quality": -1}, "between 0 and 100"),
        (_generate, {"output_mime_type": "jpeg", "compression_quality": 75.5}, "whole number between 0 and 100"),
        (_generate, {"output_mime_type": "jpeg", "compression_quality": "80"}, "whole number between 0 and 100"),
        (_generate, {"labels": {"team": 1}}, "labels must be a dict of text to text"),
        (_generate, {"labels": ["team"]}, "labels must be a dict of text to text"),
        (_generate, {"safety_setting": 1}, "safety_setting must be text"),
        (_generate, {"person_generation": True}, "person_generation must be text"),
        (_generate, {"negative_prompt": 5}, "negative_prompt must be text"),
        (_generate, {"storage_uri": 5}, "storage_uri must be text"),
        (_generate, {"prompt": None}, "prompt must be text"),
        (_generate, {"prompt": 5}, "prompt must be text"),
        (_generate, {"prompt": "  "}, "prompt is empty"),
    ],
)
def test_bad_values_are_refused_by_name_in_one_line(build: Any, options: dict[str, Any], says: str) -> None:
    assert says in _refused(build, **options)


def test_upscale_preservation_factor_must_be_a_number_from_0_to_1() -> None:
    message = _refused(imagen.build_upscale_body, image=ImageInput(PNG), image_preservation_factor="x")
    assert "image_preservation_factor must be a number between 0 and 1" in message


def test_jpeg_quality_with_jpeg_output_is_sent() -> None:
    assert params(output_mime_type="jpeg", compression_quality=0)["outputOptions"] == {
        "mimeType": "image/jpeg",
        "compressionQuality": 0,
    }
