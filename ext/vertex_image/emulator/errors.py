"""Google error envelopes (WIRE.md §6) and the real messages the emulator answers with.

Texts quoted from WIRE.md are marked ``# WIRE §n``; the others are the emulator's own wording, chosen to read
like the service (WIRE.md gives no text for them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",  # no canonical google.rpc code exists for 405
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

VERTEX_SERVICE = "aiplatform.googleapis.com"
GEMINI_SERVICE = "generativelanguage.googleapis.com"

# WIRE §2 (invalid or expired token)
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
# Google front end's text for a request with no credential at all (not in WIRE.md).
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
# The Gemini API's answer to a call without an API key (not in WIRE.md; widely quoted public text).
UNREGISTERED_CALLER = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
API_KEY_INVALID = "API key not valid. Please pass a valid API key."  # WIRE §2
SEED_WITH_WATERMARK = (  # WIRE §3.1
    "Image generation failed with the following error: Seed is not supported when watermark is enabled."
)
IMAGEN_PROMPT_BLOCKED = (  # WIRE §3.2
    "Image generation failed with the following error: The prompt could not be submitted. This prompt "
    "contains sensitive words that violate Google's Responsible AI practices. Try rephrasing the prompt. "
    "If you think this was an error, send feedback. Support codes: 42876398"
)
def payload_too_large(limit: int) -> str:
    """The Gemini API's answer to a request over its size limit (WIRE §6.2)."""
    return f"Request payload size exceeds the limit: {limit} bytes."
RESOURCE_EXHAUSTED = (  # WIRE §6.2
    "Resource exhausted. Please try again later. Please refer to "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details."
)
GEMINI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more information on "
    "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)
OVERLOADED = "The model is overloaded. Please try again later."  # WIRE §6.2 (UNCONFIRMED there)
INTERNAL = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
DEADLINE = "Deadline expired before operation could complete."
CANCELLED = "The operation was cancelled."  # WIRE §5.7
SIGNATURE_DOCS = (
    "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior for more details."
)
GEMINI_VIA_PREDICT = (
    "Gemini cannot be accessed through Vertex Predict/RawPredict API. Please follow "
    "https://cloud.google.com/vertex-ai/docs/generative-ai/start/quickstarts/quickstart-multimodal "
    "for Gemini usage."
)
UNPROCESSABLE_IMAGE = (
    "Unable to process input image. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting"
)


VERTEX_LEARN_MORE = "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"


class ApiError(Exception):
    """An error answer: HTTP code, google.rpc status, message, details and extra headers."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str = "",
        details: Sequence[dict[str, Any]] = (),
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = list(details)
        self.headers = list(headers)

    def body(self) -> dict[str, Any]:
        """The JSON envelope of WIRE.md §6.1."""
        return envelope(self.code, self.message, self.status, self.details)


def envelope(code: int, message: str, status: str, details: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """``{"error": {code, message, status[, details]}}``."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return {"error": error}


def invalid(message: str, *, field: str = "", details: Sequence[dict[str, Any]] = ()) -> ApiError:
    """400 INVALID_ARGUMENT, with a BadRequest field violation when a field is named."""
    extra = list(details)
    if field:
        extra.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        )
    return ApiError(400, message, details=extra)


def error_info(reason: str, service: str, **metadata: str) -> dict[str, Any]:
    """A google.rpc.ErrorInfo detail."""
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": service, **metadata},
    }


def debug_info(detail: str) -> dict[str, Any]:
    """A google.rpc.DebugInfo detail."""
    return {"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": detail}


def retry_info(delay_s: float) -> dict[str, Any]:
    """A google.rpc.RetryInfo detail (``retryDelay`` like ``"34s"``)."""
    text = f"{int(delay_s)}s" if float(delay_s).is_integer() else f"{delay_s:.3f}s"
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": text}


def quota_failure(model: str) -> dict[str, Any]:
    """A google.rpc.QuotaFailure detail as the Gemini API sends with 429s."""
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                "quotaDimensions": {"location": "global", "model": model},
                "quotaValue": "10",
            }
        ],
    }


def help_link() -> dict[str, Any]:
    """The google.rpc.Help detail of Vertex quota errors."""
    return {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [
            {
                "description": "Request a higher quota limit.",
                "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
            }
        ],
    }


def quota_exceeded(dialect: str, model: str, retry_after_s: float | None) -> ApiError:
    """429 RESOURCE_EXHAUSTED with the details each backend sends (WIRE.md §6.2, §8)."""
    if dialect == "gemini-api":
        details = [quota_failure(model)]
        if retry_after_s is not None:
            details.append(retry_info(retry_after_s))
        return ApiError(429, GEMINI_QUOTA, details=details)
    details = [
        error_info(
            "RATE_LIMIT_EXCEEDED",
            VERTEX_SERVICE,
            quota_metric="aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model",
            quota_limit="GenerateContentRequestsPerMinutePerProjectPerBaseModel",
            quota_limit_value="0",
        ),
        help_link(),
    ]
    return ApiError(429, RESOURCE_EXHAUSTED, details=details)


def model_not_found(dialect: str, *, version: str, model: str, method: str, resource: str) -> ApiError:
    """404 NOT_FOUND with the texts of WIRE.md §6.2 (version, project and location named)."""
    if dialect == "gemini-api":
        message = (
            f"models/{model} is not found for API version {version}, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods."
        )
        return ApiError(404, message, details=[debug_info(message)])
    message = (
        f"Publisher Model `{resource}` was not found or your project does not have access to it. "
        "Please ensure you are using a valid model version. For more information, see: "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
    )
    return ApiError(404, message)


# --- what a model does not take (MODELS-2026-11.md §2, §3) ---------------------------------------------------
#
# Real texts, as quoted in public bug reports: the Gemini API's "Thinking level is not supported for this
# model." and "Search Grounding is not supported."; Vertex's "Unable to submit request because thinking_level
# MEDIUM is not supported by this model. Learn more: <model reference>" and "... because Grounding is not
# supported ...". The other texts follow the same two patterns (the emulator's wording): per surface, one
# sentence naming the field and the value the model does not take.


def not_supported(dialect: str, *, api: str, vertex: str, field: str = "") -> ApiError:
    """400 INVALID_ARGUMENT for a value the model does not take, in each surface's words.

    ``api`` is the whole Gemini API sentence; ``vertex`` the clause after "Unable to submit request because".
    """
    if dialect == "gemini-api":
        return invalid(api, field=field)
    return invalid(f"Unable to submit request because {vertex}. Learn more: {VERTEX_LEARN_MORE}", field=field)


def thinking_level_not_supported(dialect: str, level: str | None) -> ApiError:
    """A thinking level on a model that takes none (``level`` None) or not this one."""
    field = "generation_config.thinking_config.thinking_level"
    if level is None:
        return not_supported(
            dialect,
            api="Thinking level is not supported for this model.",
            vertex="thinking_level is not supported by this model",
            field=field,
        )
    return not_supported(
        dialect,
        api=f"Thinking level {level} is not supported for this model.",
        vertex=f"thinking_level {level} is not supported by this model",
        field=field,
    )


def image_size_not_supported(dialect: str, size: str, supported: Sequence[str]) -> ApiError:
    """An ``imageConfig.imageSize`` the model does not take (e.g. "512" on gemini-nano-banana-2.1)."""
    choices = ", ".join(supported)
    return not_supported(
        dialect,
        api=f"Image size {size} is not supported for this model. Supported image sizes: {choices}.",
        vertex=f"image_size {size} is not supported by this model (supported: {choices})",
        field="generation_config.image_config.image_size",
    )


def aspect_ratio_not_supported(dialect: str, ratio: str, supported: Sequence[str]) -> ApiError:
    """An ``imageConfig.aspectRatio`` the model does not take."""
    choices = ", ".join(supported)
    return not_supported(
        dialect,
        api=f"Aspect ratio {ratio} is not supported for this model. Supported aspect ratios: {choices}.",
        vertex=f"aspect_ratio {ratio} is not supported by this model (supported: {choices})",
        field="generation_config.image_config.aspect_ratio",
    )


def search_not_supported(dialect: str) -> ApiError:
    """A googleSearch tool on a model without search grounding."""
    return not_supported(
        dialect, api="Search Grounding is not supported.", vertex="Grounding is not supported", field="tools"
    )


def image_search_not_supported(dialect: str) -> ApiError:
    """``searchTypes.imageSearch`` on a model that takes web search only."""
    return not_supported(
        dialect,
        api="Image Search Grounding is not supported for this model.",
        vertex="image search grounding is not supported by this model",
        field="tools.google_search.search_types.image_search",
    )


def unknown_field(name: str, where: str) -> ApiError:
    """The proto JSON parser's 400 for a field the surface does not define (e.g. ``imageOutputOptions`` on the
    Gemini API, which only Vertex takes: MODELS §3)."""
    message = f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    return invalid(message, field=where)


def invalid_enum(path: str, enum: str, value: object) -> ApiError:
    """The proto JSON parser's 400 for an enum value that does not exist."""
    return invalid(f"Invalid value at '{path}' ({enum}), {json.dumps(value)}", field=path)


def not_emulated(model: str) -> ApiError:
    """501 for a model the listings show (a text or embedding model) that the emulator does not answer for."""
    return ApiError(
        501,
        f"The vertex-image emulator answers for image models only; {model} is listed by the model-listing "
        "endpoints so that a client can filter it out, but is not emulated.",
    )
