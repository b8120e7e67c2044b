"""Many prompts in one call: ``generate_many`` runs rows now (the kernel's bounded concurrency) or as a batch job.

``mode="now"`` sends every row through the same path as ``generate_images`` (one image per row), as many at once
as the client's adaptive limit allows (a ``max_concurrency`` the user set caps them), with one progress line
(done / failed / retrying, images per minute, spend so far); every image is saved with its row's key
(``parameters["row"]``) before the call returns, and a failed row comes back with its error instead of
stopping the others. ``mode="batch"`` submits the rows to Google's batch engine at half the price
(``core.batches``); ``"auto"`` picks batch above ``AUTO_BATCH_ROWS`` rows and says so.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

from ..base.errors import InvalidRequest, VertexImageError
from ..base.pricing import Cost
from ..results.images import ImageSet
from .api import agenerate_request
from .batches import BatchJob, submit
from .costs import DryRun
from .operations import GenerateRequest
from .registry import state
from .rows import ManyResult, Row, RowResult, expand, request_fields

MODES = ("now", "batch", "auto")
AUTO_BATCH_ROWS = 50
ProgressSink = Callable[[str], object]


def generate_many(
    prompts_or_rows: Any,
    model: str | None = None,
    *,
    mode: str = "auto",
    sweep: Mapping[str, Iterable[Any]] | None = None,
    progress: bool | ProgressSink = True,
    bucket: str | None = None,
    display_name: str | None = None,
    **options: Any,
) -> ManyResult | BatchJob:
    """Many images in one call, one per row, each saved with its row's prompt, options and key.

    Args:
        prompts_or_rows: a list of prompts, a list of dicts (``prompt``, optional ``key``, per-row options
            such as ``aspect_ratio``, ``seed``), or a ``.csv`` (a ``prompt`` column), ``.jsonl``, ``.json`` or
            ``.txt`` (one prompt a line) file.
        model: a Gemini image model id or alias (default: the kernel's Gemini default).
        mode: ``now`` (here, at the full price), ``batch`` (Google's batch engine, half the price, results
            within 24 h; returns a ``BatchJob``) or ``auto`` (batch above 50 rows, said in a notice).
        sweep: options crossed with every row, e.g. ``{"aspect_ratio": ["1:1", "16:9"], "seed": range(4)}``;
            the keys become ``row-00000.0``, ``row-00000.1``...
        progress: show one line of progress (True), nothing (False), or a function given each line.
        bucket: Vertex batch prediction only: the Cloud Storage bucket for the input and output files.
        display_name: the batch job's name in the console.
        **options: options for every row (a row's own options win).

    Returns:
        ``ManyResult`` (mode now): a ``RowResult`` per row, failed rows carrying their error.
        ``BatchJob`` (mode batch): ``job.wait()``, then ``job.results()``.

    Raises:
        InvalidRequest: a bad row (named by its key), option or mode; nothing is sent.
    """
    if mode not in MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    rows = expand(prompts_or_rows, sweep=sweep, options=options)
    kernel = state()
    model = model or kernel.settings().default_gemini_model
    checked = kernel.runtime().run(check_rows(rows, model))
    chosen = checked[0][1].model
    notices: list[str] = []
    if mode == "auto":
        mode = "batch" if len(rows) > AUTO_BATCH_ROWS else "now"
        notice = (f"{len(rows)} rows: sent as a batch job (half the price, results within 24 h); mode='now' runs "
                  "them here at the full price." if mode == "batch" else "")  # fmt: skip
        if notice:
            notices.append(notice)
            _say(progress, notice, final=True)
    if mode == "batch":
        return submit(rows, chosen, bucket=bucket, display_name=display_name, notices=tuple(notices))
    if bucket is not None:
        raise InvalidRequest("bucket= is for mode='batch' on Vertex AI; mode='now' writes nothing to Cloud Storage.")
    return kernel.runtime().run(arun_now(rows, chosen, progress=progress, notices=tuple(notices)))


async def check_rows(rows: Sequence[Row], model: str) -> list[tuple[Row, DryRun]]:
    """Each row validated as ``generate_images`` validates a call (a dry run: nothing is sent); the first bad
    row raises its error (same type) prefixed with its key."""
    checked = []
    for row in rows:
        try:
            dry = await agenerate_request(to_request(row, model), dry_run=True)
        except VertexImageError as exc:
            exc.message = f"Row {row.key!r}: {exc.message}"
            exc.args = (exc.message,)
            raise
        assert isinstance(dry, DryRun)
        if dry.model and not dry.model.startswith("gemini"):
            raise InvalidRequest(f"generate_many takes Gemini image models; {dry.model} is not one.")
        checked.append((row, dry))
    return checked


def to_request(row: Row, model: str, provenance: Mapping[str, Any] | None = None) -> GenerateRequest:
    """The ``GenerateRequest`` of one row (one image), recording the row's key with its images."""
    fields_, options = request_fields(row)
    return GenerateRequest(row.prompt, model, 1, options=options, provenance={"row": row.key, **(provenance or {})},
                           **fields_)  # fmt: skip


async def arun_now(rows: Sequence[Row], model: str, *, progress: bool | ProgressSink = True,
                   notices: tuple[str, ...] = ()) -> ManyResult:  # fmt: skip
    """Run the rows here; every image saved, every failure kept.

    A ``max_concurrency`` the user set is the cap on rows in flight. Unset, the rows may go up to the client's
    adaptive ceiling: the client starts at ``max_concurrency`` and lets one more request in after each success
    until the service answers 429 (``client.http.AdaptiveLimit``), so a long run uses the quota it has instead
    of staying at the start; rows beyond the client's current limit wait for a slot there.
    """
    settings = state().settings()
    limit = asyncio.Semaphore(max(1, settings.adaptive_ceiling or settings.max_concurrency))
    tally = Tally(len(rows), model)
    line = ProgressLine(progress, tally)

    async def one(row: Row) -> RowResult:
        async with limit:
            retrying = [False]

            def on_retry(_event: object) -> None:
                if not retrying[0]:
                    retrying[0] = True
                    tally.retrying += 1
                line.show()

            try:
                result = await agenerate_request(to_request(row, model), on_retry=on_retry)
                assert isinstance(result, ImageSet)
                result.raise_for_block()
            except VertexImageError as exc:
                tally.finish(retrying[0], failed=True)
                line.show()
                return RowResult(row, getattr(exc, "partial", None), exc)
            tally.finish(retrying[0], images=len(result.images), cost=result.cost)
            line.show()
            return RowResult(row, result)

    line.show()
    try:
        outcomes = await asyncio.gather(*(one(row) for row in rows))
    finally:
        line.close()
    return ManyResult(tuple(outcomes), model=model, mode="now", notices=notices)


class Tally:
    """Counts of a run in progress (updated on the runtime loop, read by the progress line)."""

    def __init__(self, rows: int, model: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.rows, self.model, self._clock = rows, model, clock
        self.started = clock()
        self.done = self.failed = self.retrying = self.images = 0
        self.spent = 0.0

    def finish(self, was_retrying: bool, *, failed: bool = False, images: int = 0, cost: Cost | None = None) -> None:
        self.retrying -= 1 if was_retrying else 0
        self.failed += 1 if failed else 0
        self.done += 0 if failed else 1
        self.images += images
        self.spent += cost.usd if cost is not None else 0.0

    def line(self) -> str:
        minutes = max(1e-9, self._clock() - self.started) / 60
        rate = self.images / minutes if self.images else 0.0
        return (f"{self.model} · {self.done}/{self.rows} done · {self.failed} failed · {self.retrying} retrying · "
                f"{rate:.1f} images/min · ${self.spent:.2f} so far")  # fmt: skip


class ProgressLine:
    """One line rewritten in place on stderr (``\\r``), at most every ``every_s``; or a function's calls."""

    def __init__(self, progress: bool | ProgressSink, tally: Tally, *, stream: TextIO | None = None,
                 every_s: float = 0.2) -> None:  # fmt: skip
        self.sink = progress if callable(progress) else None
        self.enabled = bool(progress)
        self.tally = tally
        self.stream = stream
        self.every_s = every_s
        self._last = 0.0
        self._width = 0
        self._lock = threading.Lock()

    def show(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self.every_s and self.tally.done + self.tally.failed < self.tally.rows:
                return
            self._last = now
            text = self.tally.line()
            if self.sink is not None:
                self.sink(text)
                return
            stream = self.stream or sys.stderr
            stream.write("\r" + text.ljust(self._width))
            stream.flush()
            self._width = len(text)

    def close(self) -> None:
        self.show(force=True)
        if self.enabled and self.sink is None:
            (self.stream or sys.stderr).write("\n")


def _say(progress: bool | ProgressSink, text: str, *, final: bool = False) -> None:
    if callable(progress):
        progress(text)
    elif progress:
        sys.stderr.write(text + ("\n" if final else ""))


__all__ = ["AUTO_BATCH_ROWS", "MODES", "ManyResult", "RowResult", "arun_now", "check_rows", "generate_many",
           "to_request"]  # fmt: skip
