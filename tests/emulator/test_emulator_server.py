"""The emulator over real HTTP with plain httpx: routes, auth, validation, Imagen and Gemini behaviour.

``http`` serves the lineup of TODAY; Imagen (shut down 2026-08-17) is tested on ``legacy_http`` (LEGACY_DAY).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    BEARER,
    EXPRESS,
    GEMINI_API,
    KEY,
    LEGACY,
    TODAY,
    VERTEX,
    VERTEX_GLOBAL,
    final_images,
    gemini,
    image,
    imagen,
    mean_rgb,
    png_b64,
    user,
)
from vertex_image.emulator import EmulatorApp
from vertex_image.emulator.signatures import sign_image


def in_process(**options: Any) -> httpx.Client:
    """The WSGI app mounted in-process (for configurations other than the shared emulator's), on TODAY."""
    app = EmulatorApp(**{"as_of": TODAY, **options})
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emu")


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


# --- routes ------------------------------------------------------------------------------------------------

NB21 = "gemini-nano-banana-2.1"
ROUTES = [
    # Imagen answers on LEGACY_DAY only: these requests carry the x-emulator-as-of header
    (VERTEX + "imagen-4.0-generate-001:predict", BEARER, "imagen"),
    (
        "/v1beta1/projects/p/locations/europe-west4/publishers/google/models/imagen-4.0-generate-001:predict",
        BEARER,
        "imagen",
    ),
    (VERTEX + f"{NB21}:generateContent", BEARER, "gemini"),
    (VERTEX_GLOBAL + f"{NB21}:generateContent", BEARER, "gemini"),
    (f"/v1/projects/p/locations/global/publishers/google/models/{NB21}:generateContent", BEARER, "gemini"),
    (EXPRESS + f"{NB21}:generateContent", KEY, "gemini"),
    (f"/v1/publishers/google/models/{NB21}:generateContent", KEY, "gemini"),
    (f"/v1/models/{NB21}:generateContent", KEY, "gemini"),
    (GEMINI_API + "gemini-2.5-flash-image:generateContent", KEY, "gemini"),  # restricted on the Gemini API: served
    (GEMINI_API + "imagen-4.0-generate-001:predict", KEY, "imagen"),
    (VERTEX + f"{NB21}:streamGenerateContent?alt=sse", BEARER, "sse"),
    (EXPRESS + f"{NB21}:streamGenerateContent?alt=sse", KEY, "sse"),
    ("/v1/models/gemini-2.5-flash-image:streamGenerateContent?alt=sse", KEY, "sse"),
]


@pytest.mark.parametrize(("path", "headers", "kind"), ROUTES)
def test_every_route_form_answers_200(http: httpx.Client, path: str, headers: dict[str, str], kind: str) -> None:
    body = imagen("a lighthouse", sampleCount=1) if kind == "imagen" else gemini(user("a lighthouse"))
    response = http.post(path, json=body, headers={**headers, **(LEGACY if kind == "imagen" else {})})
    assert response.status_code == 200, response.text
    if kind == "imagen":
        assert len(response.json()["predictions"]) == 1
    elif kind == "gemini":
        assert len(final_images(response.json())) == 1
    else:
        assert response.headers["content-type"] == "text/event-stream"
        assert response.text.startswith("data: {")


def test_unknown_path_is_a_404_envelope(http: httpx.Client) -> None:
    response = http.post("/v1/projects/p/whatever", json={}, headers=BEARER)
    assert response.status_code == 404
    assert error(response) == {"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}


def test_non_post_is_a_405_envelope(http: httpx.Client) -> None:
    response = http.get(VERTEX + "imagen-4.0-generate-001:predict", headers=BEARER)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error(response)["code"] == 405


def test_invalid_json_is_400_invalid_argument(http: httpx.Client) -> None:
    response = http.post(VERTEX + "imagen-4.0-generate-001:predict", content=b'{"instances": [', headers=BEARER)
    assert response.status_code == 400
    err = error(response)
    assert err["status"] == "INVALID_ARGUMENT"
    assert err["message"].startswith("Invalid JSON payload received. Unexpected token.")


def test_unknown_model_on_vertex_names_project_and_location(http: httpx.Client) -> None:
    response = http.post(
        VERTEX + "gemini-2.5-flash-image-preview:generateContent", json=gemini(user("x")), headers=BEARER
    )
    assert response.status_code == 404
    assert error(response)["message"] == (
        "Publisher Model `projects/proj/locations/us-central1/publishers/google/models/"
        "gemini-2.5-flash-image-preview` was not found or your project does not have access to it. Please ensure "
        "you are using a valid model version. For more information, see: "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
    )


def test_unknown_model_on_gemini_api_names_the_version(http: httpx.Client) -> None:
    response = http.post("/v1/models/gemini-5.0-flash:generateContent", json=gemini(user("x")), headers=KEY)
    assert response.status_code == 404
    assert error(response)["message"] == (
        "models/gemini-5.0-flash is not found for API version v1, or is not supported for generateContent. "
        "Call ListModels to see the list of available models and their supported methods."
    )


def test_gemini_model_through_vertex_predict_is_refused(http: httpx.Client) -> None:
    response = http.post(VERTEX + f"{NB21}:predict", json=imagen("x"), headers=BEARER)
    assert response.status_code == 400
    assert error(response)["status"] == "FAILED_PRECONDITION"
    assert error(response)["message"].startswith(
        "Gemini cannot be accessed through Vertex Predict/RawPredict API."
    )


def test_extra_models_are_accepted_on_every_surface_and_day() -> None:
    extras = {
        "my-flash-image": "gemini-3.1-flash-image-preview",
        "gemini-3-pro-image-preview": "gemini-3-pro-image",
    }
    with in_process(extra_models=extras) as client:
        ok = client.post(
            GEMINI_API + "my-flash-image:generateContent",
            json=gemini(user("a kite"), imageConfig={"aspectRatio": "8:1", "imageSize": "512"}),
            headers=KEY,
        )
        assert ok.status_code == 200, ok.text
        assert image(final_images(ok.json())[0]["inlineData"]["data"]).size == (1536, 192)
        assert ok.json()["modelVersion"] == "my-flash-image"
        # a retired id given as an extra model answers again (e.g. a private endpoint that still serves it)
        revived = client.post(
            VERTEX + "gemini-3-pro-image-preview:generateContent", json=gemini(user("x")), headers=BEARER
        )
        assert revived.status_code == 200, revived.text


# --- auth ----------------------------------------------------------------------------------------------------


def test_vertex_without_credentials_is_401(http: httpx.Client) -> None:
    response = http.post(VERTEX + "imagen-4.0-generate-001:predict", json=imagen("a cat"))
    assert response.status_code == 401
    err = error(response)
    assert err["status"] == "UNAUTHENTICATED"
    assert err["message"].startswith("Request is missing required authentication credential.")
    assert err["details"][0]["reason"] == "CREDENTIALS_MISSING"


def test_vertex_with_expired_token_gets_the_documented_401_body(http: httpx.Client) -> None:
    response = http.post(
        VERTEX + "imagen-4.0-generate-001:predict",
        json=imagen("a cat"),
        headers={"Authorization": "Bearer expired-1"},
    )
    assert response.status_code == 401
    err = error(response)
    assert err["message"] == (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
        "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    assert err["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    assert err["details"][0]["metadata"]["method"] == "google.cloud.aiplatform.v1.PredictionService.Predict"


@pytest.mark.parametrize("headers", [{}, BEARER], ids=["nothing", "bearer-only"])
def test_gemini_api_without_key_is_403(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("x")), headers=headers
    )
    assert response.status_code == 403
    err = error(response)
    assert err["status"] == "PERMISSION_DENIED"
    assert err["message"].startswith("Method doesn't allow unregistered callers")


def test_gemini_api_accepts_key_query_parameter(http: httpx.Client) -> None:
    response = http.post(GEMINI_API + "gemini-2.5-flash-image:generateContent?key=abc", json=gemini(user("x")))
    assert response.status_code == 200


def test_required_key_rejects_other_keys_with_400_api_key_invalid() -> None:
    with in_process(require_key="right") as client:
        for path in (
            GEMINI_API + "gemini-2.5-flash-image:generateContent",
            EXPRESS + f"{NB21}:generateContent",
        ):
            wrong = client.post(path, json=gemini(user("x")), headers={"x-goog-api-key": "wrong"})
            assert wrong.status_code == 400
            err = error(wrong)
            assert err["message"] == "API key not valid. Please pass a valid API key."
            assert err["status"] == "INVALID_ARGUMENT"
            assert err["details"][0]["reason"] == "API_KEY_INVALID"
            assert (
                client.post(path, json=gemini(user("x")), headers={"x-goog-api-key": "right"}).status_code == 200
            )


# --- request log -------------------------------------------------------------------------------------------


def test_requests_are_logged_with_lowercase_headers_and_parsed_body(emulator: Any, http: httpx.Client) -> None:
    emulator.clear_requests()
    http.post(
        GEMINI_API + "gemini-2.5-flash-image:streamGenerateContent?alt=sse",
        json=gemini(user("log me")),
        headers={**KEY, "X-Custom": "1"},
    )
    [logged] = emulator.requests
    assert (logged.method, logged.path, logged.query) == (
        "POST",
        "/v1beta/models/gemini-2.5-flash-image:streamGenerateContent",
        {"alt": "sse"},
    )
    assert logged.headers["x-custom"] == "1"
    assert logged.headers["x-goog-api-key"] == "test-key"
    assert logged.body["contents"][0]["parts"][0]["text"] == "log me"
    assert "test-key" not in repr(logged)


# --- Imagen ------------------------------------------------------------------------------------------------

IMAGEN_SIZES = [
    ("1:1", "1K", (1024, 1024)),
    ("3:4", "1K", (896, 1280)),
    ("4:3", "1K", (1280, 896)),
    ("9:16", "1K", (768, 1408)),
    ("16:9", "1K", (1408, 768)),
    ("1:1", "2K", (2048, 2048)),
    ("3:4", "2K", (1792, 2560)),
    ("4:3", "2K", (2560, 1792)),
    ("9:16", "2K", (1536, 2816)),
    ("16:9", "2K", (2816, 1536)),
]


@pytest.mark.parametrize(("ratio", "size", "pixels"), IMAGEN_SIZES)
def test_imagen_output_sizes_match_the_table(
    legacy_http: httpx.Client, ratio: str, size: str, pixels: tuple[int, int]
) -> None:
    body = imagen("a tree", sampleCount=1, aspectRatio=ratio, sampleImageSize=size)
    response = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER)
    [prediction] = response.json()["predictions"]
    assert image(prediction["bytesBase64Encoded"]).size == pixels


def test_imagen_sample_count_gives_that_many_distinct_images(legacy_http: httpx.Client) -> None:
    response = legacy_http.post(
        VERTEX + "imagen-4.0-fast-generate-001:predict", json=imagen("a boat", sampleCount=3), headers=BEARER
    )
    predictions = response.json()["predictions"]
    assert len(predictions) == 3
    assert len({p["bytesBase64Encoded"] for p in predictions}) == 3


def test_imagen_default_count_is_4_on_vertex_and_1_on_gemini_api(legacy_http: httpx.Client) -> None:
    vertex = legacy_http.post(
        VERTEX + "imagen-4.0-fast-generate-001:predict", json=imagen("a boat"), headers=BEARER
    )
    api = legacy_http.post(GEMINI_API + "imagen-4.0-fast-generate-001:predict", json=imagen("a boat"), headers=KEY)
    assert (len(vertex.json()["predictions"]), len(api.json()["predictions"])) == (4, 1)


@pytest.mark.parametrize(
    ("model", "parameters", "fragment"),
    [
        ("imagen-4.0-generate-001", {"sampleCount": 5}, "sampleCount must be between 1 and 4"),
        ("imagen-4.0-generate-001", {"sampleCount": 0}, "sampleCount must be between 1 and 4"),
        ("imagen-4.0-ultra-generate-preview-06-06", {"sampleCount": 2}, "between 1 and 1"),
        ("imagen-4.0-generate-001", {"aspectRatio": "2:3"}, "Unsupported aspect ratio '2:3'"),
        ("imagen-3.0-generate-002", {"sampleImageSize": "2K"}, "Unsupported sampleImageSize '2K'"),
        ("imagen-4.0-generate-001", {"outputOptions": {"mimeType": "image/gif"}}, "Unsupported output mime type"),
        (
            "imagen-4.0-generate-001",
            {"personGeneration": "allow_some"},
            "Invalid value 'allow_some' for personGeneration",
        ),
        ("imagen-4.0-generate-001", {"outputOptions": {"compressionQuality": 101}}, "compressionQuality must be"),
    ],
)
def test_imagen_rejects_invalid_parameters(
    legacy_http: httpx.Client, model: str, parameters: dict[str, Any], fragment: str
) -> None:
    response = legacy_http.post(VERTEX + f"{model}:predict", json=imagen("a cat", **parameters), headers=BEARER)
    assert response.status_code == 400
    assert error(response)["status"] == "INVALID_ARGUMENT"
    assert fragment in error(response)["message"]


def test_imagen_seed_needs_watermark_off(legacy_http: httpx.Client) -> None:
    path = VERTEX + "imagen-4.0-generate-001:predict"
    refused = legacy_http.post(path, json=imagen("a cat", sampleCount=1, seed=7), headers=BEARER)
    assert refused.status_code == 400
    assert error(refused)["message"] == (
        "Image generation failed with the following error: Seed is not supported when watermark is enabled."
    )
    first = legacy_http.post(path, json=imagen("a cat", sampleCount=1, seed=7, addWatermark=False), headers=BEARER)
    again = legacy_http.post(path, json=imagen("a cat", sampleCount=1, seed=7, addWatermark=False), headers=BEARER)
    other = legacy_http.post(path, json=imagen("a cat", sampleCount=1, seed=8, addWatermark=False), headers=BEARER)
    data = [r.json()["predictions"][0]["bytesBase64Encoded"] for r in (first, again, other)]
    assert data[0] == data[1] != data[2]


def test_imagen_enums_are_case_insensitive_and_snake_case_is_accepted(legacy_http: httpx.Client) -> None:
    body = {
        "instances": [{"prompt": "a cat"}],
        "parameters": {
            "sample_count": 1,
            "aspect_ratio": "16:9",
            "person_generation": "ALLOW_ALL",
            "safety_setting": "block_low_and_above",
            "output_options": {"mime_type": "image/jpeg", "compression_quality": 60},
            "unknownField": {"ignored": True},
        },
        "labels": {"team": "x"},
    }
    response = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER)
    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert prediction["mimeType"] == "image/jpeg"
    img = image(prediction["bytesBase64Encoded"])
    assert (img.format, img.size) == ("JPEG", (1408, 768))


def test_imagen_png_is_the_default_format(legacy_http: httpx.Client) -> None:
    response = legacy_http.post(
        VERTEX + "imagen-4.0-generate-001:predict", json=imagen("a cat", sampleCount=1), headers=BEARER
    )
    [prediction] = response.json()["predictions"]
    assert prediction["mimeType"] == "image/png"
    assert image(prediction["bytesBase64Encoded"]).format == "PNG"


def test_imagen_enhance_prompt_adds_the_rewritten_prompt(legacy_http: httpx.Client) -> None:
    path = VERTEX + "imagen-4.0-generate-001:predict"
    on = legacy_http.post(path, json=imagen("a cat", sampleCount=1, enhancePrompt=True), headers=BEARER).json()
    off = legacy_http.post(path, json=imagen("a cat", sampleCount=1), headers=BEARER).json()
    assert on["predictions"][0]["prompt"].startswith("a cat. A detailed")
    assert "prompt" not in off["predictions"][0]


def test_imagen_safety_attributes_per_image_plus_positive_prompt(legacy_http: httpx.Client) -> None:
    path = VERTEX + "imagen-4.0-generate-001:predict"
    predictions = legacy_http.post(
        path, json=imagen("a cat", sampleCount=2, includeSafetyAttributes=True), headers=BEARER
    ).json()["predictions"]
    assert len(predictions) == 3
    for prediction in predictions[:2]:
        attributes = prediction["safetyAttributes"]
        assert len(attributes["categories"]) == len(attributes["scores"]) > 0
        assert all(0.0 <= s <= 1.0 for s in attributes["scores"])
    assert predictions[2]["contentType"] == "Positive Prompt"
    assert "bytesBase64Encoded" not in predictions[2]
    plain = legacy_http.post(path, json=imagen("a cat", sampleCount=1), headers=BEARER).json()["predictions"]
    assert "safetyAttributes" not in plain[0] and len(plain) == 1


def test_imagen_storage_uri_gives_gcs_uris_instead_of_bytes(legacy_http: httpx.Client) -> None:
    body = imagen("a cat", sampleCount=2, storageUri="gs://bucket/out/", outputOptions={"mimeType": "image/jpeg"})
    predictions = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER).json()[
        "predictions"
    ]
    assert [p["gcsUri"].endswith(f"/sample_{i}.jpg") for i, p in enumerate(predictions)] == [True, True]
    assert all(p["gcsUri"].startswith("gs://bucket/out/") and "bytesBase64Encoded" not in p for p in predictions)


def test_imagen_all_filtered_with_and_without_rai_reason(legacy_http: httpx.Client) -> None:
    path = VERTEX + "imagen-4.0-generate-001:predict"
    with_reason = legacy_http.post(
        path, json=imagen("blockme please", sampleCount=2, includeRaiReason=True), headers=BEARER
    )
    assert with_reason.status_code == 200
    [only] = with_reason.json()["predictions"]
    assert only["raiFilteredReason"].startswith("Unable to show generated images. All images were filtered out")
    without = legacy_http.post(path, json=imagen("Forbidden fruit", sampleCount=2), headers=BEARER)
    assert (without.status_code, without.json()) == (200, {})


def test_imagen_halfblock_filters_half(legacy_http: httpx.Client) -> None:
    path = VERTEX + "imagen-4.0-generate-001:predict"
    predictions = legacy_http.post(
        path, json=imagen("halfblock cats", sampleCount=4, includeRaiReason=True), headers=BEARER
    ).json()["predictions"]
    assert len(predictions) == 3
    assert predictions[-1]["raiFilteredReason"].startswith(
        "Your current safety filter threshold filtered out 2 generated images."
    )
    shorter = legacy_http.post(path, json=imagen("halfblock cats", sampleCount=4), headers=BEARER).json()[
        "predictions"
    ]
    assert len(shorter) == 2 and all("bytesBase64Encoded" in p for p in shorter)


def test_imagen_promptblock_is_the_400_of_the_service(legacy_http: httpx.Client) -> None:
    response = legacy_http.post(
        VERTEX + "imagen-4.0-generate-001:predict", json=imagen("promptblock"), headers=BEARER
    )
    assert response.status_code == 400
    assert error(response)["message"].startswith(
        "Image generation failed with the following error: The prompt could not be submitted."
    )


def _edit_body(prompt: str, base: str, mask: str | None = None, **parameters: Any) -> dict[str, Any]:
    refs: list[dict[str, Any]] = [
        {
            "referenceType": "REFERENCE_TYPE_RAW",
            "referenceId": 1,
            "referenceImage": {"bytesBase64Encoded": base, "mimeType": "image/png"},
        }
    ]
    mask_ref: dict[str, Any] = {
        "referenceType": "REFERENCE_TYPE_MASK",
        "referenceId": 2,
        "maskImageConfig": {"maskMode": "MASK_MODE_BACKGROUND", "dilation": 0.06},
    }
    if mask is not None:
        mask_ref = {
            "referenceType": "REFERENCE_TYPE_MASK",
            "referenceId": 2,
            "referenceImage": {"bytesBase64Encoded": mask, "mimeType": "image/png"},
            "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED"},
        }
    refs.append(mask_ref)
    return {
        "instances": [{"prompt": prompt, "referenceImages": refs}],
        "parameters": {
            "sampleCount": 1,
            "editMode": "EDIT_MODE_INPAINT_INSERTION",
            "editConfig": {"baseSteps": 32},
            **parameters,
        },
    }


def test_imagen_edit_tints_the_raw_image(legacy_http: httpx.Client) -> None:
    base = png_b64((320, 240))
    response = legacy_http.post(
        VERTEX + "imagen-3.0-capability-001:predict", json=_edit_body("make it red", base), headers=BEARER
    )
    assert response.status_code == 200, response.text
    out = image(response.json()["predictions"][0]["bytesBase64Encoded"])
    assert out.size == (320, 240)
    r, g, b = mean_rgb(out)
    assert r > 150 and r - g > 60 and r - b > 60


def test_imagen_edit_with_a_user_mask_changes_only_the_masked_area(legacy_http: httpx.Client) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    mask = Image.new("L", (200, 100), 0)
    mask.paste(255, (100, 0, 200, 100))
    mask.save(buf, "PNG")
    body = _edit_body("blue", png_b64((200, 100)), base64.b64encode(buf.getvalue()).decode())
    out = image(
        legacy_http.post(VERTEX + "imagen-3.0-capability-001:predict", json=body, headers=BEARER).json()[
            "predictions"
        ][0]["bytesBase64Encoded"]
    )
    left, right = out.crop((0, 0, 100, 100)), out.crop((100, 0, 200, 100))
    assert mean_rgb(left) == pytest.approx((128, 128, 128), abs=2)
    assert mean_rgb(right)[2] > 150


def test_imagen_edit_is_refused_by_generation_models(legacy_http: httpx.Client) -> None:
    response = legacy_http.post(
        VERTEX + "imagen-4.0-generate-001:predict", json=_edit_body("red", png_b64()), headers=BEARER
    )
    assert response.status_code == 400
    assert "does not support image editing" in error(response)["message"]


@pytest.mark.parametrize(("factor", "scale"), [("x2", 2), ("x3", 3), ("x4", 4)])
def test_imagen_upscale_scales_the_input(legacy_http: httpx.Client, factor: str, scale: int) -> None:
    body = {
        "instances": [{"image": {"bytesBase64Encoded": png_b64((300, 200)), "mimeType": "image/png"}}],
        "parameters": {"mode": "upscale", "sampleCount": 1, "upscaleConfig": {"upscaleFactor": factor}},
    }
    response = legacy_http.post(VERTEX + "imagen-4.0-upscale-preview:predict", json=body, headers=BEARER)
    [prediction] = response.json()["predictions"]
    assert image(prediction["bytesBase64Encoded"]).size == (300 * scale, 200 * scale)


# --- Gemini ------------------------------------------------------------------------------------------------


def test_gemini_text_and_image_modalities(legacy_http: httpx.Client) -> None:
    path = VERTEX_GLOBAL + "gemini-2.5-flash-image:generateContent"
    both = legacy_http.post(
        path, json=gemini(user("a fox"), responseModalities=["TEXT", "IMAGE"]), headers=BEARER
    ).json()
    parts = both["candidates"][0]["content"]["parts"]
    assert [("text" in p, "inlineData" in p) for p in parts] == [(True, False), (False, True)]
    assert parts[0]["text"] == "Here is an image of a fox."
    only = legacy_http.post(path, json=gemini(user("a fox"), responseModalities=["image"]), headers=BEARER).json()
    assert [list(p) for p in only["candidates"][0]["content"]["parts"]] == [["inlineData", "thoughtSignature"]]
    text = legacy_http.post(path, json=gemini(user("a fox"), responseModalities=["TEXT"]), headers=BEARER).json()
    assert final_images(text) == [] and "text" in text["candidates"][0]["content"]["parts"][0]


def test_gemini_default_formats_and_vertex_output_options(http: httpx.Client) -> None:
    flash = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("x")), headers=KEY
    ).json()
    pro = http.post(GEMINI_API + "gemini-3-pro-image:generateContent", json=gemini(user("x")), headers=KEY).json()
    assert final_images(flash)[0]["inlineData"]["mimeType"] == "image/png"
    assert image(final_images(pro)[0]["inlineData"]["data"]).format == "JPEG"
    vertex = VERTEX_GLOBAL + f"{NB21}:generateContent"
    default = http.post(vertex, json=gemini(user("x")), headers=BEARER).json()
    assert image(final_images(default)[0]["inlineData"]["data"]).format == "JPEG"
    body = gemini(user("x"), imageConfig={"imageOutputOptions": {"mimeType": "image/png"}})
    png = http.post(vertex, json=body, headers=BEARER).json()
    assert final_images(png)[0]["inlineData"]["mimeType"] == "image/png"
    assert image(final_images(png)[0]["inlineData"]["data"]).format == "PNG"


@pytest.mark.parametrize("name", ["imageOutputOptions", "image_output_options", "personGeneration"])
def test_vertex_only_image_options_are_unknown_fields_on_the_gemini_api(http: httpx.Client, name: str) -> None:
    """MODELS §3: only Vertex takes imageOutputOptions (and personGeneration, prominentPeople)."""
    value: Any = {"mimeType": "image/png"} if "output" in name.lower() else "ALLOW_ALL"
    body = gemini(user("x"), imageConfig={"aspectRatio": "1:1", name: value})
    response = http.post(GEMINI_API + f"{NB21}:generateContent", json=body, headers=KEY)
    assert response.status_code == 400
    err = error(response)
    assert err["status"] == "INVALID_ARGUMENT"
    assert err["message"] == (
        f"Invalid JSON payload received. Unknown name \"{name}\" at 'generation_config.image_config': "
        "Cannot find field."
    )
    assert err["details"][0]["fieldViolations"][0]["field"] == "generation_config.image_config"
    assert http.post(VERTEX_GLOBAL + f"{NB21}:generateContent", json=body, headers=BEARER).status_code == 200


@pytest.mark.parametrize(
    ("model", "ratio", "size", "pixels"),
    [
        ("gemini-2.5-flash-image", "21:9", None, (1536, 672)),
        ("gemini-2.5-flash-image", "3:4", "1K", (864, 1184)),
        ("gemini-3-pro-image", "2:3", "1K", (848, 1264)),
        ("gemini-3-pro-image", "16:9", "2K", (2752, 1536)),
        ("gemini-3-pro-image", "21:9", "4K", (6336, 2688)),
        ("gemini-3.1-flash-image", "16:9", "512", (688, 384)),
        ("gemini-3.1-flash-image", "8:1", "1K", (3072, 384)),
        ("gemini-3.1-flash-image", "1:4", "2K", (1024, 4096)),
        ("gemini-3.1-flash-image", "1:8", "512", (192, 1536)),
        # MODELS-2026-11.md §2
        (NB21, "16:9", "2K", (2752, 1536)),
        (NB21, "1:8", "4K", (1536, 12288)),
        (NB21, "1:4", "4K", (2048, 8192)),
        (NB21, "3:2", "4K", (5056, 3392)),
        (NB21, "4:5", "1K", (928, 1152)),
        (NB21, "21:9", "2K", (3168, 1344)),
        (NB21, "2:3", None, (848, 1264)),
        ("gemini-3.1-flash-lite-image", "4:1", "1K", (2048, 512)),
        ("gemini-3.1-flash-lite-image", "9:16", None, (768, 1376)),
    ],
)
def test_gemini_output_sizes_match_the_tables(
    http: httpx.Client, model: str, ratio: str, size: str | None, pixels: tuple[int, int]
) -> None:
    config: dict[str, Any] = {"aspectRatio": ratio, **({"imageSize": size} if size else {})}
    body = gemini(user("a bridge"), responseModalities=["IMAGE"], imageConfig=config)
    response = http.post(GEMINI_API + f"{model}:generateContent", json=body, headers=KEY)
    assert response.status_code == 200, response.text
    assert image(final_images(response.json())[0]["inlineData"]["data"]).size == pixels


@pytest.mark.parametrize(
    ("model", "config", "message"),
    [
        ("gemini-2.5-flash-image", {"imageSize": "2K"}, "Image size 2K is not supported for this model."),
        ("gemini-3-pro-image", {"imageSize": "1k"}, "Image size 1k is not supported for this model."),
        ("gemini-3-pro-image", {"imageSize": "512"}, "Image size 512 is not supported for this model."),
        ("gemini-3.1-flash-lite-image", {"imageSize": "2K"}, "Image size 2K is not supported for this model."),
        ("gemini-3-pro-image", {"aspectRatio": "8:1"}, "Aspect ratio 8:1 is not supported for this model."),
        ("gemini-2.5-flash-image", {"aspectRatio": "5:3"}, "Aspect ratio 5:3 is not supported for this model."),
    ],
)
def test_gemini_rejects_what_the_model_does_not_accept(
    http: httpx.Client, model: str, config: dict[str, Any], message: str
) -> None:
    response = http.post(
        GEMINI_API + f"{model}:generateContent", json=gemini(user("x"), imageConfig=config), headers=KEY
    )
    assert response.status_code == 400
    assert error(response)["status"] == "INVALID_ARGUMENT"
    assert error(response)["message"].startswith(message)


def test_nano_banana_2_1_refuses_512_on_both_surfaces(http: httpx.Client) -> None:
    body = gemini(user("x"), imageConfig={"aspectRatio": "1:1", "imageSize": "512"})
    api = http.post(GEMINI_API + f"{NB21}:generateContent", json=body, headers=KEY)
    vertex = http.post(VERTEX_GLOBAL + f"{NB21}:generateContent", json=body, headers=BEARER)
    assert (api.status_code, vertex.status_code) == (400, 400)
    assert error(api) == {
        "code": 400,
        "message": "Image size 512 is not supported for this model. Supported image sizes: 1K, 2K, 4K.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {
                        "field": "generation_config.image_config.image_size",
                        "description": "Image size 512 is not supported for this model. Supported image sizes: "
                        "1K, 2K, 4K.",
                    }
                ],
            }
        ],
    }
    assert error(vertex)["message"] == (
        "Unable to submit request because image_size 512 is not supported by this model (supported: 1K, 2K, 4K). "
        "Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
    )
    # the same size is fine on gemini-3.1-flash-image, the model 2.1 replaces
    assert (
        http.post(GEMINI_API + "gemini-3.1-flash-image:generateContent", json=body, headers=KEY).status_code == 200
    )


# --- thinking levels and search grounding (MODELS-2026-11.md §2, §3) --------------------------------------


@pytest.mark.parametrize(
    ("model", "level"),
    [
        (NB21, "MINIMAL"),
        (NB21, "MEDIUM"),
        (NB21, "high"),  # enum values in any case, as elsewhere
        ("gemini-3.1-flash-image", "MINIMAL"),
        ("gemini-3.1-flash-image", "HIGH"),
        ("gemini-3.1-flash-lite-image", "HIGH"),
    ],
)
def test_thinking_levels_the_model_takes(http: httpx.Client, model: str, level: str) -> None:
    body = gemini(user("a fox"), responseModalities=["IMAGE"], thinkingConfig={"thinkingLevel": level})
    response = http.post(GEMINI_API + f"{model}:generateContent", json=body, headers=KEY)
    assert response.status_code == 200, response.text
    assert response.json()["usageMetadata"]["thoughtsTokenCount"] > 0


@pytest.mark.parametrize(
    ("model", "level", "api", "vertex"),
    [
        (
            "gemini-3.1-flash-image",
            "MEDIUM",
            "Thinking level MEDIUM is not supported for this model.",
            "thinking_level MEDIUM is not supported by this model",
        ),
        (
            "gemini-3.1-flash-lite-image",
            "MEDIUM",
            "Thinking level MEDIUM is not supported for this model.",
            "thinking_level MEDIUM is not supported by this model",
        ),
        (
            NB21,
            "LOW",
            "Thinking level LOW is not supported for this model.",
            "thinking_level LOW is not supported by this model",
        ),
        (
            "gemini-3-pro-image",  # always thinks, level not settable
            "HIGH",
            "Thinking level is not supported for this model.",
            "thinking_level is not supported by this model",
        ),
    ],
)
def test_thinking_levels_the_model_does_not_take_are_400(
    http: httpx.Client, model: str, level: str, api: str, vertex: str
) -> None:
    body = gemini(user("a fox"), thinkingConfig={"thinkingLevel": level})
    on_api = http.post(GEMINI_API + f"{model}:generateContent", json=body, headers=KEY)
    on_vertex = http.post(VERTEX_GLOBAL + f"{model}:generateContent", json=body, headers=BEARER)
    assert (on_api.status_code, on_vertex.status_code) == (400, 400)
    assert error(on_api)["message"] == api
    assert error(on_vertex)["message"] == (
        f"Unable to submit request because {vertex}. Learn more: "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
    )
    assert error(on_api)["status"] == error(on_vertex)["status"] == "INVALID_ARGUMENT"


def test_thinking_level_not_in_the_enum_is_a_parse_error(http: httpx.Client) -> None:
    body = gemini(user("a fox"), thinkingConfig={"thinkingLevel": "ULTRA"})
    response = http.post(GEMINI_API + f"{NB21}:generateContent", json=body, headers=KEY)
    assert response.status_code == 400
    assert error(response)["message"].startswith(
        "Invalid value at 'generation_config.thinking_config.thinking_level' ("
    )
    assert error(response)["message"].endswith('"ULTRA"')


def test_higher_thinking_levels_think_longer(http: httpx.Client) -> None:
    def thoughts(level: str | None) -> int:
        config = {"thinkingLevel": level} if level else {}
        body = gemini(user("a fox"), responseModalities=["IMAGE"], thinkingConfig=config)
        return http.post(GEMINI_API + f"{NB21}:generateContent", json=body, headers=KEY).json()["usageMetadata"][
            "thoughtsTokenCount"
        ]

    minimal, medium, high, default = thoughts("MINIMAL"), thoughts("MEDIUM"), thoughts("HIGH"), thoughts(None)
    assert minimal < medium < high
    assert default == medium  # MEDIUM is 2.1's default (MODELS §2)


def _search(*kinds: str) -> list[dict[str, Any]]:
    types = {f"{kind}Search": {} for kind in kinds}
    return [{"googleSearch": {"searchTypes": types} if types else {}}]


@pytest.mark.parametrize(
    "path", [GEMINI_API + f"{NB21}:generateContent", VERTEX_GLOBAL + f"{NB21}:generateContent"]
)
def test_search_grounding_with_web_and_image_search(http: httpx.Client, path: str) -> None:
    headers = KEY if path.startswith(GEMINI_API) else BEARER
    body = {**gemini(user("the tallest lighthouse in France")), "tools": _search("web", "image")}
    response = http.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    [candidate] = response.json()["candidates"]
    grounding = candidate["groundingMetadata"]
    assert grounding["webSearchQueries"] == grounding["imageSearchQueries"] == ["the tallest lighthouse in France"]
    assert [sorted(chunk) for chunk in grounding["groundingChunks"]] == [["web"], ["image"]]
    assert grounding["groundingChunks"][1]["image"]["imageUri"].startswith("https://")
    assert len(final_images(response.json())) == 1
    web_only = http.post(path, json={**gemini(user("x")), "tools": _search()}, headers=headers).json()
    assert "imageSearchQueries" not in web_only["candidates"][0]["groundingMetadata"]
    plain = http.post(path, json=gemini(user("x")), headers=headers).json()
    assert "groundingMetadata" not in plain["candidates"][0]


def test_grounding_metadata_comes_with_the_last_stream_event(http: httpx.Client) -> None:
    body = {**gemini(user("a kite")), "tools": _search("image")}
    events = sse_events(http.post(GEMINI_API + f"{NB21}:streamGenerateContent?alt=sse", json=body, headers=KEY))
    assert [("groundingMetadata" in e["candidates"][0]) for e in events][-1] is True
    assert not any("groundingMetadata" in e["candidates"][0] for e in events[:-1])


@pytest.mark.parametrize(
    ("model", "kinds", "api", "vertex"),
    [
        (
            "gemini-3-pro-image",  # web search only
            ("web", "image"),
            "Image Search Grounding is not supported for this model.",
            "image search grounding is not supported by this model",
        ),
        (
            "gemini-3.1-flash-lite-image",  # web search only (UNCONFIRMED)
            ("image",),
            "Image Search Grounding is not supported for this model.",
            "image search grounding is not supported by this model",
        ),
        ("gemini-2.5-flash-image", (), "Search Grounding is not supported.", None),
    ],
)
def test_search_types_the_model_does_not_take_are_400(
    http: httpx.Client, model: str, kinds: tuple[str, ...], api: str, vertex: str | None
) -> None:
    body = {**gemini(user("x")), "tools": _search(*kinds)}
    on_api = http.post(GEMINI_API + f"{model}:generateContent", json=body, headers=KEY)
    assert on_api.status_code == 400
    assert error(on_api)["message"] == api
    if vertex is not None:
        on_vertex = http.post(VERTEX_GLOBAL + f"{model}:generateContent", json=body, headers=BEARER)
        assert error(on_vertex)["message"].startswith(f"Unable to submit request because {vertex}.")
    web = {**gemini(user("x")), "tools": _search("web")}
    expected = 400 if model == "gemini-2.5-flash-image" else 200
    assert http.post(GEMINI_API + f"{model}:generateContent", json=web, headers=KEY).status_code == expected


@pytest.mark.parametrize(
    ("model", "limit"),
    [("gemini-2.5-flash-image", 3), ("gemini-3-pro-image", 14), (NB21, 14), ("gemini-3.1-flash-lite-image", 14)],
)
def test_gemini_input_image_limits(http: httpx.Client, model: str, limit: int) -> None:
    small = png_b64((16, 16))
    path = GEMINI_API + f"{model}:generateContent"
    body = gemini(
        user("combine", *[small] * limit), responseModalities=["IMAGE"], imageConfig={"aspectRatio": "1:1"}
    )
    assert http.post(path, json=body, headers=KEY).status_code == 200
    too_many = http.post(path, json=gemini(user("combine", *[small] * (limit + 1))), headers=KEY)
    assert too_many.status_code == 400
    assert f"Too many input images: {limit + 1}" in error(too_many)["message"]


def test_vertex_rejects_inline_images_over_7_mb(http: httpx.Client) -> None:
    big = base64.b64encode(b"\x89PNG" + b"\x00" * (7 * 1024 * 1024)).decode()
    response = http.post(
        VERTEX_GLOBAL + "gemini-3-pro-image:generateContent", json=gemini(user("x", big)), headers=BEARER
    )
    assert response.status_code == 400
    assert "the limit is 7 MB per inline image" in error(response)["message"]


def test_gemini_api_takes_requests_up_to_100_mb_and_rejects_larger(http: httpx.Client) -> None:
    """The limit rose from 20 MB to 100 MB in January 2026 (Google's blog post on the Gemini API's file limits)."""
    over_old_limit = base64.b64encode(b"\x89PNG" + b"\x00" * (16 * 1024 * 1024)).decode()  # 21 MB of request
    response = http.post(
        GEMINI_API + "gemini-3-pro-image:generateContent", json=gemini(user("x", over_old_limit)), headers=KEY
    )
    assert "payload size" not in response.text
    big = "A" * (100 * 1024 * 1024)
    response = http.post(
        GEMINI_API + "gemini-3-pro-image:generateContent", json=gemini(user("x", big)), headers=KEY
    )
    assert response.status_code == 400
    assert error(response)["message"] == "Request payload size exceeds the limit: 104857600 bytes."


def test_gemini_accepts_snake_case_and_url_safe_unpadded_base64(http: httpx.Client) -> None:
    data = png_b64((64, 48), (128, 128, 128)).rstrip("=").replace("+", "-").replace("/", "_")
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [{"text": "make it red"}, {"inline_data": {"mime_type": "image/png", "data": data}}],
            }
        ],
        "generation_config": {"response_modalities": ["IMAGE"], "image_config": {"aspect_ratio": "4:3"}},
        "somethingNew": 1,
    }
    response = http.post(GEMINI_API + "gemini-2.5-flash-image:generateContent", json=body, headers=KEY)
    assert response.status_code == 200, response.text
    out = image(final_images(response.json())[0]["inlineData"]["data"])
    assert out.size == (1184, 864)
    r, g, b = mean_rgb(out)
    assert r - g > 60 and r - b > 60


def test_gemini_bad_base64_is_a_type_bytes_error(http: httpx.Client) -> None:
    response = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("x", "not base64!")), headers=KEY
    )
    assert response.status_code == 400
    assert error(response)["message"].startswith(
        "Invalid value at 'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding failed for"
    )


def test_gemini_3_sends_thoughts_and_signatures(http: httpx.Client) -> None:
    body = gemini(user("a castle"), responseModalities=["TEXT", "IMAGE"])
    parts = http.post(GEMINI_API + "gemini-3-pro-image:generateContent", json=body, headers=KEY).json()[
        "candidates"
    ][0]["content"]["parts"]
    assert [p.get("thought", False) for p in parts] == [True, True, False, False]
    assert parts[0]["text"].startswith("**Planning the image**")
    draft, final = image(parts[1]["inlineData"]["data"]), image(parts[3]["inlineData"]["data"])
    assert max(draft.size) <= 256 < max(final.size)
    assert ["thoughtSignature" in p for p in parts] == [False, False, True, True]
    no_thoughts = gemini(user("a castle"), thinkingConfig={"include_thoughts": False})
    parts = http.post(GEMINI_API + "gemini-3-pro-image:generateContent", json=no_thoughts, headers=KEY).json()[
        "candidates"
    ][0]["content"]["parts"]
    assert not any(p.get("thought") for p in parts)


def test_gemini_usage_metadata(http: httpx.Client, legacy_http: httpx.Client) -> None:
    flash = legacy_http.post(
        VERTEX_GLOBAL + "gemini-2.5-flash-image:generateContent",
        json=gemini(user("two small words", png_b64((16, 16))), responseModalities=["IMAGE"]),
        headers=BEARER,
    ).json()
    usage = flash["usageMetadata"]
    assert usage["promptTokenCount"] == 3 + 258
    assert usage["candidatesTokensDetails"] == [{"modality": "IMAGE", "tokenCount": 1290}]
    assert usage["trafficType"] == "ON_DEMAND"
    pro = http.post(
        GEMINI_API + "gemini-3-pro-image:generateContent",
        json=gemini(user("big"), responseModalities=["IMAGE"], imageConfig={"imageSize": "4K"}),
        headers=KEY,
    ).json()["usageMetadata"]
    assert pro["candidatesTokensDetails"] == [{"modality": "IMAGE", "tokenCount": 2000}]
    assert pro["thoughtsTokenCount"] > 0
    assert (
        pro["totalTokenCount"] == pro["promptTokenCount"] + pro["candidatesTokenCount"] + pro["thoughtsTokenCount"]
    )
    assert "trafficType" not in pro


def test_gemini_3_token_costs_follow_the_vertex_model_pages(http: httpx.Client) -> None:
    """3.1 Flash Image: 1680 tokens per 2K image, 1120 per input image; 3 Pro Image: 560 per input image
    (docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-1-flash-image and .../3-pro-image)."""
    flash = http.post(
        VERTEX_GLOBAL + "gemini-3.1-flash-image:generateContent",
        json=gemini(
            user("two words", png_b64((16, 16))), responseModalities=["IMAGE"], imageConfig={"imageSize": "2K"}
        ),
        headers=BEARER,
    ).json()["usageMetadata"]
    assert flash["candidatesTokensDetails"] == [{"modality": "IMAGE", "tokenCount": 1680}]
    assert {"modality": "IMAGE", "tokenCount": 1120} in flash["promptTokensDetails"]
    pro = http.post(
        VERTEX_GLOBAL + "gemini-3-pro-image:generateContent",
        json=gemini(user("two words", png_b64((16, 16))), responseModalities=["IMAGE"]),
        headers=BEARER,
    ).json()["usageMetadata"]
    assert {"modality": "IMAGE", "tokenCount": 560} in pro["promptTokensDetails"]


@pytest.mark.parametrize(
    ("model", "size", "tokens"),
    [
        # 2.1: 1K = 1,120 (MODELS §2 footnote); 2K and 4K from $0.050 and $0.113 at $30 / 1M tokens
        (NB21, "1K", 1120),
        (NB21, "2K", 1680),
        (NB21, "4K", 3760),
        ("gemini-3.1-flash-image", "512", 747),
        ("gemini-3.1-flash-image", "4K", 2520),
        ("gemini-3-pro-image", "2K", 1120),
        ("gemini-3.1-flash-lite-image", "1K", 1120),
    ],
)
def test_output_image_tokens_per_size(http: httpx.Client, model: str, size: str, tokens: int) -> None:
    body = gemini(
        user("a fox"), responseModalities=["IMAGE"], imageConfig={"aspectRatio": "1:1", "imageSize": size}
    )
    usage = http.post(GEMINI_API + f"{model}:generateContent", json=body, headers=KEY).json()["usageMetadata"]
    assert usage["candidatesTokensDetails"] == [{"modality": "IMAGE", "tokenCount": tokens}]
    assert usage["candidatesTokenCount"] == tokens
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + tokens + usage["thoughtsTokenCount"]


def test_gemini_ids_version_and_create_time(http: httpx.Client) -> None:
    vertex = [
        http.post(VERTEX_GLOBAL + f"{NB21}:generateContent", json=gemini(user(p)), headers=BEARER).json()
        for p in ("a", "a", "b")
    ]
    assert vertex[0]["responseId"] == vertex[1]["responseId"] != vertex[2]["responseId"]
    assert vertex[0]["modelVersion"] == NB21
    assert vertex[0]["createTime"].endswith("Z")
    api = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("a")), headers=KEY
    ).json()
    assert "createTime" not in api and api["responseId"]


# --- Gemini multi-turn and thought signatures --------------------------------------------------------------


def _turn(
    http: httpx.Client, path: str, headers: dict[str, str], contents: list[dict[str, Any]], **config: Any
) -> httpx.Response:
    return http.post(path, json={"contents": contents, "generationConfig": config}, headers=headers)


def test_multi_turn_refinement_builds_on_the_previous_image(http: httpx.Client) -> None:
    path = GEMINI_API + "gemini-3-pro-image:generateContent"
    history = [user("a white house")]
    first = _turn(http, path, KEY, history).json()
    history += [first["candidates"][0]["content"], user("make it blue")]
    second = _turn(http, path, KEY, history)
    assert second.status_code == 200, second.text
    before = image(final_images(first)[0]["inlineData"]["data"])
    after = image(final_images(second.json())[0]["inlineData"]["data"])
    assert mean_rgb(after)[2] - mean_rgb(before)[2] > 30
    history += [second.json()["candidates"][0]["content"], user("add a garden")]
    third = _turn(http, path, KEY, history)
    assert third.status_code == 200, third.text
    assert "EDIT: add a garden" not in json.dumps(third.json())  # the text goes into the picture, not the JSON
    assert (
        final_images(third.json())[0]["inlineData"]["data"] != final_images(second.json())[0]["inlineData"]["data"]
    )


def _model_turn(http: httpx.Client, path: str, headers: dict[str, str], **config: Any) -> dict[str, Any]:
    response = _turn(
        http, path, headers, [user("a red barn")], thinkingConfig={"includeThoughts": False}, **config
    )
    return response.json()["candidates"][0]["content"]


@pytest.mark.parametrize(
    ("modalities", "drop", "message"),
    [
        (["IMAGE"], 0, "Image part is missing a thought_signature in content position 2, part position 1."),
        (["TEXT", "IMAGE"], 0, "Text part is missing a thought_signature in content position 2, part position 1."),
        (
            ["TEXT", "IMAGE"],
            1,
            "Image part is missing a thought_signature in content position 2, part position 2.",
        ),
    ],
)
def test_gemini_api_requires_signatures_on_gemini_3(
    http: httpx.Client, modalities: list[str], drop: int, message: str
) -> None:
    path = GEMINI_API + "gemini-3-pro-image:generateContent"
    model = _model_turn(http, path, KEY, responseModalities=modalities)
    del model["parts"][drop]["thoughtSignature"]
    response = _turn(http, path, KEY, [user("a red barn"), model, user("make it gold")])
    assert response.status_code == 400
    assert error(response)["message"] == (
        f"{message} Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior "
        "for more details."
    )


@pytest.mark.parametrize(
    "model_id", ["gemini-3-pro-image", "gemini-3.1-flash-image", NB21, "gemini-3.1-flash-lite-image"]
)
def test_gemini_3_rule_models_enforce_signatures_on_the_gemini_api_only(http: httpx.Client, model_id: str) -> None:
    path = GEMINI_API + f"{model_id}:generateContent"
    model = _model_turn(http, path, KEY, responseModalities=["IMAGE"])
    assert _turn(http, path, KEY, [user("a red barn"), model, user("make it gold")]).status_code == 200
    del model["parts"][0]["thoughtSignature"]
    response = _turn(http, path, KEY, [user("a red barn"), model, user("make it gold")])
    assert response.status_code == 400
    assert error(response)["message"].startswith(
        "Image part is missing a thought_signature in content position 2, part position 1."
    )
    vertex = VERTEX_GLOBAL + f"{model_id}:generateContent"
    assert _turn(http, vertex, BEARER, [user("a red barn"), model, user("make it gold")]).status_code == 200


def test_gemini_api_rejects_altered_signatures_and_altered_images(http: httpx.Client) -> None:
    path = GEMINI_API + "gemini-3.1-flash-image:generateContent"
    model = _model_turn(http, path, KEY, responseModalities=["IMAGE"])
    forged = json.loads(json.dumps(model))
    forged["parts"][0]["thoughtSignature"] = base64.b64encode(b"forged signature bytes").decode()
    response = _turn(http, path, KEY, [user("a red barn"), forged, user("again")])
    assert response.status_code == 400
    assert (
        "Image part has an invalid thought_signature in content position 2, part position 1."
        in error(response)["message"]
    )
    swapped = json.loads(json.dumps(model))
    swapped["parts"][0]["inlineData"]["data"] = png_b64()
    assert _turn(http, path, KEY, [user("a red barn"), swapped, user("again")]).status_code == 400


def test_replayed_images_are_compared_by_decoded_bytes(http: httpx.Client) -> None:
    path = GEMINI_API + "gemini-3-pro-image:generateContent"
    model = _model_turn(http, path, KEY, responseModalities=["TEXT", "IMAGE"])
    data = model["parts"][1]["inlineData"]["data"]
    model["parts"][1]["inlineData"] = {
        "mime_type": "image/jpeg",
        "data": data.replace("+", "-").replace("/", "_").rstrip("="),
    }
    model["parts"][1]["thought_signature"] = model["parts"][1].pop("thoughtSignature")
    response = _turn(http, path, KEY, [user("a red barn"), model, user("make it gold")])
    assert response.status_code == 200, response.text


def test_vertex_and_older_models_do_not_enforce_signatures(http: httpx.Client) -> None:
    for path, headers in (
        (VERTEX_GLOBAL + "gemini-3-pro-image:generateContent", BEARER),
        (GEMINI_API + "gemini-2.5-flash-image:generateContent", KEY),
    ):
        model = _model_turn(http, path, headers, responseModalities=["TEXT", "IMAGE"])
        for part in model["parts"]:
            part.pop("thoughtSignature", None)
        model["parts"][1]["thoughtSignature"] = base64.b64encode(b"altered").decode()
        assert _turn(http, path, headers, [user("a red barn"), model, user("blue")]).status_code == 200


def test_signature_that_is_not_base64_is_rejected_on_both_backends(http: httpx.Client) -> None:
    for path, headers in (
        (VERTEX_GLOBAL + "gemini-3-pro-image:generateContent", BEARER),
        (GEMINI_API + "gemini-3-pro-image:generateContent", KEY),
    ):
        model = _model_turn(http, path, headers, responseModalities=["IMAGE"])
        model["parts"][0]["thoughtSignature"] = "%%% not base64 %%%"
        response = _turn(http, path, headers, [user("a red barn"), model, user("blue")])
        assert response.status_code == 400
        assert "(TYPE_BYTES), Base64 decoding failed" in error(response)["message"]


def test_issued_image_signature_covers_the_decoded_bytes(http: httpx.Client) -> None:
    model = _model_turn(http, GEMINI_API + "gemini-3-pro-image:generateContent", KEY, responseModalities=["IMAGE"])
    part = model["parts"][0]
    assert part["thoughtSignature"] == sign_image(base64.b64decode(part["inlineData"]["data"]))


# --- streaming ---------------------------------------------------------------------------------------------


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == "text/event-stream"
    raw = [event for event in response.text.split("\r\n\r\n") if event]
    assert all(event.startswith("data: ") and "\n" not in event for event in raw)
    return [json.loads(event[len("data: ") :]) for event in raw]


def test_stream_events_follow_the_typical_sequence(http: httpx.Client) -> None:
    response = http.post(
        GEMINI_API + "gemini-2.5-flash-image:streamGenerateContent?alt=sse",
        json=gemini(user("a kite")),
        headers=KEY,
    )
    events = sse_events(response)
    parts = [e["candidates"][0]["content"]["parts"][0] for e in events]
    assert parts[0]["text"] == "Here is an image of a kite." and "thoughtSignature" in parts[0]
    assert "inlineData" in parts[1] and image(parts[1]["inlineData"]["data"]).size == (1024, 1024)
    assert parts[2] == {"text": ""}
    assert [e["candidates"][0].get("finishReason") for e in events] == [None, None, "STOP"]
    assert events[0]["usageMetadata"] == {"promptTokenCount": 2, "totalTokenCount": 2}
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == 1290 + 7
    assert len({e["responseId"] for e in events}) == 1 and all(
        e["modelVersion"] == "gemini-2.5-flash-image" for e in events
    )


def test_stream_of_gemini_3_starts_with_thoughts(http: httpx.Client) -> None:
    events = sse_events(
        http.post(
            GEMINI_API + "gemini-3-pro-image:streamGenerateContent?alt=sse",
            json=gemini(user("a kite")),
            headers=KEY,
        )
    )
    flags = [e["candidates"][0]["content"]["parts"][0].get("thought", False) for e in events]
    assert flags == [True, True, False, False, False]


def test_stream_without_alt_sse_is_one_json_array(http: httpx.Client) -> None:
    response = http.post(
        VERTEX_GLOBAL + f"{NB21}:streamGenerateContent", json=gemini(user("a kite")), headers=BEARER
    )
    body = response.json()
    assert isinstance(body, list) and body[-1]["candidates"][0]["finishReason"] == "STOP"


def test_stream_prompt_block_is_a_single_event(http: httpx.Client) -> None:
    events = sse_events(
        http.post(
            GEMINI_API + "gemini-2.5-flash-image:streamGenerateContent?alt=sse",
            json=gemini(user("promptblock")),
            headers=KEY,
        )
    )
    assert (
        len(events) == 1
        and events[0]["promptFeedback"]["blockReason"] == "SAFETY"
        and "candidates" not in events[0]
    )


# --- Gemini blocked shapes ---------------------------------------------------------------------------------


def test_gemini_image_safety_shapes_per_backend(http: httpx.Client) -> None:
    vertex = http.post(VERTEX_GLOBAL + f"{NB21}:generateContent", json=gemini(user("blockme now")), headers=BEARER)
    api = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("blockme now")), headers=KEY
    )
    assert vertex.status_code == api.status_code == 200
    [v], [a] = vertex.json()["candidates"], api.json()["candidates"]
    assert (v["finishReason"], v["content"]) == ("IMAGE_SAFETY", {"role": "model"})
    assert (a["finishReason"], a["content"]) == ("IMAGE_SAFETY", {"parts": None})
    assert v["finishMessage"].startswith("Unable to show the generated image.")
    assert "Prohibited Use policy" in a["finishMessage"]


def test_gemini_prompt_block(http: httpx.Client) -> None:
    vertex = http.post(
        VERTEX_GLOBAL + f"{NB21}:generateContent", json=gemini(user("promptblock")), headers=BEARER
    ).json()
    api = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("promptblock")), headers=KEY
    ).json()
    assert "candidates" not in vertex and "candidates" not in api
    assert vertex["promptFeedback"]["blockReason"] == api["promptFeedback"]["blockReason"] == "SAFETY"
    assert "blockReasonMessage" in vertex["promptFeedback"] and "blockReasonMessage" not in api["promptFeedback"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("noimage", {"finishReason": "NO_IMAGE", "index": 0}),
        ("imageother", {"content": {}, "finishReason": "IMAGE_OTHER"}),
        ("prohibitme", {"content": {"role": "model"}, "finishReason": "IMAGE_PROHIBITED_CONTENT"}),
    ],
)
def test_gemini_empty_outcomes(http: httpx.Client, word: str, expected: dict[str, Any]) -> None:
    [candidate] = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user(f"draw {word}")), headers=KEY
    ).json()["candidates"]
    assert {k: candidate[k] for k in expected} == expected
    if word == "noimage":
        assert candidate == expected


def test_gemini_text_only_reply(http: httpx.Client) -> None:
    body = http.post(
        GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("textonly please")), headers=KEY
    ).json()
    [candidate] = body["candidates"]
    assert candidate["finishReason"] == "STOP"
    assert [list(p) for p in candidate["content"]["parts"]] == [["text", "thoughtSignature"]]


def test_gemini_halfblock_blocks_odd_candidates(http: httpx.Client) -> None:
    body = gemini(user("halfblock"), candidateCount=2)
    candidates = http.post(GEMINI_API + "gemini-2.5-flash-image:generateContent", json=body, headers=KEY).json()[
        "candidates"
    ]
    assert [c["finishReason"] for c in candidates] == ["STOP", "IMAGE_SAFETY"]


@pytest.mark.parametrize(("model", "largest"), [("gemini-2.5-flash-image", 8), ("gemini-3-pro-image", 1)])
def test_gemini_candidate_count_limit_per_model(http: httpx.Client, model: str, largest: int) -> None:
    """candidateCount 1-8 on 2.5 Flash Image, only 1 on the Gemini 3 image models (the Vertex model pages)."""
    path = GEMINI_API + model + ":generateContent"
    ok = http.post(path, json=gemini(user("a fox"), candidateCount=largest), headers=KEY)
    assert len(ok.json()["candidates"]) == largest
    too_many = http.post(path, json=gemini(user("a fox"), candidateCount=largest + 1), headers=KEY)
    assert too_many.status_code == 400
    assert error(too_many)["message"] == f"candidateCount must be between 1 and {largest}, but got {largest + 1}."


def test_blocked_words_are_configurable() -> None:
    with in_process(blocked_words=["dragon"]) as client:
        path = GEMINI_API + "gemini-2.5-flash-image:generateContent"
        assert (
            client.post(path, json=gemini(user("a Dragon")), headers=KEY).json()["candidates"][0]["finishReason"]
            == "IMAGE_SAFETY"
        )
        assert (
            client.post(path, json=gemini(user("blockme")), headers=KEY).json()["candidates"][0]["finishReason"]
            == "STOP"
        )


# --- quota ---------------------------------------------------------------------------------------------------


def test_rpm_limit_answers_429_with_quota_details_until_the_minute_passes() -> None:
    now = [1000.0]
    with in_process(rpm=2, clock=lambda: now[0]) as client:
        vertex = VERTEX_GLOBAL + f"{NB21}:generateContent"
        assert [client.post(vertex, json=gemini(user("x")), headers=BEARER).status_code for _ in range(2)] == [
            200,
            200,
        ]
        limited = client.post(vertex, json=gemini(user("x")), headers=BEARER)
        assert limited.status_code == 429
        err = error(limited)
        assert err["status"] == "RESOURCE_EXHAUSTED" and err["message"].startswith("Resource exhausted.")
        assert [d["@type"].rsplit(".", 1)[1] for d in err["details"]] == ["ErrorInfo", "Help"]
        assert err["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
        now[0] += 20
        api = client.post(
            GEMINI_API + "gemini-2.5-flash-image:generateContent", json=gemini(user("x")), headers=KEY
        )
        types = {d["@type"].rsplit(".", 1)[1]: d for d in error(api)["details"]}
        assert set(types) == {"QuotaFailure", "RetryInfo"}
        assert types["RetryInfo"]["retryDelay"] == "40s"
        now[0] += 41
        assert client.post(vertex, json=gemini(user("x")), headers=BEARER).status_code == 200
