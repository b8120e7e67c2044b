"""Test helpers for the Python API and sessions: an emulator whose exchanges are recorded, and a kernel on it.

``Recorder`` wraps the emulator's WSGI app (``Emulator.app`` is public) to keep every request body with
the JSON the emulator answered, and the peak number of requests in flight. The ``kernel`` fixture
points ``vi.configure`` at it over real HTTP and resets the registry afterwards.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from vertex_image.core import registry
from vertex_image.emulator import Emulator
from vertex_image.results.store import ImageStore


@dataclass(frozen=True)
class Exchanged:
    """One HTTP exchange with the emulator: path, request body (parsed), status and response body (parsed)."""

    path: str
    body: Any
    status: int
    reply: Any


class Recorder:
    """A WSGI middleware that records exchanges and counts requests in flight."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchanged] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # ``requests``, ``clear_requests``... of the wrapped app
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = _Body(raw)
        status: list[str] = []

        def capture(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            chunks = list(self.app(environ, capture))
        finally:
            with self._lock:
                self.in_flight -= 1
        reply = b"".join(chunks)
        with self._lock:
            self.exchanges.append(
                Exchanged(environ.get("PATH_INFO", ""), _json(raw), int(status[0].split()[0]), _json(reply))
            )
        return chunks

    def sent(self, verb: str = "") -> list[Exchanged]:
        """The exchanges whose path ends with ``:verb`` (all of them without one)."""
        return [e for e in self.exchanges if not verb or e.path.endswith(":" + verb)]


class _Body:
    def __init__(self, raw: bytes) -> None:
        import io

        self._stream = io.BytesIO(raw)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._stream.readline(size)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def recorded_emulator(**options: Any) -> Emulator:
    """An emulator (not started) whose app records exchanges; ``em.app`` is the ``Recorder``."""
    emulator = Emulator(**options)
    emulator.app = Recorder(emulator.app)  # type: ignore[assignment]
    return emulator


def recorder(emulator: Emulator) -> Recorder:
    app = emulator.app
    assert isinstance(app, Recorder)
    return app


@pytest.fixture
def em() -> Iterator[Emulator]:
    """A recording emulator on 127.0.0.1 for one test."""
    with recorded_emulator() as emulator:
        yield emulator


@pytest.fixture
def kernel(em: Emulator, tmp_path: Path) -> Iterator[Recorder]:
    """The kernel configured for the emulator (Vertex dialect) over real HTTP; its exchange recorder."""
    vi.configure(backend="emulator", base_url=em.base_url, output_dir=str(tmp_path / "out"))
    yield recorder(em)
    registry.reset()


def sessions_state() -> dict[str, Any]:
    """Every session in memory (which object, model, options, turns) and every file of sessions/, as bytes; a
    session's ``.lock`` file only as there (it says who took the lock last, and when, to the second: rewritten
    at each turn, even one whose file could not be written)."""
    kernel = registry.state()
    memory = {
        name: (id(chat), chat.model, json.dumps(chat.options, sort_keys=True), chat.last_left_out,
               json.dumps([[ex.user, ex.model, ex.prompt] for ex in chat.exchanges], sort_keys=True))
        for name, chat in kernel.sessions.items()
    }  # fmt: skip
    folder = Path(kernel.settings().output_dir) / "sessions"
    if folder.is_file():
        files: dict[str, bytes | None] = {".": folder.read_bytes()}
    else:
        files = {str(p.relative_to(folder)): p.read_bytes() if p.is_file() and p.suffix != ".lock" else None
                 for p in sorted(folder.rglob("*"))}  # fmt: skip
    return {"memory": memory, "files": files}
LEGACY_DAY = "2026-03-01"  # before Imagen and the Gemini 3 previews were shut down


@pytest.fixture
def legacy_em() -> Iterator[Emulator]:
    """A recording emulator of 2026-03-01, when Imagen and the Gemini 3 previews were still served."""
    import datetime

    with recorded_emulator(as_of=datetime.date.fromisoformat(LEGACY_DAY)) as emulator:
        yield emulator


@pytest.fixture
def legacy_kernel(legacy_em: Emulator, tmp_path: Path) -> Iterator[Recorder]:
    """The kernel on the 2026-03-01 emulator with ``retired_models="send"``: Imagen's ``:predict`` path, as a
    private endpoint that still serves it would be used today."""
    vi.configure(
        backend="emulator", base_url=legacy_em.base_url, output_dir=str(tmp_path / "out"), retired_models="send"
    )
    yield recorder(legacy_em)
    registry.reset()


class NoAuth:
    """An ``Auth`` (client/auth.py's protocol) with nothing to send or hide, for a bare ``Client``."""

    description = "none"
    quota_project = ""

    async def headers(self) -> dict[str, str]:
        return {}

    async def refresh_after_401(self) -> bool:
        return False

    def secrets(self) -> list[str]:
        return []


def sidecar(image: vi.GeneratedImage) -> dict[str, Any]:
    """An image's JSON sidecar: written by the store's background pass, flushed here rather than waited for."""
    ImageStore(Path(image.path).parent).flush()
    return json.loads(Path(image.path + ".json").read_text(encoding="utf-8"))
