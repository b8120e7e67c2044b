"""Batch jobs that outlive the kernel: Gemini API Batch Mode and Vertex AI batch prediction, at half the price.

``submit`` builds every row's ``generateContent`` body, checks the estimate (at the batch price) against
the budget, then sends the job: on the Gemini API inline when the whole request stays under 20 MB, else as
a JSONL file uploaded through the Files API; on Vertex AI as a JSONL file written to the Cloud Storage
bucket the caller names (JSON API, same client and credentials) and a ``batchPredictionJobs`` job.

A ``BatchJob`` is a handle saved in the store folder (``batches/<job>.json``): ``vi.batches()`` finds it
after a restart. ``wait()`` polls with one line of progress and can be interrupted without cancelling the
job; ``results()`` saves every image with its row's provenance (prompt, options, ``row`` key, ``job``) as it
is read, logging each finished row (``batches/<job>.rows.jsonl``) so that an interrupted ``results()``
resumes where it stopped without saving anything twice; ``retry_failed()`` submits only the failed rows.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..base.errors import APIError, Cancelled, InvalidRequest, StorageError, VertexImageError
from ..base.pricing import Cost, cost_of_usage, total
from ..client.endpoints import (
    file_download_url,
    files_upload_url,
    gemini_api_url,
    storage_list_url,
    storage_object_url,
    storage_upload_url,
    vertex_jobs_url,
)
from ..results.files import append_lines, atomic_write
from ..results.images import ImageSet
from ..wire import batch as wire
from ..wire import gemini
from ..wire.gemini_response import parse_generate_content_response
from . import costs
from .costs import Charge
from .model_choice import choose_model
from .operations import saved_image_set
from .registry import state
from .rows import ManyResult, Row, RowResult, request_fields

JOBS_FOLDER = "batches"
INLINE_MAX = wire.INLINE_LIMIT - 256 * 1024  # room for the envelope and headers under the 20 MB limit
POLL_S = 10.0
ENGINES = ("gemini-api", "vertex")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")
ProgressSink = Callable[[str], object]


class BatchRowError(APIError):
    """A row the batch engine answered with an error (or no image); ``key`` names the row."""

    def __init__(self, message: str, *, key: str, code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.key = key


@dataclass
class BatchJob:
    """A batch job: its rows, state, counts, estimate (batch price) and what its results cost so far.

    ``wait()``, ``refresh()``, ``cancel()``, ``results()``, ``retry_failed()``; ``console_url``.
    """

    name: str
    engine: str
    model: str
    rows: list[Row]
    display_name: str = ""
    created: float = field(default_factory=time.time)
    estimate: Cost | None = None
    location: str = ""
    bucket: str = ""
    prefix: str = ""
    input: str = "inline"
    state: str = "pending"
    counts: dict[str, int] = field(default_factory=dict)
    retry_of: str = ""
    folder: str = ""
    notices: tuple[str, ...] = ()

    # persistence --------------------------------------------------------------------------------
    @property
    def slug(self) -> str:
        """The job's file name stem: its name with ``/`` as ``_``."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.name)

    @property
    def path(self) -> Path:
        return Path(self.folder) / f"{self.slug}.json"

    @property
    def log_path(self) -> Path:
        return Path(self.folder) / f"{self.slug}.rows.jsonl"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "engine": self.engine, "model": self.model, "display_name": self.display_name,
            "created": self.created, "estimate": self.estimate.as_dict() if self.estimate else None,
            "location": self.location, "bucket": self.bucket, "prefix": self.prefix, "input": self.input,
            "state": self.state, "counts": dict(self.counts), "retry_of": self.retry_of,
            "rows": [row.as_dict() for row in self.rows],
        }  # fmt: skip

    @classmethod
    def from_file(cls, path: Path) -> BatchJob:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            name=data["name"], engine=data["engine"], model=data["model"], display_name=data.get("display_name", ""),
            created=float(data.get("created") or 0), estimate=Cost.from_dict(data.get("estimate")),
            location=data.get("location", ""), bucket=data.get("bucket", ""), prefix=data.get("prefix", ""),
            input=data.get("input", "inline"), state=data.get("state", "pending"), counts=dict(data.get("counts") or {}),
            retry_of=data.get("retry_of", ""), rows=[Row.from_dict(row) for row in data.get("rows") or []],
            folder=str(path.parent),
        )  # fmt: skip

    def save(self) -> None:
        try:
            Path(self.folder).mkdir(parents=True, exist_ok=True)
            text = json.dumps(self.as_dict(), ensure_ascii=False, indent=1, sort_keys=True)
            atomic_write(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"Cannot save the batch job {self.name} in {self.folder}: {exc.strerror or exc}.",
                               path=self.folder) from exc  # fmt: skip

    def _logged(self) -> dict[str, dict[str, Any]]:
        """The rows ``results()`` finished (saved or failed), by key; a torn last line is skipped."""
        try:
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        done: dict[str, dict[str, Any]] = {}
        for line in lines:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    done[entry["key"]] = entry
        return done

    def _log(self, entry: Mapping[str, Any]) -> None:
        append_lines(self.log_path, (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))

    # what it shows --------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state in wire.TERMINAL

    @property
    def cost(self) -> Cost | None:
        """What the rows saved so far cost (measured, at the batch price)."""
        return total(Cost.from_dict(entry.get("cost")) for entry in self._logged().values())

    @property
    def failed_keys(self) -> list[str]:
        """The keys of the rows that came back with an error (known once ``results()`` read them)."""
        logged = self._logged()
        return [row.key for row in self.rows if "error" in logged.get(row.key, {})]

    @property
    def console_url(self) -> str:
        """Where the job shows in Google's console (Vertex), or AI Studio's batch list (Gemini API: UNCONFIRMED)."""
        if self.engine == "vertex":
            match = re.match(r"projects/([^/]+)/locations/([^/]+)/batchPredictionJobs/(.+)$", self.name)
            if match:
                project, location, job = match.groups()
                return (f"https://console.cloud.google.com/vertex-ai/locations/{location}/batch-predictions/{job}"
                        f"?project={project}")  # fmt: skip
            return ""
        return "https://aistudio.google.com/batches"

    def line(self) -> str:
        counts = self.counts
        total_rows = counts.get("total") or len(self.rows)
        done = counts.get("succeeded", 0) + counts.get("failed", 0)
        estimate = f" · {self.estimate.text} at the batch price" if self.estimate else ""
        spent = self.cost
        spent_text = f" · {spent.text} saved so far" if spent is not None else ""
        return (f"{self.name} · {self.state.upper()} · {done}/{total_rows} rows answered · "
                f"{counts.get('failed', 0)} failed{estimate}{spent_text}")  # fmt: skip

    def __repr__(self) -> str:
        when = datetime.fromtimestamp(self.created, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return f"BatchJob({self.line()} · {self.model} · {self.engine} · {len(self.rows)} rows · created {when})"

    # calls ------------------------------------------------------------------------------------------
    def refresh(self) -> BatchJob:
        """Ask the service for the job's state and counts (saved with the handle)."""
        status = _run(self._astatus())
        self._update(status)
        return self

    def _update(self, status: wire.JobStatus) -> None:
        self.state = status.state
        self.counts = {"total": status.total or len(self.rows), "succeeded": status.succeeded,
                       "failed": status.failed, "pending": status.pending}  # fmt: skip
        self.save()

    async def _astatus(self) -> wire.JobStatus:
        client = state().client()
        if self.engine == "vertex":
            job = await client.send_json("GET", vertex_jobs_url(client.settings, self.location, self.name))
            return wire.vertex_status(job)
        return wire.gemini_status(await client.send_json("GET", gemini_api_url(client.settings, self.name)))

    def wait(self, poll_s: float = POLL_S, timeout_s: float | None = None,
             progress: bool | ProgressSink = True) -> BatchJob:  # fmt: skip
        """Poll until the job ends (or ``timeout_s`` passes), one line of progress rewritten in place.

        Interrupting (Ctrl-C, the stop button) stops waiting only: the job goes on at Google; ``vi.batches()``
        finds it again, after a restart too.
        """
        started = time.monotonic()
        try:
            while True:
                self.refresh()
                _show(progress, self.line(), end=self.done)
                if self.done or (timeout_s is not None and time.monotonic() - started >= timeout_s):
                    return self
                time.sleep(poll_s)
        except (KeyboardInterrupt, Cancelled):
            _show(progress, f"Stopped waiting; {self.name} goes on at Google (vi.batches() finds it; "
                            "job.wait() again, or job.cancel()).", end=True)  # fmt: skip
            return self

    def cancel(self) -> BatchJob:
        """Cancel the job at Google (rows already answered may still be billed); the new state is saved."""
        client = state().client()
        if self.engine == "vertex":
            url = vertex_jobs_url(client.settings, self.location, self.name) + ":cancel"
        else:
            url = gemini_api_url(client.settings, f"{self.name}:cancel")
        _run(client.send_json("POST", url, {}))
        return self.refresh()

    def results(self, progress: bool | ProgressSink = True) -> ManyResult:
        """Read the job's answers and save every image with its row's provenance (prompt, options, ``row`` key,
        ``job``), each row logged as it is done: a second call (after an interruption or a restart) reads only
        what is left. Rows that failed carry a ``BatchRowError``; ``retry_failed()`` sends them again.

        Raises:
            InvalidRequest: the job has not succeeded (``wait()`` first; a cancelled or expired job has no
                results).
        """
        self.refresh()
        if self.state != "succeeded":
            advice = "it has no results; job.retry_failed() sends its rows again." if self.done else "job.wait() first."
            raise InvalidRequest(f"{self.name} is {self.state.upper()}: {advice}")
        outcomes = _run(self._aoutcomes())
        self._save_outcomes(outcomes, progress)
        return self._collect()

    async def _aoutcomes(self) -> list[wire.RowOutcome]:
        client = state().client()
        settings = client.settings
        if self.engine == "vertex":
            status = wire.vertex_status(await client.send_json("GET", vertex_jobs_url(settings, self.location,
                                                                                      self.name)))  # fmt: skip
            bucket, folder = _split_gs(status.output_dir)
            listing = await client.send_json("GET", storage_list_url(settings, bucket, folder.rstrip("/") + "/"))
            items: list[dict[str, Any]] = []
            for item in listing.get("items") or []:
                if str(item.get("name", "")).endswith(".jsonl"):
                    _, data = await client.send("GET", storage_object_url(settings, bucket, item["name"]))
                    items.extend(wire.parse_jsonl(data))
            return wire.vertex_outcomes(items, [row.key for row in self.rows])
        status = wire.gemini_status(await client.send_json("GET", gemini_api_url(settings, self.name)))
        if status.responses_file:
            _, data = await client.send("GET", file_download_url(settings, status.responses_file))
            return wire.gemini_outcomes(wire.parse_jsonl(data))
        return wire.gemini_outcomes(status.inline)

    def _save_outcomes(self, outcomes: Sequence[wire.RowOutcome], progress: bool | ProgressSink) -> None:
        kernel = state()
        settings = kernel.connected_settings()
        info = choose_model(self.model, settings).info
        prices, as_of = costs.model_prices(info.id, info.prices, settings.prices)
        by_key = {row.key: row for row in self.rows}
        logged = self._logged()
        saved = len(logged)
        for outcome in outcomes:
            row = by_key.get(outcome.key)
            if row is None or outcome.key in logged:
                continue
            if outcome.response is None:
                entry: dict[str, Any] = {"key": row.key, "error": outcome.error, "code": outcome.code}
            else:
                entry = self._save_row(row, outcome.response, settings, prices, as_of, kernel)
            self._log(entry)
            logged[row.key] = entry
            saved += 1
            _show(progress, f"{self.name} · saved {saved}/{len(self.rows)} rows", end=False, throttle=True)
        _show(progress, f"{self.name} · saved {saved}/{len(self.rows)} rows", end=True)

    def _save_row(self, row: Row, response: Mapping[str, Any], settings: Any, prices: Mapping[str, Any], as_of: str,
                  kernel: Any) -> dict[str, Any]:  # fmt: skip
        parsed = parse_generate_content_response(response)
        count = len(parsed.images)
        cost = cost_of_usage(prices, parsed.usage, images=count, mode="batch", prices_as_of=as_of)
        fields_, _ = request_fields(row)
        result = saved_image_set(
            parsed, prompt=row.prompt, model=self.model, parameters={**row.options, "row": row.key, "job": self.name},
            seed=fields_.get("seed"), settings=settings, location=self.location or self.engine,
            image_costs=[cost.scaled(1 / count) if cost and count else cost] * count, cost=cost,
        )  # fmt: skip
        if cost is not None:
            # once per row, whatever happens between this and the row's log line (a kill, an interruption)
            kernel.ledger.record(Charge(cost, self.model, kind="call", backend=settings.backend,
                                        charge_id=f"{self.name}/{row.key}"))  # fmt: skip
        if not result.images:
            try:
                result.raise_for_block()
                message = "No image came back for this row."
            except VertexImageError as exc:
                message = str(exc)
            return {"key": row.key, "error": message, "cost": cost.as_dict() if cost else None}
        return {"key": row.key, "files": [Path(image.path).name for image in result.images if image.path],
                "cost": cost.as_dict() if cost else None}  # fmt: skip

    def _collect(self) -> ManyResult:
        store = state().store()
        logged = self._logged()
        outcomes = []
        for row in self.rows:
            entry = logged.get(row.key)
            if entry is None:
                error = BatchRowError("The job gave no answer for this row.", key=row.key)
                outcomes.append(RowResult(row, None, error))
            elif "error" in entry:
                error = BatchRowError(str(entry["error"]), key=row.key, code=entry.get("code"))
                outcomes.append(RowResult(row, None, error))
            else:
                images = tuple(store.load(store.root / name) for name in entry.get("files") or [])
                outcomes.append(RowResult(row, ImageSet(images=images, prompt=row.prompt, model=self.model,
                                                        cost=Cost.from_dict(entry.get("cost")))))  # fmt: skip
        return ManyResult(tuple(outcomes), model=self.model, mode="batch", job=self.name)

    def retry_failed(self, display_name: str | None = None) -> BatchJob | None:
        """A new job with only the rows that failed (or got no answer), same keys; None when none failed.

        Reads the results first if ``results()`` was not called.
        """
        logged = self._logged()
        if self.state == "succeeded" and len(logged) < len(self.rows):
            self.results(progress=False)
            logged = self._logged()
        failed = [row for row in self.rows if row.key not in logged or "error" in logged[row.key]]
        if not failed:
            return None
        return submit(failed, self.model, bucket=self.bucket or None,
                      display_name=display_name or f"{self.display_name or 'vertex-image'} (retry)", retry_of=self.name)  # fmt: skip


class BatchJobs(list[BatchJob]):
    """The saved batch jobs, newest first; shows as a table."""

    def __repr__(self) -> str:
        if not self:
            return "No batch jobs in this image folder (vi.generate_many(..., mode='batch') starts one)."
        return "\n".join(repr(job) for job in self)


def jobs_folder() -> Path:
    return state().store().root / JOBS_FOLDER


def batches(refresh: bool = False) -> BatchJobs:
    """The batch jobs saved in this kernel's image folder (after a restart too), newest first.

    ``refresh=True`` asks the service for the state of every job that has not ended.
    """
    folder = jobs_folder()
    jobs = BatchJobs()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            jobs.append(BatchJob.from_file(path))
        except (OSError, ValueError, KeyError):
            continue  # a file that is not a job (or was torn): skipped, not fatal
    jobs.sort(key=lambda job: -job.created)
    if refresh:
        for job in jobs:
            if not job.done:
                job.refresh()
    return jobs


# submitting ------------------------------------------------------------------------------------------
def submit(rows: Sequence[Row], model: str, *, bucket: str | None = None, display_name: str | None = None,
           notices: tuple[str, ...] = (), retry_of: str = "", max_cost: float | None = None) -> BatchJob:  # fmt: skip
    """Send ``rows`` (checked) as one batch job on the engine of the surface in use; the saved handle.

    Raises:
        InvalidRequest: Vertex without a ``bucket``, a bucket name that is not one.
        BudgetExceeded: the estimate at the batch price would cross the budget or ``max_cost``.
    """
    kernel = state()
    settings = kernel.settings()
    engine = settings.speaks
    bucket = _checked_bucket(bucket, engine)
    info = choose_model(model, settings).info
    prices, as_of = costs.model_prices(info.id, info.prices, settings.prices)
    bodies = [_body(row, number, engine) for number, row in enumerate(rows)]
    estimate = total(
        costs.estimate_gemini(prices, [body], image_size=request_fields(row)[0].get("image_size"), searches=0,
                              prices_as_of=as_of, mode="batch")
        for row, body in zip(rows, bodies)
    )  # fmt: skip
    if estimate is not None:
        kernel.ledger.check(estimate, budget=settings.budget_usd, max_cost=max_cost)
    name = display_name or f"vertex-image {len(rows)} rows {time.strftime('%Y-%m-%d %H:%M')}"
    job = BatchJob(name="", engine=engine, model=info.id, rows=list(rows), display_name=name, estimate=estimate,
                   bucket=bucket, retry_of=retry_of, folder=str(jobs_folder()), notices=notices)  # fmt: skip
    status = _run(_asubmit(job, bodies))
    job.name = status.name
    job._update(status)
    return job


def _checked_bucket(bucket: str | None, engine: str) -> str:
    if engine != "vertex":
        if bucket is not None:
            raise InvalidRequest("bucket= is for Vertex AI batch prediction; the Gemini API keeps batch files itself.")
        return ""
    if not bucket:
        raise InvalidRequest(
            "Vertex AI batch prediction reads and writes Cloud Storage: pass bucket='my-bucket' (%imagen: --bucket my-bucket), a bucket in your "
            "project you can write."
        )
    name = bucket.removeprefix("gs://").strip("/")
    if not _BUCKET.match(name):
        raise InvalidRequest(f"{bucket!r} is not a Cloud Storage bucket name (lower-case letters, digits, - _ .).")
    return name


def _body(row: Row, number: int, engine: str) -> dict[str, Any]:
    """The ``generateContent`` body of one row (as ``generate_images`` would send it); on Vertex the row's
    number rides in ``labels`` to map the unordered results back."""
    fields_, options = request_fields(row)
    options = dict(options)
    want_text = bool(options.pop("text", False))
    options["thinking_level"] = options.pop("thinking", None)
    if engine == "vertex":
        options["labels"] = {**(options.get("labels") or {}), wire.ROW_LABEL: str(number)}
    return gemini.build_generate_content_body(
        [gemini.user_content(row.prompt)], dialect=engine, seed=fields_.get("seed"),
        response_modalities=("TEXT", "IMAGE") if want_text else ("IMAGE",), aspect_ratio=fields_.get("aspect_ratio"),
        image_size=fields_.get("image_size"), **options,
    )  # fmt: skip


async def _asubmit(job: BatchJob, bodies: Sequence[Mapping[str, Any]]) -> wire.JobStatus:
    client = state().client()
    settings = client.settings
    if job.engine == "vertex":
        job.location = settings.location_for("gemini")
        job.prefix = f"vertex-image/batches/{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        source = f"{job.prefix}/input.jsonl"
        await client.send("POST", storage_upload_url(settings, job.bucket, source), content=wire.vertex_jsonl(bodies),
                          content_type="application/jsonl")  # fmt: skip
        body = wire.vertex_job_body(job.display_name, job.model, f"gs://{job.bucket}/{source}",
                                    f"gs://{job.bucket}/{job.prefix}/output")  # fmt: skip
        created = await client.send_json("POST", vertex_jobs_url(settings, job.location), body, retry=False)
        return wire.vertex_status(created)
    requests = [(row.key, body) for row, body in zip(job.rows, bodies)]
    inline = wire.gemini_inline_body(job.display_name, requests)
    if len(wire.encoded(inline)) <= INLINE_MAX:
        job.input = "inline"
        body = inline
    else:
        job.input = "file"
        body = wire.gemini_file_body(job.display_name, await _upload(client, wire.gemini_jsonl(requests),
                                                                     job.display_name))  # fmt: skip
    url = gemini_api_url(settings, f"models/{job.model}:batchGenerateContent")
    return wire.gemini_status(await client.send_json("POST", url, body, retry=False))


async def _upload(client: Any, data: bytes, display_name: str) -> str:
    """A JSONL file through the Files API (resumable: start, then upload and finalize); its ``files/ID``."""
    start = {"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start",
             "x-goog-upload-header-content-length": str(len(data)),
             "x-goog-upload-header-content-type": "application/jsonl"}  # fmt: skip
    headers, _ = await client.send("POST", files_upload_url(client.settings),
                                   body={"file": {"displayName": display_name, "mimeType": "application/jsonl"}},
                                   headers=start, retry=False)  # fmt: skip
    url = headers.get("x-goog-upload-url")
    if not url:
        raise APIError("The Files API gave no upload URL for the batch file.")
    _, content = await client.send("POST", url, content=data, content_type="application/jsonl", retry=False,
                                   headers={"x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"})  # fmt: skip
    try:
        return str(json.loads(content)["file"]["name"])
    except (ValueError, KeyError, TypeError):
        raise APIError("The Files API answered the upload without the file's name.") from None


def _split_gs(uri: str) -> tuple[str, str]:
    if not uri.startswith("gs://"):
        raise APIError(f"The batch job reported no Cloud Storage output folder ({uri!r}).")
    bucket, _, name = uri[5:].partition("/")
    return bucket, name


def _run(coro: Any) -> Any:
    return state().runtime().run(coro)


_last_shown = [0.0]


def _show(progress: bool | ProgressSink, text: str, *, end: bool, throttle: bool = False) -> None:
    """One line in place on stderr (``\\r``), or the caller's function."""
    if throttle:
        now = time.monotonic()
        if now - _last_shown[0] < 0.2:
            return
        _last_shown[0] = now
    if callable(progress):
        progress(text)
    elif progress:
        sys.stderr.write("\r" + text + ("\n" if end else ""))
        sys.stderr.flush()


__all__ = ["ENGINES", "INLINE_MAX", "JOBS_FOLDER", "BatchJob", "BatchJobs", "BatchRowError", "batches", "submit"]
