"""Display formatters for other libraries' image objects (google-genai ``Image``, LiteLLM ``ImageResponse``).

``%load_ext`` registers them in the shell (by module and class name: neither library is imported) and
``%unload_ext`` removes them. The HTML comes from ``results`` (previews, figures, grids).
"""

from __future__ import annotations

from typing import Any

from ..base.imageinfo import image_size, sniff_mime_type
from ..base.text import escape
from ..results.display import THUMB_SIZE, Cell, figure_html, grid_html
from ..results.images import ImageSet, as_image, caption, field_of

# -- formatters for other libraries' image objects (registered by name: we never import them) ----

def _genai_image_html(obj: Any) -> str | None:
    if not getattr(obj, "image_bytes", None):
        return None
    image = as_image(obj)
    return figure_html(Cell(image.preview(), [f"{image.width}×{image.height} {image.format}"]))


def _genai_image_text(obj: Any, printer: Any, cycle: bool) -> None:
    data = getattr(obj, "image_bytes", None) or b""
    width, height = image_size(data)
    kind = (getattr(obj, "mime_type", None) or sniff_mime_type(data) or "unknown").split("/")[-1].upper()
    printer.text(f"Image({width}x{height} {kind})" if data else "Image(no bytes)")


def _openai_html(obj: Any) -> str | None:
    images = ImageSet.from_openai(obj)
    urls = [field_of(item, "url") for item in field_of(obj, "data") or () if not field_of(item, "b64_json")]
    links = [
        f'<figure style="margin:0"><img src="{escape(url)}" style="max-width:{THUMB_SIZE}px"></figure>'
        for url in urls
        if isinstance(url, str) and url.startswith(("https://", "http://"))
    ]
    if not images and not links:
        return None
    cells = [Cell(image.preview(THUMB_SIZE), caption(image)[:1], image.enhanced_prompt) for image in images]
    return grid_html(cells, 4, links)


def _openai_text(obj: Any, printer: Any, cycle: bool) -> None:
    count = len(field_of(obj, "data") or ())
    printer.text(f"ImageResponse({count} image{'' if count == 1 else 's'})")


_FOREIGN = (
    ("google.genai.types", "Image", _genai_image_html, _genai_image_text),
    ("litellm.types.utils", "ImageResponse", _openai_html, _openai_text),
)
_registered: dict[int, list[tuple[str, str, str, Any]]] = {}


def register_formatters(ip: Any) -> None:
    """Make google-genai ``Image`` and LiteLLM ``ImageResponse`` objects display inline (HTML + stable text).

    Registered by module and class name, so neither library is imported. Idempotent.
    """
    if id(ip) in _registered:
        return
    saved = []
    for mime, position in (("text/html", 2), ("text/plain", 3)):
        formatter = ip.display_formatter.formatters[mime]
        for entry in _FOREIGN:
            module, name = entry[0], entry[1]
            previous = formatter.for_type_by_name(module, name, entry[position])
            saved.append((mime, module, name, previous))
    _registered[id(ip)] = saved


def unregister_formatters(ip: Any) -> None:
    """Remove what ``register_formatters`` added and put back any formatter it replaced."""
    for mime, module, name, previous in reversed(_registered.pop(id(ip), [])):
        formatter = ip.display_formatter.formatters[mime]
        formatter.pop(f"{module}.{name}", None)
        if previous is not None:
            formatter.for_type_by_name(module, name, previous)


__all__ = ["register_formatters", "unregister_formatters"]
