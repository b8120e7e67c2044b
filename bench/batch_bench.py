"""Many images: generate_many(mode="now") against its ideal, and the store at a batch user's size.

Run: ``PYTHONPATH=ext .venv/bin/python bench/batch_bench.py [--rows 200] [--latency 0.5] [--concurrency 8]
[--stored 50000] [--writers 2 --per-writer 1000]``. Prints figures; it is not a test.

1. ``now``: ``--rows`` prompts through ``vi.generate_many(mode="now")`` with the emulator answering after
   ``--latency`` s and ``max_concurrency`` ``--concurrency``; wall time against the ideal rows/concurrency x
   latency, and the same rows sent by hand (``asyncio.gather`` of ``agenerate_images`` under a semaphore)
   as the peer measured in the same run.
2. ``store``: ``--stored`` images on disk with an index.jsonl as earlier versions wrote it (one line per image,
   one charge line per call); before: the JSONL reader of 7d4c425 (copied here) for ``gallery(model=,
   contains=)``, the newest 20 and the all-time cost total of ``vi.cost()``; after: the same folder opened
   by today's store (the JSONL imported into index.sqlite once), the same queries; median of 5, same run.
3. ``writers``: ``--writers`` processes each saving ``--per-writer`` images into one folder at once, with
   ``durability`` process and fsync; images lost (index rows and files missing) must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
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
from typing import Any

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


MODELS = ["gemini-nano-banana-2.1", "gemini-3-pro-image", "gemini-3.1-flash-lite-image"]


def _fill(folder: Path, count: int) -> None:
    """``count`` images on disk (a tiny PNG each) with an index.jsonl as earlier versions wrote it: one line per
    image and one charge line per call."""
    folder.mkdir(parents=True, exist_ok=True)
    png = _png()
    with open(folder / "index.jsonl", "w", encoding="utf-8") as index:
        for i in range(count):
            name = f"product-shot-{i:016x}.png"
            (folder / name).write_bytes(png)
            entry = {"id": f"{i:016x}", "file": name, "prompt": f"product shot of a blue mug, take {i}",
                     "model": MODELS[i % 3], "parameters": {"row": f"row-{i:05d}"},
                     "saved_at": f"2026-11-{1 + i * 29 // count:02d}T10:00:00+00:00",
                     "cost": {"usd": 0.017, "estimated": False, "mode": "batch"}}  # fmt: skip
            index.write(json.dumps(entry) + "\n")
            charge = {"charge": {"cost": {"usd": 0.017, "estimated": False, "mode": "batch", "items": {}},
                                 "model": MODELS[i % 3], "kind": "call", "backend": "vertex", "day": "2026-11-30"},
                      "saved_at": "2026-11-30T10:00:00+00:00"}  # fmt: skip
            index.write(json.dumps(charge) + "\n")


# the JSONL reader of the store before issue 14 step 5 (results/store.py at 7d4c425), kept as the 'before' peer
def _jsonl_entries(index: Path) -> list[dict[str, Any]]:
    entries = []
    for line in index.read_text(encoding="utf-8", errors="replace").split("\n"):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("file"), str):
            entries.append(entry)
    return entries


def _jsonl_gallery(folder: Path, n: int, model: str | None, contains: str | None) -> list[Any]:
    from vertex_image.base.imageinfo import sniff_mime_type
    from vertex_image.results.store import _image_from, check_name, strip_metadata

    needle = (contains or "").casefold()
    images: list[Any] = []
    seen: set[str] = set()
    for entry in reversed(_jsonl_entries(folder / "index.jsonl")):
        if len(images) >= n:
            break
        if entry.get("id") in seen or (model and entry.get("model") != model):
            continue
        if needle and needle not in str(entry.get("prompt", "")).casefold():
            continue
        path = folder / entry["file"] if _plain_name(entry["file"], check_name) else None
        if path is None or not path.is_file():
            continue
        data = path.read_bytes()
        if not sniff_mime_type(data):
            continue
        seen.add(str(entry.get("id")))
        images.append(_image_from(strip_metadata(data), entry, path))
    return images


def _plain_name(name: str, check_name: Any) -> bool:
    """As the old reader's ``_child``: a tampered line naming a path outside the folder is skipped."""
    try:
        check_name(name)
    except ValueError:  # InvalidRequest is a ValueError
        return False
    return True


def _jsonl_charges(index: Path) -> list[dict[str, Any]]:
    from vertex_image.base.pricing import Cost

    found = []
    for line in index.read_text(encoding="utf-8", errors="replace").split("\n"):
        if '"charge"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        charge = entry.get("charge") if isinstance(entry, dict) else None
        if isinstance(charge, dict) and Cost.from_dict(charge.get("cost")) is not None:
            found.append({**charge, "saved_at": entry.get("saved_at", "")})
    return found


def bench_store(count: int) -> None:
    from vertex_image.core import costs
    from vertex_image.core.costs import Ledger
    from vertex_image.results.store import ImageStore

    def timed(work: Any) -> float:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            work()
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    def total(stored: Any) -> float:  # what vi.cost() computes from the store: the all-time report
        return costs.report(Ledger(), budget=None, stored=stored, prices_as_of="2026-11-30").all_time

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "store"
        _fill(folder, count)
        size = (folder / "index.jsonl").stat().st_size / 1e6
        query = {"n": 20, "model": "gemini-3-pro-image", "contains": "mug, take 49"}
        before_gallery = timed(lambda: _jsonl_gallery(folder, **query))
        before_newest = timed(lambda: _jsonl_gallery(folder, 20, None, None))
        before_cost = timed(lambda: total(_jsonl_charges(folder / "index.jsonl")))
        before_none = timed(lambda: _jsonl_gallery(folder, 20, None, "no such words"))
        old = [image.id for image in _jsonl_gallery(folder, **query)]
        old_total = total(_jsonl_charges(folder / "index.jsonl"))

        start = time.perf_counter()
        store = ImageStore(folder)
        imported = len(store.entries())
        import_s = time.perf_counter() - start
        after_gallery = timed(lambda: store.gallery(**query))
        after_newest = timed(lambda: store.gallery(20))
        after_since = timed(lambda: store.gallery(20, since="2026-11-29", contains="take 4"))
        after_cost = timed(lambda: total(store.charge_totals()))
        after_none = timed(lambda: store.gallery(20, contains="no such words"))
        from vertex_image.results.images import GeneratedImage

        png, saves = _png(), iter(range(10**6))
        after_save = timed(lambda: store.save(GeneratedImage.from_bytes(png + f"{next(saves)}".encode(), "image/png",
                                                                        prompt="one more mug", model="m")))  # fmt: skip
        assert [image.id for image in store.gallery(**query)] == old, "the same images, in the same order"
        assert abs(total(store.charge_totals()) - old_total) < 1e-6, "the same total"
        print(f"store: {count} images on disk, index.jsonl of {count} image lines + {count} charge lines ({size:.1f} MB)")
        print(f"  imported into index.sqlite on first open: {imported} image rows in {import_s:.2f} s (once)")
        print(f"  gallery(20, model=, contains=):  before (JSONL scan) {before_gallery * 1000:.0f} ms | "
              f"after (SQLite) {after_gallery * 1000:.1f} ms | {before_gallery / after_gallery:.0f}x faster")
        print(f"  gallery(20), newest:              before {before_newest * 1000:.0f} ms | "
              f"after {after_newest * 1000:.1f} ms | {before_newest / after_newest:.0f}x faster")
        print(f"  gallery(contains=) matching none: before {before_none * 1000:.0f} ms | "
              f"after (every row read) {after_none * 1000:.1f} ms | {before_none / after_none:.0f}x faster")
        print(f"  gallery(since=, contains=):      after {after_since * 1000:.1f} ms (no 'before': since= is new)")
        print(f"  save one image into this folder (durability process): {after_save * 1000:.1f} ms")
        print(f"  all-time cost total (vi.cost()): before {before_cost * 1000:.0f} ms | "
              f"after (SUM in SQL) {after_cost * 1000:.1f} ms | {before_cost / after_cost:.0f}x faster")


def _writer(folder: str, number: int, count: int, durability: str) -> None:
    from vertex_image.results.images import GeneratedImage
    from vertex_image.results.store import ImageStore

    store = ImageStore(folder, durability=durability)
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
    from vertex_image.results.store import ImageStore, strip_metadata

    for durability in ("process", "fsync"):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            processes = [multiprocessing.Process(target=_writer, args=(folder, n, per_writer, durability))
                         for n in range(writers)]  # fmt: skip
            for process in processes:
                process.start()
            for process in processes:
                process.join()
            took = time.perf_counter() - start
            entries = ImageStore(folder).entries()
            files = list(Path(folder).glob("*.png"))
            complete = sum(1 for entry in entries if (Path(folder) / entry["file"]).is_file()
                           and hashlib.sha256(strip_metadata((Path(folder) / entry["file"]).read_bytes())).hexdigest()[:16]
                           == entry["id"])  # fmt: skip
            expected = writers * per_writer
            print(f"writers ({durability}): {writers} processes x {per_writer} saves into one folder in {took:.1f} s "
                  f"({expected / took:.0f} saves/s): {len(entries)} index rows, {len({e['id'] for e in entries})} "
                  f"distinct images, {len(files)} files, {complete} rows naming a complete file; lost "
                  f"{expected - len(entries)} rows, {expected - len(files)} files; exit codes "
                  f"{[p.exitcode for p in processes]}")  # fmt: skip


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
