"""Batch jobs on the wire (MODELS-2026-11 §5): Gemini API Batch Mode and Vertex batch prediction. No I/O.

Builds the create bodies and JSONL lines from ``(key, GenerateContentRequest)`` pairs, and reads a job's
status and its per-row results (each mapped back to its key) into plain values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..base.errors import ResponseFormatError

INLINE_LIMIT = 20 * 1024 * 1024  # the Gemini API's inline batch limit, in bytes of the whole request
ROW_LABEL = "vertex_image_row"  # Vertex: the row's number rides in the request's labels (results are unordered)
STATES = ("pending", "running", "succeeded", "failed", "cancelled", "expired")
TERMINAL = ("succeeded", "failed", "cancelled", "expired")


@dataclass(frozen=True)
class JobStatus:
    """A job as the service reports it: state (one of ``STATES``), counts, where the results are."""

    name: str
    state: str
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    responses_file: str = ""
    inline: tuple[Mapping[str, Any], ...] = ()
    output_dir: str = ""
    error: str = ""
    raw_state: str = ""

    @property
    def done(self) -> bool:
        return self.state in TERMINAL


@dataclass(frozen=True)
class RowOutcome:
    """One row's answer: its key and the ``GenerateContentResponse``, or the error the service gave."""

    key: str
    response: Mapping[str, Any] | None = None
    error: str = ""
    code: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def gemini_inline_body(display_name: str, requests: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """``batchGenerateContent`` with the requests inline, each with ``metadata.key``."""
    items = [{"request": dict(body), "metadata": {"key": key}} for key, body in requests]
    return {"batch": {"displayName": display_name, "inputConfig": {"requests": {"requests": items}}}}


def gemini_file_body(display_name: str, file_name: str) -> dict[str, Any]:
    """``batchGenerateContent`` reading an uploaded JSONL file (``files/ID``)."""
    return {"batch": {"displayName": display_name, "inputConfig": {"fileName": file_name}}}


def gemini_jsonl(requests: Iterable[tuple[str, Mapping[str, Any]]]) -> bytes:
    """The Gemini API input file: one ``{"key", "request"}`` per line."""
    return b"".join(encoded({"key": key, "request": dict(body)}) + b"\n" for key, body in requests)


def vertex_jsonl(requests: Iterable[Mapping[str, Any]]) -> bytes:
    """The Vertex input file: one ``{"request": ...}`` per line (the row number in ``labels``)."""
    return b"".join(encoded({"request": dict(body)}) + b"\n" for body in requests)


def vertex_job_body(display_name: str, model: str, input_uri: str, output_prefix: str) -> dict[str, Any]:
    """``batchPredictionJobs`` create body: JSONL in and out of Cloud Storage."""
    return {
        "displayName": display_name,
        "model": f"publishers/google/models/{model}",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [input_uri]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": output_prefix}},
    }


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _state(raw: str, prefix: str) -> str:
    word = raw[len(prefix):].lower() if raw.startswith(prefix) else ""
    if word in ("queued", "unspecified", "paused", "updating"):
        return "pending"
    if word == "cancelling":
        return "running"
    if word == "partially_succeeded":
        return "succeeded"
    if word not in STATES:
        raise ResponseFormatError(f"The batch job reported an unknown state {raw!r}.")
    return word


def gemini_status(operation: Mapping[str, Any]) -> JobStatus:
    """A ``batches/ID`` operation (create, get, list item) as a ``JobStatus``."""
    batch = operation.get("metadata") if isinstance(operation.get("metadata"), Mapping) else operation
    if not isinstance(batch, Mapping) or not (batch.get("name") or operation.get("name")):
        raise ResponseFormatError("The batch answer has no name.")
    raw = str(batch.get("state") or "BATCH_STATE_PENDING")
    stats = batch.get("batchStats") or {}
    output = batch.get("output") or operation.get("response") or {}
    inline = ((output.get("inlinedResponses") or {}).get("inlinedResponses")) or []
    error = operation.get("error") or {}
    return JobStatus(
        name=str(batch.get("name") or operation.get("name")),
        state=_state(raw, "BATCH_STATE_"),
        total=_int(stats.get("requestCount")),
        succeeded=_int(stats.get("successfulRequestCount")),
        failed=_int(stats.get("failedRequestCount")),
        pending=_int(stats.get("pendingRequestCount")),
        responses_file=str(output.get("responsesFile") or ""),
        inline=tuple(inline),
        error=str(error.get("message") or ""),
        raw_state=raw,
    )


def vertex_status(job: Mapping[str, Any]) -> JobStatus:
    """A ``batchPredictionJobs`` resource as a ``JobStatus``."""
    if not job.get("name"):
        raise ResponseFormatError("The batch prediction job has no name.")
    raw = str(job.get("state") or "JOB_STATE_PENDING")
    stats = job.get("completionStats") or {}
    succeeded, failed, incomplete = (_int(stats.get(k)) for k in ("successfulCount", "failedCount", "incompleteCount"))
    return JobStatus(
        name=str(job["name"]),
        state=_state(raw, "JOB_STATE_"),
        total=succeeded + failed + incomplete,
        succeeded=succeeded,
        failed=failed,
        pending=incomplete,
        output_dir=str((job.get("outputInfo") or {}).get("gcsOutputDirectory") or ""),
        error=str((job.get("error") or {}).get("message") or ""),
        raw_state=raw,
    )


def gemini_outcomes(items: Iterable[Mapping[str, Any]]) -> list[RowOutcome]:
    """Inline responses (``metadata.key``) or responses-file lines (``key``) as outcomes."""
    found = []
    for item in items:
        key = str(item.get("key") or (item.get("metadata") or {}).get("key") or "")
        found.append(_outcome(key, item.get("response"), item.get("error")))
    return found


def parse_jsonl(data: bytes) -> list[dict[str, Any]]:
    """The objects of a JSONL file; a line that is not an object is a ``ResponseFormatError``."""
    items = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise ResponseFormatError(f"Line {number} of the batch results is not JSON.") from None
        if not isinstance(item, dict):
            raise ResponseFormatError(f"Line {number} of the batch results is not a JSON object.")
        items.append(item)
    return items


def vertex_outcomes(items: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[RowOutcome]:
    """Vertex prediction lines mapped back to ``keys`` by the row number in ``request.labels``."""
    found = []
    for item in items:
        labels = (item.get("request") or {}).get("labels") or {}
        number = _int(labels.get(ROW_LABEL, -1)) if str(labels.get(ROW_LABEL, "")).isdigit() else -1
        key = keys[number] if 0 <= number < len(keys) else ""
        status = item.get("status")
        error = {"message": status} if isinstance(status, str) and status else status if isinstance(status, dict) else None
        found.append(_outcome(key, item.get("response"), error))
    return found


def _outcome(key: str, response: Any, error: Any) -> RowOutcome:
    if isinstance(error, Mapping) and error:
        return RowOutcome(key, error=str(error.get("message") or "failed"), code=_int(error.get("code")) or None)
    if isinstance(response, Mapping):
        return RowOutcome(key, response=response)
    return RowOutcome(key, error="The batch gave this row neither a response nor an error.")


__all__ = ["INLINE_LIMIT", "ROW_LABEL", "STATES", "TERMINAL", "JobStatus", "RowOutcome", "encoded", "gemini_file_body",
           "gemini_inline_body", "gemini_jsonl", "gemini_outcomes", "gemini_status", "parse_jsonl",
           "vertex_job_body", "vertex_jsonl", "vertex_outcomes", "vertex_status"]  # fmt: skip
