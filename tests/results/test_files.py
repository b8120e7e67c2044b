"""results/files.py: atomic writes and file errors in words."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from vertex_image.results.files import TMP_PREFIX, atomic_write, atomic_write_all, os_reason


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    atomic_write(target, b"new bytes")
    assert target.read_bytes() == b"new bytes"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_a_crash_before_the_rename_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def crash(source: str, destination: str) -> None:
        assert Path(source).name.startswith(TMP_PREFIX) and Path(source).read_bytes() == b"new"
        raise OSError(errno.EIO, "disk gone")

    with pytest.raises(OSError, match="disk gone"):
        atomic_write(target, b"new", replace=crash)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_the_data_is_fsynced_before_the_rename(tmp_path: Path) -> None:
    order: list[str] = []
    atomic_write(
        tmp_path / "a.bin",
        b"x",
        fsync=lambda fd: order.append("fsync"),
        replace=lambda source, destination: (order.append("replace"), os.replace(source, destination)),
    )
    assert order == ["fsync", "replace"]


def test_os_reason_names_a_file_in_the_way_of_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "images"
    blocker.write_text("not a folder")
    reason = os_reason(NotADirectoryError(errno.ENOTDIR, "Not a directory"), blocker / "sessions")
    assert reason == f"{blocker} is a file, not a folder"


def test_os_reason_gives_the_system_reason_and_another_file_it_names(tmp_path: Path) -> None:
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "index.jsonl"))
    assert os_reason(error, tmp_path) == f"Permission denied ({tmp_path / 'index.jsonl'})"
    assert os_reason(PermissionError(errno.EACCES, "Permission denied", str(tmp_path)), tmp_path) == "Permission denied"


def test_append_lines_closes_off_a_torn_last_line_and_fsyncs(tmp_path: Path) -> None:
    from vertex_image.results.files import append_lines

    synced: list[int] = []
    path = tmp_path / "log.jsonl"
    assert append_lines(path, b'{"a": 1}\n', fsync=synced.append) is True  # created by this append
    path.write_bytes(path.read_bytes() + b'{"torn')  # a crash in the middle of a line
    assert append_lines(path, b'{"b": 2}\n', fsync=synced.append) is False
    assert path.read_bytes().split(b"\n") == [b'{"a": 1}', b'{"torn', b'{"b": 2}', b""]
    assert len(synced) == 2


def test_group_sync_fsyncs_what_is_queued_once_and_a_forked_child_starts_its_own_thread(tmp_path: Path) -> None:
    import os
    import sys

    from vertex_image.results.files import GroupSync

    later = GroupSync(delay=3600)
    (tmp_path / "a.png").write_bytes(b"x")
    later.add([tmp_path / "a.png", tmp_path / "a.png", tmp_path / "gone.png"])  # a file removed meanwhile: skipped
    assert later.flush() == 2 and later.flush() == 0
    if sys.platform != "linux":
        print("fork part skipped: Linux only here")
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if later._thread is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_the_pieces_of_a_file_reach_it_whole_when_the_system_writes_a_few_bytes_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image goes out as pieces (the bytes around its metadata block) in one writev; a writev that takes only
    part of them is called again from where it stopped, empty pieces included."""
    calls: list[int] = []

    def three_bytes(fd: int, views: list[memoryview]) -> int:
        calls.append(len(views))
        return os.write(fd, b"".join(bytes(view) for view in views)[:3])

    monkeypatch.setattr(os, "writev", three_bytes, raising=False)
    target = tmp_path / "fox.png"
    atomic_write_all([(target, [b"abcd", b"", memoryview(b"efg"), b"hijklmn"])], durable=False)
    assert target.read_bytes() == b"abcdefghijklmn"
    assert calls[0] == 3 and len(calls) == 5  # the three non-empty pieces at once, then what was left


def test_a_queued_write_reads_from_the_queue_until_the_pass_writes_it(tmp_path: Path) -> None:
    from vertex_image.results.files import GroupSync

    later = GroupSync(delay=3600)
    image, gone = tmp_path / "a.png", tmp_path / "deleted.png"
    image.write_bytes(b"png")
    target, blocked = str(tmp_path / "a.png.json"), str(tmp_path / "no-such-folder" / "b.png.json")
    later.add([], writes=[(blocked, b"refused", str(image)), (target, b'{"id": "a"}', str(image)),
                          (f"{gone}.json", b"orphan", str(gone))])  # fmt: skip
    assert later.queued(target) == b'{"id": "a"}' and not os.path.exists(target)
    assert later.flush() == 1  # the refused write does not stop the pass; its owner keeps the way to redo it
    assert Path(target).read_bytes() == b'{"id": "a"}' and later.queued(target) is None
    assert later.queued(blocked) is None and not list(tmp_path.glob(".vi-tmp-*"))
    assert not Path(f"{gone}.json").exists()  # its image was deleted before the pass: no orphan sidecar


def test_a_flush_returns_only_after_a_pass_already_running_is_done(tmp_path: Path) -> None:
    """``ImageStore.flush`` (before an export, a script reading a sidecar) must find the files on disk even when
    the background pass had already taken them from the queue."""
    import threading

    from vertex_image.results.files import GroupSync

    release, started, flushed = threading.Event(), threading.Event(), threading.Event()
    background = GroupSync(delay=0)

    def slow_work() -> None:
        started.set()
        release.wait(30)

    target = tmp_path / "a.png.json"
    background.add([], then=slow_work, writes=[(str(target), b"x", str(tmp_path))])
    assert started.wait(30), "the background pass did not start"
    waiter = threading.Thread(target=lambda: (background.flush(), flushed.set()))
    waiter.start()
    assert not flushed.wait(0.2) and target.read_bytes() == b"x"  # written, but the pass is not over
    release.set()
    waiter.join(30)
    assert flushed.is_set()


def test_a_forked_child_neither_writes_nor_runs_the_parents_queued_work(tmp_path: Path) -> None:
    """The parent writes its own sidecars; the child's exit must not wait on locks the parent's threads held."""
    import sys

    from vertex_image.results.files import GroupSync

    if sys.platform != "linux":
        print("skipped: fork is Linux only here")
        return
    later = GroupSync(delay=3600)
    ran: list[str] = []
    (tmp_path / "a.png").write_bytes(b"png")
    later.add([tmp_path / "a.png"], then=lambda: ran.append("then"),
              writes=[(str(tmp_path / "a.png.json"), b"{}", str(tmp_path / "a.png"))])  # fmt: skip
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        quiet = later.flush() == 0 and not ran and later.queued(str(tmp_path / "a.png.json")) is None
        os._exit(0 if quiet else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0 and not (tmp_path / "a.png.json").exists()
    assert later.flush() == 2 and ran == ["then"]  # the parent's pass: its write, its fsync, its work
