"""Test helpers for the magics: a real InteractiveShell with the extension loaded, the emulator as backend.

Imported by the magic test modules (``from magicshell import ...``); the fixtures are found by pytest
because they are imported into the test module's namespace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
from vertex_image.core import registry
from vertex_image.emulator import Emulator

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Cell:
    """What running one cell showed: the result, the error, printed text, and display outputs."""

    result: Any
    error: BaseException | None
    out: str
    err: str
    displays: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """Everything printed (stdout and stderr), without colour codes."""
        return _ANSI.sub("", self.out + self.err)


class Shell:
    """An InteractiveShell with the extension loaded; ``run`` executes a cell and reports what it showed."""

    def __init__(self, capsys: pytest.CaptureFixture[str], config: Config | None = None) -> None:
        cfg = config or Config()
        cfg.HistoryManager.hist_file = ":memory:"
        self.ip = InteractiveShell(config=cfg)
        self.ip.display_pub = CapturingDisplayPublisher()
        self.capsys = capsys
        self.ip.run_line_magic("load_ext", "vertex_image")

    @property
    def ns(self) -> dict[str, Any]:
        return self.ip.user_ns

    def run(self, source: str) -> Cell:
        self.capsys.readouterr()
        start = len(self.ip.display_pub.outputs)
        outcome = self.ip.run_cell(source, store_history=True)
        captured = self.capsys.readouterr()
        error = outcome.error_in_exec or outcome.error_before_exec
        return Cell(outcome.result, error, captured.out, captured.err, self.ip.display_pub.outputs[start:])

    def close(self) -> None:
        self.ip.run_line_magic("unload_ext", "vertex_image")


def emulator_requests(method: str = "") -> list[Any]:
    """Requests the registry's emulator received (optionally only ``predict`` / ``generateContent``)."""
    emulator = registry.state()._emulator
    assert emulator is not None, "the emulator has not been started"
    return [r for r in emulator.requests if not method or r.path.endswith(":" + method)]


def body_size(body: Any) -> int:
    """Bytes of a JSON body as the client sends it (compact separators, UTF-8)."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def session_snapshot(output_dir: Path) -> dict[str, Any]:
    """Every session in memory (its turns as JSON) and every session file, for before/after checks."""
    memory = {
        name: json.dumps([[ex.user, ex.model, ex.prompt] for ex in session.exchanges], sort_keys=True)
        for name, session in registry.state().sessions.items()
    }
    folder = output_dir / "sessions"
    files = {p.name: p.read_text() for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
    return {"memory": memory, "files": files}


@pytest.fixture
def shell(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Iterator[Shell]:
    """A shell on the emulator (Vertex dialect) saving into tmp_path; everything is reset afterwards."""
    registry.reset()
    sh = Shell(capsys)
    registry.state().configure(backend="emulator", output_dir=str(tmp_path))
    try:
        yield sh
    finally:
        sh.close()
        registry.reset()


@contextmanager
def emulator_shell(capsys: pytest.CaptureFixture[str], output_dir: Path, **options: Any) -> Iterator[tuple[Shell, Emulator]]:
    """A shell on an emulator of our own (``Emulator(**options)``: latency, faults), reset afterwards."""
    registry.reset()
    with Emulator(**options) as emulator:
        sh = Shell(capsys)
        try:
            registry.state().configure(backend="emulator", base_url=emulator.base_url, output_dir=str(output_dir))
            yield sh, emulator
        finally:
            sh.close()
            registry.reset()
