"""Error responses of the service -> typed errors whose messages say what to do next.

Pure functions (no I/O): the status code, body and headers of a failed response go in, an
``errors.APIError`` subclass comes out. Handles the Google error envelope (WIRE.md §6.1), bodies
wrapped in a JSON array, non-JSON bodies (an HTML page from a proxy or load balancer) and empty
bodies. The client redacts secrets from what comes out; here we only strip ``key=`` from URLs.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

from ..base.errors import APIError, AuthError, BadRequest, NotFound, QuotaExceeded, ServiceError
from ..base.lineup import RECOMMENDED

GEMINI_ALTERNATIVE = RECOMMENDED  # Google's recommended image model, the successor of every Imagen model
QUOTA_HELP_URL = "https://cloud.google.com/docs/quota#requesting_higher_quota"
EXCERPT_CHARS = 300

_TYPE_PREFIX = "type.googleapis.com/google.rpc."
_KEY_PARAM = re.compile(r"([?&](?:key|api_key|access_token)=)[^&#\s\"'<>]+", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\$\{?\w+\}?")  # an unexpanded template such as "$grpcMessage"
_DEBUG_MESSAGE = re.compile(r'error_details_ext\] \{ message: "(.+?)" \}')
_DEBUG_GENERIC = re.compile(r"generic::\w+: (.+?)(?: \[google\.rpc|$)")
_MODEL_IN_URL = re.compile(r"/models/([^/:?]+)")
_DROPPED_ELEMENTS = re.compile(r"(?is)<(script|style)\b.*?(?:</\1\s*>|$)|<!--.*?-->")
_TAG = re.compile(r"(?s)<[^>]*>")


def error_from_response(
    status_code: int,
    body: bytes | str,
    *,
    headers: Mapping[str, str] | None = None,
    url: str = "",
    model: str = "",
) -> APIError:
    """The typed error for a response whose status is not 200.

    Args:
        status_code: the HTTP status.
        body: the response body as received (JSON envelope, HTML, or empty).
        headers: the response headers (``Retry-After`` is read from them).
        url: the request URL; any ``key=`` parameter is removed before it is kept.
        model: the model id of the request, for model-specific advice.

    Returns:
        ``BadRequest``, ``AuthError``, ``NotFound``, ``QuotaExceeded`` or ``ServiceError``.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    envelope = _envelope(text)
    retry_after = _retry_after_header(headers or {})
    if envelope is None:
        message = excerpt(text) or "Empty response body"
        return _build(status_code, message, {}, url, model, retry_after, label=_reason_phrase(status_code))
    message = _service_message(envelope) or _reason_phrase(status_code)
    return _build(status_code, message, envelope, url, model, retry_after)


def is_bare_error(body: Mapping[str, Any]) -> bool:
    """True when an HTTP 200 body (or a stream chunk) is only an error envelope, not an answer.

    An answer carries ``candidates``, ``predictions`` or ``promptFeedback`` (a blocked prompt) beside any
    ``error`` key; a bare ``{"error": {...}}`` is a failure to raise (``error_from_stream_chunk``).
    """
    return "error" in body and not ({"candidates", "predictions", "promptFeedback"} & body.keys())


def error_from_stream_chunk(chunk: Mapping[str, Any], *, url: str = "", model: str = "") -> APIError:
    """The typed error for a bare ``{"error": {...}}`` object inside a stream (HTTP 200 so far)."""
    raw = chunk.get("error")
    envelope = raw if isinstance(raw, Mapping) else {"message": str(raw or "")}
    code = envelope.get("code")
    status_code = code if isinstance(code, int) and not isinstance(code, bool) else 500
    message = _service_message(envelope) or _reason_phrase(status_code)
    return _build(status_code, message, envelope, url, model, None)


def strip_key(text: str) -> str:
    """``text`` with the value of any ``key=`` / ``api_key=`` / ``access_token=`` URL parameter hidden."""
    return _KEY_PARAM.sub(r"\1***", text)


def parse_retry_after(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date; None if unreadable."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_duration(value: Any) -> float | None:
    """Seconds of a protobuf ``Duration`` in JSON (``"34s"``, ``"1.5s"``) or object form."""
    if isinstance(value, Mapping):
        try:
            return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
        except (TypeError, ValueError):
            return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)s\s*", str(value))
    return float(match.group(1)) if match else None


def excerpt(text: str) -> str:
    """A short, tag-stripped excerpt of an HTML or text body: never a whole page."""
    text = _TAG.sub(" ", _DROPPED_ELEMENTS.sub(" ", text))
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


# --- reading the body ----------------------------------------------------------------------------


def _envelope(text: str) -> dict[str, Any] | None:
    """The ``error`` object of a Google envelope (plain or array-wrapped), or None."""
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return None
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        data = data[0]
    if not isinstance(data, Mapping) or "error" not in data:
        return None
    error = data["error"]
    if isinstance(error, Mapping):
        return dict(error)
    # an OAuth-style body: {"error": "invalid_grant", "error_description": "..."}
    return {"message": str(data.get("error_description") or error)}


def _details(envelope: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    details = envelope.get("details")
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, Mapping) and d.get("@type") == _TYPE_PREFIX + kind]


def _service_message(envelope: Mapping[str, Any]) -> str:
    """The service's message; a placeholder such as ``$grpcMessage`` falls back to the details."""
    message = str(envelope.get("message") or "").strip()
    if message and not _PLACEHOLDER.fullmatch(message):
        return message
    for localized in _details(envelope, "LocalizedMessage"):
        if localized.get("message"):
            return str(localized["message"]).strip()
    for debug in _details(envelope, "DebugInfo"):
        detail = str(debug.get("detail") or "")
        match = _DEBUG_MESSAGE.search(detail) or _DEBUG_GENERIC.search(detail)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return ""


def _error_info(envelope: Mapping[str, Any]) -> Mapping[str, Any]:
    infos = _details(envelope, "ErrorInfo")
    return infos[0] if infos else {}


def _quota_id(envelope: Mapping[str, Any]) -> str:
    for failure in _details(envelope, "QuotaFailure"):
        for violation in failure.get("violations") or ():
            if isinstance(violation, Mapping) and violation.get("quotaId"):
                return str(violation["quotaId"])
    metadata = _error_info(envelope).get("metadata")
    return str(metadata.get("quota_limit") or "") if isinstance(metadata, Mapping) else ""


def _retry_info(envelope: Mapping[str, Any]) -> float | None:
    for info in _details(envelope, "RetryInfo"):
        delay = parse_duration(info.get("retryDelay"))
        if delay is not None:
            return delay
    return None


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            return parse_retry_after(str(value))
    return None


def _reason_phrase(status_code: int) -> str:
    try:
        return f"{status_code} {HTTPStatus(status_code).phrase}"
    except ValueError:
        return f"HTTP {status_code}"


# --- building the error --------------------------------------------------------------------------


def _build(
    status_code: int,
    message: str,
    envelope: Mapping[str, Any],
    url: str,
    model: str,
    retry_after: float | None,
    *,
    label: str = "",
) -> APIError:
    status = str(envelope.get("status") or "")
    reason = str(_error_info(envelope).get("reason") or "")
    details = [d for d in envelope.get("details") or () if isinstance(d, Mapping)]
    url = strip_key(url)
    model = _model_name(model, url)
    if retry_after is None:
        retry_after = _retry_info(envelope)
    label = label or " ".join(part for part in (str(status_code), status, reason) if part)
    head = f"{strip_key(message).rstrip('.')} ({label}{f', model {model}' if model else ''})"
    common: dict[str, Any] = {
        "code": status_code,
        "status": status,
        "reason": reason,
        "details": details,
        "url": url,
        "retry_after_s": retry_after,
    }
    if status_code == 429:
        quota_id = _quota_id(envelope)
        common.pop("retry_after_s")
        hint = _quota_hint(quota_id, retry_after)
        return QuotaExceeded(f"{head}. {hint}", retry_after_s=retry_after, quota_id=quota_id, **common)
    cls, hint = _class_and_hint(status_code, message, envelope, reason, model, url)
    return cls(f"{head}. {hint}" if hint else head, **common)


def _class_and_hint(
    status_code: int, message: str, envelope: Mapping[str, Any], reason: str, model: str, url: str
) -> tuple[type[APIError], str]:
    if reason == "API_KEY_INVALID":
        return AuthError, (
            "Check the API key (GOOGLE_API_KEY or GEMINI_API_KEY, or vi.configure(api_key=...)); "
            "create one at https://aistudio.google.com/apikey, or use ADC: "
            "`gcloud auth application-default login`."
        )
    if status_code == 400:
        return BadRequest, _bad_request_hint(message, envelope)
    if status_code == 401:
        return AuthError, (
            "The credentials were refused. Run `gcloud auth application-default login` "
            "(or check the API key you configured) and try again."
        )
    if status_code == 403:
        return AuthError, _permission_hint(envelope, reason)
    if status_code == 404:
        return NotFound, _not_found_hint(model, url)
    if status_code == 408 or status_code >= 500:
        return ServiceError, "The service failed or timed out; try again later."
    if status_code == 413:
        return ServiceError, "The request is too large: send smaller or fewer images (or use gs:// URIs)."
    return ServiceError, ""


def _bad_request_hint(message: str, envelope: Mapping[str, Any]) -> str:
    violations = [
        f"{v.get('field', '')}: {v.get('description', '')}".strip(": ")
        for detail in _details(envelope, "BadRequest")
        for v in detail.get("fieldViolations") or ()
        if isinstance(v, Mapping)
    ]
    if violations:
        return "Fix: " + "; ".join(violations) + "."
    lowered = message.lower()
    if "user location is not supported" in lowered:
        return (
            "This API is not offered where the request comes from; use Vertex AI "
            "(backend='vertex' with a project) in a supported location."
        )
    if "responsible ai" in lowered or "sensitive words" in lowered:
        return "The prompt was blocked by the safety filter; rephrase it."
    return "The service refused the request as sent; check the prompt, images and options."


def _permission_hint(envelope: Mapping[str, Any], reason: str) -> str:
    metadata = _error_info(envelope).get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    if reason == "SERVICE_DISABLED":
        links = [
            str(link.get("url"))
            for help_ in _details(envelope, "Help")
            for link in help_.get("links") or ()
            if isinstance(link, Mapping) and link.get("url")
        ]
        service = metadata.get("service", "the API")
        where = links[0] if links else f"`gcloud services enable {service}`"
        return f"Enable {service} for the project ({where}), wait a few minutes, and try again."
    permission = metadata.get("permission")
    needed = f"the permission {permission}" if permission else "permission for this call"
    return (
        f"Your account lacks {needed}: ask for the Vertex AI User role (roles/aiplatform.user) "
        "on the project, check that the Vertex AI API is enabled, and that the project is right."
    )


def _not_found_hint(model: str, url: str) -> str:
    if model.startswith("imagen"):
        return (
            f"Google shut down every Imagen model in 2026 (on 2026-08-17); use model='{GEMINI_ALTERNATIVE}' "
            "(nano-banana) instead."
        )
    if model and model != GEMINI_ALTERNATIVE:
        return (
            f"This project or location does not serve {model} today; `%vertex_image models --live` lists what "
            f"it does serve, and {GEMINI_ALTERNATIVE} is Google's recommended image model."
        )
    where = f" ({url})" if url else ""
    return (
        f"Check the model name, the location and the API version of the request{where}; "
        "`%vertex_image models` lists the models this extension knows."
    )


def _quota_hint(quota_id: str, retry_after: float | None) -> str:
    what = f"Quota {quota_id} is exhausted" if quota_id else "The quota or rate limit is exhausted"
    wait = f"; the service asked to wait {retry_after:g} s" if retry_after is not None else ""
    return (
        f"{what}{wait}. Wait and try again, lower max_concurrency, "
        f"or request a higher quota: {QUOTA_HELP_URL}"
    )


def _model_name(model: str, url: str) -> str:
    if not model:
        match = _MODEL_IN_URL.search(url)
        model = match.group(1) if match else ""
    return model.rsplit("/", 1)[-1]


__all__ = [
    "error_from_response",
    "error_from_stream_chunk",
    "excerpt",
    "is_bare_error",
    "parse_duration",
    "parse_retry_after",
    "strip_key",
]
