"""Small hostile HTTP servers on 127.0.0.1 for reliability tests: each misbehaves in one way.

A server runs in its own threads (stdlib ``ThreadingHTTPServer``) and answers every POST with its
``behave(handler)``; ``stop()`` (or leaving the ``with``) releases any handler still waiting and closes it.
``served`` counts the requests that reached it; ``hung_up`` is set when a client went away mid-answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behaviour = Callable[["HostileServer", BaseHTTPRequestHandler], None]


class HostileServer:
    """A loopback HTTP server whose every POST is answered by ``behave(server, handler)``."""

    def __init__(self, behave: Behaviour) -> None:
        self.behave = behave
        self.released = threading.Event()  # set by stop(): a waiting behaviour gives up
        self.hung_up = threading.Event()  # the client closed the connection while we were writing
        self.served = 0
        self.bytes_sent = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                with server._lock:
                    server.served += 1
                try:
                    server.behave(server, self)
                except (BrokenPipeError, ConnectionResetError):
                    server.hung_up.set()
                self.close_connection = True

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="hostile-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> HostileServer:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        with self._lock:
            self.bytes_sent += len(data)


def headers(handler: BaseHTTPRequestHandler, *, length: int | None, chunked: bool = False) -> None:
    """A 200 with JSON headers: a ``Content-Length`` when given, else chunked transfer encoding."""
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    if length is not None:
        handler.send_header("content-length", str(length))
    if chunked:
        handler.send_header("transfer-encoding", "chunked")
    handler.end_headers()
    handler.wfile.flush()


def dripping(every_s: float, length: int = 1000) -> Behaviour:
    """Headers at once, then one byte of a ``length``-byte body every ``every_s`` seconds."""

    def behave(server: HostileServer, handler: BaseHTTPRequestHandler) -> None:
        headers(handler, length=length)
        for _ in range(length):
            if server.released.wait(every_s):
                return
            server.write(handler, b" ")

    return behave


def hanging_after_headers(server: HostileServer, handler: BaseHTTPRequestHandler) -> None:
    """Headers announcing a body, then nothing until the server stops."""
    headers(handler, length=1000)
    server.released.wait(60)


def declaring(length: int, trickle: int = 40) -> Behaviour:
    """Headers declaring a ``length``-byte body, ``trickle`` KB of it (one every 0.05 s), then nothing."""

    def behave(server: HostileServer, handler: BaseHTTPRequestHandler) -> None:
        headers(handler, length=length)
        for _ in range(trickle):
            if server.released.wait(0.05):
                return
            server.write(handler, b" " * 1024)
        server.released.wait(60)

    return behave


def endless_chunks(chunk: int = 64 * 1024) -> Behaviour:
    """A chunked body without a length that never ends (until the client goes away or the server stops)."""

    def behave(server: HostileServer, handler: BaseHTTPRequestHandler) -> None:
        headers(handler, length=None, chunked=True)
        piece = b"%x\r\n%s\r\n" % (chunk, b" " * chunk)
        while not server.released.is_set():
            server.write(handler, piece)

    return behave


def canned(body: bytes, status: int = 200) -> Behaviour:
    """One fixed answer."""

    def behave(server: HostileServer, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        server.write(handler, body)

    return behave
