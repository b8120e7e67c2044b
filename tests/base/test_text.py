"""base/text.py: the escaping and clipping every layer uses to show text."""

from __future__ import annotations

from vertex_image.base.text import clip, escape

XSS = "<img src=x onerror=alert(1)>"


def test_escape_covers_quotes_for_attributes() -> None:
    assert escape(XSS + "\"'") == "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;"


def test_escape_takes_any_object() -> None:
    assert escape(3) == "3" and escape(None) == "None"


def test_clip_makes_one_short_line() -> None:
    assert clip("a\n b   c") == "a b c"
    assert clip("x" * 50, 10) == "x" * 9 + "…"
    assert clip("x" * 10, 10) == "x" * 10
