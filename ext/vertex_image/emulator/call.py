"""What a handler knows about one request: dialect, version, model, method; and the trigger words.

Trigger words (whole words, any case) in the prompt of the last user turn (Gemini) or the instance prompt
(Imagen); the full table is in README.md:

- a blocked word (default ``blockme``, ``forbidden``; configurable): Imagen filters every image, Gemini answers
  ``IMAGE_SAFETY`` with a ``finishMessage``.
- ``halfblock``: Imagen filters the odd-indexed images (1 and 3 of 4); Gemini blocks odd-indexed candidates.
- ``promptblock``: Imagen answers the 400 prompt-blocked error; Gemini a ``promptFeedback`` block.
- ``prohibitme``: Gemini ``IMAGE_PROHIBITED_CONTENT`` (Vertex shape); ``imageother``: Gemini ``IMAGE_OTHER``.
- ``noimage``: Gemini ``NO_IMAGE`` (candidate without content); ``textonly``: Gemini answers text only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .catalog import ModelSpec
from .wire import has_word

DEFAULT_BLOCKED_WORDS = ("blockme", "forbidden")
HALF_BLOCK = "halfblock"
PROMPT_BLOCK = "promptblock"
PROHIBITED = "prohibitme"
IMAGE_OTHER = "imageother"
NO_IMAGE = "noimage"
TEXT_ONLY = "textonly"


@dataclass(frozen=True)
class Call:
    """One routed request."""

    dialect: str  # "vertex" | "gemini-api"
    version: str
    model: ModelSpec
    method: str  # predict | generateContent | streamGenerateContent
    blocked_words: Sequence[str] = DEFAULT_BLOCKED_WORDS

    def blocked(self, text: str) -> bool:
        """Whether the text holds a configured blocked word."""
        return any(has_word(text, word) for word in self.blocked_words)


def triggered(text: str, word: str) -> bool:
    """Whether a fixed trigger word occurs in the text."""
    return has_word(text, word)


def response_id(model: str, body: Any) -> str:
    """A deterministic id from the request, shaped like the service's (22 URL-safe characters)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{model}\x00{canonical}".encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
