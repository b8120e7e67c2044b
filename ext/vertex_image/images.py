"""``GeneratedImage`` and ``ImageSet``: what every entry point returns.

The bytes are kept exactly as received (never re-encoded); provenance travels with them.
Display (``_repr_mimebundle_``) and persistence helpers build on these fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

from .errors import ImageBlocked, NoImageReturned
from .imageinfo import image_size, sniff_mime_type
from .wiredata import Block


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
        """A copy that knows where it was saved."""
        return replace(self, path=path)

    @property
    def bytes(self) -> bytes:
        """The image bytes as received."""
        return self.data

    @property
    def format(self) -> str:
        """``PNG``, ``JPEG``... from the mime type."""
        return self.mime_type.split("/")[-1].upper().replace("JPG", "JPEG")


@dataclass(frozen=True, eq=False)
class ImageSet(Sequence[GeneratedImage]):
    """The images of one request, and the reasons for any that did not come.

    Attributes:
        images: the images received, in order.
        blocks: why images are missing (safety filter, ``NO_IMAGE``, a text-only reply...).
        text: text the model sent with (or instead of) the images.
        prompt, model: the request's prompt and model id.
        usage: token counts, when the service gives them.
    """

    images: tuple[GeneratedImage, ...] = ()
    blocks: tuple[Block, ...] = ()
    text: str = ""
    prompt: str = ""
    model: str = ""
    usage: dict[str, Any] = field(default_factory=dict)

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
            f"{block.reason}: {block.message}" if block.message else block.reason
            for block in self.blocks
        )
        if not self.blocks or reasons == ["TEXT_ONLY"]:
            said = f' The model said: "{_clip(self.text)}"' if self.text else ""
            raise NoImageReturned(
                f"{self.model or 'The model'} returned no image.{said} "
                "Ask explicitly for an image, or rephrase the prompt.",
                reasons=reasons,
                text=self.text,
            )
        raise ImageBlocked(
            f"No image: {explanation}. Rephrase the prompt; you are not charged for blocked images.",
            reasons=reasons,
            text=self.text,
        )


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
