"""The emulated day: which ids answer on which surface (lineup.py, from MODELS-2026-11.md §1), retired ids
answering Google's 404, and the clock (``as_of``, ``today``, the ``x-emulator-as-of`` header)."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    AS_OF,
    BEARER,
    EXPRESS,
    GEMINI_API,
    KEY,
    TODAY,
    VERTEX,
    VERTEX_GLOBAL,
    final_images,
    gemini,
    image,
    imagen,
    user,
)
from vertex_image.emulator import EmulatorApp, lineup

# MODELS-2026-11.md §1, "state on 2026-11-30" column, per surface (gemini-api, vertex)
EXPECTED_ON_2026_11_30 = {
    "imagen-4.0-generate-001": ("retired", "retired"),
    "imagen-4.0-fast-generate-001": ("retired", "retired"),
    "imagen-4.0-ultra-generate-001": ("retired", "retired"),
    "imagen-3.0-generate-002": ("retired", "retired"),
    "imagen-3.0-generate-001": ("retired", "retired"),
    "imagen-3.0-fast-generate-001": ("retired", "retired"),
    "imagen-3.0-capability-001": ("absent", "retired"),
    "imagen-4.0-upscale-preview": ("absent", "retired"),
    "gemini-2.0-flash-preview-image-generation": ("retired", "retired"),
    "gemini-2.5-flash-image-preview": ("retired", "retired"),
    "gemini-2.5-flash-image": ("restricted", "retired"),
    "gemini-3-pro-image-preview": ("retired", "retired"),
    "gemini-3.1-flash-image-preview": ("retired", "retired"),
    "gemini-3-pro-image": ("live", "live"),
    "gemini-3.1-flash-image": ("deprecated", "live"),
    "gemini-3.1-flash-lite-image": ("live", "live"),
    "gemini-nano-banana-2.1": ("live", "live"),
}


def client(**options: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=EmulatorApp(**options)), base_url="http://emu")


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


@pytest.mark.parametrize(("model", "states"), EXPECTED_ON_2026_11_30.items())
def test_the_table_gives_the_states_of_models_2026_11(model: str, states: tuple[str, str]) -> None:
    assert (lineup.state(model, "gemini-api", TODAY), lineup.state(model, "vertex", TODAY)) == states


def test_every_imagen_id_is_shut_down_on_every_surface_it_had() -> None:
    imagen_ids = [row.id for row in lineup.ROWS if row.id.startswith(("imagen", "imagegeneration"))]
    assert len(imagen_ids) >= 14
    for model in imagen_ids:
        assert {lineup.state(model, s, TODAY) for s in lineup.SURFACES} <= {"retired", "absent"}, model
        assert any(lineup.served(model, s, datetime.date(2026, 3, 1)) for s in lineup.SURFACES), model


# --- what a retired model answers ----------------------------------------------------------------------------

RETIRED = [  # path, headers, kind of body, a day it was served
    (GEMINI_API + "imagen-4.0-generate-001:predict", KEY, "imagen", "2026-08-16"),
    (GEMINI_API + "gemini-3-pro-image-preview:generateContent", KEY, "gemini", "2026-06-24"),
    (GEMINI_API + "gemini-3.1-flash-image-preview:streamGenerateContent?alt=sse", KEY, "gemini", "2026-03-01"),
    (GEMINI_API + "gemini-2.5-flash-image-preview:generateContent", KEY, "gemini", "2026-01-14"),
    (GEMINI_API + "gemini-2.0-flash-preview-image-generation:generateContent", KEY, "gemini", "2025-11-13"),
    (VERTEX + "imagen-4.0-generate-001:predict", BEARER, "imagen", "2026-03-01"),
    (VERTEX + "imagen-3.0-generate-002:predict", BEARER, "imagen", "2026-03-01"),
    (VERTEX_GLOBAL + "gemini-2.5-flash-image:generateContent", BEARER, "gemini", "2026-10-01"),
    (VERTEX_GLOBAL + "gemini-3-pro-image-preview:generateContent", BEARER, "gemini", "2026-07-18"),
    (EXPRESS + "imagen-4.0-ultra-generate-001:predict", KEY, "imagen", "2026-03-01"),
]


@pytest.mark.parametrize(("path", "headers", "kind", "then"), RETIRED)
def test_retired_models_answer_the_real_404(
    http: httpx.Client, path: str, headers: dict[str, str], kind: str, then: str
) -> None:
    body = imagen("a fox", sampleCount=1) if kind == "imagen" else gemini(user("a fox"))
    response = http.post(path, json=body, headers=headers)
    assert response.status_code == 404
    err = error(response)
    assert err["status"] == "NOT_FOUND"
    model, method = path.rsplit("/", 1)[1].split("?")[0].split(":")
    if path.startswith(GEMINI_API):
        assert err["message"] == (
            f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods."
        )
    else:
        resource = path.split("/", 2)[2].split(":")[0]
        assert err["message"] == (
            f"Publisher Model `{resource}` was not found or your project does not have access to it. "
            "Please ensure you are using a valid model version. For more information, see: "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
        )
    # the same request on a day the model was still served
    assert http.post(path, json=body, headers={**headers, AS_OF: then}).status_code == 200


def test_vertex_only_imagen_models_were_never_on_the_gemini_api(legacy_http: httpx.Client) -> None:
    response = legacy_http.post(GEMINI_API + "imagen-3.0-capability-001:predict", json=imagen("x"), headers=KEY)
    assert response.status_code == 404


def test_a_model_before_its_release_is_not_found(legacy_http: httpx.Client) -> None:
    for path, headers in (
        (GEMINI_API + "gemini-nano-banana-2.1:generateContent", KEY),
        (VERTEX_GLOBAL + "gemini-3-pro-image:generateContent", BEARER),
    ):
        assert legacy_http.post(path, json=gemini(user("x")), headers=headers).status_code == 404
    preview = legacy_http.post(
        GEMINI_API + "gemini-3-pro-image-preview:generateContent", json=gemini(user("x")), headers=KEY
    )
    assert preview.status_code == 200


def test_legacy_day_serves_imagen_predict_as_before(legacy_http: httpx.Client) -> None:
    body = imagen("a red fox", sampleCount=2, aspectRatio="16:9")
    response = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [image(p["bytesBase64Encoded"]).size for p in predictions] == [(1408, 768), (1408, 768)]


def test_restricted_gemini_2_5_flash_image_is_served_on_the_gemini_api_only(http: httpx.Client) -> None:
    api = http.post(GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("x")), headers=KEY)
    vertex = http.post(
        VERTEX_GLOBAL + "gemini-2.5-flash-image:generateContent", json=gemini(user("x")), headers=BEARER
    )
    assert (api.status_code, vertex.status_code) == (200, 404)
    assert len(final_images(api.json())) == 1


def test_listed_text_models_are_not_emulated(http: httpx.Client) -> None:
    response = http.post(GEMINI_API + "gemini-3.6-flash:generateContent", json=gemini(user("x")), headers=KEY)
    assert response.status_code == 501
    assert error(response)["status"] == "UNIMPLEMENTED"


# --- the clock ---------------------------------------------------------------------------------------------------


def test_moving_the_clock_past_a_shutdown_date_retires_a_live_model() -> None:
    """gemini-2.5-flash-image on Vertex: discontinued 2026-10-02 [VMV]."""
    now = [datetime.date(2026, 10, 1)]
    path = VERTEX_GLOBAL + "gemini-2.5-flash-image:generateContent"
    with client(today=lambda: now[0]) as emu:
        assert emu.post(path, json=gemini(user("x")), headers=BEARER).status_code == 200
        now[0] = datetime.date(2026, 10, 2)
        gone = emu.post(path, json=gemini(user("x")), headers=BEARER)
        assert gone.status_code == 404
        assert error(gone)["message"].startswith("Publisher Model `projects/proj/locations/global/publishers/")
        listed = emu.get("/v1beta1/publishers/google/models", headers=BEARER).json()["publisherModels"]
        assert "publishers/google/models/gemini-2.5-flash-image" not in [m["name"] for m in listed]


def test_moving_the_clock_past_the_preview_shutdown_on_each_surface() -> None:
    """The Gemini 3 Pro Image preview: Gemini API 2026-06-25 [CL], Vertex 2026-07-19 [VRN]."""
    now = [datetime.date(2026, 6, 24)]
    api = GEMINI_API + "gemini-3-pro-image-preview:generateContent"
    vertex = VERTEX_GLOBAL + "gemini-3-pro-image-preview:generateContent"

    def codes(emu: httpx.Client) -> tuple[int, int]:
        return (
            emu.post(api, json=gemini(user("x")), headers=KEY).status_code,
            emu.post(vertex, json=gemini(user("x")), headers=BEARER).status_code,
        )

    with client(today=lambda: now[0]) as emu:
        assert codes(emu) == (200, 200)
        now[0] = datetime.date(2026, 6, 25)
        assert codes(emu) == (404, 200)
        now[0] = datetime.date(2026, 7, 19)
        assert codes(emu) == (404, 404)


def test_as_of_wins_over_the_clock_and_the_header_over_both() -> None:
    path = VERTEX + "imagen-4.0-generate-001:predict"
    body = imagen("x", sampleCount=1)
    with client(as_of=TODAY, today=lambda: datetime.date(2026, 1, 1)) as emu:
        assert emu.post(path, json=body, headers=BEARER).status_code == 404
        assert emu.post(path, json=body, headers={**BEARER, AS_OF: "2026-08-16"}).status_code == 200
        assert emu.post(path, json=body, headers={**BEARER, AS_OF: "2026-08-17"}).status_code == 404


def test_the_default_day_is_the_clock() -> None:
    with client(today=lambda: datetime.date(2026, 3, 1)) as emu:
        assert (
            emu.post(VERTEX + "imagen-4.0-generate-001:predict", json=imagen("x"), headers=BEARER).status_code
            == 200
        )
    assert EmulatorApp().day() == datetime.date.today()


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "30/11/2026"])
def test_a_bad_as_of_header_is_a_400(http: httpx.Client, value: str) -> None:
    response = http.post(
        GEMINI_API + "gemini-nano-banana-2.1:generateContent",
        json=gemini(user("x")),
        headers={**KEY, AS_OF: value},
    )
    assert response.status_code == 400
    assert error(response)["message"] == f"Header x-emulator-as-of: expected a date YYYY-MM-DD, got {value!r}."
