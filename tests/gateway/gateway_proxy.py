"""What the gateway tests share with their fixture: the model, the proxy's upstream key, the running proxy.

A module of its own (not ``conftest``): ``from conftest import ...`` would pick whichever conftest pytest
imported first under that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vertex_image.emulator import Emulator

UPSTREAM_KEY = "upstream-google-key-held-by-the-proxy"
MODEL = "gemini-nano-banana-2.1"


@dataclass
class Proxy:
    """The running proxy: its URL, its (canary) master key, the emulator behind it, its log, start-up time."""

    url: str
    key: str
    emulator: Emulator
    log: Path
    start_s: float
