"""core/many: generate_many now: every row through the kernel's path, saved with its key, failures kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, recorded_emulator, recorder, sidecar  # noqa: F401, F811 - fixtures
from vertex_image.base.errors import InvalidRequest
from vertex_image.core import registry
from vertex_image.core.many import AUTO_BATCH_ROWS, ProgressLine, Tally


def test_rows_run_now_each_image_saved_with_its_key_and_a_blocked_row_fails_alone(kernel: Recorder) -> None:
    lines: list[str] = []
    prompts = [f"a fox number {i}" for i in range(6)] + [{"prompt": "blockme please", "key": "bad"}]
    result = vi.generate_many(prompts, mode="now", progress=lines.append, seed=5)
    assert len(result) == 7 and len(kernel.sent("generateContent")) == 7
    assert [row.key for row in result.failed] == ["bad"]
    assert type(result.by_key["bad"].error).__name__ == "ImageBlocked"
    assert len(result.images.images) == 6
    for row in result:
        if row.ok:
            image = row.images.images[0]
            assert image.parameters["row"] == row.key and image.prompt == row.row.prompt
            written = sidecar(image)
            assert written["parameters"]["row"] == row.key and written["parameters"]["seed"] == 5
    assert result.cost is not None and result.cost.usd > 0
    assert lines and lines[-1].startswith("gemini-nano-banana-2.1 · 6/7 done · 1 failed")
    assert "so far" in lines[-1]


def test_rows_follow_the_clients_growing_limit_unless_max_concurrency_is_set(tmp_path: Path) -> None:
    """Unset, max_concurrency is where the client starts: rows are let in as it grows (one more request per success
    until a 429), so a run of many rows goes past 8 in flight; set, it caps the rows."""
    peaks = []
    for setting in (None, 3):
        with recorded_emulator(latency_s=0.05) as emulator:
            vi.configure(backend="emulator", base_url=emulator.base_url, output_dir=str(tmp_path / "out"),
                         max_concurrency=setting)  # fmt: skip
            try:
                result = vi.generate_many([f"a fox number {i}" for i in range(40)], mode="now", progress=False)
            finally:
                registry.reset()
            assert len(result.images.images) == 40
            peaks.append(recorder(emulator).peak)
    assert 8 < peaks[0] <= 32 and peaks[1] == 3


def test_a_bad_row_refuses_the_whole_call_before_anything_is_sent(kernel: Recorder) -> None:
    with pytest.raises(InvalidRequest, match="Row 'odd': .*aspect ratio '7:3'"):
        vi.generate_many(["fine", {"prompt": "x", "key": "odd", "aspect_ratio": "7:3"}], mode="now")
    with pytest.raises(InvalidRequest, match="mode must be one of"):
        vi.generate_many(["fine"], mode="later")
    assert kernel.exchanges == []


def test_auto_runs_small_calls_now(kernel: Recorder) -> None:
    result = vi.generate_many(["a", "b"], progress=False)
    assert result.mode == "now" and not result.notices and AUTO_BATCH_ROWS == 50


def test_the_progress_line_counts_retrying_rows_and_rate() -> None:
    now = [100.0]
    tally = Tally(10, "m", clock=lambda: now[0])
    tally.retrying = 1
    tally.finish(True, images=1)
    tally.finish(False, failed=True)
    now[0] = 130.0
    assert tally.line() == "m · 1/10 done · 1 failed · 0 retrying · 2.0 images/min · $0.00 so far"

    class Sink:
        text = ""

        def write(self, chunk: str) -> None:
            self.text += chunk

        def flush(self) -> None:
            pass

    sink = Sink()
    line = ProgressLine(True, tally, stream=sink, every_s=0)  # type: ignore[arg-type]
    line.show()
    line.close()
    assert sink.text.count("\r") == 2 and sink.text.endswith("so far\n")
