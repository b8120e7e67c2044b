"""notebook/panel/insert.py: "Insert code" asks the front end for a new cell over a comm, and hears the answer."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import comm
import pytest
from vertex_image.notebook.panel.insert import NO_EXTENSION, TARGET, ask_front_end

ROOT = Path(__file__).resolve().parents[3]
BUILT = ROOT / "ext" / "labextension" / "dist" / "vertex-image"


class FakeComm:
    """A kernel-side comm: records what was opened and sent, and lets the test play the front end."""

    def __init__(self, **opened: Any) -> None:
        self.opened = opened
        self.closed = False
        self._on_msg: Any = None
        self._on_close: Any = None

    def on_msg(self, callback: Any) -> None:
        self._on_msg = callback

    def on_close(self, callback: Any) -> None:
        self._on_close = callback

    def close(self) -> None:
        self.closed = True

    # the front end
    def answer(self, data: dict[str, Any]) -> None:
        self._on_msg({"content": {"data": data}})

    def close_from_front_end(self) -> None:
        self._on_close({"content": {"data": {}}})


class Opener:
    def __init__(self) -> None:
        self.comms: list[FakeComm] = []

    def __call__(self, **opened: Any) -> FakeComm:
        self.comms.append(FakeComm(**opened))
        return self.comms[-1]


def test_the_code_and_the_panel_go_to_the_front_ends_target_and_its_answer_is_told_once() -> None:
    opener, told = Opener(), []
    ask_front_end("%imagen a fox", "model-1", lambda ok, why: told.append((ok, why)), open_comm=opener, wait_s=60)

    (comm,) = opener.comms
    assert comm.opened == {"target_name": TARGET, "data": {"code": "%imagen a fox", "model_id": "model-1"}}
    assert told == []  # nothing is known until the front end answers
    comm.answer({"ok": True, "index": 3})
    comm.close_from_front_end()  # the front end closes after answering: not a second outcome
    assert told == [(True, "")]


def test_a_front_end_without_the_target_closes_the_comm_and_the_panel_falls_back() -> None:
    opener, told = Opener(), []
    ask_front_end("%imagen a fox", None, lambda ok, why: told.append((ok, why)), open_comm=opener, wait_s=60)
    opener.comms[0].close_from_front_end()  # JupyterLab without the extension: no such comm target
    assert told == [(False, NO_EXTENSION)]


def test_a_front_end_that_never_answers_falls_back_after_the_wait_and_the_comm_is_closed() -> None:
    opener, told, heard = Opener(), [], threading.Event()

    def tell(ok: bool, why: str) -> None:
        told.append((ok, why))
        heard.set()

    ask_front_end("%imagen a fox", None, tell, open_comm=opener, wait_s=0.05)  # VS Code, classic notebook
    assert heard.wait(10)
    assert told == [(False, NO_EXTENSION)] and opener.comms[0].closed


def test_a_front_end_error_is_told_in_its_words() -> None:
    opener, told = Opener(), []
    ask_front_end("x", None, lambda ok, why: told.append((ok, why)), open_comm=opener, wait_s=60)
    opener.comms[0].answer({"ok": False, "error": "no cell to insert below"})
    assert told == [(False, "no cell to insert below")]


def test_no_kernel_to_open_a_comm_through_is_a_fallback_not_an_error() -> None:
    def no_kernel(**opened: Any) -> Any:
        raise RuntimeError("Comms cannot be opened without a comm_manager.")

    told: list[tuple[bool, str]] = []
    ask_front_end("x", None, lambda ok, why: told.append((ok, why)), open_comm=no_kernel)
    assert told == [(False, "no front end to ask (RuntimeError)")]


def test_the_prebuilt_front_end_piece_is_complete_and_the_wheel_takes_all_of_it() -> None:
    # The built labextension is committed (no node needed to install); pyproject's data-files must cover it.
    manifest = json.loads((BUILT / "package.json").read_text())
    assert manifest["name"] == "vertex-image"
    assert (BUILT / manifest["jupyterlab"]["_build"]["load"]).is_file()  # the remoteEntry JupyterLab loads
    source = (ROOT / "ext" / "labextension" / "index.js").read_text()
    assert f"'{TARGET}'" in source  # the target the kernel opens is the one the front end registers
    built = "".join(path.read_text() for path in (BUILT / "static").glob("*.js"))
    assert TARGET in built  # and the build is of this source, not an older one without it
    pyproject = (ROOT / "pyproject.toml").read_text()
    globs = re.findall(r'^"share/jupyter/labextensions/vertex-image[^"]*" = \["([^"]+)"\]', pyproject, re.MULTILINE)
    covered = {path for pattern in globs for path in ROOT.glob(pattern)}
    assert covered == {path for path in BUILT.rglob("*") if path.is_file()}


@pytest.mark.parametrize("answer", [{"ok": True}, {"ok": False, "error": "x"}])
def test_a_late_front_end_answer_after_the_fallback_changes_nothing_twice(answer: dict[str, Any]) -> None:
    opener, told, heard = Opener(), [], threading.Event()

    def tell(ok: bool, why: str) -> None:
        told.append(ok)
        heard.set()

    ask_front_end("x", None, tell, open_comm=opener, wait_s=0.01)
    assert heard.wait(10)
    opener.comms[0].answer(answer)
    assert told == ([False, True] if answer["ok"] else [False])  # a cell that did appear is said so


def test_the_kernels_comm_factory_is_looked_up_when_asking_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    opener, told = Opener(), []
    monkeypatch.setattr(comm, "create_comm", opener)  # as ipykernel does when it starts, after the import
    ask_front_end("x", "m", lambda ok, why: told.append(ok), wait_s=60)
    assert [c.opened["target_name"] for c in opener.comms] == [TARGET]
    opener.comms[0].answer({"ok": True})
    assert told == [True]
