"""Fixtures for the emulator tests: emulators pinned to a day, plain httpx clients (not our client).

``emulator``/``http`` serve the lineup of TODAY (2026-11-30); ``legacy``/``legacy_http`` the lineup of LEGACY_DAY
(2026-03-01), for the Imagen ``:predict`` path, the Gemini 3 previews and gemini-2.5-flash-image on Vertex.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import LEGACY_DAY, TODAY
from vertex_image.emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(as_of=TODAY) as em:
        yield em


@pytest.fixture(scope="module")
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def legacy() -> Iterator[Emulator]:
    with Emulator(as_of=LEGACY_DAY) as em:
        yield em


@pytest.fixture(scope="module")
def legacy_http(legacy: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=legacy.base_url, timeout=30) as client:
        yield client
