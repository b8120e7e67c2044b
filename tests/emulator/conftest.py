"""Fixtures for the emulator tests: one emulator per module, a plain httpx client (not our client)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from vertex_image.emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as em:
        yield em


@pytest.fixture(scope="module")
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=30) as client:
        yield client
