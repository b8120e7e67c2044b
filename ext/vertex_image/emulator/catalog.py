"""The models the emulator knows and what each accepts (WIRE.md §3.3, §3.4, §5, §7, §11).

Written from WIRE.md, independently of ``vertex_image.models``: the emulator is a peer that checks the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

Size = tuple[int, int]

IMAGEN_1K: dict[str, Size] = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}

GEMINI_25_SIZES: dict[str, Size] = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}

GEMINI_3_1K: dict[str, Size] = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}

# gemini-3.1-flash-image-preview adds these ratios (WIRE.md §11: 8:1 is 3072x384 at 1K).
GEMINI_31_EXTRA_1K: dict[str, Size] = {
    "1:4": (512, 2048),
    "4:1": (2048, 512),
    "1:8": (384, 3072),
    "8:1": (3072, 384),
}


def _scaled(table: Mapping[str, Size], factor: float) -> dict[str, Size]:
    return {ratio: (int(w * factor), int(h * factor)) for ratio, (w, h) in table.items()}


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts and how the emulator answers for it."""

    id: str
    family: str  # "imagen" | "gemini"
    sizes: Mapping[str, Mapping[str, Size]]  # image size label -> aspect ratio -> (w, h)
    default_size: str = "1K"
    max_count: int = 4
    max_input_images: int = 0
    editing: bool = False  # Imagen referenceImages editing
    upscale: bool = True  # Imagen upscale (any Imagen model; WIRE.md §4.2 model list UNCONFIRMED)
    generates: bool = True  # Imagen text-to-image
    accepts_image_size: bool = True
    default_mime: str = "image/png"
    thinks: bool = False  # Gemini 3: thought parts, signatures enforced on the Gemini API
    image_tokens: Mapping[str, int] = field(default_factory=dict)  # output tokens per image, by size
    input_image_tokens: int = 258  # prompt tokens per input image
    max_candidates: int = 1  # Gemini candidateCount (the "Parameter defaults" row of each Vertex model page)

    @property
    def aspect_ratios(self) -> list[str]:
        """The aspect ratios of the default size tier, in table order."""
        return list(self.sizes[self.default_size])

    def size_for(self, aspect_ratio: str, image_size: str) -> Size:
        """The exact output size in pixels."""
        return tuple(self.sizes[image_size][aspect_ratio])  # type: ignore[return-value]


def _imagen(model_id: str, **kw: object) -> ModelSpec:
    sizes = {"1K": IMAGEN_1K, "2K": _scaled(IMAGEN_1K, 2)}
    if model_id.startswith(("imagen-3", "imagegeneration")):
        sizes = {"1K": IMAGEN_1K}
        kw.setdefault("accepts_image_size", False)
    return ModelSpec(id=model_id, family="imagen", sizes=sizes, **kw)  # type: ignore[arg-type]


_G3_SIZES = {"1K": GEMINI_3_1K, "2K": _scaled(GEMINI_3_1K, 2), "4K": _scaled(GEMINI_3_1K, 4)}
_G31_1K = {**GEMINI_3_1K, **GEMINI_31_EXTRA_1K}
_G31_SIZES = {
    "512": _scaled(_G31_1K, 0.5),
    "1K": _G31_1K,
    "2K": _scaled(_G31_1K, 2),
    "4K": _scaled(_G31_1K, 4),
}

KNOWN_MODELS: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in [
        _imagen("imagen-4.0-generate-001"),
        _imagen("imagen-4.0-fast-generate-001"),
        _imagen("imagen-4.0-ultra-generate-001"),
        _imagen("imagen-4.0-generate-preview-06-06"),
        _imagen("imagen-4.0-ultra-generate-preview-06-06", max_count=1),
        _imagen("imagen-3.0-generate-002"),
        _imagen("imagen-3.0-generate-001"),
        _imagen("imagen-3.0-fast-generate-001"),
        _imagen("imagen-3.0-capability-001", editing=True, generates=False),
        _imagen("imagen-4.0-ingredients-preview", editing=True, generates=False),
        _imagen("imagen-4.0-upscale-preview", generates=False),
        _imagen("imagegeneration@002", max_count=8),
        _imagen("imagegeneration@005", max_count=8),
        _imagen("imagegeneration@006", max_count=8, editing=True),
        ModelSpec(
            id="gemini-2.5-flash-image",
            family="gemini",
            sizes={"1K": GEMINI_25_SIZES},
            max_input_images=3,
            image_tokens={"1K": 1290},
            max_candidates=8,  # docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/2-5-flash-image
        ),
        ModelSpec(
            id="gemini-3-pro-image-preview",
            family="gemini",
            sizes=_G3_SIZES,
            max_input_images=14,
            default_mime="image/jpeg",
            thinks=True,
            # docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-pro-image
            image_tokens={"1K": 1120, "2K": 1120, "4K": 2000},
            input_image_tokens=560,
        ),
        ModelSpec(
            id="gemini-3.1-flash-image-preview",
            family="gemini",
            sizes=_G31_SIZES,
            max_input_images=14,
            default_mime="image/jpeg",
            thinks=True,
            # docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-1-flash-image
            image_tokens={"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
            input_image_tokens=1120,
        ),
    ]
}
# The GA ids (released 2026-05-28) are the same models as their previews.
_GA_OF_PREVIEW = {
    "gemini-3-pro-image-preview": "gemini-3-pro-image",
    "gemini-3.1-flash-image-preview": "gemini-3.1-flash-image",
}
KNOWN_MODELS.update({ga: replace(KNOWN_MODELS[preview], id=ga) for preview, ga in _GA_OF_PREVIEW.items()})


def _lookalike(name: str) -> str:
    """The known model an extra model behaves like when the caller names none."""
    if name.startswith(("imagen", "imagegeneration")):
        return "imagen-4.0-generate-001"
    if "3.1" in name:
        return "gemini-3.1-flash-image-preview"
    if name.startswith("gemini-3"):
        return "gemini-3-pro-image-preview"
    return "gemini-2.5-flash-image"


def build_catalog(extra_models: Mapping[str, str] | Iterable[str] | None = None) -> dict[str, ModelSpec]:
    """Known models plus extras: a list of names (behaving like the nearest known model by name) or a
    mapping ``name -> known model id`` to copy the behaviour of."""
    catalog = dict(KNOWN_MODELS)
    if not extra_models:
        return catalog
    pairs = (
        extra_models.items()
        if isinstance(extra_models, Mapping)
        else ((name, _lookalike(name)) for name in extra_models)
    )
    for name, like in pairs:
        if like not in KNOWN_MODELS:
            raise ValueError(f"extra model {name!r}: {like!r} is not a known model ({', '.join(KNOWN_MODELS)})")
        catalog[name] = replace(KNOWN_MODELS[like], id=name)
    return catalog
