"""One operation, start to end: build the wire bodies, send them through the client, parse, save.

Every request of the extension ends here. ``generate`` runs a one-shot request (``vi.generate_images``,
``vi.edit_image``, ``%imagen``, the panel), ``upscale`` an upscale, and ``generate_content`` the
Gemini ``:generateContent`` requests that both a one-shot Gemini call and a chat turn send: a chat turn
calls the same operation with its history in ``contents`` and only records the exchange
(``ImageSession``). The options were checked before (``api``, ``ImageSession``); the wire builders
check their own values as they build, and every body is built before the first one is sent.

The option lists say which options each kind of request takes beside the ones every call has.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.errors import InvalidRequest, StorageError, VertexImageError
from ..base.values import ImageInput, ParsedResponse
from ..results.images import GeneratedImage, ImageSet
from ..wire import gemini, imagen
from .registry import state

if TYPE_CHECKING:  # pragma: no cover
    from ..base.config import Settings
    from ..base.models import ModelInfo
    from ..client.http import Client, RetryEvent

OnRetry = Callable[["RetryEvent"], None]

IMAGEN_OPTIONS = (
    "add_watermark",
    "enhance_prompt",
    "guidance_scale",
    "safety_setting",
    "person_generation",
    "include_rai_reason",
    "include_safety_attributes",
    "language",
    "output_mime_type",
    "compression_quality",
    "storage_uri",
    "labels",
)
GEMINI_OPTIONS = (
    "temperature",
    "safety_settings",
    "google_search",
    "system_instruction",
    "person_generation",
    "output_mime_type",
    "compression_quality",
    "include_thoughts",
    "labels",
    "text",
    "thinking",
)
EDIT_OPTIONS = ("mask_mode", "mask_dilation", "mask_classes", "base_steps", "guidance_scale", "safety_setting",
                "person_generation", "include_rai_reason", "include_safety_attributes", "language",
                "output_mime_type", "compression_quality", "storage_uri", "labels", "add_watermark")
UPSCALE_OPTIONS = ("enhance_input_image", "image_preservation_factor", "safety_setting", "person_generation",
                   "include_rai_reason", "output_mime_type", "compression_quality", "storage_uri", "labels")


@dataclass(frozen=True)
class GenerateRequest:
    """One user-level image request, before it is turned into wire JSON."""

    prompt: str
    model: str | None = None
    n: int = 1
    aspect_ratio: str | None = None
    image_size: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    images: tuple[ImageInput, ...] = ()
    mask: ImageInput | None = None
    mode: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What an operation gives back: the saved images, and the parsed answer they came from."""

    images: ImageSet
    parsed: ParsedResponse


# the option lists ------------------------------------------------------------------------------
def check_option_names(family: str, options: Mapping[str, Any], *, edit: bool = False) -> None:
    """Refuse option names a model family does not take (before anything is sent), listing its options."""
    if family == "imagen":
        allowed, kind = (EDIT_OPTIONS, "Imagen editing") if edit else (IMAGEN_OPTIONS, "Imagen models")
    else:
        allowed, kind = GEMINI_OPTIONS, "Gemini image models"
    check_names(options, allowed, kind)


def check_names(options: Mapping[str, Any], allowed: Sequence[str], kind: str) -> None:
    """Refuse option names that ``kind`` does not take, listing the ones it does."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidRequest(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not an option of {kind}; "
            f"the options are: {', '.join(sorted(allowed))}."
        )


# the operations --------------------------------------------------------------------------------
async def generate(request: GenerateRequest, info: ModelInfo, *, on_retry: OnRetry | None = None) -> ImageSet:
    """Build, send, parse and save a one-shot request whose options were checked. Runs on the runtime loop.

    ``n`` may take several requests. If some of them fail, every image that did arrive is saved, then the
    first failure is raised with its type kept, a message saying how many were saved, and ``.partial``.
    """
    if info.family == "gemini":
        options = dict(request.options)
        want_text = bool(options.pop("text", False))
        options["thinking_level"] = options.pop("thinking", None)
        answer = await generate_content(
            info,
            [gemini.user_content(request.prompt, request.images)],
            prompt=request.prompt,
            parameters=_parameters(request),
            n=request.n,
            seed=request.seed,
            on_retry=on_retry,
            response_modalities=("TEXT", "IMAGE") if want_text else ("IMAGE",),
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            **options,
        )
        return answer.images
    bodies = [_imagen_body(chunk) for chunk in _imagen_chunks(request, info)]
    check_can_save()
    client = state().client()
    location = client.settings.location_for(info.family)
    calls = [_send_imagen(client, info.id, body, location, on_retry) for body in bodies]
    answer = await _answer(
        calls,
        wanted=request.n,
        prompt=request.prompt,
        model=info.id,
        parameters=_parameters(request),
        seed=request.seed,
        settings=client.settings,
        location=location,
    )
    return answer.images


async def generate_content(
    info: ModelInfo,
    contents: Sequence[Mapping[str, Any]],
    *,
    prompt: str,
    parameters: Mapping[str, Any],
    n: int = 1,
    seed: int | None = None,
    on_retry: OnRetry | None = None,
    **body_options: Any,
) -> Answer:
    """``n`` Gemini ``:generateContent`` requests for ``contents`` (request k with seed + k): built, sent
    together, parsed, saved. A one-shot call sends one user turn; a chat turn its history and the new turn.

    ``body_options`` are the keyword arguments of ``gemini.build_generate_content_body``.
    """
    dialect = state().settings().speaks
    bodies = [
        gemini.build_generate_content_body(
            contents, dialect=dialect, seed=None if seed is None else seed + index, **body_options
        )
        for index in range(n)
    ]
    check_can_save()
    client = state().client()
    location = client.settings.location_for("gemini")
    calls = [_send_gemini(client, info.id, body, location, on_retry) for body in bodies]
    return await _answer(
        calls,
        wanted=n,
        prompt=prompt,
        model=info.id,
        parameters=parameters,
        seed=seed,
        settings=client.settings,
        location=location,
    )


async def upscale(image: ImageInput, factor: str, info: ModelInfo, options: dict[str, Any]) -> ImageSet:
    """Build, send, parse and save one Imagen upscale whose options were checked."""
    body = imagen.build_upscale_body(image, factor=factor, **options)
    check_can_save()
    client = state().client()
    location = client.settings.location_for("imagen")
    parameters = {"upscale_factor": factor, **options}
    answer = await _answer(
        [_send_imagen(client, info.id, body, location, None)],
        wanted=1,
        prompt="",
        model=info.id,
        parameters=parameters,
        seed=None,
        settings=client.settings,
        location=location,
    )
    return answer.images


# sending and parsing ---------------------------------------------------------------------------
async def _send_imagen(
    client: Client, model_id: str, body: dict[str, Any], location: str, on_retry: OnRetry | None
) -> ParsedResponse:
    raw = await client.predict(model_id, body, location=location, on_retry=on_retry)
    return imagen.parse_predict_response(raw)


async def _send_gemini(
    client: Client, model_id: str, body: dict[str, Any], location: str, on_retry: OnRetry | None
) -> ParsedResponse:
    raw = await client.generate_content(model_id, body, location=location, on_retry=on_retry)
    return gemini.parse_generate_content_response(raw)


async def _answer(
    calls: Sequence[Awaitable[ParsedResponse]],
    *,
    wanted: int,
    prompt: str,
    model: str,
    parameters: Mapping[str, Any],
    seed: int | None,
    settings: Settings,
    location: str,
) -> Answer:
    """Run the calls, save what came; raise the first failure (with ``.partial`` when some images came)."""
    parsed_list, error = await _every_call(calls)
    if error is not None and not parsed_list:
        raise error
    parsed = _combine(parsed_list)
    result = saved_image_set(
        parsed, prompt=prompt, model=model, parameters=parameters, seed=seed, settings=settings, location=location
    )
    if error is not None:
        raise _partly_failed(error, result, wanted)
    return Answer(result, parsed)


async def _every_call(calls: Sequence[Awaitable[ParsedResponse]]) -> tuple[list[ParsedResponse], Exception | None]:
    """Run the calls together to their end: the answers that came, in order, and the first failure.

    Waiting for all of them (rather than stopping at the first failure) is what lets images that were
    already made, and billed, be saved. Cancellation is not a failure: it propagates at once.
    """
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    parsed: list[ParsedResponse] = []
    errors: list[Exception] = []
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            errors.append(outcome)
        elif isinstance(outcome, BaseException):  # CancelledError, KeyboardInterrupt
            raise outcome
        else:
            parsed.append(outcome)
    return parsed, errors[0] if errors else None


def _partly_failed(error: Exception, saved: ImageSet, wanted: int) -> Exception:
    """The first failure of a call whose other requests succeeded, with what was saved (``error.partial``).

    The type stays (the magics and the panel show typed errors in one line); the message is prefixed.
    """
    if saved.images and isinstance(error, VertexImageError):
        count = len(saved.images)
        folder = Path(saved.images[0].path).parent if saved.images[0].path else None
        where = f" to {folder}" if folder else ""
        error.message = (
            f"{count} of {wanted} images arrived and {'was' if count == 1 else 'were'} saved{where} "
            f"(vi.gallery() shows them; the error's .partial holds them); the rest failed: {error.message}"
        )
        error.args = (error.message,)
    error.partial = saved  # type: ignore[attr-defined]
    return error


# Imagen bodies -----------------------------------------------------------------------------------
def _imagen_chunks(request: GenerateRequest, info: ModelInfo) -> list[GenerateRequest]:
    """``n`` images in requests of at most ``sampleCount`` 4; request k uses seed + k."""
    per_request = max(1, info.max_candidates)
    full, rest = divmod(request.n, per_request)
    counts = [per_request] * full + ([rest] if rest else [])
    return [
        replace(request, n=count, seed=None if request.seed is None else request.seed + number)
        for number, count in enumerate(counts)
    ]


def _imagen_body(request: GenerateRequest) -> dict[str, Any]:
    if request.images:
        return imagen.build_edit_body(
            request.prompt,
            images=request.images,
            mask=request.mask,
            mode=request.mode,
            n=request.n,
            negative_prompt=request.negative_prompt,
            seed=request.seed,
            **request.options,
        )
    return imagen.build_generate_body(
        request.prompt,
        n=request.n,
        aspect_ratio=request.aspect_ratio,
        image_size=request.image_size,
        negative_prompt=request.negative_prompt,
        seed=request.seed,
        **request.options,
    )


# saving ------------------------------------------------------------------------------------------
def _combine(parsed_list: list[ParsedResponse]) -> ParsedResponse:
    if len(parsed_list) == 1:
        return parsed_list[0]
    first = parsed_list[0]
    usage: dict[str, Any] = {}
    for parsed in parsed_list:
        for key, value in parsed.usage.items():
            if isinstance(value, (int, float)):
                usage[key] = usage.get(key, 0) + value
    return ParsedResponse(
        images=tuple(image for parsed in parsed_list for image in parsed.images),
        blocks=tuple(block for parsed in parsed_list for block in parsed.blocks),
        text="\n".join(parsed.text for parsed in parsed_list if parsed.text),
        finish_reason=first.finish_reason,
        usage=usage,
        model_version=first.model_version,
        response_id=first.response_id,
    )


def _parameters(request: GenerateRequest) -> dict[str, Any]:
    return {
        "n": request.n,
        "aspect_ratio": request.aspect_ratio,
        "image_size": request.image_size,
        "negative_prompt": request.negative_prompt,
        "seed": request.seed,
        "mode": request.mode,
        "input_images": len(request.images) or None,
        "mask": True if request.mask is not None else None,
        **request.options,
    }


def saved_image_set(
    parsed: ParsedResponse,
    *,
    prompt: str,
    model: str,
    parameters: Mapping[str, Any],
    seed: int | None,
    settings: Settings,
    location: str,
) -> ImageSet:
    """The images of a response with their provenance, each saved to disk before anyone sees it.

    One place for one-shot calls and ``ImageSession`` turns; ``None`` parameters are left out.
    """
    kept = {key: value for key, value in parameters.items() if value is not None}
    images = tuple(
        GeneratedImage.from_bytes(
            received.data,
            received.mime_type,
            prompt=prompt,
            model=model,
            parameters=kept,
            seed=seed,
            index=index,
            text=parsed.text,
            finish_reason=parsed.finish_reason,
            enhanced_prompt=received.enhanced_prompt,
            safety_attributes=dict(received.safety_attributes),
            response_id=parsed.response_id,
            location=location,
            backend=settings.backend,
            gcs_uri=received.gcs_uri,
            thought_signature=received.thought_signature,
        )
        for index, received in enumerate(parsed.images)
    )
    result = ImageSet(
        images=images,
        blocks=parsed.blocks,
        text=parsed.text,
        prompt=prompt,
        model=model,
        usage=dict(parsed.usage),
        created=int(time.time()),
    )
    try:
        return state().store().save_all(result)
    except StorageError as exc:  # the answer came and was paid for: keep the images in memory, say how to save them
        return replace(result, notices=(*result.notices, unsaved_notice(exc)))


def unsaved_notice(error: StorageError) -> str:
    """The one line of a result whose images could not be saved: why, and how to save them."""
    reason = str(error).split(". Choose another folder", 1)[0].rstrip(".")
    return (f"not saved: {reason[:1].lower() + reason[1:]}. The images are kept in memory only: "
            "save them with x.save('another/folder') (x: this result, or _ right after the cell).")


def check_can_save() -> None:
    """Before a request is sent: the image folder can be written (``StorageError`` in one line if not)."""
    state().store().check_writable()


__all__ = [
    "EDIT_OPTIONS",
    "GEMINI_OPTIONS",
    "IMAGEN_OPTIONS",
    "UPSCALE_OPTIONS",
    "Answer",
    "GenerateRequest",
    "OnRetry",
    "check_can_save",
    "check_names",
    "check_option_names",
    "generate",
    "generate_content",
    "saved_image_set",
    "unsaved_notice",
    "upscale",
]
