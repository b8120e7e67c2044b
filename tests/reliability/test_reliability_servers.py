"""Hostile servers and configuration changes (issue 17 items 3, 5 and 12): every wait has a bound, every
image that arrives is kept, and ``configure()`` never breaks a call in flight.

The servers run on 127.0.0.1 in threads (``hostile_servers``); each misbehaves in one way. The assertions
are on the typed one-line error and on what was kept, never on how long a call took.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import NoAuth
from hostile_servers import (
    HostileServer,
    canned,
    declaring,
    dripping,
    endless_chunks,
    hanging_after_headers,
)
from PIL import Image
from vertex_image.base.config import Settings
from vertex_image.base.errors import ResponseFormatError, TransportError
from vertex_image.client.http import MAX_RESPONSE_BYTES, Client
from vertex_image.core import registry
from vertex_image.emulator import Emulator

GEMINI = "gemini-nano-banana-2.1"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def against(tmp_path: Path) -> Iterator[Callable[..., HostileServer]]:
    """Start a hostile server and point the kernel at it (Gemini API dialect); both undone afterwards."""
    started: list[HostileServer] = []

    def start(behave: Any, **settings: Any) -> HostileServer:
        server = HostileServer(behave).start()
        started.append(server)
        vi.configure(backend="gemini-api", api_key="test-key", base_url=server.base_url,
                     output_dir=str(tmp_path / "out"), **settings)  # fmt: skip
        return server

    yield start
    registry.reset()
    for server in started:
        server.stop()


def client_call(server: HostileServer, **limits: Any) -> dict[str, Any]:
    """One ``:generateContent`` through a bare ``Client`` (``limits``: its keyword arguments)."""
    settings = Settings(backend="gemini-api", base_url=server.base_url, max_attempts=1)

    async def go() -> dict[str, Any]:
        client = Client(settings, auth=NoAuth(), **limits)  # type: ignore[arg-type]
        try:
            return await client.generate_content(GEMINI, {"contents": []}, location="global")
        finally:
            await client.aclose()

    return asyncio.run(go())


# --- item 5: the deadline covers the body; a cap on its size ------------------------------------------


def test_a_dripping_body_ends_at_the_deadline_with_a_timeout(against: Callable[..., HostileServer]) -> None:
    server = against(dripping(every_s=0.1, length=300), timeout_s=1, deadline_s=2)  # 30 s to drip it all
    with pytest.raises(TransportError) as info:
        vi.generate_images("a fox", model=GEMINI)
    message = str(info.value)
    assert "timeout" in message and "no complete answer within 1 s" in message
    assert "\n" not in message
    assert server.bytes_sent < 300  # the call ended before the body did


def test_a_server_that_hangs_after_its_headers_times_out(against: Callable[..., HostileServer]) -> None:
    against(hanging_after_headers, timeout_s=1, deadline_s=2)
    with pytest.raises(TransportError, match="timeout"):
        vi.generate_images("a fox", model=GEMINI)


def test_a_body_declared_larger_than_the_cap_is_refused_unread(against: Callable[..., HostileServer]) -> None:
    server = against(declaring(300 * 1024 * 1024), timeout_s=5)
    with pytest.raises(ResponseFormatError) as info:
        vi.generate_images("a fox", model=GEMINI)
    message = str(info.value)
    assert f"{MAX_RESPONSE_BYTES // 2**20} MB cap" in message and "300 MB" in message
    assert "\n" not in message
    assert server.served == 1  # refused, not retried


def test_a_chunked_body_without_a_length_is_cut_at_the_cap() -> None:
    with HostileServer(endless_chunks()) as server:
        with pytest.raises(ResponseFormatError, match="larger than the 1 MB cap") as info:
            client_call(server, max_response_bytes=2**20)
        assert "more than 1 MB arrived" in str(info.value)
        assert server.hung_up.wait(10)  # the client closed the connection instead of reading on


def test_the_cap_is_the_clients_setting_and_a_body_under_it_is_read() -> None:
    body = json.dumps({"candidates": [], "modelVersion": "m"}).encode()
    with HostileServer(canned(body)) as server:
        assert client_call(server, max_response_bytes=len(body)) == {"candidates": [], "modelVersion": "m"}
    with HostileServer(canned(body)) as server, pytest.raises(ResponseFormatError, match="cap"):
        client_call(server, max_response_bytes=len(body) - 1)


# --- item 12: one bad image does not cost the good one -------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _answer(parts: Iterable[dict[str, Any]]) -> bytes:
    return json.dumps({
        "candidates": [{"content": {"role": "model", "parts": list(parts)}, "finishReason": "STOP", "index": 0}],
        "modelVersion": GEMINI,
    }).encode()  # fmt: skip


def test_a_good_image_next_to_an_undecodable_one_is_saved_and_the_bad_one_named(
    against: Callable[..., HostileServer],
) -> None:
    good = _png()
    body = _answer([
        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(good).decode()}},
        {"inlineData": {"mimeType": "image/png", "data": "this is not base64 at all!"}},
    ])  # fmt: skip
    against(canned(body))
    result = vi.generate_images("a fox", model=GEMINI)
    assert len(result) == 1
    with Image.open(result[0].path) as saved:  # on disk, with our metadata added
        assert saved.size == (8, 8) and saved.getpixel((0, 0)) == (200, 30, 30)
    [block] = [block for block in result.blocks if block.reason == "UNDECODABLE_IMAGE"]
    assert "candidate 0, part 1" in block.message and "1 other(s) are kept" in block.message


def test_an_answer_whose_every_image_is_undecodable_still_fails(against: Callable[..., HostileServer]) -> None:
    against(canned(_answer([{"inlineData": {"mimeType": "image/png", "data": "%%%"}}])))
    with pytest.raises(ResponseFormatError, match="part 0: the image data is not valid base64"):
        vi.generate_images("a fox", model=GEMINI)


# --- item 3: configure() while calls are in flight ----------------------------------------------------


class Gate:
    """A WSGI middleware that holds every request until ``open()``, counting those that arrived."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrived = 0
        self._cond = threading.Condition()
        self._open = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._cond:
            self.arrived += 1
            self._cond.notify_all()
        self._open.wait(30)
        return self.app(environ, start_response)

    def wait_for(self, count: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.arrived >= count, timeout=30)

    def open(self) -> None:
        self._open.set()


def test_configure_while_calls_are_in_flight_breaks_none_of_them(tmp_path: Path) -> None:
    emulator = Emulator()
    gate = Gate(emulator.app)
    emulator.app = gate  # type: ignore[assignment]
    with emulator:
        vi.configure(backend="emulator", base_url=emulator.base_url, output_dir=str(tmp_path / "out"))
        outcomes: list[Any] = []

        def call(number: int) -> None:
            try:
                outcomes.append(vi.generate_images(f"a fox, take {number}", model=GEMINI))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                outcomes.append(exc)

        threads = [threading.Thread(target=call, args=(number,)) for number in range(4)]
        try:
            for thread in threads:
                thread.start()
            assert gate.wait_for(4)  # all four reached the service
            vi.configure(preview_size=512)
            vi.configure(max_concurrency=2)  # twice: the second retires a client that never sent anything
            gate.open()
            for thread in threads:
                thread.join(30)
        finally:
            gate.open()
            registry.reset()
    assert [type(outcome).__name__ for outcome in outcomes] == ["ImageSet"] * 4
    assert all(Path(result[0].path).is_file() for result in outcomes)


def test_a_call_after_configure_uses_the_new_settings(tmp_path: Path) -> None:
    with Emulator() as emulator:
        try:
            vi.configure(backend="emulator", base_url=emulator.base_url, output_dir=str(tmp_path / "out"))
            vi.generate_images("a fox", model=GEMINI)
            first = registry.state().client()
            vi.configure(max_concurrency=3)
            vi.generate_images("a fox again", model=GEMINI)
            second = registry.state().client()
        finally:
            registry.reset()
    assert second is not first and second.settings.max_concurrency == 3
    assert first.retired and first.in_flight == 0
