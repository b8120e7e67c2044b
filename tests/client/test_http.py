"""The HTTP client: URLs and headers per backend, retries, 401 refresh, concurrency, cancel, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from mock_responses import fixture_path
from vertex_image import __version__
from vertex_image.base.config import Secret, Settings
from vertex_image.base.errors import (
    AuthError,
    BadRequest,
    NotFound,
    QuotaExceeded,
    ResponseFormatError,
    ServiceError,
    TransportError,
)
from vertex_image.client.http import Client, RetryEvent

CANARY = "CANARY-SECRET-123"
IMAGEN = "imagen-4.0-generate-001"
GEMINI = "gemini-2.5-flash-image"
OK_BODY = {"predictions": [{"bytesBase64Encoded": "aGk=", "mimeType": "image/png"}]}
Handler = Callable[[httpx.Request], Any]


class FakeAuth:
    """The Auth protocol of auth.py, with a token or key that is the canary secret."""

    quota_project = ""

    def __init__(self, *, api_key: bool = False, refresh_ok: bool = True) -> None:
        self.description = "API key (fake)" if api_key else "fake token"
        self._headers = {"x-goog-api-key": CANARY} if api_key else {"authorization": f"Bearer {CANARY}"}
        self.refresh_ok = refresh_ok
        self.refreshes = 0

    async def headers(self) -> dict[str, str]:
        return dict(self._headers)

    async def refresh_after_401(self) -> bool:
        self.refreshes += 1
        return self.refresh_ok

    def secrets(self) -> list[str]:
        return [CANARY]


class FakeTime:
    """A clock that only moves when the client sleeps; records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def make_client(
    handler: Handler,
    settings: Settings | None = None,
    *,
    auth: FakeAuth | None = None,
    time: FakeTime | None = None,
    rng: float = 0.0,
) -> Client:
    time = time or FakeTime()
    return Client(
        settings or Settings(project="p"),
        auth=auth or FakeAuth(),
        transport=httpx.MockTransport(handler),
        sleep=time.sleep,
        clock=time.clock,
        rng=lambda: rng,
    )


def sequence(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering with ``responses`` in order (the last one repeats); and its request log."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok(body: dict[str, Any] = OK_BODY) -> httpx.Response:
    return httpx.Response(200, json=body)


def error(code: int, status: str, *, headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    return httpx.Response(
        code, json={"error": {"code": code, "message": f"{status} says no", "status": status, **extra}},
        headers=headers,
    )


def predict(client: Client, **kwargs: Any) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        try:
            return await client.predict(IMAGEN, {"instances": [{"prompt": "a fox"}]}, location="us-central1",
                                        **kwargs)
        finally:
            await client.aclose()

    return asyncio.run(go())


# --- URLs and headers ------------------------------------------------------------------------------

URL_CASES = [
    ("regional", Settings(project="p"), "predict", IMAGEN, "us-central1",
     "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/"
     "imagen-4.0-generate-001:predict"),
    ("global", Settings(project="p"), "generate_content", GEMINI, "global",
     "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/"
     "gemini-2.5-flash-image:generateContent"),
    ("us multi-region", Settings(project="p", location="us"), "generate_content", GEMINI, "us",
     "https://aiplatform.us.rep.googleapis.com/v1/projects/p/locations/us/publishers/google/models/"
     "gemini-2.5-flash-image:generateContent"),
    ("eu multi-region", Settings(project="p", location="eu"), "predict", IMAGEN, "eu",
     "https://aiplatform.eu.rep.googleapis.com/v1/projects/p/locations/eu/publishers/google/models/"
     "imagen-4.0-generate-001:predict"),
    ("express mode", Settings(api_key=Secret(CANARY)), "generate_content", GEMINI, "global",
     "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash-image:generateContent"),
    ("gemini api", Settings(backend="gemini-api", api_key=Secret(CANARY)), "generate_content", GEMINI, "global",
     "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"),
    ("base_url override", Settings(project="p", base_url="http://127.0.0.1:8765/", api_version="v1beta1"),
     "predict", IMAGEN, "us-central1",
     "http://127.0.0.1:8765/v1beta1/projects/p/locations/us-central1/publishers/google/models/"
     "imagen-4.0-generate-001:predict"),
    ("stream", Settings(project="p"), "stream_generate_content", GEMINI, "global",
     "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/"
     "gemini-2.5-flash-image:streamGenerateContent?alt=sse"),
]


@pytest.mark.parametrize(("settings", "call", "model", "location", "url"), [c[1:] for c in URL_CASES],
                         ids=[c[0] for c in URL_CASES])
def test_url_and_headers_per_backend(settings: Settings, call: str, model: str, location: str, url: str) -> None:
    api_key = settings.api_key is not None
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if call == "stream_generate_content":
            return httpx.Response(200, content=b'data: {"candidates": []}\n\n')
        return ok()

    client = make_client(handler, settings, auth=FakeAuth(api_key=api_key))
    body = {"contents": [{"role": "user", "parts": [{"text": "a fox"}]}]}

    async def go() -> Any:
        if call == "stream_generate_content":
            return [chunk async for chunk in client.stream_generate_content(model, body, location=location)]
        return await getattr(client, call)(model, body, location=location)

    result = asyncio.run(go())
    assert result == ([{"candidates": []}] if call == "stream_generate_content" else OK_BODY)
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == url
    agent = f"vertex-image/{__version__} gl-python/{platform.python_version()}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == agent
    assert request.headers["x-goog-api-client"] == agent
    if api_key:
        assert request.headers["x-goog-api-key"] == CANARY
        assert "authorization" not in request.headers
    else:
        assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY not in str(request.url)
    assert json.loads(request.content) == body


def test_client_repr_shows_no_secret() -> None:
    client = Client(Settings(api_key=Secret(CANARY)), auth=FakeAuth(api_key=True))
    assert CANARY not in repr(client)
    assert "API key (fake)" in repr(client)


# --- success and format errors -------------------------------------------------------------------


def test_only_exactly_200_is_success() -> None:
    handler, _ = sequence(httpx.Response(204))
    with pytest.raises(ServiceError) as info:
        predict(make_client(handler))
    assert info.value.code == 204


def test_non_json_200_is_a_response_format_error() -> None:
    handler, _ = sequence(httpx.Response(200, content=b"<html>captive portal</html>"))
    with pytest.raises(ResponseFormatError, match="captive portal"):
        predict(make_client(handler))


def test_json_array_200_is_a_response_format_error() -> None:
    handler, _ = sequence(httpx.Response(200, json=[1, 2]))
    with pytest.raises(ResponseFormatError, match="JSON list"):
        predict(make_client(handler))


def test_error_envelope_in_a_200_body_raises_it() -> None:
    handler, _ = sequence(httpx.Response(200, json={"error": {"code": 400, "message": "nope"}}))
    with pytest.raises(BadRequest, match="nope"):
        predict(make_client(handler))


# --- retries ---------------------------------------------------------------------------------------


def test_retry_after_header_is_honoured() -> None:
    time, events = FakeTime(), []
    handler, seen = sequence(error(429, "RESOURCE_EXHAUSTED", headers={"Retry-After": "7"}), ok())
    assert predict(make_client(handler, time=time, rng=0.9), on_retry=events.append) == OK_BODY
    assert time.waits == [7.0]
    assert events == [RetryEvent(attempt=1, wait_s=7.0, reason="429 RESOURCE_EXHAUSTED")]
    assert len(seen) == 2


def test_retry_info_delay_is_honoured() -> None:
    time = FakeTime()
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]
    handler, _ = sequence(error(429, "RESOURCE_EXHAUSTED", details=details), ok())
    predict(make_client(handler, time=time))
    assert time.waits == [1.5]


def test_503_then_200_backs_off_with_jitter() -> None:
    time, events = FakeTime(), []
    handler, seen = sequence(error(503, "UNAVAILABLE"), error(503, "UNAVAILABLE"), error(502, ""), ok())
    assert predict(make_client(handler, time=time, rng=0.5), on_retry=events.append) == OK_BODY
    assert time.waits == [1.5, 2.5, 4.5]
    assert [e.reason for e in events] == ["503 UNAVAILABLE", "503 UNAVAILABLE", "502 Bad Gateway"]
    assert [e.attempt for e in events] == [1, 2, 3]
    assert len(seen) == 4


def test_backoff_is_capped_at_60_seconds() -> None:
    time = FakeTime()
    handler, _ = sequence(error(500, "INTERNAL"))
    settings = Settings(project="p", max_attempts=9, deadline_s=10_000)
    with pytest.raises(ServiceError):
        predict(make_client(handler, settings, time=time, rng=1.0))
    assert time.waits == [2.0, 3.0, 5.0, 9.0, 17.0, 33.0, 60.0, 60.0]


@pytest.mark.parametrize("code", [400, 403, 404, 409, 413])
def test_other_4xx_are_never_retried(code: int) -> None:
    time = FakeTime()
    handler, seen = sequence(error(code, "NOPE"), ok())
    with pytest.raises(Exception) as info:
        predict(make_client(handler, time=time))
    assert getattr(info.value, "code", None) == code
    assert len(seen) == 1
    assert time.waits == []


def test_attempts_are_capped_and_the_last_error_raised() -> None:
    time = FakeTime()
    handler, seen = sequence(error(503, "UNAVAILABLE"))
    with pytest.raises(ServiceError) as info:
        predict(make_client(handler, Settings(project="p", max_attempts=3), time=time))
    assert len(seen) == 3
    assert len(time.waits) == 2
    assert info.value.code == 503
    assert "Gave up after 3 attempt(s)" in info.value.message


def test_no_wait_starts_that_would_cross_the_deadline() -> None:
    time = FakeTime()
    handler, seen = sequence(error(503, "UNAVAILABLE"))
    with pytest.raises(ServiceError) as info:
        predict(make_client(handler, Settings(project="p", max_attempts=50, deadline_s=10), time=time))
    assert time.waits == [1.0, 2.0, 4.0]  # 8 more would end at 15 s > 10 s
    assert len(seen) == 4
    assert "deadline" in info.value.message


def test_a_service_delay_beyond_the_deadline_is_not_waited() -> None:
    time = FakeTime()
    handler, seen = sequence(error(429, "RESOURCE_EXHAUSTED", headers={"Retry-After": "3600"}))
    with pytest.raises(QuotaExceeded) as info:
        predict(make_client(handler, time=time))
    assert time.waits == []
    assert len(seen) == 1
    assert info.value.retry_after_s == 3600


@pytest.mark.parametrize(
    ("failure", "reason"),
    [(httpx.ConnectError("refused"), "connect error"),
     (httpx.ReadTimeout("slow"), "timeout"),
     (httpx.RemoteProtocolError("peer closed connection"), "connection dropped")],
)
def test_network_errors_are_retried(failure: Exception, reason: str) -> None:
    time, events = FakeTime(), []
    handler, seen = sequence(failure, ok())
    assert predict(make_client(handler, time=time), on_retry=events.append) == OK_BODY
    assert [e.reason for e in events] == [reason]
    assert len(seen) == 2


class DroppingStream(httpx.AsyncByteStream):
    """A body that breaks off after its first bytes, like a connection dropped mid-body."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"predictions": ['
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def test_connection_dropped_mid_body_is_retried() -> None:
    time, events = FakeTime(), []
    handler, seen = sequence(httpx.Response(200, stream=DroppingStream()), ok())
    assert predict(make_client(handler, time=time), on_retry=events.append) == OK_BODY
    assert [e.reason for e in events] == ["connection dropped"]


def test_network_failure_after_every_attempt_is_a_transport_error() -> None:
    handler, seen = sequence(httpx.ConnectError("connection refused"))
    with pytest.raises(TransportError, match="connect error") as info:
        predict(make_client(handler, Settings(project="p", max_attempts=2)))
    assert len(seen) == 2
    assert "Gave up after 2 attempt(s)" in info.value.message
    assert isinstance(info.value.__cause__, httpx.ConnectError)


# --- 401 -------------------------------------------------------------------------------------------


def test_401_refreshes_once_then_succeeds() -> None:
    time, auth = FakeTime(), FakeAuth()
    handler, seen = sequence(error(401, "UNAUTHENTICATED"), ok())
    assert predict(make_client(handler, auth=auth, time=time)) == OK_BODY
    assert auth.refreshes == 1
    assert len(seen) == 2
    assert time.waits == []


def test_401_twice_is_an_auth_error() -> None:
    auth = FakeAuth()
    handler, seen = sequence(error(401, "UNAUTHENTICATED"))
    with pytest.raises(AuthError, match="gcloud auth application-default login") as info:
        predict(make_client(handler, auth=auth))
    assert info.value.code == 401
    assert auth.refreshes == 1
    assert len(seen) == 2


def test_401_refresh_does_not_use_up_an_attempt() -> None:
    handler, seen = sequence(error(401, "UNAUTHENTICATED"), error(503, "UNAVAILABLE"), ok())
    assert predict(make_client(handler, Settings(project="p", max_attempts=2))) == OK_BODY
    assert len(seen) == 3


def test_401_without_a_refreshable_credential_fails_at_once() -> None:
    auth = FakeAuth(refresh_ok=False)
    handler, seen = sequence(error(401, "UNAUTHENTICATED"), ok())
    with pytest.raises(AuthError):
        predict(make_client(handler, auth=auth))
    assert (auth.refreshes, len(seen)) == (1, 1)


# --- concurrency -----------------------------------------------------------------------------------


def test_concurrency_is_bounded() -> None:
    in_flight, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return ok()

    client = make_client(handler, Settings(project="p", max_concurrency=3))

    async def go() -> list[dict[str, Any]]:
        calls = [client.predict(IMAGEN, {"i": i}, location="us-central1") for i in range(10)]
        return await asyncio.gather(*calls)

    assert len(asyncio.run(go())) == 10
    assert peak == 3


def test_backoff_sleep_does_not_hold_a_slot() -> None:
    """With one slot, a request waiting to retry lets another request through meanwhile."""
    order: list[str] = []
    second_done = asyncio.Event

    async def handler(request: httpx.Request) -> httpx.Response:
        name = json.loads(request.content)["name"]
        order.append(name)
        if name == "first" and order.count("first") == 1:
            return error(503, "UNAVAILABLE")
        return ok()

    async def go() -> None:
        done = second_done()

        async def sleep(seconds: float) -> None:
            await asyncio.wait_for(done.wait(), 5)

        client = Client(Settings(project="p", max_concurrency=1), auth=FakeAuth(),
                        transport=httpx.MockTransport(handler), sleep=sleep)

        async def second() -> None:
            await asyncio.sleep(0)
            await client.predict(IMAGEN, {"name": "second"}, location="us-central1")
            done.set()

        await asyncio.gather(client.predict(IMAGEN, {"name": "first"}, location="us-central1"), second())

    asyncio.run(go())
    assert order == ["first", "second", "first"]


# --- adaptive concurrency (AIMD) and Retry-After ---------------------------------------------------


def test_a_429_halves_the_concurrency_and_successes_grow_it_back() -> None:
    time = FakeTime()
    handler, _ = sequence(error(429, "RESOURCE_EXHAUSTED", headers={"Retry-After": "3"}), ok())
    client = make_client(handler, Settings(project="p", max_concurrency=8), time=time)

    async def go() -> list[int]:
        limits = []
        await client.predict(IMAGEN, {"i": 0}, location="us-central1")
        limits.append(client.concurrency)
        for number in range(4):  # as many successes as the limit: one more slot
            await client.predict(IMAGEN, {"i": number + 1}, location="us-central1")
        limits.append(client.concurrency)
        await client.aclose()
        return limits

    assert asyncio.run(go()) == [4, 5]
    assert time.waits == [3.0]  # the Retry-After, not a backoff


def test_a_429s_retry_after_holds_the_next_request_too() -> None:
    time = FakeTime()
    handler, seen = sequence(error(429, "RESOURCE_EXHAUSTED", headers={"Retry-After": "5"}), ok())
    client = make_client(handler, Settings(project="p", max_attempts=1), time=time)
    sent_at: list[float] = []

    async def go() -> None:
        with pytest.raises(QuotaExceeded):
            await client.predict(IMAGEN, {"i": 0}, location="us-central1")
        assert time.waits == []  # no retry of that one (max_attempts=1)...
        await client.predict(IMAGEN, {"i": 1}, location="us-central1")
        sent_at.append(time.now)
        await client.aclose()

    asyncio.run(go())
    assert time.waits == [5.0]  # ...but the next request waited out the service's delay before sending
    assert len(seen) == 2 and sent_at == [1005.0]


def test_a_retry_after_past_the_deadline_holds_nobody() -> None:
    time = FakeTime()
    handler, seen = sequence(error(429, "RESOURCE_EXHAUSTED", headers={"Retry-After": "3600"}), ok())
    client = make_client(handler, time=time)

    async def go() -> None:
        with pytest.raises(QuotaExceeded):  # its own wait would pass the deadline: it gives up at once
            await client.predict(IMAGEN, {"i": 0}, location="us-central1")
        await client.predict(IMAGEN, {"i": 1}, location="us-central1")
        await client.aclose()

    asyncio.run(go())
    assert time.waits == [] and len(seen) == 2


def test_a_burst_of_429s_halves_the_limit_once() -> None:
    from vertex_image.client.http import AdaptiveLimit

    async def go() -> tuple[int, int]:
        limit = AdaptiveLimit(8)
        epochs = [await limit.acquire() for _ in range(8)]  # eight requests out at once
        for epoch in epochs:  # all eight come back 429
            limit.release()
            limit.throttled(epoch)
        after_burst = limit.limit
        limit.throttled(await limit.acquire())  # a request sent after the halving: halves again
        return after_burst, limit.limit

    assert asyncio.run(go()) == (4, 2)


def test_two_streams_throttled_in_one_burst_halve_the_limit_once() -> None:
    """Streams A and B are sent together; A's 429 halves the limit and A's retry takes a slot of the new epoch
    before B's 429 (sent in the old one) arrives: B's does not halve again. The epoch is each attempt's own,
    not the client's last one (which A's retry had moved on)."""
    b_sent, a_retried = asyncio.Event(), asyncio.Event()
    attempts: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        who = json.loads(request.content)["who"]
        attempts.append(who)
        if attempts.count(who) > 1:
            if who == "A":
                a_retried.set()
            return httpx.Response(200, content=sse({"who": who}))
        if who == "A":
            await asyncio.wait_for(b_sent.wait(), 5)  # both out before either answer
        else:
            b_sent.set()
            await asyncio.wait_for(a_retried.wait(), 5)
        return error(429, "RESOURCE_EXHAUSTED", headers={"Retry-After": "1"})

    client = make_client(handler, Settings(project="p", max_concurrency=8))

    async def stream(who: str) -> list[dict[str, Any]]:
        return [chunk async for chunk in client.stream_generate_content(GEMINI, {"who": who}, location="global")]

    async def go() -> tuple[list[list[dict[str, Any]]], int]:
        got = await asyncio.gather(stream("A"), stream("B"))
        limit = client.concurrency
        await client.aclose()
        return got, limit

    got, limit = asyncio.run(go())
    assert got == [[{"who": "A"}], [{"who": "B"}]]
    assert attempts == ["A", "B", "A", "B"] and limit == 4  # 8 halved once, for the one burst


def test_the_limit_never_goes_under_one_nor_over_max_concurrency() -> None:
    from vertex_image.client.http import AdaptiveLimit

    async def go() -> list[int]:
        limit = AdaptiveLimit(2)
        for _ in range(5):
            limit.throttled(limit.epoch)
        low = limit.limit
        for _ in range(100):
            limit.succeeded()
        return [low, limit.limit]

    assert asyncio.run(go()) == [1, 2]


def test_the_default_concurrency_grows_until_the_first_429_then_only_slowly() -> None:
    from vertex_image.client.http import AdaptiveLimit

    limit = AdaptiveLimit(8, grow_to=32)
    for _ in range(8):
        limit.succeeded()
    grown = limit.limit
    limit.throttled(limit.epoch)
    halved = limit.limit
    for _ in range(7):
        limit.succeeded()
    assert (grown, halved, limit.limit) == (16, 8, 8)  # after a 429: one more per limit's worth of successes
    limit.succeeded()
    assert limit.limit == 9


def test_a_set_max_concurrency_is_a_hard_cap() -> None:
    from vertex_image.client.http import AdaptiveLimit

    limit = AdaptiveLimit(8)
    for _ in range(100):
        limit.succeeded()
    assert limit.limit == 8


def test_a_halved_limit_holds_back_requests_until_slots_free() -> None:
    in_flight, peaks = 0, []
    first = True

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, first
        if first:
            first = False
            return error(429, "RESOURCE_EXHAUSTED")
        in_flight += 1
        peaks.append(in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return ok()

    client = make_client(handler, Settings(project="p", max_concurrency=4))

    async def go() -> None:
        await client.predict(IMAGEN, {"i": -1}, location="us-central1")  # 429, retried: the limit is now 2
        await asyncio.gather(*(client.predict(IMAGEN, {"i": i}, location="us-central1") for i in range(12)))
        await client.aclose()

    asyncio.run(go())
    assert max(peaks[:3]) == 2  # two at first; then one more after as many successes as the limit...
    assert max(peaks) == 4  # ...back up to max_concurrency, never over it


def test_the_emulators_429_fault_halves_the_limit_and_its_retry_after_is_waited() -> None:
    from vertex_image.emulator import Emulator

    time = FakeTime()
    with Emulator(fault="429x1;retry-after=2") as emulator:
        client = Client(Settings(project="p", base_url=emulator.base_url), auth=FakeAuth(),
                        sleep=time.sleep, clock=time.clock)  # fmt: skip

        async def go() -> dict[str, Any]:
            try:
                return await client.generate_content(
                    "gemini-nano-banana-2.1", {"contents": [{"role": "user", "parts": [{"text": "a fox"}]}]},
                    location="global",
                )
            finally:
                await client.aclose()

        answer = asyncio.run(go())
    assert answer["candidates"]
    assert time.waits == [2.0]
    assert client.concurrency == 4


# --- streaming -------------------------------------------------------------------------------------


def stream_all(client: Client, **kwargs: Any) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        try:
            async for chunk in client.stream_generate_content(GEMINI, {"contents": []}, location="global",
                                                              **kwargs):
                got.append(chunk)
        finally:
            await client.aclose()
        return got

    return asyncio.run(go())


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks)


def test_stream_yields_each_chunk() -> None:
    one, two = {"candidates": [{"index": 0}]}, {"candidates": [{"finishReason": "STOP"}]}
    handler, _ = sequence(httpx.Response(200, content=sse(one, two)))
    assert stream_all(make_client(handler)) == [one, two]


def test_stream_error_mid_stream_raises_after_the_good_chunks() -> None:
    body = fixture_path("vertexai/streaming-failure-error-mid-stream.txt").read_bytes()
    handler, seen = sequence(httpx.Response(200, content=body), ok())
    got: list[dict[str, Any]] = []

    async def go() -> None:
        async for chunk in make_client(handler).stream_generate_content(GEMINI, {}, location="global"):
            got.append(chunk)

    with pytest.raises(ServiceError) as info:
        asyncio.run(go())
    assert len(got) == 2
    assert (info.value.code, info.value.status) == (499, "CANCELLED")
    assert len(seen) == 1


def test_stream_http_error_before_the_first_chunk() -> None:
    body = fixture_path("vertexai/streaming-failure-unknown-model.txt").read_bytes()
    handler, _ = sequence(httpx.Response(404, content=body))
    with pytest.raises(NotFound, match="models/unknown is not found"):
        stream_all(make_client(handler))


def test_stream_retries_before_the_first_chunk() -> None:
    time = FakeTime()
    bare_429 = b'{"error": {"code": 429, "message": "later", "status": "RESOURCE_EXHAUSTED"}}\n'
    handler, seen = sequence(
        error(503, "UNAVAILABLE"), httpx.Response(200, content=bare_429), httpx.Response(200, content=sse({"a": 1}))
    )
    assert stream_all(make_client(handler, time=time)) == [{"a": 1}]
    assert len(seen) == 3
    assert time.waits == [1.0, 2.0]


class DropAfterFirstChunk(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield sse({"candidates": [{"index": 0}]})
        raise httpx.ReadError("connection reset")


def test_stream_is_not_retried_after_the_first_chunk() -> None:
    handler, seen = sequence(httpx.Response(200, stream=DropAfterFirstChunk()), ok())
    got: list[dict[str, Any]] = []

    async def go() -> None:
        async for chunk in make_client(handler).stream_generate_content(GEMINI, {}, location="global"):
            got.append(chunk)

    with pytest.raises(TransportError, match="after 1 stream chunk"):
        asyncio.run(go())
    assert len(got) == 1
    assert len(seen) == 1


def test_a_stream_that_stalls_after_its_first_chunk_ends_at_the_deadline() -> None:
    got: list[dict[str, Any]] = []

    async def go() -> bool:
        body = BlockingStream(sse({"candidates": [{"index": 0}]}))
        client = make_client(lambda request: httpx.Response(200, stream=body), Settings(project="p", deadline_s=0.3))
        with pytest.raises(TransportError, match="passed its 0.3 s deadline") as info:
            async for chunk in client.stream_generate_content(GEMINI, {}, location="global"):
                got.append(chunk)
        assert "after 1 stream chunk" in str(info.value)
        return body.closed

    assert asyncio.run(asyncio.wait_for(go(), 30))  # (a regression fails, not hangs); the connection was let go
    assert len(got) == 1


class EndlessStream(httpx.AsyncByteStream):
    """An SSE stream whose second event never ends: data keeps coming without a blank line."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield sse({"candidates": [{"index": 0}]})
        yield b"data: "
        while True:
            yield b"x" * 65536


def test_a_stream_past_the_size_cap_is_refused() -> None:
    async def go() -> list[dict[str, Any]]:
        got = []
        client = Client(Settings(project="p"), auth=FakeAuth(),
                        transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=EndlessStream())),
                        max_response_bytes=2**20)  # fmt: skip
        with pytest.raises(ResponseFormatError, match="larger than the 1 MB cap"):
            async for chunk in client.stream_generate_content(GEMINI, {}, location="global"):
                got.append(chunk)
        return got

    assert len(asyncio.run(go())) == 1


def test_empty_stream_is_a_response_format_error() -> None:
    handler, _ = sequence(httpx.Response(200, content=b""))
    with pytest.raises(ResponseFormatError):
        stream_all(make_client(handler))


# --- cancellation ----------------------------------------------------------------------------------


class BlockingStream(httpx.AsyncByteStream):
    """A body that sends a little and then hangs; records whether it was closed."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.started = asyncio.Event()
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        self.started.set()
        await asyncio.Event().wait()
        yield b""  # pragma: no cover

    async def aclose(self) -> None:
        self.closed = True


def test_cancelling_a_request_closes_the_response() -> None:
    async def go() -> BlockingStream:
        body = BlockingStream(b'{"predictions": [')
        client = make_client(lambda request: httpx.Response(200, stream=body))
        task = asyncio.create_task(client.predict(IMAGEN, {}, location="us-central1"))
        await asyncio.wait_for(body.started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return body

    assert asyncio.run(go()).closed


def test_cancelling_a_stream_closes_the_response_and_frees_the_slot() -> None:
    async def go() -> tuple[BlockingStream, dict[str, Any]]:
        body = BlockingStream(sse({"candidates": [{"index": 0}]}))
        calls = 0

        def handler(request: httpx.Request) -> httpx.Response:
            nonlocal calls
            calls += 1
            return httpx.Response(200, stream=body) if calls == 1 else ok()

        client = make_client(handler, Settings(project="p", max_concurrency=1))

        async def consume() -> None:
            async for _ in client.stream_generate_content(GEMINI, {}, location="global"):
                pass

        task = asyncio.create_task(consume())
        await asyncio.wait_for(body.started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        after = await asyncio.wait_for(client.predict(IMAGEN, {}, location="us-central1"), 5)
        return body, after

    body, after = asyncio.run(go())
    assert body.closed
    assert after == OK_BODY


def test_cancelling_drops_a_real_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over a real socket on 127.0.0.1: the server sees the connection close when the task is cancelled."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def go() -> bool:
        request_seen, dropped = asyncio.Event(), asyncio.Event()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            request_seen.set()
            while await reader.read(65536):  # the body, then EOF when the client goes away
                pass
            dropped.set()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Client(Settings(project="p", base_url=f"http://127.0.0.1:{port}"), auth=FakeAuth())
        task = asyncio.create_task(client.predict(IMAGEN, {"x": 1}, location="us-central1"))
        await asyncio.wait_for(request_seen.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(dropped.wait(), 5)
        await client.aclose()
        server.close()
        await server.wait_closed()
        return dropped.is_set()

    assert asyncio.run(go())


async def reply_ok(writer: asyncio.StreamWriter) -> None:
    """A raw HTTP/1.1 200 with OK_BODY, then the connection closed (for tests with a real socket)."""
    body = json.dumps(OK_BODY).encode()
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                 % (len(body), body))  # fmt: skip
    await writer.drain()
    writer.close()


def test_a_proxy_in_the_environment_carries_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unary requests skip httpx's client pipeline for its transport; with a proxy set, the client's own choice
    of transport per URL (its proxy mounts) is kept: the request reaches the proxy, in absolute form."""
    for name in ("HTTPS_PROXY", "ALL_PROXY", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def go() -> tuple[dict[str, Any], bytes]:
        seen: list[bytes] = []

        async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(await reader.readuntil(b"\r\n\r\n"))
            await reply_ok(writer)

        server = await asyncio.start_server(proxy, "127.0.0.1", 0)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        client = Client(Settings(project="p", base_url="http://vertex-image.invalid"), auth=FakeAuth())
        answer = await client.predict(IMAGEN, {"x": 1}, location="us-central1")
        await client.aclose()
        server.close()
        await server.wait_closed()
        return answer, seen[0]

    answer, request = asyncio.run(go())
    assert answer == OK_BODY
    assert request.startswith(b"POST http://vertex-image.invalid/")  # the absolute form a proxy is sent


def test_no_proxy_alone_keeps_requests_off_the_client_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_PROXY names no proxy: a unary request still goes straight to the transport (the bench sets NO_PROXY,
    and every request paid the client pipeline's ~0.3 ms while it counted as a proxy)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the request went through AsyncClient.send")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)

    async def go() -> dict[str, Any]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            await reply_ok(writer)

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Client(Settings(project="p", base_url=f"http://127.0.0.1:{port}"), auth=FakeAuth())
        answer = await client.predict(IMAGEN, {"x": 1}, location="us-central1")
        await client.aclose()
        server.close()
        await server.wait_closed()
        return answer

    assert asyncio.run(go()) == OK_BODY


def test_client_refuses_a_second_event_loop() -> None:
    handler, _ = sequence(ok())
    client = make_client(handler)
    asyncio.run(client.predict(IMAGEN, {}, location="us-central1"))
    with pytest.raises(RuntimeError, match="another event loop"):
        asyncio.run(client.predict(IMAGEN, {}, location="us-central1"))


# --- secrets ---------------------------------------------------------------------------------------


def echo_secrets(request: httpx.Request) -> httpx.Response:
    """A hostile server: echoes the key, the token and the URL with ?key= into its error body."""
    leaked = request.headers.get("x-goog-api-key") or request.headers.get("authorization", "")
    return httpx.Response(400, json={"error": {
        "code": 400,
        "message": f"Bad credential {leaked} for {request.url}?key={CANARY}",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": f"Invalid API key: {CANARY}"}],
    }})


def _assert_no_canary(exc: BaseException, client: Client, caplog: pytest.LogCaptureFixture) -> None:
    assert CANARY not in str(exc)
    assert CANARY not in repr(exc)
    assert CANARY not in repr(client)
    assert CANARY not in json.dumps(getattr(exc, "details", []))
    assert CANARY not in getattr(exc, "url", "")
    assert caplog.records, "the client should log at DEBUG"
    for record in caplog.records:
        assert CANARY not in record.getMessage()


@pytest.mark.parametrize("api_key", [True, False], ids=["api key", "token"])
def test_canary_secret_never_leaks_from_an_echoing_server(api_key: bool, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="vertex_image")
    settings = Settings(backend="gemini-api", api_key=Secret(CANARY)) if api_key else Settings(project="p")
    client = make_client(echo_secrets, settings, auth=FakeAuth(api_key=api_key))
    with pytest.raises(BadRequest) as info:
        predict(client)
    assert "Bad credential" in info.value.message
    _assert_no_canary(info.value, client, caplog)


@pytest.mark.parametrize(
    "respond",
    [
        lambda r: (_ for _ in ()).throw(httpx.ConnectError(f"cannot connect to {r.url}?key={CANARY}")),
        lambda r: httpx.Response(200, content=f"<p>hello {CANARY}</p>".encode()),
        lambda r: httpx.Response(502, content=f"<html>upstream {CANARY} failed</html>".encode()),
        lambda r: httpx.Response(429, json={"error": {"code": 429, "message": f"quota for {CANARY}"}}),
    ],
    ids=["transport error", "non-JSON 200", "HTML 502", "429 after retries"],
)
def test_canary_secret_never_leaks_from_other_failures(respond: Handler, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="vertex_image")
    client = make_client(respond, Settings(project="p", max_attempts=2))
    with pytest.raises(Exception) as info:
        predict(client)
    assert "***" in str(info.value)
    _assert_no_canary(info.value, client, caplog)


def test_canary_secret_never_leaks_from_a_mid_stream_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="vertex_image")
    body = sse({"candidates": []}) + json.dumps({"error": {"code": 500, "message": f"boom {CANARY}"}}).encode()
    handler, _ = sequence(httpx.Response(200, content=body))
    client = make_client(handler)
    with pytest.raises(ServiceError) as info:
        stream_all(client)
    _assert_no_canary(info.value, client, caplog)


def test_ping_gets_the_base_url_root_once_without_credentials() -> None:
    handler, seen = sequence(httpx.Response(404), httpx.ConnectError("refused"))
    client = make_client(handler, Settings(backend="emulator", base_url="http://127.0.0.1:9/"))
    assert asyncio.run(client.ping()) == 404
    assert [(r.method, str(r.url)) for r in seen] == [("GET", "http://127.0.0.1:9/")]
    assert "authorization" not in seen[0].headers
    with pytest.raises(TransportError, match=r"http://127\.0\.0\.1:9/ does not answer \(ConnectError\)") as caught:
        asyncio.run(make_client(handler, Settings(backend="emulator", base_url="http://127.0.0.1:9")).ping())
    assert isinstance(caught.value.__cause__, httpx.ConnectError) and len(seen) == 2


def test_send_carries_raw_bytes_headers_and_retries_only_when_asked() -> None:
    handler, seen = sequence(error(503, "UNAVAILABLE"), httpx.Response(200, content=b"raw", headers={"X-Goog-Upload-URL": "u"}))
    client = make_client(handler)
    headers, content = asyncio.run(client.send("POST", "https://storage.googleapis.com/upload", content=b"a\nb\n",
                                               content_type="application/jsonl", headers={"x-goog-upload-command": "start"}))  # fmt: skip
    assert content == b"raw" and headers["x-goog-upload-url"] == "u" and len(seen) == 2
    assert seen[-1].content == b"a\nb\n" and seen[-1].headers["content-type"] == "application/jsonl"
    assert seen[-1].headers["x-goog-upload-command"] == "start" and "authorization" in seen[-1].headers
    handler, seen = sequence(error(503, "UNAVAILABLE"), ok())
    with pytest.raises(ServiceError):
        asyncio.run(make_client(handler).send_json("POST", "https://x/v1beta/models/m:batchGenerateContent", {}, retry=False))
    assert len(seen) == 1  # creating a job is not sent twice
    handler, seen = sequence(ok({"name": "batches/1"}))
    assert asyncio.run(make_client(handler).send_json("GET", "https://x/v1beta/batches/1")) == {"name": "batches/1"}
    assert seen[0].method == "GET" and not seen[0].content
