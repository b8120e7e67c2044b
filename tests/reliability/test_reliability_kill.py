"""A kernel killed (``kill -9``) while it records session turns: the session file is always whole and resumable.

The session file is replaced atomically and its lock is released by the system when the process dies, so
after a kill at any moment the file holds a prefix of the turns, each with its images, and the next kernel
continues the session at once. (The store's own kill -9 test is ``tests/results/test_store_crash.py``.)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel  # noqa: F401 - fixtures
from vertex_image.core.session import ImageSession

EXT = str(Path(vi.__file__).resolve().parent.parent)
KERNEL = """
import sys
import vertex_image as vi
base_url, out = sys.argv[1:3]
vi.configure(backend="emulator", base_url=base_url, output_dir=out)
chat = vi.chat(name="doomed")
for number in range(1000):
    chat.send(f"turn {number}")
    print(f"recorded {number}", flush=True)
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_kernel_killed_while_recording_turns_leaves_a_whole_session(kernel: Recorder, seed: int) -> None:
    out = Path(vi.settings().output_dir)
    env = {**os.environ, "PYTHONPATH": EXT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    doomed = subprocess.Popen([sys.executable, "-c", KERNEL, vi.settings().base_url, str(out)],
                              stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert doomed.stdout is not None
    rng = random.Random(seed)
    wanted = rng.randint(1, 4)
    recorded = -1
    while recorded < wanted:
        line = doomed.stdout.readline()
        assert line, "the kernel ended before it was killed"
        recorded = int(line.split()[1])
    time.sleep(rng.uniform(0, 0.15))  # somewhere inside the next turn: sending, saving or writing the session
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    path = out / "sessions" / "doomed.json"
    survivor = ImageSession.load(path)
    prompts = [exchange.prompt for exchange in survivor.exchanges]
    assert prompts == [f"turn {n}" for n in range(len(prompts))] and len(prompts) >= recorded + 1
    assert all(image.data for exchange in survivor.exchanges for image in exchange.images)

    chat = vi.chat(name="doomed")  # the next kernel continues it at once: the dead one's lock is gone
    result = chat.send("after the kill")
    assert result.images and not [n for n in result.notices if "locked" in n]
    assert [exchange.prompt for exchange in ImageSession.load(path).exchanges][-1] == "after the kill"
