"""%imagen --many (rows from a variable or a file, now or as a batch job) and %vertex_image batches."""

from __future__ import annotations

from pathlib import Path

import pytest
from magicshell import Shell, emulator_shell, shell  # noqa: F401 - fixture


def test_imagen_many_runs_a_variable_now_and_a_file_as_a_batch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows_file = tmp_path / "rows.csv"
    rows_file.write_text("key,prompt,seed\nmug,a blue mug,1\nvase,a green vase,2\n", encoding="utf-8")
    with emulator_shell(capsys, tmp_path / "out", batch_delay_s=0.05) as (sh, emulator):
        sh.ns["prompts"] = ["a red kite", {"prompt": "a blue kite", "key": "blue"}]
        cell = sh.run("r = %imagen --many prompts --mode now -a 16:9")
        assert cell.error is None, cell.shown
        result = sh.ns["r"]
        assert [row.key for row in result] == ["row-00000", "blue"] and not result.failed
        assert all(row.images.images[0].parameters["aspect_ratio"] == "16:9" for row in result)
        assert "2/2 done" in cell.shown
        cell = sh.run(f"job = %imagen --many {rows_file} --mode batch --bucket my-bucket")
        assert cell.error is None, cell.shown
        job = sh.ns["job"]
        assert [row.key for row in job.rows] == ["mug", "vase"] and job.engine == "vertex"
        listed = sh.run("%vertex_image batches --refresh")
        assert listed.error is None and listed.result[0].name == job.name
        assert "batchPredictionJobs" in repr(listed.result)
        assert any(r.path.endswith("/batchPredictionJobs") for r in emulator.requests)


def test_imagen_many_refuses_bad_lines_in_one_line(shell: Shell) -> None:
    shell.ns["p"] = ["a"]
    for line, words in [
        ("%imagen --many p a fox", "--many takes its prompts from the rows"),
        ("%imagen --many nosuch.csv", "Cannot read the rows file nosuch.csv"),
        ("%imagen --many p -n 2", "one image per row"),
        ("%imagen --many p --mode batch", "pass bucket='my-bucket' (%imagen: --bucket my-bucket)"),
    ]:
        cell = shell.run(line)
        assert words in cell.shown and "Traceback" not in cell.shown, (line, cell.shown)
    assert shell.run("%vertex_image batches").result == []
