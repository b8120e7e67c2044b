"""Many images: generate_many(mode="now") against its ideal, and the store at a batch user's size.

Run: ``PYTHONPATH=ext .venv/bin/python bench/batch_bench.py [--rows 200] [--latency 0.5] [--concurrency 8]
[--stored 50000] [--writers 2 --per-writer 1000]``. Prints figures; it is not a test.

1. ``now``: ``--rows`` prompts through ``vi.generate_many(mode="now")`` with the emulator answering after
   ``--latency`` s and ``max_concurrency`` ``--concurrency``; wall time against the ideal rows/concurrency x
   latency, and the same rows sent by hand (``asyncio.gather`` of ``agenerate_images`` under a semaphore)
   as the peer measured in the same run.
2. ``store``: ``--stored`` index entries (plus one charge line per entry) in a JSONL index (the store as it is
   today), then ``gallery(contains=..., model=...)`` and the all-time cost total (``charges()``), median of 3.
3. ``writers``: ``--writers`` processes each saving ``--per-writer`` images into one folder at once;
   images lost (index entries and files missing) must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXT = str(Path(__file__).resolve().parent.parent / "ext")
sys.path.insert(0, EXT)

import vertex_image as vi
from vertex_image.core import registry


def bench_now(rows: int, latency: float, concurrency: int) -> None:
    prompts = [f"a paper boat, take {i}" for i in range(rows)]
    # the emulator in a process of its own (as a remote service is): its drawing does not share our GIL
    command = [sys.executable, "-u", "-m", "vertex_image.emulator", "--port", "0", "--latency", str(latency)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env={**os.environ, "PYTHONPATH": EXT})
    assert server.stdout is not None
    base_url = ""
    while not base_url:  # the emulator prints its URL on one of its first lines
        found = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
        base_url = found.group(0) if found else ""
    with tempfile.TemporaryDirectory() as out:
        vi.configure(backend="emulator", base_url=base_url, output_dir=out, max_concurrency=concurrency)
        vi.generate_images("warm up")  # the emulator's and client's first-call costs
        start = time.perf_counter()
        result = vi.generate_many(prompts, mode="now", progress=False)
        ours = time.perf_counter() - start
        assert not result.failed and len(result.images.images) == rows

        async def by_hand() -> None:
            limit = asyncio.Semaphore(concurrency)

            async def one(prompt: str) -> None:
                async with limit:
                    await vi.agenerate_images(prompt + " by hand")

            await asyncio.gather(*(one(p) for p in prompts))

        start = time.perf_counter()
        asyncio.run(by_hand())
        peer = time.perf_counter() - start
        registry.reset()
    server.terminate()
    server.wait()
    ideal = rows / concurrency * latency
    print(f"now: {rows} rows, latency {latency} s, concurrency {concurrency}")
    print(f"  ideal {ideal:.2f} s | generate_many {ours:.2f} s ({ours / ideal:.2f}x ideal) | "
          f"by hand (gather + semaphore) {peer:.2f} s ({peer / ideal:.2f}x ideal)")  # fmt: skip


def _fill(folder: Path, count: int) -> None:
    """``count`` index entries and charge lines as the store writes them (JSONL), with a few real files."""
    from vertex_image.results.store import INDEX_NAME

    folder.mkdir(parents=True, exist_ok=True)
    models = ["gemini-nano-banana-2.1", "gemini-3-pro-image", "gemini-3.1-flash-lite-image"]
    with open(folder / INDEX_NAME, "w", encoding="utf-8") as index:
        for i in range(count):
            entry = {"id": f"{i:016x}", "file": f"{i:016x}.png", "prompt": f"product shot {i} of a blue mug",
                     "model": models[i % 3], "parameters": {"row": f"row-{i:05d}"}, "saved_at": "2026-11-30T10:00:00+00:00",
                     "cost": {"usd": 0.017, "estimated": False, "mode": "batch"}}  # fmt: skip
            index.write(json.dumps(entry) + "\n")
            charge = {"charge": {"cost": {"usd": 0.017, "estimated": False, "mode": "batch", "items": {}},
                                 "model": models[i % 3], "kind": "call", "backend": "vertex", "day": "2026-11-30"}}  # fmt: skip
            index.write(json.dumps(charge) + "\n")


def bench_store(count: int) -> None:
    from vertex_image.results.store import ImageStore

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "store"
        _fill(folder, count)
        store = ImageStore(folder)

        def timed(work: object) -> float:
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                work()  # type: ignore[operator]
                runs.append(time.perf_counter() - start)
            return statistics.median(runs)

        gallery = timed(lambda: store.gallery(20, model="gemini-3-pro-image", contains="mug 49"))
        costs = timed(lambda: sum(c["cost"]["usd"] for c in store.charges()))
        print(f"store: {count} entries + {count} charge lines in index.jsonl "
              f"({(folder / 'index.jsonl').stat().st_size / 1e6:.1f} MB)")  # fmt: skip
        print(f"  JSONL scan: gallery(contains=, model=) {gallery * 1000:.0f} ms | cost total {costs * 1000:.0f} ms")
        print("  sqlite index: not built (step 5 of issue 14 not done), no 'after' figure")


def _writer(folder: str, number: int, count: int) -> None:
    from vertex_image.results.images import GeneratedImage
    from vertex_image.results.store import ImageStore

    store = ImageStore(folder)
    png = _png()
    for i in range(count):
        data = png + f"writer {number} image {i}".encode()  # distinct bytes: distinct files
        store.save(GeneratedImage.from_bytes(data, "image/png", prompt=f"w{number} i{i}", model="m"))


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def bench_writers(writers: int, per_writer: int) -> None:
    from vertex_image.results.store import ImageStore

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        processes = [multiprocessing.Process(target=_writer, args=(folder, n, per_writer)) for n in range(writers)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        took = time.perf_counter() - start
        entries = ImageStore(folder).entries()
        files = [p for p in Path(folder).glob("*.png")]
        expected = writers * per_writer
        print(f"writers: {writers} processes x {per_writer} saves into one folder in {took:.1f} s: "
              f"{len(entries)} index entries, {len(files)} files; lost {expected - len(entries)} entries, "
              f"{expected - len(files)} files")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stored", type=int, default=50_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--per-writer", type=int, default=1000)
    parser.add_argument("--only", choices=["now", "store", "writers"])
    args = parser.parse_args()
    if args.only in (None, "now"):
        bench_now(args.rows, args.latency, args.concurrency)
    if args.only in (None, "store"):
        bench_store(args.stored)
    if args.only in (None, "writers"):
        bench_writers(args.writers, args.per_writer)


if __name__ == "__main__":
    main()
