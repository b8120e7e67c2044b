"""Imagen ``:predict``: text-to-image, edit and upscale (WIRE.md §3, §4)."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from typing import Any

from PIL import Image

from . import draw
from .call import HALF_BLOCK, PROMPT_BLOCK, Call, triggered
from .errors import IMAGEN_PROMPT_BLOCKED, SEED_WITH_WATERMARK, UNPROCESSABLE_IMAGE, invalid
from .wire import array, b64decode, boolean, get, integer, obj, string

PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
SAFETY_SETTINGS = (
    "block_low_and_above",
    "block_medium_and_above",
    "block_only_high",
    "block_none",
    "block_most",
    "block_some",
    "block_few",
    "block_fewest",
)
LANGUAGES = ("auto", "en", "zh", "zh-cn", "zh-tw", "hi", "ja", "ko", "pt", "es")
OUTPUT_MIME_TYPES = ("image/png", "image/jpeg")
SAFETY_CATEGORIES = (
    "Death, Harm & Tragedy",
    "Firearms & Weapons",
    "Hate",
    "Health",
    "Illicit Drugs",
    "Politics",
    "Porn",
    "Religion & Belief",
    "Toxic",
    "Violence",
    "Vulgarity",
    "War & Conflict",
)
MAX_INPUT_BYTES = 10 * 1024 * 1024  # WIRE §7: Imagen input image 10 MB
MAX_UPSCALED_PIXELS = 17_000_000
ALL_FILTERED = (  # WIRE §3.2 ([FB] all-filtered)
    "Unable to show generated images. All images were filtered out because they violated Vertex AI's usage "
    "guidelines. You will not be charged for blocked images. Try rephrasing the prompt. If you think this was "
    "an error, send feedback. Support codes: 39322892, 29310472"
)


def some_filtered(count: int) -> str:
    """The raiFilteredReason when some images were filtered (WIRE §3.2)."""
    return (
        f"Your current safety filter threshold filtered out {count} generated images. You will not be charged "
        "for blocked images. Try rephrasing the prompt. If you think this was an error, send feedback."
    )


@dataclass(frozen=True)
class Options:
    """The parsed ``parameters`` shared by generate, edit and upscale."""

    count: int
    aspect_ratio: str
    image_size: str
    seed: int | None
    mime_type: str
    quality: int | None
    storage_uri: str
    enhance: bool
    include_rai: bool
    include_safety: bool


def predict(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """Answer one ``:predict`` request."""
    instances = array(get(body, "instances"), "instances")
    if not instances:
        raise invalid("Invalid request: `instances` must hold one instance.", field="instances")
    instance = obj(instances[0], "instances[0]")
    params = obj(get(body, "parameters"), "parameters")
    mode = (string(get(params, "mode"), "parameters.mode") or "").lower()
    if mode == "upscale" or (get(instance, "image") is not None and get(instance, "referenceImages") is None):
        return _upscale(call, instance, params)
    if get(instance, "referenceImages") is not None:
        return _edit(call, instance, params)
    return _generate(call, instance, params)


def _options(call: Call, params: dict[str, Any], *, default_count: int | None = None) -> Options:
    model = call.model
    count = integer(get(params, "sampleCount"), "parameters.sample_count")
    if count is None:
        count = default_count or (4 if call.dialect == "vertex" else 1)
    if not 1 <= count <= model.max_count:
        raise invalid(
            f"Image generation failed with the following error: sampleCount must be between 1 and "
            f"{model.max_count} for {model.id}, but got {count}.",
            field="parameters.sample_count",
        )
    ratio = string(get(params, "aspectRatio"), "parameters.aspect_ratio") or "1:1"
    if ratio not in model.aspect_ratios:
        raise invalid(
            f"Unsupported aspect ratio {ratio!r} for {model.id}. Supported: {', '.join(model.aspect_ratios)}.",
            field="parameters.aspect_ratio",
        )
    size = (string(get(params, "sampleImageSize"), "parameters.sample_image_size") or model.default_size).upper()
    if size not in model.sizes or (size != model.default_size and not model.accepts_image_size):
        raise invalid(
            f"Unsupported sampleImageSize {size!r} for {model.id}. Supported: {', '.join(model.sizes)}.",
            field="parameters.sample_image_size",
        )
    _enum(params, "personGeneration", PERSON_GENERATION)
    _enum(params, "safetySetting", SAFETY_SETTINGS)
    _enum(params, "language", LANGUAGES)
    seed = integer(get(params, "seed"), "parameters.seed")
    watermark = boolean(get(params, "addWatermark"), "parameters.add_watermark")
    if seed is not None and watermark is not False:
        raise invalid(SEED_WITH_WATERMARK, field="parameters.seed")
    output = obj(get(params, "outputOptions"), "parameters.output_options")
    mime = (string(get(output, "mimeType"), "parameters.output_options.mime_type") or "image/png").lower()
    if mime not in OUTPUT_MIME_TYPES:
        raise invalid(
            f"Unsupported output mime type {mime!r}. Supported: image/png, image/jpeg.",
            field="parameters.output_options.mime_type",
        )
    quality = integer(get(output, "compressionQuality"), "parameters.output_options.compression_quality")
    if quality is not None and not 0 <= quality <= 100:
        raise invalid(
            f"compressionQuality must be between 0 and 100, but got {quality}.",
            field="parameters.output_options.compression_quality",
        )
    storage_uri = string(get(params, "storageUri"), "parameters.storage_uri") or ""
    if storage_uri and (call.dialect != "vertex" or not storage_uri.startswith("gs://")):
        raise invalid(
            "storageUri must be a gs:// URI, and is supported on Vertex AI only.", field="parameters.storage_uri"
        )
    if call.dialect != "vertex" and get(params, "negativePrompt") is not None:
        raise invalid("negativePrompt is not supported by the Gemini API.", field="parameters.negative_prompt")
    return Options(
        count=count,
        aspect_ratio=ratio,
        image_size=size,
        seed=seed,  # None: no seed was set
        mime_type=mime,
        quality=quality,
        storage_uri=storage_uri,
        enhance=call.dialect == "vertex"
        and bool(boolean(get(params, "enhancePrompt"), "parameters.enhance_prompt")),
        include_rai=bool(boolean(get(params, "includeRaiReason"), "parameters.include_rai_reason")),
        include_safety=bool(
            boolean(get(params, "includeSafetyAttributes"), "parameters.include_safety_attributes")
        ),
    )


def _enum(params: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    value = string(get(params, name), f"parameters.{name}")
    if value is not None and value.lower() not in allowed:
        raise invalid(
            f"Invalid value {value!r} for {name}. Supported (any case): {', '.join(allowed)}.",
            field=f"parameters.{name}",
        )


def _prompt(instance: dict[str, Any], *, required: bool) -> str:
    prompt = string(get(instance, "prompt"), "instances[0].prompt") or ""
    if required and not prompt.strip():
        raise invalid(
            "Image generation failed with the following error: The prompt is empty. Provide a text prompt.",
            field="instances[0].prompt",
        )
    return prompt


def _check_prompt(prompt: str) -> None:
    if triggered(prompt, PROMPT_BLOCK):
        raise invalid(IMAGEN_PROMPT_BLOCKED)


def _filtered(call: Call, prompt: str, index: int) -> bool:
    return call.blocked(prompt) or (triggered(prompt, HALF_BLOCK) and index % 2 == 1)


def _generate(call: Call, instance: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if not call.model.generates:
        raise invalid(f"{call.model.id} does not generate images from text; give referenceImages or an image.")
    prompt = _prompt(instance, required=True)
    _check_prompt(prompt)
    opts = _options(call, params)
    size = call.model.size_for(opts.aspect_ratio, opts.image_size)

    def render(index: int) -> Image.Image:
        return draw.generate(call.model.id, prompt, seed=opts.seed, index=index, size=size)

    return _respond(call, prompt, opts, render)


def _respond(call: Call, prompt: str, opts: Options, render: Any) -> dict[str, Any]:
    predictions: list[dict[str, Any]] = []
    filtered = 0
    for index in range(opts.count):
        if _filtered(call, prompt, index):
            filtered += 1
            continue
        data = draw.encode(render(index), opts.mime_type, opts.quality)
        prediction: dict[str, Any] = {"mimeType": opts.mime_type}
        if opts.storage_uri:
            digest = hashlib.sha256(data).hexdigest()[:16]
            ext = "jpg" if opts.mime_type == "image/jpeg" else "png"
            prediction["gcsUri"] = f"{opts.storage_uri.rstrip('/')}/{digest}/sample_{index}.{ext}"
        else:
            prediction["bytesBase64Encoded"] = base64.b64encode(data).decode("ascii")
        if opts.enhance:
            prediction["prompt"] = enhanced(prompt)
        if opts.include_safety:
            prediction["safetyAttributes"] = safety_attributes(prompt, index)
        predictions.append(prediction)
    if opts.include_safety:
        predictions.append({"safetyAttributes": safety_attributes(prompt, -1), "contentType": "Positive Prompt"})
    if filtered and opts.include_rai:
        reason = ALL_FILTERED if filtered == opts.count else some_filtered(filtered)
        predictions.append({"raiFilteredReason": reason})
    return {"predictions": predictions} if predictions else {}


def enhanced(prompt: str) -> str:
    """The rewritten prompt of ``enhancePrompt`` (deterministic)."""
    return (
        f"{prompt.strip().rstrip('.')}. A detailed, vivid image with a balanced composition, "
        "soft natural lighting and rich colour."
    )


def safety_attributes(prompt: str, index: int) -> dict[str, Any]:
    """Deterministic low scores in [0, 0.3] for each RAI category."""
    rng = random.Random(hashlib.sha256(f"{prompt}\x00{index}".encode()).digest())
    return {
        "categories": list(SAFETY_CATEGORIES),
        "scores": [round(rng.uniform(0.0, 0.3), 1) for _ in SAFETY_CATEGORIES],
    }


def _image(value: Any, path: str) -> Image.Image:
    """An input image: ``{bytesBase64Encoded, mimeType}`` or ``{gcsUri}``."""
    image = obj(value, path)
    uri = string(get(image, "gcsUri"), f"{path}.gcs_uri")
    if uri:
        return draw.placeholder(uri, (1024, 1024))
    encoded = get(image, "bytesBase64Encoded")
    if encoded is None:
        raise invalid(f"Missing image bytes at '{path}': give bytesBase64Encoded or gcsUri.", field=path)
    data = b64decode(encoded, f"{path}.bytes_base64_encoded")
    if len(data) > MAX_INPUT_BYTES:
        raise invalid(f"The input image at '{path}' is larger than the 10 MB limit ({len(data)} bytes).")
    try:
        return draw.decode(data)
    except ValueError:
        raise invalid(UNPROCESSABLE_IMAGE) from None


def _edit(call: Call, instance: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if not call.model.editing:
        raise invalid(
            f"{call.model.id} does not support image editing with referenceImages; use imagen-3.0-capability-001."
        )
    prompt = _prompt(instance, required=False)
    _check_prompt(prompt)
    refs = array(get(instance, "referenceImages"), "instances[0].reference_images")
    base: Image.Image | None = None
    mask: Image.Image | None = None
    for i, ref in enumerate(refs):
        path = f"instances[0].reference_images[{i}]"
        ref = obj(ref, path)
        kind = (string(get(ref, "referenceType"), f"{path}.reference_type") or "").upper()
        image = get(ref, "referenceImage")
        if kind == "REFERENCE_TYPE_MASK":
            if image is not None:
                mask = _image(image, f"{path}.reference_image")
        elif image is not None and (base is None or kind == "REFERENCE_TYPE_RAW"):
            base = _image(image, f"{path}.reference_image")  # the RAW image wins over style/subject refs
    if base is None:
        raise invalid("Image editing needs a reference image (REFERENCE_TYPE_RAW) with image bytes.")
    edit_mode = (string(get(params, "editMode"), "parameters.edit_mode") or "").upper()
    edit_config = obj(get(params, "editConfig"), "parameters.edit_config")
    integer(get(edit_config, "baseSteps") or get(params, "baseSteps"), "parameters.edit_config.base_steps")
    opts = _options(call, params)
    size = base.size
    remove = edit_mode == "EDIT_MODE_INPAINT_REMOVAL"

    def render(index: int) -> Image.Image:
        return draw.edit(base, prompt, size=size, index=index, mask=mask, remove=remove)

    return _respond(call, prompt, opts, render)


def _upscale(call: Call, instance: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    image = _image(get(instance, "image"), "instances[0].image")
    config = obj(get(params, "upscaleConfig"), "parameters.upscale_config")
    factor_text = (
        string(get(config, "upscaleFactor"), "parameters.upscale_config.upscale_factor") or "x2"
    ).lower()
    if factor_text not in ("x2", "x3", "x4"):  # the Imagen upscale API reference accepts these three
        raise invalid(
            f'Invalid upscaleFactor {factor_text!r}: use "x2", "x3" or "x4".',
            field="parameters.upscale_config.upscale_factor",
        )
    factor = int(factor_text[1:])
    if image.width * image.height * factor * factor > MAX_UPSCALED_PIXELS:
        raise invalid(
            f"The upscaled image would be {image.width * factor}x{image.height * factor} pixels, over the "
            f"{MAX_UPSCALED_PIXELS} pixel limit. Use a smaller input or x2."
        )
    opts = _options(call, params, default_count=1)
    opts = Options(**{**opts.__dict__, "count": 1})
    return _respond(call, "", opts, lambda index: draw.upscale(image, factor))
