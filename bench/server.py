"""A local server of canned Gemini ``generateContent`` answers, for the side-by-side benchmark (``bench/run.py``).

    .venv/bin/python bench/server.py [--port 0] [--latency 0] [--size 1K]

prints ``ready http://127.0.0.1:PORT`` once it serves, and serves until stdin closes or it is terminated.

What it answers, on both route forms:

    POST /{version}/models/{model}:generateContent                                           (Gemini API)
    POST /{version}/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent   (Vertex AI)

is the real JSON shape: ``candidates[0].content.parts[0].inlineData {mimeType, data}``, ``finishReason``
``STOP``, ``usageMetadata``, ``modelVersion``, ``responseId``. The image is a PNG made once at start
(cached in ``build/bench/images``): ``tiny`` 1x1, ``1K`` 1024x1024, ``2K`` 2048x2048, ``4K`` 4096x4096,
photo-like (gradients and noise) so that PNG cannot compress it away. Every answer carries distinct image
bytes (a ``tEXt`` chunk with a counter before ``IEND``), so a content-addressed store saves each one as a
new file, as it would for real images; the base64 of the big part is computed once.

Options per request (first found wins): a path prefix ``/bench/size=2K,latency=0.5/`` (so a client's
``base_url`` can carry them), query ``?size=...&latency=...``, headers ``x-bench-size`` / ``x-bench-latency``,
the request's ``generationConfig.imageConfig.imageSize``, then the server's flags. ``latency`` is seconds
slept before answering. ``GET /bench/stats`` gives the request count.

The server is a ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive with ``TCP_NODELAY`` on every accepted
socket: without it the stdlib server's header and body writes meet Nagle's algorithm and delayed ACKs, and
every request stalls ~40 ms.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import socket
import struct
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

MODEL = "gemini-nano-banana-2.1"
SIDES = {"tiny": 1, "1K": 1024, "2K": 2048, "4K": 4096}
RECIPE = "v1"  # bump when photo_like() changes, so cached PNGs are made again
CACHE = Path(__file__).resolve().parent.parent / "build" / "bench" / "images"

_ROUTE = re.compile(
    r"^/(?P<version>v\d+(?:alpha|beta)?\d*)/"
    r"(?:projects/[^/]+/locations/[^/]+/publishers/google/)?models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)
_PREFIX = re.compile(r"^/bench/(?P<opts>[^/]*)(?P<rest>/.*)$")


def photo_like(side: int, seed: int = 0) -> bytes:
    """A PNG that compresses like a photo: gradients plus a noise texture (as ``display_bench.py`` makes)."""
    from PIL import Image

    if side == 1:
        out = io.BytesIO()
        Image.new("RGB", (1, 1), (200, 120, 40)).save(out, format="PNG")
        return out.getvalue()
    gradient = Image.linear_gradient("L").resize((side, side))
    texture = Image.effect_noise((side // 4, side // 4), 40 + seed % 7).resize((side, side), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((side, side), 12)
    picture = Image.merge("RGB", [gradient, texture, Image.blend(texture, grain, 0.5)])
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def image(size: str) -> bytes:
    """The PNG for a size, made once and cached on disk (a 4K one takes seconds to compress)."""
    path = CACHE / f"photo-{RECIPE}-{size}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = photo_like(SIDES[size])
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError:
        pass  # a read-only tree only costs the time to make it again
    return data


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


@dataclass
class Canned:
    """One size's answer in parts: the JSON around the image, and the image's base64 split for cheap variants.

    The PNG without its ``IEND`` is ``stem``; the first ``len(stem) // 3 * 3`` bytes of it are encoded once
    (``b64_head``), so an answer only encodes the last few bytes, a ``tEXt`` chunk and ``IEND`` per request.
    """

    png: bytes
    b64_head: bytes
    stem_tail: bytes
    width: int

    @classmethod
    def of(cls, png: bytes) -> Canned:
        iend = png.rindex(b"IEND") - 4  # the chunk's length field
        stem = png[:iend]
        cut = len(stem) // 3 * 3
        width = struct.unpack(">I", png[16:20])[0]
        return cls(png, base64.b64encode(stem[:cut]), stem[cut:], width)

    def parts(self, number: int, model: str) -> list[bytes]:
        """The body of answer ``number`` as byte strings to send one after another."""
        marker = _chunk(b"tEXt", b"bench\x00answer %d" % number)
        tail = base64.b64encode(self.stem_tail + marker + _chunk(b"IEND", b""))
        tokens = 1290 if self.width <= 1024 else 1120 if self.width <= 2048 else 2000
        head = (
            '{"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"image/png","data":"'
        ).encode()
        usage = {
            "promptTokenCount": 12,
            "candidatesTokenCount": tokens,
            "totalTokenCount": 12 + tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": tokens}],
        }
        rest = (
            '"}}]},"finishReason":"STOP","index":0}],"usageMetadata":' + json.dumps(usage, separators=(",", ":"))
            + f',"modelVersion":{json.dumps(model)},"responseId":"bench-{number:08d}"}}'
        ).encode()
        return [head, self.b64_head, tail + rest]


class BenchServer(ThreadingHTTPServer):
    """The threaded server; ``start()`` runs it on a daemon thread, ``base_url`` is where it listens."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, port: int = 0, *, latency: float = 0.0, size: str = "1K", sizes: tuple[str, ...] = ()) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.latency = latency
        self.default_size = size
        self.canned = {name: Canned.of(image(name)) for name in (sizes or tuple(SIDES))}
        self.count = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def next_number(self) -> int:
        with self._lock:
            self.count += 1
            return self.count

    def start(self) -> BenchServer:
        self._thread = threading.Thread(target=self.serve_forever, name="bench-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BenchServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if urlsplit(self.path).path.rstrip("/").endswith("/bench/stats"):
            self._send(200, json.dumps({"requests": self.server.count}).encode())
        elif self.path in ("/", "/health"):
            self._send(200, b'{"ok":true}')
        else:
            self._error(404, "NOT_FOUND", f"No GET route {self.path}")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        path, options = url.path, {}
        prefixed = _PREFIX.match(path)
        if prefixed:
            path = prefixed["rest"]
            for item in filter(None, prefixed["opts"].split(",")):
                key, _, value = item.partition("=")
                options.setdefault(key, value)
        for key, values in parse_qs(url.query).items():
            options.setdefault(key, values[0])
        for key in ("size", "latency"):
            if f"x-bench-{key}" in self.headers:
                options.setdefault(key, self.headers[f"x-bench-{key}"])
        route = _ROUTE.match(path)
        if route is None or route["method"] != "generateContent":
            self._error(404, "NOT_FOUND", f"No route {url.path}; this server answers :generateContent only.")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "INVALID_ARGUMENT", "The request body is not JSON.")
            return
        if "size" not in options:
            config = (body.get("generationConfig") or body.get("generation_config") or {}) if isinstance(body, dict) else {}
            asked = (config.get("imageConfig") or config.get("image_config") or {}).get("imageSize")
            if asked:
                options["size"] = asked
        size = options.get("size", self.server.default_size)
        canned = self.server.canned.get(size)
        if canned is None:
            self._error(400, "INVALID_ARGUMENT", f"Unknown size {size!r}; served: {', '.join(self.server.canned)}.")
            return
        latency = float(options.get("latency", self.server.latency))
        if latency > 0:
            time.sleep(latency)
        parts = canned.parts(self.server.next_number(), route["model"])
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(sum(map(len, parts))))
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def _error(self, code: int, status: str, message: str) -> None:
        payload = {"error": {"code": code, "message": message, "status": status}}
        self._send(code, json.dumps(payload).encode())

    def _send(self, code: int, payload: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before every answer")
    parser.add_argument("--size", default="1K", choices=tuple(SIDES), help="the image size when none is asked for")
    args = parser.parse_args()
    server = BenchServer(args.port, latency=args.latency, size=args.size).start()
    print(f"ready {server.base_url}", flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
