"""Progress in place: one display handle shows the model, elapsed seconds and any retry wait.

The handle starts as an empty ``text/plain`` output and is updated while the request runs (from the
runtime loop's thread: the parent header of the cell is captured at start, as ipykernel 7 needs for
output from other threads). The result itself is the magic's return value. At the end the handle must
not stay behind as an empty output in the saved notebook: a cell that holds only the magic (the cell
magic, or one line such as ``imgs = %imagen ...``) that printed nothing (a notice of the magic itself,
such as a session resumed from disk) is cleared (``clear_output``: its only output so far is the handle),
and the result follows. Otherwise clearing would take printed words away too, so the handle keeps one
line saying what ran and how long it took. What a cell printed is known from ipykernel's stream hooks
(``watch_streams``, set up at ``%load_ext``): a cell that ran before them counts as having printed.
Without a frontend someone
watches (terminal IPython, a bare ``InteractiveShell``, and a notebook run in batch by nbclient,
nbconvert or papermill) progress stays quiet, so a rendered or re-run notebook holds no progress at all.
"""

from __future__ import annotations

import html
import os
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

TICK_S = 1.0
_EMPTY = {"text/plain": ""}
_REMEMBERED = 1024  # cells whose printing is remembered (the newest)
_printed: OrderedDict[str, None] = OrderedDict()  # msg_ids of cells that wrote to stdout or stderr
_watched_since: dict[int, str | None] = {}  # id(stream) -> msg_id of the cell during which watching began
_watch_lock = threading.Lock()


def watch_streams(shell: Any) -> None:
    """Note, from now on, which cells print (stdout, stderr), so that a progress handle is cleared only in a
    cell that printed nothing. Cheap, and a no-op outside ipykernel (no stream hooks)."""
    since = _msg_id(_parent_of(shell))
    for stream in (sys.stdout, sys.stderr):
        register = getattr(stream, "register_hook", None)
        io_thread = getattr(stream, "pub_thread", None)
        with _watch_lock:
            if register is None or io_thread is None or id(stream) in _watched_since:
                continue
            _watched_since[id(stream)] = since
        # ipykernel's stream hooks are per thread and run where the stream is flushed: its IO thread.
        io_thread.schedule(lambda register=register: register(_note_printed))


def printed_in(parent: Any) -> bool:
    """Whether the cell of ``parent`` wrote to stdout or stderr; True when that cannot be known."""
    cell = _msg_id(parent)
    streams = (sys.stdout, sys.stderr)
    with _watch_lock:
        watched = all(id(stream) in _watched_since for stream in streams)
        began_here = any(_watched_since.get(id(stream)) == cell for stream in streams)
    if cell is None or not watched or began_here:
        return True
    for stream in streams:
        try:
            stream.flush()  # ipykernel: waits until the IO thread has sent it (through the hook)
        except Exception:  # noqa: BLE001 - unknown: count it as printed
            return True
    with _watch_lock:
        return cell in _printed


def _note_printed(msg: Any) -> Any:
    """The stream hook: remember the cell a stream message belongs to; the message goes on unchanged."""
    header = msg.get("parent_header") if isinstance(msg, dict) else None
    cell = _msg_id({"header": header})
    if cell is not None:
        with _watch_lock:
            _printed[cell] = None
            while len(_printed) > _REMEMBERED:
                _printed.popitem(last=False)
    return msg


def has_frontend(shell: Any) -> bool:
    """True in a kernel a person watches: JupyterLab or Notebook (Jupyter Server names the notebook in
    ``JPY_SESSION_NAME``), VS Code, Colab. False in a terminal and in a batch run (nbclient, nbconvert),
    where an emptied progress handle would only be an empty output in the saved notebook."""
    if getattr(shell, "kernel", None) is None:
        return False
    namespace = getattr(shell, "user_ns", None) or {}
    return bool(
        os.environ.get("JPY_SESSION_NAME")
        or namespace.get("__vsc_ipynb_file__")
        or namespace.get("__session__")
        or "google.colab" in sys.modules
    )


class Progress:
    """The progress display of one request.

    Args:
        shell: the InteractiveShell whose display publisher is used.
        label: what is running, e.g. ``imagen-4.0-generate-001`` or ``nano-banana · session 'x' turn 3``.
        enabled: show anything at all (default: only when a frontend is attached).
        clock: the monotonic clock (tests pass a fake).
        tick_s: how often the elapsed time is refreshed.
    """

    def __init__(
        self,
        shell: Any,
        label: str,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick_s: float = TICK_S,
    ) -> None:
        self.shell = shell
        self.label = label
        self.enabled = has_frontend(shell) if enabled is None else enabled
        self.display_id = f"vertex-image-progress-{uuid.uuid4().hex}"
        self._clock = clock
        self._tick_s = tick_s
        self._lock = threading.Lock()  # guards the retry event
        self._publish_lock = threading.Lock()  # no status line may land after finish() emptied the handle
        self._origin = threading.get_ident()
        self._parent = _parent_of(shell)
        self._alone = magic_alone_in_cell(self._parent)  # then the handle may be the cell's only output
        watch_streams(shell)  # already done at %load_ext; here too for a shell that skipped it
        self._started_at: float | None = None
        self._retry: Any = None
        self._retry_at = 0.0
        self._done = False

    # lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Show the handle (empty at first, then the status)."""
        if not self.enabled or self._started_at is not None:
            return
        self._started_at = self._clock()
        self._publish(_EMPTY, update=False)
        self.refresh()

    def on_retry(self, event: Any) -> None:
        """The client's retry callback (runs on the runtime thread): show the wait."""
        with self._lock:
            self._retry, self._retry_at = event, self._clock()
        self.refresh()

    def refresh(self) -> None:
        """Redraw the status line (safe from any thread)."""
        if not self.enabled or self._started_at is None:
            return
        text = self.status_text()
        with self._publish_lock:
            if not self._done:
                self._publish({"text/plain": text, "text/html": progress_html(text)}, update=True)

    def finish(self) -> None:
        """Take the handle away (the result, or the error, is shown by the magic itself).

        Alone in its cell, the handle is cleared with the cell's output; next to other code it keeps
        one line (what ran, for how long), since clearing would take that code's output away too.
        """
        with self._publish_lock:
            if self._done:
                return
            self._done = True
            if not self.enabled or self._started_at is None:
                return
            if self._alone and not printed_in(self._parent):
                self._clear()
            else:
                text = self.final_text()
                self._publish({"text/plain": text, "text/html": progress_html(text, done=True)}, update=True)

    async def track(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the runtime loop while a ticker refreshes the elapsed time."""
        import asyncio  # lazy: not at %load_ext, which imports this module for watch_streams

        ticker = asyncio.ensure_future(self._tick()) if self.enabled else None
        try:
            return await coro
        finally:
            if ticker is not None:
                ticker.cancel()

    async def _tick(self) -> None:
        import asyncio  # lazy: not at %load_ext, which imports this module for watch_streams

        while True:
            await asyncio.sleep(self._tick_s)
            self.refresh()

    # rendering ----------------------------------------------------------------------------------
    def status_text(self) -> str:
        """``Generating with MODEL · 12 s`` plus ``· retrying in 8 s (attempt 2: reason)`` while waiting."""
        now = self._clock()
        elapsed = 0 if self._started_at is None else int(now - self._started_at)
        text = f"Generating with {self.label} · {elapsed} s"
        with self._lock:
            retry, retry_at = self._retry, self._retry_at
        if retry is not None:
            left = max(0, round(float(getattr(retry, "wait_s", 0.0)) - (now - retry_at)))
            attempt = getattr(retry, "attempt", "?")
            reason = getattr(retry, "reason", "") or "retrying"
            text += f" · retry {attempt} in {left} s ({reason})" if left else f" · retry {attempt} ({reason})"
        return text

    def final_text(self) -> str:
        """The line a handle next to other code keeps: ``MODEL · answered in 3 s`` (or stopped, failed)."""
        elapsed = 0 if self._started_at is None else int(self._clock() - self._started_at)
        return f"{self.label} · request ended after {elapsed} s"

    def _publish(self, data: dict[str, Any], *, update: bool) -> None:
        self._send(lambda: self.shell.display_pub.publish(
            data=data, metadata={}, transient={"display_id": self.display_id}, update=update))

    def _clear(self) -> None:
        self._send(lambda: self.shell.display_pub.clear_output(wait=False))

    def _send(self, send: Callable[[], None]) -> None:
        """Send on behalf of the cell that started the request, from whichever thread this runs on."""
        tokens = None
        set_thread_parent = getattr(self.shell, "set_thread_parent", None)
        if self._parent and threading.get_ident() != self._origin and set_thread_parent is not None:
            tokens = set_thread_parent(self._parent)
        try:
            send()
        except Exception:  # noqa: BLE001,S110 - a progress line must never break the request it describes
            pass
        finally:
            if tokens is not None:
                self.shell.reset_thread_parent(tokens)


def progress_html(text: str, done: bool = False) -> str:
    """The status line as a small grey line (escaped); an hourglass while running."""
    mark = "" if done else "&#8987; "
    return (
        '<div class="vertex-image-progress" style="font-size:0.9em;color:#666">'
        f"{mark}{html.escape(text, quote=True)}</div>"
    )


def magic_alone_in_cell(parent: Any) -> bool:
    """True when the running cell's code (from its execute request) is just the magic: a cell magic, or
    a single line. Then nothing else in the cell can have shown output before the progress handle."""
    content = parent.get("content", {}) if isinstance(parent, dict) else {}
    code = content.get("code") if isinstance(content, dict) else None
    if not isinstance(code, str):
        return False
    lines = [line.strip() for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return False
    return lines[0].startswith("%%") or (len(lines) == 1 and "%" in lines[0])


def _msg_id(parent: Any) -> str | None:
    header = parent.get("header", {}) if isinstance(parent, dict) else {}
    msg_id = header.get("msg_id") if isinstance(header, dict) else None
    return msg_id if isinstance(msg_id, str) and msg_id else None


def _parent_of(shell: Any) -> Any:
    """The parent header of the running cell (ipykernel), captured on the caller's thread."""
    get_parent = getattr(shell, "get_parent", None)
    if get_parent is None:
        return None
    try:
        return get_parent()
    except Exception:  # noqa: BLE001 - no parent means output goes wherever the kernel sends it
        return None

