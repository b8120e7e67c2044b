"""Error responses -> typed errors: every error fixture, odd bodies, retry hints, and advice."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from mock_responses import FIXTURES, fixture_path
from vertex_image.base.errors import (
    APIError,
    AuthError,
    BadRequest,
    NotFound,
    QuotaExceeded,
    ServiceError,
)
from vertex_image.wire.apierrors import (
    error_from_response,
    error_from_stream_chunk,
    is_bare_error,
    parse_duration,
    parse_retry_after,
    strip_key,
)

IMAGEN_URL = (
    "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/"
    "publishers/google/models/imagen-4.0-generate-001:predict"
)

# (fixture, HTTP status, class, Google status, ErrorInfo.reason, a fragment of the service's message)
ERROR_FIXTURES = [
    ("vertexai/unary-failure-api-key.json", 400, AuthError, "INVALID_ARGUMENT", "API_KEY_INVALID",
     "API key not valid. Please pass a valid API key"),
    ("vertexai/streaming-failure-api-key.txt", 400, AuthError, "INVALID_ARGUMENT", "API_KEY_INVALID",
     "API key not valid"),
    ("googleai/unary-failure-api-key.json", 400, AuthError, "INVALID_ARGUMENT", "API_KEY_INVALID",
     "API key not valid"),
    ("googleai/unary-failure-api-key.txt", 400, AuthError, "INVALID_ARGUMENT", "API_KEY_INVALID",
     "API key not valid"),
    ("vertexai/unary-failure-quota-exceeded.json", 429, QuotaExceeded, "RESOURCE_EXHAUSTED",
     "RATE_LIMIT_EXCEEDED", "Quota exceeded for quota metric 'Generate Content API requests per minute'"),
    ("vertexai/unary-failure-iam-permission-denied.json", 403, AuthError, "PERMISSION_DENIED",
     "IAM_PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied on resource"),
    ("vertexai/unary-failure-firebaseml-api-not-enabled.json", 403, AuthError, "PERMISSION_DENIED",
     "SERVICE_DISABLED", "Firebase ML API has not been used in project 1234567890"),
    ("vertexai/unary-failure-firebasevertexai-api-not-enabled.json", 403, AuthError, "PERMISSION_DENIED",
     "SERVICE_DISABLED", "Vertex AI in Firebase API has not been used"),
    ("googleai/unary-failure-generativelanguage-api-not-enabled.json", 403, AuthError, "PERMISSION_DENIED",
     "SERVICE_DISABLED", "Generative Language API has not been used in project 12345678"),
    ("vertexai/unary-failure-model-not-found.json", 404, NotFound, "NOT_FOUND", "",
     "models/test-model-name is not found for API version v1beta"),
    ("vertexai/unary-failure-unknown-model.json", 404, NotFound, "NOT_FOUND", "",
     "models/unknown is not found for API version v1"),
    ("vertexai/streaming-failure-unknown-model.txt", 404, NotFound, "NOT_FOUND", "",
     "models/unknown is not found"),
    ("googleai/unary-failure-unknown-model.json", 404, NotFound, "NOT_FOUND", "",
     "models/gemini-5.0-flash is not found for API version v1"),
    ("googleai/unary-failure-unknown-model.txt", 404, NotFound, "NOT_FOUND", "",
     "models/gemini-5.0-flash is not found"),
    ("vertexai/unary-failure-unsupported-user-location.json", 400, BadRequest, "FAILED_PRECONDITION", "",
     "User location is not supported for the API use"),
    # "$grpcMessage" is an unexpanded template: the message comes from DebugInfo instead
    ("vertexai/unary-failure-http-error.json", 400, BadRequest, "FAILED_PRECONDITION", "",
     "User location is not supported for the API use"),
    ("vertexai/streaming-failure-http-error.txt", 400, BadRequest, "FAILED_PRECONDITION", "",
     "User location is not supported for the API use"),
    ("vertexai/unary-failure-context-cache-model-doesnt-match.json", 400, BadRequest, "INVALID_ARGUMENT", "",
     "Cached content model does not match the model in the request"),
    ("vertexai/unary-failure-context-cache-not-found.json", 404, NotFound, "NOT_FOUND", "",
     "Not found: cache content metadata 8754364356910645200"),
    ("vertexai/unary-failure-invalid-context-cache-id.json", 400, BadRequest, "INVALID_ARGUMENT", "",
     "Invalid CachedContent name: 1234567890"),
    ("vertexai/unary-failure-image-rejected.json", 400, BadRequest, "INVALID_ARGUMENT", "",
     "Request contains an invalid argument"),
    ("vertexai/streaming-failure-image-rejected.txt", 400, BadRequest, "INVALID_ARGUMENT", "",
     "Request contains an invalid argument"),
    ("googleai/streaming-failure-image-rejected.txt", 400, BadRequest, "INVALID_ARGUMENT", "",
     "Request contains an invalid argument"),
    ("vertexai/unary-failure-generate-images-prompt-blocked.json", 400, BadRequest, "INVALID_ARGUMENT", "",
     "This prompt contains sensitive words that violate Google's Responsible AI practices"),
    ("vertexai/unary-failure-invalid-location-url-not-found.html", 404, NotFound, "", "",
     "The requested URL /v1beta/projects/my-project-id/locations/invalid-location/"),
]


@pytest.mark.parametrize(
    ("name", "status_code", "cls", "status", "reason", "fragment"),
    ERROR_FIXTURES,
    ids=[row[0] for row in ERROR_FIXTURES],
)
def test_error_fixture_maps_to_typed_error(
    name: str, status_code: int, cls: type[APIError], status: str, reason: str, fragment: str
) -> None:
    body = fixture_path(name).read_bytes()
    error = error_from_response(status_code, body, url="https://host/x")
    assert type(error) is cls
    assert error.code == status_code
    assert error.status == status
    assert error.reason == reason
    assert fragment in error.message
    if not name.endswith(".html") and "$" not in body.decode():
        service_message = json.loads(body)["error"]["message"]
        assert error.message.startswith(service_message.rstrip(".")[:60])  # the service's words first
    assert error.url == "https://host/x"


def test_every_plain_error_body_fixture_is_in_the_table() -> None:
    """A new error fixture upstream should not go unmapped."""
    bodies = set()
    for path in sorted(FIXTURES.glob("*/*")):
        text = path.read_text()
        if text.lstrip().startswith("{") and '"error"' in text and "data:" not in text:
            bodies.add(f"{path.parent.name}/{path.name}")
    assert bodies <= {row[0] for row in ERROR_FIXTURES}
    assert len(bodies) >= 20


def test_quota_fixture_carries_quota_id_and_advice() -> None:
    body = fixture_path("vertexai/unary-failure-quota-exceeded.json").read_bytes()
    error = error_from_response(429, body)
    assert isinstance(error, QuotaExceeded)
    assert error.quota_id == "GenerateContentRequestsPerMinutePerProjectPerRegion"
    assert error.retry_after_s is None
    assert "GenerateContentRequestsPerMinutePerProjectPerRegion" in error.message
    assert "https://cloud.google.com/docs/quota" in error.message


def test_gemini_api_429_reads_quota_failure_and_retry_info() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaMetric": "m", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34s"},
            ],
        }
    }
    error = error_from_response(429, json.dumps(body))
    assert isinstance(error, QuotaExceeded)
    assert error.quota_id == "GenerateRequestsPerMinutePerProjectPerModel"
    assert error.retry_after_s == 34.0
    assert "wait 34 s" in error.message


def test_retry_after_header_wins_over_retry_info() -> None:
    body = {"error": {"code": 429, "message": "slow down", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]}}
    error = error_from_response(429, json.dumps(body), headers={"Retry-After": "7"})
    assert error.retry_after_s == 7.0
    assert error_from_response(429, json.dumps(body)).retry_after_s == 1.5


def test_503_keeps_retry_after_too() -> None:
    error = error_from_response(503, b"", headers={"retry-after": "3"})
    assert isinstance(error, ServiceError)
    assert error.retry_after_s == 3.0


def test_array_wrapped_envelope() -> None:
    body = b'[{"error":{"code":429,"message":"Resource exhausted. Please try again later.","status":"RESOURCE_EXHAUSTED"}}]'
    error = error_from_response(429, body)
    assert isinstance(error, QuotaExceeded)
    assert error.status == "RESOURCE_EXHAUSTED"
    assert error.message.startswith("Resource exhausted. Please try again later")


def test_html_proxy_page_gives_a_short_tag_free_message() -> None:
    page = "<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head><body>"
    page += "<h1>Bad Gateway</h1><p>The proxy could not reach upstream.</p>" + "<p>filler text</p>" * 5000
    error = error_from_response(502, page.encode())
    assert isinstance(error, ServiceError)
    assert "502 Bad Gateway" in error.message
    assert "The proxy could not reach upstream." in error.message
    assert "<" not in error.message and "color:red" not in error.message
    assert len(error.message) < 500
    assert "try again later" in error.message


def test_empty_body() -> None:
    error = error_from_response(503, b"")
    assert isinstance(error, ServiceError)
    assert error.message.startswith("Empty response body (503 Service Unavailable)")


def test_imagen_not_found_names_the_gemini_alternative() -> None:
    body = json.dumps({"error": {"code": 404, "message": "Publisher Model was not found.", "status": "NOT_FOUND"}})
    error = error_from_response(404, body, url=IMAGEN_URL)
    assert isinstance(error, NotFound)
    assert "shut down every Imagen model" in error.message and "2026-08-17" in error.message
    assert "gemini-nano-banana-2.1" in error.message and "nano-banana" in error.message
    explicit = error_from_response(404, body, model="imagen-3.0-generate-002")
    assert "gemini-nano-banana-2.1" in explicit.message


def test_gemini_not_found_suggests_checking_name_and_location() -> None:
    body = fixture_path("googleai/unary-failure-unknown-model.json").read_bytes()
    error = error_from_response(404, body, model="gemini-5.0-flash")
    assert "retired" not in error.message
    assert "location" in error.message


def test_401_says_how_to_log_in() -> None:
    body = {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                      "status": "UNAUTHENTICATED", "details": [
                          {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_EXPIRED"}]}}
    error = error_from_response(401, json.dumps(body))
    assert isinstance(error, AuthError)
    assert error.reason == "ACCESS_TOKEN_EXPIRED"
    assert "gcloud auth application-default login" in error.message


def test_403_names_permission_role_or_api_to_enable() -> None:
    iam = error_from_response(403, fixture_path("vertexai/unary-failure-iam-permission-denied.json").read_bytes())
    assert "roles/aiplatform.user" in iam.message
    disabled = error_from_response(
        403, fixture_path("googleai/unary-failure-generativelanguage-api-not-enabled.json").read_bytes()
    )
    assert "Enable generativelanguage.googleapis.com" in disabled.message
    assert "https://console.developers.google.com/apis/api/generativelanguage.googleapis.com" in disabled.message


def test_other_statuses_are_service_errors() -> None:
    assert type(error_from_response(500, b'{"error":{"code":500,"message":"Internal"}}')) is ServiceError
    teapot = error_from_response(418, b"short and stout")
    assert type(teapot) is ServiceError
    assert "418" in teapot.message


def test_oauth_style_error_body() -> None:
    body = b'{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}'
    error = error_from_response(401, body)
    assert isinstance(error, AuthError)
    assert error.message.startswith("Token has been expired or revoked")


def test_url_keeps_no_key() -> None:
    error = error_from_response(400, b"{}", url="https://h/v1beta/models/m:generateContent?key=AIzaSECRET&alt=sse")
    assert "AIzaSECRET" not in error.url
    assert error.url == "https://h/v1beta/models/m:generateContent?key=***&alt=sse"
    assert "AIzaSECRET" not in error.message
    assert strip_key("see https://x/y?access_token=tok123") == "see https://x/y?access_token=***"


def test_mid_stream_error_chunk() -> None:
    text = fixture_path("vertexai/streaming-failure-error-mid-stream.txt").read_text()
    chunk = json.loads(text[text.index("\n{") :])
    error = error_from_stream_chunk(chunk)
    assert type(error) is ServiceError
    assert (error.code, error.status) == (499, "CANCELLED")
    assert error.message.startswith("The operation was cancelled")
    quota = error_from_stream_chunk({"error": {"code": 429, "message": "later", "status": "RESOURCE_EXHAUSTED"}})
    assert isinstance(quota, QuotaExceeded)
    assert is_bare_error(chunk)


def test_an_answer_beside_an_error_key_is_not_a_bare_error() -> None:
    assert is_bare_error({"error": {"code": 500}})
    for answer in ("candidates", "predictions", "promptFeedback"):
        assert not is_bare_error({"error": {"code": 500}, answer: []})
    assert not is_bare_error({"candidates": []})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), ("1.5", 1.5), (" 0 ", 0.0), ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
     ("Wed, 21 Oct 2026 07:27:00 GMT", 0.0), ("soon", None), ("nan", None)],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("34s", 34.0), ("1.5s", 1.5), ("0.000001s", 0.000001), ({"seconds": 2, "nanos": 500000000}, 2.5),
     ("34", None), (None, None)],
)
def test_parse_duration(value: object, expected: float | None) -> None:
    assert parse_duration(value) == expected
