"""The models the emulator knows and what each accepts (WIRE.md §3.3, §3.4, §5, §7, §11; for the Gemini image
models of 2026, MODELS-2026-11.md §2 and §3, which supersede WIRE.md there).

Written from those pages, independently of ``vertex_image.models``: the emulator is a peer that checks the
client. Which ids are served on which day is ``lineup.py``; this module says what each id accepts.
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

# gemini-3.1-flash-image(-preview), gemini-3.1-flash-lite-image and gemini-nano-banana-2.1 add these ratios
# (WIRE.md §11: 8:1 is 3072x384 at 1K). MODELS §2 gives only the 512 and 4K cells of 1:4/4:1 (256x1024,
# 2048x8192) and 1:8/8:1 (192x1536, 1536x12288); the 1K and 2K cells are blank there, so the emulator derives
# them by the same factor 2 between tiers that every other ratio follows (1:4 1K 512x2048, 2K 1024x4096;
# 1:8 1K 384x3072, 2K 768x6144): UNCONFIRMED.
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
    # thinkingConfig.thinkingLevel values the model takes (empty: the field is refused with 400)
    thinking_levels: tuple[str, ...] = ()
    default_thinking_level: str = ""
    search_types: tuple[str, ...] = ()  # googleSearch searchTypes the model takes: "web", "image"

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
# gemini-nano-banana-2.1: the 14 ratios at 1K, 2K, 4K; "512" is refused with 400 (MODELS §2)
_G21_SIZES = {size: table for size, table in _G31_SIZES.items() if size != "512"}
# gemini-3.1-flash-lite-image: the 14 ratios, 1K only (MODELS §2)
_LITE_SIZES = {"1K": _G31_1K}

# MODELS §2 prices the output of gemini-nano-banana-2.1 at $30 per 1M tokens: 1K "about $0.034" is the
# footnote's 1,120 tokens (0.0336); "about $0.050" at 2K is 1,667 tokens and "about $0.113" at 4K is 3,767:
# the emulator counts 1,680 (0.0504, the 3.1 Flash 2K count) and 3,760 (0.1128), both inside the rounding of
# the published prices. UNCONFIRMED against Google's pricing page.
NANO_BANANA_21_TOKENS = {"1K": 1120, "2K": 1680, "4K": 3760}

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
            search_types=("web",),  # MODELS §2: web search only; thinking always on, not settable
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
            thinking_levels=("MINIMAL", "HIGH"),
            default_thinking_level="MINIMAL",
            search_types=("web", "image"),
        ),
        ModelSpec(
            id="gemini-3.1-flash-lite-image",
            family="gemini",
            sizes=_LITE_SIZES,
            max_input_images=14,  # UNCONFIRMED (MODELS §2): the limit of its family
            default_mime="image/jpeg",
            thinks=True,  # issues and, on the Gemini API, enforces thought signatures (Gemini 3 rule, UNCONFIRMED)
            image_tokens={"1K": 1120},  # $30 / 1M tokens, about $0.034 per image (MODELS §2)
            input_image_tokens=1120,  # UNCONFIRMED: as 3.1 Flash Image
            thinking_levels=("MINIMAL", "HIGH"),  # [LL]
            default_thinking_level="MINIMAL",  # UNCONFIRMED
            search_types=("web",),  # UNCONFIRMED: web only until a Google page says image search too
        ),
        ModelSpec(
            id="gemini-nano-banana-2.1",
            family="gemini",
            sizes=_G21_SIZES,
            max_input_images=14,  # 10 objects + 4 characters (MODELS §2)
            default_mime="image/jpeg",
            thinks=True,  # issues and, on the Gemini API, enforces thought signatures (Gemini 3 rule, UNCONFIRMED)
            image_tokens=NANO_BANANA_21_TOKENS,
            input_image_tokens=1120,  # UNCONFIRMED: as 3.1 Flash Image, the model it replaces
            thinking_levels=("MINIMAL", "MEDIUM", "HIGH"),
            default_thinking_level="MEDIUM",
            search_types=("web", "image"),
        ),
    ]
}
# The GA ids (released 2026-05-28) are the same models as their previews.
_GA_OF_PREVIEW = {
    "gemini-3-pro-image-preview": "gemini-3-pro-image",
    "gemini-3.1-flash-image-preview": "gemini-3.1-flash-image",
}
KNOWN_MODELS.update({ga: replace(KNOWN_MODELS[preview], id=ga) for preview, ga in _GA_OF_PREVIEW.items()})
# Older ids, served only on an earlier emulated day (lineup.py): they answer like gemini-2.5-flash-image (their
# own limits, e.g. the 2.0 preview's TEXT+IMAGE-only modalities, are not emulated).
KNOWN_MODELS.update(
    {
        old: replace(KNOWN_MODELS["gemini-2.5-flash-image"], id=old)
        for old in ("gemini-2.5-flash-image-preview", "gemini-2.0-flash-preview-image-generation")
    }
)


def _lookalike(name: str) -> str:
    """The known model an extra model behaves like when the caller names none."""
    if name.startswith(("imagen", "imagegeneration")):
        return "imagen-4.0-generate-001"
    if "lite" in name:
        return "gemini-3.1-flash-lite-image"
    if "nano-banana" in name or "2.1" in name:
        return "gemini-nano-banana-2.1"
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
