"""The model registry: which image models exist, their names, and what options each accepts.

One source of truth for capabilities (WIRE.md §3.3, §3.4, §5, §5.2, §7, §11). ``validate_options``
refuses what a model cannot take before any request is sent, with a message listing what it accepts.
Unknown model names pass through (``known=False``) so that new models work before this table knows them.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, replace
from typing import Any

from .errors import InvalidRequest

IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
EXTREME_RATIOS = ("1:4", "4:1", "1:8", "8:1")
IMAGE_SIZES = ("512", "1K", "2K", "4K")
MAX_PARALLEL_IMAGES = 8  # the largest n of one call: Gemini sends one request per image, Imagen up to 4 per request
MAX_SEED = 2**31 - 1  # seeds are int32 on the wire (Imagen and Gemini); request k of a call uses seed + k

_PREFIXES = ("vertex_ai/", "gemini/", "google/", "publishers/google/models/", "models/")
_RATIO_RE = re.compile(r"^\d{1,2}:\d{1,2}$")


@dataclass(frozen=True)
class ModelInfo:
    """What one image model is and accepts.

    Attributes:
        id: the model id sent on the wire.
        family: ``imagen`` (``:predict``) or ``gemini`` (``:generateContent``).
        aliases: short names, matched case-insensitively.
        display_name: a human name for tables and the panel.
        aspect_ratios: accepted ``aspectRatio`` values (empty: the model takes none, e.g. upscale).
        image_sizes: accepted sizes; empty means the model has no size parameter (one size, ~1K).
        max_count: the largest ``n`` of one call.
        max_candidates: images per request (Imagen ``sampleCount``; Gemini 1, so ``n`` > 1 is sent as
            ``n`` parallel requests).
        max_input_images: images one request may carry (0: text-to-image only).
        editing: edits input images (Imagen capability model; every Gemini image model).
        upscale: an upscaler (takes one image, no prompt).
        supports_4k: a ``4K`` size exists.
        search_grounding: accepts the ``googleSearch`` tool.
        negative_prompt: has a negative prompt parameter (Imagen on Vertex).
        seed: has a seed parameter.
        known: False for a name this registry does not know (passed through, permissive).
        notes: a caveat for the models table.
    """

    id: str
    family: str
    aliases: tuple[str, ...] = ()
    display_name: str = ""
    aspect_ratios: tuple[str, ...] = ()
    image_sizes: tuple[str, ...] = ()
    max_count: int = 1
    max_candidates: int = 1
    max_input_images: int = 0
    editing: bool = False
    upscale: bool = False
    supports_4k: bool = False
    search_grounding: bool = False
    negative_prompt: bool = False
    seed: bool = True
    known: bool = True
    notes: str = ""

    @property
    def method(self) -> str:
        """The REST method of this family."""
        return "predict" if self.family == "imagen" else "generateContent"


_IMAGEN_LEGACY = "Imagen is being retired during 2026; Google recommends gemini-2.5-flash-image."


def _imagen(model_id: str, name: str, *aliases: str, sizes: tuple[str, ...] = (), **extra: Any) -> ModelInfo:
    defaults: dict[str, Any] = {
        "aspect_ratios": IMAGEN_RATIOS,
        "image_sizes": sizes,
        "max_count": MAX_PARALLEL_IMAGES,  # n > 4 is sent as several requests
        "max_candidates": 4,  # sampleCount 1-4 per request (WIRE.md §7)
        "negative_prompt": True,
        "notes": _IMAGEN_LEGACY,
    }
    return ModelInfo(model_id, "imagen", aliases, name, **{**defaults, **extra})


def _gemini(model_id: str, name: str, *aliases: str, **extra: Any) -> ModelInfo:
    defaults: dict[str, Any] = {
        "aspect_ratios": GEMINI_RATIOS,
        "max_count": MAX_PARALLEL_IMAGES,
        "max_candidates": 1,  # candidateCount > 1 on image models is UNCONFIRMED (WIRE.md §5.2)
        "editing": True,
    }
    return ModelInfo(model_id, "gemini", aliases, name, **{**defaults, **extra})


# Gemini 3 Pro Image and 3.1 Flash Image: the GA ids (released 2026-05-28) have the capabilities of their
# previews (Vertex model pages); the aliases stay on the previews, as issued.
_PRO_IMAGE: dict[str, Any] = {
    "image_sizes": ("1K", "2K", "4K"), "supports_4k": True, "max_input_images": 14, "search_grounding": True,
}
# Gemini 3.1 Flash Image: 14 ratios (with 1:4, 4:1, 1:8, 8:1), sizes 512/1K/2K/4K ("512" on the wire) and
# 14 images per prompt: docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-1-flash-image and
# the Gemini API ImageConfig reference (WIRE.md §5.2/§10 had these UNCONFIRMED).
_FLASH31_IMAGE: dict[str, Any] = {
    "aspect_ratios": GEMINI_RATIOS + EXTREME_RATIOS, "image_sizes": IMAGE_SIZES, "supports_4k": True,
    "max_input_images": 14, "search_grounding": True,
}  # fmt: skip

_MODELS: tuple[ModelInfo, ...] = (
    # Imagen 4: sampleImageSize 1K/2K on Standard and Ultra (WIRE.md §3.4). Fast has no 2K: the
    # ai.google.dev Imagen page lists imageSize for Standard and Ultra only.
    _imagen("imagen-4.0-generate-001", "Imagen 4", "imagen4", "imagen-4", sizes=("1K", "2K")),
    _imagen("imagen-4.0-fast-generate-001", "Imagen 4 Fast", "imagen4-fast", "imagen-4-fast", sizes=("1K",)),
    _imagen("imagen-4.0-ultra-generate-001", "Imagen 4 Ultra", "imagen4-ultra", "imagen-4-ultra", sizes=("1K", "2K")),
    # Imagen 3 has no size parameter.
    _imagen("imagen-3.0-generate-002", "Imagen 3", "imagen3", "imagen-3"),
    _imagen("imagen-3.0-generate-001", "Imagen 3 (001)"),
    _imagen("imagen-3.0-fast-generate-001", "Imagen 3 Fast", "imagen3-fast"),
    # Editing: referenceImages (raw, mask, control, style, subject); the count limit is UNCONFIRMED.
    _imagen(
        "imagen-3.0-capability-001", "Imagen 3 editing", "imagen3-edit", "imagen-edit",
        editing=True, max_input_images=4,
    ),
    _imagen(
        "imagen-4.0-upscale-preview", "Imagen 4 upscaler (preview)", "imagen4-upscale", "upscale",
        aspect_ratios=(), max_count=1, max_candidates=1, max_input_images=1, upscale=True,
        negative_prompt=False, seed=False,
    ),
    # Gemini 2.5 Flash Image: one size per ratio (~1K); 3 input images, 10 ratios (Vertex 2-5-flash-image page).
    _gemini(
        "gemini-2.5-flash-image", "Gemini 2.5 Flash Image (Nano Banana)", "nano-banana", "nanobanana",
        max_input_images=3,
    ),
    _gemini(
        "gemini-3-pro-image-preview", "Gemini 3 Pro Image (Nano Banana Pro, preview)", "nano-banana-pro",
        **_PRO_IMAGE,
    ),
    _gemini("gemini-3-pro-image", "Gemini 3 Pro Image (Nano Banana Pro)", **_PRO_IMAGE),
    _gemini(
        "gemini-3.1-flash-image-preview", "Gemini 3.1 Flash Image (Nano Banana 2, preview)", "nano-banana-2",
        **_FLASH31_IMAGE,
    ),
    _gemini("gemini-3.1-flash-image", "Gemini 3.1 Flash Image (Nano Banana 2)", **_FLASH31_IMAGE),
)

_BY_NAME: dict[str, ModelInfo] = {}
for _info in _MODELS:
    for _name in (_info.id, *_info.aliases):
        _BY_NAME[_name.lower()] = _info


def list_models() -> list[ModelInfo]:
    """Every known model: Imagen first, then Gemini, in a stable order."""
    return list(_MODELS)


def resolve_model(name: str) -> ModelInfo:
    """The model for an id or alias; unknown names pass through with ``known=False``.

    Accepts, case-insensitively: ids, aliases (``imagen4``, ``nano-banana``...), and the prefixes
    ``vertex_ai/`` and ``gemini/`` (litellm), ``google/`` (OpenRouter style), ``models/`` and
    ``publishers/google/models/`` (REST).
    An unknown name keeps its spelling; its family is ``imagen`` when it starts with ``imagen`` or
    ``imagegeneration``, else ``gemini``.

    Raises:
        InvalidRequest: an empty name, or one that is not text.
    """
    if name is not None and not isinstance(name, str):
        raise InvalidRequest(
            f"The model must be a name such as 'imagen4' or 'nano-banana' (text), not "
            f"{' '.join(repr(name).split())[:60]} ({type(name).__name__}); %vertex_image models lists them."
        )
    text = (name or "").strip()
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PREFIXES:
            if text.lower().startswith(prefix):
                text, stripped = text[len(prefix):].strip(), True
    if not text:
        raise InvalidRequest(f"No model name (got {name!r}); choose one of: {', '.join(m.id for m in _MODELS)}.")
    key = re.sub(r"[\s_]+", "-", text.lower())
    info = _BY_NAME.get(text.lower()) or _BY_NAME.get(key)
    if info is not None:
        return info
    return _unknown(text)


def _unknown(model_id: str) -> ModelInfo:
    """Permissive capabilities for a model the registry does not know: the service decides."""
    if model_id.lower().startswith(("imagen", "imagegeneration")):
        return replace(
            _imagen(model_id, model_id, sizes=("1K", "2K"), editing=True, max_input_images=4),
            known=False, notes="Not in vertex-image's model table; options are passed through unchecked.",
        )
    return replace(
        _gemini(
            model_id, model_id, aspect_ratios=GEMINI_RATIOS + EXTREME_RATIOS, image_sizes=IMAGE_SIZES,
            supports_4k=True, max_input_images=14, search_grounding=True,
        ),
        known=False, notes="Not in vertex-image's model table; options are passed through unchecked.",
    )


def normalize_image_size(value: str) -> str:
    """``2k`` -> ``2K``, ``512px``/``0.5K`` -> ``512``; other text is upper-cased as is."""
    text = str(value).strip().upper().replace(" ", "")
    if text in ("512PX", "0.5K", "512"):
        return "512"
    return text


def wire_image_size(info: ModelInfo, image_size: str | None) -> str | None:
    """The size to send, or None when the model has no size parameter (1K is then implied)."""
    if image_size is None or not info.image_sizes:
        return None
    return normalize_image_size(image_size)


def validate_options(
    info: ModelInfo,
    *,
    n: int | None = None,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    input_images: int = 0,
    search: bool = False,
    edit: bool = False,
    dialect: str = "vertex",
    **other: Any,
) -> None:
    """Refuse options the model cannot take, before any request is sent.

    Unknown models (``known=False``) get only the checks of form (``n`` >= 1, ``W:H`` ratios, size
    names). ``other`` options are not checked here (the wire builders check their own values),
    except ``upscale_factor`` (``x2``, ``x3`` or ``x4``: the Imagen upscale API reference).

    Raises:
        InvalidRequest: a one-line message naming the model and what it accepts.
    """
    _check_n(info, n)
    _check_aspect_ratio(info, aspect_ratio)
    _check_image_size(info, image_size)
    _check_features(info, negative_prompt, seed, input_images, search, edit, dialect)
    requests = -(-n // max(1, info.max_candidates)) if n is not None else 1
    if seed is not None and seed + requests - 1 > MAX_SEED:
        raise InvalidRequest(
            f"seed {seed} with n={n} would use seeds up to {seed + requests - 1} (request k of a call uses "
            f"seed + k), above the largest, {MAX_SEED}; pick a seed of at most {MAX_SEED - requests + 1}."
        )
    factor = other.get("upscale_factor")
    if factor is not None and str(factor).lower() not in ("x2", "x3", "x4"):
        raise InvalidRequest(f"upscale_factor {factor!r} is not accepted; use 'x2', 'x3' or 'x4'.")


def _check_n(info: ModelInfo, n: int | None) -> None:
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidRequest(f"n must be a whole number of at least 1, not {n!r}.")
    if n > info.max_count:
        raise InvalidRequest(
            f"{info.id} makes at most {info.max_count} images per call (asked for {n}); call again for more."
        )


def _check_aspect_ratio(info: ModelInfo, aspect_ratio: str | None) -> None:
    if aspect_ratio is None:
        return
    ratio = str(aspect_ratio).replace(" ", "")
    if not _RATIO_RE.match(ratio):
        raise InvalidRequest(f"Aspect ratio {aspect_ratio!r} is not of the form W:H, e.g. 16:9.")
    if not info.known:
        return
    if not info.aspect_ratios:
        raise InvalidRequest(f"{info.id} takes no aspect ratio: the output follows the input image.")
    if ratio not in info.aspect_ratios:
        raise InvalidRequest(
            f"{info.id} does not take aspect ratio {ratio!r}; it accepts {', '.join(info.aspect_ratios)}."
        )


def _check_image_size(info: ModelInfo, image_size: str | None) -> None:
    if image_size is None:
        return
    size = normalize_image_size(image_size)
    if size not in IMAGE_SIZES:
        accepted = ", ".join(info.image_sizes) if info.known and info.image_sizes else ", ".join(IMAGE_SIZES)
        raise InvalidRequest(f"Image size {image_size!r} is not one of {accepted}.")
    if not info.known or size in info.image_sizes or (not info.image_sizes and size == "1K"):
        return
    larger = [m.id for m in _MODELS if m.family == info.family and size in m.image_sizes]
    if not info.image_sizes:
        # gemini-2.5-flash-image: whether imageSize errors or is ignored is UNCONFIRMED (WIRE.md §5.2);
        # its output is ~1024 px either way, so asking for more would silently give less.
        why = f"{info.id} has one output size (about 1K)"
    else:
        why = f"{info.id} accepts image size {', '.join(info.image_sizes)}"
    hint = f"; for {size} use {' or '.join(larger)}" if larger else ""
    raise InvalidRequest(f"{why}, not {size!r}{hint}.")


def _check_features(
    info: ModelInfo,
    negative_prompt: str | None,
    seed: int | None,
    input_images: int,
    search: bool,
    edit: bool,
    dialect: str,
) -> None:
    gemini_api = dialect == "gemini-api"
    if info.family == "imagen" and gemini_api and (info.editing or info.upscale) and info.known:
        raise InvalidRequest(f"{info.id} is served on Vertex AI only, not by the Gemini API.")
    if negative_prompt:
        if info.family == "gemini":
            raise InvalidRequest(
                f"{info.id} has no negative prompt; say what to avoid in the prompt itself "
                "(e.g. '... with no text, no people')."
            )
        if gemini_api:
            raise InvalidRequest("The Gemini API does not take negative_prompt for Imagen; use Vertex AI.")
        if not info.negative_prompt and info.known:
            raise InvalidRequest(f"{info.id} takes no negative prompt.")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:
            raise InvalidRequest(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")
        if info.family == "imagen" and gemini_api:
            raise InvalidRequest("The Gemini API does not take a seed for Imagen; use Vertex AI.")
        if not info.seed and info.known:
            raise InvalidRequest(f"{info.id} takes no seed.")
    if search and not info.search_grounding:
        with_search = [m.id for m in _MODELS if m.search_grounding]
        raise InvalidRequest(
            f"{info.id} has no Google Search grounding; it is available on {', '.join(with_search)}."
        )
    _check_inputs(info, input_images, edit)


def _check_inputs(info: ModelInfo, input_images: int, edit: bool) -> None:
    if (edit or input_images) and not (info.editing or info.upscale):
        raise InvalidRequest(
            f"{info.id} generates from text only and cannot edit images; use imagen-3.0-capability-001 "
            "(masks, inpainting) or a Gemini image model such as gemini-2.5-flash-image."
        )
    if input_images < 0:
        raise InvalidRequest(f"input_images cannot be negative ({input_images}).")
    if info.known and input_images > info.max_input_images:
        more = [m.id for m in _MODELS if m.family == info.family and m.max_input_images >= input_images]
        hint = f"; {' or '.join(more)} can take {input_images}" if more else ""
        raise InvalidRequest(
            f"{info.id} takes at most {info.max_input_images} input image"
            f"{'s' if info.max_input_images != 1 else ''} per request, not {input_images}{hint}."
        )


# --- output sizes (WIRE.md §3.4 and §11) ------------------------------------------------------

_IMAGEN4 = {
    ("1:1", "1K"): (1024, 1024), ("1:1", "2K"): (2048, 2048),
    ("3:4", "1K"): (896, 1280), ("3:4", "2K"): (1792, 2560),
    ("4:3", "1K"): (1280, 896), ("4:3", "2K"): (2560, 1792),
    ("9:16", "1K"): (768, 1408), ("9:16", "2K"): (1536, 2816),
    ("16:9", "1K"): (1408, 768), ("16:9", "2K"): (2816, 1536),
}  # fmt: skip
_FLASH25 = {
    "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
    "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
}  # fmt: skip
_PRO_1K = {
    "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200), "4:3": (1200, 896),
    "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672),
}  # fmt: skip
_PRO = {
    **{(ratio, "1K"): size for ratio, size in _PRO_1K.items()},
    **{(ratio, "2K"): (w * 2, h * 2) for ratio, (w, h) in _PRO_1K.items()},  # the §11 table: exactly x2
    **{(ratio, "4K"): (w * 4, h * 4) for ratio, (w, h) in _PRO_1K.items()},  # and exactly x4
}
# 3.1 Flash: the Pro table plus the sizes WIRE.md §11 gives for the 512 tier and the extreme ratios.
_FLASH31 = {**_PRO, ("16:9", "512"): (688, 384), ("8:1", "512"): (1536, 192), ("8:1", "1K"): (3072, 384)}

_SIZE_TABLES: dict[str, dict[tuple[str, str], tuple[int, int]]] = {
    "imagen-4.0-generate-001": _IMAGEN4,
    "imagen-4.0-ultra-generate-001": _IMAGEN4,
    "imagen-4.0-fast-generate-001": {key: size for key, size in _IMAGEN4.items() if key[1] == "1K"},
    "gemini-2.5-flash-image": {(ratio, "1K"): size for ratio, size in _FLASH25.items()},
    "gemini-3-pro-image-preview": _PRO,
    "gemini-3-pro-image": _PRO,
    "gemini-3.1-flash-image-preview": _FLASH31,
    "gemini-3.1-flash-image": _FLASH31,
}


def output_size(info: ModelInfo, aspect_ratio: str | None = None, image_size: str | None = None) -> tuple[int, int]:
    """The (width, height) the model produces, from Google's size tables; (0, 0) when not known.

    ``None`` means the defaults (1:1, 1K). Imagen 3, upscaling and unknown models give (0, 0).
    """
    table = _SIZE_TABLES.get(info.id)
    if table is None:
        return (0, 0)
    ratio = (aspect_ratio or "1:1").replace(" ", "")
    size = normalize_image_size(image_size) if image_size else "1K"
    return table.get((ratio, size), (0, 0))


__all__ = [
    "EXTREME_RATIOS",
    "GEMINI_RATIOS",
    "IMAGEN_RATIOS",
    "IMAGE_SIZES",
    "MAX_PARALLEL_IMAGES",
    "ModelInfo",
    "list_models",
    "normalize_image_size",
    "output_size",
    "resolve_model",
    "validate_options",
    "wire_image_size",
]
