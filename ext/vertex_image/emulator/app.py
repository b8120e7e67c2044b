"""The WSGI application: routes of WIRE.md §9, auth (§2), quotas, faults, and the replies on the wire.

Which models answer depends on the emulated day (``lineup.py``): the request header ``x-emulator-as-of:
YYYY-MM-DD``, else the app's ``as_of``, else its clock (``today``, by default ``datetime.date.today``).
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import json
import logging
import re
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from . import batches, errors, faults, gemini_handler, imagen_handler, lineup, listing
from .call import DEFAULT_BLOCKED_WORDS, Call
from .catalog import ModelSpec, build_catalog
from .errors import ApiError

log = logging.getLogger("vertex_image.emulator")

StartResponse = Callable[..., Any]

_VERTEX = re.compile(
    r"^/(?P<version>v1|v1beta1)/(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/(?P<publisher>[^/]+)/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)
_GEMINI = re.compile(r"^/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$")
# model listing and lookup (MODELS §6): GET only
_GEMINI_MODELS = re.compile(r"^/(?P<version>v1|v1beta)/models(?:/(?P<model>[^/:]+))?/?$")
_VERTEX_MODELS = re.compile(r"^/(?P<version>v1beta1)/publishers/google/models/?$")
_VERTEX_MODEL = re.compile(r"^/(?P<version>v1|v1beta1)/publishers/google/models/(?P<model>[^/:]+)$")
AS_OF_HEADER = "x-emulator-as-of"
METHODS = ("predict", "generateContent", "streamGenerateContent")
GEMINI_API_LIMIT = 100 * 1024 * 1024  # 20 MB until January 2026 (WIRE §6.2, §7); Google's blog: now 100 MB
BATCH_INLINE_LIMIT = 20 * 1024 * 1024  # batchGenerateContent with inline requests: still 20 MB (batch-api docs)
VERTEX_LIMIT = 256 * 1024 * 1024  # not documented for Vertex; a guard for the emulator's memory
SSE_TERMINATOR = b"\r\n\r\n"


class DropConnection(Exception):
    """Raised from a reply body to cut the connection after part of the body was sent."""


@dataclass(frozen=True)
class RecordedRequest:
    """One received request, as the emulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)
    body: Any = field(repr=False)

    def __repr__(self) -> str:  # no key or token in reprs (house rule)
        return f"RecordedRequest({self.method} {self.path})"


@dataclass
class Reply:
    """Status, headers and body chunks of one answer."""

    status: int
    headers: list[tuple[str, str]]
    chunks: Iterable[bytes]


@dataclass(frozen=True)
class Route:
    """A matched URL."""

    dialect: str
    version: str
    project: str
    location: str
    publisher: str
    model: str
    method: str

    @property
    def resource(self) -> str:
        """The model resource name as Vertex messages show it."""
        prefix = f"projects/{self.project}/locations/{self.location}/" if self.project else ""
        return f"{prefix}publishers/{self.publisher}/models/{self.model}"


def json_reply(status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> Reply:
    """A JSON answer (indented like the service's unary answers)."""
    data = json.dumps(body, indent=2).encode("utf-8")
    return Reply(status, [("Content-Type", "application/json; charset=UTF-8"), *headers], [data])


def error_reply(error: ApiError) -> Reply:
    """The Google envelope for an ApiError."""
    return json_reply(error.code, error.body(), error.headers)


class EmulatorApp:
    """The emulator as a WSGI callable; thread-safe."""

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        rpm: int | None = None,
        require_key: str | None = None,
        blocked_words: Sequence[str] | None = None,
        fault: str | None = None,
        extra_models: Mapping[str, str] | Iterable[str] | None = None,
        max_logged: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        as_of: datetime.date | None = None,
        today: Callable[[], datetime.date] = datetime.date.today,
        batch_delay_s: float = 2.0,
        storage_dir: str | None = None,
    ) -> None:
        self.latency_s = latency_s
        self.rpm = rpm
        self.require_key = require_key
        self.blocked_words = tuple(DEFAULT_BLOCKED_WORDS if blocked_words is None else blocked_words)
        self.faults = faults.FaultState(faults.parse(fault) if fault else None)
        if extra_models is not None and not isinstance(extra_models, Mapping):
            extra_models = list(extra_models)
        self.catalog: dict[str, ModelSpec] = build_catalog(extra_models)
        # extra models are served on every surface, every day (they have no dates)
        self.extra_models: tuple[str, ...] = tuple(extra_models or ())
        self.as_of = as_of
        self._today = today
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._log: collections.deque[RecordedRequest] = collections.deque(maxlen=max_logged)
        self._window: collections.deque[float] = collections.deque()
        if storage_dir is None:
            self._storage_tmp = tempfile.TemporaryDirectory(prefix="vertex-image-emulator-gcs-")
            storage_dir = self._storage_tmp.name
        self.batches = batches.BatchEngine(self._batch_answer, delay_s=batch_delay_s, storage_dir=Path(storage_dir))

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the received requests, oldest first (the last ``max_logged``)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the received requests."""
        with self._lock:
            self._log.clear()

    def day(self, headers: Mapping[str, str] | None = None) -> datetime.date:
        """The emulated day: the ``x-emulator-as-of`` header, else ``as_of``, else the clock."""
        text = (headers or {}).get(AS_OF_HEADER, "").strip()
        if text:
            try:
                return lineup.parse_day(text)
            except ValueError as exc:
                raise errors.invalid(f"Header {AS_OF_HEADER}: {exc}.") from None
        return self.as_of if self.as_of is not None else self._today()

    def serves(self, model: str, dialect: str, day: datetime.date) -> bool:
        """Whether ``model`` answers on that surface on that day (extra models always do)."""
        return model in self.extra_models or lineup.served(model, dialect, day)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            reply = self._serve(environ)
        except ApiError as exc:
            reply = error_reply(exc)
        except Exception as exc:  # an emulator bug must still answer in the envelope
            log.exception("emulator error")
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            reply = error_reply(ApiError(500, errors.INTERNAL, details=[errors.debug_info(detail)]))
        return self._send(reply, start_response)

    @staticmethod
    def _send(reply: Reply, start_response: StartResponse) -> Iterable[bytes]:
        chunks = reply.chunks
        headers = list(reply.headers)
        if isinstance(chunks, list):
            headers.append(("Content-Length", str(sum(len(c) for c in chunks))))
        reason = errors.REASONS.get(reply.status, "Error")
        start_response(f"{reply.status} {reason}", headers)
        return chunks

    def _serve(self, environ: dict[str, Any]) -> Reply:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        headers = _headers(environ)
        limit = GEMINI_API_LIMIT if path.startswith(("/v1/models", "/v1beta/models")) else VERTEX_LIMIT
        limit = BATCH_INLINE_LIMIT if path.endswith(":batchGenerateContent") else limit
        raw, too_large = _read_body(environ, limit)
        body, json_error = _parse_json(raw)
        with self._lock:
            self._log.append(RecordedRequest(method, path, query, headers, body))
        if self.latency_s:
            self._sleep(self.latency_s)
        if batches.BatchEngine.handles(path):
            return self._batch(method, path, query, headers, raw, limit if too_large else 0, environ)
        route = _listing_route(path) or _route(path)
        allowed = "GET" if route.method in LISTING_METHODS else "POST"
        if method != allowed:
            raise ApiError(
                405, f"HTTP method {method} is not allowed on {path}; use {allowed}.", headers=[("Allow", allowed)]
            )
        self._authenticate(route, headers, query)
        fault = self._fault(headers, path, raw)
        if fault is not None and fault.kind == "latency":
            self._sleep(fault.value or 0.0)
        elif fault is not None and fault.kind in faults.BEFORE:
            return _fault_reply(fault, route)
        self._check_rate(route)
        day = self.day(headers)
        if route.method in LISTING_METHODS:
            reply = self._listing(route, query, day)
        else:
            if too_large:
                raise errors.invalid(errors.payload_too_large(limit))
            if json_error is not None:
                raise errors.invalid(json_error)
            if not isinstance(body, dict):
                raise errors.invalid("Invalid JSON payload received. Root element must be a message.")
            reply = self._dispatch(route, query, body, day)
        if fault is not None and fault.kind in faults.AFTER:
            return _after_fault(fault, reply)
        return reply

    def _batch(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes,
               over_limit: int, environ: dict[str, Any]) -> Reply:  # fmt: skip
        """Batch jobs, files and Cloud Storage (``batches.py``): the surface's credentials, then the engine."""
        surface = batches.BatchEngine.surface(path)
        upload_session = bool(query.get("upload_id"))  # the upload URL is the credential, as on Google's side
        if not upload_session:
            self._authenticate(Route(surface, "v1", "", "", "google", "", "batch"), headers, query)
        if over_limit:  # the body passed this limit
            raise errors.invalid(errors.payload_too_large(over_limit))
        host = headers.get("host") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '')}"
        status, extra, body = self.batches.serve(method, path, query, headers, raw, host)
        return Reply(status, extra, [body])

    def _batch_answer(self, dialect: str, version: str, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """One request of a batch, answered as ``:generateContent`` would answer it on that day."""
        model = self.catalog.get(model_id)
        route = Route(dialect, version, "", "", "google", model_id, "generateContent")
        if model is None or model.family != "gemini" or not self.serves(model_id, dialect, self.day()):
            raise self._not_found(route)
        call = Call(dialect, version, model, "generateContent", self.blocked_words)
        return gemini_handler.unary(call, body, gemini_handler.answer(call, body))

    def _authenticate(self, route: Route, headers: dict[str, str], query: dict[str, str]) -> None:
        key = headers.get("x-goog-api-key", "").strip() or query.get("key", "").strip()
        service = errors.GEMINI_SERVICE if route.dialect == "gemini-api" else errors.VERTEX_SERVICE
        if key:
            if self.require_key is not None and key != self.require_key:
                raise ApiError(
                    400,
                    errors.API_KEY_INVALID,
                    details=[
                        errors.error_info("API_KEY_INVALID", service),
                        {
                            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                            "locale": "en-US",
                            "message": errors.API_KEY_INVALID,
                        },
                    ],
                )
            return
        if route.dialect == "gemini-api":
            raise ApiError(403, errors.UNREGISTERED_CALLER)
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        verb = route.method[:1].upper() + route.method[1:]
        rpc = f"google.cloud.aiplatform.{route.version}.PredictionService.{verb}"
        if route.method in LISTING_METHODS:
            verb = "ListPublisherModels" if route.method == "list" else "GetPublisherModel"
            rpc = f"google.cloud.aiplatform.{route.version}.ModelGardenService.{verb}"
        if not authorization:
            raise ApiError(
                401,
                errors.MISSING_CREDENTIALS,
                details=[errors.error_info("CREDENTIALS_MISSING", service, method=rpc)],
            )
        if (
            scheme.lower() != "bearer"
            or not token.strip()
            or token.strip().lower().startswith(("expired", "invalid"))
        ):
            raise ApiError(
                401,
                errors.INVALID_CREDENTIALS,
                details=[errors.error_info("ACCESS_TOKEN_EXPIRED", service, method=rpc)],
            )

    def _fault(self, headers: dict[str, str], path: str, raw: bytes) -> faults.FaultSpec | None:
        key = headers.get("x-emulator-fault-key") or hashlib.sha256(path.encode() + b"\x00" + raw).hexdigest()
        try:
            return self.faults.select(headers.get("x-emulator-fault"), key)
        except ValueError as exc:
            raise errors.invalid(str(exc)) from None

    def _check_rate(self, route: Route) -> None:
        if not self.rpm:
            return
        now = self._clock()
        with self._lock:
            while self._window and now - self._window[0] >= 60.0:
                self._window.popleft()
            if len(self._window) >= self.rpm:
                wait_s = max(1.0, round(60.0 - (now - self._window[0])))
                raise errors.quota_exceeded(route.dialect, route.model, wait_s)
            self._window.append(now)

    def _not_found(self, route: Route, method: str | None = None) -> ApiError:
        return errors.model_not_found(
            route.dialect,
            version=route.version,
            model=route.model,
            method=method or route.method,
            resource=route.resource,
        )

    def _listing(self, route: Route, query: dict[str, str], day: datetime.date) -> Reply:
        """The model-listing endpoints (``listing.py``)."""
        vertex = route.dialect == "vertex"
        if route.method == "list":
            lister = listing.vertex_list if vertex else listing.gemini_list
            return json_reply(200, lister(day, query, self.catalog, self.extra_models))
        if not self.serves(route.model, route.dialect, day):
            raise self._not_found(route)
        if vertex:
            return json_reply(200, listing.vertex_model(route.model, self.catalog, query.get("view", "").upper()))
        return json_reply(200, listing.gemini_model(route.model, self.catalog))

    def _dispatch(self, route: Route, query: dict[str, str], body: dict[str, Any], day: datetime.date) -> Reply:
        model = self.catalog.get(route.model) if route.publisher == "google" else None
        served = route.publisher == "google" and self.serves(route.model, route.dialect, day)
        if model is None and served:  # a text or embedding model the listings show
            raise errors.not_emulated(route.model)
        if model is None or route.method not in METHODS or not served:
            raise self._not_found(route)
        call = Call(route.dialect, route.version, model, route.method, self.blocked_words)
        if route.method == "predict":
            if model.family != "imagen":
                if route.dialect == "vertex":
                    raise ApiError(400, errors.GEMINI_VIA_PREDICT, status="FAILED_PRECONDITION")
                raise self._not_found(route, "predict")
            return json_reply(200, imagen_handler.predict(call, body))
        if model.family != "gemini":
            raise self._not_found(route)
        outcome = gemini_handler.answer(call, body)
        if route.method == "generateContent":
            return json_reply(200, gemini_handler.unary(call, body, outcome))
        events = gemini_handler.stream(call, body, outcome)
        if query.get("alt") != "sse":  # without alt=sse the service answers one JSON array (WIRE §5.7)
            return json_reply(200, events)
        return sse_reply(events)


LISTING_METHODS = ("list", "get")


def _listing_route(path: str) -> Route | None:
    """A model-listing or model-lookup URL (GET), or None."""
    match = _GEMINI_MODELS.match(path)
    if match:
        model = match["model"] or ""
        return Route("gemini-api", match["version"], "", "", "google", model, "get" if model else "list")
    match = _VERTEX_MODELS.match(path)
    if match:
        return Route("vertex", match["version"], "", "", "google", "", "list")
    match = _VERTEX_MODEL.match(path)
    if match:
        return Route("vertex", match["version"], "", "", "google", match["model"], "get")
    return None


def sse_reply(events: Sequence[dict[str, Any]], tail: bytes = b"") -> Reply:
    """``text/event-stream``: one ``data: <json>`` line per event, CRLF CRLF between events."""
    chunks = [b"data: " + json.dumps(e, separators=(",", ":")).encode("utf-8") + SSE_TERMINATOR for e in events]
    if tail:
        chunks.append(tail)
    return Reply(200, [("Content-Type", "text/event-stream"), ("X-Accel-Buffering", "no")], chunks)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _read_body(environ: dict[str, Any], limit: int) -> tuple[bytes, bool]:
    """The body, read whole (drained when over ``limit``, so the client still sees the error)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length <= limit:
        return (stream.read(length) if length else b""), False
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        remaining -= len(chunk)
    return b"", True


def _parse_json(raw: bytes) -> tuple[Any, str | None]:
    if not raw.strip():
        return {}, None
    try:
        return json.loads(raw), None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = getattr(exc, "pos", 0) or 0
        snippet = raw[max(0, position - 40) : position + 1].decode("utf-8", "replace")
        return None, f"Invalid JSON payload received. Unexpected token.\n{snippet}\n{' ' * (len(snippet) - 1)}^"


def _route(path: str) -> Route:
    match = _VERTEX.match(path)
    if match:
        return Route(
            "vertex",
            match["version"],
            match["project"] or "",
            match["location"] or "",
            match["publisher"],
            match["model"],
            match["method"],
        )
    match = _GEMINI.match(path)
    if match:
        return Route("gemini-api", match["version"], "", "", "google", match["model"], match["method"])
    raise ApiError(404, "Method not found.")


def _fault_reply(fault: faults.FaultSpec, route: Route) -> Reply:
    if fault.kind == "502":
        return Reply(502, [("Content-Type", "text/html; charset=UTF-8")], [faults.BAD_GATEWAY_HTML.encode()])
    if fault.kind == "429":
        retry = fault.retry_after_s if fault.retry_after_s is not None else 1
        error = ApiError(429, errors.RESOURCE_EXHAUSTED, headers=[("Retry-After", f"{retry:g}")])
    elif fault.kind == "429-retryinfo":
        error = errors.quota_exceeded("gemini-api", route.model, fault.retry_after_s or 1)
    elif fault.kind == "401":
        error = ApiError(
            401,
            errors.INVALID_CREDENTIALS,
            details=[errors.error_info("ACCESS_TOKEN_EXPIRED", errors.VERTEX_SERVICE)],
        )
    else:
        message = {"500": errors.INTERNAL, "503": errors.OVERLOADED, "504": errors.DEADLINE}[fault.kind]
        extra = [("Retry-After", f"{fault.retry_after_s:g}")] if fault.retry_after_s is not None else []
        error = ApiError(int(fault.kind), message, headers=extra)
    return error_reply(error)


def _after_fault(fault: faults.FaultSpec, reply: Reply) -> Reply:
    chunks = list(reply.chunks)
    streaming = any(v.startswith("text/event-stream") for k, v in reply.headers if k.lower() == "content-type")
    if fault.kind == "midstream":
        if not streaming:
            return reply
        bare = json.dumps(
            errors.envelope(
                499, errors.CANCELLED, "CANCELLED", [errors.debug_info("[ORIGINAL ERROR] generic::cancelled: ")]
            ),
            indent=2,
        ).encode()
        return Reply(200, reply.headers, [*chunks[:2], bare + b"\n"])
    if fault.kind == "malformed":
        if streaming:
            return Reply(200, reply.headers, [chunks[0][: max(8, len(chunks[0]) // 2)] + SSE_TERMINATOR])
        data = b"".join(chunks)
        return Reply(200, reply.headers, [data[: max(1, len(data) // 2)]])
    # drop: announce the full length, send part of it, then cut the connection
    data = b"".join(chunks)
    cut = len(chunks[0]) if streaming and len(chunks) > 1 else len(data) // 2
    headers = [*reply.headers, ("Content-Length", str(len(data)))]
    return Reply(reply.status, headers, _dropping(data[:cut]))


def _dropping(prefix: bytes) -> Iterator[bytes]:
    yield prefix
    raise DropConnection("fault: connection dropped mid-body")
