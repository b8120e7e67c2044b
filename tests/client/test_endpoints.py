"""Every URL form of WIRE.md §1.1, built from Settings."""

from __future__ import annotations

import pytest
from vertex_image.base.config import Secret, Settings, resolve_settings
from vertex_image.base.errors import ConfigError, InvalidRequest
from vertex_image.client.endpoints import gateway_root, gateway_route, model_url, models_list_url, openai_url, vertex_host

PROJECT = Settings(backend="vertex", project="my-proj")
KEY = Secret("key-0123456789")


def url(settings: Settings, model_id: str, method: str, family: str = "") -> str:
    location = settings.location_for(family or ("imagen" if model_id.startswith("imagen") else "gemini"))
    return model_url(settings, model_id=model_id, method=method, location=location)


def test_vertex_regional_imagen_predict() -> None:
    assert url(PROJECT, "imagen-4.0-generate-001", "predict") == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1"
        "/publishers/google/models/imagen-4.0-generate-001:predict"
    )


def test_vertex_regional_location_from_settings() -> None:
    settings = Settings(project="my-proj", location="europe-west4")
    assert url(settings, "gemini-2.5-flash-image", "generateContent") == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4"
        "/publishers/google/models/gemini-2.5-flash-image:generateContent"
    )


def test_vertex_global_gemini_generate_content() -> None:
    assert url(PROJECT, "gemini-3-pro-image-preview", "generateContent") == (
        "https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global"
        "/publishers/google/models/gemini-3-pro-image-preview:generateContent"
    )


def test_vertex_streaming_uses_alt_sse() -> None:
    assert url(PROJECT, "gemini-2.5-flash-image", "streamGenerateContent").endswith(
        "/locations/global/publishers/google/models/gemini-2.5-flash-image:streamGenerateContent?alt=sse"
    )


@pytest.mark.parametrize("location", ["us", "eu"])
def test_vertex_multi_region_hosts(location: str) -> None:
    settings = Settings(project="my-proj", location=location)
    assert url(settings, "gemini-2.5-flash-image", "generateContent") == (
        f"https://aiplatform.{location}.rep.googleapis.com/v1/projects/my-proj/locations/{location}"
        "/publishers/google/models/gemini-2.5-flash-image:generateContent"
    )


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("global", "https://aiplatform.googleapis.com"),
        ("us", "https://aiplatform.us.rep.googleapis.com"),
        ("asia-northeast1", "https://asia-northeast1-aiplatform.googleapis.com"),
    ],
)
def test_vertex_host(location: str, host: str) -> None:
    assert vertex_host(location) == host


def test_express_mode_has_no_project_segment() -> None:
    settings = Settings(backend="vertex", api_key=KEY)
    assert settings.express_mode
    assert url(settings, "gemini-3-pro-image-preview", "generateContent") == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-3-pro-image-preview:generateContent"
    )


def test_express_mode_without_location_uses_the_global_host_for_imagen_too() -> None:
    # google-genai: an API key and no location means https://aiplatform.googleapis.com/
    settings = Settings(backend="vertex", api_key=KEY)
    assert url(settings, "imagen-4.0-generate-001", "predict") == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/imagen-4.0-generate-001:predict"
    )


def test_express_mode_with_a_location_uses_its_host() -> None:
    settings = Settings(backend="vertex", api_key=KEY, location="us-central1")
    assert url(settings, "gemini-2.5-flash-image", "generateContent") == (
        "https://us-central1-aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash-image:generateContent"
    )


def test_gemini_api_v1beta() -> None:
    settings = Settings(backend="gemini-api", api_key=KEY)
    assert url(settings, "gemini-2.5-flash-image", "generateContent") == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"
    )
    assert url(settings, "gemini-2.5-flash-image", "streamGenerateContent") == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:streamGenerateContent?alt=sse"
    )
    assert url(settings, "imagen-4.0-generate-001", "predict") == (
        "https://generativelanguage.googleapis.com/v1beta/models/imagen-4.0-generate-001:predict"
    )


def test_gemini_api_ignores_project_and_location() -> None:
    settings = Settings(backend="gemini-api", api_key=KEY, project="p", location="us-central1")
    assert url(settings, "gemini-2.5-flash-image", "generateContent").startswith(
        "https://generativelanguage.googleapis.com/v1beta/models/"
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            Settings(project="my-proj", base_url="https://proxy.example/vertex/"),
            "https://proxy.example/vertex/v1/projects/my-proj/locations/global/publishers/google/models/m:generateContent",
        ),
        (
            Settings(backend="gemini-api", api_key=KEY, base_url="http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/v1beta/models/m:generateContent",
        ),
        (
            Settings(backend="emulator", emulator_mode="gemini-api", base_url="http://127.0.0.1:9/"),
            "http://127.0.0.1:9/v1beta/models/m:generateContent",
        ),
        (
            resolve_settings({"backend": "emulator", "base_url": "http://127.0.0.1:9"}, environ={}),
            "http://127.0.0.1:9/v1/projects/vertex-image-emulator/locations/global/publishers/google/models/m:generateContent",
        ),
    ],
)
def test_base_url_override(settings: Settings, expected: str) -> None:
    assert url(settings, "m", "generateContent") == expected


@pytest.mark.parametrize(
    ("settings", "version"),
    [
        (Settings(project="p", api_version="v1beta1"), "v1beta1"),
        (Settings(backend="gemini-api", api_key=KEY, api_version="v1"), "v1"),
        (resolve_settings({"backend": "vertex", "project": "p", "api_version": "beta"}, environ={}), "v1beta1"),
        (resolve_settings({"backend": "gemini-api", "api_version": "beta"}, environ={}), "v1beta"),
    ],
)
def test_api_version_override(settings: Settings, version: str) -> None:
    assert f"googleapis.com/{version}/" in url(settings, "gemini-2.5-flash-image", "generateContent")


def test_vertex_without_project_or_key_is_config_error() -> None:
    with pytest.raises(ConfigError, match="GOOGLE_CLOUD_PROJECT"):
        url(Settings(backend="vertex"), "imagen-4.0-generate-001", "predict")


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="predict, generateContent, streamGenerateContent"):
        model_url(PROJECT, model_id="m", method="countTokens", location="global")


@pytest.mark.parametrize("model_id", ["", "../x", "m?key=1", "a&b", "m#x", "two words", "google/m", "m\n"])
def test_model_ids_that_would_change_the_url_are_refused(model_id: str) -> None:
    with pytest.raises(InvalidRequest):
        model_url(PROJECT, model_id=model_id, method="predict", location="us-central1")


# --- gateways ------------------------------------------------------------------------------------


def gateway(**options: object) -> Settings:
    return resolve_settings(options, environ={})


def test_litellm_urls_are_googles_paths_under_the_proxys_pass_through_routes() -> None:
    gemini = gateway(backend="litellm", base_url="http://proxy:4000/")
    url = model_url(gemini, model_id="gemini-nano-banana-2.1", method="generateContent", location="global")
    assert url == "http://proxy:4000/gemini/v1beta/models/gemini-nano-banana-2.1:generateContent"
    vertex = gateway(backend="litellm", base_url="http://proxy:4000/gemini", gateway_dialect="vertex", location="us-east5")
    url = model_url(vertex, model_id="gemini-3-pro-image", method="streamGenerateContent", location="us-east5")
    assert url == ("http://proxy:4000/vertex_ai/v1/projects/gateway-project/locations/us-east5/publishers/google/"
                   "models/gemini-3-pro-image:streamGenerateContent?alt=sse")  # fmt: skip
    assert models_list_url(gemini, page_size=1) == "http://proxy:4000/gemini/v1beta/models?pageSize=1"


def test_openai_routes_and_the_root_whatever_suffix_was_given() -> None:
    for given in ("http://gw:4000", "http://gw:4000/v1", "http://gw:4000/v1/"):
        assert openai_url(gateway(backend="openai", base_url=given), "images/edits") == "http://gw:4000/v1/images/edits"
    settings = gateway(backend="openai", base_url="http://gw:4000")
    assert gateway_route(settings) == "/v1" and gateway_root(settings) == "http://gw:4000"
    with pytest.raises(InvalidRequest, match="no Google URLs"):
        model_url(settings, model_id="m", method="generateContent", location="global")
    with pytest.raises(InvalidRequest, match="Unknown OpenAI route"):
        openai_url(settings, "audio/speech")


def test_a_gateway_without_a_url_says_how_to_give_one() -> None:
    with pytest.raises(ConfigError, match="LITELLM_PROXY_URL.*use litellm http://proxy:4000"):
        gateway_root(gateway(backend="litellm"))


def test_batch_files_storage_and_vertex_job_urls() -> None:
    from vertex_image.client import endpoints

    gemini = Settings(backend="gemini-api", api_key=KEY)
    assert endpoints.gemini_api_url(gemini, "batches/abc") == "https://generativelanguage.googleapis.com/v1beta/batches/abc"
    assert endpoints.files_upload_url(gemini) == "https://generativelanguage.googleapis.com/upload/v1beta/files"
    assert endpoints.file_download_url(gemini, "files/x") == (
        "https://generativelanguage.googleapis.com/download/v1beta/files/x:download?alt=media")
    assert endpoints.vertex_jobs_url(PROJECT, "us-central1") == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/batchPredictionJobs")
    name = "projects/my-proj/locations/us-central1/batchPredictionJobs/42"
    assert endpoints.vertex_jobs_url(PROJECT, "us-central1", name).endswith("/v1/" + name)
    with pytest.raises(ConfigError, match="needs a Google Cloud project"):
        endpoints.vertex_jobs_url(Settings(backend="vertex", api_key=KEY), "global")
    assert endpoints.storage_upload_url(PROJECT, "b", "a/b.jsonl") == (
        "https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=media&name=a%2Fb.jsonl")
    assert endpoints.storage_object_url(PROJECT, "b", "a/b.jsonl").endswith("/storage/v1/b/b/o/a%2Fb.jsonl?alt=media")
    assert endpoints.storage_list_url(PROJECT, "b", "out/").endswith("/storage/v1/b/b/o?prefix=out%2F")
