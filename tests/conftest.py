"""Shared test fixtures: a clean environment, the shared fixtures folder, no network."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _find_shared() -> Path:
    for candidate in (ROOT.parent / "shared", ROOT / "shared"):
        if (candidate / "fixtures").is_dir():
            return candidate
    return ROOT.parent / "shared"


SHARED = _find_shared()
FIXTURES = SHARED / "fixtures" / "firebase-mock-responses"

_ENV_PREFIXES = ("GOOGLE_", "GEMINI_", "VERTEX_IMAGE_")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's Google credentials or settings."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent/vertex-image-tests-gcloud")
    monkeypatch.setenv("NO_GCE_CHECK", "True")


def fixture_path(name: str) -> Path:
    """A file of the shared Firebase mock responses, e.g. ``vertexai/unary-success-...json``."""
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"shared fixture missing: {path} (shared/ must sit beside the checkout)")
    return path


def load_fixture(name: str) -> Any:
    """A JSON fixture, parsed."""
    return json.loads(fixture_path(name).read_text())
