"""ImageStore under SIGKILL: two processes saving into one folder, killed at random points, leave a readable
store whose every index row points at a complete image, and whose sidecars are whole or written back (issue 16: crash safety with shared fsyncs;
issue 14: several kernels writing one SQLite index)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import struct
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image
from vertex_image.results.images import GeneratedImage, ImageSet
from vertex_image.results.store import ImageStore, strip_metadata

KILLS = 20
WRITERS = 2

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin", reason="needs os.fork and SIGKILL (Linux)"
)


def base_png() -> bytes:
    picture = Image.effect_noise((320, 320), 60).convert("RGB")  # ~300 KB: a write takes a while
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def numbered(png: bytes, number: int) -> bytes:
    """The same picture with a tEXt chunk after IHDR: distinct bytes, so a new content-addressed file."""
    body = b"n\0" + str(number).encode()
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return png[:33] + chunk + png[33:]


def save_forever(root: Path, png: bytes, first: int, ready: int, durability: str) -> None:
    """The child: save sets of two images in a loop until killed (it never returns)."""
    store = ImageStore(root, durability=durability)
    number = first
    os.write(ready, b"1")
    while True:
        images = tuple(
            GeneratedImage.from_bytes(numbered(png, number + k), "image/png", prompt=f"take {number + k}", model="m")
            for k in range(2)
        )
        store.save_all(ImageSet(images=images, prompt="take", model="m"))
        number += 2


def check_store(root: Path) -> tuple[int, int]:
    """Every index line names a complete file whose bytes hash to its id; every sidecar on disk is whole, and
    one the kill kept from the disk (``durability="process"`` leaves them to the background pass) is written by
    the next store's ``flush``. (Lines, sidecars written back.)"""
    store = ImageStore(root)
    entries = store.entries()
    missing = 0
    for entry in entries:
        path = root / entry["file"]
        assert path.is_file(), f"index line for a missing file: {entry['file']}"
        received = strip_metadata(path.read_bytes())
        assert hashlib.sha256(received).hexdigest()[:16] == entry["id"], f"partial or wrong file {entry['file']}"
        sidecar = path.with_name(path.name + ".json")
        if sidecar.exists():
            assert json.loads(sidecar.read_text(encoding="utf-8"))["id"] == entry["id"]
        else:
            missing += 1
    store.flush()
    for entry in entries:
        sidecar = root / (entry["file"] + ".json")
        assert json.loads(sidecar.read_text(encoding="utf-8"))["id"] == entry["id"], f"no sidecar for {sidecar}"
    return len(entries), missing


@pytest.mark.parametrize("durability", ["process", "fsync"])
def test_killing_the_process_at_random_points_while_it_saves_never_breaks_the_store(
    tmp_path: Path, durability: str
) -> None:
    png = base_png()
    rng = random.Random(16)
    root = tmp_path / "store"
    listed = repaired = 0
    started = time.monotonic()
    probe = time.perf_counter()  # how long one save takes here: the kills fall within the first few saves
    ImageStore(tmp_path / "probe", durability=durability).save_all(ImageSet(images=tuple(
        GeneratedImage.from_bytes(numbered(png, -k), "image/png", prompt="probe", model="m") for k in (1, 2))))
    one_save = time.perf_counter() - probe
    for kill in range(KILLS):
        pids = []
        for writer in range(WRITERS):  # kernels saving into the same folder at once
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    os.close(read_end)
                    save_forever(root, png, first=kill * 100_000 + writer * 50_000, ready=write_end,
                                 durability=durability)
                finally:
                    os._exit(1)
            os.close(write_end)
            assert os.read(read_end, 1) == b"1"
            os.close(read_end)
            pids.append(pid)
        for pid in pids:
            time.sleep(rng.uniform(0.5, 5) * one_save / WRITERS)  # within the first saves, at any point of one
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        count, missing = check_store(root)
        repaired += missing
        assert missing == 0 or durability == "process", "with fsync a save returns with its sidecar on disk"
        assert count >= listed  # nothing listed before is lost
        listed = count
    store = ImageStore(root)
    assert len(store.gallery(n=10_000)) == len({entry["id"] for entry in store.entries()})
    Image.open(store.gallery(n=1)[0].path).load()  # the newest decodes to the end
    store.discard_partial()
    assert not list(root.glob(".vi-tmp-*"))
    assert listed >= KILLS // 2, f"only {listed} images were saved in {KILLS} runs: the kills came too early to test much"
    print(f"{durability}: {KILLS} x {WRITERS} kills, {listed} images listed, {repaired} sidecars written back after a kill, one save {one_save * 1000:.0f} ms, {time.monotonic() - started:.1f} s")
