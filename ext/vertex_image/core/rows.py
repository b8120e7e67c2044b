"""The rows of a many-image call (prompts, dicts, a CSV/JSONL/text file, sweeps expanded) and their results.

A row is one request for one image: its key (unique in the call: the name its result comes back
under, in a batch job too), its prompt and its options (the keyword arguments of ``generate_images``).
Everything here is checked before anything is sent; a bad row names itself in a one-line error.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import InvalidRequest
from ..base.pricing import Cost, total
from ..results.images import GeneratedImage, ImageSet

FILE_SUFFIXES = (".csv", ".jsonl", ".json", ".txt")
REQUEST_FIELDS = ("aspect_ratio", "image_size", "negative_prompt", "seed")
_INTS = ("seed", "compression_quality")
_FLOATS = ("temperature",)
_BOOLS = ("include_thoughts", "text", "add_watermark", "enhance_prompt")


@dataclass(frozen=True)
class Row:
    """One request of a many-image call: ``key`` (unique), ``prompt`` and its options."""

    key: str
    prompt: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (a batch job keeps its rows with it)."""
        return {"key": self.key, "prompt": self.prompt, "options": dict(self.options)}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Row:
        return cls(str(value["key"]), str(value["prompt"]), dict(value.get("options") or {}))


def expand(source: Any, *, sweep: Mapping[str, Iterable[Any]] | None = None,
           options: Mapping[str, Any] | None = None) -> list[Row]:  # fmt: skip
    """The rows of ``source`` (prompts, dicts, a file path), each crossed with ``sweep``, ``options`` under
    each row's own.

    Raises:
        InvalidRequest: an empty source, a row without a prompt, a duplicate key, an unreadable file, a sweep
            that is not ``{name: [values...]}``.
    """
    base = [_with_defaults(row, options or {}) for row in _rows_of(source)]
    if not base:
        raise InvalidRequest("generate_many got no rows: give at least one prompt.")
    rows = _swept(base, sweep) if sweep else base
    seen: set[str] = set()
    for row in rows:
        if row.key in seen:
            raise InvalidRequest(f"Row key {row.key!r} is used twice: every row needs its own key.")
        seen.add(row.key)
    return rows


def _rows_of(source: Any) -> list[Row]:
    if isinstance(source, (str, os.PathLike)):
        return _read_file(source)
    if isinstance(source, Mapping) or not isinstance(source, Iterable):
        raise InvalidRequest(
            f"generate_many takes a list of prompts, a list of dicts or a CSV/JSONL file path, not a "
            f"{type(source).__name__}."
        )
    return [_row(item, number, where=f"row {number}") for number, item in enumerate(source)]


def _row(item: Any, number: int, *, where: str) -> Row:
    default_key = f"row-{number:05d}"
    if isinstance(item, str):
        return Row(default_key, _prompt(item, where))
    if not isinstance(item, Mapping):
        raise InvalidRequest(f"{where}: a row is a prompt or a dict with a 'prompt', not a {type(item).__name__}.")
    values = {str(name): value for name, value in item.items() if value is not None and value != ""}
    if "prompt" not in values:
        raise InvalidRequest(f"{where}: the row has no 'prompt' (its fields: {', '.join(sorted(values)) or 'none'}).")
    prompt = _prompt(values.pop("prompt"), where)
    key = str(values.pop("key", default_key)).strip() or default_key
    if "n" in values:
        raise InvalidRequest(f"{where}: a row makes one image; for several, sweep a seed: sweep={{'seed': range(4)}}.")
    return Row(key, prompt, {name: _typed(name, value, where) for name, value in values.items()})


def _prompt(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{where}: the prompt must be non-empty text, not {value!r}.")
    return value.strip()


def _typed(name: str, value: Any, where: str) -> Any:
    """Values read from a CSV file are text: the numeric and yes/no options get their type back."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if name in _INTS:
            return int(text)
        if name in _FLOATS:
            return float(text)
    except ValueError:
        raise InvalidRequest(f"{where}: {name} must be a number, not {value!r}.") from None
    if name in _BOOLS and text.lower() in ("true", "false", "yes", "no", "1", "0"):
        return text.lower() in ("true", "yes", "1")
    return text


def _read_file(source: str | os.PathLike[str]) -> list[Row]:
    path = Path(source)
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise InvalidRequest(
            f"generate_many got the text {str(source)[:60]!r}: give a list of prompts, or a file ending in "
            f"{', '.join(FILE_SUFFIXES)} (for one prompt, use generate_images)."
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidRequest(f"Cannot read the rows file {os.fspath(source)}: {exc.strerror or exc}.") from None
    suffix = path.suffix.lower()
    if suffix == ".txt":
        prompts = [line.strip() for line in text.splitlines() if line.strip()]
        return [Row(f"row-{number:05d}", prompt) for number, prompt in enumerate(prompts)]
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if "prompt" not in (reader.fieldnames or []):
            raise InvalidRequest(f"{path.name}: the CSV file needs a 'prompt' column (its header: {reader.fieldnames}).")
        return [_row(item, number, where=f"{path.name} line {number + 2}") for number, item in enumerate(reader)]
    if suffix == ".json":
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise InvalidRequest(f"{path.name} is not JSON: {exc}.") from None
        if not isinstance(items, list):
            raise InvalidRequest(f"{path.name}: the JSON file must hold a list of rows.")
        return [_row(item, number, where=f"{path.name} row {number}") for number, item in enumerate(items)]
    rows = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise InvalidRequest(f"{path.name} line {line_number} is not JSON: {exc}.") from None
        rows.append(_row(item, len(rows), where=f"{path.name} line {line_number}"))
    return rows


def _with_defaults(row: Row, options: Mapping[str, Any]) -> Row:
    if not options:
        return row
    return Row(row.key, row.prompt, {**options, **row.options})


def _swept(rows: Sequence[Row], sweep: Mapping[str, Iterable[Any]]) -> list[Row]:
    if not isinstance(sweep, Mapping) or not sweep:
        raise InvalidRequest("sweep must be a dict of option name -> values, e.g. {'seed': range(4)}.")
    names, grids = [], []
    for name, values in sweep.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise InvalidRequest(f"sweep[{name!r}] must be a list of values (or a range), not {values!r}.")
        listed = list(values)
        if not listed:
            raise InvalidRequest(f"sweep[{name!r}] is empty: give at least one value.")
        if name in ("prompt", "key", "n"):
            raise InvalidRequest(f"sweep cannot vary {name!r}: give the prompts as rows.")
        names.append(str(name))
        grids.append(listed)
    combos = list(itertools.product(*grids))
    swept = []
    for row in rows:
        for number, combo in enumerate(combos):
            key = row.key if len(combos) == 1 else f"{row.key}.{number}"
            swept.append(Row(key, row.prompt, {**row.options, **dict(zip(names, combo))}))
    return swept


def request_fields(row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
    """The row's options split into ``GenerateRequest`` fields and model-family options."""
    fields_ = {name: row.options[name] for name in REQUEST_FIELDS if name in row.options}
    rest = {name: value for name, value in row.options.items() if name not in REQUEST_FIELDS}
    return fields_, rest


@dataclass(frozen=True)
class RowResult:
    """One row's outcome: its images (saved) or its error."""

    row: Row
    images: ImageSet | None = None
    error: BaseException | None = None

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def ok(self) -> bool:
        return self.error is None and self.images is not None

    def __repr__(self) -> str:
        if self.ok:
            assert self.images is not None
            return f"RowResult({self.key!r}, {len(self.images.images)} image(s))"
        return f"RowResult({self.key!r}, failed: {self.error})"


@dataclass(frozen=True)
class ManyResult(Sequence[RowResult]):
    """The rows of a many-image call, in order: ``.images`` (every saved image), ``.failed`` (rows with their
    error), ``.by_key``, ``.cost``."""

    rows: tuple[RowResult, ...]
    model: str = ""
    mode: str = "now"
    job: str = ""
    notices: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]

    def __iter__(self) -> Iterator[RowResult]:
        return iter(self.rows)

    @property
    def images(self) -> ImageSet:
        found: list[GeneratedImage] = [image for row in self.rows if row.images for image in row.images.images]
        return ImageSet(images=tuple(found), model=self.model, prompt="", cost=self.cost)

    @property
    def failed(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    @property
    def by_key(self) -> dict[str, RowResult]:
        return {row.key: row for row in self.rows}

    @property
    def cost(self) -> Cost | None:
        return total(row.images.cost for row in self.rows if row.images is not None)

    def __repr__(self) -> str:
        failed = self.failed
        cost = self.cost
        text = (f"ManyResult({len(self.rows) - len(failed)} of {len(self.rows)} rows made images"
                f"{', ' + str(len(failed)) + ' failed' if failed else ''}"
                f"{', ' + cost.text if cost is not None else ''}, {self.mode}{' job ' + self.job if self.job else ''})")  # fmt: skip
        if failed:
            text += "\nfailed: " + ", ".join(f"{row.key} ({row.error})" for row in failed[:5])
            text += f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        return text


__all__ = ["FILE_SUFFIXES", "ManyResult", "Row", "RowResult", "expand", "request_fields"]
