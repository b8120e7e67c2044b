"""The public Python API: ``configure``, ``generate_images``, ``edit_image``, ``upscale_image``, ``chat``.

Every call builds a typed request and validates it against the model registry before anything is
sent; ``operations`` then builds the wire bodies, sends them, parses the answers and saves every image
before returning it, all on the extension's private loop, and gives back an ``ImageSet``. The
``a``-prefixed twins are the same calls for ``await`` in async code.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ..base.errors import InvalidRequest
from ..base.lineup import PRICES_AS_OF
from ..base.models import validate_options
from ..results.images import GeneratedImage, ImageSet
from . import costs, operations
from .costs import CostReport, DryRun, check_max_cost
from .inputs import check_input_sizes, to_image_inputs
from .model_choice import choose_model
from .named_sessions import open_session
from .operations import GEMINI_OPTIONS, UPSCALE_OPTIONS, GenerateRequest, OnRetry, check_names, check_option_names
from .registry import state
from .replay import export as export_bundle
from .replay import mode as replay_mode

if TYPE_CHECKING:  # pragma: no cover
    from ..base.config import Settings
    from .discovery import ModelRow
    from .session import ImageSession

T = TypeVar("T")


# configuration ----------------------------------------------------------------------------------
def configure(**options: Any) -> Settings:
    """Set options for this kernel (backend, project, location, api_key, output_dir...).

    Returns the effective settings. ``None`` unsets an option. A bad value raises and changes nothing.
    """
    return state().configure(**options)


def settings() -> Settings:
    """The effective settings of this kernel."""
    return state().settings()


def list_models(live: bool = False) -> list[ModelRow]:
    """Google's image models with their state today on the surface in use, dates, replacement, sizes and price.

    ``live=True`` also asks the service which models this caller can use today (Gemini API
    ``GET /v1beta/models``, Vertex ``GET /v1beta1/publishers/google/models``): each row says whether it is
    listed (``row.listed``), and image models the service lists that the catalog does not know are added
    (``row.in_catalog`` False). Rows are frozen dataclasses; ``row.as_dict()`` gives plain data.
    """
    from . import discovery  # lazy: a live listing needs the client (httpx)

    kernel = state()
    rows = discovery.catalog_rows(kernel.settings().speaks)
    if not live:
        return rows
    return discovery.with_listing(rows, _run(discovery.listed_ids(kernel.client())))


def cost() -> CostReport:
    """What this kernel has spent (by model, session and day; measured vs estimated), what is left of the
    budget, and the store's all-time total (every call recorded in ``output_dir``'s index, across restarts).

    ``%vertex_image cost`` shows the same as a table; ``.as_dict()`` gives plain data.
    """
    kernel = state()
    store = kernel.store()
    return costs.report(kernel.ledger, budget=kernel.settings().budget_usd, stored=store.charge_totals(),
                        prices_as_of=PRICES_AS_OF, store=str(store.root))  # fmt: skip


# generation -------------------------------------------------------------------------------------
def generate_images(
    prompt: str,
    model: str | None = None,
    n: int = 1,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    replay: str | None = None,
    **options: Any,
) -> ImageSet | DryRun:
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
        dry_run: send nothing; return a ``DryRun``: the requests that would be sent (no secret, image base64
            shortened), their size in bytes and the estimated cost.
        max_cost: refuse the call (``BudgetExceeded``, nothing sent) when its estimate is over this many USD.
        replay: ``off``, ``auto`` or ``only`` for this call (default: ``configure(replay=...)``): answer it from
            the answer saved for the same request, sending nothing and paying nothing (``core.replay``).
        **options: model-family options, e.g. ``enhance_prompt``, ``safety_setting``,
            ``person_generation``, ``output_mime_type``, ``temperature``, ``google_search``.

    The result carries its cost (``.cost``, and each image's); the kernel's budget
    (``configure(budget_usd=...)``) refuses a call whose estimate would cross what is left.

    Raises:
        InvalidRequest: options the model cannot take (nothing is sent).
        BudgetExceeded: the estimate would cross the budget or ``max_cost`` (nothing is sent).
        APIError: the service refused or failed after retries. When ``n`` needed several requests and only
            some failed, the images that did arrive are saved first; the error says so and carries them as
            ``error.partial`` (an ``ImageSet``).
    """
    request = GenerateRequest(prompt, model, n, aspect_ratio, image_size, negative_prompt, seed, options=options,
                              replay=replay)  # fmt: skip
    return _run(agenerate_request(request, dry_run=dry_run, max_cost=max_cost))


async def agenerate_images(
    prompt: str,
    model: str | None = None,
    n: int = 1,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    replay: str | None = None,
    **options: Any,
) -> ImageSet | DryRun:
    """``generate_images`` for async code: ``await vi.agenerate_images(...)``; many at once with gather."""
    request = GenerateRequest(prompt, model, n, aspect_ratio, image_size, negative_prompt, seed, options=options,
                              replay=replay)  # fmt: skip
    return await state().runtime().arun(agenerate_request(request, dry_run=dry_run, max_cost=max_cost))


def edit_image(
    prompt: str,
    images: Any,
    model: str | None = None,
    mask: Any = None,
    mode: str | None = None,
    n: int = 1,
    seed: int | None = None,
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    **options: Any,
) -> ImageSet | DryRun:
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
        dry_run, max_cost: as for ``generate_images``.
    """
    request = _edit_request(prompt, images, model, mask, mode, n, seed, options)
    return _run(agenerate_request(request, dry_run=dry_run, max_cost=max_cost))


async def aedit_image(
    prompt: str,
    images: Any,
    model: str | None = None,
    mask: Any = None,
    mode: str | None = None,
    n: int = 1,
    seed: int | None = None,
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    **options: Any,
) -> ImageSet | DryRun:
    """``edit_image`` for async code."""
    request = _edit_request(prompt, images, model, mask, mode, n, seed, options)
    return await state().runtime().arun(agenerate_request(request, dry_run=dry_run, max_cost=max_cost))


def _edit_request(
    prompt: str, images: Any, model: str | None, mask: Any, mode: str | None, n: int, seed: int | None,
    options: dict[str, Any],
) -> GenerateRequest:
    """The request of an edit: the inputs read, the model chosen (Imagen capability for masks and modes)."""
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


def upscale_image(
    image: Any, factor: str = "x2", model: str = "imagen-4.0-upscale-preview", *, max_cost: float | None = None,
    **options: Any,
) -> ImageSet:
    """Upscale an image ``x2``, ``x3`` or ``x4`` with the Imagen upscaler (Vertex AI).

    Raises:
        InvalidRequest: not exactly one image, a factor other than ``x2``/``x3``/``x4``, an unknown option,
            or the Gemini API backend (nothing is sent).
    """
    settings = state().settings()
    dialect = settings.speaks
    info = choose_model(model, settings, options=["upscale_factor", *options]).info
    check_names(options, UPSCALE_OPTIONS, "The Imagen upscaler")
    validate_options(info, input_images=1, edit=True, dialect=dialect, upscale_factor=factor)
    inputs = to_image_inputs(image, dialect=dialect)
    if len(inputs) != 1:
        raise InvalidRequest(f"upscale_image takes exactly one image, not {len(inputs)}.")
    check_input_sizes(inputs, family=info.family, dialect=dialect)
    return _run(operations.upscale(inputs[0], factor, info, options, max_cost=max_cost))


# the engine -------------------------------------------------------------------------------------
async def agenerate_request(
    request: GenerateRequest, *, on_retry: OnRetry | None = None, dry_run: bool = False, max_cost: float | None = None
) -> ImageSet | DryRun:
    """Validate one request against the model registry, then build, send, parse and save it
    (``operations.generate``). Runs on the runtime loop.

    ``n`` may take several requests. If some of them fail, every image that did arrive is saved, then the
    first failure is raised with its type kept, a message saying how many were saved, and ``.partial``.
    """
    if request.n is None:  # the default, as for every other option
        request = replace(request, n=1)
    base_settings = state().settings()
    chosen = choose_model(request.model or base_settings.default_imagen_model, base_settings,
                          options=_given_options(request))  # fmt: skip
    info = chosen.info
    if chosen.migrated_from:
        request = _migrated(request, chosen.dropped, chosen.thinking)
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
        search=request.options.get("google_search"),
        edit=bool(request.images),
        dialect=base_settings.speaks,
        thinking=request.options.get("thinking"),
        temperature=request.options.get("temperature"),
        output_mime_type=request.options.get("output_mime_type"),
    )
    check_input_sizes([*request.images, request.mask], family=info.family, dialect=base_settings.speaks)
    check_max_cost(max_cost)
    replay_mode(base_settings, request.replay)  # a bad mode is refused before anything is sent
    result = await operations.generate(request, info, on_retry=on_retry, dry_run=dry_run, max_cost=max_cost)
    if isinstance(result, DryRun):
        return result
    return replace(result, notices=(*result.notices, chosen.notice)) if chosen.notice else result


def export(notebook: str | os.PathLike[str], to: str | os.PathLike[str]) -> str:
    """Copy a notebook with exactly the images and recorded answers it used into the folder ``to`` (or a
    ``.zip``), for someone to re-run with ``VERTEX_IMAGE_REPLAY=only``: same pictures, no credentials, no
    network, no cost. What "used" means: ``core.replay.export``. Returns where the bundle is."""
    return str(export_bundle(notebook, to, state().store()))


def _given_options(request: GenerateRequest) -> list[str]:
    """The names of the options a request sets (for what a migration cannot carry over)."""
    named = {"negative_prompt": request.negative_prompt, "seed": request.seed, "mask": request.mask,
             "mode": request.mode, "aspect_ratio": request.aspect_ratio, "image_size": request.image_size}  # fmt: skip
    return [name for name, value in named.items() if value is not None] + list(request.options)


def _migrated(request: GenerateRequest, dropped: Sequence[str], thinking: str | None) -> GenerateRequest:
    """The request as its replacement model takes it: Imagen-only options dropped, the migration's thinking set."""
    keep = set(GEMINI_OPTIONS)
    options = {name: value for name, value in request.options.items() if name in keep and name not in dropped}
    if thinking and "thinking" not in options:
        options["thinking"] = thinking.lower()
    size = request.image_size
    return replace(
        request, negative_prompt=None, mask=None, mode=None, options=options,
        seed=None if "seed" in dropped else request.seed,
        image_size=None if size and size.upper() not in ("1K", "2K", "4K") else size,
    )  # fmt: skip


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return state().runtime().run(coro)


# saved images -----------------------------------------------------------------------------------
def gallery(n: int = 20, model: str | None = None, contains: str | None = None, since: Any = None) -> ImageSet:
    """The most recent images saved in this kernel's store (``output_dir``; see ``ImageStore.gallery``); ``since``:
    a datetime, a date, ISO-8601 text or Unix seconds."""
    return state().store().gallery(n, model=model, contains=contains, since=since)


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
    return open_session(name, model, new=new, **options)
