"""Tables the magics show: status, models, config, session history and session list.

Pure: every view is built from plain values into an ``HtmlView`` (escaped HTML and an aligned
``text/plain`` table, so terminals and nbval see the same facts). The magics gather the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..base.text import clip, escape
from ..results.display import HtmlView

HISTORY_THUMB_PX = 96


@dataclass(frozen=True)
class Table:
    """A titled table; ``html_cells`` may replace a column's HTML (thumbnails), text stays in ``rows``."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    html_cells: dict[tuple[int, int], str] | None = None
    footer: str = ""

    def view(self, metadata: dict[str, Any] | None = None) -> HtmlView:
        """The table as HTML and as aligned text."""
        return HtmlView(self.html(), self.text(), metadata)

    def text(self) -> str:
        """Columns padded to their widest cell; the title on top, the footer below."""
        widths = [len(header) for header in self.headers]
        for row in self.rows:
            widths = [max(width, len(cell)) for width, cell in zip(widths, row)]
        lines = [self.title] if self.title else []
        if any(self.headers):
            lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths)).rstrip())
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in self.rows]
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)

    def html(self) -> str:
        """An escaped HTML table (cells in ``html_cells`` are trusted markup built by this module)."""
        special = self.html_cells or {}
        head = "".join(f'<th style="text-align:left">{escape(h)}</th>' for h in self.headers)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:left;vertical-align:top">{special.get((r, c), escape(cell))}</td>'
                for c, cell in enumerate(row)
            )
            + "</tr>"
            for r, row in enumerate(self.rows)
        )
        head = f"<tr>{head}</tr>" if any(self.headers) else ""
        title = f"<strong>{escape(self.title)}</strong>" if self.title else ""
        footer = f'<div style="font-size:0.9em">{escape(self.footer)}</div>' if self.footer else ""
        return f'<div class="vertex-image-table">{title}<table>{head}{body}</table>{footer}</div>'


def key_value_view(title: str, pairs: Iterable[tuple[str, str]], footer: str = "") -> HtmlView:
    """A two-column table of settings or facts."""
    return Table(title, ("", ""), [(key, value) for key, value in pairs], footer=footer).view()


def models_view(models: Sequence[Any]) -> HtmlView:
    """The model registry: id, family, aliases, aspect ratios, sizes, max images, inputs, editing."""
    rows = [
        (
            info.id,
            info.family,
            ", ".join(info.aliases) or "-",
            " ".join(info.aspect_ratios) or "-",
            " ".join(info.image_sizes) or "-",
            str(info.max_count),
            str(info.max_input_images),
            "yes" if info.editing else "no",
            "yes" if info.search_grounding else "no",
        )
        for info in models
    ]
    headers = ("model", "family", "aliases", "aspect ratios", "sizes", "max images", "inputs", "editing",
               "search")  # fmt: skip
    return Table("Image models", headers, rows,
                 footer="Use -m with an id or alias; unknown ids are passed through.").view()  # fmt: skip


def config_view(rows: Sequence[tuple[str, str, str]]) -> HtmlView:
    """Effective settings with where each value came from."""
    footer = "Set with %config VertexImageMagics.<name> = ..., vi.configure(name=...) or the environment."
    return Table("Effective settings", ("setting", "value", "from"), rows, footer=footer).view()


def history_view(session: Any) -> HtmlView:
    """A compact table of a session's turns with thumbnails (text: one line per turn)."""
    rows: list[tuple[str, str, str, str]] = []
    cells: dict[tuple[int, int], str] = {}
    for number, exchange in enumerate(session.exchanges, start=1):
        images = [image for image in exchange.images if image.data]
        size = f"{images[-1].width}x{images[-1].height}" if images else "-"
        rows.append((str(number), clip(exchange.prompt, 60), f"{len(exchange.images)} ({size})",
                     clip(exchange.text, 40) if exchange.text else ""))  # fmt: skip
        thumbs = "".join(_thumb(image) for image in images)
        if thumbs:
            cells[(number - 1, 2)] = thumbs
    title = f"Session {session.name!r} · {session.model} · {len(rows)} turn{'' if len(rows) == 1 else 's'}"
    footer = "" if rows else "No turns yet: run a %%gemini_image cell."
    return Table(title, ("turn", "prompt", "images", "text"), rows, cells, footer).view()


def sessions_view(rows: Sequence[tuple[str, str, str, str]]) -> HtmlView:
    """The sessions in memory and on disk: name, model, turns, where."""
    footer = "" if rows else "No sessions yet: run a %%gemini_image cell."
    return Table("Sessions", ("session", "model", "turns", "where"), rows, footer=footer).view()


def _thumb(image: Any) -> str:
    try:
        preview = image.preview(HISTORY_THUMB_PX)
    except Exception:  # noqa: BLE001 - an unreadable image shows no thumbnail, the row stays
        return ""
    return (
        f'<img src="{preview.data_url}" width="{preview.width}" height="{preview.height}" '
        f'alt="{escape(clip(image.prompt, 60))}" style="margin-right:4px">'
    )
