"""Deterministic pictures drawn with Pillow: generation, drafts, edits, upscales.

The same model, prompt, seed and index always give the same pixels; different prompts give different palettes
and compositions, with the prompt's words written large enough to read on a 256 px preview. Big outputs are
drawn on a canvas of at most 1024 px and scaled up, so a 4K PNG takes well under a second.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageStat

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

Size = tuple[int, int]
RGB = tuple[int, int, int]

WORK_MAX = 1024  # longest side of the drawing canvas
PNG_LEVEL = 1  # fast zlib level: a 4K PNG stays well under a second

COLOURS: dict[str, RGB] = {
    "red": (220, 30, 30),
    "blue": (30, 70, 220),
    "purple": (130, 40, 170),
    "violet": (140, 60, 200),
    "green": (30, 160, 60),
    "yellow": (240, 210, 30),
    "orange": (245, 130, 20),
    "pink": (240, 120, 180),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gold": (212, 175, 55),
    "golden": (212, 175, 55),
    "cyan": (0, 200, 220),
    "teal": (0, 128, 128),
    "magenta": (220, 0, 200),
    "brown": (120, 70, 30),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
}


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_fonts = threading.local()  # FreeType faces are not safe to share between the server's threads


def font(size: int) -> FreeTypeFont:
    """Pillow's bundled scalable font (no system font needed), cached per size and thread."""
    size = max(8, int(size))
    cache: dict[int, FreeTypeFont] = _fonts.__dict__.setdefault("by_size", {})
    if size not in cache:
        cache[size] = ImageFont.load_default(size=size)  # type: ignore[assignment]
    return cache[size]


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (int(r * 255), int(g * 255), int(b * 255))


def palette(prompt: str, seed: int | None) -> list[RGB]:
    """Five colours from a hash of the prompt (and seed; none set draws as seed 0): the picture's identity."""
    rng = _rng("palette", prompt, seed or 0)
    hue = rng.random()
    spread = rng.uniform(0.08, 0.4)
    return [_hsv(hue + i * spread, rng.uniform(0.45, 0.9), rng.uniform(0.45, 0.95)) for i in range(5)]


def work_size(size: Size) -> Size:
    """The drawing canvas for an output size: the same ratio, longest side at most WORK_MAX."""
    w, h = size
    scale = min(1.0, WORK_MAX / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _gradient(size: Size, c1: RGB, c2: RGB, kind: int) -> Image.Image:
    base = Image.radial_gradient("L") if kind == 3 else Image.linear_gradient("L")
    if kind == 1:
        base = base.transpose(Image.Transpose.ROTATE_90)
    elif kind == 2:
        base = base.rotate(45, resample=Image.Resampling.BILINEAR, expand=True)
        side = base.width
        base = base.crop((side // 4, side // 4, side - side // 4, side - side // 4))
    # blend at <= 128 px and scale up: a smooth gradient loses nothing, and it is 10x cheaper
    scale = min(1.0, 128 / max(size))
    small = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    mask = base.resize(small, Image.Resampling.BILINEAR)
    blend = Image.composite(Image.new("RGB", small, c1), Image.new("RGB", small, c2), mask)
    return blend.resize(size, Image.Resampling.BILINEAR)


def _shapes(img: Image.Image, rng: random.Random, colours: list[RGB]) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    unit = min(w, h)
    for _ in range(rng.randint(3, 6)):
        colour = colours[rng.randrange(2, len(colours))]
        outline = tuple(max(0, c - 70) for c in colour)
        r = rng.uniform(0.12, 0.32) * unit
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        box = (cx - r, cy - r, cx + r, cy + r)
        kind = rng.randrange(3)
        width = max(1, int(unit * 0.012))
        if kind == 0:
            draw.ellipse(box, fill=colour, outline=outline, width=width)
        elif kind == 1:
            draw.rectangle(box, fill=colour, outline=outline, width=width)
        else:
            draw.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=colour, outline=outline)


def _pieces(word: str, fnt: FreeTypeFont, max_width: float) -> Iterator[str]:
    """``word`` cut into pieces that each fit ``max_width`` (one glyph at least), measuring only short prefixes.

    No glyph is narrower than a tenth of the font size here, so a piece never has more than ``cap`` characters:
    a 1 MB word costs one binary search per piece, not a measure of the whole rest of the word per line.
    """
    cap = max(1, int(max_width / max(1.0, fnt.size * 0.1)) + 1)
    while word:
        head = word[:cap]
        if len(word) <= cap and fnt.getlength(head) <= max_width:
            yield word
            return
        lo, hi = 1, len(head)  # the longest prefix that fits, at least one glyph
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fnt.getlength(head[:mid]) <= max_width:
                lo = mid
            else:
                hi = mid - 1
        yield word[:lo]
        word = word[lo:]


def _wrap(text: str, fnt: FreeTypeFont, max_width: float, limit: int | None = None) -> list[str]:
    """Greedy word wrap; stops once ``limit`` lines are made (the rest could not be shown anyway).

    Linear in the text it reads: words are found one at a time, and a line is measured only while it is
    shorter than ``max_width``.
    """
    lines: list[str] = []
    current = ""
    for match in re.finditer(r"\S+", text):
        for piece in _pieces(match.group(), fnt, max_width):
            if limit is not None and len(lines) >= limit:
                return lines[:limit]
            candidate = f"{current} {piece}" if current else piece
            if fnt.getlength(candidate) <= max_width:
                current = candidate
            else:
                if current:
                    lines.append(current)
                current = piece
    if current:
        lines.append(current)
    return lines if limit is None else lines[:limit]


def fit_text(text: str, box: Size, *, largest: float, smallest: int = 10) -> tuple[FreeTypeFont, list[str]]:
    """The largest font (down to ``smallest`` px) at which ``text`` wraps into ``box``; truncated if needed.

    Each size wraps only one line more than the box holds, so a 1 MB prompt costs what a long one does.
    """
    w, h = box
    size = max(smallest, int(largest))
    while True:
        fnt = font(size)
        max_lines = max(1, int(h // (size * 1.2)))
        lines = _wrap(text, fnt, w, limit=max_lines + 1)
        if len(lines) <= max_lines or size <= smallest:
            break
        size = max(smallest, int(size * 0.85))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".,; ") + "..."
    return fnt, lines


def _write_lines(
    img: Image.Image, lines: list[str], fnt: FreeTypeFont, top: float, *, fill: RGB = (255, 255, 255)
) -> None:
    draw = ImageDraw.Draw(img)
    size = fnt.size
    stroke = max(1, size // 14)
    for i, line in enumerate(lines):
        width = fnt.getlength(line)
        x = (img.width - width) / 2
        draw.text((x, top + i * size * 1.2), line, font=fnt, fill=fill, stroke_width=stroke, stroke_fill=(0, 0, 0))


def _corner(img: Image.Image, label: str) -> None:
    unit = min(img.size)
    size = max(9, int(max(unit * 0.04, min(img.size[0], img.size[1] * 2) * 0.02)))
    fnt = font(size)
    draw = ImageDraw.Draw(img)
    pad = max(2, size // 3)
    width = fnt.getlength(label)
    draw.rectangle((0, 0, width + 2 * pad, size * 1.25 + pad), fill=(0, 0, 0))
    draw.text((pad, pad // 2), label, font=fnt, fill=(255, 255, 255))


def _scale_to(img: Image.Image, size: Size) -> Image.Image:
    return img if img.size == size else img.resize(size, Image.Resampling.BILINEAR)


def generate(model: str, prompt: str, *, seed: int | None, index: int, size: Size) -> Image.Image:
    """A text-to-image picture: gradient, shapes, the prompt written across it, model, index and the seed
    (only one that was set: no seed is not "seed 0") in a corner."""
    canvas = work_size(size)
    colours = palette(prompt, seed)
    rng = _rng("composition", model, prompt, seed or 0, index)
    img = _gradient(canvas, colours[0], colours[1], rng.randrange(4))
    _shapes(img, rng, colours)
    w, h = canvas
    unit = min(w, h)
    fnt, lines = fit_text(prompt or "(empty prompt)", (int(w * 0.9), int(h * 0.6)), largest=unit * 0.1)
    block = len(lines) * fnt.size * 1.2
    _write_lines(img, lines, fnt, (h - block) / 2)
    _corner(img, f"{model} #{index}" + (f" seed {seed}" if seed is not None else ""))
    return _scale_to(img, size)


def draft(model: str, prompt: str, *, seed: int | None, size: Size) -> Image.Image:
    """A low-resolution, blurred preview: the 'thought image' Gemini 3 models send before the final one."""
    w, h = size
    scale = min(1.0, 256 / max(w, h))
    small = (max(1, round(w * scale)), max(1, round(h * scale)))
    colours = palette(prompt, seed)
    rng = _rng("composition", model, prompt, seed or 0, 0)
    img = _gradient(small, colours[0], colours[1], rng.randrange(4))
    _shapes(img, rng, colours)
    img = img.filter(ImageFilter.GaussianBlur(2))
    _corner(img, "draft")
    return img


def colour_in(instruction: str) -> RGB | None:
    """The first colour word of an edit instruction, if any."""
    from .wire import words

    for word in words(instruction.lower()):
        if word in COLOURS:
            return COLOURS[word]
    return None


def edit(
    base: Image.Image,
    instruction: str,
    *,
    size: Size,
    index: int = 0,
    mask: Image.Image | None = None,
    remove: bool = False,
) -> Image.Image:
    """Visibly transform ``base`` (re-framed to ``size`` first): tint on a colour word, else a labelled band.

    With a mask, only its white area changes; ``remove`` fills that area with the image's mean colour.
    """
    canvas = work_size(size)
    src = reframe(without_stamp(base.convert("RGB")), canvas)
    colour = colour_in(instruction)
    if remove:
        mean = tuple(int(c) for c in ImageStat.Stat(src).mean[:3])
        edited = Image.new("RGB", canvas, mean)  # type: ignore[arg-type]
    elif colour is not None:
        edited = Image.blend(src, Image.new("RGB", canvas, colour), min(0.75, 0.5 + 0.05 * index))
    else:
        edited = src.copy()
        _band(edited, instruction, index)
    if mask is not None:
        edited = Image.composite(edited, src, mask.convert("L").resize(canvas, Image.Resampling.NEAREST))
    if index:
        _corner(edited, f"#{index}")
    return _scale_to(edited, size)


def reframe(img: Image.Image, canvas: Size) -> Image.Image:
    """``img`` in a frame of ``canvas``'s shape without stretching it: whole and centred, the rest of the
    frame filled with a blurred copy cropped to the frame (as a model re-composes at a new aspect ratio)."""
    w, h = img.size
    cw, ch = canvas
    if abs(w * ch - h * cw) <= max(w, h, cw, ch):  # the same shape, to the pixel
        return _scale_to(img, canvas)
    cover = max(cw / w, ch / h)
    backdrop = img.resize((max(cw, round(w * cover)), max(ch, round(h * cover))), Image.Resampling.BILINEAR)
    left, top = (backdrop.width - cw) // 2, (backdrop.height - ch) // 2
    blur = ImageFilter.GaussianBlur(max(2, min(canvas) // 40))
    frame = backdrop.crop((left, top, left + cw, top + ch)).filter(blur)
    fit = min(cw / w, ch / h)
    whole = img.resize((max(1, round(w * fit)), max(1, round(h * fit))), Image.Resampling.BILINEAR)
    frame.paste(whole, ((cw - whole.width) // 2, (ch - whole.height) // 2))
    return frame


def without_stamp(img: Image.Image) -> Image.Image:
    """``img`` (RGB) without the emulator's corner stamp (a black box with white words at the top left, see
    ``_corner``): an edit is a new image and carries no stamp of its input. The box is painted over with the
    mirrored strip under it. An image without such a box (a photo, a dark corner) comes back unchanged."""
    w, h = img.size

    def dark(xy: tuple[int, int]) -> bool:
        return max(img.getpixel(xy)[:3]) < 48  # type: ignore[index] # black, give or take JPEG noise

    width = next((x for x in range(w) if not dark((x, 0))), w)
    height = next((y for y in range(h) if not dark((0, y))), h)
    if not (8 <= width <= w * 0.75 and 8 <= height <= h * 0.15):
        return img
    box = img.crop((0, 0, width, height))
    if max(hi for _, hi in box.getextrema()) < 180:  # no white words in it: not a stamp
        return img
    clean = img.copy()
    clean.paste(img.crop((0, height, width, 2 * height)).transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, 0))
    return clean


def _band(img: Image.Image, instruction: str, index: int) -> None:
    w, h = img.size
    band_h = max(12, int(h * 0.26))
    top = h - band_h - int(h * 0.04 * (index % 3))
    overlay = Image.new("RGB", (w, band_h), (20, 20, 30))
    region = img.crop((0, top, w, top + band_h))
    img.paste(Image.blend(region, overlay, 0.72), (0, top))
    fnt, lines = fit_text(f"EDIT: {instruction}", (int(w * 0.92), int(band_h * 0.9)), largest=min(w, h) * 0.075)
    block = len(lines) * fnt.size * 1.2
    _write_lines(img, lines, fnt, top + (band_h - block) / 2, fill=(255, 230, 120))


def placeholder(uri: str, size: Size = (512, 512)) -> Image.Image:
    """A stand-in for an image the emulator cannot fetch (gs:// or Files API URI)."""
    return generate("uri", uri, seed=0, index=0, size=size)


def upscale(img: Image.Image, factor: int) -> Image.Image:
    """The input scaled by ``factor`` on both sides."""
    return img.convert("RGB").resize((img.width * factor, img.height * factor), Image.Resampling.BICUBIC)


def decode(data: bytes) -> Image.Image:
    """Bytes to a loaded RGB image; ValueError when they are not an image Pillow can read."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as exc:  # Pillow raises several types for bad data
        raise ValueError(f"not an image: {exc}") from None
    return img.convert("RGB")


def encode(img: Image.Image, mime_type: str, quality: int | None = None) -> bytes:
    """PNG (fast compression) or JPEG (``quality``, default 75) bytes."""
    buf = io.BytesIO()
    if mime_type == "image/jpeg":
        img.convert("RGB").save(buf, "JPEG", quality=75 if quality is None else max(1, min(95, quality)))
    else:
        img.save(buf, "PNG", compress_level=PNG_LEVEL, compress_type=3)  # zlib Z_RLE: fastest here
    return buf.getvalue()
