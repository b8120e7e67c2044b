"""``GeneratedImage`` and ``ImageSet``: what every entry point returns, and how they show in a notebook.

The bytes are kept exactly as received (never re-encoded); provenance travels with them.
Display: an inline preview (downscaled JPEG/PNG above ``preview_size``, the original bytes below)
with a stable ``text/plain`` for nbval; volatile facts (path, ids, sizes) go to output metadata.
Pillow is imported only when a preview has to be resampled or ``to_pil()`` is called.
``compare()`` shows images side by side; the display formatters for other libraries' images
(google-genai, LiteLLM) are registered by ``notebook.formatters``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, overload

from ..base.config import Secret
from ..base.errors import ImageBlocked, InvalidRequest, NoImageReturned, StorageError, TargetExists
from ..base.imageinfo import image_size, sniff_mime_type
from ..base.openai_shapes import chat_message, draft_items, message_drafts, message_image_urls, split_data_url
from ..base.pricing import Cost
from ..base.text import clip
from ..base.values import Block
from .display import (
    THUMB_SIZE,
    Cell,
    HtmlView,
    Preview,
    as_preview,
    filter_bundle,
    grid_html,
    needs_resample,
    note_html,
    render_preview,
    text_html,
)
from .files import atomic_write, os_reason

DEFAULT_PREVIEW_SIZE = 768
_preview_size = DEFAULT_PREVIEW_SIZE

# What provenance(full=True) adds (for sidecar files): long (the signature) or derived (the hash, the replay key).
FULL_PROVENANCE_ONLY = ("sha256", "thought_signature", "replay_key")
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}
_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}  # what save() converts to
_MIME_OF = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif"}

_SECRET_NAMES = {"key", "apikey", "token", "credentials", "credential", "authorization", "secret",
                 "password", "bearer", "cookie"}  # fmt: skip
_SECRET_SUFFIXES = ("_key", "_token", "_secret", "_password", "_credentials", "_authorization")
_SECRET_PREFIXES = ("AIza", "ya29.", "Bearer ")  # Google API keys, OAuth access tokens, headers


def set_preview_size(size: int) -> None:
    """Set the longest side (px) of inline previews for every later display; 0 shows full size."""
    global _preview_size
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidRequest(f"preview_size must be a whole number of pixels >= 0 (0 = full size), not {size!r}.")
    _preview_size = size


def get_preview_size() -> int:
    """The longest side (px) of inline previews; 0 means full size."""
    return _preview_size


def scrub_secrets(value: Any) -> Any:
    """A copy of ``value`` without anything that looks like a credential (by key name or value shape).

    Defensive: parameters should never hold secrets, but provenance is written to disk and into
    notebooks, so a key that slipped in must not follow it there.
    """
    if isinstance(value, Mapping):
        return {str(k): scrub_secrets(v) for k, v in value.items() if not _secret_name(str(k)) and not _secret_value(v)}
    if isinstance(value, (list, tuple)):
        return [scrub_secrets(v) for v in value if not _secret_value(v)]
    return value


def _secret_name(name: str) -> bool:
    name = name.lower().replace("-", "_")
    return name.replace("_", "") in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES)


def _secret_value(value: Any) -> bool:
    return isinstance(value, Secret) or (isinstance(value, str) and value.startswith(_SECRET_PREFIXES))


def quoted(text: str, limit: int = 40) -> str:
    """``text`` clipped and in double quotes, for a stable ``text/plain`` repr."""
    return '"' + clip(text, limit).replace('"', '\\"') + '"'


def display_path(path: str) -> str:
    """A path fit for notebook metadata: relative to the working folder when inside it, else the file name."""
    if not path:
        return ""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return os.path.basename(path)
    return os.path.basename(path) if relative.startswith("..") else relative


@dataclass(frozen=True, eq=False)
class GeneratedImage:
    """One image from the service, with where it came from.

    Attributes:
        data: the image bytes as received.
        mime_type: as received (``image/png``, ``image/jpeg``).
        width, height: read from the header.
        prompt: the prompt actually sent.
        model: the model id that answered (not an alias).
        parameters: the user-level options of the request (snake_case, no secrets).
        seed, index: the seed asked for (if any) and the image's position in its response.
        text: text that came with it (Gemini).
        finish_reason, enhanced_prompt, safety_attributes, response_id: from the response.
        location, backend: where the request went.
        path: where the store saved it ("" until saved).
        gcs_uri: for Imagen outputs written to Cloud Storage (then ``data`` is empty).
        thought_signature: the signature that came on the image part (Gemini), as received.
        cost: what this image cost (its answer's cost; an answer with several images is shared among them),
            or None for an image from before costs were recorded or from elsewhere.
        replay_key: the hash of the request that brought it (``core.replay``), "" when unknown; kept in the
            sidecar and the index, so the same request can be answered from the store.
    """

    data: bytes
    mime_type: str
    width: int = 0
    height: int = 0
    prompt: str = ""
    model: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    index: int = 0
    text: str = ""
    finish_reason: str = ""
    enhanced_prompt: str = ""
    safety_attributes: dict[str, float] = field(default_factory=dict)
    response_id: str = ""
    location: str = ""
    backend: str = ""
    path: str = ""
    gcs_uri: str = ""
    thought_signature: str = ""
    cost: Cost | None = None
    replay_key: str = ""

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str = "", **provenance: Any) -> GeneratedImage:
        """Build an image from raw bytes, reading mime type (if not given) and size from the header."""
        width, height = image_size(data)
        return cls(
            data=data,
            mime_type=mime_type or sniff_mime_type(data) or "application/octet-stream",
            width=width,
            height=height,
            **provenance,
        )

    def with_path(self, path: str) -> GeneratedImage:
        """A copy that knows where it was saved (sharing the hash and preview cache: same bytes)."""
        copy = replace(self, path=path)
        copy.__dict__["_cache"] = self.__dict__.setdefault("_cache", {})
        return copy

    @property
    def bytes(self) -> bytes:
        """The image bytes as received."""
        return self.data

    @property
    def format(self) -> str:
        """``PNG``, ``JPEG``... from the mime type."""
        return self.mime_type.split("/")[-1].upper().replace("JPG", "JPEG")

    @property
    def extension(self) -> str:
        """The file extension for the mime type (``.png``, ``.jpg``...)."""
        return EXTENSIONS.get(self.mime_type, ".bin")

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes as received ("" when there are none); computed once."""
        cache = self.__dict__.setdefault("_cache", {})
        if "sha256" not in cache:
            cache["sha256"] = hashlib.sha256(self.data).hexdigest() if self.data else ""
        return str(cache["sha256"])

    @property
    def id(self) -> str:
        """The content id: the first 16 hex digits of the SHA-256 (the store's file name)."""
        return self.sha256[:16]

    @property
    def data_url(self) -> str:
        """The image as a ``data:`` URL (the bytes as received)."""
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def provenance(self, *, full: bool = False) -> dict[str, Any]:
        """Where the image came from, as JSON-ready snake_case (never a secret, never the bytes).

        Args:
            full: also include ``FULL_PROVENANCE_ONLY``: the thought signature, hash and replay key (for sidecar
                files; too long for notebooks).
        """
        info: dict[str, Any] = {
            "id": self.id,
            "mime_type": self.mime_type,
            "width": self.width,
            "height": self.height,
            "prompt": self.prompt,
            "model": self.model,
            "parameters": scrub_secrets(self.parameters),
            "seed": self.seed,
            "index": self.index,
            "text": self.text,
            "finish_reason": self.finish_reason,
            "enhanced_prompt": self.enhanced_prompt,
            "safety_attributes": dict(self.safety_attributes),
            "response_id": self.response_id,
            "location": self.location,
            "backend": self.backend,
            "gcs_uri": self.gcs_uri,
            "cost": self.cost.as_dict() if self.cost is not None else None,
        }
        if full:
            info["sha256"] = self.sha256
            info["thought_signature"] = self.thought_signature
            if self.replay_key:
                info["replay_key"] = self.replay_key
        return info

    def preview(self, size: int | None = None) -> Preview:
        """The inline preview: the original bytes when small enough, else a downscaled copy (cached).

        Args:
            size: longest side in pixels; ``None`` for the current ``preview_size``; 0 for full size.
        """
        size = _preview_size if size is None else size
        if not needs_resample(self.mime_type, self.width, self.height, size):
            return as_preview(self.data, self.mime_type, self.width, self.height)
        cache = self.__dict__.setdefault("_cache", {})
        key = ("preview", size)
        if key not in cache:
            cache[key] = self._smaller_of(render_preview(self.data, size))
        preview: Preview = cache[key]
        return preview

    def _smaller_of(self, preview: Preview) -> Preview:
        """The original bytes, shown at the preview's size, when they are smaller (flat art, diagrams)."""
        if len(preview.data) < len(self.data) or needs_resample(self.mime_type, 0, 0, 0):
            return preview
        shown = as_preview(self.data, self.mime_type, self.width, self.height)
        return replace(shown, width=preview.width, height=preview.height)

    def __repr__(self) -> str:
        parts = [self.model or "unknown model", f"{self.width}x{self.height} {self.format}"]
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        if self.index:
            parts.append(f"index={self.index}")
        if not self.data and self.gcs_uri:
            parts.append("in Cloud Storage")
        if self.cost is not None:
            parts.append(self.cost.text)
        if self.prompt:
            parts.append(quoted(self.prompt))
        return f"GeneratedImage({', '.join(parts)})"

    def _display_metadata(self, preview: Preview | None) -> dict[str, Any]:
        info = self.provenance()
        info.update(path=display_path(self.path), bytes=len(self.data))
        if preview is not None:
            info.update(preview_width=preview.width, preview_height=preview.height, preview_bytes=len(preview.data))
        return info

    def _bundle(self, size: int | None, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if not self.data:
            return {"text/plain": text}, {"vertex_image": self._display_metadata(None)}
        preview = self.preview(size)
        data = {preview.mime_type: preview.b64, "text/plain": text}
        metadata = {
            preview.mime_type: {"width": preview.width, "height": preview.height},
            "vertex_image": self._display_metadata(preview),
        }
        return data, metadata

    def _repr_mimebundle_(
        self, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = self._bundle(None, repr(self))
        return filter_bundle(data, include, exclude), metadata

    def show(self, full: bool = True, *, publish: Callable[..., Any] | None = None) -> None:
        """Display the image: full size (the bytes as received) or the preview.

        Args:
            full: the whole image rather than the preview.
            publish: the display function (``IPython.display.display`` by default; tests pass another).
        """
        if publish is None:
            from IPython.display import display as publish  # lazy: IPython, only when shown by hand
        data, metadata = self._bundle(0 if full else None, repr(self))
        publish(data, raw=True, metadata=metadata)

    def to_pil(self) -> Any:
        """A Pillow image of the bytes (decoded now; the bytes themselves stay as received)."""
        from PIL import Image  # lazy: PIL, only when asked for a Pillow image

        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image

    @property
    def file_name(self) -> str:
        """A readable file name: the prompt's first words and a short content id (``red-fox-1a2b3c4d.png``)."""
        return f"{_slug(self.prompt)}{self.id[:8]}{self.extension}"

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False, quality: int = 92) -> Path:
        """Write the image to ``path``: a file, or a folder to put ``file_name`` in. Missing folders are made.

        The extension decides the format: the bytes as received when it matches (or when there is
        none: it is added), else converted with Pillow (``fox.jpg`` from a PNG is a JPEG, transparency
        on white, at ``quality``); ``.png``, ``.jpg``/``.jpeg`` and ``.webp`` can be converted to.
        An existing file is replaced only with ``overwrite=True``. The write is atomic.

        Raises:
            StorageError: one line: the file exists, the format cannot be written, or the OS refused.
        """
        target = Path(path).expanduser()
        if target.is_dir() or os.fspath(path).endswith(("/", os.sep)):
            target = target / self.file_name
        elif not target.suffix:
            target = target.with_name(target.name + self.extension)
        if target.exists() and not overwrite:
            raise TargetExists(f"{target} exists; pass overwrite=True to replace it, or choose another name.",
                               path=str(target.parent))  # fmt: skip
        data = self._data_as(target.suffix.lower(), quality)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
        except OSError as exc:
            raise StorageError(f"Cannot save {target}: {os_reason(exc, target.parent)}.",
                               path=str(target.parent)) from exc  # fmt: skip
        return target

    def _data_as(self, suffix: str, quality: int) -> bytes:
        """The bytes for a file ending in ``suffix``: as received when the format matches, else converted."""
        if not self.data:
            raise StorageError("This image has no bytes (it is in Cloud Storage: see .gcs_uri); nothing to save.")
        if _MIME_OF.get(suffix) == self.mime_type or (suffix == self.extension):
            return self.data
        fmt = _SAVE_FORMATS.get(suffix)
        if fmt is None:
            raise StorageError(f"Cannot save a {self.extension[1:].upper()} image as {suffix or 'a file with no type'}: "
                               "use .png, .jpg or .webp (the extension decides the format).")  # fmt: skip
        try:
            from PIL import Image  # lazy: Pillow only to convert between formats

            with Image.open(io.BytesIO(self.data)) as opened:
                picture = opened.convert("RGBA") if fmt == "JPEG" and opened.mode in ("RGBA", "LA", "P") else opened
                if fmt == "JPEG" and picture.mode != "RGB":
                    flat = Image.new("RGB", picture.size, "white")
                    flat.paste(picture, mask=picture.getchannel("A") if "A" in picture.getbands() else None)
                    picture = flat
                out = io.BytesIO()
                picture.save(out, format=fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
        except (OSError, ValueError) as exc:
            raise StorageError(f"Cannot convert this {self.extension[1:].upper()} image to {fmt}: {exc}.") from exc
        return out.getvalue()


def caption(image: GeneratedImage) -> list[str]:
    """The lines under a thumbnail: number, size and seed; the model; the prompt (clipped)."""
    facts = [f"#{image.index + 1}", f"{image.width}×{image.height}"]
    if image.seed is not None:
        facts.append(f"seed {image.seed}")
    if image.cost is not None:
        facts.append(image.cost.text)
    lines = [" · ".join(facts), image.model or "unknown model"]
    if image.prompt:
        lines.append(clip(image.prompt, 60))
    return lines


def block_line(block: Block) -> str:
    """One line saying why images are missing, e.g. ``blocked: RAI_FILTERED (2 images): ...``."""
    reason = f"{block.reason} ({block.detail})" if block.detail else block.reason
    if block.count:
        reason += f" ({block.count} image{'s' if block.count != 1 else ''})"
    return f"blocked: {reason}: {block.message}" if block.message else f"blocked: {reason}"


@dataclass(frozen=True, eq=False)
class ImageSet(Sequence[GeneratedImage]):
    """The images of one request, and the reasons for any that did not come.

    Attributes:
        images: the images received, in order.
        blocks: why images are missing (safety filter, ``NO_IMAGE``, a text-only reply...).
        text: text the model sent with (or instead of) the images.
        prompt, model: the request's prompt and model id.
        usage: token counts, when the service gives them.
        created: when the response arrived (Unix seconds; 0 when unknown), for ``to_openai``.
        cost: what the request cost (every answer, blocked ones too, and failed attempts that may have been
            billed); None when unknown (a gallery, an ``ImageSet`` made from elsewhere).
    """

    images: tuple[GeneratedImage, ...] = ()
    blocks: tuple[Block, ...] = ()
    text: str = ""
    prompt: str = ""
    model: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    created: int = 0
    notices: tuple[str, ...] = ()  # what the user should know about this call (a deprecated or migrated model)
    cost: Cost | None = None

    @overload
    def __getitem__(self, index: int) -> GeneratedImage: ...

    @overload
    def __getitem__(self, index: slice) -> ImageSet: ...

    def __getitem__(self, index: int | slice) -> GeneratedImage | ImageSet:
        if isinstance(index, slice):
            return replace(self, images=self.images[index])
        return self.images[index]

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[GeneratedImage]:
        return iter(self.images)

    @property
    def blocked(self) -> bool:
        """True when no image came and the service said why."""
        return not self.images and bool(self.blocks)

    def raise_for_block(self) -> ImageSet:
        """Raise ``ImageBlocked`` (or ``NoImageReturned``) when no image came; return self otherwise."""
        if self.images:
            return self
        reasons = [block.reason for block in self.blocks]
        explanation = "; ".join(
            f"{block.reason}: {block.message.rstrip('. ')}" if block.message else block.reason
            for block in self.blocks
        )
        if not self.blocks or reasons == ["TEXT_ONLY"]:
            said = f' The model said: "{clip(self.text, 160)}"' if self.text else ""
            raise NoImageReturned(
                f"{self.model or 'The model'} returned no image.{said} "
                "Ask explicitly for an image, or rephrase the prompt.",
                reasons=reasons,
                text=self.text,
            )
        advice = "You are not charged" if "rephras" in explanation.lower() else "Rephrase the prompt; you are not charged"
        raise ImageBlocked(
            f"No image: {explanation}. {advice} for blocked images.",
            reasons=reasons,
            text=self.text,
        )

    def __repr__(self) -> str:
        model = self.model or _shared(image.model for image in self.images)
        prompt = self.prompt or _shared(image.prompt for image in self.images)
        parts = [f"{len(self.images)} image{'' if len(self.images) == 1 else 's'}"]
        if model:
            parts.append(model)
        if prompt:
            parts.append(quoted(prompt))
        if self.cost is not None:
            parts.append(self.cost.text)
        lines = [f"ImageSet({', '.join(parts)})"]
        lines += [f"  {notice}" for notice in self.notices]
        lines += [f"  {block_line(block)}" for block in self.blocks]
        if self.text:
            lines.append(f"  text: {quoted(self.text, 80)}")
        return "\n".join(lines)

    def _notes(self) -> list[str]:
        notes = [note_html(notice) for notice in self.notices]
        if self.cost is not None:
            notes.append(note_html(f"cost {self.cost.text} (prices of {self.cost.prices_as_of})", "cost"))
        notes += [note_html(block_line(block), "blocked") for block in self.blocks]
        if self.text:
            notes.append(text_html(self.text))
        return notes

    def grid(self, cols: int = 4, *, size: int = THUMB_SIZE) -> HtmlView:
        """A grid of thumbnails (``size`` px) with captions and the notes on missing images."""
        cells = [Cell(image.preview(size), caption(image), image.prompt) for image in self.images if image.data]
        metadata = {"vertex_image": {"images": [display_path(image.path) or image.id for image in self.images]}}
        return HtmlView(grid_html(cells, cols, self._notes()), repr(self), metadata)

    def _repr_mimebundle_(
        self, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if len(self.images) == 1 and not (self.blocks or self.text or self.notices) and self.images[0].data:
            # one image shows as an image (large preview; image bytes are not compared by nbval)
            data, metadata = self.images[0]._bundle(None, repr(self))
            return filter_bundle(data, include, exclude), metadata
        return self.grid()._repr_mimebundle_(include, exclude)

    def save(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Write every image (bytes as received) into ``directory`` (made if missing) as its ``file_name``,
        ``<prompt-words>-<short id>.<ext>``.

        Saving the same set twice writes nothing new: the names come from the content.
        """
        folder = Path(directory).expanduser()
        paths = []
        for image in self.images:
            if not image.data:
                continue
            target = folder / image.file_name
            if target.exists() and target.read_bytes() != image.data:
                target = folder / f"{_slug(image.prompt)}{image.id}{image.extension}"  # another image took the name
            if not (target.exists() and target.read_bytes() == image.data):
                image.save(target, overwrite=True)
            paths.append(target)
        return paths

    def to_openai(self, kind: str = "images") -> dict[str, Any]:
        """The images in today's OpenAI / LiteLLM shapes.

        ``kind="images"``: an images response, ``{"created", "data": [{"b64_json", "revised_prompt"}], "usage"}``
        (``url`` for an image kept only in Cloud Storage). ``kind="chat"``: an assistant chat message
        carrying the images both ways LiteLLM's users meet: ``images`` (its current list of ``image_url``
        items) and ``image`` (the singular the seeds' migration guide documents), as ``data:`` URLs.
        """
        if kind == "chat":
            return chat_message(self.text, [image.data_url for image in self.images if image.data])
        if kind != "images":
            raise InvalidRequest(f"to_openai() makes kind='images' or kind='chat', not {kind!r}.")
        data = []
        for image in self.images:
            item: dict[str, Any] = {"b64_json": base64.b64encode(image.data).decode("ascii") if image.data else None}
            if not image.data and image.gcs_uri:
                item["url"] = image.gcs_uri
            item["revised_prompt"] = image.enhanced_prompt or None
            data.append(item)
        return {"created": self.created or int(time.time()), "data": data, "usage": _openai_usage(self.usage)}

    @classmethod
    def from_openai(cls, response: Any, *, prompt: str = "", model: str = "", n: int | None = None) -> ImageSet:
        """An ``ImageSet`` from an OpenAI / LiteLLM answer (object or dict), draft images left out.

        Takes an images response (``data[]``; URL-only items are left out), a chat completion
        (``choices[0].message``) or a chat message (``images``, or the older ``image``). Which images are
        drafts: ``base.openai_shapes`` (``n``: how many were asked for, for answers without signatures).
        """
        choices = field_of(response, "choices")
        if choices:
            response = field_of(choices[0], "message")
        if field_of(response, "data") is None and (field_of(response, "images") or field_of(response, "image")):
            return cls._from_chat_message(response, prompt=prompt, model=model)
        items = [_as_mapping(item) for item in field_of(response, "data") or ()]
        drafts = draft_items(items, n)
        images = []
        for index, (item, draft) in enumerate(zip(items, drafts)):
            b64 = item.get("b64_json")
            if b64 and not draft:
                revised = item.get("revised_prompt") or ""
                images.append(
                    GeneratedImage.from_bytes(
                        base64.b64decode(b64), prompt=prompt, model=model, index=index, enhanced_prompt=revised
                    )
                )
        usage = _as_mapping(field_of(response, "usage"))
        created = int(field_of(response, "created") or 0)
        return cls(images=tuple(images), prompt=prompt, model=model, created=created, usage=usage)

    @classmethod
    def _from_chat_message(cls, message: Any, *, prompt: str, model: str) -> ImageSet:
        message = _as_mapping(message)
        urls = message_image_urls(message)
        images = []
        for index, url in enumerate(urls[message_drafts(message, len(urls)) :]):
            mime, b64 = split_data_url(url)
            if b64:
                images.append(GeneratedImage.from_bytes(base64.b64decode(b64), mime, prompt=prompt, model=model,
                                                        index=index))  # fmt: skip
        text = message.get("content") if isinstance(message.get("content"), str) else ""
        return cls(images=tuple(images), text=text or "", prompt=prompt, model=model)


def _as_mapping(obj: Any) -> dict[str, Any]:
    """A dict of an OpenAI-style object (a dict, a pydantic model, or anything with ``__dict__``)."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if obj is None:
        return {}
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dict(dump())
    return {key: value for key, value in vars(obj).items() if not key.startswith("_")} if hasattr(obj, "__dict__") else {}


def _openai_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Gemini's ``usageMetadata`` counts under the OpenAI images names (those already OpenAI-named kept)."""
    names = {"prompt_token_count": "input_tokens", "candidates_token_count": "output_tokens",
             "total_token_count": "total_tokens", "promptTokenCount": "input_tokens",
             "candidatesTokenCount": "output_tokens", "totalTokenCount": "total_tokens"}  # fmt: skip
    shaped = {names.get(key, key): value for key, value in usage.items() if isinstance(value, (int, float))}
    return {key: shaped[key] for key in ("input_tokens", "output_tokens", "total_tokens") if key in shaped} or dict(
        shaped
    )


def _shared(values: Iterable[str]) -> str:
    """The value all items share, or "" (a gallery mixes models and prompts)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else ""


def field_of(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping, else ``obj.name``: OpenAI-style responses come as either."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _slug(prompt: str, words: int = 5) -> str:
    kept = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in prompt.lower()).split()[:words]
    return "-".join(kept)[:40].strip("-") + "-" if kept else ""


# -- side by side -------------------------------------------------------------------------------------


def as_image(item: Any) -> GeneratedImage:
    """A ``GeneratedImage`` from one of ours, image bytes, or a google-genai ``Image`` (``image_bytes``)."""
    if isinstance(item, GeneratedImage):
        return item
    if isinstance(item, (bytes, bytearray)):
        return GeneratedImage.from_bytes(bytes(item))
    if getattr(item, "image_bytes", None):  # google.genai.types.Image
        return GeneratedImage.from_bytes(item.image_bytes, getattr(item, "mime_type", None) or "")
    raise InvalidRequest(f"compare() takes GeneratedImage objects or image bytes, not {type(item).__name__}.")


def compare(*images: Any, labels: Sequence[str] | None = None, size: int = 384) -> HtmlView:
    """Show images side by side with labels (original vs edited, model A vs model B, turn by turn).

    Args:
        images: ``GeneratedImage`` objects, ``ImageSet`` s (each of their images), sessions (the last
            image of each turn), image bytes, or google-genai ``Image`` objects.
        labels: one label per image; default: what differs between them (model, seed, turn, prompt).
        size: longest side of each preview in pixels.
    """
    items = [image for item in images for image in _images_of(item)]
    if not items:
        raise InvalidRequest("compare() got no image to show (an empty ImageSet or a session without turns).")
    if labels is not None and len(labels) != len(items):
        raise InvalidRequest(f"compare() got {len(items)} images but {len(labels)} labels; give one label per image.")
    names = list(labels) if labels is not None else difference_labels(items)
    cells = [Cell(image.preview(size), [name, f"{image.width}×{image.height}"], name) for image, name in zip(items, names)]
    text = " | ".join(f"{quoted(name)} {image.width}x{image.height} {image.format}" for image, name in zip(items, names))
    metadata = {"vertex_image": {"images": [display_path(image.path) or image.id for image in items]}}
    return HtmlView(grid_html(cells, len(cells)), f"Comparison({text})", metadata)


def _images_of(item: Any) -> list[GeneratedImage]:
    """The images ``compare`` shows for one argument: a set's images, a session's turn by turn, or one image."""
    if isinstance(item, ImageSet):
        return [image for image in item.images if image.data]
    exchanges = getattr(item, "exchanges", None)
    if isinstance(exchanges, list) and hasattr(item, "last_image"):  # an ImageSession (duck-typed: results/ is below core/)
        return [exchange.images[-1] for exchange in exchanges if exchange.images and exchange.images[-1].data]
    return [as_image(item)]


def difference_labels(items: Sequence[GeneratedImage]) -> list[str]:
    """One label per image naming what differs between them: model, seed, turn, prompt (``image N`` if nothing)."""
    facts: list[tuple[str, Callable[[GeneratedImage], Any]]] = [
        ("model", lambda image: image.model or None),
        ("seed", lambda image: image.seed),
        ("turn", lambda image: image.parameters.get("turn")),
        ("prompt", lambda image: clip(image.prompt, 40) if image.prompt else None),
        ("#", lambda image: image.index + 1),  # the images of one request
    ]
    differing = [(name, read) for name, read in facts if len({repr(read(image)) for image in items}) > 1]
    labels = []
    for position, image in enumerate(items):
        parts = []
        for name, read in differing:
            value = read(image)
            parts.append(("no seed" if name == "seed" else f"no {name}") if value is None else (
                str(value) if name in ("model", "prompt") else f"#{value}" if name == "#" else f"{name} {value}"))
        labels.append(" · ".join(parts) or f"image {position + 1}")
    return labels

