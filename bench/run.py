"""Side by side: vertex-image against google-genai, LiteLLM and bare httpx, on one local server (issue 16).

    make bench                                  # the project venv with the bench extra, then this file
    .venv/bin/python bench/run.py [--quick] [--rounds N] [--only 1k,c32,...] [--out build/bench/results.md]

Every figure is measured for every contender in the same run, interleaved round by round (the order rotates
each round), against ``bench/server.py`` in its own process (canned Gemini ``generateContent`` answers with
photo-like PNGs; see its docstring). The table gives each contender's median and, for each peer, the median
of the per-round ratios ours / theirs: on a shared 2-core machine the ratio of two neighbours in time is far
steadier than either number alone. Each sample starts once every contender's disk work is done and the
process's other threads are quiet (``quiesce``): one contender's background work (LiteLLM's logging thread,
our fsync pass, the kernel's writeback of unsynced files) is not charged to the next. ``--quick`` runs fewer
rounds and two lighter scenarios (said in the row).

Contenders, each as a user would write it:
    vertex-image  ``vi.configure(backend="gemini-api", api_key=..., base_url=..., output_dir=<temp>)`` then
                  ``vi.generate_images(prompt, model=...)`` (saves durably before returning) or
                  ``await vi.agenerate_images(...)``; "network + parse" is its ``Client.generate_content`` plus
                  ``parse_generate_content_response`` on its runtime loop (no store).
    google-genai  ``genai.Client(api_key=..., http_options=HttpOptions(base_url=...))``,
                  ``client.models.generate_content`` / ``client.aio.models.generate_content``, then
                  ``part.as_image().save(path)`` (the SDK's documented way; a plain write, no fsync).
    LiteLLM       ``litellm.completion`` / ``acompletion`` with ``model="gemini/..."``, ``api_base``,
                  ``modalities=["image", "text"]``; the image is the data URL in ``message.images``, decoded
                  and written.
    httpx         bare ``httpx.Client`` / ``AsyncClient`` POST, ``json.loads``, ``base64.b64decode``, write.

Rows (``--only`` keys in brackets):
    [load]   ``%load_ext vertex_image`` vs ``import google.genai`` / ``import litellm`` / ``import httpx``, one
             IPython cell each in a fresh process (the shell's own start not counted).
    [cold]   import + client + first 1K request saved to disk, fresh process.
    [1k]     a 1024 px answer: network + parse only; and the full call to a saved file.
    [c32]    32 prompts at 0.5 s server latency: vertex-image at its default settings (a concurrency that starts
             at 8 and grows while no 429 comes) and at ``max_concurrency=8`` (a cap); the peers gathered under an
             ``asyncio.Semaphore(8)``; the ideal is 2.0 s (8 at a time).
    [tiny]   1x1 answers, requests per second, full call, sequential.
    [rss]    RSS growth of a fresh process that keeps 50 2048 px images (each result kept as a user keeps it).
    [ipynb]  bytes an .ipynb stores for one displayed 4096 px image: vertex-image's display of the result;
             google-genai's ``image.show()`` (a PIL image: IPython stores a full PNG); a full-PNG
             ``IPython.display.Image`` for LiteLLM and httpx.
    [many]   issue 14's 200 prompts through ``generate_many(mode="now")`` at 0.5 s latency, concurrency 8, against
             the ideal 12.5 s and the same rows gathered by hand (bench/batch_bench.py; printed in the notes).
    [profile] cProfile of vertex-image's full call for the 1K and the tiny answer (run on the calling thread's
             loop, so the profiler sees the request, parse and save), written to
             ``build/bench/profile-1k.txt`` and ``profile-tiny.txt`` with a breakdown by part at the top.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import gc
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL = "gemini-nano-banana-2.1"  # not in vertex-image's model table: passed through as a Gemini image model
KEY = "bench-key"
PEER_CONCURRENCY = 8  # the peers' semaphore in the 32-prompt run, and the ideal's concurrency
NAMES = ("vertex-image", "google-genai", "LiteLLM", "httpx")
OURS = "vertex-image"


def prompt_for(number: int) -> str:
    return f"a red fox in fresh snow at dawn, photo, take {number}"


# --- the contenders ----------------------------------------------------------------------------------------


class VertexImage:
    name = "vertex-image"

    def __init__(self, out: Path) -> None:
        import vertex_image as vi

        self.vi, self.out = vi, out

    def prepare(self, base: str, *, concurrency: int | None = None) -> None:
        """``None`` unsets ``max_concurrency``: the package's default, whatever it is."""
        self.vi.configure(
            backend="gemini-api", api_key=KEY, base_url=base, output_dir=str(self.out), max_concurrency=concurrency
        )

    def parse(self, prompt: str) -> bytes:
        from vertex_image.core.registry import state
        from vertex_image.wire import gemini

        kernel = state()
        client = kernel.client()
        body = gemini.build_generate_content_body(
            [gemini.user_content(prompt)], dialect=client.settings.speaks, response_modalities=("IMAGE",)
        )
        location = client.settings.location_for("gemini")
        raw = kernel.runtime().run(client.generate_content(MODEL, body, location=location))
        return gemini.parse_generate_content_response(raw).images[0].data

    def keep(self, prompt: str) -> Any:
        return self.vi.generate_images(prompt, model=MODEL)

    def full(self, prompt: str) -> Path:
        return Path(self.keep(prompt)[0].path)

    async def afull(self, prompt: str, semaphore: asyncio.Semaphore) -> Path:
        return Path((await self.vi.agenerate_images(prompt, model=MODEL))[0].path)  # its own limit, not ours

    @staticmethod
    def kept_bytes(kept: Any) -> int:
        return sum(len(image.data) for image in kept)

    def displayed(self, prompt: str) -> Any:
        return self.keep(prompt)  # the cell's last expression: the ImageSet


class GoogleGenai:
    name = "google-genai"

    def __init__(self, out: Path) -> None:
        from google import genai
        from google.genai import types

        self.genai, self.types, self.out = genai, types, out
        self.config = types.GenerateContentConfig(response_modalities=["IMAGE"])
        self.count = 0

    def prepare(self, base: str, **_: Any) -> None:
        self.client = self.genai.Client(api_key=KEY, http_options=self.types.HttpOptions(base_url=base))

    def _response(self, prompt: str) -> Any:
        return self.client.models.generate_content(model=MODEL, contents=prompt, config=self.config)

    def _save(self, response: Any) -> tuple[Any, Path]:
        for part in response.parts:
            if part.inline_data:
                image = part.as_image()
                self.count += 1
                path = self.out / f"image-{self.count}.png"
                image.save(str(path))
                return image, path
        raise RuntimeError("no image in the answer")

    def parse(self, prompt: str) -> bytes:
        return next(part.inline_data.data for part in self._response(prompt).parts if part.inline_data)

    def keep(self, prompt: str) -> Any:
        return self._save(self._response(prompt))[0]

    def full(self, prompt: str) -> Path:
        return self._save(self._response(prompt))[1]

    async def afull(self, prompt: str, semaphore: asyncio.Semaphore) -> Path:
        async with semaphore:
            response = await self.client.aio.models.generate_content(model=MODEL, contents=prompt, config=self.config)
        return self._save(response)[1]

    @staticmethod
    def kept_bytes(kept: Any) -> int:
        return len(kept.image_bytes)

    def displayed(self, prompt: str) -> Any:
        return self.keep(prompt)._pil_image  # what ``image.show()`` passes to IPython's display()


class BytesToFile:
    """A peer that gets the image's bytes (``parse``) and writes them to a file, as a user of it would."""

    out: Path
    count: int

    def parse(self, prompt: str) -> bytes:
        raise NotImplementedError

    def _write(self, data: bytes) -> Path:
        self.count += 1
        path = self.out / f"image-{self.count}.png"
        path.write_bytes(data)
        return path

    def keep(self, prompt: str) -> bytes:
        data = self.parse(prompt)
        self._write(data)
        return data

    def full(self, prompt: str) -> Path:
        return self._write(self.parse(prompt))


class LiteLLM(BytesToFile):
    name = "LiteLLM"

    def __init__(self, out: Path) -> None:
        import litellm

        litellm.suppress_debug_info = True
        self.litellm, self.out = litellm, out
        self.count = 0

    def prepare(self, base: str, **_: Any) -> None:
        self.api_base = base.rstrip("/") + "/v1beta"  # LiteLLM appends models/{model}:generateContent

    def _kwargs(self, prompt: str) -> dict[str, Any]:
        return {
            "model": f"gemini/{MODEL}",
            "messages": [{"role": "user", "content": prompt}],
            "api_key": KEY,
            "api_base": self.api_base,
            "modalities": ["image", "text"],
        }

    @staticmethod
    def _bytes(response: Any) -> bytes:
        url = response.choices[0].message.images[0]["image_url"]["url"]
        return base64.b64decode(url.partition(",")[2])

    def parse(self, prompt: str) -> bytes:
        return self._bytes(self.litellm.completion(**self._kwargs(prompt)))

    async def afull(self, prompt: str, semaphore: asyncio.Semaphore) -> Path:
        async with semaphore:
            response = await self.litellm.acompletion(**self._kwargs(prompt))
        return self._write(self._bytes(response))

    @staticmethod
    def kept_bytes(kept: Any) -> int:
        return len(kept)

    def displayed(self, prompt: str) -> Any:
        from IPython.display import Image

        return Image(data=self.keep(prompt))


class BareHttpx(BytesToFile):
    name = "httpx"

    def __init__(self, out: Path) -> None:
        import httpx

        self.httpx, self.out = httpx, out
        self.http = httpx.Client(timeout=300)
        self.ahttp: Any = None
        self.count = 0

    def prepare(self, base: str, **_: Any) -> None:
        self.url = f"{base.rstrip('/')}/v1beta/models/{MODEL}:generateContent"

    @staticmethod
    def _body(prompt: str) -> dict[str, Any]:
        return {"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": {"responseModalities": ["IMAGE"]}}

    @staticmethod
    def _bytes(content: bytes) -> bytes:
        answer = json.loads(content)
        return base64.b64decode(answer["candidates"][0]["content"]["parts"][0]["inlineData"]["data"])

    def parse(self, prompt: str) -> bytes:
        response = self.http.post(self.url, json=self._body(prompt), headers={"x-goog-api-key": KEY})
        response.raise_for_status()
        return self._bytes(response.content)

    async def afull(self, prompt: str, semaphore: asyncio.Semaphore) -> Path:
        if self.ahttp is None:  # made on the row's loop, on its warm-up call
            self.ahttp = self.httpx.AsyncClient(timeout=300)
        async with semaphore:
            response = await self.ahttp.post(self.url, json=self._body(prompt), headers={"x-goog-api-key": KEY})
            response.raise_for_status()
        return self._write(self._bytes(response.content))

    @staticmethod
    def kept_bytes(kept: Any) -> int:
        return len(kept)

    def displayed(self, prompt: str) -> Any:
        from IPython.display import Image

        return Image(data=self.keep(prompt))


CLASSES: dict[str, Callable[[Path], Any]] = {
    "vertex-image": VertexImage, "google-genai": GoogleGenai, "LiteLLM": LiteLLM, "httpx": BareHttpx,
}
LOAD_CELLS = {
    "vertex-image": "%load_ext vertex_image",
    "google-genai": "import google.genai",
    "LiteLLM": "import litellm",
    "httpx": "import httpx",
}


# --- children: the rows that need a fresh process -------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(kind: str, name: str, url: str, out: str, count: int) -> dict[str, Any]:
    if kind == "load":
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shell.run_cell("1", store_history=False)  # the cell machinery itself is not what is measured
        start = time.perf_counter()
        result = shell.run_cell(LOAD_CELLS[name], store_history=False)
        seconds = time.perf_counter() - start
        if not result.success:
            raise RuntimeError(f"{LOAD_CELLS[name]!r} failed: {result.error_in_exec or result.error_before_exec!r}")
        return {"seconds": seconds}
    if kind == "cold":
        start = time.perf_counter()
        contender = CLASSES[name](Path(out))
        imported = time.perf_counter() - start
        contender.prepare(url)
        path = contender.full(prompt_for(0))
        seconds = time.perf_counter() - start
        if not Path(path).stat().st_size:
            raise RuntimeError(f"{path} is empty")
        return {"seconds": seconds, "import": imported}
    if kind == "rss":
        contender = CLASSES[name](Path(out))
        contender.prepare(url)
        contender.keep(prompt_for(-1))  # imports, connection, codecs
        gc.collect()
        before = rss_bytes()
        kept = [contender.keep(prompt_for(number)) for number in range(count)]
        gc.collect()
        growth = rss_bytes() - before
        return {"growth": growth, "kept": sum(contender.kept_bytes(item) for item in kept)}
    if kind == "profile":
        return {"text": profile_full_call(url, Path(out), count, name)}
    raise ValueError(f"unknown child {kind!r}")


def profile_full_call(url: str, out: Path, count: int, size: str) -> str:
    """cProfile of ``count`` full calls; the call runs on this thread's loop so the profiler sees all of it."""
    import cProfile
    import pstats

    import vertex_image as vi
    from vertex_image.core.api import GenerateRequest, agenerate_request

    vi.configure(backend="gemini-api", api_key=KEY, base_url=url, output_dir=str(out))
    profiler = cProfile.Profile()

    async def calls() -> float:
        await agenerate_request(GenerateRequest(prompt_for(-1), MODEL))  # warm-up: imports, connection
        start = time.perf_counter()
        profiler.enable()
        for number in range(count):
            await agenerate_request(GenerateRequest(prompt_for(number), MODEL))
        profiler.disable()
        return time.perf_counter() - start

    elapsed = asyncio.run(calls())
    text = io.StringIO()
    text.write(f"{count} full {size} calls (agenerate_request on the caller's loop, profiled): "
               f"{elapsed / count * 1000:.1f} ms per call with the profiler on\n\n")
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write("== where the time goes, ms per call (cumulative; the parts overlap where nested) ==\n")
    for label, file, function in PROFILE_PARTS:
        seconds = sum(
            cumulative for (name, _, func), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
            if name == file and func == function
        )
        text.write(f"  {label:<44}{seconds / count * 1000:8.2f}\n")
    text.write("\n")
    text.write("== by own time (tottime) ==\n")
    stats.sort_stats("tottime").print_stats(22)
    text.write("== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(40)
    return text.getvalue()


PROFILE_PARTS = (  # (label, file as strip_dirs() shows it, function)
    ("HTTP request and answer, whole (Client._exchange)", "http.py", "_exchange"),
    ("  of which send to headers (httpx transport)", "default.py", "handle_async_request"),
    ("  of which body read (Client._read_body)", "http.py", "_read_body"),
    ("json.loads of the body", "decoder.py", "raw_decode"),
    ("base64 decode (binascii.a2b_base64)", "~", "<built-in method binascii.a2b_base64>"),
    ("response parse, with the decode", "gemini_response.py", "parse_generate_content_response"),
    ("save with charge and replay records (ImageStore.save_all)", "store.py", "save_all"),
    ("  of which the index transaction's SQL", "~", "<method 'execute' of 'sqlite3.Connection' objects>"),
    ("  of which fsync", "~", "<built-in method posix.fsync>"),
    ("  of which metadata embedding", "store.py", "embedded_parts"),
    ("  of which sha256", "~", "<built-in method _hashlib.openssl_sha256>"),
)


def child_env() -> dict[str, str]:
    """The environment of a child process, as after `pip install`: the peers' .pyc files were written at install,
    ours by the warm-up child (a sandbox's PYTHONDONTWRITEBYTECODE would make only vertex-image compile from source
    each time)."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def run_child(kind: str, name: str, url: str, count: int = 0, timeout: float = 180) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as out:
        command = [sys.executable, str(HERE / "run.py"), "--child", kind, name, url, out, str(count)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=out, env=child_env())
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"child {kind} {name} exited {done.returncode}: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- rows, samples and ratios -------------------------------------------------------------------------------


@dataclass
class Row:
    """One figure: per contender, one sample per round (None: not run that round, or failed)."""

    key: str
    figure: str
    unit: str  # s, ms, req/s, MB, KB
    higher_better: bool = False
    samples: dict[str, list[float | None]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    target: tuple[str, str, float] | None = None  # (against, "<=" or ">=", limit) from issue 16
    ideal: float | None = None  # the ideal, when the target is against it
    note: str = ""

    def add(self, name: str, value: float | None) -> None:
        self.samples.setdefault(name, []).append(value)

    def median(self, name: str) -> float | None:
        values = [v for v in self.samples.get(name, []) if v is not None]
        return statistics.median(values) if values else None

    def ratio(self, peer: str, ours: str = OURS) -> float | None:
        """The median over rounds of ours / theirs, both measured in the round."""
        if peer == "ideal":
            mine = self.median(ours)
            return None if mine is None or not self.ideal else mine / self.ideal
        pairs = zip(self.samples.get(ours, []), self.samples.get(peer, []))
        ratios = [a / b for a, b in pairs if a is not None and b]
        return statistics.median(ratios) if ratios else None

    def rounds(self) -> int:
        return max((len([v for v in values if v is not None]) for values in self.samples.values()), default=0)


SCALE = {"s": 1.0, "ms": 1e3, "req/s": 1.0, "MB": 1e-6, "KB": 1e-3}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    scaled = value * SCALE[unit]
    digits = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2 if abs(scaled) >= 1 else 3
    return f"{scaled:.{digits}f} {unit}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if value < 0.01 else f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def freeze() -> None:
    """Move everything alive now out of the collector's sight (``gc.freeze``).

    With LiteLLM imported, a full collection takes ~0.5 s: one falling inside a sample would charge it to
    whichever contender happened to run, and the ``gc.collect()`` before each sample would make rows slow.
    """
    gc.collect()
    gc.freeze()


def busy_ticks() -> int:
    """CPU ticks used so far by every thread of this process but the calling one (Linux; 0 elsewhere)."""
    me = str(threading.get_native_id())
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            if task == me:
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                with open(f"/proc/self/task/{task}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def settle(quiet_s: float = 0.1, limit_s: float = 5.0) -> float:
    """Wait until no other thread of this process has used CPU for ``quiet_s`` (at most ``limit_s``); the wait.

    A contender's background work must not be charged to whoever runs next: after each 1K call LiteLLM's
    logging thread works on for ~0.6 s (measured: 65 ticks of CPU in the second after one call), holding the
    GIL in long stretches; a contender that hands work between two threads (vertex-image's caller and its
    loop) then waits up to a switch interval at each handover (a 1K call measured 13 ms alone, 20 ms right
    after a LiteLLM call). vertex-image's own background fsync pass is waited for the same way.
    """
    start = time.perf_counter()
    last, quiet_since = busy_ticks(), start
    while (now := time.perf_counter()) - quiet_since < quiet_s and now - start < limit_s:
        time.sleep(0.01)
        ticks = busy_ticks()
        if ticks != last:
            last, quiet_since = ticks, time.perf_counter()
    return time.perf_counter() - start


def quiesce() -> float:
    """Put every contender's pending disk work behind us, then ``settle``; the time it took.

    Each contender's writes are its own sample's, but their disk work can land in another's: vertex-image fsyncs
    its files and checkpoints its index in a background pass ~0.5 s after a save (``files.GROUP_SYNC``), which
    sleeps without CPU (``settle`` does not see it) and then runs during whoever samples next; the peers leave
    their files to the kernel's writeback, which runs whenever it runs. So the pass is run now (in this process,
    where vertex-image runs) and the kernel writes every dirty page out (``os.sync``), outside any timing.
    """
    start = time.perf_counter()
    files = sys.modules.get("vertex_image.results.files")
    if files is not None:
        files.GROUP_SYNC.flush()
    os.sync()
    settle()
    return time.perf_counter() - start


def rotated(names: tuple[str, ...], number: int) -> list[str]:
    shift = number % len(names)
    return list(names[shift:] + names[:shift])


KEPT = ("index.sqlite",)  # vertex-image's index (and its -wal, -shm): a folder's database stays, as in use


def wipe(folder: Path) -> None:
    """Remove the images a sample wrote (keeping the folder small and the disk's work alike for every contender).

    vertex-image's index database stays: deleting it under an open connection would leave the store writing
    into unlinked files (and skipping its checkpoints: ``IndexDB.checkpoint`` sees no file), which no user's
    folder does. Its rows then name deleted images, which changes no save (every answer's bytes are new).
    """
    for item in folder.iterdir():
        if item.name.startswith(KEPT):
            continue
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Plan:
    quick: bool
    sub_rounds: int  # fresh-process rows
    litellm_sub_rounds: int  # LiteLLM's import alone takes seconds
    warm_children: bool
    inproc_rounds: int  # 1K rows
    c32_rounds: int
    c32_latency: float
    tiny_rounds: int
    tiny_calls: int
    sustained_rounds: int
    sustained_calls: int
    rss_rounds: int
    rss_images: int
    profile_calls: int

    @classmethod
    def of(cls, quick: bool, rounds: int | None) -> Plan:
        if quick:
            plan = cls(True, 1, 1, False, 5, 1, 0.25, 2, 12, 1, 100, 1, 10, 5)
        else:
            # 21 tiny rounds: one round's ratio spans 0.6 to 1.0 on a shared machine
            plan = cls(False, 5, 3, True, 15, 3, 0.5, 21, 30, 5, 500, 2, 50, 20)
        if rounds:
            plan.inproc_rounds = rounds
        return plan


class Bench:
    def __init__(self, url: str, plan: Plan, work: Path) -> None:
        self.url, self.plan, self.work = url, plan, work
        self.many_lines: list[str] = []  # the generate_many(mode="now") run's figures, when it is chosen
        self._contenders: dict[str, Any] = {}
        self.failed_setup: dict[str, str] = {}
        self.settled: list[float] = []  # each sample's wait for pending disk work and busy threads (quiesce)

    def base(self, **options: Any) -> str:
        """The server URL with per-request options as a path prefix (every client just prepends base_url)."""
        if not options:
            return self.url
        return f"{self.url}/bench/" + ",".join(f"{key}={value}" for key, value in options.items())

    def contenders(self) -> dict[str, Any]:
        if not self._contenders:
            for name in NAMES:
                folder = self.work / name
                folder.mkdir(parents=True, exist_ok=True)
                try:
                    self._contenders[name] = CLASSES[name](folder)
                except Exception as error:  # noqa: BLE001 - a missing contender leaves its column empty
                    self.failed_setup[name] = f"{type(error).__name__}: {error}"
            freeze()
        return self._contenders

    def sample(self, row: Row, name: str, measure: Callable[[], float]) -> None:
        """One timed sample, taken when the process is quiet (``settle``); a failure is recorded once and
        leaves the sample empty."""
        self.settled.append(quiesce())
        try:
            row.add(name, measure())
        except Exception as error:  # noqa: BLE001
            row.add(name, None)
            row.errors.setdefault(name, f"{type(error).__name__}: {str(error)[:200]}")

    # rows ---------------------------------------------------------------------------------------------------

    def row_load(self) -> list[Row]:
        row = Row("load", "`%load_ext vertex_image` vs `import <peer>`, one IPython cell, fresh process", "ms",
                  target=("google-genai", "<=", 0.15))
        self._children(row, lambda name: run_child("load", name, self.url)["seconds"])
        return [row]

    def row_cold(self) -> list[Row]:
        row = Row("cold", "cold: import + client + first 1K request saved, fresh process", "s",
                  target=("google-genai", "<=", 0.5))
        imports: dict[str, list[float]] = {}

        def measure(name: str) -> float:
            result = run_child("cold", name, self.base(size="1K"))
            imports.setdefault(name, []).append(result["import"])
            return result["seconds"]

        self._children(row, measure, on_warm=imports.clear)
        row.note = "import alone: " + ", ".join(
            f"{name} {fmt(statistics.median(values), 's')}" for name, values in imports.items()
        )
        return [row]

    def _children(self, row: Row, measure: Callable[[str], float], on_warm: Callable[[], None] = lambda: None) -> None:
        plan = self.plan
        if plan.warm_children:  # page cache and .pyc files, not counted
            for name in NAMES:
                with contextlib.suppress(Exception):
                    measure(name)
            on_warm()
        for number in range(plan.sub_rounds):
            for name in rotated(NAMES, number):
                if name == "LiteLLM" and number >= plan.litellm_sub_rounds:
                    row.add(name, None)
                    continue
                self.sample(row, name, lambda: measure(name))

    def row_1k(self) -> list[Row]:
        parse = Row("parse", "1K PNG answer: network + parse only", "ms", target=("google-genai", "<=", 1.0))
        full = Row("full", "1K PNG answer to saved image, full call", "ms", target=("google-genai", "<=", 1.3))
        contenders = self.contenders()
        url = self.base(size="1K")
        for contender in contenders.values():
            contender.prepare(url)
            for number in range(2):  # connections, imports, codecs
                with contextlib.suppress(Exception):
                    contender.parse(prompt_for(-1 - number))
                    contender.full(prompt_for(-3 - number))
            wipe(contender.out)
        freeze()
        counter = iter(range(10**6))
        for number in range(self.plan.inproc_rounds):
            for row, method in ((parse, "parse"), (full, "full")):
                for name in rotated(tuple(contenders), number):
                    contender = contenders[name]
                    self.sample(row, name, lambda: self._timed(getattr(contender, method), prompt_for(next(counter))))
                    wipe(contender.out)
        return [parse, full]

    @staticmethod
    def _timed(call: Callable[[str], Any], prompt: str) -> float:
        gc.collect()
        start = time.perf_counter()
        call(prompt)
        return time.perf_counter() - start

    def row_c32(self) -> list[Row]:
        plan = self.plan
        latency = plan.c32_latency
        ideal = 32 / PEER_CONCURRENCY * latency
        at = f"32 prompts, {latency:g} s latency"
        default = Row("c32", f"{at}: vertex-image at its default settings; peers at {PEER_CONCURRENCY}", "s",
                      target=("ideal", "<=", 1.15), ideal=ideal)
        eight = Row("c32-8", f"{at}: vertex-image at max_concurrency={PEER_CONCURRENCY}", "s", ideal=ideal)
        contenders = self.contenders()
        url = self.base(latency=latency, size="1K")
        variants = {"vertex-image": None, "vertex-image@8": PEER_CONCURRENCY}
        loop = asyncio.new_event_loop()
        try:
            semaphore = asyncio.Semaphore(PEER_CONCURRENCY)
            for contender in contenders.values():
                contender.prepare(url)

            async def warm() -> None:  # one request each, all at once: sessions, pools, imports
                await asyncio.gather(*(c.afull(prompt_for(-1), semaphore) for c in contenders.values()),
                                     return_exceptions=True)

            loop.run_until_complete(warm())
            freeze()
            names = tuple(n for n in NAMES if n in contenders) + (("vertex-image@8",) if OURS in contenders else ())
            counter = iter(range(10**6))
            for number in range(plan.c32_rounds):
                for name in rotated(names, number):
                    contender = contenders[OURS if name in variants else name]
                    if name in variants:
                        contender.prepare(url, concurrency=variants[name])
                    prompts = [prompt_for(next(counter)) for _ in range(32)]

                    async def batch(contender: Any = contender, prompts: list[str] = prompts) -> None:
                        results = await asyncio.gather(*(contender.afull(p, semaphore) for p in prompts))
                        if len(results) != 32:
                            raise RuntimeError(f"{len(results)} results")

                    def measure() -> float:
                        gc.collect()
                        start = time.perf_counter()
                        loop.run_until_complete(batch())
                        return time.perf_counter() - start

                    target = eight if name == "vertex-image@8" else default
                    self.sample(target, OURS if name in variants else name, measure)
                    wipe(contender.out)
        finally:
            ahttp = getattr(contenders.get("httpx"), "ahttp", None)
            if ahttp is not None:
                loop.run_until_complete(ahttp.aclose())
            loop.close()
        for name in NAMES[1:]:  # the same peer samples, paired with ours at 8
            eight.samples[name] = list(default.samples.get(name, []))
        if OURS in contenders:
            contenders[OURS].prepare(url)
            default.note = (f"vertex-image's default max_concurrency: {contenders[OURS].vi.settings().max_concurrency}, "
                            "a start that grows while no 429 comes (client.http.AdaptiveLimit); set, it is a cap")
        return [default, eight]

    def row_tiny(self) -> list[Row]:
        plan = self.plan
        row = Row("tiny", f"tiny (1x1) answers, requests/s, full call, sequential ({plan.tiny_calls} a sample)",
                  "req/s", higher_better=True, target=("google-genai", ">=", 0.8))
        return [self._tiny_calls(row, plan.tiny_rounds, plan.tiny_calls, tuple(self.contenders()))]

    def row_sustained(self) -> list[Row]:
        """The tiny row over samples long enough (~2 s) for vertex-image's background pass (its sidecars, fsyncs and
        index checkpoint, ~0.5 s after a save) to run inside them: what sequential calls get in a long loop,
        the background work included. The short row's samples end before that pass (``quiesce`` runs it
        between samples, untimed)."""
        plan = self.plan
        row = Row("sustained", f"tiny answers, requests/s, sustained ({plan.sustained_calls} a sample, "
                  "vertex-image's background pass inside)", "req/s", higher_better=True)  # fmt: skip
        names = tuple(name for name in ("vertex-image", "google-genai") if name in self.contenders())
        return [self._tiny_calls(row, plan.sustained_rounds, plan.sustained_calls, names)]

    def _tiny_calls(self, row: Row, rounds: int, calls: int, names: tuple[str, ...]) -> Row:
        contenders = self.contenders()
        url = self.base(size="tiny")
        for name in names:
            contenders[name].prepare(url)
            for number in range(3):
                with contextlib.suppress(Exception):
                    contenders[name].full(prompt_for(-1 - number))
        freeze()
        counter = iter(range(10**6))
        for number in range(rounds):
            for name in rotated(names, number):
                contender = contenders[name]
                prompts = [prompt_for(next(counter)) for _ in range(calls)]

                def measure() -> float:
                    gc.collect()
                    start = time.perf_counter()
                    for prompt in prompts:
                        contender.full(prompt)
                    return len(prompts) / (time.perf_counter() - start)

                self.sample(row, name, measure)
                wipe(contender.out)
        return row

    def row_rss(self) -> list[Row]:
        plan = self.plan
        row = Row("rss", f"RSS growth, {plan.rss_images} x 2048 px PNG kept, fresh process each", "MB",
                  target=("google-genai", "<=", 1.2))
        kept: list[int] = []
        url = self.base(size="2K")
        import concurrent.futures

        # Memory is not a timing: the four processes of a round run at once, to keep the run short.
        with concurrent.futures.ThreadPoolExecutor(len(NAMES)) as pool:
            for _ in range(plan.rss_rounds):
                futures = {name: pool.submit(run_child, "rss", name, url, plan.rss_images, 300) for name in NAMES}
                for name, future in futures.items():
                    def measure(future: Any = future) -> float:
                        result = future.result()
                        kept.append(result["kept"])
                        return result["growth"]

                    self.sample(row, name, measure)
        if kept:
            row.note = f"image bytes kept: {statistics.median(kept) / 1e6:.0f} MB"
        return [row]

    def row_ipynb(self) -> list[Row]:
        from IPython.core.interactiveshell import InteractiveShell

        row = Row("ipynb", ".ipynb bytes for one displayed 4096 px image", "KB")
        shell = InteractiveShell.instance()
        contenders = self.contenders()
        url = self.base(size="4K")
        for name, contender in contenders.items():
            def measure(contender: Any = contender) -> float:
                contender.prepare(url)
                data, metadata = shell.display_formatter.format(contender.displayed(prompt_for(0)))
                data = {  # binary reprs (PIL's PNG) go out base64-encoded, as ipykernel sends them
                    mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
                    for mime, value in data.items()
                }
                output = {"output_type": "display_data", "data": data, "metadata": metadata}
                return float(len(json.dumps(output, indent=1)))  # nbformat writes JSON with indent=1

            self.sample(row, name, measure)
            wipe(contender.out)
        from server import image

        row.note = f"the 4K PNG received: {len(image('4K')) / 1e6:.1f} MB"
        return [row]

    def profile(self) -> dict[str, str]:
        """cProfile texts of vertex-image's full call, for the 1K answer and the tiny one."""
        calls = {"1k": self.plan.profile_calls, "tiny": self.plan.profile_calls * 3}
        return {size: str(run_child("profile", size, self.base(size=size.upper() if size == "1k" else size),
                                    count)["text"])
                for size, count in calls.items()}


# --- the table ------------------------------------------------------------------------------------------------


def target_text(row: Row) -> str:
    if row.target is None:
        return ""
    against, sign, limit = row.target
    ratio = row.ratio(against)
    if ratio is None:
        return f"{sign}{limit:g} vs {against}"
    ok = ratio <= limit if sign == "<=" else ratio >= limit
    shown = "ideal" if against == "ideal" else "genai"
    return f"{sign} {limit:g} vs {shown}: {fmt_ratio(ratio)} {'pass' if ok else 'FAIL'}"


def table(rows: list[Row]) -> str:
    head = ["figure", *NAMES, "ours/genai", "ours/LiteLLM", "ours/httpx", "issue 16 target", "rounds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row.figure, *(fmt(row.median(name), row.unit) for name in NAMES)]
        cells += [fmt_ratio(row.ratio(peer)) for peer in NAMES[1:]]
        cells += [target_text(row), str(row.rounds())]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("vertex-image", "google-genai", "litellm", "httpx", "aiohttp", "pillow", "ipython"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return ", ".join(found)


def transports() -> str:
    """Which HTTP stack each client uses here: google-genai picks httpx2 and aiohttp when they are installed."""
    from importlib.util import find_spec

    genai_sync = "httpx2" if find_spec("httpx2") else "httpx"
    genai_async = "aiohttp" if find_spec("aiohttp") else genai_sync
    return (f"transports: vertex-image httpx.AsyncHTTPTransport (httpcore) on its runtime loop, without "
            f"AsyncClient.send; google-genai {genai_sync} (sync), {genai_async} (async); LiteLLM httpx (sync), httpx "
            "over its aiohttp transport (async); bare httpx: httpx.Client / AsyncClient")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        total = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory = f", {int(total.split()[1]) / 1024**2:.0f} GB RAM"
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} x {cpu}{memory}, Python {platform.python_version()}"


def report(rows: list[Row], plan: Plan, loads: list[tuple[str, tuple[float, float, float]]], bench: Bench,
           elapsed: float) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from server import SIDES, image

    sizes = ", ".join(
        f"{size} {len(image(size)) / 1e6:.2f} MB PNG ({len(image(size)) * 4 / 3 / 1e6:.2f} MB of base64)"
        for size in SIDES if size != "tiny"
    )
    out = [
        f"# vertex-image side by side ({'quick' if plan.quick else 'default'} run, {stamp})",
        "",
        f"- machine: {machine()}",
        "- load average (1, 5, 15 min) at each row's start: "
        + "; ".join(f"{key} {a:.2f}/{b:.2f}/{c:.2f}" for key, (a, b, c) in loads),
        f"- {versions()}",
        f"- model id `{MODEL}` (vertex-image passes unknown ids through as Gemini image models); images: {sizes}",
        f"- every figure: median over rounds; ratios: median of the per-round ratios ours / theirs "
        f"(throughput: ours / theirs too, higher is better); the whole run took {elapsed:.0f} s",
        "",
        table(rows),
        "",
    ]
    notes = [f"- {row.key}: {row.note}" for row in rows if row.note]
    for row in rows:
        notes += [f"- {row.key}: {name} failed: {error}" for name, error in row.errors.items()]
    notes += [f"- {name} could not be set up: {error}" for name, error in bench.failed_setup.items()]
    notes.append(f"- {transports()}")
    if bench.settled:
        notes.append(f"- before each of its {len(bench.settled)} samples the bench ran vertex-image's pending fsync "
                     f"pass, wrote every dirty page out (`os.sync`) and waited for the process's other threads to go "
                     f"quiet (`quiesce`): median {statistics.median(bench.settled) * 1000:.0f} ms, "
                     f"longest {max(bench.settled):.2f} s, {sum(bench.settled):.0f} s in all")
    notes += [f"- {line}" for line in bench.many_lines] or [
        "- `generate_many(mode=\"now\")`, 200 prompts: not in this run (`--only many`, or bench/batch_bench.py)"
    ]
    if notes:
        out += ["Notes:", "", *notes, ""]
    return "\n".join(out)


ROWS = ("load", "cold", "1k", "c32", "tiny", "sustained", "rss", "ipynb", "many", "profile")


def many_now() -> list[str]:
    """Issue 14's 200 prompts through ``generate_many(mode="now")`` at 0.5 s latency and concurrency 8 against
    the ideal (bench/batch_bench.py, the emulator in a process of its own), as lines for the notes."""
    done = subprocess.run([sys.executable, str(HERE / "batch_bench.py"), "--only", "now"], capture_output=True,
                          text=True, timeout=600, env=child_env())  # fmt: skip
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [f"`generate_many(mode=\"now\")`: the run failed: {tail}"]
    return ["`generate_many(mode=\"now\")` (bench/batch_bench.py): " + " ".join(lines)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, lighter scenarios (under a minute)")
    parser.add_argument("--rounds", type=int, help="rounds of the in-process 1K rows")
    parser.add_argument("--only", help=f"comma-separated rows: {','.join(ROWS)}")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench" / "results.md"))
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # LiteLLM stays offline
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost"]))
    if args.child:
        kind, name, url, out, count = args.child
        print(json.dumps(child(kind, name, url, out, int(count))))
        return
    chosen = args.only.split(",") if args.only else list(ROWS)
    unknown = set(chosen) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows {', '.join(sorted(unknown))}; choose from {', '.join(ROWS)}")
    plan = Plan.of(args.quick, args.rounds)
    sys.path.insert(0, str(HERE))
    started = time.perf_counter()
    progress("bench: starting the server (the first run makes the 4K PNG: ~10 s)")
    server = subprocess.Popen([sys.executable, str(HERE / "server.py")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.startswith("ready "):
            raise SystemExit(f"bench server did not start: {line!r}")
        url = line.split()[1]
        rows: list[Row] = []
        loads: list[tuple[str, tuple[float, float, float]]] = []
        profiles: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="vertex-image-bench-") as work:
            bench = Bench(url, plan, Path(work))
            for key in ROWS:
                if key not in chosen:
                    continue
                loads.append((key, os.getloadavg()))
                progress(f"bench: {key} ...")
                row_start = time.perf_counter()
                if key == "profile":
                    profiles = bench.profile()
                elif key == "many":
                    bench.many_lines = many_now()
                else:
                    rows += getattr(bench, f"row_{key}")()
                progress(f"bench: {key} done in {time.perf_counter() - row_start:.1f} s")
            loads.append(("end", os.getloadavg()))
            text = report(rows, plan, loads, bench, time.perf_counter() - started)
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    for size, profile_text in profiles.items():
        profile_path = out.parent / f"profile-{size}.txt"
        profile_path.write_text(profile_text)
        print(f"cProfile of vertex-image's full {size} call: {profile_path}")
    print(f"table written to {out}")


if __name__ == "__main__":
    main()
