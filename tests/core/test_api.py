"""The public Python API against the emulator over real HTTP: what goes on the wire, what comes back, what is saved."""

from __future__ import annotations

import asyncio
import base64
import datetime
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, legacy_em, legacy_kernel, recorded_emulator, recorder  # noqa: F401 - fixtures
from vertex_image.base.errors import (
    APIError,
    ImageBlocked,
    InvalidRequest,
    ModelRetired,
    QuotaExceeded,
    ServiceError,
    VertexImageError,
)
from vertex_image.core import api, registry
from vertex_image.emulator import Emulator
from vertex_image.results.images import GeneratedImage, ImageSet
from vertex_image.results.store import strip_metadata

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _on_disk(images: ImageSet) -> None:
    """Every image was saved before the call returned, and the file holds the bytes received."""
    for image in images:
        path = Path(image.path)
        assert path.is_file(), image
        assert strip_metadata(path.read_bytes()) == image.data


def _inline_images(body: dict[str, Any]) -> list[bytes]:
    return [
        base64.b64decode(part["inlineData"]["data"])
        for content in body["contents"]
        for part in content["parts"]
        if "inlineData" in part
    ]


# Imagen -----------------------------------------------------------------------------------------
# Imagen is shut down (2026-08-17); its :predict path stays for a private endpoint that still serves it
# (retired_models="send"), tested against the emulator of 2026-03-01.
def test_imagen_n4_gives_four_saved_images_of_the_documented_size(legacy_kernel: Recorder) -> None:
    kernel = legacy_kernel
    images = vi.generate_images("a lighthouse at dusk", model="imagen4", n=4, aspect_ratio="9:16")

    assert [(image.width, image.height) for image in images] == [(768, 1408)] * 4
    assert len({image.data for image in images}) == 4
    assert [image.model for image in images] == ["imagen-4.0-generate-001"] * 4
    _on_disk(images)
    (call,) = kernel.sent("predict")
    assert call.body["parameters"]["sampleCount"] == 4
    assert call.body["parameters"]["aspectRatio"] == "9:16"


def test_imagen_n6_is_sent_as_requests_of_at_most_four_with_seed_and_seed_plus_one(legacy_kernel: Recorder) -> None:
    kernel = legacy_kernel
    images = vi.generate_images("a lighthouse at dusk", model="imagen4", n=6, seed=7)

    assert len(images) == 6
    assert [image.index for image in images] == list(range(6))
    assert len({image.data for image in images}) == 6
    _on_disk(images)
    calls = kernel.sent("predict")
    sent = sorted((call.body["parameters"]["sampleCount"], call.body["parameters"]["seed"]) for call in calls)
    assert sent == [(2, 8), (4, 7)]


@pytest.mark.parametrize(
    ("model", "aspect_ratio", "image_size", "size"),
    [
        ("imagen4", None, None, (1024, 1024)),
        ("imagen-4.0-generate-001", "4:3", "1K", (1280, 896)),
        ("imagen-4.0-ultra-generate-001", "16:9", "2K", (2816, 1536)),
        ("imagen3", "3:4", None, (896, 1280)),
    ],
)
def test_imagen_size_follows_aspect_ratio_and_image_size(
    legacy_kernel: Recorder, model: str, aspect_ratio: str | None, image_size: str | None, size: tuple[int, int]
) -> None:
    (image,) = vi.generate_images("a kite", model=model, aspect_ratio=aspect_ratio, image_size=image_size)
    assert (image.width, image.height) == size


def test_imagen_seed_turns_the_watermark_off_on_the_wire_and_repeats(legacy_kernel: Recorder) -> None:
    kernel = legacy_kernel
    first = vi.generate_images("a red barn", model="imagen4", seed=42)
    again = vi.generate_images("a red barn", model="imagen4", seed=42)

    params = [call.body["parameters"] for call in kernel.sent("predict")]
    assert [(p["seed"], p["addWatermark"]) for p in params] == [(42, False), (42, False)]
    assert first[0].data == again[0].data
    assert first[0].seed == 42 and first[0].parameters["seed"] == 42


def test_imagen_negative_prompt_enhance_prompt_and_jpeg(legacy_kernel: Recorder) -> None:
    kernel = legacy_kernel
    images = vi.generate_images(
        "a bowl of fruit", model="imagen4", n=2, negative_prompt="bananas", enhance_prompt=True, output_mime_type="image/jpeg"
    )

    (call,) = kernel.sent("predict")
    params = call.body["parameters"]
    assert params["negativePrompt"] == "bananas"
    assert params["enhancePrompt"] is True
    assert params["outputOptions"]["mimeType"] == "image/jpeg"
    assert len(images) == 2
    for image in images:
        assert image.mime_type == "image/jpeg" and image.data.startswith(b"\xff\xd8")
        assert image.enhanced_prompt.startswith("a bowl of fruit") and image.enhanced_prompt != "a bowl of fruit"
        assert image.parameters["negative_prompt"] == "bananas"
        assert Path(image.path).suffix == ".jpg"
    _on_disk(images)


# Gemini one-shot --------------------------------------------------------------------------------
def test_gemini_n2_sends_two_requests_with_seed_and_seed_plus_one(kernel: Recorder) -> None:
    images = vi.generate_images("a paper crane", model="nano-banana", n=2, seed=7, aspect_ratio="16:9")

    calls = kernel.sent("generateContent")
    assert all(call.path.endswith("/models/gemini-nano-banana-2.1:generateContent") for call in calls)
    assert sorted(call.body["generationConfig"]["seed"] for call in calls) == [7, 8]
    for call in calls:
        assert call.body["contents"] == [{"role": "user", "parts": [{"text": "a paper crane"}]}]
        assert call.body["generationConfig"]["imageConfig"]["aspectRatio"] == "16:9"
    assert [(image.width, image.height) for image in images] == [(1376, 768)] * 2
    assert images[0].data != images[1].data
    assert images.model == "gemini-nano-banana-2.1"
    _on_disk(images)


def test_gemini_3_size_on_the_wire_and_in_the_image(kernel: Recorder) -> None:
    (image,) = vi.generate_images("a tin robot", model="nano-banana-pro", aspect_ratio="3:2", image_size="1K")
    (call,) = kernel.sent("generateContent")
    assert call.body["generationConfig"]["imageConfig"] == {"aspectRatio": "3:2", "imageSize": "1K"}
    assert (image.width, image.height) == (1264, 848)
    assert image.thought_signature  # the signature of the final image part, kept for provenance


# blocks -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "model", "reason"), [("legacy_kernel", "imagen4", "RAI_FILTERED"), ("kernel", "nano-banana", "IMAGE_SAFETY")]
)
def test_a_blocked_prompt_gives_an_empty_set_with_the_reason(
    request: pytest.FixtureRequest, setup: str, model: str, reason: str
) -> None:
    request.getfixturevalue(setup)
    images = vi.generate_images("blockme a cat", model=model)

    assert len(images) == 0 and images.blocked
    assert [block.reason for block in images.blocks] == [reason]
    assert reason in repr(images)
    with pytest.raises(ImageBlocked, match=reason):
        images.raise_for_block()


def test_some_images_filtered_gives_the_rest_and_the_reason(legacy_kernel: Recorder) -> None:
    images = vi.generate_images("halfblock tulips", model="imagen4", n=4)  # one request, half filtered

    assert len(images) == 2 and images.blocks and not images.blocked
    assert images.raise_for_block() is images
    _on_disk(images)


def test_gemini_prompt_block_and_text_only_answers(kernel: Recorder) -> None:
    blocked = vi.generate_images("promptblock a dog", model="nano-banana")
    text_only = vi.generate_images("textonly a dog", model="nano-banana")

    assert [block.reason for block in blocked.blocks] == ["PROMPT_BLOCKED"]
    assert [block.reason for block in text_only.blocks] == ["TEXT_ONLY"] and text_only.text
    with pytest.raises(VertexImageError):
        text_only.raise_for_block()


# validation before sending ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "options", "says"),
    [
        ("nano-banana", {"negative_prompt": "dogs"}, "negative prompt"),
        ("imagen4", {"n": 9}, "at most 8"),
        ("nano-banana", {"n": 9}, "at most 8"),
        ("imagen4-fast", {"image_size": "2K"}, "1K"),
        ("nano-banana", {"image_size": "512"}, "for 512 use gemini-3.1-flash-image"),
        ("nano-banana-pro", {"thinking": "high"}, "always thinks"),
        ("nano-banana", {"temperature": 0.5}, "does not take temperature"),
        ("nano-banana-lite", {"google_search": "image"}, "no Google image search"),
        ("imagen4", {"aspect_ratio": "5:4"}, "16:9"),
        ("imagen4", {"n": 0}, "at least 1"),
    ],
)
def test_options_a_model_cannot_take_raise_before_any_request(
    legacy_kernel: Recorder, legacy_em: Emulator, model: str, options: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidRequest, match=says):
        vi.generate_images("a cat", model=model, **options)
    assert legacy_em.requests == []


@pytest.mark.parametrize(
    ("model", "listed"), [("imagen4", "enhance_prompt"), ("nano-banana", "thinking")]
)
def test_unknown_option_names_raise_listing_the_valid_ones(
    legacy_kernel: Recorder, legacy_em: Emulator, model: str, listed: str
) -> None:
    with pytest.raises(InvalidRequest, match="colour") as caught:
        vi.generate_images("a cat", model=model, colour="red")
    assert listed in str(caught.value)
    assert legacy_em.requests == []


def test_imagen_on_the_gemini_api_refuses_a_negative_prompt_before_sending(
    legacy_kernel: Recorder, legacy_em: Emulator
) -> None:
    vi.configure(emulator_mode="gemini-api")
    with pytest.raises(InvalidRequest, match="negative_prompt"):
        vi.generate_images("a cat", model="imagen4", negative_prompt="dogs")
    assert legacy_em.requests == []


# async and concurrency --------------------------------------------------------------------------
def test_agenerate_images_from_a_running_loop_with_gather(kernel: Recorder) -> None:
    prompts = ["a red kite", "a blue kite", "a green kite"]

    async def main() -> list[ImageSet]:
        return list(await asyncio.gather(*(vi.agenerate_images(p, model="nano-banana") for p in prompts)))

    results = asyncio.run(main())

    assert [result.prompt for result in results] == prompts
    assert all(len(result) == 1 for result in results)
    for result in results:
        _on_disk(result)
    assert sorted(call.body["contents"][0]["parts"][0]["text"] for call in kernel.sent()) == sorted(prompts)


def test_max_concurrency_bounds_requests_in_flight(tmp_path: Path) -> None:
    with recorded_emulator(latency_s=0.15) as emulator:
        vi.configure(backend="emulator", base_url=emulator.base_url, output_dir=str(tmp_path), max_concurrency=2)
        try:

            async def main() -> list[ImageSet]:
                return list(
                    await asyncio.gather(*(vi.agenerate_images(f"kite {i}", model="nano-banana", n=2) for i in range(3)))
                )

            started = time.monotonic()
            results = asyncio.run(main())
            elapsed = time.monotonic() - started
        finally:
            registry.reset()
        seen = recorder(emulator)
    assert sum(len(result) for result in results) == 6
    assert len(seen.exchanges) == 6
    assert seen.peak == 2
    assert elapsed >= 3 * 0.15


def test_a_failed_call_raises_a_typed_error_and_saves_nothing(tmp_path: Path) -> None:
    with recorded_emulator(fault="500") as broken:
        vi.configure(backend="emulator", base_url=broken.base_url, output_dir=str(tmp_path / "out"), max_attempts=2)
        try:
            with pytest.raises(APIError, match="500|INTERNAL"):
                vi.generate_images("a cat", model="nano-banana")
        finally:
            registry.reset()
        assert len(broken.requests) == 2  # retried once, then gave up
    assert not list((tmp_path / "out").glob("*.png"))


# partial failure: whatever arrived is saved ---------------------------------------------------
LEGACY = datetime.date(2026, 3, 1)

def _configured(emulator: Emulator, out: Path, **options: Any) -> None:
    vi.configure(backend="emulator", base_url=emulator.base_url, output_dir=str(out), **options)


def test_gemini_n4_over_a_rate_limit_saves_the_three_that_arrived_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with recorded_emulator(rpm=3) as limited:
        _configured(limited, out, max_attempts=2, deadline_s=3)
        try:
            with pytest.raises(QuotaExceeded) as caught:
                vi.generate_images("a fox", model="nano-banana", n=4, seed=10)
            gallery = vi.gallery()
        finally:
            registry.reset()
        answered = [e for e in recorder(limited).exchanges if e.status == 200]

    error = caught.value
    assert len(answered) == 3
    assert str(error).startswith(f"3 of 4 images arrived and were saved to {out}")
    assert "vi.gallery()" in str(error) and "the rest failed: Resource exhausted" in str(error)
    assert "\n" not in str(error)
    assert isinstance(error.partial, ImageSet) and len(error.partial) == 3
    assert sorted(image.seed for image in error.partial) == [10] * 3  # the request's seed, as for a full set
    _on_disk(error.partial)
    assert len([path for path in out.rglob("*") if path.suffix in (".png", ".jpg")]) == 3
    assert {image.data for image in gallery} == {image.data for image in error.partial}


def test_imagen_n8_with_one_request_failing_saves_the_other_four(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with recorded_emulator(fault="500;every=2", as_of=LEGACY) as flaky:
        _configured(flaky, out, max_attempts=1, retired_models="send")
        try:
            with pytest.raises(ServiceError) as caught:
                vi.generate_images("a lighthouse", model="imagen4", n=8)
        finally:
            registry.reset()
        statuses = sorted(e.status for e in recorder(flaky).exchanges)

    assert statuses == [200, 500]
    assert str(caught.value).startswith("4 of 8 images arrived and were saved")
    assert caught.value.code == 500
    assert len(caught.value.partial) == 4
    _on_disk(caught.value.partial)
    assert len(list(out.rglob("*.png"))) == 4


def test_when_every_request_fails_the_first_error_is_raised_unchanged(tmp_path: Path) -> None:
    with recorded_emulator(fault="500") as broken:
        _configured(broken, tmp_path / "out", max_attempts=1)
        try:
            with pytest.raises(ServiceError) as caught:
                vi.generate_images("a cat", model="nano-banana", n=3)
        finally:
            registry.reset()
        assert len(broken.requests) == 3

    assert str(caught.value).startswith("An internal error has occurred")
    assert not hasattr(caught.value, "partial")
    assert not list((tmp_path / "out").rglob("*.png"))


def test_a_cancelled_call_stops_waiting_at_once(tmp_path: Path) -> None:
    with recorded_emulator(latency_s=5) as slow:
        _configured(slow, tmp_path / "out")
        try:

            async def main() -> None:
                await asyncio.wait_for(vi.agenerate_images("a cat", model="nano-banana", n=3), timeout=0.3)

            started = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                asyncio.run(main())
            elapsed = time.monotonic() - started
        finally:
            registry.reset()
    assert elapsed < 3
    assert not list((tmp_path / "out").rglob("*.png"))


# bad input: a typed one-line error, nothing sent ------------------------------------------------
def _cmyk() -> Any:
    from PIL import Image

    return Image.new("RGB", (32, 24), (200, 30, 40)).convert("CMYK")


@pytest.mark.parametrize(
    ("call", "kwargs", "says"),
    [
        ("generate", {"model": 5}, "model must be a name"),
        ("generate", {"model": "nano-banana-1", "temperature": "x"}, "temperature must be a number from 0 to 2"),
        ("generate", {"model": "nano-banana-1", "temperature": float("nan")}, "temperature"),
        ("generate", {"model": "nano-banana-1", "temperature": float("inf")}, "temperature"),
        ("generate", {"model": "nano-banana-1", "temperature": -0.5}, "temperature"),
        ("generate", {"model": "nano-banana-1", "temperature": 2.5}, "temperature"),
        ("generate", {"model": "nano-banana", "temperature": 0.5}, "does not take temperature"),
        ("generate", {"model": "nano-banana", "thinking": "max"}, "thinking must be one of minimal, medium, high"),
        ("generate", {"model": "nano-banana", "google_search": "no"}, "search must be web, image or all"),
        ("generate", {"model": "nano-banana", "seed": 2**31}, "seed must be a whole number from 0 to 2147483647"),
        ("generate", {"model": "imagen4", "seed": 2**31}, "seed must be a whole number from 0 to 2147483647"),
        ("generate", {"model": "imagen4", "seed": -(2**31) - 1}, "seed must be"),
        ("generate", {"model": "nano-banana", "n": 3, "seed": 2**31 - 2}, "pick a seed of at most"),
        ("generate", {"model": "imagen4", "n": "2"}, "n must be a whole number"),
        ("generate", {"model": "nano-banana", "n": 2.0}, "n must be a whole number"),
        ("generate", {"model": "nano-banana", "safety_settings": 5}, "safety_settings takes a list of"),
        ("generate", {"model": "nano-banana", "safety_settings": [("HATE",)]}, "(category, threshold) pairs"),
        ("generate", {"model": "nano-banana", "safety_settings": [{"category": "HATE"}]}, "category and a threshold"),
        ("generate", {"model": "imagen4", "guidance_scale": "high"}, "guidance_scale must be a number"),
        ("generate", {"model": "imagen4", "compression_quality": 101, "output_mime_type": "jpeg"}, "0 and 100"),
        ("generate", {"model": "imagen4", "compression_quality": 7.5, "output_mime_type": "jpeg"}, "whole number"),
        ("generate", {"model": "imagen4", "compression_quality": 80}, "--format jpeg"),
        ("generate", {"model": "nano-banana", "compression_quality": 80, "output_mime_type": "png"}, "JPEG"),
        ("generate", {"model": "imagen4", "labels": {"team": 1}}, "labels must be a dict of text to text"),
        ("generate", {"model": "nano-banana", "labels": ["team"]}, "labels must be a dict of text to text"),
        ("generate", {"model": "imagen4", "prompt": None}, "prompt must be text"),
        ("generate", {"model": "nano-banana", "prompt": 5}, "prompt must be text"),
        ("generate", {"model": "imagen4", "n": 6, "prompt": None}, "prompt must be text"),
        ("edit", {"prompt": None}, "prompt must be text"),
        ("edit", {"prompt": 5, "model": "imagen-3.0-capability-001", "mask_mode": "background"}, "prompt must be"),
        ("edit", {"mask_mode": "background", "mask_dilation": "x"}, "mask_dilation must be a number between 0 and 1"),
        ("edit", {"mask_mode": "background", "mask_dilation": 1.5}, "mask_dilation must be a number between 0 and 1"),
        ("edit", {"mask_mode": "background", "mode": "bgswap", "guidance_scale": [1]}, "guidance_scale"),
        ("edit", {"images": object()}, "Cannot use object as an image"),
    ],
)
def test_bad_input_raises_one_typed_line_and_sends_nothing(
    legacy_kernel: Recorder, legacy_em: Emulator, call: str, kwargs: dict[str, Any], says: str
) -> None:
    em = legacy_em  # retired_models="send": the values of legacy Imagen options are still checked
    kwargs = dict(kwargs)
    prompt = kwargs.pop("prompt", "a cat")
    with pytest.raises(InvalidRequest) as caught:
        if call == "generate":
            vi.generate_images(prompt, **kwargs)
        else:
            images = kwargs.pop("images", _png())
            if "mask_mode" in kwargs:
                kwargs.setdefault("model", "imagen-3.0-capability-001")
            vi.edit_image(prompt, images, **kwargs)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    assert em.requests == []
    assert not list(Path(vi.settings().output_dir).rglob("*.png"))


def test_a_cmyk_pil_image_is_sent_as_rgb(kernel: Recorder) -> None:
    from PIL import Image

    (edited,) = vi.edit_image("make it blue", _cmyk(), model="nano-banana")

    (sent,) = _inline_images(kernel.sent("generateContent")[-1].body)
    with Image.open(io.BytesIO(sent)) as decoded:
        assert decoded.mode == "RGB" and decoded.getpixel((0, 0)) == (200, 30, 40)
    _on_disk(ImageSet(images=(edited,)))


# edit and upscale -------------------------------------------------------------------------------
def _source(kind: str, image: GeneratedImage, tmp_path: Path) -> Any:
    if kind == "GeneratedImage":
        return image
    if kind == "ImageSet":
        return ImageSet(images=(image,))
    if kind == "bytes":
        return image.data
    if kind == "path":
        return image.path  # the stored file, with our metadata chunk (taken out before sending)
    if kind == "PIL":
        return image.to_pil()
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["GeneratedImage", "ImageSet", "bytes", "path", "PIL"])
def test_edit_image_with_the_default_gemini_model_sends_the_input(kernel: Recorder, kind: str, tmp_path: Path) -> None:
    (base,) = vi.generate_images("a white house", model="nano-banana")

    edited = vi.edit_image("make it blue", _source(kind, base, tmp_path))

    call = kernel.sent("generateContent")[-1]
    assert call.path.endswith("/gemini-nano-banana-2.1:generateContent")
    assert call.body["contents"][0]["parts"][0] == {"text": "make it blue"}
    (sent,) = _inline_images(call.body)
    if kind == "PIL":
        from PIL import Image

        assert sent.startswith(PNG_MAGIC)
        assert Image.open(io.BytesIO(sent)).tobytes() == base.to_pil().tobytes()
    else:
        assert sent == base.data
    assert len(edited) == 1 and edited[0].data != base.data
    assert edited[0].parameters["input_images"] == 1
    _on_disk(edited)


def test_edit_image_with_a_mask_uses_the_imagen_capability_model(legacy_kernel: Recorder) -> None:
    kernel = legacy_kernel
    (base,) = vi.generate_images("a garden", model="imagen3")
    from PIL import Image

    mask = Image.new("L", (base.width, base.height), 0)
    mask.paste(255, (0, 0, base.width // 2, base.height // 2))

    edited = vi.edit_image("add a fountain", base, mask=mask, mode="inpaint-insert", seed=3)

    call = kernel.sent("predict")[-1]
    assert call.path.endswith("/imagen-3.0-capability-001:predict")
    references = call.body["instances"][0]["referenceImages"]
    assert [ref["referenceType"] for ref in references] == ["REFERENCE_TYPE_RAW", "REFERENCE_TYPE_MASK"]
    assert base64.b64decode(references[0]["referenceImage"]["bytesBase64Encoded"]) == base.data
    assert call.body["parameters"]["editMode"] == "EDIT_MODE_INPAINT_INSERTION"
    assert len(edited) == 1 and (edited[0].width, edited[0].height) == (base.width, base.height)
    assert edited[0].parameters["mask"] is True
    _on_disk(edited)


def test_edit_image_takes_aspect_ratio_and_image_size(kernel: Recorder) -> None:
    (base,) = vi.generate_images("a white house", model="nano-banana")

    (wide,) = vi.edit_image("make it wider", base, model="nano-banana-pro", aspect_ratio="16:9", image_size="1K")

    config = kernel.sent("generateContent")[-1].body["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "1K"}
    assert (wide.width, wide.height) == (1376, 768)


@pytest.mark.parametrize("masking", [{"mask": "MASK"}, {"mode": "inpaint-insert"}])
def test_a_mask_or_edit_mode_with_a_gemini_model_raises_before_sending(
    kernel: Recorder, em: Emulator, masking: dict[str, Any]
) -> None:
    png = _png()
    options = {key: png if value == "MASK" else value for key, value in masking.items()}
    with pytest.raises(InvalidRequest, match="capability"):
        vi.edit_image("add a door", png, model="nano-banana", **options)
    assert em.requests == []


def test_edit_image_needs_an_image(kernel: Recorder, em: Emulator) -> None:
    with pytest.raises(InvalidRequest, match="at least one image"):
        vi.edit_image("make it blue", [])
    assert em.requests == []


def test_gs_uri_is_refused_on_the_gemini_api_and_sent_as_file_data_on_vertex(kernel: Recorder, em: Emulator) -> None:
    vi.configure(emulator_mode="gemini-api")
    with pytest.raises(InvalidRequest, match="Cloud Storage"):
        vi.edit_image("make it blue", "gs://bucket/cat.png")
    assert em.requests == []

    vi.configure(emulator_mode="vertex")
    vi.edit_image("make it blue", "gs://bucket/cat.png")
    (call,) = kernel.sent("generateContent")
    assert call.body["contents"][0]["parts"][1] == {
        "fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/cat.png"}
    }


def test_aedit_image_from_a_running_loop(kernel: Recorder) -> None:
    (base,) = vi.generate_images("a white house", model="nano-banana")

    edited = asyncio.run(vi.aedit_image("make it red", base))

    assert len(edited) == 1 and edited.prompt == "make it red"


def test_upscale_x2_doubles_the_size(legacy_kernel: Recorder) -> None:
    kernel = legacy_kernel
    (base,) = vi.generate_images("a small bird", model="imagen3", aspect_ratio="4:3")

    (big,) = vi.upscale_image(base, "x2")

    (call,) = kernel.sent("predict")[-1:]
    assert call.path.endswith("/imagen-4.0-upscale-preview:predict")
    assert call.body["parameters"]["upscaleConfig"]["upscaleFactor"] == "x2"
    assert (big.width, big.height) == (2 * base.width, 2 * base.height)
    assert big.parameters["upscale_factor"] == "x2"
    _on_disk(ImageSet(images=(big,)))


@pytest.mark.parametrize(("factor", "options"), [("x5", {}), ("x2", {"sharpness": 2})])
def test_upscale_bad_factor_or_option_raises_before_sending(
    kernel: Recorder, em: Emulator, factor: str, options: dict[str, Any]
) -> None:
    png = _png()
    with pytest.raises(InvalidRequest):
        vi.upscale_image(png, factor, **options)
    assert em.requests == []


def test_upscale_on_the_gemini_api_raises_before_sending(legacy_kernel: Recorder, legacy_em: Emulator) -> None:
    vi.configure(emulator_mode="gemini-api")
    with pytest.raises(InvalidRequest, match="Vertex"):
        vi.upscale_image(_png(), "x2")
    assert legacy_em.requests == []


def test_upscale_today_is_answered_before_sending(kernel: Recorder, em: Emulator) -> None:
    with pytest.raises(ModelRetired, match="imagen-4.0-upscale-preview was shut down on 2026-08-17 on Vertex AI"):
        vi.upscale_image(_png(), "x2")
    assert em.requests == []


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


# sessions through the API -----------------------------------------------------------------------
def test_chat_registers_a_named_session(kernel: Recorder) -> None:
    session = vi.chat("nano-banana", name="fox")
    assert registry.state().sessions["fox"] is session
    assert session.model == "gemini-nano-banana-2.1"
    with pytest.raises(InvalidRequest, match="imagen-4.0-generate-001 was shut down"):
        vi.chat("imagen4")
    vi.configure(retired_models="send")
    with pytest.raises(InvalidRequest, match="Imagen"):
        vi.chat("imagen4")


# no secret anywhere -----------------------------------------------------------------------------
CANARY = "CANARY-KEY-4f1d2c9e7b"


def test_the_api_key_appears_in_no_result_file_or_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with recorded_emulator(require_key=CANARY) as emulator:
        vi.configure(
            backend="emulator", base_url=emulator.base_url, emulator_mode="gemini-api",
            api_key=CANARY, output_dir=str(out),
        )
        try:
            images = vi.generate_images("a quiet pond", model="nano-banana", n=2, seed=1)
            session = vi.chat("nano-banana", name="pond")
            turn = session.send("a quiet pond at night")
            saved = session.save()
            settings_text = repr(vi.settings())
            assert emulator.requests[0].headers["x-goog-api-key"] == CANARY  # the key did go out
            vi.configure(api_key=CANARY + "-wrong")
            with pytest.raises(APIError) as refused:
                vi.generate_images("a quiet pond", model="nano-banana")
        finally:
            registry.reset()

    texts = [repr(images), repr(turn), repr(session), str(refused.value), repr(refused.value), settings_text]
    for image in [*images, *turn]:
        texts += [repr(image), json.dumps(image.parameters), json.dumps(image.provenance(full=True), default=str)]
    texts += [path.read_text(errors="replace") for path in out.rglob("*") if path.suffix in (".json", ".jsonl")]
    texts += [path.read_bytes().decode("latin-1") for path in out.rglob("*") if path.suffix in (".png", ".jpg")]
    assert saved.is_file() and len(texts) > 10
    for text in texts:
        assert CANARY not in text


# saved images -----------------------------------------------------------------------------------
def test_gallery_and_load_read_the_kernel_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    registry.reset()
    try:
        image = GeneratedImage.from_bytes(_png(), prompt="kernel")
        saved = registry.state().store().save(image)
        assert saved.path == str(tmp_path / "vertex_images" / image.file_name)
        assert vi.gallery is api.gallery and vi.load is api.load
        assert [i.prompt for i in vi.gallery()] == ["kernel"]
        assert [i.prompt for i in vi.gallery(since="2000-01-01")] == ["kernel"] and not vi.gallery(since="2999-01-01")
        assert vi.load(image.id[:8]).prompt == "kernel"
        vi.configure(output_dir=str(tmp_path / "elsewhere"))
        assert len(vi.gallery()) == 0  # the store follows output_dir
    finally:
        registry.reset()
