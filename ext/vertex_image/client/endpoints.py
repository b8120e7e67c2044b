"""URLs for every endpoint form of WIRE.md §1.1 (pure: settings in, URL out)."""

from __future__ import annotations

import re
from urllib.parse import quote

from ..base.config import Settings
from ..base.errors import ConfigError, InvalidRequest

METHODS = ("predict", "generateContent", "streamGenerateContent")
GEMINI_API_HOST = "https://generativelanguage.googleapis.com"
# LiteLLM's pass-through routes (litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py): the rest of
# the path is Google's own, forwarded as it is with the proxy's Google credentials.
LITELLM_ROUTES = {"gemini-api": "/gemini", "vertex": "/vertex_ai"}
OPENAI_ROUTES = ("images/generations", "images/edits", "chat/completions", "models")
_BAD_MODEL_CHARS = re.compile(r"[\s/\\?&#%:]")  # each would change the path or the query


def vertex_host(location: str) -> str:
    """The Vertex AI host serving a location: global, multi-region (``us``/``eu``) or regional."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in ("us", "eu"):
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def model_url(settings: Settings, *, model_id: str, method: str, location: str) -> str:
    """The full URL of ``method`` on ``model_id`` for these settings.

    Args:
        settings: the effective settings (backend, project, base URL, API version).
        model_id: a resolved model id such as ``imagen-4.0-generate-001``.
        method: ``predict``, ``generateContent`` or ``streamGenerateContent``.
        location: the location this request goes to (``Settings.location_for``).

    Raises:
        InvalidRequest: an unknown method or a model id that would change the path.
        ConfigError: Vertex with neither a project nor an API key.
    """
    if method not in METHODS:
        raise InvalidRequest(f"Unknown method {method!r}; expected one of {', '.join(METHODS)}.")
    if not model_id or ".." in model_id or _BAD_MODEL_CHARS.search(model_id):
        raise InvalidRequest(f"Invalid model name {model_id!r}.")
    suffix = f":{method}" + ("?alt=sse" if method == "streamGenerateContent" else "")
    version = settings.version()
    if settings.backend == "openai":
        raise InvalidRequest("The openai backend has no Google URLs; it sends to its OpenAI routes (openai_url).")
    if settings.speaks == "gemini-api":
        host = _host(settings) or GEMINI_API_HOST
        return f"{host.rstrip('/')}/{version}/models/{model_id}{suffix}"
    host = _host(settings) or vertex_host(location)
    model_path = f"publishers/google/models/{model_id}"
    if settings.express_mode:
        return f"{host.rstrip('/')}/{version}/{model_path}{suffix}"
    if not settings.project:
        raise ConfigError(
            "No Google Cloud project. Set GOOGLE_CLOUD_PROJECT, or call "
            "vi.configure(project='my-project') (in a notebook: %config VertexImageMagics.project = 'my-project')."
        )
    return (
        f"{host.rstrip('/')}/{version}/projects/{settings.project}/locations/{location}/{model_path}{suffix}"
    )


LIST_PAGE_SIZE = 100


def models_list_url(settings: Settings, *, page_token: str | None = None, page_size: int = LIST_PAGE_SIZE) -> str:
    """The URL of one page of the models this caller can use (MODELS-2026-11 §6).

    The Gemini API lists under ``/v1beta/models``; Vertex lists Google's publisher models under
    ``/v1beta1/publishers/google/models`` on the global host (the listing is not per project).
    """
    query = f"pageSize={int(page_size)}" + (f"&pageToken={quote(page_token, safe='')}" if page_token else "")
    if settings.backend == "openai":
        return openai_url(settings, "models")
    if settings.speaks == "gemini-api":
        host = _host(settings) or GEMINI_API_HOST
        version = settings.api_version or "v1beta"
        return f"{host.rstrip('/')}/{version}/models?{query}"
    host = _host(settings) or vertex_host("global")
    return f"{host.rstrip('/')}/v1beta1/publishers/google/models?{query}&view=PUBLISHER_MODEL_VIEW_BASIC"


def _host(settings: Settings) -> str:
    """Where Google's paths start: the base URL, or on a LiteLLM proxy its pass-through route for the dialect."""
    if settings.backend != "litellm":
        return settings.base_url
    return gateway_root(settings) + LITELLM_ROUTES[settings.speaks]


def gateway_root(settings: Settings) -> str:
    """The gateway's root URL (``http://proxy:4000``), whatever route suffix the user gave with it.

    ``http://proxy:4000/gemini``, ``.../vertex_ai`` and ``.../v1`` all name the same proxy: the client adds
    the route itself, so a URL copied from LiteLLM's docs works as given.

    Raises:
        ConfigError: no base URL (a gateway has no default host).
    """
    if not settings.base_url:
        variable = "LITELLM_PROXY_URL" if settings.backend == "litellm" else "OPENAI_BASE_URL"
        raise ConfigError(
            f"The {settings.backend} backend needs the gateway's URL: set {variable}, call "
            f"vi.configure(backend={settings.backend!r}, base_url='http://proxy:4000'), or run "
            f"%vertex_image use {settings.backend} http://proxy:4000."
        )
    root = settings.base_url.rstrip("/")
    for suffix in ("/v1", *LITELLM_ROUTES.values(), "/vertex-ai"):
        if root.endswith(suffix):
            return root[: -len(suffix)]
    return root


def openai_url(settings: Settings, route: str) -> str:
    """The URL of an OpenAI-shaped route of the gateway: ``{root}/v1/{route}``."""
    if route not in OPENAI_ROUTES:
        raise InvalidRequest(f"Unknown OpenAI route {route!r}; expected one of {', '.join(OPENAI_ROUTES)}.")
    return f"{gateway_root(settings)}/v1/{route}"


def gateway_route(settings: Settings) -> str:
    """The route requests take, for status and doctor: ``/gemini``, ``/vertex_ai`` or ``/v1`` (OpenAI)."""
    if settings.backend == "litellm":
        return LITELLM_ROUTES[settings.speaks]
    return "/v1" if settings.backend == "openai" else ""


# batches (MODELS-2026-11 §5) -------------------------------------------------------------------------
STORAGE_HOST = "https://storage.googleapis.com"
BATCH_VERSION = "v1beta"  # Gemini API Batch Mode and the Files API
VERTEX_BATCH_VERSION = "v1"


def gemini_api_url(settings: Settings, path: str) -> str:
    """A Gemini API resource URL (``batches/ID``, ``models/M:batchGenerateContent``, ``files/ID``)."""
    host = settings.base_url or GEMINI_API_HOST
    return f"{host.rstrip('/')}/{BATCH_VERSION}/{path.lstrip('/')}"


def files_upload_url(settings: Settings) -> str:
    """Where the Files API takes uploads."""
    host = settings.base_url or GEMINI_API_HOST
    return f"{host.rstrip('/')}/upload/{BATCH_VERSION}/files"


def file_download_url(settings: Settings, file_name: str) -> str:
    """The bytes of a generated file (``files/ID``, e.g. a batch's responses file)."""
    host = settings.base_url or GEMINI_API_HOST
    return f"{host.rstrip('/')}/download/{BATCH_VERSION}/{file_name}:download?alt=media"


def vertex_jobs_url(settings: Settings, location: str, job: str = "") -> str:
    """``batchPredictionJobs`` of the project (``job``: a job's id or full name, with an optional ``:cancel``)."""
    if not settings.project:
        raise ConfigError(
            "Vertex batch prediction needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT, or call "
            "vi.configure(project='my-project')."
        )
    host = (settings.base_url or vertex_host(location)).rstrip("/")
    parent = f"projects/{settings.project}/locations/{location}/batchPredictionJobs"
    if job.startswith("projects/"):
        return f"{host}/{VERTEX_BATCH_VERSION}/{job}"
    return f"{host}/{VERTEX_BATCH_VERSION}/{parent}" + (f"/{job}" if job else "")


def storage_upload_url(settings: Settings, bucket: str, name: str) -> str:
    """Cloud Storage JSON API: upload one object (``uploadType=media``)."""
    host = (settings.base_url or STORAGE_HOST).rstrip("/")
    return f"{host}/upload/storage/v1/b/{quote(bucket, safe='')}/o?uploadType=media&name={quote(name, safe='')}"


def storage_object_url(settings: Settings, bucket: str, name: str) -> str:
    """Cloud Storage JSON API: one object's bytes."""
    host = (settings.base_url or STORAGE_HOST).rstrip("/")
    return f"{host}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media"


def storage_list_url(settings: Settings, bucket: str, prefix: str) -> str:
    """Cloud Storage JSON API: the objects under a prefix."""
    host = (settings.base_url or STORAGE_HOST).rstrip("/")
    return f"{host}/storage/v1/b/{quote(bucket, safe='')}/o?prefix={quote(prefix, safe='')}"
