"""Credentials: header shapes, cached refresh, 401 handling, re-login pickup, auth_for choices."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from google.auth import exceptions as gexc
from vertex_image.base import errors
from vertex_image.base.config import Settings, resolve_settings
from vertex_image.client.auth import (
    CLOUD_PLATFORM_SCOPE,
    ApiKeyAuth,
    GatewayKeyAuth,
    GoogleCredentialsAuth,
    HttpxAuthRequest,
    StaticTokenAuth,
    adc_file_path,
    auth_for,
    describe,
    redact,
)

CANARY = "ya29.CANARY-token-0123456789"
CANARY_KEY = "AIzaCANARY-key-0123456789"


class FakeCredentials:
    """The parts of google.auth.credentials.Credentials that GoogleCredentialsAuth uses."""

    def __init__(
        self,
        token: str | None = None,
        *,
        expired: bool = False,
        quota_project_id: str | None = None,
        fail: Exception | None = None,
        delay_s: float = 0.0,
        prefix: str = "token",
    ) -> None:
        self.token = token
        self.expired = expired
        self.quota_project_id = quota_project_id
        self.fail = fail
        self.delay_s = delay_s
        self.prefix = prefix
        self.refreshes = 0
        self.threads: list[str] = []

    def refresh(self, request: Any) -> None:
        self.refreshes += 1
        self.threads.append(threading.current_thread().name)
        time.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        self.token = f"{self.prefix}-{self.refreshes}"
        self.expired = False


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def vertex(**fields: Any) -> Settings:
    return Settings(backend="vertex", **fields)


# --- redact -------------------------------------------------------------------------------------


def test_redact_replaces_every_secret_of_six_or_more_characters() -> None:
    text = f"key={CANARY_KEY} token={CANARY} short=abc"
    assert redact(text, [CANARY_KEY, CANARY, "abc", None, ""]) == "key=*** token=*** short=abc"


def test_redact_replaces_the_longer_of_overlapping_secrets_first() -> None:
    assert redact("secret-123456-more", ["secret-123456", "secret-123456-more"]) == "***"


# --- simple kinds -------------------------------------------------------------------------------


def test_api_key_auth_sends_the_stripped_key_header() -> None:
    auth = ApiKeyAuth(f"  {CANARY_KEY}\n", description="API key from GOOGLE_API_KEY")
    assert run(auth.headers()) == {"x-goog-api-key": CANARY_KEY}
    assert run(auth.refresh_after_401()) is False
    assert auth.secrets() == [CANARY_KEY]
    assert auth.quota_project == ""
    assert CANARY_KEY not in repr(auth)


def test_empty_api_key_is_a_config_error() -> None:
    with pytest.raises(errors.ConfigError, match="GOOGLE_API_KEY"):
        ApiKeyAuth("   ")


def test_static_token_auth_bearer_and_fake_key() -> None:
    assert run(StaticTokenAuth().headers()) == {"Authorization": "Bearer emulator-token"}
    assert run(StaticTokenAuth(api_key="fake-key-1").headers()) == {"x-goog-api-key": "fake-key-1"}
    assert run(StaticTokenAuth().refresh_after_401()) is False


# --- Google credentials -------------------------------------------------------------------------


def test_valid_token_is_used_without_refresh_with_quota_project() -> None:
    credentials = FakeCredentials("tok-valid", quota_project_id="billing-proj")
    auth = GoogleCredentialsAuth(credentials)
    assert run(auth.headers()) == {"Authorization": "Bearer tok-valid", "x-goog-user-project": "billing-proj"}
    assert credentials.refreshes == 0
    assert auth.quota_project == "billing-proj"


def test_no_quota_project_header_without_quota_project() -> None:
    assert run(GoogleCredentialsAuth(FakeCredentials("tok-valid")).headers()) == {"Authorization": "Bearer tok-valid"}


@pytest.mark.parametrize("credentials", [FakeCredentials(None), FakeCredentials("old", expired=True)])
def test_refreshes_once_when_missing_or_expired_then_caches(credentials: FakeCredentials) -> None:
    auth = GoogleCredentialsAuth(credentials, request=object())

    async def twice() -> list[dict[str, str]]:
        return [await auth.headers(), await auth.headers()]

    first, second = run(twice())
    assert first == second == {"Authorization": "Bearer token-1"}
    assert credentials.refreshes == 1
    assert credentials.threads[0] != threading.current_thread().name  # off the event loop's thread


def test_concurrent_requests_refresh_once() -> None:
    credentials = FakeCredentials(None, delay_s=0.05)
    auth = GoogleCredentialsAuth(credentials, request=object())

    async def many() -> list[dict[str, str]]:
        return list(await asyncio.gather(*(auth.headers() for _ in range(10))))

    results = run(many())
    assert credentials.refreshes == 1
    assert all(headers == {"Authorization": "Bearer token-1"} for headers in results)


def test_refresh_after_401_forces_one_refresh_shared_by_concurrent_callers() -> None:
    credentials = FakeCredentials("still-valid-by-clock", delay_s=0.05)
    auth = GoogleCredentialsAuth(credentials, request=object())

    async def after_401s() -> tuple[list[bool], dict[str, str]]:
        answers = await asyncio.gather(*(auth.refresh_after_401() for _ in range(5)))
        return list(answers), await auth.headers()

    answers, headers = run(after_401s())
    assert answers == [True] * 5
    assert credentials.refreshes == 1
    assert headers == {"Authorization": "Bearer token-1"}


def test_works_from_several_event_loops() -> None:
    credentials = FakeCredentials(None)
    auth = GoogleCredentialsAuth(credentials, request=object())
    run(auth.headers())
    credentials.expired = True
    assert run(auth.headers()) == {"Authorization": "Bearer token-2"}


def test_refresh_error_becomes_auth_error_with_relogin_instructions() -> None:
    failure = gexc.RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    auth = GoogleCredentialsAuth(FakeCredentials(CANARY, expired=True, fail=failure), description="ADC (authorized_user)")
    with pytest.raises(errors.AuthError) as caught:
        run(auth.headers())
    message = str(caught.value)
    assert "gcloud auth application-default login" in message
    assert "invalid_grant" in message
    assert "no kernel restart" in message
    assert caught.value.reason == "invalid_grant"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert CANARY not in message and CANARY not in repr(caught.value)


def test_refresh_error_quoting_the_current_token_is_redacted() -> None:
    failure = gexc.RefreshError(f"invalid_token: {CANARY} was rejected")
    auth = GoogleCredentialsAuth(FakeCredentials(CANARY, expired=True, fail=failure))
    with pytest.raises(errors.AuthError) as caught:
        run(auth.headers())
    assert "invalid_token: *** was rejected" in str(caught.value)
    assert caught.value.reason == "invalid_token"


def test_reauth_error_without_mapping_still_names_the_fix() -> None:
    failure = gexc.RefreshError("Reauthentication is needed. Please run `gcloud auth application-default login`.")
    auth = GoogleCredentialsAuth(FakeCredentials(None, fail=failure))
    with pytest.raises(errors.AuthError, match="gcloud auth application-default login"):
        run(auth.refresh_after_401())


def test_service_account_refresh_failure_suggests_a_new_key() -> None:
    failure = gexc.RefreshError("invalid_grant: Invalid JWT Signature.", {"error": "invalid_grant"})
    auth = GoogleCredentialsAuth(FakeCredentials(None, fail=failure), description="service account file /k.json")
    with pytest.raises(errors.AuthError, match="new key file"):
        run(auth.headers())


def test_token_endpoint_unreachable_is_a_transport_error() -> None:
    auth = GoogleCredentialsAuth(FakeCredentials(None, fail=gexc.TransportError("ConnectError calling https://x")))
    with pytest.raises(errors.TransportError, match="token endpoint"):
        run(auth.headers())


def _touch_later(path: Path, content: str) -> None:
    before = os.stat(path).st_mtime_ns if path.exists() else 0
    path.write_text(content)
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a distinct mtime even on coarse clocks


def test_relogin_is_picked_up_without_restart(tmp_path: Path) -> None:
    adc_file = tmp_path / "application_default_credentials.json"
    adc_file.write_text("{}")
    failure = gexc.RefreshError("invalid_grant: Bad Request", {"error": "invalid_grant"})
    old = FakeCredentials(None, fail=failure)
    new = FakeCredentials(None, prefix="relogged")
    auth = GoogleCredentialsAuth(old, request=object(), reload=lambda: new, watch=str(adc_file))
    with pytest.raises(errors.AuthError):
        run(auth.headers())
    _touch_later(adc_file, '{"type": "authorized_user"}')  # what `gcloud auth application-default login` does
    assert run(auth.headers()) == {"Authorization": "Bearer relogged-1"}
    assert auth.credentials is new


def test_refresh_after_401_picks_up_a_relogin_first(tmp_path: Path) -> None:
    adc_file = tmp_path / "adc.json"
    adc_file.write_text("{}")
    old, new = FakeCredentials("old-token"), FakeCredentials("new-token")
    auth = GoogleCredentialsAuth(old, request=object(), reload=lambda: new, watch=str(adc_file))
    _touch_later(adc_file, "{}")
    assert run(auth.refresh_after_401()) is True
    assert old.refreshes == 0
    assert run(auth.headers()) == {"Authorization": "Bearer new-token"}


def test_failed_reload_keeps_the_old_credentials(tmp_path: Path) -> None:
    adc_file = tmp_path / "adc.json"
    adc_file.write_text("{}")

    def broken() -> Any:
        raise ValueError("half-written file")

    auth = GoogleCredentialsAuth(FakeCredentials("old-token"), reload=broken, watch=str(adc_file))
    _touch_later(adc_file, "{")
    assert run(auth.headers()) == {"Authorization": "Bearer old-token"}


def test_secrets_are_never_logged(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    adc_file = tmp_path / "adc.json"
    adc_file.write_text("{}")
    credentials = FakeCredentials(None, prefix=CANARY)
    auth = GoogleCredentialsAuth(credentials, request=object(), reload=lambda: FakeCredentials(CANARY), watch=str(adc_file))
    run(auth.headers())
    _touch_later(adc_file, "{}")
    run(auth.headers())
    run(auth.refresh_after_401())
    assert caplog.records  # something was logged...
    assert CANARY not in caplog.text  # ...and no token
    assert CANARY not in repr(auth)


# --- real google-auth credentials over HttpxAuthRequest (its own tests: test_authtransport.py) ----


def _token_endpoint(status: int, payload: dict[str, Any], seen: list[dict[str, list[str]]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(parse_qs(request.content.decode()))
        return httpx.Response(status, json=payload)

    return httpx.MockTransport(handler)


def _user_credentials() -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(
        token=None,
        refresh_token="refresh-CANARY-123456",
        client_id="client-id",
        client_secret="client-secret-123456",
        token_uri="https://oauth2.example/token",
        quota_project_id="quota-proj",
    )


def test_real_google_credentials_refresh_through_httpx() -> None:
    seen: list[dict[str, list[str]]] = []
    request = HttpxAuthRequest(transport=_token_endpoint(200, {"access_token": CANARY, "expires_in": 3600}, seen))
    credentials = _user_credentials()
    auth = GoogleCredentialsAuth(credentials, request=request)
    assert run(auth.headers()) == {"Authorization": f"Bearer {CANARY}", "x-goog-user-project": "quota-proj"}
    assert run(auth.headers())["Authorization"] == f"Bearer {CANARY}"
    assert len(seen) == 1  # cached: not expired
    assert seen[0]["grant_type"] == ["refresh_token"]
    assert auth.secrets() == [CANARY, "refresh-CANARY-123456", "client-secret-123456"]


def test_real_invalid_grant_from_token_endpoint_is_auth_error() -> None:
    payload = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    request = HttpxAuthRequest(transport=_token_endpoint(400, payload, []))
    auth = GoogleCredentialsAuth(_user_credentials(), request=request, description="ADC (authorized_user)")
    with pytest.raises(errors.AuthError) as caught:
        run(auth.headers())
    assert "gcloud auth application-default login" in str(caught.value)
    assert "refresh-CANARY" not in str(caught.value) and "client-secret" not in str(caught.value)


# --- auth_for -----------------------------------------------------------------------------------


def _no_adc(**kwargs: Any) -> Any:
    raise AssertionError("ADC must not be consulted here")


def test_emulator_gets_static_credentials() -> None:
    auth, settings = auth_for(resolve_settings({"backend": "emulator"}, environ={}), adc=_no_adc)
    assert isinstance(auth, StaticTokenAuth)
    assert run(auth.headers()) == {"Authorization": "Bearer emulator-token"}
    auth, _ = auth_for(resolve_settings({"backend": "emulator", "emulator_mode": "gemini-api"}, environ={}), adc=_no_adc)
    assert "x-goog-api-key" in run(auth.headers())


def test_gemini_api_without_key_says_how_to_set_one_or_go_offline() -> None:
    with pytest.raises(errors.ConfigError) as caught:
        auth_for(Settings(backend="gemini-api"), adc=_no_adc)
    message = str(caught.value)
    assert message.startswith(
        "No API key for the Gemini API. Set GOOGLE_API_KEY or GEMINI_API_KEY, or call vi.configure(api_key=...)."
    )
    assert 'backend="emulator"' in message


def test_gemini_api_key_auth_describes_its_source() -> None:
    settings = resolve_settings(environ={"GEMINI_API_KEY": CANARY_KEY})
    auth, same = auth_for(settings, adc=_no_adc)
    assert isinstance(auth, ApiKeyAuth)
    assert auth.description == "API key from GEMINI_API_KEY"
    assert same is settings


def test_vertex_key_without_project_is_express_mode() -> None:
    settings = resolve_settings({"backend": "vertex", "api_key": CANARY_KEY}, environ={})
    auth, _ = auth_for(settings, adc=_no_adc)
    assert isinstance(auth, ApiKeyAuth)
    assert "express mode" in auth.description
    assert run(auth.headers()) == {"x-goog-api-key": CANARY_KEY}


def test_explicit_credentials_object_is_used_on_vertex() -> None:
    credentials = FakeCredentials("tok-1", quota_project_id="qp")
    auth, settings = auth_for(vertex(project="p"), credentials=credentials, adc=_no_adc)
    assert isinstance(auth, GoogleCredentialsAuth)
    assert auth.credentials is credentials
    assert settings.project == "p"


def test_credentials_object_beats_an_environment_key_and_gives_its_project() -> None:
    credentials = FakeCredentials("tok-1")
    credentials.project_id = "sa-project"  # type: ignore[attr-defined]
    settings = resolve_settings({"backend": "vertex"}, environ={"GOOGLE_API_KEY": CANARY_KEY})
    auth, settings = auth_for(settings, credentials=credentials, adc=_no_adc)
    assert isinstance(auth, GoogleCredentialsAuth)
    assert (settings.project, settings.sources["project"]) == ("sa-project", "credentials")


def test_credentials_and_explicit_api_key_together_are_refused() -> None:
    settings = resolve_settings({"backend": "vertex", "api_key": CANARY_KEY}, environ={})
    with pytest.raises(errors.ConfigError, match="pass one") as caught:
        auth_for(settings, credentials=FakeCredentials("t"), adc=_no_adc)
    assert CANARY_KEY not in str(caught.value)


def test_adc_fills_the_project_and_uses_cloud_platform_scope() -> None:
    from google.oauth2.credentials import Credentials

    calls: list[dict[str, Any]] = []

    def adc(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return Credentials(token="tok-adc"), "adc-project"

    auth, settings = auth_for(Settings(), environ={}, adc=adc)
    assert calls == [{"scopes": [CLOUD_PLATFORM_SCOPE]}]
    assert (settings.project, settings.sources["project"]) == ("adc-project", "adc")
    assert auth.description == "ADC (authorized_user)"
    assert run(auth.headers()) == {"Authorization": "Bearer tok-adc"}


def test_adc_keeps_a_configured_project() -> None:
    auth, settings = auth_for(vertex(project="mine"), environ={}, adc=lambda **_: (FakeCredentials("t"), "other"))
    assert settings.project == "mine"


def test_adc_missing_gives_config_error_with_every_way_out() -> None:
    def adc(**kwargs: Any) -> Any:
        raise gexc.DefaultCredentialsError("Your default credentials were not found.")

    with pytest.raises(errors.ConfigError) as caught:
        auth_for(Settings(), environ={}, adc=adc)
    message = str(caught.value)
    for fragment in (
        "gcloud auth application-default login",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_API_KEY",
        'vi.configure(backend="emulator")',
        "%vertex_image use emulator",
    ):
        assert fragment in message


def test_adc_without_any_project_is_a_config_error() -> None:
    with pytest.raises(errors.ConfigError, match="No Google Cloud project"):
        auth_for(Settings(), environ={}, adc=lambda **_: (FakeCredentials("t"), None))


def test_adc_watches_the_file_named_by_google_application_credentials(tmp_path: Path) -> None:
    key_file = tmp_path / "creds.json"
    key_file.write_text("{}")
    generation = [0]

    def adc(**kwargs: Any) -> Any:
        generation[0] += 1
        return FakeCredentials(f"tok-{generation[0]}"), "p"

    auth, _ = auth_for(Settings(), environ={"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}, adc=adc)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in auth.description
    assert run(auth.headers()) == {"Authorization": "Bearer tok-1"}
    _touch_later(key_file, "{ }")
    assert run(auth.headers()) == {"Authorization": "Bearer tok-2"}


def test_adc_file_path_follows_cloudsdk_config() -> None:
    assert adc_file_path({"CLOUDSDK_CONFIG": "/cfg"}) == os.path.join("/cfg", "application_default_credentials.json")


@pytest.fixture(scope="module")
def service_account_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "kid-1",
        "private_key": pem,
        "client_email": "robot@sa-project.iam.gserviceaccount.com",
        "client_id": "123",
        "token_uri": "https://oauth2.example/token",
    }
    path = tmp_path_factory.mktemp("sa") / "key.json"
    path.write_text(json.dumps(info))
    return path


def test_service_account_file_is_loaded_with_cloud_platform_scope(service_account_file: Path) -> None:
    settings = resolve_settings({"backend": "vertex", "credentials_file": str(service_account_file)}, environ={})
    auth, settings = auth_for(settings, adc=_no_adc)
    assert isinstance(auth, GoogleCredentialsAuth)
    assert auth.description == f"service account file {service_account_file}"
    assert list(auth.credentials.scopes) == [CLOUD_PLATFORM_SCOPE]
    assert (settings.project, settings.sources["project"]) == ("sa-project", "credentials file")
    assert describe(auth, settings)["account"] == "robot@sa-project.iam.gserviceaccount.com"


def test_missing_credentials_file_is_config_error(tmp_path: Path) -> None:
    settings = vertex(credentials_file=str(tmp_path / "nope.json"), project="p")
    with pytest.raises(errors.ConfigError, match="Cannot read the credentials file .*nope.json"):
        auth_for(settings, adc=_no_adc)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (f'{{"private_key": "{CANARY}", ', "not valid JSON"),
        (json.dumps({"type": "service_account", "private_key": CANARY}), "missing fields"),
        (json.dumps([CANARY]), "not a Google credentials file"),
        (json.dumps({"type": "martian", "secret": CANARY}), "GOOGLE_APPLICATION_CREDENTIALS"),
        (json.dumps({"type": "authorized_user", "refresh_token": CANARY}), "missing fields"),
    ],
)
def test_bad_credentials_file_never_dumps_its_content(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(errors.ConfigError) as caught:
        auth_for(vertex(credentials_file=str(path), project="p"), adc=_no_adc)
    assert fragment in str(caught.value)
    assert CANARY not in str(caught.value) and CANARY not in repr(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__  # no traceback of the file


def test_describe_shows_sources_and_no_secret() -> None:
    settings = resolve_settings({"backend": "vertex"}, environ={"GOOGLE_API_KEY": CANARY_KEY})
    auth, settings = auth_for(settings, adc=_no_adc)
    info = describe(auth, settings)
    assert info["credentials"] == "API key from GOOGLE_API_KEY (Vertex express mode)"
    assert info["express_mode"] == "yes"
    assert info["quota_project"] == "(none)"
    assert CANARY_KEY not in repr(info)


def test_importing_auth_loads_neither_google_auth_nor_httpx() -> None:
    code = "import vertex_image.client.auth, sys; print([m for m in ('google.auth', 'httpx') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


# --- gateways ------------------------------------------------------------------------------------

GATEWAY_CANARY = "sk-CANARY-gateway-0123456789"


@pytest.mark.parametrize(
    ("options", "header"),
    [
        ({"backend": "litellm"}, {"x-goog-api-key": GATEWAY_CANARY}),  # LiteLLM's /gemini reads only this one
        ({"backend": "litellm", "gateway_dialect": "vertex"}, {"x-litellm-api-key": GATEWAY_CANARY}),
        ({"backend": "openai"}, {"Authorization": f"Bearer {GATEWAY_CANARY}"}),
    ],
)
def test_the_gateway_key_goes_in_its_routes_header_only(options: dict[str, str], header: dict[str, str]) -> None:
    settings = resolve_settings(
        {**options, "base_url": "http://proxy:4000", "gateway_key": GATEWAY_CANARY, "api_key": CANARY_KEY}, environ={}
    )
    auth, _ = auth_for(settings, environ={})
    assert isinstance(auth, GatewayKeyAuth)
    assert asyncio.run(auth.headers()) == header  # no Google key beside it: the proxy holds Google's credentials
    assert auth.secrets() == [GATEWAY_CANARY]
    info = describe(auth, settings)
    assert GATEWAY_CANARY not in repr(auth) + json.dumps(info)
    assert info["gateway_url"] == "http://proxy:4000" and info["route"] in ("/gemini", "/vertex_ai", "/v1")


def test_a_gateway_without_key_sends_no_auth_header_and_without_url_refuses() -> None:
    auth, _ = auth_for(resolve_settings({"backend": "litellm", "base_url": "http://p"}, environ={}), environ={})
    assert asyncio.run(auth.headers()) == {} and "no gateway key" in auth.description
    with pytest.raises(errors.ConfigError, match="needs the gateway's URL"):
        auth_for(resolve_settings({"backend": "openai"}, environ={}), environ={})


# --- an echoing token endpoint (issue 17, item 14) -------------------------------------------------


def _echoing_endpoint(shape: str) -> httpx.MockTransport:
    """A token endpoint that quotes the form it was sent, as raw text, JSON or URL-decoded in a description."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        if shape == "text":
            return httpx.Response(400, text=f"bad request: {body}")
        if shape == "decoded":
            fields = {k: v[0] for k, v in parse_qs(body).items()}
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": repr(fields)})
        return httpx.Response(400, json={"error": f"invalid_client {body}", "error_description": body})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("shape", ["text", "json", "decoded"])
def test_an_echoing_token_endpoint_leaks_no_secret_into_the_auth_error(shape: str) -> None:
    from google.oauth2.credentials import Credentials

    secret, refresh = "GOCSPX-canary/sec+ret=1", "1//canary-refresh/token+x"
    credentials = Credentials(
        token=None, refresh_token=refresh, client_id="cid.apps.googleusercontent.com", client_secret=secret,
        token_uri="https://oauth2.example/token",
    )  # fmt: skip
    auth = GoogleCredentialsAuth(credentials, request=HttpxAuthRequest(transport=_echoing_endpoint(shape)))
    with pytest.raises(errors.AuthError) as caught:
        run(auth.headers())
    text = f"{caught.value} {caught.value.reason}"
    for canary in ("canary", "GOCSPX", "1//", "sec%2Bret", "sec+ret"):
        assert canary not in text, text
    assert "Could not refresh the Google credentials" in text and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "echo",
    [
        "client_secret=s3cr3t-value&refresh_token=r3fr3sh-value",
        '{"client_secret": "s3cr3t-value", "refresh_token": "r3fr3sh-value"}',
        '{\\"client_secret\\": \\"s3cr3t-value\\"} refresh_token: r3fr3sh-value',
        "-----BEGIN PRIVATE KEY-----\\nMIIEs3cr3t-value\\nr3fr3sh-value\\n-----END PRIVATE KEY-----\\n",
        "assertion=eyJhbGciOiJSUzI1NiJ9.eyJzM2NyM3QtdmFsdWUifQ.s3cr3t-value-r3fr3sh-value",
    ],
)
def test_values_that_look_secret_are_redacted_even_when_unknown(echo: str) -> None:
    redacted = redact(f"the endpoint said: {echo} (status 400)", [])
    assert "s3cr3t" not in redacted and "r3fr3sh" not in redacted, redacted
    assert redacted.startswith("the endpoint said: ") and redacted.endswith("(status 400)")


def test_a_known_secret_is_found_url_encoded_and_json_escaped() -> None:
    secret = 'pa/ss+wo rd"x'
    for form in (secret, "pa%2Fss%2Bwo%20rd%22x", "pa%2Fss%2Bwo+rd%22x", 'pa/ss+wo rd\\"x'):
        assert redact(f"echo {form} end", [secret]) == "echo *** end"


def test_ordinary_text_about_keys_and_tokens_is_left_alone() -> None:
    text = "Set vi.configure(api_key=...) or GEMINI_API_KEY; the refresh token expired: log in again."
    assert redact(text, []) == text
