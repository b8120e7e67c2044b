"""Files of the image folder written safely, and file errors put in words.

``atomic_write`` is the one way images, the store's sidecars and session files reach the disk: a
reader sees the old file or the whole new one, never a part. ``os_reason`` says why an ``OSError``
happened in a folder (a file in the way, or the system's reason), for one-line ``StorageError``s.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

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
    target = Path(path)
    temporary = target.parent / f"{TMP_PREFIX}{secrets.token_hex(6)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            fsync(handle.fileno())
        replace(str(temporary), str(target))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
