"""An offline emulator of Vertex AI and the Gemini API for Google's image models, on 127.0.0.1.

It speaks the wire format of WIRE.md (Imagen ``:predict``; Gemini ``:generateContent`` and
``:streamGenerateContent?alt=sse``; Vertex regional, global and express paths; Gemini API ``v1``/``v1beta``;
the model listings of both), and is written independently of the client's request builders and parsers so
that each checks the other.

It serves Google's lineup of the emulated day (``lineup.py``, written from MODELS-2026-11.md): by default
today, so Imagen and the Gemini image previews answer 404 as the real services do; ``as_of=date(2026, 3, 1)``
(``--as-of 2026-03-01``, or the request header ``x-emulator-as-of: 2026-03-01``) replays an earlier day.

    with Emulator() as em:
        em.base_url          # "http://127.0.0.1:PORT"
        em.requests          # what it received: method, path, query, headers (lower-case), JSON body

Command line: ``python -m vertex_image.emulator [--port N] [--as-of YYYY-MM-DD] [--latency S] [--rpm N]
[--require-key KEY] [--blocked-words W ...] [--fault SPEC]``.

Trigger words in a prompt (whole words, any case):

=================  =====================================================================================
word               answer (all HTTP 200 unless noted)
=================  =====================================================================================
``blockme``,       configurable ``blocked_words``: Imagen filters every image (``raiFilteredReason`` only with
``forbidden``      ``includeRaiReason``, else ``{}``); Gemini ``IMAGE_SAFETY`` with a ``finishMessage``
``halfblock``      Imagen filters odd-indexed images; Gemini blocks odd-indexed candidates (candidateCount>1)
``promptblock``    Imagen: HTTP 400 prompt-blocked error; Gemini: ``promptFeedback.blockReason`` SAFETY
``prohibitme``     Gemini ``IMAGE_PROHIBITED_CONTENT``
``imageother``     Gemini ``IMAGE_OTHER`` with empty content
``noimage``        Gemini ``NO_IMAGE`` candidate without content
``textonly``       Gemini answers with text only (``STOP``)
=================  =====================================================================================

Faults: the ``fault`` argument / ``--fault SPEC`` (every request, or ``;every=K``) and the per-request header
``x-emulator-fault: SPEC`` (with ``x-emulator-fault-key`` for ``xN`` counting); see ``faults.py``.
Authentication: Vertex paths need ``Authorization: Bearer <any token>`` (tokens starting with ``expired`` or
``invalid`` get 401) or an API key; Gemini API paths need ``x-goog-api-key`` or ``?key=`` (else 403). With
``require_key`` set, any other API key gets 400 ``API_KEY_INVALID``.
"""

from __future__ import annotations

import datetime
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .app import DropConnection, EmulatorApp, RecordedRequest
from .call import DEFAULT_BLOCKED_WORDS
from .lineup import LINEUP_DAY

__all__ = ["DEFAULT_BLOCKED_WORDS", "LINEUP_DAY", "Emulator", "EmulatorApp", "RecordedRequest"]


class _Handler(ServerHandler):
    """wsgiref's handler, quiet about the connections the emulator drops on purpose."""

    def log_exception(self, exc_info: Any) -> None:
        if exc_info[0] is not None and issubclass(exc_info[0], (DropConnection, ConnectionError)):
            return
        super().log_exception(exc_info)


class _RequestHandler(WSGIRequestHandler):
    """One request per connection (HTTP/1.0 semantics, always with Content-Length); no access log."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        if getattr(self.server, "verbose", False):
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _Handler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    verbose = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, DropConnection, socket.timeout)):
            return
        super().handle_error(request, client_address)


class Emulator:
    """The emulator served over HTTP on a daemon thread.

    Args:
        host: interface to bind (loopback by default).
        port: TCP port; 0 picks a free one.
        latency_s: added delay before every answer.
        rpm: requests per sliding minute before 429 RESOURCE_EXHAUSTED; None for no limit.
        require_key: the only API key accepted (others get 400 API_KEY_INVALID); None accepts any key.
        blocked_words: words that make every image blocked (default ``blockme``, ``forbidden``).
        fault: a fault spec applied to every request (see ``faults.py``), e.g. ``"503;every=3"``.
        extra_models: more model ids to accept: names (behaving like the nearest known model) or a mapping
            ``name -> known model id``. They are served on both surfaces whatever the emulated day.
        verbose: log each request line to stderr.
        as_of: the emulated day (which models are live, retired or not yet released); None: ``today()``.
            The request header ``x-emulator-as-of: YYYY-MM-DD`` overrides it for one request.
        today: the clock giving the emulated day when ``as_of`` is None (default ``datetime.date.today``).
        batch_delay_s: how long a batch job stays PENDING, then RUNNING, before it ends (``batches.py``).
        storage_dir: the folder behind the emulated Cloud Storage JSON API (default: a temporary folder).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        rpm: int | None = None,
        require_key: str | None = None,
        blocked_words: Sequence[str] | None = None,
        fault: str | None = None,
        extra_models: Mapping[str, str] | Iterable[str] | None = None,
        verbose: bool = False,
        as_of: datetime.date | None = None,
        today: Callable[[], datetime.date] = datetime.date.today,
        batch_delay_s: float = 2.0,
        storage_dir: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.verbose = verbose
        self.app = EmulatorApp(
            latency_s=latency_s,
            rpm=rpm,
            require_key=require_key,
            blocked_words=blocked_words,
            fault=fault,
            extra_models=extra_models,
            as_of=as_of,
            today=today,
            batch_delay_s=batch_delay_s,
            storage_dir=storage_dir,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("The emulator is not running; call start() or use it as a context manager.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far (thread-safe snapshot, the last 1000)."""
        return self.app.requests

    def clear_requests(self) -> None:
        """Forget the received requests."""
        self.app.clear_requests()

    def start(self) -> Emulator:
        """Bind and serve on a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _RequestHandler)
        server.verbose = self.verbose
        server.set_app(self.app)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="vertex-image-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted (the CLI)."""
        self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"Emulator({where})"
