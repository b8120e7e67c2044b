"""The Firebase AI SDK mock responses the tests read, kept in ``tests/fixtures/`` (see its ABOUT.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "firebase-mock-responses"


def fixture_path(name: str) -> Path:
    """A file of the Firebase mock responses, e.g. ``vertexai/unary-success-...json``."""
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"fixture missing: {path}")
    return path


def load_fixture(name: str) -> Any:
    """A JSON fixture, parsed."""
    return json.loads(fixture_path(name).read_text())
