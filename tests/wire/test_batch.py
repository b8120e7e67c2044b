"""wire/batch: create bodies, JSONL lines, job states and per-row outcomes mapped back by key."""

from __future__ import annotations

import json

import pytest
from vertex_image.base.errors import ResponseFormatError
from vertex_image.wire import batch


def test_inline_and_file_bodies_and_jsonl() -> None:
    body = batch.gemini_inline_body("n", [("k1", {"contents": []})])
    assert body == {"batch": {"displayName": "n", "inputConfig": {"requests": {"requests": [
        {"request": {"contents": []}, "metadata": {"key": "k1"}}]}}}}
    assert batch.gemini_file_body("n", "files/x")["batch"]["inputConfig"] == {"fileName": "files/x"}
    lines = batch.gemini_jsonl([("a", {"x": 1}), ("b", {"x": 2})]).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"key": "a", "request": {"x": 1}}, {"key": "b", "request": {"x": 2}}]
    assert json.loads(batch.vertex_jsonl([{"x": 1}])) == {"request": {"x": 1}}
    job = batch.vertex_job_body("n", "m", "gs://b/in.jsonl", "gs://b/out")
    assert job["model"] == "publishers/google/models/m" and job["inputConfig"]["gcsSource"]["uris"] == ["gs://b/in.jsonl"]


def test_states_and_counts_of_both_engines() -> None:
    status = batch.gemini_status({"name": "batches/1", "metadata": {"name": "batches/1", "state": "BATCH_STATE_SUCCEEDED",
                                  "batchStats": {"requestCount": "3", "successfulRequestCount": "2",
                                                 "failedRequestCount": "1"},
                                  "output": {"responsesFile": "files/r"}}})  # fmt: skip
    assert (status.state, status.total, status.succeeded, status.failed, status.responses_file, status.done) == (
        "succeeded", 3, 2, 1, "files/r", True)
    vertex = batch.vertex_status({"name": "projects/p/locations/l/batchPredictionJobs/9", "state": "JOB_STATE_QUEUED"})
    assert vertex.state == "pending" and not vertex.done
    with pytest.raises(ResponseFormatError, match="unknown state"):
        batch.vertex_status({"name": "x", "state": "JOB_STATE_DANCING"})
    with pytest.raises(ResponseFormatError):
        batch.gemini_status({"metadata": {}})


def test_outcomes_map_back_to_keys() -> None:
    inline = batch.gemini_outcomes([{"response": {"candidates": []}, "metadata": {"key": "a"}},
                                    {"error": {"code": 13, "message": "boom"}, "metadata": {"key": "b"}}])  # fmt: skip
    assert [(o.key, o.response is not None, o.error, o.code) for o in inline] == [("a", True, "", None),
                                                                               ("b", False, "boom", 13)]  # fmt: skip
    lines = [{"request": {"labels": {batch.ROW_LABEL: "1"}}, "response": {"candidates": []}, "status": ""},
             {"request": {"labels": {batch.ROW_LABEL: "0"}}, "status": "bad row"}]  # fmt: skip
    vertex = batch.vertex_outcomes(lines, ["first", "second"])
    assert [(o.key, o.error) for o in vertex] == [("second", ""), ("first", "bad row")]
    assert batch.parse_jsonl(b'{"a":1}\n\n{"b":2}\n') == [{"a": 1}, {"b": 2}]
    with pytest.raises(ResponseFormatError, match="Line 2"):
        batch.parse_jsonl(b'{"a":1}\nnot json\n')
