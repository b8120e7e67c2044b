"""The model-listing endpoints (MODELS-2026-11.md §6): what each surface says exists for the caller today.

- Gemini API: ``GET /{v1,v1beta}/models?pageSize=&pageToken=`` answers ``{"models": [...], "nextPageToken"}``
  and ``GET /{v1,v1beta}/models/{id}`` one model.
- Vertex: ``GET /v1beta1/publishers/google/models?pageSize=&pageToken=&filter=&view=`` answers
  ``{"publisherModels": [...], "nextPageToken"}`` and ``GET /{v1,v1beta1}/publishers/google/models/{id}`` one.

Only the models served on that surface on the emulated day are listed (``lineup.py``), a few text and embedding
models among them (a client has to filter), then the emulator's extra models. Neither listing says which models
make images, nor their ratios or sizes (Google's do not either). ``filter`` is accepted and ignored.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Sequence
from typing import Any

from . import lineup
from .catalog import ModelSpec
from .errors import ApiError, invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
VIEWS = (
    "PUBLISHER_MODEL_VIEW_UNSPECIFIED",
    "PUBLISHER_MODEL_VIEW_BASIC",
    "PUBLISHER_MODEL_VIEW_FULL",
    "PUBLISHER_MODEL_VERSION_VIEW_BASIC",
)


def _extra_listing(name: str, spec: ModelSpec | None) -> lineup.Listing:
    like = "an extra model" if spec is None else f"an extra model of the emulator, answering like {spec.id}"
    return lineup.Listing(display_name=name, description=f"{name}: {like}.", version="extra", thinking=False)


def _listing(model: str, catalog: dict[str, ModelSpec]) -> lineup.Listing:
    row = lineup.LINEUP.get(model)
    return row.listing if row is not None else _extra_listing(model, catalog.get(model))


def gemini_model(model: str, catalog: dict[str, ModelSpec]) -> dict[str, Any]:
    """One Gemini API ``Model``."""
    info = _listing(model, catalog)
    return {
        "name": f"models/{model}",
        "baseModelId": model,
        "version": info.version,
        "displayName": info.display_name,
        "description": info.description,
        "inputTokenLimit": info.input_token_limit,
        "outputTokenLimit": info.output_token_limit,
        "supportedGenerationMethods": list(info.methods),
        "thinking": info.thinking,
    }


def vertex_model(model: str, catalog: dict[str, ModelSpec], view: str = "") -> dict[str, Any]:
    """One Vertex ``PublisherModel`` (the basic view; the full view adds ``versionState``)."""
    info = _listing(model, catalog)
    entry: dict[str, Any] = {
        "name": f"publishers/google/models/{model}",
        "versionId": info.version_id,
        "openSourceCategory": "PROPRIETARY",
        "launchStage": info.launch_stage,
    }
    if view == "PUBLISHER_MODEL_VIEW_FULL":
        stable = info.launch_stage == "GA"
        entry["versionState"] = "VERSION_STATE_STABLE" if stable else "VERSION_STATE_UNSTABLE"
    return entry


def page(ids: Sequence[str], query: dict[str, str], surface: str) -> tuple[list[str], str]:
    """One page of ``ids`` and the token of the next ("" on the last page)."""
    size = _page_size(query.get("pageSize", query.get("page_size", "")))
    offset = _offset(query.get("pageToken", query.get("page_token", "")), surface)
    chosen = list(ids[offset : offset + size])
    following = offset + size
    return chosen, (_token(surface, following) if following < len(ids) else "")


def gemini_list(
    day: datetime.date, query: dict[str, str], catalog: dict[str, ModelSpec], extra: Sequence[str]
) -> dict[str, Any]:
    """``GET /v1beta/models``."""
    ids, token = page(lineup.listed(lineup.GEMINI_API, day, extra), query, lineup.GEMINI_API)
    body: dict[str, Any] = {"models": [gemini_model(model, catalog) for model in ids]}
    if token:
        body["nextPageToken"] = token
    return body


def vertex_list(
    day: datetime.date, query: dict[str, str], catalog: dict[str, ModelSpec], extra: Sequence[str]
) -> dict[str, Any]:
    """``GET /v1beta1/publishers/google/models``."""
    view = query.get("view", "") or "PUBLISHER_MODEL_VIEW_BASIC"
    if view.upper() not in VIEWS:
        enum = "type.googleapis.com/google.cloud.aiplatform.v1beta1.PublisherModelView"
        raise invalid(f"Invalid value at 'view' ({enum}), \"{view}\"", field="view")
    ids, token = page(lineup.listed(lineup.VERTEX, day, extra), query, lineup.VERTEX)
    body: dict[str, Any] = {"publisherModels": [vertex_model(model, catalog, view.upper()) for model in ids]}
    if token:
        body["nextPageToken"] = token
    return body


def _page_size(text: str) -> int:
    if not text:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(text)
    except ValueError:
        raise invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{text}\"", field="page_size") from None
    if size < 0:
        raise invalid("page_size must not be negative.", field="page_size")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _token(surface: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"vertex-image-emulator|{surface}|{offset}".encode()).decode().rstrip("=")


def _offset(token: str, surface: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, where, offset = text.split("|")
        if prefix != "vertex-image-emulator" or where != surface or int(offset) < 0:
            raise ValueError(text)
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "Invalid page token.") from None
