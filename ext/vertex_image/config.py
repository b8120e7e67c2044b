"""Settings: which backend, project, location and credentials; defaults in one place.

Resolution order for every field: explicit argument > ``configure()`` / ``%config`` > environment >
ADC's project > default. ``Settings.sources`` records where each value came from, for
``%vertex_image config``. The resolution functions are below the dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BACKENDS = ("vertex", "gemini-api", "emulator")

DEFAULT_IMAGEN_MODEL = "imagen-4.0-generate-001"
DEFAULT_GEMINI_MODEL = "gemini-2.5-flash-image"
DEFAULT_IMAGEN_LOCATION = "us-central1"  # Imagen is regional-only (WIRE.md §1.1)
DEFAULT_GEMINI_LOCATION = "global"
DEFAULT_VERTEX_API_VERSION = "v1"  # the version of Google's REST reference and samples
DEFAULT_GEMINI_API_VERSION = "v1beta"  # ai.google.dev samples; image options live there


class Secret(str):
    """A string that never shows itself in ``repr`` or ``str`` formatting of containers.

    ``str(secret)`` still gives the value (it has to reach a header); ``repr`` gives ``'***'``.
    """

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one client.

    Attributes:
        backend: ``vertex``, ``gemini-api`` or ``emulator``.
        project: the Google Cloud project ("" in express mode and on the Gemini API).
        location: the location set by the user; "" means the per-family default
            (``global`` for Gemini image models, ``us-central1`` for Imagen).
        api_key: an API key (Gemini API, or Vertex express mode); never shown.
        credentials_file: a service-account JSON file to use instead of ADC.
        base_url: a base URL override (proxy, private endpoint, emulator); "" for Google's hosts.
        api_version: "" for the backend's default (``v1`` on Vertex, ``v1beta`` on the Gemini API).
        emulator_mode: which API the emulator backend speaks: ``vertex`` or ``gemini-api``.
        output_dir: where images are saved.
        preview_size: longest side of inline previews in pixels; 0 shows full size.
        default_imagen_model, default_gemini_model: used when no model is named.
        max_concurrency: requests in flight at once per client.
        max_attempts: attempts per request, the first included.
        deadline_s: total time for one request with its retries.
        timeout_s: time for one HTTP attempt.
        sources: for each field set by something other than the default, where it came from:
            ``argument``, ``configure``, ``environment (NAME)``, ``adc``.
    """

    backend: str = "vertex"
    project: str = ""
    location: str = ""
    api_key: Secret | None = field(default=None, repr=False)
    credentials_file: str = ""
    base_url: str = ""
    api_version: str = ""
    emulator_mode: str = "vertex"
    output_dir: str = "vertex_images"
    preview_size: int = 768
    default_imagen_model: str = DEFAULT_IMAGEN_MODEL
    default_gemini_model: str = DEFAULT_GEMINI_MODEL
    max_concurrency: int = 4
    max_attempts: int = 5
    deadline_s: float = 300.0
    timeout_s: float = 120.0
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def speaks(self) -> str:
        """The wire dialect in use: ``vertex`` or ``gemini-api`` (the emulator speaks either)."""
        return self.emulator_mode if self.backend == "emulator" else self.backend

    @property
    def express_mode(self) -> bool:
        """Vertex with an API key and no project: URLs without ``projects/…/locations/…``."""
        return self.speaks == "vertex" and self.api_key is not None and not self.project

    def location_for(self, family: str) -> str:
        """The location a request for a model of this family goes to."""
        if self.location:
            return self.location
        return DEFAULT_GEMINI_LOCATION if family == "gemini" else DEFAULT_IMAGEN_LOCATION

    def version(self) -> str:
        """The API version segment of URLs."""
        if self.api_version:
            return self.api_version
        return DEFAULT_GEMINI_API_VERSION if self.speaks == "gemini-api" else DEFAULT_VERTEX_API_VERSION
