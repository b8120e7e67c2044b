"""The magic a panel request stands for ("Insert code"): ``%imagen`` and ``%%gemini_image`` lines.

Pure string building, so the panel's "Insert code" box and the request it sends cannot drift apart:
both are made from the same ``GenerateRequest`` or the same turn options.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

_SAFE_WORD = re.compile(r"^[A-Za-z0-9_.:/@+=,-]+$")


def _quote(value: str) -> str:
    return value if _SAFE_WORD.match(value) else shlex.quote(value)


def imagen_magic(request: Any) -> str:
    """The ``%imagen`` line (``%%imagen`` cell for a multi-line prompt) that sends the same request."""
    flags = []
    if request.model:
        flags += ["-m", _quote(request.model)]
    if request.n and request.n != 1:
        flags += ["-n", str(request.n)]
    if request.aspect_ratio:
        flags += ["-a", _quote(request.aspect_ratio)]
    if request.image_size:
        flags += ["--size", _quote(request.image_size)]
    if request.seed is not None:
        flags += ["--seed", str(request.seed)]
    if request.negative_prompt:
        flags += ["--negative", shlex.quote(request.negative_prompt)]
    prompt = request.prompt.strip()
    if "{" in prompt or (request.negative_prompt and "{" in request.negative_prompt):
        flags.append("--no-interpolate")  # the panel sends braces as written
    if "\n" in prompt:
        return " ".join(["%%imagen", *flags]) + "\n" + prompt
    if prompt[:1] in ("-", "'", '"'):
        flags.append("--")  # the prompt is not an option, and its quotes are part of it
    return " ".join(["%imagen", *flags, prompt])


def gemini_magic(
    session: str,
    prompt: str,
    *,
    model: str | None = None,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    seed: int | None = None,
    image: str | None = None,
) -> str:
    """The ``%%gemini_image -S NAME`` cell that sends the same turn (``image``: a file to attach)."""
    flags = ["-S", _quote(session)]
    if model:
        flags += ["-m", _quote(model)]
    if aspect_ratio:
        flags += ["-a", _quote(aspect_ratio)]
    if image_size:
        flags += ["--size", _quote(image_size)]
    if seed is not None:
        flags += ["--seed", str(seed)]
    if image:
        flags += ["-i", _quote(image)]
    if "{" in prompt:
        flags.append("--no-interpolate")
    return " ".join(["%%gemini_image", *flags]) + "\n" + prompt.strip()


__all__ = ["gemini_magic", "imagen_magic"]
