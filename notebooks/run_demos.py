"""Run the demos offline against the emulator and write their rendered output (``make demo``).

1. A small gallery through the Python API: Nano Banana 2.1 1:1 x4, a 16:9 at 2K, and a 3-turn refinement,
   written as PNG/JPEG files plus an ``index.html`` into ``OUT/gallery/``.
2. Every ``notebooks/*.ipynb``, executed headless in a fresh kernel (working folder ``OUT/work/``)
   and written as ``OUT/NAME.ipynb`` and ``OUT/NAME.html``.

``--update`` also writes the executed notebooks back into ``notebooks/`` (to refresh the committed
outputs that ``pytest --nbval`` compares against).
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_gallery(out: Path) -> list[Path]:
    """The issue-3 gallery: every image of a few emulator requests, and a page showing them."""
    import vertex_image as vi
    from vertex_image.core import registry

    folder = out / "gallery"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    registry.reset()
    vi.configure(backend="emulator", output_dir=str(folder / "store"))
    try:
        sections = [
            ("Nano Banana 2.1, 1:1, four images", vi.generate_images("a lighthouse on a cliff at dawn", n=4, seed=7)),
            ("Nano Banana 2.1, 16:9 at 2K", vi.generate_images("a panoramic mountain lake", aspect_ratio="16:9", image_size="2K")),
        ]
        session = vi.chat(model="nano-banana", name="gallery")
        for prompt in ("a watercolor fox in a forest", "now make the sky purple", "add a full moon"):
            sections.append((f"Gemini refinement: {prompt}", session.send(prompt)))
    finally:
        registry.reset()
    written: list[Path] = []
    rows = []
    for number, (title, images) in enumerate(sections, 1):
        cells = []
        for index, image in enumerate(images):
            name = f"{number:02d}-{index + 1}.{'jpg' if image.mime_type == 'image/jpeg' else 'png'}"
            (folder / name).write_bytes(image.data)
            written.append(folder / name)
            cells.append(
                f'<figure><img src="{name}" style="max-width:320px"><figcaption>'
                f"{image.width}x{image.height} {html.escape(image.format)}</figcaption></figure>"
            )
        rows.append(f"<h2>{html.escape(title)}</h2><div style='display:flex;gap:8px;flex-wrap:wrap'>{''.join(cells)}</div>")
    page = folder / "index.html"
    page.write_text(f"<!doctype html><meta charset=utf-8><title>vertex-image gallery</title>{''.join(rows)}")
    return [page, *written]


def run_notebook(source: Path, out: Path, work: Path, timeout_s: int) -> tuple[Path, Path, float]:
    """Execute one notebook in a fresh kernel; write the executed copy and its HTML rendering."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    notebook = nbformat.read(source, as_version=4)
    started = time.monotonic()
    # IPC sockets: the kernel is local, and ipykernel warns about unencrypted TCP.
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(work / f".{source.stem}.ipc"))
    try:
        ExecutePreprocessor(
            timeout=timeout_s, kernel_name="python3", record_timing=False, store_widget_state=False
        ).preprocess(
            notebook, {"metadata": {"path": str(work)}}, km=kernel
        )
    finally:
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=False)
    elapsed = time.monotonic() - started
    notebook.metadata.pop("widgets", None)  # model ids change every run; the panel is shown live only
    executed = out / source.name
    nbformat.write(notebook, executed)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    rendered = out / f"{source.stem}.html"
    rendered.write_text(body, encoding="utf-8")
    return executed, rendered, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="build/demo", help="output folder (default build/demo)")
    parser.add_argument("--update", action="store_true", help="also write executed notebooks back into notebooks/")
    parser.add_argument("--only", default="", help="run only notebooks whose name contains this text")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    started = time.monotonic()
    for path in write_gallery(out)[:1]:
        print(f"gallery: {path}")
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    os.environ["VERTEX_IMAGE_OUTPUT_DIR"] = "vertex_images"  # inherited by the kernels, whose folder is work/
    failures = 0
    for source in sorted(HERE.glob("*.ipynb")):
        if args.only and args.only not in source.name:
            continue
        try:
            executed, rendered, elapsed = run_notebook(source, out, work, args.timeout)
        except Exception as exc:  # noqa: BLE001 - report every notebook, then fail
            failures += 1
            reason = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
            print(f"FAILED {source.name}: {reason.splitlines()[0]}")
            continue
        if args.update:
            shutil.copyfile(executed, source)
        print(f"{source.name}: {rendered} ({elapsed:.1f} s, {executed.stat().st_size / 1024:.0f} KiB)")
    print(f"done in {time.monotonic() - started:.1f} s; open {out / 'gallery' / 'index.html'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
