"""The model-listing endpoints of both surfaces (MODELS-2026-11.md §6), over HTTP with plain httpx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import BEARER, KEY, LEGACY

GEMINI_LIST = "/v1beta/models"
VERTEX_LIST = "/v1beta1/publishers/google/models"
RETIRED = ["imagen-4.0-generate-001", "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"]


def every_page(
    http: httpx.Client, path: str, key: str, headers: dict[str, str], size: int
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    token = ""
    while True:
        query = f"?pageSize={size}" + (f"&pageToken={token}" if token else "")
        response = http.get(path + query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body[key])
        token = body.get("nextPageToken", "")
        if not token:
            return pages
        assert len(pages) < 20


def test_gemini_api_lists_todays_models_page_by_page(http: httpx.Client) -> None:
    pages = every_page(http, GEMINI_LIST, "models", KEY, 2)
    assert len(pages) > 2 and all(len(page) == 2 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    models = [m for page in pages for m in page]
    names = [m["name"] for m in models]
    assert len(names) == len(set(names))
    assert "models/gemini-nano-banana-2.1" in names
    assert "models/gemini-2.5-flash-image" in names  # restricted: still served on the Gemini API
    assert not {f"models/{model}" for model in RETIRED} & set(names)
    assert "models/gemini-3.6-flash" in names  # not an image model: a client has to filter
    nb21 = next(m for m in models if m["name"] == "models/gemini-nano-banana-2.1")
    assert nb21["baseModelId"] == "gemini-nano-banana-2.1"
    assert nb21["supportedGenerationMethods"] == ["generateContent", "countTokens", "batchGenerateContent"]
    assert nb21["thinking"] is True
    assert set(nb21) == {
        "name",
        "baseModelId",
        "version",
        "displayName",
        "description",
        "inputTokenLimit",
        "outputTokenLimit",
        "supportedGenerationMethods",
        "thinking",
    }
    whole = http.get(GEMINI_LIST, headers=KEY).json()
    assert [m["name"] for m in whole["models"]] == names and "nextPageToken" not in whole


def test_vertex_lists_todays_publisher_models_page_by_page(http: httpx.Client) -> None:
    pages = every_page(http, VERTEX_LIST, "publisherModels", BEARER, 3)
    assert len(pages) >= 2
    models = [m for page in pages for m in page]
    names = [m["name"] for m in models]
    assert "publishers/google/models/gemini-nano-banana-2.1" in names
    assert "publishers/google/models/gemini-2.5-flash-image" not in names  # retired on Vertex 2026-10-02
    assert not {f"publishers/google/models/{model}" for model in RETIRED} & set(names)
    assert all(m["openSourceCategory"] == "PROPRIETARY" for m in models)
    nb21 = next(m for m in models if m["name"].endswith("/gemini-nano-banana-2.1"))
    assert nb21 == {
        "name": "publishers/google/models/gemini-nano-banana-2.1",
        "versionId": "001",
        "openSourceCategory": "PROPRIETARY",
        "launchStage": "GA",
    }
    full = http.get(VERTEX_LIST + "?view=PUBLISHER_MODEL_VIEW_FULL&filter=ignored", headers=BEARER).json()
    assert all(m["versionState"] == "VERSION_STATE_STABLE" for m in full["publisherModels"])


def test_listings_follow_the_emulated_day(http: httpx.Client) -> None:
    def names(path: str, key: str, headers: dict[str, str]) -> set[str]:
        return {m["name"].rsplit("/", 1)[1] for m in http.get(path, headers=headers).json()[key]}

    then = names(VERTEX_LIST, "publisherModels", {**BEARER, **LEGACY})
    assert {"imagen-4.0-generate-001", "imagen-3.0-capability-001", "gemini-3-pro-image-preview"} <= then
    assert "gemini-nano-banana-2.1" not in then
    api_then = names(GEMINI_LIST, "models", {**KEY, **LEGACY})
    assert "imagen-4.0-generate-001" in api_then and "imagen-3.0-capability-001" not in api_then


def test_one_model_by_id(http: httpx.Client) -> None:
    api = http.get(GEMINI_LIST + "/gemini-nano-banana-2.1", headers=KEY)
    assert api.status_code == 200 and api.json()["name"] == "models/gemini-nano-banana-2.1"
    vertex = http.get(VERTEX_LIST + "/gemini-3-pro-image", headers=BEARER)
    assert vertex.status_code == 200 and vertex.json()["launchStage"] == "GA"
    gone = http.get(GEMINI_LIST + "/gemini-3-pro-image-preview", headers=KEY)
    assert gone.status_code == 404 and gone.json()["error"]["status"] == "NOT_FOUND"
    assert gone.json()["error"]["message"].startswith("models/gemini-3-pro-image-preview is not found")
    assert http.get(VERTEX_LIST + "/gemini-2.5-flash-image", headers=BEARER).status_code == 404
    assert http.get(GEMINI_LIST + "/gemini-2.5-flash-image", headers=KEY).status_code == 200


def test_extra_models_are_listed_last() -> None:
    from vertex_image.emulator import EmulatorApp

    app = EmulatorApp(extra_models=["my-image-model"])
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emu") as client:
        models = client.get(GEMINI_LIST, headers=KEY).json()["models"]
    assert models[-1]["name"] == "models/my-image-model"


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (GEMINI_LIST, {}, 403),  # the Gemini API wants a key
        (VERTEX_LIST, {}, 401),  # Vertex wants credentials
        (GEMINI_LIST + "?pageToken=bm9wZQ", KEY, 400),
        (
            VERTEX_LIST + "?pageToken=" + "dmVydGV4LWltYWdlLWVtdWxhdG9yfGdlbWluaS1hcGl8Mw",
            BEARER,
            400,
        ),  # another surface's
        (GEMINI_LIST + "?pageSize=-1", KEY, 400),
        (VERTEX_LIST + "?view=EVERYTHING", BEARER, 400),
    ],
)
def test_listing_errors(http: httpx.Client, path: str, headers: dict[str, str], status: int) -> None:
    response = http.get(path, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == status


def test_listing_is_get_only(http: httpx.Client) -> None:
    response = http.post(GEMINI_LIST, json={}, headers=KEY)
    assert response.status_code == 405 and response.headers["allow"] == "GET"
