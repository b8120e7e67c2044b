"""Display cost of results: notebook bytes per image, time to preview, kernel memory over 50 images.

Run: ``.venv/bin/python bench/display_bench.py [--repeat N]``. Prints a table; it is not a test.

Images: the offline emulator's Gemini images (``gemini-3-pro-image-preview`` at 1K/2K/4K, JPEG drawings)
when ``vertex_image.emulator`` is importable, and photo-like PNGs drawn with Pillow (noise texture,
as Imagen returns PNG). Each row says which.

Columns:
    received       the image bytes as the service sent them
    full PNG b64   what a hand-written ``display(Image(png))`` cell stores: the full image as base64 PNG
    ours           the JSON of our output (``_repr_mimebundle_`` data + metadata), as nbformat stores it
    preview ms     received bytes -> GeneratedImage -> mimebundle, median of N (fresh image each run),
                   wall clock and process CPU time
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ext"))

from vertex_image.results.images import GeneratedImage, ImageSet  # noqa: E402

SIZES = {"1K": 1024, "2K": 2048, "4K": 4096}
MODEL = "gemini-3-pro-image-preview"


def emulator_source() -> Callable[[str, int], bytes] | None:
    """A function (size, seed) -> image bytes from the emulator, or None when it is not available."""
    try:
        import httpx
        from vertex_image.emulator import Emulator
    except ImportError:
        return None
    emulator = Emulator().start()
    url = f"{emulator.base_url}/v1/projects/p/locations/us-central1/publishers/google/models/{MODEL}:generateContent"

    def fetch(size: str, seed: int) -> bytes:
        body = {
            "contents": [{"role": "user", "parts": [{"text": f"a red fox, take {seed}"}]}],
            "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"imageSize": size}, "seed": seed},
        }
        reply = httpx.post(url, json=body, headers={"Authorization": "Bearer x"}, timeout=300).json()
        parts = reply["candidates"][0]["content"]["parts"]
        return next(base64.b64decode(p["inlineData"]["data"]) for p in parts if "inlineData" in p and not p.get("thought"))

    try:
        fetch("1K", 0)
    except Exception as error:  # noqa: BLE001 - a broken emulator only changes the image source
        print(f"(emulator not usable: {error!r}; using Pillow images only)")
        emulator.stop()
        return None
    return fetch


def photo_like(size: str, seed: int) -> bytes:
    """A PNG that compresses like a photo: gradients plus a noise texture."""
    from PIL import Image

    side = SIZES[size]
    gradient = Image.linear_gradient("L").resize((side, side))
    texture = Image.effect_noise((side // 4, side // 4), 40 + seed % 7).resize((side, side), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((side, side), 12)
    picture = Image.merge("RGB", [gradient, texture, Image.blend(texture, grain, 0.5)])
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def full_png_b64(data: bytes) -> int:
    """Bytes a cell stores when it displays the full image as PNG (the usual hand-written loop)."""
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as picture:
        picture.save(out, format="PNG")
    return len(base64.b64encode(out.getvalue()))


def notebook_bytes(image: GeneratedImage) -> int:
    data, metadata = image._repr_mimebundle_()
    return len(json.dumps({"output_type": "execute_result", "data": data, "metadata": metadata}))


def preview_ms(data: bytes, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds (CPU time is the better guide on a loaded machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        GeneratedImage.from_bytes(data, model=MODEL, prompt="a red fox")._repr_mimebundle_()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, not current (macOS/BSD)


def memory_over(source: Callable[[str, int], bytes], count: int = 50) -> tuple[float, float, float]:
    """RSS growth (MB) over ``count`` 2K images received, displayed and kept alive in ImageSets.

    Returns (RSS growth, MB of received bytes, MB of cached previews). Run in a fresh process.
    """
    base = source("2K", 0)
    ImageSet(images=(GeneratedImage.from_bytes(base, model=MODEL, seed=0),))._repr_mimebundle_()  # load codecs
    gc.collect()
    before = rss_mb()
    kept: list[ImageSet] = []
    for seed in range(count):
        data = source("2K", seed) if source is not photo_like else base[:-1] + base[-1:]  # a distinct copy
        image_set = ImageSet(images=(GeneratedImage.from_bytes(data, model=MODEL, prompt="a red fox", seed=seed),))
        image_set._repr_mimebundle_()  # what IPython does on display; Out[] keeps the set alive
        kept.append(image_set)
    gc.collect()
    raw = sum(len(s[0].data) for s in kept)
    cached = sum(len(p.data) + len(p.b64) for s in kept for p in s[0].__dict__.get("_cache", {}).values()
                 if not isinstance(p, str))
    return rss_mb() - before, raw / 1e6, cached / 1e6


def memory_report(name: str) -> str:
    """The memory line for one source, measured in this (fresh) process."""
    source = emulator_source() if name == "emulator" else photo_like
    if source is None:
        return "emulator not usable"
    growth, raw, cached = memory_over(source)
    return (
        f"RSS +{growth:.0f} MB over 50 received, displayed and kept 2K images "
        f"(received bytes {raw:.1f} MB, cached previews {cached:.1f} MB = {cached / 50 * 1000:.0f} kB/image)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="timing runs per size (median)")
    parser.add_argument("--memory", choices=("emulator", "pillow"), help="only the memory run (fresh process)")
    args = parser.parse_args()
    if args.memory:
        print(memory_report(args.memory))
        return
    sources: list[tuple[str, Callable[[str, int], bytes]]] = []
    fetch = emulator_source()
    if fetch is not None:
        sources.append(("emulator (Gemini JPEG)", fetch))
    sources.append(("Pillow photo-like PNG", photo_like))
    photo_like("1K", 0)  # import Pillow and warm up before measuring anything

    header = f"{'source':<24}{'size':>5}{'received':>12}{'full PNG b64':>14}{'ours':>10}{'saving':>8}{'preview ms wall/cpu':>21}"
    print(header)
    print("-" * len(header))
    for label, source in sources:
        for size in SIZES:
            data = source(size, 1)
            image = GeneratedImage.from_bytes(data, model=MODEL, prompt="a red fox")
            full, ours = full_png_b64(data), notebook_bytes(image)
            wall, cpu = preview_ms(data, args.repeat)
            print(
                f"{label:<24}{size:>5}{len(data) / 1e3:>10.0f}kB{full / 1e3:>12.0f}kB{ours / 1e3:>8.0f}kB"
                f"{full / ours:>7.1f}x{wall:>13.0f} / {cpu:<5.0f}"
            )
    print()
    for label, name in (("emulator (Gemini JPEG)", "emulator"), ("Pillow photo-like PNG", "pillow")):
        if name == "emulator" and fetch is None:
            continue
        result = subprocess.run(
            [sys.executable, __file__, "--memory", name], capture_output=True, text=True, check=True
        )
        print(f"{label}: {result.stdout.strip().splitlines()[-1]}")

if __name__ == "__main__":
    main()
