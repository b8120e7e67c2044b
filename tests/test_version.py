"""_version.py: the version the package reports is the one it is built with (pyproject.toml)."""

from __future__ import annotations

import re
from pathlib import Path

import vertex_image
from vertex_image._version import __version__

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_version_is_the_projects() -> None:
    project = PYPROJECT.read_text().split("[project]", 1)[1]
    declared = re.search(r'^version = "([^"]+)"', project, re.MULTILINE)
    assert declared is not None and __version__ == declared.group(1)
    assert vertex_image.__version__ == __version__
