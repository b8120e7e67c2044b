"""The model registry: names, capabilities, option validation and output sizes."""

from __future__ import annotations

import pytest
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.models import (
    GEMINI_RATIOS,
    IMAGEN_RATIOS,
    list_models,
    normalize_image_size,
    output_size,
    resolve_model,
    validate_options,
    wire_image_size,
)

EXPECTED_IDS = [
    "imagen-4.0-generate-001",
    "imagen-4.0-fast-generate-001",
    "imagen-4.0-ultra-generate-001",
    "imagen-3.0-generate-002",
    "imagen-3.0-generate-001",
    "imagen-3.0-fast-generate-001",
    "imagen-3.0-capability-001",
    "imagen-4.0-upscale-preview",
    "gemini-2.0-flash-preview-image-generation",
    "gemini-2.5-flash-image-preview",
    "gemini-2.5-flash-image",
    "gemini-3-pro-image-preview",
    "gemini-3.1-flash-image-preview",
    "gemini-3-pro-image",
    "gemini-3.1-flash-image",
    "gemini-3.1-flash-lite-image",
    "gemini-nano-banana-2.1",
]


def test_list_models_is_stable_and_complete() -> None:
    assert [m.id for m in list_models()] == EXPECTED_IDS
    assert list_models() == list_models()
    assert all(m.known and m.display_name for m in list_models())


def test_model_info_is_frozen() -> None:
    info = resolve_model("imagen4")
    with pytest.raises(AttributeError):
        info.id = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("imagen4", "imagen-4.0-generate-001"),
        ("Imagen4-Fast", "imagen-4.0-fast-generate-001"),
        ("IMAGEN4-ULTRA", "imagen-4.0-ultra-generate-001"),
        ("imagen3", "imagen-3.0-generate-002"),
        ("nano-banana", "gemini-nano-banana-2.1"),
        ("Nano Banana Pro", "gemini-3-pro-image"),
        ("nano_banana_2", "gemini-3.1-flash-image"),
        ("nano-banana-lite", "gemini-3.1-flash-lite-image"),
        ("nano-banana-1", "gemini-2.5-flash-image"),
        ("vertex_ai/imagen-4.0-generate-001", "imagen-4.0-generate-001"),
        ("gemini/gemini-2.5-flash-image", "gemini-2.5-flash-image"),
        ("gemini/nano-banana-pro", "gemini-3-pro-image"),
        ("models/gemini-3.1-flash-image-preview", "gemini-3.1-flash-image-preview"),
        ("publishers/google/models/imagen-3.0-capability-001", "imagen-3.0-capability-001"),
        ("vertex_ai/publishers/google/models/imagen4", "imagen-4.0-generate-001"),
        ("  GEMINI-2.5-FLASH-IMAGE ", "gemini-2.5-flash-image"),
    ],
)
def test_ids_aliases_and_prefixes_resolve(name: str, expected: str) -> None:
    info = resolve_model(name)
    assert info.id == expected
    assert info.known


@pytest.mark.parametrize(
    ("name", "model_id", "family"),
    [
        ("imagegeneration@006", "imagegeneration@006", "imagen"),
        ("vertex_ai/gemini-4-pro-image", "gemini-4-pro-image", "gemini"),  # newer than any known version
        ("gemini-nano-banana-3", "gemini-nano-banana-3", "gemini"),
        ("models/My-Tuned-Model", "My-Tuned-Model", "gemini"),
    ],
)
def test_unknown_names_pass_through(name: str, model_id: str, family: str) -> None:
    info = resolve_model(name)
    assert (info.id, info.family, info.known) == (model_id, family, False)
    assert info.method == ("predict" if family == "imagen" else "generateContent")


@pytest.mark.parametrize("name", ["", "   ", "models/", "vertex_ai/"])
def test_empty_name_is_refused_with_the_known_models(name: str) -> None:
    with pytest.raises(InvalidRequest, match="gemini-nano-banana-2.1"):
        resolve_model(name)


def test_family_and_method() -> None:
    assert resolve_model("imagen4").method == "predict"
    assert resolve_model("nano-banana").method == "generateContent"


@pytest.mark.parametrize(
    ("ga", "preview"),
    [("gemini-3-pro-image", "gemini-3-pro-image-preview"), ("gemini-3.1-flash-image", "gemini-3.1-flash-image-preview")],
)
def test_ga_ids_keep_their_previews_capabilities(ga: str, preview: str) -> None:
    info, like = resolve_model(ga), resolve_model(preview)
    assert (info.aspect_ratios, info.image_sizes, info.max_input_images) == (
        like.aspect_ratios, like.image_sizes, like.max_input_images,
    )
    assert like.replacement == ga and like.aliases == ()
    for ratio in like.aspect_ratios:
        for size in like.image_sizes:
            assert output_size(info, ratio, size) == output_size(like, ratio, size), (ratio, size)


@pytest.mark.parametrize(
    ("near", "meant"),
    [
        ("imagen5", "imagen-4.0-generate-001 (shut down 2026-08-17; use gemini-nano-banana-2.1)"),
        ("imagen-5.0-generate-001", "imagen-4.0-generate-001 (shut down 2026-08-17; use gemini-nano-banana-2.1)"),
        ("gemini-2.5-flash", "gemini-2.5-flash-image ("),
        ("nano-banana-3", "gemini-3.1-flash-image (deprecated since 2026-10-06; use gemini-nano-banana-2.1)"),
        ("gemini-nano-banana-2.0", "gemini-nano-banana-2.1?"),
    ],
)
def test_a_near_miss_is_refused_with_did_you_mean(near: str, meant: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_model(near)
    message = str(caught.value)
    assert message.startswith(f"Unknown model {near!r}: did you mean {meant}")
    assert "Nothing was sent" in message and "\n" not in message


def test_aliases_follow_the_families_to_their_live_members() -> None:
    assert resolve_model("nano-banana").id == "gemini-nano-banana-2.1"
    assert resolve_model("nano-banana-pro").id == "gemini-3-pro-image"
    assert resolve_model("nano-banana-2").id == "gemini-3.1-flash-image"
    assert resolve_model("nano-banana-lite").id == "gemini-3.1-flash-lite-image"


def test_capabilities_from_the_lineup() -> None:
    imagen4, imagen3 = resolve_model("imagen4"), resolve_model("imagen3")
    nb21, pro, flash31 = resolve_model("nano-banana"), resolve_model("nano-banana-pro"), resolve_model("nano-banana-2")
    lite, flash25 = resolve_model("nano-banana-lite"), resolve_model("gemini-2.5-flash-image")
    assert imagen4.aspect_ratios == IMAGEN_RATIOS and imagen4.image_sizes == ("1K", "2K")
    assert imagen3.image_sizes == () and imagen3.max_count == 8 and imagen3.max_candidates == 4
    assert resolve_model("imagen-3.0-capability-001").editing
    assert resolve_model("imagen-4.0-upscale-preview").upscale
    assert flash25.aspect_ratios == GEMINI_RATIOS and flash25.image_sizes == () and flash25.max_input_images == 3
    assert len(nb21.aspect_ratios) == 14 and nb21.image_sizes == ("1K", "2K", "4K") and nb21.max_input_images == 14
    assert nb21.thinking_levels == ("MINIMAL", "MEDIUM", "HIGH") and nb21.search_types == ("web", "image")
    assert nb21.output_options and not nb21.sampling
    assert pro.image_sizes == ("1K", "2K", "4K") and pro.supports_4k and pro.search_types == ("web",)
    assert pro.max_input_images == 14 and pro.always_thinks and pro.thinking_levels == ()
    assert flash31.image_sizes == ("512", "1K", "2K", "4K") and "8:1" in flash31.aspect_ratios
    assert flash31.max_input_images == 14 and flash31.search_grounding and flash31.thinking_levels == ("MINIMAL", "HIGH")
    assert lite.image_sizes == ("1K",) and len(lite.aspect_ratios) == 14
    assert {m.max_candidates for m in list_models() if m.family == "gemini"} == {1}
    assert not nb21.negative_prompt and imagen4.negative_prompt


# --- validate_options -----------------------------------------------------------------------------


def _refused(name: str, **options: object) -> str:
    with pytest.raises(InvalidRequest) as caught:
        validate_options(resolve_model(name), **options)  # type: ignore[arg-type]
    return str(caught.value)


def test_valid_options_pass() -> None:
    validate_options(resolve_model("imagen4"), n=4, aspect_ratio="16:9", image_size="2k", negative_prompt="x", seed=1)
    validate_options(resolve_model("nano-banana-pro"), aspect_ratio="21:9", image_size="4K", input_images=14, search=True)
    validate_options(resolve_model("nano-banana-2"), aspect_ratio="8:1", image_size="512px", seed=3, edit=True)
    validate_options(resolve_model("nano-banana-1"), image_size="1k", input_images=3, edit=True)
    validate_options(resolve_model("nano-banana"), aspect_ratio="1:8", image_size="4K", thinking="high", search="all")
    validate_options(resolve_model("imagen3"), image_size="1K")


def test_unknown_aspect_ratio_lists_the_accepted_ones() -> None:
    message = _refused("nano-banana-1", aspect_ratio="7:3")
    assert message == (
        "gemini-2.5-flash-image does not take aspect ratio '7:3'; it accepts "
        "1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9."
    )
    message = _refused("nano-banana-pro", aspect_ratio="1:8")
    assert message.endswith("; for 1:8 use gemini-3.1-flash-image or gemini-3.1-flash-lite-image or gemini-nano-banana-2.1.")


def test_imagen_refuses_gemini_only_ratios() -> None:
    assert "1:1, 3:4, 4:3, 9:16, 16:9" in _refused("imagen4", aspect_ratio="21:9")


def test_malformed_aspect_ratio_is_refused_even_for_unknown_models() -> None:
    assert "W:H" in _refused("some-future-image-model", aspect_ratio="wide")


def test_unknown_model_accepts_any_well_formed_option() -> None:
    validate_options(resolve_model("gemini-9-image"), aspect_ratio="7:3", image_size="4K", input_images=30)


def test_flash_image_has_one_size_and_says_which_models_have_more() -> None:
    message = _refused("nano-banana-1", image_size="2K")
    assert "one output size" in message
    assert "gemini-3-pro-image or gemini-3.1-flash-image or gemini-nano-banana-2.1" in message
    assert "preview" not in message  # only models still served are suggested


def test_512_is_refused_on_nano_banana_2_1_and_points_at_the_model_that_has_it() -> None:
    assert _refused("nano-banana", image_size="512") == (
        "gemini-nano-banana-2.1 accepts image size 1K, 2K, 4K, not '512'; for 512 use gemini-3.1-flash-image."
    )


def test_imagen3_and_fast_have_no_2k() -> None:
    assert "accepts" not in _refused("imagen3", image_size="2K")  # one size; no retired model is suggested
    assert "accepts image size 1K" in _refused("imagen4-fast", image_size="2K")


def test_4k_only_on_gemini_3_models() -> None:
    assert "imagen-4.0-generate-001 accepts image size 1K, 2K, not '4K'" in _refused("imagen4", image_size="4K")


def test_unknown_image_size_lists_sizes() -> None:
    assert _refused("nano-banana-pro", image_size="8K") == "Image size '8K' is not one of 1K, 2K, 4K."
    assert "512, 1K, 2K, 4K" in _refused("some-future-image-model", image_size="8K")


def test_image_size_is_normalized() -> None:
    assert [normalize_image_size(s) for s in ("2k", " 4k ", "512PX", "0.5k", "1K")] == ["2K", "4K", "512", "512", "1K"]
    assert wire_image_size(resolve_model("nano-banana-pro"), "2k") == "2K"
    assert wire_image_size(resolve_model("nano-banana-1"), "1K") is None  # the model has no size parameter
    assert wire_image_size(resolve_model("imagen4"), None) is None


@pytest.mark.parametrize("n", [0, -1, True, 1.5, "2"])
def test_bad_n_is_refused(n: object) -> None:
    assert "n must be a whole number" in _refused("imagen4", n=n)


def test_imagen_takes_at_most_four_per_request() -> None:
    assert "at most 8 images" in _refused("imagen4", n=9)


def test_gemini_n_is_limited_by_parallel_requests() -> None:
    info = resolve_model("nano-banana")
    validate_options(info, n=info.max_count)
    assert f"at most {info.max_count}" in _refused("nano-banana", n=info.max_count + 1)


def test_negative_prompt_on_gemini_suggests_the_prompt() -> None:
    assert "in the prompt itself" in _refused("nano-banana-pro", negative_prompt="blurry")


def test_seed_is_fine_on_gemini() -> None:
    validate_options(resolve_model("nano-banana"), seed=42, dialect="gemini-api")


@pytest.mark.parametrize("option", [{"negative_prompt": "dogs"}, {"seed": 1}])
def test_imagen_on_the_gemini_api_refuses_negative_prompt_and_seed(option: dict[str, object]) -> None:
    assert "Gemini API" in _refused("imagen4", dialect="gemini-api", **option)
    validate_options(resolve_model("imagen4"), dialect="vertex", **option)  # type: ignore[arg-type]


def test_imagen_editing_is_vertex_only() -> None:
    assert "Vertex AI only" in _refused("imagen-3.0-capability-001", edit=True, input_images=1, dialect="gemini-api")


@pytest.mark.parametrize("model", ["imagen4", "nano-banana"])
@pytest.mark.parametrize("seed", [-1, 2**31, -(2**31) - 1, 1.5, "7", True])
def test_a_seed_outside_int32_or_not_whole_is_refused(model: str, seed: object) -> None:
    message = _refused(model, seed=seed)
    assert "seed must be a whole number from 0 to 2147483647" in message and "\n" not in message


def test_the_largest_seed_is_accepted() -> None:
    validate_options(resolve_model("nano-banana"), seed=2**31 - 1)
    validate_options(resolve_model("imagen4"), n=4, seed=2**31 - 1)  # one request: seed + 0


@pytest.mark.parametrize(("model", "n"), [("nano-banana", 2), ("imagen4", 5)])
def test_a_seed_whose_later_requests_would_pass_int32_is_refused(model: str, n: int) -> None:
    # request k of a call uses seed + k: Gemini sends one request per image, Imagen one per 4 images
    assert "pick a seed of at most 2147483646" in _refused(model, n=n, seed=2**31 - 1)
    validate_options(resolve_model(model), n=n, seed=2**31 - 2)


@pytest.mark.parametrize("name", [5, 1.0, ["imagen4"], b"imagen4"])
def test_a_model_name_that_is_not_text_is_refused(name: object) -> None:
    with pytest.raises(InvalidRequest, match="must be a name such as 'nano-banana'") as caught:
        resolve_model(name)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)


def test_search_only_on_models_with_grounding() -> None:
    message = _refused("nano-banana-1", search=True)
    assert "gemini-3-pro-image or gemini-3.1-flash-image or gemini-nano-banana-2.1" in message
    assert "search" in _refused("imagen4", search=True)
    assert _refused("nano-banana-pro", search="image") == (
        "gemini-3-pro-image has no Google image search grounding (it takes web search); "
        "gemini-3.1-flash-image or gemini-nano-banana-2.1 can."
    )
    assert "search must be web, image or all" in _refused("nano-banana", search="no")


def test_thinking_levels_follow_the_model() -> None:
    validate_options(resolve_model("nano-banana"), thinking="medium")
    assert _refused("nano-banana-2", thinking="medium") == "gemini-3.1-flash-image takes thinking minimal, high, not 'medium'."
    assert "always thinks" in _refused("nano-banana-pro", thinking="high")
    assert "thinking must be one of minimal, medium, high" in _refused("nano-banana", thinking="max")


def test_sampling_parameters_are_refused_where_the_model_does_not_take_them() -> None:
    assert "does not take temperature" in _refused("nano-banana", temperature=0.5)
    validate_options(resolve_model("nano-banana-1"), temperature=0.5)


def test_text_to_image_models_cannot_edit() -> None:
    message = _refused("imagen4", edit=True, input_images=1)
    assert "gemini-nano-banana-2.1" in message


def test_too_many_input_images_names_models_that_take_them() -> None:
    message = _refused("nano-banana-1", input_images=4, edit=True)
    assert message.startswith("gemini-2.5-flash-image takes at most 3 input images per request, not 4")
    assert "gemini-3-pro-image or" in message and "preview" not in message


def test_upscaler_takes_no_aspect_ratio_and_checks_factor() -> None:
    assert "takes no aspect ratio" in _refused("imagen-4.0-upscale-preview", aspect_ratio="1:1")
    assert "'x2', 'x3' or 'x4'" in _refused("imagen-4.0-upscale-preview", upscale_factor="x5", input_images=1)


@pytest.mark.parametrize("name", ["imagen-4.0-upscale-preview", "imagen-3.0-capability-001"])
def test_an_upscaler_or_editor_given_no_image_is_refused(name: str) -> None:
    assert "does not generate images from text" in _refused(name)
    validate_options(resolve_model(name), input_images=1, edit=True)
    for factor in ("x2", "x3", "x4"):  # the Imagen upscale API reference accepts all three
        validate_options(resolve_model("imagen-4.0-upscale-preview"), upscale_factor=factor, input_images=1)


def test_other_options_are_not_checked_here() -> None:
    validate_options(resolve_model("imagen4"), guidance_scale=9, person_generation="allow_adult")


# --- output sizes (WIRE.md §3.4, §11) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ratio", "size", "expected"),
    [
        ("imagen4", None, None, (1024, 1024)),
        ("imagen4", "3:4", "1K", (896, 1280)),
        ("imagen4", "16:9", "2k", (2816, 1536)),
        ("imagen4-ultra", "9:16", "2K", (1536, 2816)),
        ("imagen4-ultra", "4:3", "2K", (2560, 1792)),
        ("imagen4-fast", "16:9", None, (1408, 768)),
        ("imagen4-fast", "16:9", "2K", (0, 0)),
        ("nano-banana-1", None, None, (1024, 1024)),
        ("nano-banana-1", "2:3", None, (832, 1248)),
        ("nano-banana-1", "3:4", "1K", (864, 1184)),
        ("nano-banana-1", "21:9", None, (1536, 672)),
        ("nano-banana-1", "16:9", "2K", (0, 0)),
        ("nano-banana", "16:9", "2K", (2752, 1536)),
        ("nano-banana", "1:8", "4K", (1536, 12288)),
        ("nano-banana", "1:4", "4K", (2048, 8192)),
        ("nano-banana", "16:9", "512", (0, 0)),
        ("nano-banana-pro", "1:8", "4K", (0, 0)),
        ("nano-banana-lite", "16:9", "1K", (1376, 768)),
        ("nano-banana-lite", "16:9", "2K", (0, 0)),
        ("nano-banana-pro", "1:1", "4K", (4096, 4096)),
        ("nano-banana-pro", "2:3", "1K", (848, 1264)),
        ("nano-banana-pro", "3:2", "2K", (2528, 1696)),
        ("nano-banana-pro", "4:5", "4K", (3712, 4608)),
        ("nano-banana-pro", "5:4", "2K", (2304, 1856)),
        ("nano-banana-pro", "9:16", "4K", (3072, 5504)),
        ("nano-banana-pro", "21:9", "2K", (3168, 1344)),
        ("nano-banana-pro", "16:9", "1K", (1376, 768)),
        ("nano-banana-2", "16:9", "512", (688, 384)),
        ("nano-banana-2", "8:1", "512", (1536, 192)),
        ("nano-banana-2", "8:1", "1K", (3072, 384)),
        ("nano-banana-2", "3:4", "4K", (3584, 4800)),
        ("nano-banana-2", "1:4", "512", (256, 1024)),
        ("gemini-3-pro-image", "21:9", "2K", (3168, 1344)),
        ("gemini-3-pro-image", "1:1", "4K", (4096, 4096)),
        ("gemini-3.1-flash-image", "8:1", "1K", (3072, 384)),
        ("gemini-3.1-flash-image", "16:9", "512", (688, 384)),
        ("imagen3", "1:1", None, (0, 0)),
        ("imagen-4.0-upscale-preview", None, None, (0, 0)),
        ("gemini-9-image", "1:1", "1K", (0, 0)),
    ],
)
def test_output_size_from_the_tables(name: str, ratio: str | None, size: str | None, expected: tuple[int, int]) -> None:
    assert output_size(resolve_model(name), ratio, size) == expected


def test_every_model_has_a_size_for_every_ratio_and_size_it_accepts() -> None:
    for info in list_models():
        if info.family == "imagen" and not info.image_sizes or info.upscale:
            continue  # Imagen 3 and the upscaler: Google published no pixel table
        for ratio in info.aspect_ratios:
            for size in info.image_sizes or ("1K",):
                assert output_size(info, ratio, size) != (0, 0), (info.id, ratio, size)
