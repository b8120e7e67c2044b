"""Faults on demand: per-request header, constructor/CLI spec, fail-N-times-then-succeed.

The Imagen and Vertex gemini-2.5-flash-image paths answer on LEGACY_DAY only: requests carry that day.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    BEARER,
    GEMINI_API,
    KEY,
    LEGACY,
    LEGACY_DAY,
    VERTEX,
    VERTEX_GLOBAL,
    gemini,
    imagen,
    user,
)
from vertex_image.emulator import EmulatorApp
from vertex_image.emulator.faults import FaultSpec, parse

PREDICT = VERTEX + "imagen-4.0-fast-generate-001:predict"
GENERATE = GEMINI_API + "gemini-2.5-flash-image:generateContent"
STREAM = VERTEX_GLOBAL + "gemini-2.5-flash-image:streamGenerateContent?alt=sse"


def fault(spec: str, **extra: str) -> dict[str, str]:
    return {**BEARER, **LEGACY, "x-emulator-fault": spec, **extra}


def small() -> dict[str, Any]:
    return imagen("a fault test", sampleCount=1)


def test_429_has_retry_after_header(http: httpx.Client) -> None:
    response = http.post(PREDICT, json=small(), headers=fault("429"))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert http.post(PREDICT, json=small(), headers=fault("429;retry-after=3")).headers["retry-after"] == "3"


def test_429_retryinfo_carries_quota_failure_and_retry_delay(http: httpx.Client) -> None:
    response = http.post(
        GENERATE, json=gemini(user("x")), headers={**KEY, "x-emulator-fault": "429-retryinfo;retry-after=7"}
    )
    assert response.status_code == 429 and "retry-after" not in response.headers
    details = {d["@type"].rsplit(".", 1)[1]: d for d in response.json()["error"]["details"]}
    assert details["RetryInfo"]["retryDelay"] == "7s"
    assert details["QuotaFailure"]["violations"][0]["quotaDimensions"]["model"] == "gemini-2.5-flash-image"


@pytest.mark.parametrize(
    ("spec", "status"),
    [("500", "INTERNAL"), ("503", "UNAVAILABLE"), ("504", "DEADLINE_EXCEEDED"), ("401", "UNAUTHENTICATED")],
)
def test_error_faults_use_the_google_envelope(http: httpx.Client, spec: str, status: str) -> None:
    response = http.post(PREDICT, json=small(), headers=fault(spec))
    assert response.status_code == int(spec)
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (int(spec), status)
    assert error["message"]


def test_503_message_and_optional_retry_after(http: httpx.Client) -> None:
    response = http.post(PREDICT, json=small(), headers=fault("503;retry-after=2"))
    assert response.json()["error"]["message"] == "The model is overloaded. Please try again later."
    assert response.headers["retry-after"] == "2"


def test_502_is_an_html_body(http: httpx.Client) -> None:
    response = http.post(PREDICT, json=small(), headers=fault("502"))
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text and "502" in response.text


def test_latency_fault_delays_the_answer(http: httpx.Client) -> None:
    start = time.perf_counter()
    response = http.post(PREDICT, json=small(), headers=fault("latency=0.4"))
    assert response.status_code == 200
    assert time.perf_counter() - start >= 0.4


def test_drop_is_a_protocol_error_not_a_hang(emulator: Any) -> None:
    with httpx.Client(base_url=emulator.base_url, timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(PREDICT, json=small(), headers=fault("drop"))
        stream = client.stream("POST", STREAM, json=gemini(user("x")), headers=fault("drop"))
        with pytest.raises(httpx.RemoteProtocolError), stream as response:
            assert response.status_code == 200
            response.read()


def test_malformed_json_with_200(http: httpx.Client) -> None:
    response = http.post(PREDICT, json=small(), headers=fault("malformed"))
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_midstream_error_after_two_events(http: httpx.Client) -> None:
    response = http.post(STREAM, json=gemini(user("x")), headers=fault("midstream"))
    assert response.status_code == 200
    *events, tail = response.text.split("\r\n\r\n")
    assert len(events) == 2 and all(e.startswith("data: {") for e in events)
    error = json.loads(tail)
    assert error["error"]["code"] == 499 and error["error"]["status"] == "CANCELLED"
    assert error["error"]["message"] == "The operation was cancelled."
    assert not tail.startswith("data:") and "\n" in tail.strip()  # a bare, multi-line JSON object


def test_midstream_leaves_unary_requests_alone(http: httpx.Client) -> None:
    assert http.post(PREDICT, json=small(), headers=fault("midstream")).status_code == 200


def test_fail_n_times_then_succeed_per_key(http: httpx.Client) -> None:
    codes = [
        http.post(PREDICT, json=small(), headers=fault("503x2", **{"x-emulator-fault-key": "k1"})).status_code
        for _ in range(3)
    ]
    assert codes == [503, 503, 200]
    other = http.post(PREDICT, json=small(), headers=fault("503x2", **{"x-emulator-fault-key": "k2"}))
    assert other.status_code == 503


def test_fail_n_times_keyed_by_body_hash_without_a_key(http: httpx.Client) -> None:
    body = imagen("body hash key", sampleCount=1)
    codes = [http.post(PREDICT, json=body, headers=fault("429x1")).status_code for _ in range(2)]
    assert codes == [429, 200]
    assert (
        http.post(PREDICT, json=imagen("another body", sampleCount=1), headers=fault("429x1")).status_code == 429
    )


def test_unknown_fault_header_is_a_400_with_the_grammar(http: httpx.Client) -> None:
    response = http.post(PREDICT, json=small(), headers=fault("teapot"))
    assert response.status_code == 400
    assert "KIND[=VALUE][xN]" in response.json()["error"]["message"]


def _client(**options: Any) -> httpx.Client:
    app = EmulatorApp(**{"as_of": LEGACY_DAY, **options})
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emu")


def test_constructor_fault_applies_to_every_kth_request() -> None:
    with _client(fault="503;every=2") as client:
        codes = [client.post(PREDICT, json=small(), headers=BEARER).status_code for _ in range(4)]
    assert codes == [200, 503, 200, 503]


def test_constructor_latency_sleeps_before_every_answer() -> None:
    slept: list[float] = []
    with _client(latency_s=1.5, sleep=slept.append) as client:
        client.post(PREDICT, json=small(), headers=BEARER)
        client.post(PREDICT, json=small(), headers={**BEARER, "x-emulator-fault": "latency=2.5"})
    assert slept == [1.5, 1.5, 2.5]


def test_header_fault_overrides_the_constructor_fault() -> None:
    with _client(fault="500") as client:
        assert client.post(PREDICT, json=small(), headers=fault("504")).status_code == 504
        assert client.post(PREDICT, json=small(), headers=BEARER).status_code == 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("503", FaultSpec("503", text="503")),
        ("503x2", FaultSpec("503", times=2, text="503x2")),
        ("latency=2.5", FaultSpec("latency", value=2.5, text="latency=2.5")),
        (
            "429;retry-after=3;every=4",
            FaultSpec("429", every=4, retry_after_s=3.0, text="429;retry-after=3;every=4"),
        ),
        ("DROP", FaultSpec("drop", text="DROP")),
    ],
)
def test_parse_fault_specs(text: str, expected: FaultSpec) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["", "418", "latency", "503=2", "503;often=1", "latency=abc"])
def test_parse_rejects_bad_specs(text: str) -> None:
    with pytest.raises(ValueError, match="(?i)fault"):
        parse(text)
