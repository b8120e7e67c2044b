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
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.errors import APIError, InvalidRequest, StorageError, TransportError, VertexImageError
from ..base.models import normalize_search
from ..base.pricing import Cost, cost_of_images, cost_of_usage, search_queries, total
from ..base.values import ImageInput, ParsedResponse, joined_responses
from ..client.endpoints import model_url
from ..results.images import GeneratedImage, ImageSet
from ..results.store import AnswersOf, RecordedAnswer
from ..wire import gemini, imagen
from ..wire import openai as openai_wire
from . import costs, replay
from .costs import Charge, DryRun
from .registry import KernelState, state

if TYPE_CHECKING:  # pragma: no cover
    from ..base.config import Settings
    from ..base.models import ModelInfo
    from ..client.http import Client, RetryEvent

OnRetry = Callable[["RetryEvent"], None]
logger = logging.getLogger("vertex_image")

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
    provenance: dict[str, Any] = field(default_factory=dict)  # recorded with each image, never sent (a row's key)
    replay: str | None = None  # this call's replay mode (``core.replay``); None: the setting


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
async def generate(
    request: GenerateRequest,
    info: ModelInfo,
    *,
    on_retry: OnRetry | None = None,
    dry_run: bool = False,
    max_cost: float | None = None,
) -> ImageSet | DryRun:
    """Build, send, parse and save a one-shot request whose options were checked. Runs on the runtime loop.

    ``n`` may take several requests. If some of them fail, every image that did arrive is saved, then the
    first failure is raised with its type kept, a message saying how many were saved, and ``.partial``.
    Before anything is sent the call's estimate is checked against the budget and ``max_cost``
    (``costs.Ledger``); ``dry_run`` gives back what would be sent (``DryRun``) and sends nothing.
    """
    if state().settings().backend == "openai" or info.family != "gemini":
        _refuse_unrecorded(request.prompt, info, _parameters(request), request.replay, dry_run)
    if state().settings().backend == "openai":
        return await _openai_generate(request, info, on_retry)
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
            dry_run=dry_run,
            max_cost=max_cost,
            response_modalities=("TEXT", "IMAGE") if want_text else ("IMAGE",),
            replay_mode=request.replay,
            aspect_ratio=request.aspect_ratio,
            image_size=request.image_size,
            **options,
        )
        return answer if isinstance(answer, DryRun) else answer.images
    bodies = [_imagen_body(chunk) for chunk in _imagen_chunks(request, info)]
    kernel = state()
    spend = _Spend.for_call(kernel, info, session="")
    counts = [chunk.n for chunk in _imagen_chunks(request, info)]
    estimates = [costs.estimate_imagen(spend.prices, count, prices_as_of=spend.as_of) for count in counts]
    if dry_run:
        return _dry_run(kernel, info, "predict", bodies, total(estimates))
    async with spend.reserved(estimates, max_cost):
        check_can_save()  # nothing is sent when the answer could not be kept
        client = kernel.client()
        location = client.settings.location_for(info.family)
        calls = [
            _send_imagen(client, info.id, body, location, spend.watch(on_retry, number))
            for number, body in enumerate(bodies)
        ]
        answer = await _answer(
            calls,
            wanted=request.n,
            prompt=request.prompt,
            model=info.id,
            parameters=_parameters(request),
            seed=request.seed,
            settings=client.settings,
            location=location,
            spend=spend,
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
    dry_run: bool = False,
    max_cost: float | None = None,
    session: str = "",
    replay_mode: str | None = None,
    **body_options: Any,
) -> Answer | DryRun:
    """``n`` Gemini ``:generateContent`` requests for ``contents`` (request k with seed + k): built, sent
    together, parsed, saved. A one-shot call sends one user turn; a chat turn its history and the new turn.

    Every body is built first; their estimate (what they carry, the size, the count) is checked against
    the budget and ``max_cost`` before the first is sent; ``dry_run`` returns a ``DryRun`` instead of
    sending. ``session`` names the session a turn belongs to, for the kernel's totals.

    Every answer is recorded under its request's key (``core.replay``); with ``replay_mode`` (or the setting)
    ``auto`` a request with a seed or a session turn whose every request was recorded is answered from the
    store (nothing sent, $0.00); ``only`` answers every request so and refuses one not recorded.

    ``body_options`` are the keyword arguments of ``gemini.build_generate_content_body``.
    """
    kernel = state()
    if kernel.settings().backend == "openai":
        _refuse_unrecorded(prompt, info, parameters, replay_mode, dry_run)
        return await _openai_chat(info, contents, prompt, parameters, n, seed, on_retry, body_options)
    dialect = kernel.settings().speaks
    bodies = [
        gemini.build_generate_content_body(
            contents, dialect=dialect, seed=None if seed is None else seed + index, **body_options
        )
        for index in range(n)
    ]
    spend = _Spend.for_call(kernel, info, session=session)
    searches = len(normalize_search(body_options.get("google_search") or False))  # one query per search type
    size = body_options.get("image_size")
    estimates = [
        costs.estimate_gemini(spend.prices, [body], image_size=size, searches=searches, prices_as_of=spend.as_of)
        for body in bodies
    ]
    if dry_run:
        return _dry_run(kernel, info, "generateContent", bodies, total(estimates))
    inputs: list[list[str]] = [[] for _ in bodies]
    keys = [replay.request_key(info.id, "generateContent", dialect, body, found) for body, found in zip(bodies, inputs)]
    chosen = replay.mode(kernel.settings(), replay_mode)
    if replay.applies(chosen, seed=seed, session=bool(session)):
        found = replay.replayed(kernel.store(), keys, prompt=prompt, model=info.id)
        if found is not None:
            return Answer(*found)
        if chosen == "only":
            raise replay.not_recorded(prompt, info.id, parameters, kernel.store())
    async with spend.reserved(estimates, max_cost):
        check_can_save()  # nothing is sent when the answer could not be kept
        client = kernel.client()
        location = client.settings.location_for("gemini")
        calls = [
            _send_gemini(client, info.id, body, location, spend.watch(on_retry, number))
            for number, body in enumerate(bodies)
        ]
        return await _answer(
            calls,
            wanted=n,
            prompt=prompt,
            model=info.id,
            parameters=parameters,
            seed=seed,
            settings=client.settings,
            location=location,
            spend=spend,
            keys=keys,
            inputs=dict(zip(keys, inputs)),
        )


async def upscale(
    image: ImageInput, factor: str, info: ModelInfo, options: dict[str, Any], *, max_cost: float | None = None
) -> ImageSet:
    """Build, send, parse and save one Imagen upscale whose options were checked."""
    body = imagen.build_upscale_body(image, factor=factor, **options)
    kernel = state()
    _refuse_unrecorded("(upscale)", info, {"upscale_factor": factor}, None, False)
    spend = _Spend.for_call(kernel, info, session="")
    estimates = [costs.estimate_imagen(spend.prices, 1, prices_as_of=spend.as_of)]
    async with spend.reserved(estimates, max_cost):
        check_can_save()  # nothing is sent when the answer could not be kept
        client = kernel.client()
        location = client.settings.location_for("imagen")
        parameters = {"upscale_factor": factor, **options}
        answer = await _answer(
            [_send_imagen(client, info.id, body, location, spend.watch(None, 0))],
            wanted=1,
            prompt="",
            model=info.id,
            parameters=parameters,
            seed=None,
            settings=client.settings,
            location=location,
            spend=spend,
        )
    return answer.images


# what a call costs -----------------------------------------------------------------------------
class _Spend:
    """One call's account: its prices, the estimate of each request, its charges (``core.costs``)."""

    def __init__(self, kernel: KernelState, info: ModelInfo, session: str) -> None:
        settings = kernel.settings()
        self.ledger = kernel.ledger
        self.budget = settings.budget_usd
        self.backend = settings.backend
        self.model = info.id
        self.family = info.family
        self.session = session
        self.prices, self.as_of = costs.model_prices(info.id, info.prices, settings.prices)
        self.estimates: list[Cost] = []
        self.attempts: list[Cost] = []

    @classmethod
    def for_call(cls, kernel: KernelState, info: ModelInfo, *, session: str) -> _Spend:
        return cls(kernel, info, session)

    def reserved(self, estimates: list[Cost], max_cost: float | None) -> _Held:
        """Check the call's estimate against the budget and ``max_cost`` and hold it while the call runs."""
        self.estimates = estimates
        call = total(estimates) or Cost(0.0, estimated=True, prices_as_of=self.as_of)
        return _Held(self.ledger.reserve(call, budget=self.budget, max_cost=max_cost))

    def watch(self, on_retry: OnRetry | None, number: int) -> OnRetry:
        """``on_retry`` for request ``number``: a failed attempt that may have been billed is charged at the
        request's estimate, and the retry is refused when it would cross the budget."""

        def watched(event: RetryEvent) -> None:
            if costs.maybe_billed(event.reason):
                self.charge_attempt(number)
                self.ledger.check_retry(self.estimates[number], budget=self.budget)
            if on_retry is not None:
                on_retry(event)

        return watched

    def charge_attempt(self, number: int) -> None:
        cost = self.estimates[number]
        self.attempts.append(cost)
        self.ledger.record(Charge(cost, self.model, self.session, kind="attempt", backend=self.backend))

    def answer_cost(self, parsed: ParsedResponse, number: int) -> Cost:
        """One answer's cost: from its usage, else the request's estimate (marked as one; an answer without an
        image is then charged its input only, as Google does not charge blocked images)."""
        if self.family != "gemini":
            return cost_of_images(self.prices, len(parsed.images), prices_as_of=self.as_of)
        measured = cost_of_usage(self.prices, parsed.usage, images=len(parsed.images),
                                 searches=search_queries(parsed.grounding), prices_as_of=self.as_of)  # fmt: skip
        if measured is not None:
            return measured
        guess = self.estimates[number] if number < len(self.estimates) else Cost(0.0, estimated=True)
        if parsed.images:
            return guess
        kept = {name: usd for name, usd in guess.items.items() if name.startswith("input")}
        return Cost(sum(kept.values()), estimated=True, prices_as_of=guess.prices_as_of, items=kept)

    def charge_call(self, answers: Sequence[Cost], keys: Sequence[str] = ()) -> Charge | None:
        """The call's charge (None when nothing answered), added to the kernel's account; the caller writes it
        to the store, with the call's images: one commit (``saved_image_set``)."""
        cost = total(answers)
        if cost is None:
            return None
        charge = Charge(cost, self.model, self.session, kind="call", backend=self.backend, replay_keys=tuple(keys))
        self.ledger.record(charge, write=False)
        return charge


class _Held:
    """``async with``: the reservation is released when the call ends, however it ends."""

    def __init__(self, ticket: costs.Ticket) -> None:
        self.ticket = ticket

    async def __aenter__(self) -> costs.Ticket:
        return self.ticket

    async def __aexit__(self, *exc: object) -> None:
        self.ticket.release()


def _dry_run(kernel: KernelState, info: ModelInfo, method: str, bodies: list[dict[str, Any]], cost: Cost | None) -> DryRun:
    """What the call would send: URL, headers and bodies with no secret, image base64 shortened."""
    settings = kernel.settings()
    location = settings.location_for(info.family)
    url_settings = settings
    if settings.backend == "emulator" and not settings.base_url:
        url_settings = replace(settings, base_url=kernel.emulator_url or "http://127.0.0.1:<emulator port>")
    if url_settings.speaks == "vertex" and not url_settings.express_mode and not url_settings.project:
        url_settings = replace(url_settings, project="<your project>")
    url = model_url(url_settings, model_id=info.id, method=method, location=location)
    headers = {"content-type": "application/json"}
    if settings.api_key is not None:
        headers["x-goog-api-key"] = costs.SECRET_SHOWN
    else:
        headers["authorization"] = f"Bearer {costs.SECRET_SHOWN}"
    secrets = [str(settings.api_key)] if settings.api_key is not None else []
    shown = tuple(costs.redacted(costs.shortened(body), secrets) for body in bodies)
    return DryRun(
        model=info.id,
        method=method,
        url=costs.redacted(url, secrets),
        headers=headers,
        bodies=shown,
        bytes=costs.body_bytes(bodies),
        estimate=cost or Cost(0.0, estimated=True),
    )


# an OpenAI-shaped gateway ----------------------------------------------------------------------
OPENAI_OPTIONS = ("text",)  # what such a route can carry beside prompt, n, images and aspect ratio


async def _openai_generate(request: GenerateRequest, info: ModelInfo, on_retry: OnRetry | None) -> ImageSet:
    """One-shot generation (``/v1/images/generations``) or editing (``/v1/images/edits``) through the gateway."""
    from ..client.endpoints import openai_url  # lazy: client modules load with the first request

    _refuse_on_openai(info, request.options, request.negative_prompt, request.mask, request.image_size)
    check_can_save()  # nothing is sent when the answer could not be kept
    client = state().client()
    settings = client.settings
    if request.images:
        fields, files = openai_wire.images_edit_form(
            info.id, request.prompt, request.images, n=request.n, aspect_ratio=request.aspect_ratio
        )
        call = client.post_form(openai_url(settings, "images/edits"), fields, files, on_retry=on_retry,
                                model_id=info.id)  # fmt: skip
    else:
        body = openai_wire.images_generation_body(info.id, request.prompt, n=request.n, aspect_ratio=request.aspect_ratio)
        call = client.post_json(openai_url(settings, "images/generations"), body, on_retry=on_retry, model_id=info.id)

    async def parsed() -> ParsedResponse:
        return openai_wire.parse_images_response(await call, wanted=request.n)

    answer = await _answer(
        [parsed()],
        wanted=request.n,
        prompt=request.prompt,
        model=info.id,
        parameters=_parameters(request),
        seed=request.seed,
        settings=settings,
        location="",
        spend=_Spend.for_call(state(), info, session=""),  # no Gemini usage comes back: an estimate of 0
    )
    return answer.images


async def _openai_chat(
    info: ModelInfo,
    contents: Sequence[Mapping[str, Any]],
    prompt: str,
    parameters: Mapping[str, Any],
    n: int,
    seed: int | None,
    on_retry: OnRetry | None,
    body_options: Mapping[str, Any],
) -> Answer:
    """A chat turn through ``/v1/chat/completions`` (no signatures: the last image is re-sent as an input)."""
    from ..client.endpoints import openai_url  # lazy: client modules load with the first request

    given = {name: value for name, value in body_options.items() if value not in (None, False, (), "")}
    modalities = given.pop("response_modalities", ("TEXT", "IMAGE"))
    given.pop("aspect_ratio", None)  # the chat route has no size; LiteLLM keeps the model's default
    _refuse_on_openai(info, given, None, None, given.pop("image_size", None))
    check_can_save()  # nothing is sent when the answer could not be kept
    client = state().client()
    body = openai_wire.chat_body(info.id, contents, want_text="TEXT" in modalities)
    url = openai_url(client.settings, "chat/completions")

    async def turn() -> ParsedResponse:
        return openai_wire.parse_chat_completion(await client.post_json(url, body, on_retry=on_retry, model_id=info.id))

    return await _answer(
        [turn() for _ in range(n)],
        wanted=n,
        prompt=prompt,
        model=info.id,
        parameters=parameters,
        seed=seed,
        settings=client.settings,
        location="",
        spend=_Spend.for_call(state(), info, session=str(parameters.get("session") or "")),
    )


def _refuse_on_openai(info: ModelInfo, options: Mapping[str, Any], negative: Any, mask: Any, size: Any) -> None:
    """What an OpenAI-shaped route cannot carry is refused before sending, by name."""
    if info.family != "gemini":
        raise InvalidRequest(
            f"{info.id} is an Imagen model; the openai backend sends Gemini image models only "
            "(gemini-nano-banana-2.1, ...)."
        )
    dropped = sorted(name for name, value in options.items() if name not in OPENAI_OPTIONS and value is not None)
    dropped += [name for name, value in (("negative_prompt", negative), ("mask", mask), ("image_size", size)) if value]
    if dropped:
        raise InvalidRequest(
            f"{', '.join(dropped)} cannot go through an OpenAI-shaped gateway route (it carries prompt, n, images "
            "and aspect ratio only); use backend='litellm' (the proxy's pass-through keeps every option), or "
            "leave them out."
        )


def _refuse_unrecorded(prompt: str, info: ModelInfo, parameters: Mapping[str, Any], per_call: str | None,
                       dry_run: bool) -> None:  # fmt: skip
    """``replay="only"`` on a request that cannot be replayed (Imagen, an upscale, an OpenAI-shaped route)."""
    if not dry_run and replay.mode(state().settings(), per_call) == "only":
        raise replay.not_recorded(prompt, info.id, parameters, state().store(),
                                  why="cannot be answered from the store (only Gemini :generateContent requests are)")


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
    spend: _Spend,
    keys: Sequence[str] = (),
    inputs: Mapping[str, Sequence[str]] | None = None,
) -> Answer:
    """Run the calls, charge what they cost, save what came; raise the first failure (with ``.partial`` when
    some images came). ``keys``: each call's replay key; each answer is recorded under its own."""
    outcomes = await _every_call(calls)
    parsed_list = [outcome for outcome in outcomes if isinstance(outcome, ParsedResponse)]
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    for number, outcome in enumerate(outcomes):
        if isinstance(outcome, Exception) and _maybe_billed(outcome):
            spend.charge_attempt(number)  # the last attempt of a request that failed for good
    answers = [spend.answer_cost(outcome, number) for number, outcome in enumerate(outcomes)
               if isinstance(outcome, ParsedResponse)]  # fmt: skip
    answered = [keys[number] for number, outcome in enumerate(outcomes)
                if isinstance(outcome, ParsedResponse) and number < len(keys)]  # fmt: skip
    charge = spend.charge_call(answers, answered)  # written with the images: one commit
    error = errors[0] if errors else None
    if error is not None and not parsed_list:
        raise error  # no answer, so nothing charged for one
    parsed = joined_responses(parsed_list)
    image_costs = [cost.scaled(1 / len(one.images)) for one, cost in zip(parsed_list, answers) for _ in one.images]
    image_keys = [key for one, key in zip(parsed_list, answered) for _ in one.images]
    kept = functools.partial(_answers_of, parsed_list, answered, answers, prompt=prompt, model=model,
                             inputs=inputs or {}) if answered else None  # fmt: skip
    # The disk work (hashing, metadata, writes, fsyncs) runs in a worker thread while other requests are in
    # flight on the loop, so they go on meanwhile; alone, it runs here (a thread hop costs more than it saves).
    # Either way the images are on disk when this returns, before anyone sees them, with the call's charge and
    # its answers for replay in the same commit.
    save = functools.partial(
        saved_image_set, parsed, prompt=prompt, model=model, parameters=parameters, seed=seed, settings=settings,
        location=location, image_costs=image_costs, cost=total([*answers, *spend.attempts]), replay_keys=image_keys,
        charge=charge, answers=kept,
    )  # fmt: skip
    result = await asyncio.to_thread(save) if state().busy() else save()
    if error is not None:
        raise _partly_failed(error, result, wanted)
    return Answer(result, parsed)


def _answers_of(parsed_list: Sequence[ParsedResponse], keys: Sequence[str], costs_of: Sequence[Cost],
                images: Sequence[GeneratedImage], *, prompt: str, model: str,
                inputs: Mapping[str, Sequence[str]]) -> list[RecordedAnswer]:  # fmt: skip
    """Each answer to keep under its request's key (``core.replay``), given the call's saved images in order."""
    kept = []
    start = 0
    for parsed, key, cost in zip(parsed_list, keys, costs_of):
        mine = images[start : start + len(parsed.images)]
        start += len(parsed.images)
        kept.append(replay.answer(key, parsed, mine, model=model, prompt=prompt, cost=cost, inputs=inputs.get(key, ())))
    return kept


def _maybe_billed(error: Exception) -> bool:
    """A request that failed for good after the model may have run: a 5xx, a timeout, a dropped connection."""
    if isinstance(error, APIError):
        return error.code is not None and error.code >= 500  # None: a local failure (a token refresh), never billed
    if isinstance(error, TransportError):  # the httpx error is the cause; only its name is needed here
        return type(error.__cause__).__name__ in ("ReadTimeout", "WriteTimeout", "ReadError", "RemoteProtocolError")
    return False


async def _every_call(calls: Sequence[Awaitable[ParsedResponse]]) -> list[ParsedResponse | Exception]:
    """Run the calls together to their end: each one's answer or failure, in order.

    Waiting for all of them (rather than stopping at the first failure) is what lets images that were
    already made, and billed, be saved. Cancellation is not a failure: it propagates at once.
    """
    if len(calls) == 1:  # one request (the usual call): awaited here; a task around it costs a loop turn more
        try:
            return [await calls[0]]
        except Exception as error:
            return [error]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # CancelledError, KeyboardInterrupt
    return list(outcomes)


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
        **request.provenance,
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
    image_costs: Sequence[Cost | None] = (),
    cost: Cost | None = None,
    replay_keys: Sequence[str] = (),
    charge: Charge | None = None,
    answers: AnswersOf | None = None,
) -> ImageSet:
    """The images of a response with their provenance, each saved to disk before anyone sees it.

    One place for one-shot calls and ``ImageSession`` turns; ``None`` parameters are left out.
    ``image_costs`` is each image's cost (in order), ``cost`` the whole call's. ``charge`` (already in the
    kernel's account) and ``answers`` (for replay) are written in the same commit as the images; when the
    images cannot be (all) saved, the charge is written on its own and the saved images' answers too.
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
            cost=image_costs[index] if index < len(image_costs) else None,
            replay_key=replay_keys[index] if index < len(replay_keys) else "",
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
        cost=cost,
    )
    store = state().store()
    committed = False
    try:
        saved = store.save_all(result, charge=None if charge is None else charge.as_dict(), answers=answers)
        committed = True
        return saved
    except StorageError as exc:  # the answer came and was paid for: keep the images in memory, say how to save them
        kept = getattr(exc, "partial", None) or result  # those that could be saved have their path
        if answers is not None and any(image.path for image in kept):
            try:
                store.write_replay(answers(kept.images))
            except VertexImageError as failure:  # the images are saved; only a later replay of these requests is lost
                logger.warning("vertex-image: an answer could not be recorded for replay: %s", failure)
        return replace(kept, notices=(*kept.notices, unsaved_notice(exc)))
    finally:  # the commit did not happen (a full disk, Ctrl-C, a bug): what the call cost is written on its own
        if charge is not None and not committed:
            state().ledger.write(charge)  # a store that refuses it logs why; the account keeps it


def unsaved_notice(error: StorageError) -> str:
    """The one line of a result whose images could not (all) be saved: why, how many, and how to save them."""
    reason = str(getattr(error, "reason", None) or error).split(". Choose another folder", 1)[0].rstrip(".")
    partial = getattr(error, "partial", None)
    unsaved = sum(1 for image in partial if not image.path) if partial is not None else None
    which = f"{unsaved} of {len(partial)} images are" if partial is not None and len(partial) > 1 else "the images are"
    return (f"not saved: {reason[:1].lower() + reason[1:]}. {which[:1].upper() + which[1:]} kept in memory only: "
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
