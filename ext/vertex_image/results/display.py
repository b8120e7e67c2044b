"""Screen rendering without I/O: inline previews, HTML grids with escaped captions, displayable views.

Everything a notebook shows is built here from plain values, so that the HTML can be checked as a
string: every caption and every piece of model text passes through ``escape`` (``base.text``). Pillow is imported
inside ``render_preview`` only. Progress and error rendering (magics) belong here too and can reuse
``HtmlView`` (a displayable with a stable ``text/plain``) and ``note_html``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..base.text import escape

JPEG_QUALITY = 85
THUMB_SIZE = 256
_PASSTHROUGH = ("image/png", "image/jpeg", "image/gif")


@dataclass(frozen=True)
class Preview:
    """An encoded image ready to show: bytes, mime type, pixel size, and its base64 text."""

    data: bytes
    mime_type: str
    width: int
    height: int
    b64: str = field(default="", repr=False)

    @property
    def data_url(self) -> str:
        """``data:`` URL for ``<img src>``."""
        return f"data:{self.mime_type};base64,{self.b64}"


def as_preview(data: bytes, mime_type: str, width: int, height: int) -> Preview:
    """Wrap bytes that are shown as they are (no re-encoding)."""
    return Preview(data, mime_type, width, height, base64.b64encode(data).decode("ascii"))


def needs_resample(mime_type: str, width: int, height: int, max_side: int) -> bool:
    """True when the bytes cannot be shown as received: too large, or a format browsers may not show."""
    if mime_type not in _PASSTHROUGH:
        return True
    return max_side > 0 and max(width, height) > max_side


def render_preview(data: bytes, max_side: int, *, quality: int = JPEG_QUALITY) -> Preview:
    """Decode, shrink to ``max_side`` (0: keep the size) and encode: PNG when there is alpha, else JPEG.

    Why JPEG: a 768 px JPEG preview is ~15x smaller than a full PNG in the notebook file.
    """
    from PIL import Image  # lazy: PIL, only to resample a preview

    with Image.open(io.BytesIO(data)) as image:
        if max_side > 0 and image.format == "JPEG":
            image.draft("RGB", (max_side, max_side))  # DCT-domain downscale: decodes 2-8x faster
        alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        mode = "RGBA" if alpha else "RGB"
        image = image.convert(mode) if image.mode != mode else image.copy()
    if max_side > 0 and max(image.size) > max_side:
        # reducing_gap: an integer box reduction first when the factor is large (4K -> 768), then Lanczos
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    if alpha:
        image.save(out, format="PNG")
        mime_type = "image/png"
    else:
        image.save(out, format="JPEG", quality=quality)
        mime_type = "image/jpeg"
    return as_preview(out.getvalue(), mime_type, image.width, image.height)


@dataclass(frozen=True)
class Cell:
    """One figure of a grid: a preview and its caption lines (plain text; escaped when rendered)."""

    preview: Preview
    caption: Sequence[str] = ()
    alt: str = ""


def figure_html(cell: Cell) -> str:
    """``<figure>`` with the preview shown at its pixel size (never wider than its column)."""
    preview = cell.preview
    lines = "<br>".join(escape(line) for line in cell.caption)
    return (
        '<figure style="margin:0;text-align:center">'
        f'<img src="{preview.data_url}" width="{preview.width}" height="{preview.height}" '
        f'alt="{escape(cell.alt)}" style="max-width:100%;height:auto">'
        f'<figcaption style="font-size:0.85em;line-height:1.3">{lines}</figcaption></figure>'
    )


def note_html(text: str, kind: str = "note") -> str:
    """A visible note row (e.g. ``blocked``) spanning the grid; the text is escaped."""
    return (
        f'<div class="vertex-image-{escape(kind)}" style="grid-column:1/-1;padding:4px 8px;'
        f'border-left:3px solid #c80;white-space:pre-wrap">{escape(text)}</div>'
    )


def text_html(text: str) -> str:
    """Model text shown beside images, escaped, line breaks kept."""
    return f'<div class="vertex-image-text" style="grid-column:1/-1;white-space:pre-wrap">{escape(text)}</div>'


def grid_html(cells: Sequence[Cell], cols: int, notes: Iterable[str] = ()) -> str:
    """A CSS grid of figures with note rows (already rendered with ``note_html``/``text_html``) after."""
    cols = max(1, min(cols, len(cells) or 1))
    body = "".join(figure_html(cell) for cell in cells) + "".join(notes)
    return (
        f'<div class="vertex-image-grid" style="display:grid;'
        f'grid-template-columns:repeat({cols},minmax(0,1fr));gap:8px;align-items:start">{body}</div>'
    )


class HtmlView:
    """A displayable piece of HTML with a stable ``text/plain`` (for grids, comparisons, notes).

    ``text`` must hold no addresses, times, ids or absolute paths (nbval compares it);
    volatile facts go into ``metadata``.
    """

    def __init__(self, html_text: str, text: str, metadata: Mapping[str, Any] | None = None) -> None:
        self.html = html_text
        self.text = text
        self.metadata = dict(metadata or {})

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return filter_bundle({"text/html": self.html, "text/plain": self.text}, include, exclude), self.metadata


def filter_bundle(
    data: dict[str, Any], include: Iterable[str] | None, exclude: Iterable[str] | None
) -> dict[str, Any]:
    """Honour the ``include`` / ``exclude`` arguments of ``_repr_mimebundle_``."""
    if include:
        wanted = set(include)
        data = {k: v for k, v in data.items() if k in wanted}
    if exclude:
        unwanted = set(exclude)
        data = {k: v for k, v in data.items() if k not in unwanted}
    return data
