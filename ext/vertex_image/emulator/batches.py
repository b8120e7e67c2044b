"""Batches in the emulator: Gemini API Batch Mode, the Files API, Vertex batch prediction, a Cloud Storage folder.

Shapes from MODELS-2026-11.md §5 and what google-genai 3.6.1 sends and reads:

- ``POST /v1beta/models/{m}:batchGenerateContent`` ``{"batch": {displayName, inputConfig: {requests: {requests:
  [{request, metadata: {key}}]}} | {fileName: "files/ID"}}}`` answers an operation ``{name: "batches/ID",
  metadata: <the batch>}``; ``GET /v1beta/batches/ID`` the same operation (``done`` and ``response`` once it
  ended); ``GET /v1beta/batches`` ``{"operations": [...]}``; ``POST /v1beta/batches/ID:cancel``;
  ``DELETE /v1beta/batches/ID``.
- Files API: ``POST /upload/v1beta/files`` resumable (``x-goog-upload-protocol: resumable``, command ``start``
  answers ``x-goog-upload-url``; then ``upload, finalize`` to that URL) or multipart; ``GET /v1beta/files/ID``;
  ``GET /download/v1beta/files/ID:download?alt=media`` (and without ``/download``) gives the bytes.
- Vertex: ``POST /v1/projects/P/locations/L/batchPredictionJobs`` (``gcsSource`` JSONL of ``{"request": ...}``
  lines), ``GET`` one or the list, ``:cancel``, ``DELETE``; results in ``predictions.jsonl`` under
  ``outputInfo.gcsOutputDirectory``: each input line with ``response`` (or ``status``, the error text).
- Cloud Storage JSON API over a folder: ``POST /upload/storage/v1/b/B/o?uploadType=media&name=N``,
  ``GET /storage/v1/b/B/o/N?alt=media`` (bytes; without ``alt`` the object's metadata), ``GET
  /storage/v1/b/B/o?prefix=P`` (``items``).

Time: a job is PENDING for ``delay_s``, RUNNING for ``delay_s`` more, then ends; every row is answered when
the job ends. Trigger words: ``failrow`` in a row's prompt fails that row every time; ``failonce`` fails it
the first time that prompt is batched for that model (a retry of the row succeeds); ``expireme`` in the display name
makes the job EXPIRE instead of ending with results.
"""

from __future__ import annotations

import base64
import datetime
import email.parser
import email.policy
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import errors
from .errors import ApiError
from .wire import has_word

Answer = Callable[[str, str, str, dict[str, Any]], dict[str, Any]]  # (dialect, version, model, body) -> response

BATCH_CREATE = re.compile(r"^/(?P<version>v1beta|v1)/models/(?P<model>[^/:]+):batchGenerateContent$")
BATCH_ONE = re.compile(r"^/(?P<version>v1beta|v1)/batches/(?P<id>[^/:]+)(?::(?P<verb>cancel))?$")
BATCH_LIST = re.compile(r"^/(?P<version>v1beta|v1)/batches/?$")
UPLOAD = re.compile(r"^/upload/(?P<version>v1beta|v1)/files/?$")
FILE_ONE = re.compile(r"^/(?:download/)?(?P<version>v1beta|v1)/files/(?P<id>[^/:]+)(?::(?P<verb>download))?$")
VERTEX_JOBS = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/batchPredictionJobs"
    r"(?:/(?P<id>[^/:]+))?(?::(?P<verb>cancel))?/?$"
)
GCS_UPLOAD = re.compile(r"^/upload/storage/v1/b/(?P<bucket>[^/]+)/o/?$")
GCS_OBJECT = re.compile(r"^/storage/v1/b/(?P<bucket>[^/]+)/o(?:/(?P<name>.+))?$")

GEMINI_STATES = {"pending": "BATCH_STATE_PENDING", "running": "BATCH_STATE_RUNNING", "succeeded":
                 "BATCH_STATE_SUCCEEDED", "cancelled": "BATCH_STATE_CANCELLED", "expired": "BATCH_STATE_EXPIRED",
                 "failed": "BATCH_STATE_FAILED"}  # fmt: skip
VERTEX_STATES = {"pending": "JOB_STATE_PENDING", "running": "JOB_STATE_RUNNING", "succeeded": "JOB_STATE_SUCCEEDED",
                 "cancelled": "JOB_STATE_CANCELLED", "expired": "JOB_STATE_EXPIRED", "failed": "JOB_STATE_FAILED"}  # fmt: skip
TERMINAL = ("succeeded", "cancelled", "expired", "failed")
GRPC_CODES = {"INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
              "FAILED_PRECONDITION": 9, "INTERNAL": 13, "UNAVAILABLE": 14, "UNIMPLEMENTED": 12}  # fmt: skip
FAIL_ALWAYS = "failrow"
FAIL_ONCE = "failonce"
EXPIRE = "expireme"
ROW_ERROR = "Internal error encountered while processing this request."
BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"


@dataclass
class Job:
    """One batch job of either surface."""

    id: str
    surface: str  # "gemini-api" | "vertex"
    model: str
    version: str
    display_name: str
    rows: list[dict[str, Any]]  # Gemini: {"key", "request", "metadata"}; Vertex: the input lines
    created: float
    from_file: bool = False
    project: str = ""
    location: str = ""
    output_prefix: str = ""
    input_config: dict[str, Any] = field(default_factory=dict)
    state: str = "pending"
    ended: float | None = None
    results: list[dict[str, Any]] | None = None
    output_file: str = ""
    output_dir: str = ""
    succeeded: int = 0
    failed: int = 0


def _stamp(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _count(value: int) -> str:
    return str(value)  # int64 fields are JSON strings


class BatchEngine:
    """The batch jobs, files and Cloud Storage objects of one emulator; thread-safe.

    Args:
        answer: how one ``generateContent`` body is answered (the app's handler); raises ``ApiError``.
        delay_s: how long a job stays PENDING, then RUNNING.
        storage_dir: the folder behind the Cloud Storage JSON API (``{bucket}/{object name}``).
        clock: wall-clock seconds.
    """

    def __init__(self, answer: Answer, *, delay_s: float, storage_dir: Path, clock: Callable[[], float] = time.time):
        self.answer = answer
        self.delay_s = delay_s
        self.storage_dir = storage_dir
        self._clock = clock
        self._lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.file_bytes: dict[str, bytes] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._seen_once: set[str] = set()

    # routing --------------------------------------------------------------------------------------
    @staticmethod
    def handles(path: str) -> bool:
        return any(p.match(path) for p in (BATCH_CREATE, BATCH_ONE, BATCH_LIST, UPLOAD, FILE_ONE, VERTEX_JOBS,
                                           GCS_UPLOAD, GCS_OBJECT))  # fmt: skip

    @staticmethod
    def surface(path: str) -> str:
        """Which surface's credentials a path needs."""
        if any(p.match(path) for p in (BATCH_CREATE, BATCH_ONE, BATCH_LIST, UPLOAD, FILE_ONE)):
            return "gemini-api"
        return "vertex"

    def serve(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes,
              host: str) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        """Answer one request: (status, headers, body)."""
        with self._lock:
            if match := BATCH_CREATE.match(path):
                self._allow(method, "POST", path)
                return _json(self.create_gemini(match["model"], match["version"], _body(raw)))
            if match := BATCH_LIST.match(path):
                self._allow(method, "GET", path)
                return _json({"operations": [self._operation(job) for job in self._listed("gemini-api")]})
            if match := BATCH_ONE.match(path):
                job = self._job(match["id"], "gemini-api", f"batches/{match['id']}")
                if match["verb"] == "cancel":
                    self._allow(method, "POST", path)
                    self._cancel(job)
                    return _json({})
                if method == "DELETE":
                    del self.jobs[job.id]
                    return _json({})
                self._allow(method, "GET", path)
                return _json(self._operation(job))
            if UPLOAD.match(path):
                self._allow(method, "POST", path)
                return self._upload(query, headers, raw, host)
            if match := FILE_ONE.match(path):
                self._allow(method, "GET", path)
                name = f"files/{match['id']}"
                if name not in self.files:
                    raise ApiError(404, f"File {name} not found.", status="NOT_FOUND")
                if match["verb"] == "download" or query.get("alt") == "media":
                    return 200, [("Content-Type", self.files[name]["mimeType"])], self.file_bytes[name]
                return _json(self.files[name])
            if match := VERTEX_JOBS.match(path):
                return self._vertex(method, match, raw)
            if match := GCS_UPLOAD.match(path):
                self._allow(method, "POST", path)
                name = query.get("name", "")
                if not name:
                    raise errors.invalid("Required parameter: name")
                return _json(self._put_object(match["bucket"], name, raw, headers.get("content-type", "")))
            if match := GCS_OBJECT.match(path):
                self._allow(method, "GET", path)
                return self._get_objects(match["bucket"], match["name"], query)
        raise ApiError(404, "Method not found.")

    @staticmethod
    def _allow(method: str, allowed: str, path: str) -> None:
        if method != allowed:
            raise ApiError(405, f"HTTP method {method} is not allowed on {path}; use {allowed}.",
                           headers=[("Allow", allowed)])  # fmt: skip

    # Gemini API batches --------------------------------------------------------------------------
    def create_gemini(self, model: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        batch = body.get("batch")
        if not isinstance(batch, dict):
            raise errors.invalid("Invalid JSON payload received. 'batch' is required.", field="batch")
        config = batch.get("inputConfig") or batch.get("input_config") or {}
        rows: list[dict[str, Any]] = []
        from_file = False
        inline = (config.get("requests") or {}).get("requests") if isinstance(config.get("requests"), dict) else None
        file_name = config.get("fileName") or config.get("file_name")
        if inline is not None:
            for number, item in enumerate(inline):
                if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
                    raise errors.invalid(f"inputConfig.requests.requests[{number}].request is required.")
                metadata = item.get("metadata") or {}
                rows.append({"key": str(metadata.get("key", number)), "request": item["request"], "metadata": metadata})
        elif file_name:
            data = self.file_bytes.get(str(file_name))
            if data is None:
                raise ApiError(404, f"File {file_name} not found.", status="NOT_FOUND")
            from_file = True
            for number, line in enumerate(data.decode("utf-8").splitlines()):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError:
                    raise errors.invalid(f"{file_name} line {number + 1} is not JSON.") from None
                rows.append({"key": str(item.get("key", number)), "request": item.get("request") or {}})
        else:
            raise errors.invalid("Batch input must set inputConfig.requests or inputConfig.fileName.")
        if not rows:
            raise errors.invalid("The batch has no requests.")
        job_id = secrets.token_hex(8)
        job = Job(job_id, "gemini-api", model, version, str(batch.get("displayName") or ""), rows, self._clock(),
                  from_file=from_file)  # fmt: skip
        self.jobs[job_id] = job
        return self._operation(job)

    def _operation(self, job: Job) -> dict[str, Any]:
        self._advance(job)
        resource = self._gemini_resource(job)
        operation: dict[str, Any] = {"name": f"batches/{job.id}", "metadata": resource}
        if job.state in TERMINAL:
            operation["done"] = True
            operation["response"] = {"@type": OUTPUT_TYPE, **resource.get("output", {})}
        return operation

    def _gemini_resource(self, job: Job) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "@type": BATCH_TYPE,
            "name": f"batches/{job.id}",
            "displayName": job.display_name,
            "model": f"models/{job.model}",
            "state": GEMINI_STATES[job.state],
            "createTime": _stamp(job.created),
            "updateTime": _stamp(job.ended or self._clock()),
            "batchStats": self._stats(job),
        }
        if job.ended is not None:
            resource["endTime"] = _stamp(job.ended)
        if job.state == "succeeded" and job.results is not None:
            if job.from_file:
                resource["output"] = {"responsesFile": job.output_file}
            else:
                resource["output"] = {"inlinedResponses": {"inlinedResponses": job.results}}
        return resource

    def _stats(self, job: Job) -> dict[str, str]:
        total = len(job.rows)
        if job.state == "succeeded":
            return {"requestCount": _count(total), "successfulRequestCount": _count(job.succeeded),
                    "failedRequestCount": _count(job.failed), "pendingRequestCount": "0"}  # fmt: skip
        return {"requestCount": _count(total), "pendingRequestCount": _count(total if job.state in ("pending",
                "running") else 0)}  # fmt: skip

    def _listed(self, surface: str) -> list[Job]:
        return sorted((job for job in self.jobs.values() if job.surface == surface), key=lambda job: -job.created)

    def _job(self, job_id: str, surface: str, name: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.surface != surface:
            raise ApiError(404, f"Batch {name} not found." if surface == "gemini-api" else
                           f"The BatchPredictionJob does not exist: {name}", status="NOT_FOUND")  # fmt: skip
        return job

    def _cancel(self, job: Job) -> None:
        self._advance(job)
        if job.state in TERMINAL:
            raise ApiError(400, f"Batch is already in a terminal state: {job.state.upper()}.",
                           status="FAILED_PRECONDITION")  # fmt: skip
        job.state, job.ended = "cancelled", self._clock()

    # time -----------------------------------------------------------------------------------------
    def _advance(self, job: Job) -> None:
        if job.state in TERMINAL:
            return
        elapsed = self._clock() - job.created
        if elapsed < self.delay_s:
            job.state = "pending"
            return
        if elapsed < 2 * self.delay_s:
            job.state = "running"
            return
        job.ended = job.created + 2 * self.delay_s
        if has_word(job.display_name, EXPIRE):
            job.state = "expired"
            return
        self._run(job)
        job.state = "succeeded"

    def _run(self, job: Job) -> None:
        results = []
        for row in job.rows:
            request = row["request"]
            outcome = self._answer_row(job, request)
            if job.surface == "gemini-api":
                item: dict[str, Any] = dict(outcome)
                if job.from_file:
                    item = {"key": row["key"], **outcome}
                else:
                    item["metadata"] = row.get("metadata") or {"key": row["key"]}
            else:
                item = dict(row)
                item["processed_time"] = _stamp(self._clock())
                if "response" in outcome:
                    item["response"], item["status"] = outcome["response"], ""
                else:
                    item["status"] = outcome["error"]["message"]
            results.append(item)
            if "response" in outcome:
                job.succeeded += 1
            else:
                job.failed += 1
        job.results = results
        lines = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in results).encode("utf-8")
        if job.surface == "gemini-api" and job.from_file:
            job.output_file = self._add_file(lines, "application/jsonl", f"batch-{job.id}-responses", source="GENERATED")
        elif job.surface == "vertex":
            bucket, prefix = _split_gs(job.output_prefix)
            folder = f"{prefix.rstrip('/')}/prediction-model-{job.id}" if prefix else f"prediction-model-{job.id}"
            self._put_object(bucket, f"{folder}/predictions.jsonl", lines, "application/jsonl")
            job.output_dir = f"gs://{bucket}/{folder}"

    def _answer_row(self, job: Job, request: dict[str, Any]) -> dict[str, Any]:
        text = _prompt_text(request)
        canonical = hashlib.sha256(json.dumps([job.model, text]).encode()).hexdigest()  # the row, whatever its labels
        if has_word(text, FAIL_ALWAYS) or (has_word(text, FAIL_ONCE) and canonical not in self._seen_once):
            self._seen_once.add(canonical)
            return {"error": {"code": 13, "message": ROW_ERROR, "status": "INTERNAL"}}
        try:
            return {"response": self.answer(job.surface, job.version, job.model, request)}
        except ApiError as exc:
            return {"error": {"code": GRPC_CODES.get(exc.status, 2), "message": exc.message, "status": exc.status}}

    # Files API ------------------------------------------------------------------------------------
    def _add_file(self, data: bytes, mime: str, display: str, source: str = "UPLOADED") -> str:
        name = f"files/{secrets.token_hex(6)}"
        now = _stamp(self._clock())
        self.files[name] = {"name": name, "displayName": display, "mimeType": mime, "sizeBytes": _count(len(data)),
                            "createTime": now, "updateTime": now, "sha256Hash": base64.b64encode(
                                hashlib.sha256(data).digest()).decode(), "uri": f"https://emulator/v1beta/{name}",
                            "state": "ACTIVE", "source": source}  # fmt: skip
        if source == "GENERATED":
            self.files[name]["downloadUri"] = f"https://emulator/download/v1beta/{name}:download?alt=media"
        self.file_bytes[name] = data
        return name

    def _upload(self, query: dict[str, str], headers: dict[str, str], raw: bytes,
                host: str) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        protocol = headers.get("x-goog-upload-protocol", "").lower() or query.get("uploadType", "").lower()
        command = headers.get("x-goog-upload-command", "").lower()
        if query.get("upload_id"):
            upload = self._uploads.get(query["upload_id"])
            if upload is None:
                raise ApiError(404, "Upload session not found.", status="NOT_FOUND")
            offset = int(headers.get("x-goog-upload-offset") or 0)
            if offset != len(upload["data"]):
                raise errors.invalid(f"Upload offset {offset} does not match the {len(upload['data'])} bytes received.")
            upload["data"] += raw
            if "finalize" not in command:
                return 200, [("x-goog-upload-status", "active")], b""
            del self._uploads[query["upload_id"]]
            meta = upload["meta"]
            name = self._add_file(bytes(upload["data"]), meta.get("mimeType") or "application/octet-stream",
                                  meta.get("displayName") or "")  # fmt: skip
            body = json.dumps({"file": self.files[name]}).encode()
            return 200, [("Content-Type", "application/json"), ("x-goog-upload-status", "final")], body
        if protocol == "resumable":
            if "start" not in command:
                raise errors.invalid("A resumable upload starts with x-goog-upload-command: start.")
            meta = (_body(raw).get("file") or {}) if raw.strip() else {}
            upload_id = secrets.token_hex(8)
            self._uploads[upload_id] = {"meta": meta, "data": bytearray()}
            url = f"http://{host}/upload/v1beta/files?upload_id={upload_id}&upload_protocol=resumable"
            return 200, [("Content-Type", "application/json"), ("x-goog-upload-url", url),
                         ("x-goog-upload-status", "active")], b"{}"  # fmt: skip
        if protocol == "multipart":
            meta, data, mime = _multipart(headers.get("content-type", ""), raw)
            name = self._add_file(data, (meta.get("file") or {}).get("mimeType") or mime,
                                  (meta.get("file") or {}).get("displayName") or "")  # fmt: skip
            return _json({"file": self.files[name]})
        raise errors.invalid("Uploads use x-goog-upload-protocol: resumable, or uploadType=multipart.")

    # Vertex batch prediction ---------------------------------------------------------------------
    def _vertex(self, method: str, match: re.Match[str], raw: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        parent = f"projects/{match['project']}/locations/{match['location']}"
        if match["id"] is None:
            if method == "GET":
                jobs = [job for job in self._listed("vertex") if job.project == match["project"]]
                return _json({"batchPredictionJobs": [self._vertex_resource(job) for job in jobs]})
            self._allow(method, "POST", "batchPredictionJobs")
            return _json(self.create_vertex(match["project"], match["location"], match["version"], _body(raw)))
        job = self._job(match["id"], "vertex", f"{parent}/batchPredictionJobs/{match['id']}")
        if match["verb"] == "cancel":
            self._allow(method, "POST", "batchPredictionJobs:cancel")
            self._cancel(job)
            return _json({})
        if method == "DELETE":
            del self.jobs[job.id]
            return _json({"name": f"{parent}/operations/{secrets.token_hex(6)}", "done": True})
        self._allow(method, "GET", "batchPredictionJobs")
        return _json(self._vertex_resource(job))

    def create_vertex(self, project: str, location: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model") or "")
        found = re.match(r"^(?:projects/[^/]+/locations/[^/]+/)?publishers/google/models/([^/]+)$", model)
        if not found:
            raise errors.invalid("model must be publishers/google/models/MODEL.", field="model")
        source = ((body.get("inputConfig") or {}).get("gcsSource") or {}).get("uris") or []
        prefix = (((body.get("outputConfig") or {}).get("gcsDestination") or {}).get("outputUriPrefix")) or ""
        if not source or not prefix:
            raise errors.invalid("inputConfig.gcsSource.uris and outputConfig.gcsDestination.outputUriPrefix are "
                                 "required (BigQuery is not emulated).")  # fmt: skip
        rows = []
        for uri in source:
            bucket, name = _split_gs(str(uri))
            path = self._object_path(bucket, name)
            if not path.is_file():
                raise errors.invalid(f"Input file {uri} does not exist or is not readable.")
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    if not isinstance(item.get("request"), dict):
                        raise errors.invalid(f"Each line of {uri} needs a 'request' object.")
                    rows.append(item)
        job_id = str(int(self._clock() * 1000) % 10**12) + secrets.token_hex(2)
        job = Job(job_id, "vertex", found.group(1), version, str(body.get("displayName") or ""), rows, self._clock(),
                  project=project, location=location, output_prefix=prefix,
                  input_config=dict(body.get("inputConfig") or {}))  # fmt: skip
        self.jobs[job_id] = job
        return self._vertex_resource(job)

    def _vertex_resource(self, job: Job) -> dict[str, Any]:
        self._advance(job)
        resource: dict[str, Any] = {
            "name": f"projects/{job.project}/locations/{job.location}/batchPredictionJobs/{job.id}",
            "displayName": job.display_name,
            "model": f"publishers/google/models/{job.model}",
            "inputConfig": job.input_config,
            "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": job.output_prefix}},
            "state": VERTEX_STATES[job.state],
            "createTime": _stamp(job.created),
            "updateTime": _stamp(job.ended or self._clock()),
        }
        if job.state in ("running", *TERMINAL):
            resource["startTime"] = _stamp(job.created + self.delay_s)
        if job.ended is not None:
            resource["endTime"] = _stamp(job.ended)
        if job.state == "succeeded":
            resource["outputInfo"] = {"gcsOutputDirectory": job.output_dir}
            resource["completionStats"] = {"successfulCount": _count(job.succeeded),
                                           "failedCount": _count(job.failed), "incompleteCount": "0"}  # fmt: skip
        return resource

    # Cloud Storage ---------------------------------------------------------------------------------
    def _object_path(self, bucket: str, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,220}", bucket) or not name or ".." in name.split("/"):
            raise errors.invalid(f"Invalid bucket or object name: {bucket}/{name}")
        return self.storage_dir / bucket / name

    def _put_object(self, bucket: str, name: str, data: bytes, mime: str) -> dict[str, Any]:
        path = self._object_path(bucket, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self._object(bucket, name, path, mime)

    @staticmethod
    def _object(bucket: str, name: str, path: Path, mime: str = "") -> dict[str, Any]:
        return {"kind": "storage#object", "bucket": bucket, "name": name, "size": _count(path.stat().st_size),
                "contentType": mime or "application/octet-stream", "id": f"{bucket}/{name}",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{quote(name, safe='')}"}  # fmt: skip

    def _get_objects(self, bucket: str, name: str | None,
                     query: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        if name:
            path = self._object_path(bucket, name)
            if not path.is_file():
                raise ApiError(404, f"No such object: {bucket}/{name}", status="NOT_FOUND")
            if query.get("alt") == "media":
                return 200, [("Content-Type", "application/octet-stream")], path.read_bytes()
            return _json(self._object(bucket, name, path))
        root = self.storage_dir / bucket
        prefix = query.get("prefix", "")
        items = []
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root).as_posix()
                if path.is_file() and relative.startswith(prefix):
                    items.append(self._object(bucket, relative, path))
        return _json({"kind": "storage#objects", "items": items})


def _split_gs(uri: str) -> tuple[str, str]:
    if not uri.startswith("gs://"):
        raise errors.invalid(f"{uri} is not a gs:// URI.")
    bucket, _, name = uri[5:].partition("/")
    return bucket, name


def _prompt_text(request: dict[str, Any]) -> str:
    texts = []
    for content in request.get("contents") or []:
        for part in (content or {}).get("parts") or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return " ".join(texts)


def _body(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        raise errors.invalid("Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(value, dict):
        raise errors.invalid("Invalid JSON payload received. Root element must be a message.")
    return value


def _json(value: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return 200, [("Content-Type", "application/json; charset=UTF-8")], json.dumps(value, indent=2).encode()


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], bytes, str]:
    """The JSON metadata part and the media part of a ``multipart/related`` body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise errors.invalid("A multipart upload has two parts: the JSON metadata, then the file.")
    meta_raw = parts[0].get_payload(decode=True) or b"{}"
    data = parts[1].get_payload(decode=True) or b""
    return _body(meta_raw), data, parts[1].get_content_type()


__all__ = ["EXPIRE", "FAIL_ALWAYS", "FAIL_ONCE", "BatchEngine", "Job"]
