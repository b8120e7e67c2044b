"""core/batches against the emulator: 200 rows through mode='batch' on each engine, three rows failing and
retried, a restart in the middle of wait() and results() without duplicates, files, cancel, expiry."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import sidecar
from vertex_image.base.errors import BudgetExceeded, InvalidRequest
from vertex_image.core import batches as batches_module
from vertex_image.core import registry
from vertex_image.core.batches import BatchJob, BatchRowError
from vertex_image.emulator import Emulator
from vertex_image.results.store import ImageStore

ENGINES = {"gemini-api": {}, "vertex": {"bucket": "my-bucket"}}
FAILING = {3: "row-00003", 77: "row-00077", 150: "row-00150"}


@pytest.fixture(scope="module")
def batch_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(batch_delay_s=0.1, storage_dir=str(tmp_path_factory.mktemp("gcs"))) as em:
        yield em


def _configure(em: Emulator, out: Path, engine: str) -> None:
    extra = {"project": "my-project"} if engine == "vertex" else {}
    vi.configure(backend="emulator", base_url=em.base_url, output_dir=str(out), emulator_mode=engine, **extra)


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest, batch_emulator: Emulator, tmp_path: Path) -> Iterator[str]:
    _configure(batch_emulator, tmp_path / "out", request.param)
    yield request.param
    registry.reset()


def _prompts(count: int, engine: str) -> list[Any]:
    """Prompts of their own per engine: the module's emulator remembers which failonce prompts it failed."""
    rows: list[Any] = [{"prompt": f"a lighthouse, {engine} study {i}", "seed": i} for i in range(count)]
    for number in FAILING:
        rows[number]["prompt"] += " failonce"
    return rows


def _index_rows(out: Path, job: str) -> collections.Counter[str]:
    return collections.Counter(entry["parameters"]["row"] for entry in ImageStore(out).entries()
                               if entry.get("parameters", {}).get("job") == job)  # fmt: skip


def test_200_rows_in_batch_every_image_saved_with_its_row_three_failures_retried(engine: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    lines: list[str] = []
    job = vi.generate_many(_prompts(200, engine), mode="batch", progress=lines.append, **ENGINES[engine])
    assert isinstance(job, BatchJob) and job.engine == engine and job.state == "pending"
    assert job.estimate is not None and job.estimate.mode == "batch" and job.estimate.estimated
    assert job.path.is_file() and json.loads(job.path.read_text())["rows"][7]["key"] == "row-00007"
    job.wait(poll_s=0.05, progress=lines.append)
    assert job.state == "succeeded" and job.counts["succeeded"] == 197 and job.counts["failed"] == 3
    result = job.results(progress=False)
    assert len(result) == 200 and len(result.images.images) == 197
    assert sorted(row.key for row in result.failed) == sorted(FAILING.values()) == job.failed_keys
    assert all(isinstance(row.error, BatchRowError) and row.error.key == row.key for row in result.failed)
    for row in result:
        for image in row.images.images if row.images else ():
            assert image.prompt == row.row.prompt and image.parameters["row"] == row.key
            assert image.parameters["job"] == job.name and image.parameters["seed"] == row.row.options["seed"]
            assert sidecar(image)["parameters"]["row"] == row.key
            assert image.cost is not None and image.cost.mode == "batch"
    counted = _index_rows(out, job.name)
    assert len(counted) == 197 and set(counted.values()) == {1}
    assert job.cost is not None and abs(job.cost.usd - result.cost.usd) < 1e-9  # type: ignore[union-attr]
    assert job.cost.usd < job.estimate.usd * 1.2  # type: ignore[union-attr]
    retry = job.retry_failed()
    assert retry is not None and [row.key for row in retry.rows] == sorted(FAILING.values())
    assert retry.retry_of == job.name
    fixed = retry.wait(poll_s=0.05, progress=False).results(progress=False)
    assert not fixed.failed and sorted(fixed.by_key) == sorted(FAILING.values())
    for key, row in fixed.by_key.items():
        assert row.images is not None and row.images.images[0].parameters["row"] == key
    assert retry.retry_failed() is None
    names = [listed.name for listed in vi.batches()]
    assert names == [retry.name, job.name]


def test_a_restart_in_the_middle_of_wait_and_results_resumes_without_duplicates(
    engine: str, batch_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    job = vi.generate_many([f"a kite {i}" for i in range(60)], mode="batch", progress=False, **ENGINES[engine])

    shown: list[str] = []

    def interrupt(line: str) -> None:
        shown.append(line)
        if len(shown) == 1:
            raise KeyboardInterrupt

    assert job.wait(poll_s=0.01, progress=interrupt) is job  # Ctrl-C while waiting: the job goes on
    assert job.state != "cancelled" and shown[-1].startswith(f"Stopped waiting; {job.name} goes on at Google")
    registry.reset()  # the kernel restarts
    _configure(batch_emulator, out, engine)
    (found,) = vi.batches()
    assert found.name == job.name and len(found.rows) == 60
    found.wait(poll_s=0.05, progress=False)
    assert found.state == "succeeded"

    original = BatchJob._save_row
    calls = [0]

    def dies_halfway(self: BatchJob, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] > 25:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BatchJob, "_save_row", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        found.results(progress=False)
    monkeypatch.setattr(BatchJob, "_save_row", original)
    assert sum(_index_rows(out, job.name).values()) == 25
    registry.reset()
    _configure(batch_emulator, out, engine)
    (again,) = vi.batches()
    result = again.results(progress=False)
    assert len(result.images.images) == 60 and not result.failed
    counted = _index_rows(out, job.name)
    assert len(counted) == 60 and set(counted.values()) == {1}
    assert len(list(out.glob("*.jpg"))) == 60
    assert again.results(progress=False).by_key.keys() == result.by_key.keys()  # a third call adds nothing
    assert set(_index_rows(out, job.name).values()) == {1}


def test_gemini_over_20_mb_goes_through_the_files_api(batch_emulator: Emulator, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _configure(batch_emulator, tmp_path / "out", "gemini-api")
    try:
        monkeypatch.setattr(batches_module, "INLINE_MAX", 100)  # as if the rows weighed more than 20 MB
        job = vi.generate_many(["an owl", "a wren", "failrow a crow"], mode="batch", progress=False)
        assert job.input == "file"
        paths = [r.path for r in batch_emulator.requests]
        assert "/upload/v1beta/files" in paths
        result = job.wait(poll_s=0.05, progress=False).results(progress=False)
        assert [row.key for row in result.failed] == ["row-00002"] and len(result.images.images) == 2
        assert any(p.startswith("/download/v1beta/files/") for p in [r.path for r in batch_emulator.requests])
    finally:
        registry.reset()


def test_cancel_and_expiry_leave_no_results_and_retry_sends_every_row(engine: str) -> None:
    job = vi.generate_many(["a moth", "a bee"], mode="batch", progress=False, **ENGINES[engine])
    job.cancel()
    assert job.state == "cancelled" and vi.batches()[0].state == "cancelled"
    with pytest.raises(InvalidRequest, match="CANCELLED: it has no results"):
        job.results(progress=False)
    expired = vi.generate_many(["a gnat"], mode="batch", progress=False, display_name="expireme",
                               **ENGINES[engine]).wait(poll_s=0.05, progress=False)  # fmt: skip
    assert expired.state == "expired"
    retry = expired.retry_failed()
    assert retry is not None and [row.key for row in retry.rows] == ["row-00000"]


def test_bad_batch_input_is_refused_before_anything_is_sent(batch_emulator: Emulator, tmp_path: Path) -> None:
    _configure(batch_emulator, tmp_path / "out", "vertex")
    try:
        batch_emulator.clear_requests()
        with pytest.raises(InvalidRequest, match="pass bucket='my-bucket'"):
            vi.generate_many(["a"], mode="batch")
        with pytest.raises(InvalidRequest, match="is not a Cloud Storage bucket name"):
            vi.generate_many(["a"], mode="batch", bucket="Not A Bucket")
        vi.configure(budget_usd=0.01)
        with pytest.raises(BudgetExceeded):
            vi.generate_many([f"p{i}" for i in range(10)], mode="batch", bucket="b-1")
        assert batch_emulator.requests == [] and vi.batches() == []
    finally:
        registry.reset()


def test_auto_mode_picks_batch_above_the_threshold_and_says_so(engine: str) -> None:
    said: list[str] = []
    job = vi.generate_many([f"a pebble {i}" for i in range(51)], progress=said.append, **ENGINES[engine])
    assert isinstance(job, BatchJob) and job.notices and "sent as a batch job" in said[0]


def test_a_kill_between_a_rows_charge_and_its_log_line_does_not_count_the_row_twice(
    engine: str, batch_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    job = vi.generate_many([f"a teapot {i}" for i in range(12)], mode="batch", progress=False, **ENGINES[engine])
    job.wait(poll_s=0.05, progress=False)
    original = BatchJob._log
    logged = [0]

    def dies_before_the_fifth_log_line(self: BatchJob, entry: Any) -> None:
        logged[0] += 1
        if logged[0] == 5:
            raise KeyboardInterrupt  # row 5 is saved and charged, not yet logged
        original(self, entry)

    monkeypatch.setattr(BatchJob, "_log", dies_before_the_fifth_log_line)
    with pytest.raises(KeyboardInterrupt):
        job.results(progress=False)
    monkeypatch.setattr(BatchJob, "_log", original)
    registry.reset()  # the kernel restarts
    _configure(batch_emulator, out, engine)
    (again,) = vi.batches()
    again.results(progress=False)  # row 5 is saved again (nothing new to list) and charged again: recorded once
    charged = collections.Counter(charge.get("charge_id") for charge in ImageStore(out).charges()
                                  if str(charge.get("charge_id", "")).startswith(job.name + "/"))  # fmt: skip
    assert len(charged) == 12 and set(charged.values()) == {1}
    assert sum(_index_rows(out, job.name).values()) == 12
