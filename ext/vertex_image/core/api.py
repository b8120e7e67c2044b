"""The public Python API: ``configure``, ``generate_images``, ``edit_image``, ``upscale_image``, ``chat``.

Every call builds a typed request, validates it against the model registry before anything is
sent, runs it on the extension's private loop, saves every image before returning it, and gives
back an ``ImageSet``. The ``a``-prefixed twins are the same calls for ``await`` in async code.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..base.errors import InvalidRequest, VertexImageError
from ..base.values import ImageInput, ParsedResponse
from ..results.images import GeneratedImage, ImageSet
from .registry import state

if TYPE_CHECKING:  # pragma: no cover
    from ..base.config import Settings
    from ..base.models import ModelInfo
    from ..client.http import Client, RetryEvent
    from .session import ImageSession

T = TypeVar("T")
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
)
EDIT_OPTIONS = ("mask_mode", "mask_dilation", "mask_classes", "base_steps", "guidance_scale", "safety_setting",
                "person_generation", "include_rai_reason", "include_safety_attributes", "language",
                "output_mime_type", "compression_quality", "storage_uri", "labels", "add_watermark")
UPSCALE_OPTIONS = ("enhance_input_image", "image_preservation_factor", "safety_setting", "person_generation",
                   "include_rai_reason", "output_mime_type", "compression_quality", "storage_uri", "labels")


# configuration ----------------------------------------------------------------------------------
def configure(**options: Any) -> Settings:
    """Set options for this kernel (backend, project, location, api_key, output_dir...).

    Returns the effective settings. ``None`` unsets an option. A bad value raises and changes nothing.
    """
    return state().configure(**options)


def settings() -> Settings:
    """The effective settings of this kernel."""
    return state().settings()


# generation -------------------------------------------------------------------------------------
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


def generate_images(
    prompt: str,
    model: str | None = None,
    n: int = 1,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    **options: Any,
) -> ImageSet:
    """Generate ``n`` images from a prompt with any image model.

    Imagen models go through ``:predict``; Gemini image models through single-turn
    ``:generateContent`` (``n`` parallel requests). Every image is saved before it is returned.

    Args:
        prompt: what to draw.
        model: a model id or alias (``imagen4``, ``nano-banana``...); default: the Imagen default.
        n: how many images.
        aspect_ratio: e.g. ``16:9``; the model's list is in ``%vertex_image models``.
        image_size: ``1K``, ``2K`` (``4K`` on Gemini 3 image models).
        negative_prompt: what to avoid (Imagen on Vertex only).
        seed: a seed for repeatable results (Imagen turns the watermark off for it).
        **options: model-family options, e.g. ``enhance_prompt``, ``safety_setting``,
            ``person_generation``, ``output_mime_type``, ``temperature``, ``google_search``.

    Raises:
        InvalidRequest: options the model cannot take (nothing is sent).
        APIError: the service refused or failed after retries. When ``n`` needed several requests and only
            some failed, the images that did arrive are saved first; the error says so and carries them as
            ``error.partial`` (an ``ImageSet``).
    """
    request = GenerateRequest(prompt, model, n, aspect_ratio, image_size, negative_prompt, seed, options=options)
    return _run(agenerate_request(request))


async def agenerate_images(
    prompt: str,
    model: str | None = None,
    n: int = 1,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    **options: Any,
) -> ImageSet:
    """``generate_images`` for async code: ``await vi.agenerate_images(...)``; many at once with gather."""
    request = GenerateRequest(prompt, model, n, aspect_ratio, image_size, negative_prompt, seed, options=options)
    return await state().runtime().arun(agenerate_request(request))


def edit_image(
    prompt: str,
    images: Any,
    model: str | None = None,
    mask: Any = None,
    mode: str | None = None,
    n: int = 1,
    seed: int | None = None,
    **options: Any,
) -> ImageSet:
    """Edit one or more images following an instruction.

    Gemini image models (the default) take the instruction and up to their input limit of
    images; with a ``mask`` (or an Imagen ``mode``) the Imagen capability model does masked editing.

    Args:
        prompt: the instruction, e.g. ``"make it night"``.
        images: a GeneratedImage, ImageSet, PIL image, bytes, file path, gs:// URI, or a list.
        model: a model id or alias.
        mask: a mask image for Imagen inpainting (white = edit).
        mode: an Imagen edit mode: ``inpaint-insert``, ``inpaint-remove``, ``outpaint``, ``bgswap``...
        n: how many results.
        seed: a seed for repeatable results.
    """
    return _run(agenerate_request(_edit_request(prompt, images, model, mask, mode, n, seed, options)))


async def aedit_image(
    prompt: str,
    images: Any,
    model: str | None = None,
    mask: Any = None,
    mode: str | None = None,
    n: int = 1,
    seed: int | None = None,
    **options: Any,
) -> ImageSet:
    """``edit_image`` for async code."""
    request = _edit_request(prompt, images, model, mask, mode, n, seed, options)
    return await state().runtime().arun(agenerate_request(request))


def _edit_request(
    prompt: str, images: Any, model: str | None, mask: Any, mode: str | None, n: int, seed: int | None,
    options: dict[str, Any],
) -> GenerateRequest:
    """The request of an edit: the inputs read, the model chosen (Imagen capability for masks and modes)."""
    from .inputs import to_image_inputs

    settings = state().settings()
    inputs = tuple(to_image_inputs(images, dialect=settings.speaks))
    if not inputs:
        raise InvalidRequest("edit_image needs at least one image to edit.")
    mask_input = to_image_inputs(mask, dialect=settings.speaks)[0] if mask is not None else None
    if model is None:
        masked = mask_input is not None or mode is not None
        model = "imagen-3.0-capability-001" if masked else settings.default_gemini_model
    return GenerateRequest(
        prompt, model, n, options.pop("aspect_ratio", None), options.pop("image_size", None),
        options.pop("negative_prompt", None), seed, images=inputs, mask=mask_input, mode=mode, options=options,
    )


def upscale_image(image: Any, factor: str = "x2", model: str = "imagen-4.0-upscale-preview", **options: Any) -> ImageSet:
    """Upscale an image ``x2``, ``x3`` or ``x4`` with the Imagen upscaler (Vertex AI).

    Raises:
        InvalidRequest: not exactly one image, a factor other than ``x2``/``x3``/``x4``, an unknown option,
            or the Gemini API backend (nothing is sent).
    """
    from ..base.models import resolve_model, validate_options
    from .inputs import to_image_inputs

    info = resolve_model(model)
    dialect = state().settings().speaks
    _check_names(options, UPSCALE_OPTIONS, "The Imagen upscaler")
    validate_options(info, input_images=1, edit=True, dialect=dialect, upscale_factor=factor)
    inputs = to_image_inputs(image, dialect=dialect)
    if len(inputs) != 1:
        raise InvalidRequest(f"upscale_image takes exactly one image, not {len(inputs)}.")
    return _run(_aupscale(inputs[0], factor, info, options))


async def _aupscale(image: ImageInput, factor: str, info: ModelInfo, options: dict[str, Any]) -> ImageSet:
    from ..wire import imagen

    client = state().client()
    body = imagen.build_upscale_body(image, factor=factor, **options)
    location = client.settings.location_for("imagen")
    raw = await client.predict(info.id, body, location=location)
    parsed = imagen.parse_predict_response(raw)
    parameters = {"upscale_factor": factor, **options}
    return saved_image_set(
        parsed, prompt="", model=info.id, parameters=parameters, seed=None, settings=client.settings,
        location=location,
    )


# the engine -------------------------------------------------------------------------------------
async def agenerate_request(request: GenerateRequest, *, on_retry: OnRetry | None = None) -> ImageSet:
    """Validate, send, parse and save one request. Runs on the runtime loop.

    ``n`` may take several requests. If some of them fail, every image that did arrive is saved, then the
    first failure is raised with its type kept, a message saying how many were saved, and ``.partial``.
    """
    from ..base.models import resolve_model, validate_options

    if request.n is None:  # the default, as for every other option
        request = replace(request, n=1)
    kernel = state()
    base_settings = kernel.settings()
    info = resolve_model(request.model or base_settings.default_imagen_model)
    check_option_names(info.family, request.options, edit=bool(request.images))
    if info.family == "gemini" and (request.mask is not None or request.mode):
        raise InvalidRequest(
            f"{info.id} takes no mask or edit mode: describe the change in the prompt, "
            "or use imagen-3.0-capability-001 for masked editing."
        )
    validate_options(
        info,
        n=request.n,  # Gemini: one request per image, at most MAX_PARALLEL_IMAGES
        aspect_ratio=request.aspect_ratio,
        image_size=request.image_size,
        negative_prompt=request.negative_prompt,
        seed=request.seed,
        input_images=len(request.images),
        search=bool(request.options.get("google_search")),
        edit=bool(request.images),
        dialect=base_settings.speaks,
    )
    client = kernel.client()
    settings = client.settings
    location = settings.location_for(info.family)
    if info.family == "imagen":
        calls = _imagen_calls(client, info, request, location, on_retry)
    else:
        calls = _gemini_calls(client, info, request, location, on_retry)
    parsed_list, error = await _every_call(calls)
    if error is not None and not parsed_list:
        raise error
    result = saved_image_set(
        _combine(parsed_list), prompt=request.prompt, model=info.id, parameters=_parameters(request),
        seed=request.seed, settings=settings, location=location,
    )
    if error is not None:
        raise _partly_failed(error, result, request.n)
    return result


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


def check_option_names(family: str, options: Mapping[str, Any], *, edit: bool = False) -> None:
    """Refuse option names a model family does not take (before anything is sent), listing its options."""
    if family == "imagen":
        allowed, kind = (EDIT_OPTIONS, "Imagen editing") if edit else (IMAGEN_OPTIONS, "Imagen models")
    else:
        allowed, kind = GEMINI_OPTIONS, "Gemini image models"
    _check_names(options, allowed, kind)


def _check_names(options: Mapping[str, Any], allowed: Sequence[str], kind: str) -> None:
    """Refuse option names that ``kind`` does not take, listing the ones it does."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidRequest(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not an option of {kind}; "
            f"the options are: {', '.join(sorted(allowed))}."
        )


def _imagen_calls(
    client: Client, info: ModelInfo, request: GenerateRequest, location: str, on_retry: OnRetry | None
) -> list[Coroutine[Any, Any, ParsedResponse]]:
    """``n`` images in requests of at most ``sampleCount`` 4; request k uses seed + k.

    Every body is built (and so checked) before any request is sent.
    """
    per_request = max(1, info.max_candidates)
    full, rest = divmod(request.n, per_request)
    counts = [per_request] * full + ([rest] if rest else [])
    chunks = [
        replace(request, n=count, seed=None if request.seed is None else request.seed + number)
        for number, count in enumerate(counts)
    ]
    bodies = [_imagen_body(chunk) for chunk in chunks]
    return [_imagen_call(client, info, body, location, on_retry) for body in bodies]


def _imagen_body(request: GenerateRequest) -> dict[str, Any]:
    from ..wire import imagen

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


async def _imagen_call(
    client: Client, info: ModelInfo, body: dict[str, Any], location: str, on_retry: OnRetry | None
) -> ParsedResponse:
    from ..wire import imagen

    raw = await client.predict(info.id, body, location=location, on_retry=on_retry)
    return imagen.parse_predict_response(raw)


def _gemini_calls(
    client: Client, info: ModelInfo, request: GenerateRequest, location: str, on_retry: OnRetry | None
) -> list[Coroutine[Any, Any, ParsedResponse]]:
    """One single-turn request per image; request k uses seed + k. Every body is built before any is sent."""
    from ..wire import gemini

    options = dict(request.options)
    want_text = bool(options.pop("text", False))
    contents = [gemini.user_content(request.prompt, request.images)]
    bodies = [
        gemini.build_generate_content_body(
            contents,
            dialect=client.settings.speaks,
            response_modalities=("TEXT", "IMAGE") if want_text else ("IMAGE",),
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            seed=None if request.seed is None else request.seed + index,
            **options,
        )
        for index in range(request.n)
    ]

    async def one(body: dict[str, Any]) -> ParsedResponse:
        raw = await client.generate_content(info.id, body, location=location, on_retry=on_retry)
        return gemini.parse_generate_content_response(raw)

    return [one(body) for body in bodies]


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
    return state().store().save_all(result)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return state().runtime().run(coro)


# saved images -----------------------------------------------------------------------------------
def gallery(n: int = 20, model: str | None = None, contains: str | None = None) -> ImageSet:
    """The most recent images saved in this kernel's store (``output_dir``; see ``ImageStore.gallery``)."""
    return state().store().gallery(n, model=model, contains=contains)


def load(ref: str | os.PathLike[str]) -> GeneratedImage:
    """A saved image by content id (or its first digits) or path, from this kernel's store (``ImageStore.load``)."""
    return state().store().load(ref)


# conversation -----------------------------------------------------------------------------------
def chat(model: str | None = None, name: str | None = None, *, new: bool = False, **options: Any) -> ImageSession:
    """A multi-turn image conversation with a Gemini image model (default: nano-banana).

    ``session.send("a watercolor fox")`` then ``session.send("now make the sky purple")`` edits the
    last image; ``undo()``, ``branch()``, ``reset()``, ``save()`` and ``ImageSession.load()`` manage it.
    A ``name`` in use (in memory or on disk) is resumed, like ``%%gemini_image -s NAME``;
    ``new=True`` starts it over, replacing the old session once the first turn is recorded.
    """
    from .named_sessions import open_session

    return open_session(name, model, new=new, **options)
