"""Model listings on the wire (MODELS-2026-11 §6): which model ids one page names, and the next page.

Gemini API ``GET /v1beta/models`` answers ``{"models": [{"name": "models/ID", ...}], "nextPageToken"}``;
Vertex ``GET /v1beta1/publishers/google/models`` answers ``{"publisherModels": [{"name":
"publishers/google/models/ID", ...}], "nextPageToken"}``. Neither says which models make images: the catalog
keeps that. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base.errors import ResponseFormatError

_PREFIXES = ("models/", "publishers/google/models/")


def listed_page(body: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """The model ids of one page (prefixes stripped, ``@version`` kept) and the next page token (None: last).

    Raises:
        ResponseFormatError: a body with neither list.
    """
    if not isinstance(body, Mapping):
        raise ResponseFormatError("A model listing was not a JSON object.")
    entries = body.get("models", body.get("publisherModels"))
    if entries is None:
        if body.keys() <= {"nextPageToken"}:  # an empty page: Google leaves the list out
            return [], None
        raise ResponseFormatError("A model listing had neither 'models' nor 'publisherModels'.")
    ids: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and name:
            for prefix in _PREFIXES:
                if name.startswith(prefix):
                    name = name[len(prefix):]
            ids.append(name)
    token = body.get("nextPageToken")
    return ids, token if isinstance(token, str) and token else None


def looks_like_image_model(model_id: str) -> bool:
    """An id a listing names that is probably an image model (for "new, not in the catalog")."""
    text = model_id.lower()
    return text.startswith(("imagen", "imagegeneration")) or "image" in text or "nano-banana" in text
