"""Text for people: one escaped string for HTML, one short line for a caption or a message.

Every layer shows text (the wire layer quotes a bad event in its error, the results escape captions,
the notebook clips prompts), so these helpers live at the bottom, with no dependencies.
"""

from __future__ import annotations

import html


def escape(text: object) -> str:
    """HTML-escape anything shown to the user (quotes included: captions go into attributes too)."""
    return html.escape(str(text), quote=True)


def clip(text: str, limit: int = 40) -> str:
    """One line, at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["clip", "escape"]
