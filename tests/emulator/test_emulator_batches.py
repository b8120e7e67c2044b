"""The emulator's batches: google-genai's client.batches (inline and file) polled to success, the Files API,
per-row failures, expired and cancelled jobs, Vertex batchPredictionJobs over the Cloud Storage folder."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from vertex_image.emulator import Emulator

MODEL = "gemini-nano-banana-2.1"


@pytest.fixture(scope="module")
def batch_em(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(batch_delay_s=0.15, storage_dir=str(tmp_path_factory.mktemp("gcs"))) as em:
        yield em


def _request(text: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], "generationConfig": {"responseModalities": ["IMAGE"]}}


def _genai(em: Emulator) -> Any:
    from google import genai
    from google.genai import types

    return genai.Client(api_key="any-key", http_options=types.HttpOptions(base_url=em.base_url))


def _poll(get: Any, name: str) -> Any:
    deadline = time.monotonic() + 10
    job = get(name=name)
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.05)
        job = get(name=name)
    return job


def test_google_genai_inline_batch_polled_to_success_with_a_failed_row(batch_em: Emulator) -> None:
    client = _genai(batch_em)
    source = [
        {"contents": [{"role": "user", "parts": [{"text": "a red fox"}]}], "config": {"response_modalities": ["IMAGE"]}},
        {"contents": [{"role": "user", "parts": [{"text": "failrow a blue owl"}]}]},
    ]
    job = client.batches.create(model=MODEL, src=source, config={"display_name": "two rows"})
    assert job.name.startswith("batches/") and job.state.name == "JOB_STATE_PENDING"
    job = _poll(client.batches.get, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    first, second = job.dest.inlined_responses
    image = first.response.candidates[0].content.parts[-1].inline_data
    assert image.mime_type == "image/jpeg" and image.data[:2] == b"\xff\xd8"
    assert second.response is None and second.error.code == 13
    assert job.name in [listed.name for listed in client.batches.list()]


def test_google_genai_file_batch_uploads_then_downloads_the_responses_file(batch_em: Emulator) -> None:
    client = _genai(batch_em)
    lines = "".join(json.dumps({"key": f"k{i}", "request": _request(f"cat {i}")}) + "\n" for i in range(3))
    uploaded = client.files.upload(file=io.BytesIO(lines.encode()), config={"mime_type": "application/jsonl"})
    assert uploaded.name.startswith("files/") and uploaded.size_bytes == len(lines.encode())
    job = _poll(client.batches.get, client.batches.create(model=MODEL, src=uploaded.name).name)
    assert job.state.name == "JOB_STATE_SUCCEEDED" and job.dest.file_name.startswith("files/")
    answers = [json.loads(line) for line in client.files.download(file=job.dest.file_name).decode().splitlines()]
    assert [answer["key"] for answer in answers] == ["k0", "k1", "k2"]
    assert all(answer["response"]["candidates"][0]["finishReason"] == "STOP" for answer in answers)


def test_states_move_over_time_and_cancel_expire_delete(batch_em: Emulator) -> None:
    headers = {"x-goog-api-key": "k"}
    with httpx.Client(base_url=batch_em.base_url, headers=headers) as http:
        body = {"batch": {"displayName": "slow", "inputConfig": {"requests": {"requests": [
            {"request": _request("an otter"), "metadata": {"key": "o"}}]}}}}
        created = http.post(f"/v1beta/models/{MODEL}:batchGenerateContent", json=body).json()
        name = created["name"]
        assert created["metadata"]["state"] == "BATCH_STATE_PENDING" and "done" not in created
        time.sleep(0.2)
        assert http.get(f"/v1beta/{name}").json()["metadata"]["state"] == "BATCH_STATE_RUNNING"
        assert http.post(f"/v1beta/{name}:cancel").status_code == 200
        cancelled = http.get(f"/v1beta/{name}").json()
        assert cancelled["metadata"]["state"] == "BATCH_STATE_CANCELLED" and cancelled["done"] is True
        assert "output" not in cancelled["metadata"]
        assert http.post(f"/v1beta/{name}:cancel").status_code == 400  # already ended
        body["batch"]["displayName"] = "expireme please"
        expiring = http.post(f"/v1beta/models/{MODEL}:batchGenerateContent", json=body).json()["name"]
        time.sleep(0.35)
        assert http.get(f"/v1beta/{expiring}").json()["metadata"]["state"] == "BATCH_STATE_EXPIRED"
        assert http.delete(f"/v1beta/{expiring}").status_code == 200
        assert http.get(f"/v1beta/{expiring}").status_code == 404
        assert httpx.get(f"{batch_em.base_url}/v1beta/batches").status_code == 403  # no key


def test_failonce_fails_the_first_time_only(batch_em: Emulator) -> None:
    with httpx.Client(base_url=batch_em.base_url, headers={"x-goog-api-key": "k"}) as http:
        body = {"batch": {"inputConfig": {"requests": {"requests": [{"request": _request("failonce a lynx"),
                                                                     "metadata": {"key": "lynx"}}]}}}}
        states = []
        for _ in range(2):
            name = http.post(f"/v1beta/models/{MODEL}:batchGenerateContent", json=body).json()["name"]
            time.sleep(0.35)
            batch = http.get(f"/v1beta/{name}").json()["metadata"]
            (only,) = batch["output"]["inlinedResponses"]["inlinedResponses"]
            assert only["metadata"] == {"key": "lynx"}
            states.append(("error" in only, batch["batchStats"]["failedRequestCount"]))
        assert states == [(True, "1"), (False, "0")]


def test_multipart_upload(batch_em: Emulator) -> None:
    boundary = "xyz"
    body = (f"--{boundary}\r\nContent-Type: application/json\r\n\r\n" + json.dumps({"file": {"displayName": "m"}})
            + f"\r\n--{boundary}\r\nContent-Type: application/jsonl\r\n\r\nhello\r\n--{boundary}--\r\n").encode()
    answer = httpx.post(f"{batch_em.base_url}/upload/v1beta/files?uploadType=multipart", content=body,
                        headers={"x-goog-api-key": "k", "content-type": f"multipart/related; boundary={boundary}"})
    file = answer.json()["file"]
    assert file["displayName"] == "m" and file["sizeBytes"] == "5"
    got = httpx.get(f"{batch_em.base_url}/download/v1beta/{file['name']}:download?alt=media", headers={"x-goog-api-key": "k"})
    assert got.content == b"hello"


def test_vertex_batch_prediction_over_the_storage_folder(batch_em: Emulator) -> None:
    auth = {"authorization": "Bearer token"}
    lines = "".join(json.dumps({"request": {**_request(text), "labels": {"row": str(i)}}}) + "\n"
                    for i, text in enumerate(["a heron", "failrow a crane"]))
    with httpx.Client(base_url=batch_em.base_url, headers=auth) as http:
        put = http.post("/upload/storage/v1/b/my-bucket/o", params={"uploadType": "media", "name": "in/rows.jsonl"},
                        content=lines.encode())
        assert put.json()["name"] == "in/rows.jsonl"
        parent = "/v1/projects/p/locations/us-central1/batchPredictionJobs"
        job = http.post(parent, json={
            "displayName": "v", "model": f"publishers/google/models/{MODEL}",
            "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://my-bucket/in/rows.jsonl"]}},
            "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": "gs://my-bucket/out"}},
        }).json()
        assert job["state"] == "JOB_STATE_PENDING"
        job_id = job["name"].rsplit("/", 1)[1]
        time.sleep(0.35)
        job = http.get(f"{parent}/{job_id}").json()
        assert job["state"] == "JOB_STATE_SUCCEEDED"
        assert job["completionStats"] == {"successfulCount": "1", "failedCount": "1", "incompleteCount": "0"}
        folder = job["outputInfo"]["gcsOutputDirectory"]
        assert folder.startswith("gs://my-bucket/out/prediction-model-")
        listed = http.get("/storage/v1/b/my-bucket/o", params={"prefix": folder[len("gs://my-bucket/"):]}).json()
        (item,) = listed["items"]
        text = http.get(f"/storage/v1/b/my-bucket/o/{item['name']}", params={"alt": "media"}).text
        ok, failed = (json.loads(line) for line in text.splitlines())
        assert ok["request"]["labels"] == {"row": "0"} and ok["status"] == "" and ok["response"]["candidates"]
        assert failed["status"] and "response" not in failed
        assert job["name"] in [j["name"] for j in http.get(parent).json()["batchPredictionJobs"]]
        assert httpx.get(f"{batch_em.base_url}{parent}").status_code == 401  # no credentials
