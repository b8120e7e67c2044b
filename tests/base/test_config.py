"""Settings resolution: precedence, google-genai's environment, backend inference, validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from vertex_image.base.config import (
    GATEWAY_PROJECT,
    EMULATOR_PROJECT,
    SETTING_NAMES,
    Secret,
    Settings,
    check_output_dir,
    merge_configured,
    resolve_settings,
)
from vertex_image.base.errors import ConfigError, InvalidRequest

CANARY = "AIzaCANARY-0123456789-secret"


def test_defaults_without_anything() -> None:
    settings = resolve_settings(environ={})
    assert settings == Settings()
    assert settings.sources == {}
    assert settings.backend == "vertex"


def test_reads_os_environ_when_no_environ_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-os")
    assert resolve_settings().project == "from-os"


@pytest.mark.parametrize(
    ("explicit", "configured", "env", "expected", "source"),
    [
        ({"project": "arg"}, {"project": "conf"}, {"GOOGLE_CLOUD_PROJECT": "env"}, "arg", "argument"),
        ({}, {"project": "conf"}, {"GOOGLE_CLOUD_PROJECT": "env"}, "conf", "configure"),
        ({}, {}, {"GOOGLE_CLOUD_PROJECT": "env"}, "env", "environment (GOOGLE_CLOUD_PROJECT)"),
        ({"project": None}, {"project": ""}, {"GOOGLE_CLOUD_PROJECT": "env"}, "env", "environment (GOOGLE_CLOUD_PROJECT)"),
        ({}, {}, {"GOOGLE_CLOUD_PROJECT": "  "}, "", None),
    ],
)
def test_precedence_argument_over_configure_over_environment(
    explicit: dict[str, str], configured: dict[str, str], env: dict[str, str], expected: str, source: str | None
) -> None:
    settings = resolve_settings(explicit, configured, env)
    assert settings.project == expected
    assert settings.sources.get("project") == source


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("GOOGLE_CLOUD_LOCATION", "US-Central1", "location", "us-central1"),
        ("VERTEX_IMAGE_OUTPUT_DIR", "out/images", "output_dir", "out/images"),
        ("VERTEX_IMAGE_PREVIEW_SIZE", "512", "preview_size", 512),
        ("VERTEX_IMAGE_API_VERSION", "v1beta1", "api_version", "v1beta1"),
        ("GOOGLE_GENAI_API_VERSION", "v1", "api_version", "v1"),
        ("VERTEX_IMAGE_CREDENTIALS_FILE", "/keys/sa.json", "credentials_file", "/keys/sa.json"),
        ("VERTEX_IMAGE_EMULATOR_MODE", "gemini", "emulator_mode", "gemini-api"),
        ("GOOGLE_VERTEX_BASE_URL", "https://proxy.example/vertex", "base_url", "https://proxy.example/vertex"),
    ],
)
def test_each_environment_variable(variable: str, value: str, field: str, expected: object) -> None:
    env = {"GOOGLE_CLOUD_PROJECT": "p", variable: value}
    settings = resolve_settings(environ=env)
    assert getattr(settings, field) == expected
    assert settings.sources[field] == f"environment ({variable})"


def test_our_api_version_variable_beats_google_genai_one() -> None:
    env = {"VERTEX_IMAGE_API_VERSION": "v1", "GOOGLE_GENAI_API_VERSION": "v1beta1"}
    assert resolve_settings(environ=env).api_version == "v1"


@pytest.mark.parametrize(("backend", "expected"), [("vertex", "v1beta1"), ("gemini-api", "v1beta")])
def test_api_version_beta_means_the_dialects_beta(backend: str, expected: str) -> None:
    env = {"GOOGLE_GENAI_API_VERSION": "beta", "GOOGLE_API_KEY": "k" * 10, "GOOGLE_CLOUD_PROJECT": "p"}
    assert resolve_settings({"backend": backend}, environ=env).api_version == expected


def test_gemini_base_url_variable_is_used_on_the_gemini_api_only() -> None:
    env = {
        "GOOGLE_API_KEY": "key-123456",
        "GOOGLE_GEMINI_BASE_URL": "https://gem.example",
        "GOOGLE_VERTEX_BASE_URL": "https://vtx.example",
    }
    assert resolve_settings(environ=env).base_url == "https://gem.example"
    assert resolve_settings({"backend": "vertex"}, environ=env).base_url == "https://vtx.example"


def test_emulator_ignores_base_url_variables_and_environment_keys() -> None:
    env = {"GOOGLE_VERTEX_BASE_URL": "https://vtx.example", "GOOGLE_API_KEY": CANARY, "VERTEX_IMAGE_BACKEND": "emulator"}
    settings = resolve_settings(environ=env)
    assert settings.backend == "emulator"
    assert settings.base_url == ""
    assert settings.api_key is None
    assert settings.project == EMULATOR_PROJECT  # URLs need one; the emulator accepts any


def test_emulator_keeps_an_explicit_key_for_the_emulator() -> None:
    settings = resolve_settings({"backend": "emulator", "api_key": "test-key-123", "emulator_mode": "gemini-api"})
    assert settings.api_key == "test-key-123"
    assert settings.speaks == "gemini-api"


# --- backend ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected", "source"),
    [
        ({"GOOGLE_GENAI_USE_VERTEXAI": "true"}, "vertex", "environment (GOOGLE_GENAI_USE_VERTEXAI)"),
        ({"GOOGLE_GENAI_USE_VERTEXAI": "1"}, "vertex", "environment (GOOGLE_GENAI_USE_VERTEXAI)"),
        ({"GOOGLE_GENAI_USE_VERTEXAI": "False"}, "gemini-api", "environment (GOOGLE_GENAI_USE_VERTEXAI)"),
        ({"GOOGLE_GENAI_USE_ENTERPRISE": "TRUE"}, "vertex", "environment (GOOGLE_GENAI_USE_ENTERPRISE)"),
        (
            {"GOOGLE_GENAI_USE_ENTERPRISE": "false", "GOOGLE_GENAI_USE_VERTEXAI": "true"},
            "gemini-api",
            "environment (GOOGLE_GENAI_USE_ENTERPRISE)",
        ),
        (
            {"GOOGLE_GENAI_USE_ENTERPRISE": "true", "GOOGLE_GENAI_USE_VERTEXAI": "false"},
            "vertex",
            "environment (GOOGLE_GENAI_USE_ENTERPRISE)",
        ),
        (
            {"VERTEX_IMAGE_BACKEND": "emulator", "GOOGLE_GENAI_USE_VERTEXAI": "true"},
            "emulator",
            "environment (VERTEX_IMAGE_BACKEND)",
        ),
    ],
)
def test_backend_from_environment(env: dict[str, str], expected: str, source: str) -> None:
    settings = resolve_settings(environ={**env, "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_API_KEY": "key-123456"})
    assert settings.backend == expected
    assert settings.sources["backend"] == source


@pytest.mark.parametrize(
    ("configured", "env", "expected"),
    [
        ({}, {"GOOGLE_CLOUD_PROJECT": "p"}, "vertex"),
        ({}, {"GOOGLE_API_KEY": "key-123456"}, "gemini-api"),
        ({}, {"GEMINI_API_KEY": "key-123456"}, "gemini-api"),
        ({}, {"GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_API_KEY": "key-123456"}, "vertex"),  # same layer: project
        ({"api_key": "key-123456"}, {"GOOGLE_CLOUD_PROJECT": "p"}, "gemini-api"),  # the higher layer decides
        ({"project": "p"}, {"GOOGLE_API_KEY": "key-123456"}, "vertex"),
        ({}, {"VERTEX_IMAGE_CREDENTIALS_FILE": "/k.json"}, "vertex"),
        ({}, {}, "vertex"),
    ],
)
def test_backend_inferred_when_not_given(configured: dict[str, str], env: dict[str, str], expected: str) -> None:
    assert resolve_settings(configured=configured, environ=env).backend == expected


def test_inferred_backend_is_recorded_in_sources() -> None:
    assert resolve_settings(environ={"GOOGLE_API_KEY": "key-123456"}).sources["backend"] == "inferred from the API key"
    assert resolve_settings(environ={"GOOGLE_CLOUD_PROJECT": "p"}).sources["backend"] == "inferred from the project"
    assert "backend" not in resolve_settings(environ={}).sources


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("gemini", "gemini-api"),
        ("gemini_api", "gemini-api"),
        ("GenAI", "gemini-api"),
        ("vertexai", "vertex"),
        ("vertex-ai", "vertex"),
        (" Emulator ", "emulator"),
    ],
)
def test_backend_aliases(alias: str, expected: str) -> None:
    assert resolve_settings({"backend": alias}, environ={}).backend == expected
    assert resolve_settings(configured={"backend": alias}, environ={}).backend == expected


# --- API key and express mode -------------------------------------------------------------------


def test_google_api_key_wins_over_gemini_api_key() -> None:
    settings = resolve_settings(environ={"GOOGLE_API_KEY": "google-key-1", "GEMINI_API_KEY": "gemini-key-1"})
    assert settings.api_key == "google-key-1"
    assert settings.sources["api_key"] == "environment (GOOGLE_API_KEY)"


def test_api_key_is_stripped_and_wrapped_in_secret() -> None:
    settings = resolve_settings(configured={"api_key": f"  {CANARY}\n"}, environ={})
    assert isinstance(settings.api_key, Secret)
    assert settings.api_key == CANARY


def test_explicit_key_with_project_from_environment_is_express_mode() -> None:
    env = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "us-east1"}
    settings = resolve_settings(configured={"api_key": "key-123456"}, environ=env)
    assert settings.express_mode
    assert (settings.project, settings.location) == ("", "")
    assert "project" not in settings.sources


def test_explicit_project_beats_a_key_from_the_environment() -> None:
    env = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_API_KEY": CANARY}
    settings = resolve_settings(configured={"project": "p"}, environ=env)
    assert settings.api_key is None
    assert not settings.express_mode


def test_explicit_location_beats_a_key_from_the_environment() -> None:
    env = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_API_KEY": CANARY}
    settings = resolve_settings({"location": "europe-west4"}, environ=env)
    assert settings.api_key is None


def test_project_and_key_both_from_environment_use_the_project() -> None:
    env = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_API_KEY": CANARY, "GOOGLE_CLOUD_PROJECT": "p"}
    settings = resolve_settings(environ=env)
    assert settings.project == "p"
    assert settings.api_key is None


def test_key_alone_on_vertex_is_express_mode() -> None:
    settings = resolve_settings({"backend": "vertex"}, environ={"GOOGLE_API_KEY": "key-123456"})
    assert settings.express_mode
    assert settings.sources["api_key"] == "environment (GOOGLE_API_KEY)"


def test_gemini_api_keeps_the_key_and_ignores_project_rules() -> None:
    env = {"GOOGLE_GENAI_USE_VERTEXAI": "false", "GOOGLE_API_KEY": "key-123456", "GOOGLE_CLOUD_PROJECT": "p"}
    settings = resolve_settings(environ=env)
    assert settings.speaks == "gemini-api"
    assert settings.api_key == "key-123456"


# --- validation ---------------------------------------------------------------------------------


def test_unknown_setting_name_lists_valid_names() -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_settings(configured={"projct": "p"}, environ={})
    assert "'projct'" in str(caught.value)
    assert all(name in str(caught.value) for name in SETTING_NAMES)
    assert "sources" not in SETTING_NAMES


def test_unknown_backend_argument_is_invalid_request_listing_backends() -> None:
    with pytest.raises(InvalidRequest, match="vertex, gemini-api, emulator, litellm, openai"):
        resolve_settings({"backend": "bedrock"}, environ={})


def test_unknown_backend_in_environment_is_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_settings(environ={"VERTEX_IMAGE_BACKEND": "cloud"})
    assert "VERTEX_IMAGE_BACKEND" in str(caught.value)
    assert "vertex, gemini-api, emulator" in str(caught.value)
    assert not isinstance(caught.value, InvalidRequest)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"preview_size": -1}, "preview_size must be at least 0"),
        ({"preview_size": "big"}, "whole number"),
        ({"preview_size": True}, "whole number"),
        ({"preview_size": 2.5}, "whole number"),
        ({"max_concurrency": 0}, "max_concurrency must be at least 1"),
        ({"max_attempts": -3}, "max_attempts must be at least 1"),
        ({"deadline_s": 0}, "deadline_s must be greater than 0"),
        ({"timeout_s": -1.5}, "timeout_s must be greater than 0"),
        ({"timeout_s": float("nan")}, "timeout_s"),
        ({"emulator_mode": "emulator"}, "accepted: vertex, gemini-api"),
        ({"api_version": "2"}, "v1, v1beta1"),
        ({"base_url": "ftp://x"}, "http:// or https://"),
        ({"location": "us central1"}, "us-central1"),
        ({"project": "a/b"}, "my-project"),
        ({"project": 12}, "must be a string"),
        ({"api_key": 1234567}, "api_key must be a string"),
    ],
)
def test_bad_values_are_refused_with_what_is_accepted(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidRequest, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        resolve_settings(configured=options, environ={})


def test_bad_preview_size_in_environment_is_config_error() -> None:
    with pytest.raises(ConfigError, match="VERTEX_IMAGE_PREVIEW_SIZE"):
        resolve_settings(environ={"VERTEX_IMAGE_PREVIEW_SIZE": "-5"})


def test_numbers_from_strings_and_paths_are_accepted() -> None:
    settings = resolve_settings(
        configured={"preview_size": " 0 ", "timeout_s": "30", "output_dir": Path("/tmp/out"), "max_attempts": 1},
        environ={},
    )
    assert (settings.preview_size, settings.timeout_s, settings.output_dir, settings.max_attempts) == (
        0,
        30.0,
        os.fspath(Path("/tmp/out")),
        1,
    )


def test_secret_never_in_repr_or_sources() -> None:
    settings = resolve_settings({"api_key": CANARY}, {"project": "p"}, {"GEMINI_API_KEY": CANARY + "x"})
    assert CANARY not in repr(settings)
    assert CANARY not in str(settings)
    assert CANARY not in repr(settings.api_key)
    assert CANARY not in f"{settings!r} {settings.sources}"
    assert settings.sources["api_key"] == "argument"


def test_bad_value_error_never_quotes_the_key() -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_settings({"api_key": CANARY, "backend": "nope"}, environ={})
    assert CANARY not in str(caught.value)


def test_sources_only_for_fields_not_at_default() -> None:
    settings = resolve_settings({"location": "global"}, {"output_dir": "imgs"}, {"GOOGLE_CLOUD_PROJECT": "p"})
    assert settings.sources == {
        "location": "argument",
        "output_dir": "configure",
        "project": "environment (GOOGLE_CLOUD_PROJECT)",
        "backend": "inferred from the project",
    }


# the configure() layer: a base URL belongs to its backend -------------------------------------------
EMULATOR_URL = "http://127.0.0.1:8123"
PROXY_URL = "https://proxy.example"


def test_switching_away_from_the_emulator_drops_its_url() -> None:
    current = {"backend": "emulator", "base_url": EMULATOR_URL}

    merged = merge_configured(current, {"backend": "vertex"}, environ={})

    assert merged == {"backend": "vertex"}
    settings = resolve_settings(configured={**merged, "project": "my-real-project"}, environ={})
    assert settings.base_url == "" and "base_url" not in settings.sources


def test_switching_to_the_emulator_drops_a_proxy_url() -> None:
    current = {"backend": "vertex", "project": "p", "base_url": PROXY_URL}

    merged = merge_configured(current, {"backend": "emulator"}, environ={})

    assert merged == {"backend": "emulator", "project": "p"}
    assert resolve_settings(configured=merged, environ={}).base_url == ""  # the in-process emulator then


def test_a_base_url_given_with_the_backend_or_for_the_same_backend_is_kept() -> None:
    current = {"backend": "vertex", "base_url": PROXY_URL}
    given = {"backend": "emulator", "base_url": EMULATOR_URL}
    assert merge_configured({}, given, environ={})["base_url"] == EMULATOR_URL
    assert merge_configured(current, given, environ={})["base_url"] == EMULATOR_URL
    assert merge_configured(current, {"backend": "vertexai"}, environ={})["base_url"] == PROXY_URL  # same backend
    assert merge_configured(current, {"project": "other"}, environ={})["base_url"] == PROXY_URL


def test_a_backend_change_by_inference_drops_the_url_too() -> None:
    current = {"base_url": PROXY_URL}  # given while the backend was Vertex (the project in the environment)
    env = {"GOOGLE_CLOUD_PROJECT": "p"}
    assert resolve_settings(configured=current, environ=env).backend == "vertex"

    merged = merge_configured(current, {"api_key": "key-123456"}, environ=env)  # now the Gemini API

    assert resolve_settings(configured=merged, environ=env).backend == "gemini-api"
    assert "base_url" not in merged


def test_none_unsets_in_the_merged_layer() -> None:
    assert merge_configured({"project": "p", "location": "eu"}, {"project": None}, environ={}) == {"location": "eu"}


@pytest.mark.parametrize("backend", ["vertex", "gemini-api"])
def test_environment_base_urls_never_reach_the_emulator(backend: str) -> None:
    env = {"GOOGLE_VERTEX_BASE_URL": "https://vtx.example", "GOOGLE_GEMINI_BASE_URL": "https://gem.example"}
    for mode in ("vertex", "gemini-api"):
        assert resolve_settings({"backend": "emulator", "emulator_mode": mode}, environ=env).base_url == ""
    expected = "https://vtx.example" if backend == "vertex" else "https://gem.example"
    assert resolve_settings({"backend": backend, "api_key": "key-123456"}, environ=env).base_url == expected


# output_dir -----------------------------------------------------------------------------------------
def test_output_dir_that_is_a_file_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(InvalidRequest, match="is a file, not a folder. Choose a folder"):
        check_output_dir(tmp_path / "afile")
    with pytest.raises(InvalidRequest, match=f"cannot be created: {tmp_path / 'afile'} is a file") as caught:
        check_output_dir(str(tmp_path / "afile" / "sub" / "deeper"))
    assert "%config VertexImageMagics.output_dir" in str(caught.value)
    check_output_dir(tmp_path / "new" / "folder")  # created on the first save, not now
    check_output_dir(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# default models -------------------------------------------------------------------------------------
def test_default_gemini_model_must_be_a_gemini_model() -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_settings(configured={"default_gemini_model": "imagen4"}, environ={})
    assert str(caught.value).startswith(
        "imagen-4.0-generate-001 is an Imagen model; default_gemini_model needs a Gemini image model (nano-banana"
    )
    settings = resolve_settings(configured={"default_gemini_model": "nano-banana-pro"}, environ={})
    assert settings.default_gemini_model == "nano-banana-pro"


def test_default_imagen_model_takes_any_image_model_but_not_an_empty_name() -> None:
    for name in ("nano-banana", "imagen-4.0-fast-generate-001", "some-future-model"):
        assert resolve_settings(configured={"default_imagen_model": name}, environ={}).default_imagen_model == name
    with pytest.raises(InvalidRequest, match="No model name"):
        resolve_settings(configured={"default_imagen_model": "vertex_ai/"}, environ={})


def test_budget_usd_from_configure_or_the_environment() -> None:
    assert resolve_settings(environ={}).budget_usd is None
    from_env = resolve_settings(environ={"VERTEX_IMAGE_BUDGET_USD": " 5 "})
    assert from_env.budget_usd == 5.0 and from_env.sources["budget_usd"] == "environment (VERTEX_IMAGE_BUDGET_USD)"
    assert resolve_settings(configured={"budget_usd": 0.1}, environ={"VERTEX_IMAGE_BUDGET_USD": "5"}).budget_usd == 0.1
    with pytest.raises(ConfigError, match="budget_usd must be a number at least 0, not 'lots'"):
        resolve_settings(environ={"VERTEX_IMAGE_BUDGET_USD": "lots"})
    with pytest.raises(InvalidRequest, match="budget_usd must be at least 0, not -1"):
        resolve_settings(configured={"budget_usd": -1}, environ={})


def test_durability_is_process_unless_fsync_is_asked_for() -> None:
    assert resolve_settings(environ={}).durability == "process"
    from_env = resolve_settings(environ={"VERTEX_IMAGE_DURABILITY": " FSYNC "})
    assert from_env.durability == "fsync" and from_env.sources["durability"] == "environment (VERTEX_IMAGE_DURABILITY)"
    assert resolve_settings(configured={"durability": "process"}, environ={"VERTEX_IMAGE_DURABILITY": "fsync"}).durability == "process"
    with pytest.raises(InvalidRequest, match="Unknown durability 'never'; accepted: process, fsync"):
        resolve_settings(configured={"durability": "never"}, environ={})


def test_prices_resolve_model_names_and_refuse_unknown_keys() -> None:
    settings = resolve_settings(configured={"prices": {"nano-banana": {"image_output_per_m": 24}}}, environ={})
    assert settings.prices == {"gemini-nano-banana-2.1": {"image_output_per_m": 24.0}}
    with pytest.raises(InvalidRequest, match="Unknown price key 'cheap'"):
        resolve_settings(configured={"prices": {"nano-banana": {"cheap": 1}}}, environ={})
# --- gateways ------------------------------------------------------------------------------------


def test_litellm_reads_the_proxy_url_and_key_variables_and_never_a_google_key() -> None:
    env = {"LITELLM_PROXY_URL": "http://proxy:4000", "LITELLM_API_KEY": "sk-proxy-key-1", "GOOGLE_API_KEY": "AIza-real"}
    settings = resolve_settings({"backend": "litellm"}, environ=env)
    assert (settings.base_url, str(settings.gateway_key), settings.api_key) == ("http://proxy:4000", "sk-proxy-key-1", None)
    assert settings.sources["gateway_key"] == "environment (LITELLM_API_KEY)"
    assert settings.speaks == "gemini-api" and settings.gateway
    assert "sk-proxy-key-1" not in repr(settings)
    other = resolve_settings({"backend": "litellm"}, environ={"LITELLM_PROXY_API_BASE": "http://b", "LITELLM_PROXY_API_KEY": "sk-2"})
    assert (other.base_url, str(other.gateway_key)) == ("http://b", "sk-2")


def test_gateway_variables_apply_to_their_own_backend_only() -> None:
    env = {"LITELLM_PROXY_URL": "http://proxy:4000", "OPENAI_BASE_URL": "http://oai/v1", "OPENAI_API_KEY": "sk-o"}
    assert resolve_settings({"backend": "openai"}, environ=env).base_url == "http://oai/v1"
    assert resolve_settings({"backend": "vertex", "project": "p"}, environ=env).base_url == ""
    assert resolve_settings({"backend": "litellm"}, environ=env).gateway_key is None


def test_the_litellm_dialect_is_a_setting_and_vertex_gets_a_placeholder_project() -> None:
    settings = resolve_settings({"backend": "litellm", "gateway_dialect": "vertex_ai"}, environ={})
    assert (settings.speaks, settings.project) == ("vertex", GATEWAY_PROJECT)
    assert "project" not in settings.sources  # the proxy's own Vertex settings replace it
    env = {"VERTEX_IMAGE_GATEWAY_DIALECT": "vertex", "GOOGLE_CLOUD_PROJECT": "mine"}
    assert resolve_settings({"backend": "litellm"}, environ=env).project == "mine"
    with pytest.raises(InvalidRequest, match="accepted: vertex, gemini-api"):
        resolve_settings({"backend": "litellm", "gateway_dialect": "bedrock"}, environ={})
    assert resolve_settings({"backend": "openai"}, environ={}).speaks == "gemini-api"
