"""display.py: escaping, grids, previews and the displayable view, checked as plain strings."""

from __future__ import annotations

import io

from PIL import Image
from vertex_image.base.text import escape
from vertex_image.results.display import (
    Cell,
    HtmlView,
    as_preview,
    figure_html,
    grid_html,
    needs_resample,
    note_html,
    render_preview,
    text_html,
)

XSS = "<img src=x onerror=alert(1)>"


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 128) if mode == "RGBA" else (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


def test_figure_notes_and_text_escape_everything_they_show() -> None:
    preview = as_preview(png((4, 2)), "image/png", 4, 2)
    html = figure_html(Cell(preview, [XSS, "second"], alt=XSS)) + note_html(XSS, "blocked") + text_html(XSS)
    assert XSS not in html and html.count(escape(XSS)) == 4
    assert 'width="4" height="2"' in html and "<br>second" in html


def test_grid_clamps_columns_to_the_number_of_cells() -> None:
    cell = Cell(as_preview(png((2, 2)), "image/png", 2, 2))
    assert "repeat(2," in grid_html([cell, cell], cols=4)
    assert "repeat(1," in grid_html([], cols=4, notes=[note_html("blocked")])


def test_html_view_has_stable_text_and_honours_include_exclude() -> None:
    view = HtmlView("<b>x</b>", "View(x)", {"vertex_image": {"n": 1}})
    assert repr(view) == "View(x)" and view._repr_html_() == "<b>x</b>"
    assert view._repr_mimebundle_(include=["text/plain"]) == ({"text/plain": "View(x)"}, {"vertex_image": {"n": 1}})
    assert view._repr_mimebundle_(exclude=["text/plain"])[0] == {"text/html": "<b>x</b>"}


def test_needs_resample_only_for_large_or_unusual_formats() -> None:
    assert not needs_resample("image/png", 768, 500, 768)
    assert needs_resample("image/png", 769, 500, 768)
    assert not needs_resample("image/jpeg", 4096, 4096, 0)
    assert needs_resample("image/webp", 10, 10, 768)


def test_render_preview_keeps_alpha_as_png_and_opaque_as_jpeg() -> None:
    alpha = render_preview(png((1000, 500), "RGBA"), 100)
    opaque = render_preview(png((500, 1000)), 100)
    assert (alpha.mime_type, alpha.width, alpha.height) == ("image/png", 100, 50)
    assert (opaque.mime_type, opaque.width, opaque.height) == ("image/jpeg", 50, 100)
    assert opaque.data_url.startswith("data:image/jpeg;base64,/9j/")
