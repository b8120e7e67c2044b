"""Two kernels on one session name (issue 17, item 7): no turn is lost, whoever writes last.

Real processes share one emulator and one output folder; each sends its turns to the same session name. Every
turn sent comes back in the session file exactly once, and each process is told, in one line, when the other one
added turns. A process killed while it holds a session's lock does not block the next writer; a live holder that
does not let go is named, and the turn it blocks is kept in memory (it was paid for).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel  # noqa: F401 - fixtures
from vertex_image.core import session as session_module
from vertex_image.emulator import Emulator

TURNS = 6
EXT = str(Path(vi.__file__).resolve().parent.parent)

KERNEL = """
import json, sys, time
from pathlib import Path
import vertex_image as vi

base_url, out, name, who, turns, start = sys.argv[1:7]
vi.configure(backend="emulator", base_url=base_url, output_dir=out)
chat = vi.chat(name=name)
while not Path(start).exists():  # both kernels begin together
    time.sleep(0.005)
notices = []
for number in range(int(turns)):
    result = chat.send(f"{who} turn {number}")
    notices += list(result.notices)
print(json.dumps({"notices": notices, "in_memory": len(chat)}))
"""


def _kernels(em: Emulator, out: Path, name: str, who: list[str], turns: int) -> list[dict]:
    start = out.parent / f"start-{name}"
    env = {**os.environ, "PYTHONPATH": EXT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", KERNEL, em.base_url, str(out), name, label, str(turns), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for label in who
    ]
    time.sleep(0.5)  # both import and configure before the start line
    start.write_text("go")
    reports = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-2000:]
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    return reports


@pytest.fixture
def shared(em: Emulator, tmp_path: Path) -> Iterator[tuple[Emulator, Path]]:
    """One emulator and one output folder for two kernels."""
    yield em, tmp_path / "out"


def test_two_kernels_on_one_session_name_lose_no_turn(shared: tuple[Emulator, Path]) -> None:
    em, out = shared
    reports = _kernels(em, out, "race", ["A", "B"], TURNS)
    document = json.loads((out / "sessions" / "race.json").read_text())
    prompts = [exchange["prompt"] for exchange in document["exchanges"]]
    sent = {f"{who} turn {n}" for who in "AB" for n in range(TURNS)}
    print(f"{2 * TURNS} turns sent, {len(prompts)} recorded; notices: {[r['notices'] for r in reports]}")
    assert sorted(prompts) == sorted(sent)  # every turn once: none lost, none twice
    for who in "AB":  # each kernel's own turns keep their order
        own = [p for p in prompts if p.startswith(who)]
        assert own == [f"{who} turn {n}" for n in range(TURNS)]
    notices = [notice for report in reports for notice in report["notices"]]
    assert notices, "interleaved kernels must be told about each other"
    for notice in notices:
        assert "\n" not in notice and "is also used by process" in notice and "recorded meanwhile kept" in notice
    # the kernel that wrote last holds the whole conversation in memory too
    assert max(report["in_memory"] for report in reports) == 2 * TURNS


def test_a_fresh_session_started_in_two_kernels_at_once_keeps_both_first_turns(
    shared: tuple[Emulator, Path],
) -> None:
    em, out = shared
    _kernels(em, out, "twins", ["A", "B"], 1)
    document = json.loads((out / "sessions" / "twins.json").read_text())
    assert sorted(exchange["prompt"] for exchange in document["exchanges"]) == ["A turn 0", "B turn 0"]


def test_an_undo_over_another_kernels_turns_is_refused_in_one_line(kernel: Recorder, em: Emulator) -> None:
    chat = vi.chat(name="shared-undo")
    chat.send("mine")
    out = Path(vi.settings().output_dir)
    _kernels(em, out, "shared-undo", ["other"], 1)
    before = (out / "sessions" / "shared-undo.json").read_bytes()
    with pytest.raises(vi.InvalidRequest) as caught:
        chat.undo()
    message = str(caught.value)
    assert "changed on disk by process" in message and "nothing was undone" in message and "\n" not in message
    assert (out / "sessions" / "shared-undo.json").read_bytes() == before and len(chat) == 1
    vi_session = vi.chat(name="shared-undo")
    assert vi_session is chat  # the kernel's own session; a load reads the other kernel's turn in
    chat.send("after")  # a turn merges: the other kernel's turn is kept
    prompts = [e["prompt"] for e in json.loads((out / "sessions" / "shared-undo.json").read_text())["exchanges"]]
    assert prompts == ["mine", "other turn 0", "after"]


def test_a_turn_whose_image_could_not_be_saved_is_not_recorded_twice_when_another_kernel_writes(
    kernel: Recorder, em: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its image is kept in memory only, so the session file names no file for it and reads it back without
    bytes; a later merge must still know that turn as the one on disk (found twice in CI's race test, after an
    index that could not be opened)."""
    from vertex_image.results import store

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    chat = vi.chat(name="shared-unsaved")
    with monkeypatch.context() as patched:
        patched.setattr(store, "atomic_write_all", disk_full)
        first = chat.send("mine")
    assert first.images[0].path == "" and any("not saved" in notice for notice in first.notices)
    out = Path(vi.settings().output_dir)
    _kernels(em, out, "shared-unsaved", ["other"], 1)
    chat.send("after")
    prompts = [e["prompt"] for e in json.loads((out / "sessions" / "shared-unsaved.json").read_text())["exchanges"]]
    assert prompts == ["mine", "other turn 0", "after"]
    assert [exchange.prompt for exchange in chat] == prompts


HOLDER = """
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, json.dumps({"written_by": {"pid": os.getpid(), "host": os.uname().nodename, "at": "now"}}).encode())
print("locked", flush=True)
time.sleep(600)
"""


def _hold_lock(lock: Path) -> subprocess.Popen[str]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


@pytest.mark.skipif(session_module.fcntl is None, reason="no fcntl (Windows): sessions are not locked there")
def test_a_lock_whose_holder_was_killed_does_not_block(kernel: Recorder) -> None:
    chat = vi.chat(name="stale")
    chat.send("first")
    holder = _hold_lock(Path(vi.settings().output_dir) / "sessions" / "stale.json.lock")
    os.kill(holder.pid, signal.SIGKILL)  # kill -9 while holding the lock
    holder.wait()
    result = chat.send("second")
    assert result.notices == ()
    saved = json.loads((Path(vi.settings().output_dir) / "sessions" / "stale.json").read_text())
    assert [exchange["prompt"] for exchange in saved["exchanges"]] == ["first", "second"]


@pytest.mark.skipif(session_module.fcntl is None, reason="no fcntl (Windows): sessions are not locked there")
def test_a_live_holder_is_named_and_the_blocked_turn_is_kept_in_memory(
    kernel: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "LOCK_WAIT_S", 0.3)
    chat = vi.chat(name="held")
    chat.send("first")
    holder = _hold_lock(Path(vi.settings().output_dir) / "sessions" / "held.json.lock")
    try:
        result = chat.send("second")
    finally:
        holder.kill()
        holder.wait()
    (notice,) = [n for n in result.notices if "locked" in n]
    print(notice)
    assert f"locked by process {holder.pid} on " in notice and "kept in memory" in notice and "\n" not in notice
    assert len(chat) == 2 and result.images  # paid for: kept
    chat.send("third")  # the lock is free again: the file catches up with memory
    saved = json.loads((Path(vi.settings().output_dir) / "sessions" / "held.json").read_text())
    assert [exchange["prompt"] for exchange in saved["exchanges"]] == ["first", "second", "third"]


def test_a_turn_over_a_file_another_kernel_left_unreadable_is_kept_in_memory(kernel: Recorder) -> None:
    """The file changed under this kernel and cannot be read (damaged, a newer format): it is not written over,
    and the turn, paid for, stays in memory with one line saying why."""
    chat = vi.chat(name="newer")
    chat.send("mine")
    path = Path(vi.settings().output_dir) / "sessions" / "newer.json"
    document = json.loads(path.read_text())
    document["version"] = 99
    path.write_text(json.dumps(document))
    before = path.read_bytes()
    result = chat.send("second")
    (notice,) = [n for n in result.notices if "not written over" in n]
    assert "newer vertex-image" in notice and "kept in memory" in notice and "\n" not in notice
    assert len(chat) == 2 and result.images and path.read_bytes() == before
