"""A real "insert into the next cell": the kernel asks the front end for a new cell, over a comm.

A click on "Insert code" arrives as a comm message, and Jupyter front ends take ``set_next_input``
only from a cell's execution, so the kernel cannot make the cell itself. The vertex-image
labextension (``ext/labextension``, shipped in the wheel; JupyterLab 4 and Notebook 7) registers the
comm target ``vertex_image.cells`` on every notebook's kernel: asked with ``{"code", "model_id"}``,
it inserts a new code cell holding ``code`` below the cell that shows the widget ``model_id`` (the
panel), answers ``{"ok": true}`` and closes the comm.

Where that piece is missing (the classic notebook, VS Code, a front end without the extension) the
comm is closed at once without an answer, or nothing answers at all: after ``ANSWER_S`` the outcome
is a fallback (the comm is then closed), and the panel shows the code in its box to copy instead.
``ask_front_end`` tells the outcome to ``tell(ok, reason)`` once (and a success that still comes after
a fallback, since that cell did appear).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import comm

TARGET = "vertex_image.cells"
ANSWER_S = 3.0
NO_EXTENSION = "the vertex-image front-end extension did not answer (not installed in this front end?)"

Tell = Callable[[bool, str], None]
OpenComm = Callable[..., Any]


def ask_front_end(
    code: str,
    model_id: str | None,
    tell: Tell,
    *,
    open_comm: OpenComm | None = None,
    wait_s: float = ANSWER_S,
) -> None:
    """Ask the front end to put ``code`` into a new cell below the panel's; ``tell`` hears how it went.

    Returns at once: the answer can only arrive once the kernel is idle again (after this click).
    ``open_comm`` defaults to ``comm.create_comm`` as it is now (ipykernel replaces it when it starts).
    """
    lock = threading.Lock()
    outcome: list[bool] = []  # the first outcome told; a later "ok" is told once more

    def settle(ok: bool, reason: str) -> None:
        with lock:
            if outcome and (outcome[0] or not ok):
                return  # told already (a success is final; a failure is told once)
            outcome.insert(0, ok)
        timer.cancel()
        tell(ok, reason)

    def on_msg(msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data", {}) or {}
        if data.get("ok"):
            settle(True, "")
        else:
            settle(False, str(data.get("error") or "the front end could not insert the cell"))

    def on_close(msg: dict[str, Any]) -> None:
        settle(False, NO_EXTENSION)

    def on_timeout() -> None:
        settle(False, NO_EXTENSION)
        with contextlib.suppress(Exception):  # closing is a courtesy
            channel.close()  # nothing answered: do not keep the comm open in the kernel

    timer = threading.Timer(wait_s, on_timeout)
    timer.daemon = True
    try:
        channel = (open_comm or comm.create_comm)(target_name=TARGET, data={"code": code, "model_id": model_id})
    except Exception as exc:  # noqa: BLE001 - no kernel to talk through: the box is the way
        tell(False, f"no front end to ask ({type(exc).__name__})")
        return
    channel.on_msg(on_msg)
    channel.on_close(on_close)
    timer.start()


__all__ = ["ANSWER_S", "NO_EXTENSION", "TARGET", "ask_front_end"]
