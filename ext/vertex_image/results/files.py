"""Files of the image folder written safely, and file errors put in words.

``atomic_write`` is the one way images, the store's sidecars and session files reach the disk: a
reader sees the old file or the whole new one, never a part. ``os_reason`` says why an ``OSError``
happened in a folder (a file in the way, or the system's reason), for one-line ``StorageError``s.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
TMP_PREFIX = ".vi-tmp-"  # temporary files of ``atomic_write`` (``ImageStore.discard_partial`` removes leftovers)


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    fsync: Callable[[int], None] = os.fsync,
    replace: Callable[[str, str], None] = os.replace,
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    A hidden temporary file in the same folder is written and fsynced, then renamed over ``path``.
    ``fsync`` and ``replace`` are injectable so tests can simulate a crash between the two.
    """
    atomic_write_all([(path, [data])], fsync=fsync, replace=replace)


def atomic_write_all(
    items: Sequence[tuple[str | os.PathLike[str], Sequence[bytes | memoryview]]],
    *,
    fsync: Callable[[int], None] = os.fsync,
    replace: Callable[[str, str], None] = os.replace,
    durable: bool = True,
) -> None:
    """``atomic_write`` for several files at once, in order, sharing the folder's fsync.

    Each file's content is a sequence of buffers written one after the other (views of an image around an
    inserted metadata block: no copy of the image).

    Every temporary file is written and fsynced first, then each is renamed over its target in the
    order given, then each folder is fsynced once: when this returns, every file is durable; after a
    crash each target holds its old content or the whole new one. Temporary files of a failed call are
    removed (a hard crash leaves them for ``ImageStore.discard_partial``).

    ``durable=False`` skips the fsyncs (the store's ``durability="process"``: a killed process still leaves each
    target old or whole, as the rename is atomic; ``sync_later`` makes them durable within a second).
    """
    pending: list[tuple[str, str]] = []  # paths as text: pathlib's objects cost more than the small files' writes
    try:
        for path, buffers in items:
            target = os.fspath(path)
            temporary = os.path.join(os.path.dirname(target), f"{TMP_PREFIX}{secrets.token_hex(6)}")
            fd = os.open(temporary, _CREATE_FLAGS, 0o666)
            pending.append((temporary, target))
            try:  # straight to the descriptor: no buffered file object around a handful of large writes
                _write_all(fd, buffers)
                if durable:
                    fsync(fd)
            finally:
                os.close(fd)
        while pending:
            temporary, target = pending[0]
            replace(temporary, target)
            pending.pop(0)
    except BaseException:
        for temporary, _ in pending:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    if durable:
        for folder in dict.fromkeys(os.path.dirname(os.fspath(path)) or "." for path, _ in items):
            fsync_folder(folder)


def _write_all(fd: int, buffers: Sequence[bytes | memoryview]) -> None:
    """Every byte of ``buffers``, in order: one ``writev`` for all of them (an image is three pieces around its
    metadata block), again from where it stopped when it took only a part; ``os.write`` where there is none."""
    writev = getattr(os, "writev", None)  # not on Windows
    views = [view for view in (memoryview(buffer).cast("B") for buffer in buffers) if view.nbytes]
    while views:
        written = writev(fd, views) if writev is not None else os.write(fd, views[0])
        while views and written >= views[0].nbytes:
            written -= views[0].nbytes
            views.pop(0)
        if views and written:
            views[0] = views[0][written:]


class GroupSync:
    """Writes queued files and fsyncs files and their folders in a background thread, ``delay`` s after the first
    is queued: the files of every save in that time share one pass, and the saving thread never waits for the
    disk. A file queued for writing (``add(writes=...)``) reads from ``queued`` until the pass has written it."""

    def __init__(self, delay: float = 0.5) -> None:
        self.delay = delay
        self._pending: dict[str, None] = {}  # paths as text: a save queues two or three, cheaply
        self._writes: dict[str, tuple[bytes, str]] = {}  # path -> (content, beside): a store's sidecars, next pass
        self._writing: dict[str, tuple[bytes, str]] = {}  # those the running pass is writing (``queued`` answers)
        self._then: dict[Callable[[], object], None] = {}  # run after the fsyncs of a pass (an index checkpoint)
        self._wake = threading.Condition()
        self._pass = threading.Lock()  # one pass at a time: a ``flush`` returns when what was queued is done
        self._thread: threading.Thread | None = None
        if hasattr(os, "register_at_fork"):  # a forked child has no such thread: it starts its own
            os.register_at_fork(after_in_child=self._forget_thread)

    def _forget_thread(self) -> None:
        """In a forked child: no thread, no lock held by a thread that is not there, and none of the parent's
        work (its files are the parent's to write; its ``then`` work may wait on locks the parent held)."""
        self._wake = threading.Condition()
        self._pass = threading.Lock()
        self._thread = None
        self._pending, self._writes, self._writing, self._then = {}, {}, {}, {}

    def add(self, paths: Iterable[str | os.PathLike[str]], then: Callable[[], object] | None = None,
            writes: Iterable[tuple[str, bytes, str]] = ()) -> None:  # fmt: skip
        """Queue ``paths`` for the next pass's fsyncs and ``writes`` ((path, content, beside): written atomically
        while the file ``beside`` is there, then fsynced: a sidecar whose image was deleted meanwhile is not
        written); ``then``: work to run after its fsyncs (once, however often given)."""
        with self._wake:
            self._pending.update(dict.fromkeys(map(os.fspath, paths)))
            self._writes.update((path, (data, beside)) for path, data, beside in writes)
            if then is not None:
                self._then[then] = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vertex-image-fsync", daemon=True)
                self._thread.start()
                atexit.register(self.flush)  # an interpreter that exits normally writes and syncs what is queued
            self._wake.notify()

    def queued(self, path: str) -> bytes | None:
        """The content queued for ``path`` and not written yet (None: none; read the file)."""
        with self._wake:
            found = self._writes.get(path) or self._writing.get(path)
            return None if found is None else found[0]

    def flush(self) -> int:
        """Write every queued file, fsync every queued file, then each of their folders, then run the queued work,
        now (after a pass already running); how many files."""
        with self._pass:
            with self._wake:
                paths, self._pending = list(self._pending), {}
                self._writing, self._writes = self._writes, {}
                then, self._then = list(self._then), {}
            written = []
            for path, (data, beside) in self._writing.items():  # replaced, not changed, while the pass runs
                with contextlib.suppress(OSError):  # the disk refused: whoever queued it keeps a way to redo it
                    if os.path.exists(beside):
                        atomic_write_all([(path, [data])], durable=False)
                        written.append(path)
            paths += written
            for path in paths:
                fsync_file(path)
            for folder in dict.fromkeys(os.path.dirname(path) or "." for path in paths):
                fsync_folder(folder)
            with self._wake:
                self._writing = {}
            for work in then:
                with contextlib.suppress(Exception):  # background work: a failure must not end the pass
                    work()
            return len(paths)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._then and not self._writes:
                    self._wake.wait()
            time.sleep(self.delay)  # the saves that follow join this pass
            self.flush()


GROUP_SYNC = GroupSync()


def fsync_file(path: str | os.PathLike[str]) -> None:
    """fsync a file by name (its data reaches the disk whatever descriptor wrote it); gone or unreadable: skipped."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append_lines(path: Path, data: bytes, *, fsync: Callable[[int], None] = os.fsync) -> bool:
    """Append whole lines in one write, flushed and fsynced; a torn last line (a crash mid-append) is closed
    off first so the new lines stay readable. True when the file was created by this append."""
    created = not path.exists()
    with open(path, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                data = b"\n" + data
        handle.write(data)
        handle.flush()
        fsync(handle.fileno())
    return created


def os_reason(exc: OSError, folder: str | os.PathLike[str]) -> str:
    """Why ``exc`` happened in ``folder``, in words: a file where a folder should be, or the OS's reason."""
    target = Path(os.path.abspath(os.fspath(folder)))
    for candidate in (target, *target.parents):  # the nearest existing path decides
        if os.path.exists(candidate):
            if not os.path.isdir(candidate):
                return f"{candidate} is a file, not a folder"
            break
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if isinstance(exc.filename, str) else ""
    return reason + (f" ({where})" if where and where != os.fspath(folder) else "")
