"""nbval runs the demo notebooks in kernels started from this process: give each run a fresh image folder.

The notebooks save images, sessions and galleries under ``VERTEX_IMAGE_OUTPUT_DIR``; starting from an empty
folder makes their outputs (galleries, session lists, turn counts) the same on every run.
"""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config: object) -> None:
    os.environ["VERTEX_IMAGE_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="vertex-image-nbval-")
