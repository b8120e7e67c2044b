"""Shared test fixtures: a clean environment, the shared fixtures folder, no network."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest
from mock_responses import FIXTURES, fixture_path, load_fixture  # noqa: F401  (re-exported)

_ENV_PREFIXES = ("GOOGLE_", "GEMINI_", "VERTEX_IMAGE_")


@pytest.fixture(autouse=True)
def ctrl_c_raises_keyboard_interrupt() -> Iterator[None]:
    """Ctrl-C (SIGINT, ``_thread.interrupt_main``) raises KeyboardInterrupt in every test, as in a kernel, even
    when the suite was started with SIGINT ignored (a shell's background job, ``nohup``): the interrupt tests
    would otherwise wait forever."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's Google credentials or settings."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent/vertex-image-tests-gcloud")
    monkeypatch.setenv("NO_GCE_CHECK", "True")
