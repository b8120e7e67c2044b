"""core/rows: prompts, dicts, files and sweeps become keyed rows; bad input is one typed line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vertex_image.base.errors import InvalidRequest
from vertex_image.core.rows import Row, expand, request_fields


def test_prompts_get_keys_in_order_and_options_apply_under_each_rows_own() -> None:
    rows = expand(["a cat", {"prompt": "a dog", "key": "dog", "seed": 3}], options={"seed": 1, "image_size": "2K"})
    assert [row.key for row in rows] == ["row-00000", "dog"]
    assert rows[0].options == {"seed": 1, "image_size": "2K"}
    assert rows[1].options == {"seed": 3, "image_size": "2K"}


def test_a_sweep_crosses_every_row_with_every_combination() -> None:
    rows = expand(["a cat", "a dog"], sweep={"aspect_ratio": ["1:1", "16:9"], "seed": range(3)})
    assert len(rows) == 12
    assert rows[0] == Row("row-00000.0", "a cat", {"aspect_ratio": "1:1", "seed": 0})
    assert rows[5] == Row("row-00000.5", "a cat", {"aspect_ratio": "16:9", "seed": 2})
    assert rows[6].prompt == "a dog"
    assert len({row.key for row in rows}) == 12


def test_csv_jsonl_and_text_files(tmp_path: Path) -> None:
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("key,prompt,seed,aspect_ratio\nk1,a cat,7,16:9\nk2,a dog,,\n", encoding="utf-8")
    rows = expand(csv_file)
    assert rows == [Row("k1", "a cat", {"seed": 7, "aspect_ratio": "16:9"}), Row("k2", "a dog", {})]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(json.dumps({"prompt": "a fox", "seed": 2}) + "\n\n" + json.dumps({"prompt": "an owl"}) + "\n")
    assert [(r.key, r.prompt, dict(r.options)) for r in expand(str(jsonl))] == [
        ("row-00000", "a fox", {"seed": 2}), ("row-00001", "an owl", {})]
    text = tmp_path / "p.txt"
    text.write_text("one\n\ntwo\n")
    assert [r.prompt for r in expand(text)] == ["one", "two"]


@pytest.mark.parametrize(
    ("source", "sweep", "words"),
    [
        ([], None, "no rows"),
        (["a", {"key": "x"}], None, "row 1: the row has no 'prompt'"),
        ([{"prompt": "a", "key": "k"}, {"prompt": "b", "key": "k"}], None, "'k' is used twice"),
        (["a", 3], None, "not a int"),
        ("a cat", None, "give a list of prompts"),
        ("missing.csv", None, "Cannot read the rows file"),
        (["a"], {"seed": 3}, "must be a list of values"),
        (["a"], {"seed": []}, "is empty"),
        ([{"prompt": "a", "n": 2}], None, "one image"),
        ([{"prompt": "a", "seed": "x"}], None, "seed must be a number"),
    ],
)
def test_bad_rows_are_one_line_invalid_requests(source: object, sweep: object, words: str) -> None:
    with pytest.raises(InvalidRequest, match=words.replace("(", r"\(")):
        expand(source, sweep=sweep)  # type: ignore[arg-type]


def test_csv_without_a_prompt_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text\nhello\n")
    with pytest.raises(InvalidRequest, match="needs a 'prompt' column"):
        expand(path)


def test_request_fields_split_and_rows_round_trip() -> None:
    row = Row("k", "p", {"seed": 1, "aspect_ratio": "1:1", "thinking": "high"})
    assert request_fields(row) == ({"aspect_ratio": "1:1", "seed": 1}, {"thinking": "high"})
    assert Row.from_dict(json.loads(json.dumps(row.as_dict()))) == row
