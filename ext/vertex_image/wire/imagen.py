"""Imagen ``:predict`` on the wire: request bodies for generate, edit and upscale; predictions parsed.

Pure functions, no I/O (WIRE.md §3, §4). The builders send only what the caller set, so the
service's own defaults apply to everything else; the one exception is ``includeRaiReason``, on by
default, so that a filtered image comes back with the service's explanation instead of silently
missing. The parser turns ``predictions`` into a wire-neutral ``ParsedResponse``.

The helpers both families use (base64, mime types, output options, text checks) are in ``_shared``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..base.errors import InvalidRequest, ResponseFormatError
from ..base.imageinfo import sniff_mime_type
from ..base.values import Block, ImageInput, ParsedResponse, ReceivedImage
from ._shared import (
    decode_base64,
    flag_option,
    image_size_value,
    label_map,
    output_options,
    prompt_text,
    put,
    short_repr,
    text_option,
)

# Short names users type, and the EDIT_MODE_* enum they stand for (WIRE.md §4.1).
EDIT_MODES: dict[str, str] = {
    "default": "EDIT_MODE_DEFAULT",
    "inpaint-insert": "EDIT_MODE_INPAINT_INSERTION",
    "inpaint-remove": "EDIT_MODE_INPAINT_REMOVAL",
    "outpaint": "EDIT_MODE_OUTPAINT",
    "controlled": "EDIT_MODE_CONTROLLED_EDITING",
    "style": "EDIT_MODE_STYLE",
    "bgswap": "EDIT_MODE_BGSWAP",
    "product-image": "EDIT_MODE_PRODUCT_IMAGE",
}
# Modes that change only a masked area: they need a mask (an image, or one the model computes).
_MASKED_MODES = frozenset(
    {
        "EDIT_MODE_INPAINT_INSERTION",
        "EDIT_MODE_INPAINT_REMOVAL",
        "EDIT_MODE_OUTPAINT",
        "EDIT_MODE_BGSWAP",
    }
)
MASK_MODES: dict[str, str] = {
    "default": "MASK_MODE_DEFAULT",
    "user-provided": "MASK_MODE_USER_PROVIDED",
    "background": "MASK_MODE_BACKGROUND",
    "foreground": "MASK_MODE_FOREGROUND",
    "semantic": "MASK_MODE_SEMANTIC",
}
UPSCALE_FACTORS = ("x2", "x3", "x4")  # Imagen upscale API reference (imagen-4.0-upscale-preview)
# Imagen spells "no people" DONT_ALLOW; Gemini's imageConfig spells it ALLOW_NONE (WIRE.md §3.1, §5.2).
_IMAGEN_PERSON_GENERATION = {"ALLOW_NONE": "DONT_ALLOW"}

NO_REASON_MESSAGE = (
    "Every image was filtered out, and the service gave no reason "
    "(set include_rai_reason=True to see it). Rephrase the prompt; "
    "you are not charged for blocked images."
)
_FILTERED_COUNT = re.compile(r"filtered out (\d+) generated image", re.IGNORECASE)


def build_generate_body(
    prompt: str,
    *,
    n: int | None = None,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    add_watermark: bool | None = None,
    enhance_prompt: bool | None = None,
    guidance_scale: float | None = None,
    safety_setting: str | None = None,
    person_generation: str | None = None,
    include_rai_reason: bool | None = True,
    include_safety_attributes: bool = False,
    language: str | None = None,
    output_mime_type: str | None = None,
    compression_quality: int | None = None,
    storage_uri: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``:predict`` body for text-to-image (WIRE.md §3.1)."""
    if not prompt_text(prompt, "prompt").strip():
        raise InvalidRequest("The prompt is empty: write what to draw.")
    parameters: dict[str, Any] = {}
    put(parameters, "sampleCount", _count(n))
    put(parameters, "aspectRatio", aspect_ratio)
    put(parameters, "sampleImageSize", image_size_value(image_size))
    put(parameters, "enhancePrompt", flag_option(enhance_prompt, "enhance_prompt"))
    put(parameters, "language", text_option(language, "language"))
    _common_parameters(
        parameters,
        negative_prompt=negative_prompt,
        seed=seed,
        add_watermark=add_watermark,
        guidance_scale=guidance_scale,
        safety_setting=safety_setting,
        person_generation=person_generation,
        include_rai_reason=include_rai_reason,
        include_safety_attributes=include_safety_attributes,
        output_mime_type=output_mime_type,
        compression_quality=compression_quality,
        storage_uri=storage_uri,
    )
    return _body({"prompt": prompt}, parameters, labels)


def build_edit_body(
    prompt: str,
    *,
    images: Sequence[ImageInput],
    mask: ImageInput | None = None,
    mode: str | None = None,
    mask_mode: str | None = None,
    mask_dilation: float | None = None,
    mask_classes: Sequence[int] | None = None,
    n: int | None = None,
    aspect_ratio: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    add_watermark: bool | None = None,
    guidance_scale: float | None = None,
    base_steps: int | None = None,
    safety_setting: str | None = None,
    person_generation: str | None = None,
    include_rai_reason: bool | None = True,
    include_safety_attributes: bool = False,
    language: str | None = None,
    output_mime_type: str | None = None,
    compression_quality: int | None = None,
    storage_uri: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``:predict`` body for an edit with reference images (WIRE.md §4.1).

    Each of ``images`` becomes a RAW reference (ids 1, 2, ...); the mask, given as an image
    (``mask``) or computed by the model (``mask_mode`` "background", "foreground", "semantic"),
    comes last.
    """
    prompt_text(prompt, "prompt")  # may be empty: inpaint-remove needs no instruction
    if not images:
        raise InvalidRequest("An edit needs at least one input image: pass images=[...].")
    references: list[dict[str, Any]] = [
        {
            "referenceType": "REFERENCE_TYPE_RAW",
            "referenceId": number,
            "referenceImage": image_ref(image),
        }
        for number, image in enumerate(images, start=1)
    ]
    mask_reference = _mask_reference(mask, mask_mode, mask_dilation, mask_classes)
    if mask_reference is not None:
        mask_reference["referenceId"] = len(references) + 1
        references.append(mask_reference)
    edit_mode = edit_mode_value(mode)
    if edit_mode in _MASKED_MODES and mask_reference is None:
        raise InvalidRequest(
            f"Edit mode {mode!r} changes a masked area, so it needs a mask: pass mask= (an image, "
            "white where the image may change) or mask_mode='background', 'foreground' or 'semantic'."
        )
    parameters: dict[str, Any] = {}
    put(parameters, "editMode", edit_mode)
    if base_steps is not None:
        parameters["editConfig"] = {"baseSteps": _positive_int(base_steps, "base_steps")}
    put(parameters, "sampleCount", _count(n))
    put(parameters, "aspectRatio", aspect_ratio)
    put(parameters, "language", text_option(language, "language"))
    _common_parameters(
        parameters,
        negative_prompt=negative_prompt,
        seed=seed,
        add_watermark=add_watermark,
        guidance_scale=guidance_scale,
        safety_setting=safety_setting,
        person_generation=person_generation,
        include_rai_reason=include_rai_reason,
        include_safety_attributes=include_safety_attributes,
        output_mime_type=output_mime_type,
        compression_quality=compression_quality,
        storage_uri=storage_uri,
    )
    return _body({"prompt": prompt, "referenceImages": references}, parameters, labels)


def build_upscale_body(
    image: ImageInput,
    *,
    factor: str | int = "x2",
    enhance_input_image: bool | None = None,
    image_preservation_factor: float | None = None,
    safety_setting: str | None = None,
    person_generation: str | None = None,
    include_rai_reason: bool | None = True,
    output_mime_type: str | None = None,
    compression_quality: int | None = None,
    storage_uri: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``:predict`` body for an upscale (WIRE.md §4.2): always one image, ``mode: "upscale"``."""
    upscale_config: dict[str, Any] = {"upscaleFactor": upscale_factor_value(factor)}
    put(upscale_config, "enhanceInputImage", flag_option(enhance_input_image, "enhance_input_image"))
    if image_preservation_factor is not None:
        upscale_config["imagePreservationFactor"] = _unit_float(
            image_preservation_factor, "image_preservation_factor"
        )
    parameters: dict[str, Any] = {
        "mode": "upscale",
        "sampleCount": 1,
        "upscaleConfig": upscale_config,
    }
    _common_parameters(
        parameters,
        safety_setting=safety_setting,
        person_generation=person_generation,
        include_rai_reason=include_rai_reason,
        output_mime_type=output_mime_type,
        compression_quality=compression_quality,
        storage_uri=storage_uri,
    )
    return _body({"image": image_ref(image)}, parameters, labels)


def parse_predict_response(body: Mapping[str, Any]) -> ParsedResponse:
    """Images, filter reasons and prompt safety scores from a ``:predict`` answer (WIRE.md §3.2).

    A missing or empty ``predictions`` (every image filtered, no reason asked for) is a block, not
    an error; a body whose shape is not a prediction list raises ``ResponseFormatError``.
    """
    if not isinstance(body, Mapping):
        raise ResponseFormatError(
            f"The Imagen service answered with {type(body).__name__}, not a JSON object."
        )
    if "error" in body:
        raise ResponseFormatError(
            f"The Imagen service answered 200 with an error: {_error_text(body['error'])}"
        )
    predictions = body.get("predictions")
    if predictions is None:
        predictions = []
    if not isinstance(predictions, list):
        raise ResponseFormatError(
            f"The Imagen response's 'predictions' is {type(predictions).__name__}, not a list."
        )
    images: list[ReceivedImage] = []
    blocks: list[Block] = []
    prompt_safety = _safety_attributes(body.get("positivePromptSafetyAttributes"))
    for position, prediction in enumerate(predictions):
        if not isinstance(prediction, Mapping):
            raise ResponseFormatError(f"Imagen prediction {position} is not a JSON object.")
        if prediction.get("contentType") == "Positive Prompt":
            prompt_safety = _safety_attributes(prediction.get("safetyAttributes"))
            continue
        image = _received_image(prediction, position)
        if image is not None:
            images.append(image)
        reason = prediction.get("raiFilteredReason")
        if reason:
            blocks.append(Block("RAI_FILTERED", str(reason), count=_filtered_count(str(reason))))
    if not images and not blocks:
        blocks.append(Block("RAI_FILTERED", NO_REASON_MESSAGE))
    return ParsedResponse(
        images=tuple(images), blocks=tuple(blocks), prompt_safety_attributes=prompt_safety
    )


# ----------------------------------------------------------------------------- request helpers


def image_ref(image: ImageInput) -> dict[str, Any]:
    """An Imagen image object: inline base64 bytes, or ``gcsUri`` for a ``gs://`` input."""
    if image.uri:
        if not image.uri.startswith("gs://"):
            raise InvalidRequest(
                f"Imagen reads input images inline or from Cloud Storage only, not {image.uri!r}: "
                "pass the bytes, or a gs:// URI."
            )
        return {"gcsUri": image.uri}
    if not image.data and not image.b64:
        raise InvalidRequest("An input image is empty: pass its bytes or a gs:// URI.")
    return {"bytesBase64Encoded": image.base64(), "mimeType": image.mime_type}


def edit_mode_value(mode: str | None) -> str | None:
    """``EDIT_MODE_*`` for a short name ("inpaint-insert") or the full enum name; None stays None."""
    return _enum_value(mode, EDIT_MODES, "EDIT_MODE_", "mode")


def mask_mode_value(mask_mode: str | None) -> str | None:
    """``MASK_MODE_*`` for a short name ("background") or the full enum name; None stays None."""
    return _enum_value(mask_mode, MASK_MODES, "MASK_MODE_", "mask_mode")


def upscale_factor_value(factor: str | int) -> str:
    """``"x2"``, ``"x3"`` or ``"x4"`` (also from 2, 4, "2x", "X4")."""
    text = str(factor).strip().lower()
    value = text if text.startswith("x") else "x" + text.rstrip("x")
    if value not in UPSCALE_FACTORS:
        raise InvalidRequest(f"Upscale factor {factor!r} is not supported: use 'x2', 'x3' or 'x4'.")
    return value


def _mask_reference(
    mask: ImageInput | None,
    mask_mode: str | None,
    dilation: float | None,
    classes: Sequence[int] | None,
) -> dict[str, Any] | None:
    mode = mask_mode_value(mask_mode)
    if mask is None and mode is None:
        if dilation is not None or classes is not None:
            raise InvalidRequest(
                "mask_dilation and mask_classes apply to a mask: also pass mask= or mask_mode=."
            )
        return None
    if mask is not None:
        if mode not in (None, "MASK_MODE_USER_PROVIDED"):
            raise InvalidRequest(
                f"mask_mode={mask_mode!r} asks the model to compute the mask, but a mask "
                "image was also given: pass one or the other."
            )
        mode = "MASK_MODE_USER_PROVIDED"
    elif mode == "MASK_MODE_USER_PROVIDED":
        raise InvalidRequest("mask_mode='user-provided' needs the mask image: pass mask=.")
    config: dict[str, Any] = {"maskMode": mode}
    if dilation is not None:
        config["dilation"] = _unit_float(dilation, "mask_dilation")
    if classes is not None:
        if mode != "MASK_MODE_SEMANTIC":
            raise InvalidRequest("mask_classes apply to mask_mode='semantic' only.")
        if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence) or not all(
            isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in classes
        ):
            raise InvalidRequest(f"mask_classes takes a list of 1 to 5 whole class ids, not {short_repr(classes)}.")
        class_ids = [int(c) for c in classes]
        if not 1 <= len(class_ids) <= 5:
            raise InvalidRequest("mask_classes takes 1 to 5 class ids.")
        config["maskClasses"] = class_ids
    reference: dict[str, Any] = {"referenceType": "REFERENCE_TYPE_MASK"}
    if mask is not None:
        reference["referenceImage"] = image_ref(mask)
    reference["maskImageConfig"] = config
    return reference


def _common_parameters(
    parameters: dict[str, Any],
    *,
    negative_prompt: str | None = None,
    seed: int | None = None,
    add_watermark: bool | None = None,
    guidance_scale: float | None = None,
    safety_setting: str | None = None,
    person_generation: str | None = None,
    include_rai_reason: bool | None = True,
    include_safety_attributes: bool = False,
    output_mime_type: str | None = None,
    compression_quality: int | None = None,
    storage_uri: str | None = None,
) -> None:
    """The parameters generate and edit share (upscale uses the safety and output ones)."""
    put(parameters, "negativePrompt", text_option(negative_prompt, "negative_prompt"))
    add_watermark = flag_option(add_watermark, "add_watermark")
    include_rai_reason = flag_option(include_rai_reason, "include_rai_reason")
    flag_option(include_safety_attributes, "include_safety_attributes")
    if seed is not None:
        if add_watermark:
            raise InvalidRequest(
                "Imagen refuses a seed while the SynthID watermark is on: drop seed, or pass "
                "add_watermark=False (a seed then gives repeatable images without the watermark)."
            )
        parameters["seed"] = int(seed)
        add_watermark = False
    put(parameters, "addWatermark", add_watermark)
    if guidance_scale is not None:
        parameters["guidanceScale"] = _number(guidance_scale, "guidance_scale", low=0.0)
    setting = text_option(safety_setting, "safety_setting")
    put(parameters, "safetySetting", setting.strip().upper() if setting else None)
    if text_option(person_generation, "person_generation"):
        value = person_generation.strip().upper()
        parameters["personGeneration"] = _IMAGEN_PERSON_GENERATION.get(value, value)
    put(parameters, "includeRaiReason", include_rai_reason)
    if include_safety_attributes:
        parameters["includeSafetyAttributes"] = True
    put(parameters, "outputOptions", output_options(output_mime_type, compression_quality))
    if storage_uri is not None:
        if not text_option(storage_uri, "storage_uri").startswith("gs://"):
            raise InvalidRequest(
                f"storage_uri must be a Cloud Storage folder (gs://bucket/path), not {storage_uri!r}."
            )
        parameters["storageUri"] = storage_uri


def _body(
    instance: dict[str, Any], parameters: dict[str, Any], labels: Mapping[str, str] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"instances": [instance], "parameters": parameters}
    put(body, "labels", label_map(labels))
    return body


def _count(n: int | None) -> int | None:
    return None if n is None else _positive_int(n, "n")


def _enum_value(
    value: str | None, short: Mapping[str, str], prefix: str, option: str
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        choices = ", ".join(repr(name) for name in short)
        raise InvalidRequest(f"{option} takes one of {choices} (or the {prefix}* name), not {short_repr(value)}.")
    key = value.strip().lower().replace("_", "-")
    if key in short:
        return short[key]
    full = value.strip().upper().replace("-", "_")
    if not full.startswith(prefix):
        full = prefix + full
    if full in short.values():
        return full
    choices = ", ".join(repr(name) for name in short)
    raise InvalidRequest(
        f"{option}={value!r} is not known: use one of {choices} (or the {prefix}* name)."
    )


# ----------------------------------------------------------------------------- response helpers


def _received_image(prediction: Mapping[str, Any], position: int) -> ReceivedImage | None:
    b64 = prediction.get("bytesBase64Encoded")
    gcs_uri = prediction.get("gcsUri")
    if b64 is None and gcs_uri is None:
        return None
    mime_type = str(prediction.get("mimeType") or "")
    extra: dict[str, Any] = {
        "enhanced_prompt": str(prediction.get("prompt") or ""),
        "safety_attributes": _safety_attributes(prediction.get("safetyAttributes")),
    }
    if b64 is not None:
        data = decode_base64(b64, f"Imagen prediction {position}")
        return ReceivedImage(
            data=data, mime_type=mime_type or sniff_mime_type(data), b64=b64, **extra
        )
    if not isinstance(gcs_uri, str):
        raise ResponseFormatError(
            f"Imagen prediction {position} has a gcsUri that is not a string."
        )
    return ReceivedImage(
        data=b"", mime_type=mime_type or _mime_from_name(gcs_uri), gcs_uri=gcs_uri, **extra
    )


def _safety_attributes(value: Any) -> dict[str, float]:
    """``{"categories": [...], "scores": [...]}`` as category -> score."""
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise ResponseFormatError("Imagen safetyAttributes is not a JSON object.")
    categories = value.get("categories") or []
    scores = value.get("scores") or []
    if not isinstance(categories, list) or not isinstance(scores, list):
        raise ResponseFormatError(
            "Imagen safetyAttributes has categories or scores that are not lists."
        )
    try:
        return {
            str(category): float(score) for category, score in zip(categories, scores, strict=False)
        }
    except (TypeError, ValueError) as error:
        raise ResponseFormatError(
            f"Imagen safetyAttributes has a score that is not a number: {error}"
        ) from None


def _filtered_count(reason: str) -> int | None:
    match = _FILTERED_COUNT.search(reason)
    return int(match.group(1)) if match else None


def _mime_from_name(name: str) -> str:
    lowered = name.lower()
    for suffix, mime_type in (
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".webp", "image/webp"),
    ):
        if lowered.endswith(suffix):
            return mime_type
    return ""


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        return (
            f"{error.get('code', '')} {error.get('status', '')}: {error.get('message', '')}".strip()
        )
    return str(error)[:200]


# ----------------------------------------------------------------------------- number checks


def _positive_int(value: Any, option: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"{option} must be a whole number of at least 1, not {value!r}.")
    return value


def _number(value: Any, option: str, *, low: float, high: float | None = None) -> float:
    """A finite real number within [low, high], as float; anything else is refused by name."""
    span = f"between {low:g} and {high:g}" if high is not None else f"of at least {low:g}"
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < low
        or (high is not None and value > high)
    ):
        raise InvalidRequest(f"{option} must be a number {span}, not {short_repr(value)}.")
    return float(value)


def _unit_float(value: Any, option: str) -> float:
    return _number(value, option, low=0.0, high=1.0)
