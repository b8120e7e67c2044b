"""`import vertex_image` stays cheap: no heavy module is imported until it is needed."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("httpx", "google.auth", "PIL", "ipywidgets")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_import_loads_no_heavy_module() -> None:
    loaded = _modules_after("import vertex_image")
    assert "vertex_image" in loaded
    assert not [m for m in HEAVY if m in loaded]


def test_public_names_resolve_lazily() -> None:
    loaded = _modules_after("import vertex_image as vi\nvi.GeneratedImage\nvi.ConfigError")
    assert "vertex_image.results.images" in loaded
    assert not [m for m in HEAVY if m in loaded]
