"""What ``%vertex_image status``, ``doctor`` and ``config`` report about this kernel's setup.

Never a key or a token: every text passes through ``auth.redact`` with the secrets in use. The
doctor checks at no cost: credentials resolve and a token can be obtained (or the emulator answers the
client's ping); it sends no generation request.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.errors import TransportError, VertexImageError
from ..core.registry import state
from ..results.display import HtmlView

if TYPE_CHECKING:  # pragma: no cover
    from ..base.config import Settings

_STATUS_HELP = (
    "For Vertex AI run `gcloud auth application-default login` and set GOOGLE_CLOUD_PROJECT; for the Gemini "
    "API set GOOGLE_API_KEY; to work offline run %vertex_image use emulator."
)


def status_view(doctor: bool) -> HtmlView:
    """Backend, project, locations, credentials, quota project, endpoint, store, default models.

    ``status`` starts nothing: no client, no emulator, no network (the emulator backend imports no
    heavy module either); ``doctor`` connects and checks (a token, or an emulator ping).
    """
    from ..client.auth import redact
    from .reports import key_value_view

    kernel = state()
    settings = kernel.settings()
    secrets = [str(settings.api_key)] if settings.api_key is not None else []
    rows: list[tuple[str, str]] = [("backend", settings.backend + (
        f" (speaks {settings.speaks})" if settings.backend == "emulator" else ""))]  # fmt: skip
    problems: list[str] = []
    try:
        auth = kernel.auth()
        connected = kernel.connected_settings() if doctor else kernel.resolved_settings()
        secrets += [s for s in auth.secrets() if s]
        credentials = f"{auth.description}: found"
    except VertexImageError as exc:
        auth, connected, credentials = None, settings, f"not usable: {exc}"
        problems.append("credentials")
    project_source = connected.sources.get("project", "")
    rows += [
        ("project", (connected.project or "(none)") + (f" (from {project_source})" if project_source else "")),
        ("location", f"imagen: {connected.location_for('imagen')} · gemini: {connected.location_for('gemini')}"
                     + ("" if connected.location else " (per-model defaults)")),  # fmt: skip
        ("endpoint", endpoint_text(connected, kernel.emulator_url)),
        ("credentials", credentials),
        ("quota project", (getattr(auth, "quota_project", "") or "(none)") if auth else "-"),
        ("store folder", str(Path(connected.output_dir).resolve())),
        ("default models", f"imagen: {connected.default_imagen_model} · gemini: {connected.default_gemini_model}"),
        ("api version", connected.version()),
    ]
    if doctor and auth is not None:
        check = _check_token(auth, connected)
        rows.append(("token check" if connected.backend != "emulator" else "emulator", check))
        if not check.startswith("ok"):
            problems.append("token")
    footer = ("Problems: " + ", ".join(problems) + ". " + _STATUS_HELP) if problems else (
        "Everything needed is in place." if doctor else "Run %vertex_image doctor to check the credentials work.")
    view = key_value_view("vertex-image " + ("doctor" if doctor else "status"), rows, footer)
    return HtmlView(redact(view.html, secrets), redact(view.text, secrets))


def endpoint_text(settings: Settings, emulator_url: str = "") -> str:
    """Where requests go: the base URL, the in-process emulator, or Google's host for each model family.

    ``emulator_url`` is the in-process emulator's URL when it runs ("" before the first request).
    """
    from ..client.endpoints import GEMINI_API_HOST, vertex_host

    if settings.backend == "emulator":
        if settings.base_url and settings.base_url != emulator_url:
            return settings.base_url
        if emulator_url:
            return f"{emulator_url} (in-process emulator)"
        return "in-process emulator, started on the first request"
    if settings.base_url:
        return f"{settings.base_url} (base_url)"
    if settings.speaks == "gemini-api":
        return GEMINI_API_HOST
    imagen, gemini = (vertex_host(settings.location_for(family)) for family in ("imagen", "gemini"))
    return imagen if imagen == gemini else f"{imagen} (Imagen), {gemini} (Gemini)"


def use_message(settings: Settings, emulator_url: str = "") -> str:
    """What ``%vertex_image use BACKEND`` prints: the backend and where requests will go."""
    where = {"emulator": "the offline emulator (deterministic images, no cost)",
             "vertex": "Vertex AI", "gemini-api": "the Gemini API"}[settings.backend]  # fmt: skip
    endpoint = endpoint_text(settings, emulator_url)
    if settings.backend == "emulator" and not endpoint.startswith(("http://", "https://")):
        return f"Backend: emulator — requests go to {where}, started in this kernel on the first request."
    return f"Backend: {settings.backend} — requests go to {where} at {endpoint}."


def _check_token(auth: Any, settings: Any) -> str:
    """No cost: obtain the auth headers (a token refresh for ADC); ping the emulator."""
    from ..client.auth import redact

    try:
        if settings.backend == "emulator":
            return _ping(settings.base_url)
        headers = state().runtime().run(auth.headers())
        if any(name.lower() == "authorization" for name in headers):
            return "ok: an access token was obtained"
        return "ok: an API key is set (it is checked by the first request)"
    except Exception as exc:  # noqa: BLE001 - the doctor reports every failure as a finding
        return "failed: " + redact(str(exc) or type(exc).__name__, auth.secrets())


def _ping(base_url: str) -> str:
    """Is the emulator answering? Any HTTP status counts as up (the client makes the request)."""
    kernel = state()
    try:
        status = kernel.runtime().run(kernel.client().ping())
    except TransportError as exc:
        return f"failed: {base_url} does not answer ({type(exc.__cause__).__name__})"
    return f"ok: {base_url} answers (HTTP {status})"


def config_view(show_progress: str) -> HtmlView:
    """Every effective setting and where it came from (``Settings.sources``); the API key only as set/unset."""
    from dataclasses import fields

    from ..base.config import Settings
    from .reports import config_view as table

    settings = state().settings()
    rows = []
    for field in fields(Settings):
        if field.name == "sources":
            continue
        value = getattr(settings, field.name)
        if field.name == "api_key":
            shown = "set (hidden)" if value is not None else "(not set)"
        elif value in ("", None):
            shown = "(per model)" if field.name == "location" else "(not set)"
        else:
            shown = str(value)
        origin = settings.sources.get(field.name, "default")
        if origin == "default" and settings.backend == "emulator" and field.name in ("base_url", "project"):
            origin = "emulator"
        rows.append((field.name, shown, origin))
    rows.append(("show_progress", show_progress, "%config VertexImageMagics.show_progress"))
    return table(rows)
