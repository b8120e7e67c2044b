"""Where the shared fixtures live (../shared beside the checkout), importable from any test folder."""

from __future__ import annotations

import json
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


def fixture_path(name: str) -> Path:
    """A file of the shared Firebase mock responses, e.g. ``vertexai/unary-success-...json``."""
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"shared fixture missing: {path} (shared/ must sit beside the checkout)")
    return path


def load_fixture(name: str) -> Any:
    """A JSON fixture, parsed."""
    return json.loads(fixture_path(name).read_text())
