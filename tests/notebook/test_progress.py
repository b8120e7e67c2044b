"""notebook/progress.py: one display handle that shows the model, the seconds and any retry wait, then empties."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from nbclient import NotebookClient
from vertex_image.notebook import progress as progress_module
from vertex_image.notebook.progress import Progress, has_frontend, progress_html, watch_streams


class _FakeKernelShell:
    """Just enough of ipykernel's shell: a kernel, a parent header per thread, a display publisher."""

    def __init__(self) -> None:
        self.kernel = object()
        self.user_ns = {"__session__": "/home/me/fox.ipynb"}  # Jupyter Server names the notebook
        self.display_pub = CapturingDisplayPublisher()
        self.thread_parents: list[object] = []
        self.parent = {"header": {"msg_id": "cell-1"}}

    def get_parent(self) -> object:
        return self.parent

    def set_thread_parent(self, parent: object) -> tuple[object]:
        self.thread_parents.append(parent)
        return (parent,)

    def reset_thread_parent(self, tokens: object) -> None:
        self.thread_parents.append(None)


def test_progress_from_another_thread_uses_the_captured_parent_and_shows_retries() -> None:
    fake = _FakeKernelShell()
    now = [100.0]
    progress = Progress(fake, "nano-banana", clock=lambda: now[0])
    assert progress.enabled
    progress.start()
    fake.parent = {"header": {"msg_id": "a-later-cell"}}  # the main thread moved on
    now[0] = 103.0
    event = type("RetryEvent", (), {"attempt": 1, "wait_s": 8.0, "reason": "429 RESOURCE_EXHAUSTED"})()
    worker = threading.Thread(target=progress.on_retry, args=(event,))
    worker.start()
    worker.join()
    assert fake.thread_parents == [{"header": {"msg_id": "cell-1"}}, None]
    text = fake.display_pub.outputs[-1]["data"]["text/plain"]
    assert text == "Generating with nano-banana · 3 s · retry 1 in 8 s (429 RESOURCE_EXHAUSTED)"
    progress.finish()  # next to other code (this fake cell has no code): one line of what ran stays
    assert fake.display_pub.outputs[-1]["data"]["text/plain"] == "nano-banana · request ended after 3 s"


def test_a_batch_run_of_a_notebook_has_no_progress_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    batch = _FakeKernelShell()
    batch.user_ns = {}  # nbclient / nbconvert: a kernel, but no notebook open in a frontend
    assert not has_frontend(batch)
    progress = Progress(batch, "nano-banana")
    progress.start()
    progress.finish()
    assert batch.display_pub.outputs == []
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/fox.ipynb")
    assert has_frontend(batch)


def test_without_a_frontend_progress_is_off_and_publishes_nothing() -> None:
    shell = type("TerminalShell", (), {"display_pub": CapturingDisplayPublisher()})()
    assert not has_frontend(shell)
    progress = Progress(shell, "imagen4")
    progress.start()
    progress.refresh()
    progress.finish()
    assert not progress.enabled and shell.display_pub.outputs == []


def test_status_text_counts_seconds_and_the_wait_left_before_a_retry() -> None:
    now = [10.0]
    progress = Progress(_FakeKernelShell(), "imagen4", clock=lambda: now[0])
    progress.start()
    now[0] = 12.5
    assert progress.status_text() == "Generating with imagen4 · 2 s"
    event: Any = type("RetryEvent", (), {"attempt": 2, "wait_s": 4.0, "reason": ""})()
    progress.on_retry(event)
    now[0] = 15.0
    assert progress.status_text() == "Generating with imagen4 · 5 s · retry 2 in 2 s (retrying)"
    now[0] = 30.0
    assert progress.status_text().endswith("· retry 2 (retrying)")


def test_finish_is_final_and_the_html_is_escaped() -> None:
    fake = _FakeKernelShell()
    progress = Progress(fake, "<b>model</b>")
    progress.start()
    progress.finish()
    shown = len(fake.display_pub.outputs)
    progress.refresh()  # after finish nothing more is shown
    assert len(fake.display_pub.outputs) == shown
    assert fake.display_pub.outputs[-1]["data"]["text/plain"].endswith("· request ended after 0 s")
    assert "<b>" not in progress_html("<b>x</b>") and "&lt;b&gt;x&lt;/b&gt;" in progress_html("<b>x</b>")


class _FakeKernelStream:
    """ipykernel's OutStream as progress uses it: per-thread hooks run when the IO thread sends a message."""

    def __init__(self, shell: _FakeKernelShell) -> None:
        self.shell = shell
        self.hooks: list[Any] = []
        self.pub_thread = self

    def schedule(self, work: Any) -> None:
        work()

    def register_hook(self, hook: Any) -> None:
        self.hooks.append(hook)

    def write(self, text: str) -> None:
        message = {"msg_type": "stream", "parent_header": self.shell.parent["header"], "content": {"text": text}}
        for hook in self.hooks:
            message = hook(message)

    def flush(self) -> None:
        pass


def _watched_kernel(monkeypatch: pytest.MonkeyPatch) -> _FakeKernelShell:
    """A kernel shell whose stdout and stderr are watched since %load_ext ran (in cell "load"). Called in
    the test itself: pytest puts its own sys.stdout back between a fixture and the test."""
    monkeypatch.setattr(progress_module, "_watched_since", {})
    monkeypatch.setattr(progress_module, "_printed", OrderedDict())
    shell = _FakeKernelShell()
    shell.parent = {"header": {"msg_id": "load"}, "content": {"code": "%load_ext vertex_image"}}
    monkeypatch.setattr(sys, "stdout", _FakeKernelStream(shell))
    monkeypatch.setattr(sys, "stderr", _FakeKernelStream(shell))
    watch_streams(shell)
    return shell


@pytest.mark.parametrize("code", ["%imagen a fox", "imgs = %imagen a fox", "# a fox\n%%gemini_image -S kite\na kite\n"])
def test_a_handle_alone_in_its_cell_is_cleared_at_the_end_not_left_empty(
    monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    # old: the handle was emptied and stayed as an empty output in the saved notebook
    kernel = _watched_kernel(monkeypatch)
    kernel.parent = {"header": {"msg_id": "cell-2"}, "content": {"code": code}}
    progress = Progress(kernel, "nano-banana")
    progress.start()
    assert kernel.display_pub.outputs  # shown while the request runs
    progress.finish()
    assert kernel.display_pub.outputs == []  # clear_output: the cell holds only what the magic returns


def test_a_magic_that_printed_a_notice_keeps_it_and_its_handle_keeps_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = _watched_kernel(monkeypatch)
    kernel.parent = {"header": {"msg_id": "cell-2"}, "content": {"code": "%%gemini_image -S fox\nmake it red"}}
    sys.stdout.write("Resuming 'fox' from disk: 3 turns.\n")  # the magic's own notice, before the request
    progress = Progress(kernel, "nano-banana")
    progress.start()
    progress.finish()
    assert kernel.display_pub.outputs[-1]["data"]["text/plain"] == "nano-banana · request ended after 0 s"


def test_without_watched_streams_a_handle_is_never_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "_watched_since", {})
    fake = _FakeKernelShell()  # sys.stdout is pytest's: no stream hooks, so what the cell printed is unknown
    fake.parent = {"header": {"msg_id": "cell-1"}, "content": {"code": "%imagen a fox"}}
    progress = Progress(fake, "nano-banana")
    progress.start()
    progress.finish()
    assert fake.display_pub.outputs[-1]["data"]["text/plain"].startswith("nano-banana · request ended after")


@pytest.mark.parametrize("code", ['print("before")\nimgs = %imagen a fox', "x = 1\n%imagen a fox"])
def test_a_handle_next_to_other_code_keeps_one_line_and_clears_nothing(
    monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    kernel = _watched_kernel(monkeypatch)
    kernel.parent = {"header": {"msg_id": "cell-2"}, "content": {"code": code}}
    kernel.display_pub.publish(data={"text/plain": "before"}, metadata={})  # the cell's own output
    progress = Progress(kernel, "nano-banana")
    progress.start()
    progress.finish()
    assert kernel.display_pub.outputs[0]["data"] == {"text/plain": "before"}
    assert kernel.display_pub.outputs[-1]["data"]["text/plain"].startswith("nano-banana · request ended after")


def test_a_notebook_watched_in_a_frontend_saves_no_empty_output_in_a_real_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # old: every magic left an empty display_data (the emptied progress handle) in the saved notebook
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "fox.ipynb"))  # as Jupyter Server sets it: progress on
    monkeypatch.setenv("VERTEX_IMAGE_BACKEND", "emulator")
    monkeypatch.setenv("VERTEX_IMAGE_OUTPUT_DIR", str(tmp_path / "images"))
    sources = ["%load_ext vertex_image", "%imagen a fox", "%%gemini_image -S kite\na kite",
               'print("before")\nimgs = %imagen a fox\nimgs',
               "from vertex_image.core import registry\nregistry.state().sessions.clear()  # as a new kernel",
               "%%gemini_image -S kite\nmake it red"]  # resumed from disk: a notice, printed before the request
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [cell.outputs for cell in notebook.cells]
    for cell in outputs:
        assert not [o for o in cell if o.output_type == "error"], cell
        assert not [o for o in cell if o.output_type == "display_data"
                    and not "".join(o.get("data", {}).get("text/plain", "")).strip()], cell
    assert [o.output_type for o in outputs[1]] == ["execute_result"]  # the images, and nothing else
    assert [o.output_type for o in outputs[2]] == ["execute_result"]
    mixed = outputs[3]  # next to other code: its print stays, and the handle says what ran
    assert mixed[0].output_type == "stream" and mixed[0].text == "before\n"
    lines = [o["data"]["text/plain"] for o in mixed if o.output_type == "display_data"]
    assert len(lines) == 1 and " · request ended after " in lines[0], mixed
    assert mixed[-1].output_type == "execute_result"
    resumed = outputs[5]  # alone in its cell, but the magic printed: the notice stays, the handle says what ran
    assert [o.output_type for o in resumed] == ["stream", "display_data", "execute_result"], resumed
    assert "'kite'" in resumed[0].text and " · request ended after " in resumed[1]["data"]["text/plain"]
