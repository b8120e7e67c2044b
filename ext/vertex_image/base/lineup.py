"""Every image model Google has shipped, as plain data: one table to read and update by hand.

Written from ``shared/MODELS-2026-11.md`` (Google's pages as of 2026-11-30; the short names in ``source``
are that page's: [CL] Gemini API changelog, [DEP] deprecations, [VMV] Vertex model versions, [VRN] Vertex
release notes, [FBM] Firebase's Imagen migration guide, [IMG] image-generation docs, [LL] LiteLLM's cost map).
Nothing here is computed: ``models.py`` turns these rows into ``ModelInfo`` and works out each model's state
(live, deprecated, restricted, retired) from the dates and a clock. To follow Google's next change, edit a
row (dates are ISO ``YYYY-MM-DD``; ``None`` means "no date announced").

Per surface (``gemini-api``, ``vertex``): ``released``, ``deprecated`` (a notice is shown from then on),
``restricted`` (served only to projects that used it before), ``shutdown`` (404 from then on; the call is
refused before sending). A surface that never served the model is absent.
"""

from __future__ import annotations

# Aspect ratios and sizes ------------------------------------------------------------------------------
IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
EXTREME_RATIOS = ("1:4", "4:1", "1:8", "8:1")
FLASH_RATIOS = GEMINI_RATIOS + EXTREME_RATIOS  # the 14 ratios of 3.1 Flash Image, 2.1 and Lite [CL]

# Output pixels (width, height) of the Gemini 3.x / 2.1 image models, by size then ratio [IMG]. The page leaves
# 1:4, 4:1, 1:8 and 8:1 blank at 1K and 2K: those are derived by halving the 4K size (as every other ratio
# is), UNCONFIRMED.
GEMINI3_PIXELS = {
    "512": {
        "1:1": (512, 512), "16:9": (688, 384), "9:16": (384, 688), "3:2": (632, 424), "2:3": (424, 632),
        "4:3": (600, 448), "3:4": (448, 600), "5:4": (576, 464), "4:5": (464, 576), "21:9": (792, 336),
        "1:4": (256, 1024), "4:1": (1024, 256), "1:8": (192, 1536), "8:1": (1536, 192),
    },
    "1K": {
        "1:1": (1024, 1024), "16:9": (1376, 768), "9:16": (768, 1376), "3:2": (1264, 848), "2:3": (848, 1264),
        "4:3": (1200, 896), "3:4": (896, 1200), "5:4": (1152, 928), "4:5": (928, 1152), "21:9": (1584, 672),
        "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384),
    },
    "2K": {
        "1:1": (2048, 2048), "16:9": (2752, 1536), "9:16": (1536, 2752), "3:2": (2528, 1696),
        "2:3": (1696, 2528), "4:3": (2400, 1792), "3:4": (1792, 2400), "5:4": (2304, 1856),
        "4:5": (1856, 2304), "21:9": (3168, 1344),
        "1:4": (1024, 4096), "4:1": (4096, 1024), "1:8": (768, 6144), "8:1": (6144, 768),
    },
    "4K": {
        "1:1": (4096, 4096), "16:9": (5504, 3072), "9:16": (3072, 5504), "3:2": (5056, 3392),
        "2:3": (3392, 5056), "4:3": (4800, 3584), "3:4": (3584, 4800), "5:4": (4608, 3712),
        "4:5": (3712, 4608), "21:9": (6336, 2688),
        "1:4": (2048, 8192), "4:1": (8192, 2048), "1:8": (1536, 12288), "8:1": (12288, 1536),
    },
}  # fmt: skip

GEMINI25_PIXELS = {
    "1K": {
        "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
        "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
    },
}  # fmt: skip

IMAGEN4_PIXELS = {
    "1K": {"1:1": (1024, 1024), "3:4": (896, 1280), "4:3": (1280, 896), "9:16": (768, 1408), "16:9": (1408, 768)},
    "2K": {"1:1": (2048, 2048), "3:4": (1792, 2560), "4:3": (2560, 1792), "9:16": (1536, 2816), "16:9": (2816, 1536)},
}  # fmt: skip

# Prices ------------------------------------------------------------------------------------------------
# USD per 1M tokens, or per image for Imagen; ``image_tokens`` is the output tokens of one image by size,
# ``input_image_tokens`` the prompt tokens of one input image (what the estimate before sending counts; the cost
# after it comes from the answer's own counts). Input text and images share ``input_per_m``; thinking tokens
# are billed as text output (``text_output_per_m``) [LL].
# From LiteLLM's cost map (which cites Google's pricing pages) [LL]; UNCONFIRMED against Google's own page.
PRICES_AS_OF = "2026-11-30"
PRICES_SOURCE = "LiteLLM 1.110.2 cost map, citing ai.google.dev/gemini-api/docs/pricing (UNCONFIRMED there)"
# Grounding with Google Search on Gemini 3 models: USD per 1,000 search queries, beyond a monthly free allowance
# that is not counted here (so a grounded call's cost is an upper bound) [LL]; UNCONFIRMED.
SEARCH_PER_1K = 14.0
BATCH_DISCOUNT = 0.5  # Gemini API Batch Mode and Vertex batch prediction: 50% of the standard price [BATCH][VBP]

_IMAGEN_RETIRED = {"gemini-api": "2026-08-17", "vertex": "2026-08-17"}  # [CL] and "as early as" [FBM]
# Imagen options (the API's names) that no Gemini image model takes: a migrated request drops them and says so.
_IMAGEN_ONLY = (
    "negative_prompt", "safety_setting", "enhance_prompt", "add_watermark", "guidance_scale", "include_rai_reason",
    "include_safety_attributes", "language", "storage_uri",
)  # fmt: skip

MODELS: list[dict] = [
    # --- Imagen: the legacy :predict family, every model shut down --------------------------------------
    {
        "id": "imagen-4.0-generate-001", "name": "Imagen 4", "family": "imagen", "aliases": ("imagen4", "imagen-4"),
        "surfaces": {
            "gemini-api": {"released": "2025-06-24", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
            "vertex": {"released": "2025-06-24", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
        },
        "replacement": "gemini-nano-banana-2.1", "migration_thinking": "HIGH", "source": "[CL] [FBM]",
        "ratios": IMAGEN_RATIOS, "sizes": ("1K", "2K"), "pixels": IMAGEN4_PIXELS, "max_count": 8,
        "max_candidates": 4, "not_carried_over": _IMAGEN_ONLY,
        "prices": {"per_image": 0.04},
    },
    {
        "id": "imagen-4.0-fast-generate-001", "name": "Imagen 4 Fast", "family": "imagen",
        "aliases": ("imagen4-fast", "imagen-4-fast"),
        "surfaces": {
            "gemini-api": {"released": "2025-06-24", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
            "vertex": {"released": "2025-06-24", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
        },
        "replacement": "gemini-nano-banana-2.1", "migration_thinking": "MINIMAL", "source": "[CL] [FBM]",
        "ratios": IMAGEN_RATIOS, "sizes": ("1K",), "pixels": {"1K": IMAGEN4_PIXELS["1K"]}, "max_count": 8,
        "max_candidates": 4, "not_carried_over": _IMAGEN_ONLY,
        "prices": {"per_image": 0.02},
    },
    {
        "id": "imagen-4.0-ultra-generate-001", "name": "Imagen 4 Ultra", "family": "imagen",
        "aliases": ("imagen4-ultra", "imagen-4-ultra"),
        "surfaces": {
            "gemini-api": {"released": "2025-06-24", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
            "vertex": {"released": "2025-06-24", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
        },
        "replacement": "gemini-3-pro-image", "migration_thinking": None, "source": "[CL] [FBM]",
        "ratios": IMAGEN_RATIOS, "sizes": ("1K", "2K"), "pixels": IMAGEN4_PIXELS, "max_count": 8,
        "max_candidates": 4, "not_carried_over": _IMAGEN_ONLY,
        "prices": {"per_image": 0.06},
    },
    {
        "id": "imagen-3.0-generate-002", "name": "Imagen 3", "family": "imagen", "aliases": ("imagen3", "imagen-3"),
        "surfaces": {
            "gemini-api": {"released": "2025-02-06", "deprecated": "2025-08-01", "shutdown": "2025-11-10"},
            "vertex": {"released": "2025-02-06", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
        },
        "replacement": "gemini-nano-banana-2.1", "migration_thinking": "HIGH",
        "source": "[CL]; the Vertex dates are Imagen 4's, UNCONFIRMED",
        "ratios": IMAGEN_RATIOS, "sizes": (), "max_count": 8, "max_candidates": 4, "not_carried_over": _IMAGEN_ONLY,
        "prices": {"per_image": 0.04},
    },
    {
        "id": "imagen-3.0-generate-001", "name": "Imagen 3 (001)", "family": "imagen", "aliases": (),
        "surfaces": {
            "gemini-api": {"released": "2024-08-01", "deprecated": "2025-08-01", "shutdown": "2025-11-10"},
            "vertex": {"released": "2024-08-01", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
        },
        "replacement": "gemini-nano-banana-2.1", "migration_thinking": "HIGH",
        "source": "[CL]; the Vertex dates are Imagen 4's, UNCONFIRMED",
        "ratios": IMAGEN_RATIOS, "sizes": (), "max_count": 8, "max_candidates": 4, "not_carried_over": _IMAGEN_ONLY,
        "prices": {"per_image": 0.04},
    },
    {
        "id": "imagen-3.0-fast-generate-001", "name": "Imagen 3 Fast", "family": "imagen", "aliases": ("imagen3-fast",),
        "surfaces": {
            "gemini-api": {"released": "2024-08-01", "deprecated": "2025-08-01", "shutdown": "2025-11-10"},
            "vertex": {"released": "2024-08-01", "deprecated": "2026-06-15", "shutdown": "2026-08-17"},
        },
        "replacement": "gemini-nano-banana-2.1", "migration_thinking": "MINIMAL",
        "source": "[CL]; the Vertex dates are Imagen 4's, UNCONFIRMED",
        "ratios": IMAGEN_RATIOS, "sizes": (), "max_count": 8, "max_candidates": 4, "not_carried_over": _IMAGEN_ONLY,
        "prices": {"per_image": 0.02},
    },
    {
        "id": "imagen-3.0-capability-001", "name": "Imagen 3 editing", "family": "imagen",
        "aliases": ("imagen3-edit", "imagen-edit"),
        "surfaces": {"vertex": {"released": "2024-12-01", "deprecated": "2026-06-15", "shutdown": "2026-08-17"}},
        "replacement": "gemini-nano-banana-2.1", "migration_thinking": None,
        "source": "[FBM] (shut down 'as early as 2026-08-17': exact date UNCONFIRMED)",
        "ratios": IMAGEN_RATIOS, "sizes": (), "max_count": 8, "max_candidates": 4, "editing": True,
        "max_inputs": 4, "not_carried_over": (*_IMAGEN_ONLY, "mask", "mode", "mask_mode", "mask_dilation", "mask_classes", "base_steps"),
        "notes": "Mask editing has no Gemini replacement: describe the change in words instead.",
        "prices": {"per_image": 0.04},
    },
    {
        "id": "imagen-4.0-upscale-preview", "name": "Imagen 4 upscaler (preview)", "family": "imagen",
        "aliases": ("imagen4-upscale", "upscale"),
        "surfaces": {"vertex": {"released": "2025-08-01", "deprecated": "2026-06-15", "shutdown": "2026-08-17"}},
        "replacement": None, "migration_thinking": None,
        "source": "no date from Google (UNCONFIRMED): treated as retired with the rest of Imagen",
        "ratios": (), "sizes": (), "max_count": 1, "max_candidates": 1, "upscale": True, "max_inputs": 1,
        "seed": False, "not_carried_over": ("upscale_factor",),
        "notes": "No Gemini model upscales; ask a Gemini model for image_size='4K' when generating instead.",
        "prices": {"per_image": 0.06},
    },
    # --- Gemini image models ("Nano Banana") -----------------------------------------------------------
    {
        "id": "gemini-2.0-flash-preview-image-generation", "name": "Gemini 2.0 Flash image generation (preview)",
        "family": "gemini", "aliases": (),
        "surfaces": {
            "gemini-api": {"released": "2025-05-07", "deprecated": "2025-11-11", "shutdown": "2025-11-14"},
            "vertex": {"released": "2025-05-07", "deprecated": "2025-11-11", "shutdown": "2025-11-14"},
        },
        "replacement": "gemini-2.5-flash-image", "source": "[CL]; Vertex dates UNCONFIRMED",
        "ratios": ("1:1",), "sizes": (), "max_inputs": 3, "sampling": True, "pixels": {"1K": {"1:1": (1024, 1024)}},
        "prices": {"input_per_m": 0.10, "image_output_per_m": 30.0, "text_output_per_m": 0.40,
                   "image_tokens": {"1K": 1290}, "input_image_tokens": 258},
    },
    {
        "id": "gemini-2.5-flash-image-preview", "name": "Gemini 2.5 Flash Image (preview)", "family": "gemini",
        "aliases": (),
        "surfaces": {
            "gemini-api": {"released": "2025-08-26", "deprecated": "2025-12-04", "shutdown": "2026-01-15"},
            "vertex": {"released": "2025-08-26", "deprecated": "2025-12-04", "shutdown": "2026-01-15"},
        },
        "replacement": "gemini-2.5-flash-image", "source": "[CL]; Vertex dates UNCONFIRMED",
        "ratios": GEMINI_RATIOS, "sizes": (), "max_inputs": 3, "sampling": True, "pixels": GEMINI25_PIXELS,
        "prices": {"input_per_m": 0.30, "image_output_per_m": 30.0, "text_output_per_m": 2.50,
                   "image_tokens": {"1K": 1290}, "input_image_tokens": 258},
    },
    {
        "id": "gemini-2.5-flash-image", "name": "Gemini 2.5 Flash Image (Nano Banana 1)", "family": "gemini",
        "aliases": ("nano-banana-1", "nanobanana-1"),
        "surfaces": {
            # Since 2026-09-18 "Gemini 2.5 models" are served only to projects that used them before,
            # "not deprecated, until further notice" [CL]; the deprecations page's "earliest 2026-10-02" [DEP]
            # has not happened.
            "gemini-api": {"released": "2025-10-02", "restricted": "2026-09-18"},
            # New access is blocked one month before a Vertex discontinuation [VMV].
            "vertex": {"released": "2025-10-02", "deprecated": "2026-09-02", "shutdown": "2026-10-02"},
        },
        "replacement": "gemini-nano-banana-2.1", "source": "[CL] [DEP] [VMV]",
        "ratios": GEMINI_RATIOS, "sizes": (), "max_inputs": 3, "sampling": True, "pixels": GEMINI25_PIXELS,
        "prices": {"input_per_m": 0.30, "image_output_per_m": 30.0, "text_output_per_m": 2.50,
                   "image_tokens": {"1K": 1290}, "input_image_tokens": 258},
    },
    {
        "id": "gemini-3-pro-image-preview", "name": "Gemini 3 Pro Image (preview)", "family": "gemini",
        "aliases": (),
        "surfaces": {
            "gemini-api": {"released": "2025-11-20", "deprecated": "2026-05-28", "shutdown": "2026-06-25"},
            "vertex": {"released": "2025-11-20", "deprecated": "2026-05-28", "shutdown": "2026-07-19"},
        },
        "replacement": "gemini-3-pro-image", "source": "[CL] [DEP] [VRN]",
        "ratios": GEMINI_RATIOS, "sizes": ("1K", "2K", "4K"), "max_inputs": 14, "search": ("web",),
        "thinking": (), "always_thinks": True, "output_options": True, "pixels": GEMINI3_PIXELS,
        "prices": {"input_per_m": 2.00, "image_output_per_m": 120.0, "text_output_per_m": 12.0,
                   "image_tokens": {"1K": 1120, "2K": 1120, "4K": 2000}, "input_image_tokens": 560},
    },
    {
        "id": "gemini-3.1-flash-image-preview", "name": "Gemini 3.1 Flash Image (preview)", "family": "gemini",
        "aliases": (),
        "surfaces": {
            "gemini-api": {"released": "2026-02-26", "deprecated": "2026-05-28", "shutdown": "2026-06-25"},
            "vertex": {"released": "2026-02-26", "deprecated": "2026-05-28", "shutdown": "2026-07-19"},
        },
        "replacement": "gemini-3.1-flash-image", "source": "[CL] [VRN]",
        "ratios": FLASH_RATIOS, "sizes": ("512", "1K", "2K", "4K"), "max_inputs": 14, "search": ("web", "image"),
        "thinking": ("MINIMAL", "HIGH"), "default_thinking": "MINIMAL", "output_options": True,
        "pixels": GEMINI3_PIXELS,
        "prices": {"input_per_m": 0.50, "image_output_per_m": 60.0, "text_output_per_m": 3.0,
                   "image_tokens": {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
                   "input_image_tokens": 1120},
    },
    {
        "id": "gemini-3-pro-image", "name": "Gemini 3 Pro Image (Nano Banana Pro)", "family": "gemini",
        "aliases": ("nano-banana-pro", "nanobanana-pro"),
        "surfaces": {
            "gemini-api": {"released": "2026-05-28"},
            "vertex": {"released": "2026-05-28"},  # discontinuation "2027-05-28 or later" [VMV]
        },
        "source": "[CL] [VMV] [VRN]",
        "ratios": GEMINI_RATIOS, "sizes": ("1K", "2K", "4K"), "max_inputs": 14, "search": ("web",),
        "thinking": (), "always_thinks": True, "output_options": True, "pixels": GEMINI3_PIXELS,
        "prices": {"input_per_m": 2.00, "image_output_per_m": 120.0, "text_output_per_m": 12.0,
                   "image_tokens": {"1K": 1120, "2K": 1120, "4K": 2000}, "input_image_tokens": 560},
    },
    {
        "id": "gemini-3.1-flash-image", "name": "Gemini 3.1 Flash Image (Nano Banana 2)", "family": "gemini",
        "aliases": ("nano-banana-2", "nanobanana-2"),
        "surfaces": {
            # Deprecated 2026-10-06, "migrate to gemini-nano-banana-2.1", no shutdown date [CL]. Two third-party
            # reports say the Gemini API stopped serving it on 2026-10-29: UNCONFIRMED, so it is still sent.
            "gemini-api": {"released": "2026-05-28", "deprecated": "2026-10-06"},
            # The Vertex page read predates October ("2027-05-28 or later"); its deprecation follows [CL].
            "vertex": {"released": "2026-05-28", "deprecated": "2026-10-06"},
        },
        "replacement": "gemini-nano-banana-2.1", "source": "[CL] [VMV]",
        "ratios": FLASH_RATIOS, "sizes": ("512", "1K", "2K", "4K"), "max_inputs": 14, "search": ("web", "image"),
        "thinking": ("MINIMAL", "HIGH"), "default_thinking": "MINIMAL", "output_options": True,
        "pixels": GEMINI3_PIXELS,
        "prices": {"input_per_m": 0.50, "image_output_per_m": 60.0, "text_output_per_m": 3.0,
                   "image_tokens": {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
                   "input_image_tokens": 1120},
    },
    {
        "id": "gemini-3.1-flash-lite-image", "name": "Gemini 3.1 Flash Lite Image (Nano Banana 2 Lite)",
        "family": "gemini", "aliases": ("nano-banana-lite", "nanobanana-lite", "nano-banana-2-lite"),
        "surfaces": {
            "gemini-api": {"released": "2026-06-30"},
            "vertex": {"released": "2026-06-30"},  # Vertex availability UNCONFIRMED (LiteLLM lists vertex_ai/)
        },
        "source": "[CL] [LL]",
        "ratios": FLASH_RATIOS, "sizes": ("1K",), "max_inputs": 14, "search": (),
        "thinking": ("MINIMAL", "HIGH"), "default_thinking": "MINIMAL", "output_options": True,
        "pixels": GEMINI3_PIXELS,
        "notes": "Reference-image count and search grounding are not documented for Lite (UNCONFIRMED).",
        "prices": {"input_per_m": 0.25, "image_output_per_m": 30.0, "text_output_per_m": 1.50,
                   "image_tokens": {"1K": 1120}, "input_image_tokens": 1120},
    },
    {
        "id": "gemini-nano-banana-2.1", "name": "Nano Banana 2.1", "family": "gemini",
        "aliases": ("nano-banana", "nanobanana", "nano-banana-2.1", "nanobanana-2.1"),
        "surfaces": {"gemini-api": {"released": "2026-10-06"}, "vertex": {"released": "2026-10-06"}},
        "source": "[CL] [VBP]; Google's recommended image model",
        "ratios": FLASH_RATIOS, "sizes": ("1K", "2K", "4K"), "max_inputs": 14, "search": ("web", "image"),
        "thinking": ("MINIMAL", "MEDIUM", "HIGH"), "default_thinking": "MEDIUM", "output_options": True,
        "pixels": GEMINI3_PIXELS,
        "notes": "imageSize '512' is refused with 400. Thinking levels from third-party tests (UNCONFIRMED).",
        "prices": {"input_per_m": 1.50, "image_output_per_m": 30.0, "text_output_per_m": 3.0,
                   "image_tokens": {"1K": 1120, "2K": 1680, "4K": 3760}, "input_image_tokens": 1120},
    },
]

RECOMMENDED = "gemini-nano-banana-2.1"  # Google's recommended image model [CL]: every default of ours
