"""Which model ids Google serves on which surface on a given day: the emulator's own dated table.

Written from MODELS-2026-11.md §1 (the lineup of 2026-11-30, with its sources), independently of the client's
catalog: the two check each other. Each row gives, per surface (``gemini-api``, ``vertex``), the release date,
the deprecation date, the date from which the model is restricted (served only to projects that used it
before), and the shutdown date. A surface that never offered the model has no entry. The state of a model on a
day is computed from these dates, never written down:

- ``unreleased`` (before its release: 404), ``live``, ``deprecated`` (still served), ``restricted`` (still
  served: the emulator's caller counts as a project that used it before), ``retired`` (on or after its
  shutdown date: 404), ``absent`` (never on that surface: 404).

Dates marked UNCONFIRMED are not settled by a Google page; the emulator needs a date, so it takes the one
named in the comment. When a newer Google page disagrees, change the row (and MODELS-2026-11.md).

Not emulated: Vertex blocking *new* projects one month before a discontinuation ([VMV]); "earliest possible"
dates that Google later withdrew (``gemini-2.5-flash-image`` on the Gemini API, [CL] 2026-09-18) or that are
only a floor ("2027-05-28 or later" for the GA Gemini 3 ids on Vertex): they are kept as notes, not shutdowns.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

GEMINI_API = "gemini-api"
VERTEX = "vertex"
SURFACES = (GEMINI_API, VERTEX)

SERVED = ("live", "deprecated", "restricted")

# The day MODELS-2026-11.md describes; tests pin the emulator to it.
LINEUP_DAY = datetime.date(2026, 11, 30)


def _d(text: str | None) -> datetime.date | None:
    return None if text is None else datetime.date.fromisoformat(text)


@dataclass(frozen=True)
class Availability:
    """One model on one surface."""

    released: datetime.date
    deprecated: datetime.date | None = None
    restricted: datetime.date | None = None
    shutdown: datetime.date | None = None

    def state(self, day: datetime.date) -> str:
        """``unreleased``, ``live``, ``deprecated``, ``restricted`` or ``retired`` on ``day``."""
        if day < self.released:
            return "unreleased"
        if self.shutdown is not None and day >= self.shutdown:
            return "retired"
        if self.restricted is not None and day >= self.restricted:
            return "restricted"
        if self.deprecated is not None and day >= self.deprecated:
            return "deprecated"
        return "live"


@dataclass(frozen=True)
class Listing:
    """What the model-listing endpoints say about a model (MODELS §6; token limits UNCONFIRMED)."""

    display_name: str
    description: str
    version: str  # Gemini API ``version``; Vertex ``versionId`` is "001" unless given
    input_token_limit: int = 65_536
    output_token_limit: int = 32_768
    methods: tuple[str, ...] = ("generateContent", "countTokens", "batchGenerateContent")
    thinking: bool = False
    launch_stage: str = "GA"  # Vertex PublisherModel.launchStage
    version_id: str = "001"
    image: bool = True  # an image model (served by the emulator); False: listed only


@dataclass(frozen=True)
class Row:
    """One model id: its per-surface availability and its listing."""

    id: str
    surfaces: dict[str, Availability]
    listing: Listing
    note: str = ""

    def state(self, surface: str, day: datetime.date) -> str:
        """The model's state on ``surface`` on ``day`` (``absent`` when never offered there)."""
        availability = self.surfaces.get(surface)
        return "absent" if availability is None else availability.state(day)


def _a(
    released: str, *, deprecated: str | None = None, restricted: str | None = None, shutdown: str | None = None
) -> Availability:
    """An Availability from ISO dates."""
    return Availability(datetime.date.fromisoformat(released), _d(deprecated), _d(restricted), _d(shutdown))


def _both(released: str, *, deprecated: str | None = None, shutdown: str | None = None) -> dict[str, Availability]:
    same = _a(released, deprecated=deprecated, shutdown=shutdown)
    return {GEMINI_API: same, VERTEX: same}


def _vertex_only(released: str, *, shutdown: str | None = None) -> dict[str, Availability]:
    return {VERTEX: _a(released, shutdown=shutdown)}


def _imagen_listing(name: str, preview: bool = False) -> Listing:
    return Listing(
        display_name=name,
        description=f"{name}: Imagen, Google's legacy text-to-image model.",
        version="001",
        input_token_limit=480,
        output_token_limit=8192,
        methods=("predict",),
        launch_stage="PUBLIC_PREVIEW" if preview else "GA",
    )


# Every Imagen id is shut down by 2026-08-17 on both surfaces ([CL], [FBM], [IMAGEN] "now shut down"). Where
# Google published no date for an id or a surface (Imagen 3 on Vertex, the 06-06 previews, upscale,
# ingredients, imagegeneration@*), the emulator takes that same 2026-08-17: UNCONFIRMED. Release dates of the
# Imagen ids are approximate (only "before" versus "after" matters here).
IMAGEN_SHUTDOWN = "2026-08-17"

ROWS: list[Row] = [
    # --- Imagen (legacy, :predict) --------------------------------------------------------------------------
    Row(
        "imagen-4.0-generate-001",
        _both("2025-08-14", deprecated="2026-06-15", shutdown=IMAGEN_SHUTDOWN),  # [CL] [FBM]
        _imagen_listing("Imagen 4"),
    ),
    Row(
        "imagen-4.0-fast-generate-001",
        _both("2025-08-14", deprecated="2026-06-15", shutdown=IMAGEN_SHUTDOWN),
        _imagen_listing("Imagen 4 Fast"),
    ),
    Row(
        "imagen-4.0-ultra-generate-001",
        _both("2025-08-14", deprecated="2026-06-15", shutdown=IMAGEN_SHUTDOWN),
        _imagen_listing("Imagen 4 Ultra"),
    ),
    Row(
        "imagen-4.0-generate-preview-06-06",
        _both("2025-06-06", shutdown=IMAGEN_SHUTDOWN),  # shutdown UNCONFIRMED
        _imagen_listing("Imagen 4 (Preview)", preview=True),
    ),
    Row(
        "imagen-4.0-ultra-generate-preview-06-06",
        _both("2025-06-06", shutdown=IMAGEN_SHUTDOWN),  # shutdown UNCONFIRMED
        _imagen_listing("Imagen 4 Ultra (Preview)", preview=True),
    ),
    Row(
        "imagen-3.0-generate-002",
        {
            GEMINI_API: _a("2025-02-06", shutdown="2025-11-10"),  # [CL]
            VERTEX: _a("2025-02-06", shutdown=IMAGEN_SHUTDOWN),  # UNCONFIRMED
        },
        _imagen_listing("Imagen 3"),
    ),
    Row(
        "imagen-3.0-generate-001",
        {
            GEMINI_API: _a("2024-08-01", shutdown="2025-11-10"),  # [CL]
            VERTEX: _a("2024-08-01", shutdown=IMAGEN_SHUTDOWN),  # UNCONFIRMED
        },
        _imagen_listing("Imagen 3"),
    ),
    Row(
        "imagen-3.0-fast-generate-001",
        {
            GEMINI_API: _a("2024-08-01", shutdown="2025-11-10"),  # [CL]
            VERTEX: _a("2024-08-01", shutdown=IMAGEN_SHUTDOWN),  # UNCONFIRMED
        },
        _imagen_listing("Imagen 3 Fast"),
    ),
    Row(
        "imagen-3.0-capability-001",  # edit and masks, Vertex only; "as early as 2026-08-17" [FBM]
        _vertex_only("2024-12-01", shutdown=IMAGEN_SHUTDOWN),
        _imagen_listing("Imagen 3 Editing and Customization"),
    ),
    Row(
        "imagen-4.0-ingredients-preview",
        _vertex_only("2025-09-01", shutdown=IMAGEN_SHUTDOWN),  # UNCONFIRMED
        _imagen_listing("Imagen 4 Ingredients (Preview)", preview=True),
    ),
    Row(
        "imagen-4.0-upscale-preview",
        _vertex_only("2025-09-01", shutdown=IMAGEN_SHUTDOWN),  # "treat as retired": UNCONFIRMED
        _imagen_listing("Imagen 4 Upscale (Preview)", preview=True),
    ),
    Row("imagegeneration@002", _vertex_only("2023-06-07", shutdown=IMAGEN_SHUTDOWN), _imagen_listing("Imagen")),
    Row("imagegeneration@005", _vertex_only("2023-12-13", shutdown=IMAGEN_SHUTDOWN), _imagen_listing("Imagen 2")),
    Row("imagegeneration@006", _vertex_only("2024-05-14", shutdown=IMAGEN_SHUTDOWN), _imagen_listing("Imagen 2")),
    # --- Gemini image models (:generateContent) ---------------------------------------------------------------
    Row(
        "gemini-2.0-flash-preview-image-generation",
        # [CL]: Gemini API shutdown 2025-11-14; Vertex date UNCONFIRMED, taken the same
        _both("2025-05-07", deprecated="2025-11-11", shutdown="2025-11-14"),
        Listing(
            "Gemini 2.0 Flash Preview Image Generation",
            "Gemini 2.0 Flash Preview Image Generation",
            "2.0",
            input_token_limit=32_000,
            output_token_limit=8192,
            launch_stage="PUBLIC_PREVIEW",
        ),
    ),
    Row(
        "gemini-2.5-flash-image-preview",
        # [CL]: Gemini API shutdown 2026-01-15; Vertex date UNCONFIRMED, taken the same
        _both("2025-08-26", deprecated="2025-12-04", shutdown="2026-01-15"),
        Listing(
            "Nano Banana (Preview)",
            "Gemini 2.5 Flash Image Preview",
            "2.0",
            input_token_limit=32_768,
            launch_stage="PUBLIC_PREVIEW",
        ),
    ),
    Row(
        "gemini-2.5-flash-image",
        {
            # [CL] 2026-09-18: served only to projects that used it before, "not deprecated, until further
            # notice" (the [DEP] "earliest 2026-10-02" no longer applies)
            GEMINI_API: _a("2025-10-02", restricted="2026-09-18"),
            VERTEX: _a("2025-10-02", shutdown="2026-10-02"),  # [VMV]
        },
        Listing("Nano Banana", "Gemini 2.5 Flash Image", "2.0", input_token_limit=32_768),
        note="replacement: gemini-nano-banana-2.1",
    ),
    Row(
        "gemini-3-pro-image-preview",
        {
            GEMINI_API: _a("2025-11-20", deprecated="2026-05-28", shutdown="2026-06-25"),  # [CL] [DEP]
            VERTEX: _a(
                "2025-11-20", deprecated="2026-05-28", shutdown="2026-07-19"
            ),  # [VRN]: "update before 2026-07-19"
        },
        Listing(
            "Nano Banana Pro (Preview)",
            "Gemini 3 Pro Image Preview",
            "3.0",
            thinking=True,
            launch_stage="PUBLIC_PREVIEW",
        ),
        note="replacement: gemini-3-pro-image",
    ),
    Row(
        "gemini-3.1-flash-image-preview",
        {
            GEMINI_API: _a("2026-02-26", deprecated="2026-05-28", shutdown="2026-06-25"),  # [CL]
            VERTEX: _a(
                "2026-02-26", deprecated="2026-05-28", shutdown="2026-07-19"
            ),  # [VRN]: "update before 2026-07-19"
        },
        Listing(
            "Nano Banana 2 (Preview)",
            "Gemini 3.1 Flash Image Preview",
            "3.1",
            input_token_limit=131_072,
            thinking=True,
            launch_stage="PUBLIC_PREVIEW",
        ),
        note="replacement: gemini-3.1-flash-image",
    ),
    Row(
        "gemini-3-pro-image",
        _both("2026-05-28"),  # Vertex: discontinuation "2027-05-28 or later" [VMV] (a floor, not a date)
        Listing("Nano Banana Pro", "Gemini 3 Pro Image", "3.0", thinking=True),
    ),
    Row(
        "gemini-3.1-flash-image",
        {
            # [CL] 2026-10-06: deprecated, "migrate to gemini-nano-banana-2.1", no shutdown date (third-party
            # reports of 2026-10-29 are UNCONFIRMED, so the emulator still serves it)
            GEMINI_API: _a("2026-05-28", deprecated="2026-10-06"),
            VERTEX: _a("2026-05-28"),  # "2027-05-28 or later" [VMV]
        },
        Listing("Nano Banana 2", "Gemini 3.1 Flash Image", "3.1", input_token_limit=131_072, thinking=True),
        note="replacement: gemini-nano-banana-2.1",
    ),
    Row(
        "gemini-3.1-flash-lite-image",
        # [CL] GA 2026-06-30 on the Gemini API; on Vertex UNCONFIRMED (LiteLLM lists a vertex_ai/ entry): taken
        # as released the same day
        _both("2026-06-30"),
        Listing("Nano Banana 2 Lite", "Gemini 3.1 Flash Lite Image", "3.1", thinking=True),
    ),
    Row(
        "gemini-nano-banana-2.1",
        _both("2026-10-06"),  # [CL] GA; [VBP] lists it
        Listing(
            "Nano Banana 2.1",
            "Nano Banana 2.1: Google's recommended image generation and editing model.",
            "2.1",
            input_token_limit=131_072,
            thinking=True,
        ),
    ),
    # --- listed only (not image models: a client has to filter them out; generateContent answers 501) ------
    Row(
        "gemini-3.6-flash",
        _both("2026-07-21"),  # named in [CL] 2026-07-21; release date UNCONFIRMED
        Listing(
            "Gemini 3.6 Flash",
            "Gemini 3.6 Flash",
            "3.6",
            input_token_limit=1_048_576,
            output_token_limit=65_536,
            thinking=True,
            image=False,
        ),
    ),
    Row(
        "gemini-3.5-flash-lite",
        _both("2026-07-21"),  # named in [CL] 2026-07-21; release date UNCONFIRMED
        Listing(
            "Gemini 3.5 Flash-Lite",
            "Gemini 3.5 Flash-Lite",
            "3.5",
            input_token_limit=1_048_576,
            output_token_limit=65_536,
            thinking=True,
            image=False,
        ),
    ),
    Row(
        "gemini-embedding-001",
        _both("2025-07-14"),
        Listing(
            "Gemini Embedding 001",
            "Obtain a distributed representation of a text.",
            "001",
            input_token_limit=2048,
            output_token_limit=1,
            methods=("embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"),
            image=False,
        ),
    ),
]

LINEUP: dict[str, Row] = {row.id: row for row in ROWS}


def state(model: str, surface: str, day: datetime.date) -> str:
    """The state of ``model`` on ``surface`` on ``day``; ``unknown`` for an id not in the table."""
    row = LINEUP.get(model)
    return "unknown" if row is None else row.state(surface, day)


def served(model: str, surface: str, day: datetime.date) -> bool:
    """Whether the model answers on that surface that day."""
    return state(model, surface, day) in SERVED


def listed(surface: str, day: datetime.date, extra: Iterable[str] = ()) -> list[str]:
    """The ids a model listing shows on ``surface`` on ``day``, table order, then the extra models."""
    ids = [row.id for row in ROWS if row.state(surface, day) in SERVED]
    return ids + [name for name in extra if name not in ids]


def parse_day(text: str) -> datetime.date:
    """``YYYY-MM-DD`` to a date; ValueError with the expected form otherwise."""
    try:
        return datetime.date.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}") from None
