"""Shared test fixtures: a clean environment, the shared fixtures folder, no network."""

from __future__ import annotations

import os

import pytest
from mock_responses import FIXTURES, fixture_path, load_fixture  # noqa: F401  (re-exported)

_ENV_PREFIXES = ("GOOGLE_", "GEMINI_", "VERTEX_IMAGE_")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's Google credentials or settings."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent/vertex-image-tests-gcloud")
    monkeypatch.setenv("NO_GCE_CHECK", "True")
