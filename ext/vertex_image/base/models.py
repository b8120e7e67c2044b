"""The model table: which image models exist, their names, and what options each accepts.

The rows are plain data in ``lineup.py`` (one source of truth, with dates, capabilities and prices);
this module turns them into ``ModelInfo`` and ``validate_options`` refuses what a model cannot take before any
request is sent, with a message listing what it accepts. ``lifecycle.py`` says which models are still served.
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import lifecycle
from .errors import InvalidRequest, ModelRetired
from .lineup import EXTREME_RATIOS, GEMINI_RATIOS, IMAGEN_RATIOS, MODELS, RECOMMENDED

IMAGE_SIZES = ("512", "1K", "2K", "4K")
THINKING_LEVELS = ("MINIMAL", "MEDIUM", "HIGH")
SEARCH_TYPES = ("web", "image")
MAX_PARALLEL_IMAGES = 8  # the largest n of one call: Gemini sends one request per image, Imagen up to 4 per request
MAX_SEED = 2**31 - 1  # seeds are int32 on the wire (Imagen and Gemini); request k of a call uses seed + k

_PREFIXES = ("vertex_ai/", "gemini/", "google/", "publishers/google/models/", "models/")
_RATIO_RE = re.compile(r"^\d{1,2}:\d{1,2}$")
Pixels = Mapping[str, Mapping[str, tuple[int, int]]]


@dataclass(frozen=True)
class ModelInfo:
    """What one image model is and accepts (a row of ``lineup.MODELS``, or a name the table does not know).

    Attributes:
        id: the model id sent on the wire.
        family: ``imagen`` (``:predict``, legacy) or ``gemini`` (``:generateContent``).
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
        negative_prompt: has a negative prompt parameter (Imagen on Vertex).
        seed: has a seed parameter.
        thinking_levels: values of ``thinkingConfig.thinkingLevel`` it takes (empty: not settable).
        default_thinking: the level the service uses when none is sent.
        always_thinks: thinks at a level that cannot be set (Gemini 3 Pro Image).
        search_types: Google Search grounding it takes: ``web`` and/or ``image``.
        output_options: takes ``imageConfig.imageOutputOptions`` (on Vertex AI only).
        sampling: takes temperature (Google deprecated sampling parameters for new models in 2026-07).
        surfaces: per surface (``gemini-api``, ``vertex``) its dates; see ``lifecycle``.
        replacement: the model Google names as its successor.
        migration_thinking: the thinking level Google's migration table gives with the replacement.
        not_carried_over: options of this model that its replacement has no equivalent for.
        pixels: output (width, height) by image size, then aspect ratio.
        prices: USD per 1M tokens (``input_per_m``, ``image_output_per_m``...) or ``per_image``.
        known: False for a name this table does not know (passed through, unchecked).
        notes: a caveat for the models table.
        source: the pages the row was written from.
    """

    id: str
    family: str
    aliases: tuple[str, ...] = ()
    display_name: str = ""
    aspect_ratios: tuple[str, ...] = ()
    image_sizes: tuple[str, ...] = ()
    max_count: int = MAX_PARALLEL_IMAGES
    max_candidates: int = 1
    max_input_images: int = 0
    editing: bool = False
    upscale: bool = False
    negative_prompt: bool = False
    seed: bool = True
    thinking_levels: tuple[str, ...] = ()
    default_thinking: str | None = None
    always_thinks: bool = False
    search_types: tuple[str, ...] = ()
    output_options: bool = False
    sampling: bool = False
    surfaces: Mapping[str, Mapping[str, date | None]] = field(default_factory=dict, compare=False)
    replacement: str | None = None
    migration_thinking: str | None = None
    not_carried_over: tuple[str, ...] = ()
    pixels: Pixels = field(default_factory=dict, compare=False, repr=False)
    prices: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    known: bool = True
    notes: str = ""
    source: str = ""

    @property
    def method(self) -> str:
        """The REST method of this family."""
        return "predict" if self.family == "imagen" else "generateContent"

    @property
    def search_grounding(self) -> bool:
        """Takes the ``googleSearch`` tool at all."""
        return bool(self.search_types)

    @property
    def supports_4k(self) -> bool:
        """A ``4K`` size exists."""
        return "4K" in self.image_sizes


def _dates(surface: Mapping[str, str | None]) -> dict[str, date | None]:
    return {key: (date.fromisoformat(value) if value else None) for key, value in surface.items()}


def _from_row(row: Mapping[str, Any]) -> ModelInfo:
    """One row of the lineup as a ``ModelInfo``: the family decides the defaults a row leaves out."""
    imagen = row["family"] == "imagen"
    return ModelInfo(
        id=row["id"],
        family=row["family"],
        aliases=tuple(row.get("aliases", ())),
        display_name=row.get("name", row["id"]),
        aspect_ratios=tuple(row.get("ratios", ())),
        image_sizes=tuple(row.get("sizes", ())),
        max_count=row.get("max_count", MAX_PARALLEL_IMAGES),
        max_candidates=row.get("max_candidates", 4 if imagen else 1),
        max_input_images=row.get("max_inputs", 0),
        editing=row.get("editing", not imagen),
        upscale=row.get("upscale", False),
        negative_prompt=imagen and not row.get("upscale", False),
        seed=row.get("seed", True),
        thinking_levels=tuple(row.get("thinking", ())),
        default_thinking=row.get("default_thinking"),
        always_thinks=row.get("always_thinks", False),
        search_types=tuple(row.get("search", ())),
        output_options=row.get("output_options", False),
        sampling=row.get("sampling", False),
        surfaces={name: _dates(dates) for name, dates in row.get("surfaces", {}).items()},
        replacement=row.get("replacement"),
        migration_thinking=row.get("migration_thinking"),
        not_carried_over=tuple(row.get("not_carried_over", ())),
        pixels=row.get("pixels", {}),
        prices=row.get("prices", {}),
        notes=row.get("notes", ""),
        source=row.get("source", ""),
    )


_MODELS: tuple[ModelInfo, ...] = tuple(_from_row(row) for row in MODELS)
_BY_NAME: dict[str, ModelInfo] = {}
for _info in _MODELS:
    for _name in (_info.id, *_info.aliases):
        _BY_NAME[_name.lower()] = _info


def list_models() -> list[ModelInfo]:
    """Every model of the table, Imagen (legacy) first, then Gemini, in a stable order."""
    return list(_MODELS)


def served_models(surface: str | None = None, today: date | None = None) -> list[ModelInfo]:
    """The models Google still serves on ``surface`` (on either surface when None): what pickers offer."""
    surfaces = (surface,) if surface else lifecycle.SURFACES
    return [
        info for info in _MODELS
        if any(s in info.surfaces and lifecycle.state_on(info, s, today).served for s in surfaces)
    ]  # fmt: skip


def resolve_model(name: str) -> ModelInfo:
    """The model for an id or alias; an unknown name close to a known one is refused ("did you mean").

    Accepts, case-insensitively: ids, aliases (``nano-banana``, ``nano-banana-pro``...), and the prefixes
    ``vertex_ai/`` and ``gemini/`` (litellm), ``google/`` (OpenRouter style), ``models/`` and
    ``publishers/google/models/`` (REST). A name the table does not know and that is not a near miss of one
    it knows (a model newer than the table, a private endpoint's) passes through with ``known=False``.
    Retired models resolve too: ``lifecycle.check_lifecycle`` answers them.

    Raises:
        InvalidRequest: an empty name, one that is not text, or a near miss of a known name.
    """
    if name is not None and not isinstance(name, str):
        raise InvalidRequest(
            f"The model must be a name such as 'nano-banana' or '{RECOMMENDED}' (text), not "
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
        raise InvalidRequest(f"No model name (got {name!r}); Google's recommended image model is {RECOMMENDED}.")
    key = re.sub(r"[\s_]+", "-", text.lower())
    info = _BY_NAME.get(text.lower()) or _BY_NAME.get(key)
    if info is not None:
        return info
    near = near_miss(key)
    if near is not None:
        raise InvalidRequest(_did_you_mean(text, near))
    return _unknown(text)


def near_miss(name: str) -> ModelInfo | None:
    """The known model a mistyped name most likely meant, or None for a name that looks new.

    A name is new (not a near miss) when it names a Gemini image model of a version above every version the
    table knows (``gemini-3.5-flash-image``, ``gemini-nano-banana-3``): those are sent, unchecked.
    """
    if _looks_newer(name):
        return None
    matches = difflib.get_close_matches(name, list(_BY_NAME), n=1, cutoff=0.8)
    return _BY_NAME[matches[0]] if matches else None


_VERSION_RE = re.compile(r"^gemini-(?:nano-banana-)?(\d+(?:\.\d+)?)(?:-|$)")


def _looks_newer(name: str) -> bool:
    found = _VERSION_RE.match(name)
    if found is None or not ("image" in name or "nano-banana" in name):
        return False
    banana = "nano-banana" in name
    known = [
        float(m.group(1))
        for info in _MODELS
        if (m := _VERSION_RE.match(info.id)) and ("nano-banana" in info.id) == banana
    ]
    return float(found.group(1)) > max(known, default=0.0)


def _did_you_mean(text: str, near: ModelInfo) -> str:
    state = lifecycle.summary(near)
    if state == "live":
        meant = f"{near.id}"
    else:
        successor = _successor(near, "vertex") or _successor(near, "gemini-api")
        meant = f"{near.id} ({state}" + (f"; use {successor.id}" if successor else "") + ")"
    return f"Unknown model {text!r}: did you mean {meant}? Nothing was sent; %vertex_image models lists the models."


RETIRED_POLICIES = ("refuse", "migrate", "send")


@dataclass(frozen=True)
class Checked:
    """The model a call goes to, after its lifecycle was checked on the surface it is sent to.

    Attributes:
        info: the model to send to (the replacement when a retired model was migrated).
        notice: one line to show (deprecated, restricted, migrated, unchecked), or None.
        migrated_from: the retired id asked for, when ``info`` is its replacement.
        thinking: the thinking level the migration sets (Google's migration table), or None.
        dropped: the options given that the replacement cannot take (not sent).
    """

    info: ModelInfo
    notice: str | None = None
    migrated_from: str | None = None
    thinking: str | None = None
    dropped: tuple[str, ...] = ()


def check_lifecycle(
    info: ModelInfo,
    surface: str,
    *,
    policy: str = "refuse",
    options: Any = (),
    today: date | None = None,
) -> Checked:
    """Answer a retired model before anything is sent; let a deprecated one through with a notice.

    ``policy`` (the ``retired_models`` setting): ``refuse`` raises; ``migrate`` sends to the replacement with
    the thinking level of Google's migration table and drops the options it cannot carry over; ``send``
    sends anyway (a private endpoint that still serves the model). ``options``: names of the options given.

    Raises:
        ModelRetired: a retired model under ``refuse``, or under ``migrate`` with no replacement.
    """
    if not info.known:
        return Checked(info, notice=f"note: {info.id} is not in vertex-image's model table: sent, unchecked.")
    life = lifecycle.state_on(info, surface, today)
    if life.state in ("deprecated", "restricted"):
        return Checked(info, notice=lifecycle.notice_line(life))
    if life.served or policy == "send":
        return Checked(info)
    target = _successor(info, surface, today)
    thinking = info.migration_thinking if target is not None and info.migration_thinking in target.thinking_levels else None
    dropped = tuple(name for name in options if name in info.not_carried_over)
    line = lifecycle.retired_line(life, migrate_to=target.id if target else None, thinking=thinking, dropped=dropped)
    if policy == "migrate" and target is not None:
        return Checked(
            target, notice=f"note: {line.replace('; nothing was sent. Use', '; sent to')}",
            migrated_from=info.id, thinking=thinking, dropped=dropped,
        )
    raise ModelRetired(
        line + (" (retired_models='migrate' does this for you.)" if target else ""),
        model=info.id, replacement=target.id if target else None, thinking=thinking, dropped=dropped,
    )


def _successor(info: ModelInfo, surface: str, today: date | None = None) -> ModelInfo | None:
    """The first model served on ``surface`` along the chain of replacements (2.0 -> 2.5 -> 2.1)."""
    seen = {info.id}
    current = info
    while current.replacement and current.replacement not in seen:
        current = _BY_NAME[current.replacement.lower()]
        seen.add(current.id)
        if lifecycle.state_on(current, surface, today).served:
            return current
    return None


def _unknown(model_id: str) -> ModelInfo:
    """Permissive capabilities for a model the table does not know: the service decides."""
    unchecked = "Not in vertex-image's model table: sent, with its options unchecked."
    if model_id.lower().startswith(("imagen", "imagegeneration")):
        return ModelInfo(
            model_id, "imagen", display_name=model_id, aspect_ratios=IMAGEN_RATIOS, image_sizes=("1K", "2K"),
            max_candidates=4, max_input_images=4, editing=True, negative_prompt=True, known=False, notes=unchecked,
        )
    return ModelInfo(
        model_id, "gemini", display_name=model_id, aspect_ratios=GEMINI_RATIOS + EXTREME_RATIOS,
        image_sizes=IMAGE_SIZES, max_input_images=14, editing=True, thinking_levels=THINKING_LEVELS,
        search_types=SEARCH_TYPES, output_options=True, sampling=True, known=False, notes=unchecked,
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


def normalize_thinking(value: Any) -> str | None:
    """``high`` -> ``HIGH``; None stays None.

    Raises:
        InvalidRequest: a value that is not one of minimal, medium, high.
    """
    if value is None:
        return None
    text = str(value).strip().upper() if isinstance(value, str) else ""
    if text not in THINKING_LEVELS:
        raise InvalidRequest(f"thinking must be one of minimal, medium, high, not {value!r}.")
    return text


def normalize_search(value: Any) -> tuple[str, ...]:
    """The search types asked for: ``True``/``"web"`` -> (web,), ``"image"``, ``"all"`` -> (web, image).

    Raises:
        InvalidRequest: anything else (a string such as "no" is not a boolean).
    """
    if value is None or value is False:
        return ()
    if value is True:
        return ("web",)
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if text in ("web", "image"):
        return (text,)
    if text in ("all", "web+image", "both"):
        return SEARCH_TYPES
    raise InvalidRequest(f"search must be web, image or all (or True/False), not {value!r}.")


def validate_options(
    info: ModelInfo,
    *,
    n: int | None = None,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    input_images: int = 0,
    search: Any = False,
    edit: bool = False,
    dialect: str = "vertex",
    thinking: str | None = None,
    temperature: float | None = None,
    output_mime_type: str | None = None,
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
    _check_features(info, negative_prompt, seed, input_images, edit, dialect)
    _check_gemini_options(info, thinking, normalize_search(search), temperature, output_mime_type)
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
        others = _live_with(lambda m: ratio in m.aspect_ratios)
        hint = f"; for {ratio} use {' or '.join(others)}" if others else ""
        raise InvalidRequest(
            f"{info.id} does not take aspect ratio {ratio!r}; it accepts {', '.join(info.aspect_ratios)}{hint}."
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
    larger = _live_with(lambda m: m.family == info.family and size in m.image_sizes)
    if not info.image_sizes:
        # gemini-2.5-flash-image: whether imageSize errors or is ignored is UNCONFIRMED (WIRE.md §5.2);
        # its output is ~1024 px either way, so asking for more would silently give less.
        why = f"{info.id} has one output size (about 1K)"
    else:
        why = f"{info.id} accepts image size {', '.join(info.image_sizes)}"
    hint = f"; for {size} use {' or '.join(larger)}" if larger else ""
    raise InvalidRequest(f"{why}, not {size!r}{hint}.")


def _live_with(wanted: Any) -> list[str]:
    """Ids of the models still served today (on some surface) that satisfy ``wanted``."""
    today = date.today()
    return [
        m.id
        for m in _MODELS
        if wanted(m) and any(d.get("shutdown") is None or d["shutdown"] > today for d in m.surfaces.values())
    ]


def _check_features(
    info: ModelInfo,
    negative_prompt: str | None,
    seed: int | None,
    input_images: int,
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
    _check_inputs(info, input_images, edit)


def _check_gemini_options(
    info: ModelInfo, thinking: str | None, search: tuple[str, ...], temperature: float | None, mime: str | None
) -> None:
    level = normalize_thinking(thinking)
    if level is not None and level not in info.thinking_levels:
        if info.always_thinks:
            raise InvalidRequest(f"{info.id} always thinks; its thinking level cannot be set: drop --thinking.")
        if not info.thinking_levels:
            raise InvalidRequest(f"{info.id} has no thinking level to set: drop --thinking.")
        accepted = ", ".join(t.lower() for t in info.thinking_levels)
        raise InvalidRequest(f"{info.id} takes thinking {accepted}, not {level.lower()!r}.")
    missing = [kind for kind in search if kind not in info.search_types]
    if missing and info.known:
        others = _live_with(lambda m: set(search) <= set(m.search_types))
        takes = f"it takes {' and '.join(info.search_types)} search" if info.search_types else "it has no search"
        hint = f"; {' or '.join(others)} can" if others else ""
        raise InvalidRequest(f"{info.id} has no Google {' and '.join(missing)} search grounding ({takes}){hint}.")
    if temperature is not None and not info.sampling and info.known:
        raise InvalidRequest(
            f"{info.id} does not take temperature (Google deprecated sampling parameters for its 2026 models): "
            "drop it; use thinking or a seed to steer the result."
        )
    if mime and info.family == "gemini" and not info.output_options and info.known:
        raise InvalidRequest(f"{info.id} has no output format option; it answers in its own format.")


def _check_inputs(info: ModelInfo, input_images: int, edit: bool) -> None:
    if info.known and info.family == "imagen" and (info.editing or info.upscale) and not (edit or input_images):
        use = "vi.upscale_image(image)" if info.upscale else f"vi.edit_image(prompt, image, model={info.id!r})"
        raise InvalidRequest(
            f"{info.id} does not generate images from text: it {'upscales' if info.upscale else 'edits'} an image; "
            f"use {use}, or {RECOMMENDED} to generate."
        )
    if (edit or input_images) and not (info.editing or info.upscale):
        raise InvalidRequest(
            f"{info.id} generates from text only and cannot edit images; use a Gemini image model such as "
            f"{RECOMMENDED}."
        )
    if input_images < 0:
        raise InvalidRequest(f"input_images cannot be negative ({input_images}).")
    if info.known and input_images > info.max_input_images:
        more = _live_with(lambda m: m.family == info.family and m.max_input_images >= input_images)
        hint = f"; {' or '.join(more)} can take {input_images}" if more else ""
        raise InvalidRequest(
            f"{info.id} takes at most {info.max_input_images} input image"
            f"{'s' if info.max_input_images != 1 else ''} per request, not {input_images}{hint}."
        )


def output_size(info: ModelInfo, aspect_ratio: str | None = None, image_size: str | None = None) -> tuple[int, int]:
    """The (width, height) the model produces, from Google's size tables; (0, 0) when not known.

    ``None`` means the defaults (1:1, 1K). Imagen 3, upscaling and unknown models give (0, 0).
    """
    ratio = (aspect_ratio or "1:1").replace(" ", "")
    size = normalize_image_size(image_size) if image_size else "1K"
    if ratio not in info.aspect_ratios or size not in (info.image_sizes or ("1K",)):
        return (0, 0)
    return tuple(info.pixels.get(size, {}).get(ratio, (0, 0)))  # type: ignore[return-value]


__all__ = [
    "EXTREME_RATIOS",
    "GEMINI_RATIOS",
    "IMAGEN_RATIOS",
    "IMAGE_SIZES",
    "MAX_PARALLEL_IMAGES",
    "Checked",
    "ModelInfo",
    "RETIRED_POLICIES",
    "check_lifecycle",
    "RECOMMENDED",
    "SEARCH_TYPES",
    "THINKING_LEVELS",
    "list_models",
    "near_miss",
    "normalize_image_size",
    "normalize_search",
    "normalize_thinking",
    "output_size",
    "resolve_model",
    "served_models",
    "validate_options",
    "wire_image_size",
]
