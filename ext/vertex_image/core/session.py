"""``ImageSession``: a multi-turn Gemini image conversation, kept the way the API requires.

Each exchange is kept as sent and received: the user turn as sent, the model turn verbatim (thought
parts, ``thoughtSignature``s, images with their original base64 text and mime type), so that the
next request replays it unchanged (WIRE.md §5.4). A failed or blocked turn is not recorded. The
session is written to disk with every turn (JSON that refers to image files, never embeds them),
so a new kernel can resume it exactly.

Every change (turn, undo, reset) writes the session file of the new state first and only then takes
it in memory: when the file cannot be written, memory and disk both stay as they were and the error
says so. Bad input (a prompt that is not text, a bad name, a default option the model refuses) is
refused before anything changes.

Two kernels may use one session name on one folder. Each write takes an advisory lock on the session's
``.lock`` file (``fcntl.flock``: released by the kernel when its process dies, so a killed writer never leaves
it stuck) and first reads what is on disk: when another process recorded turns since this kernel read or
wrote the file, a new turn is added after those turns (memory takes them in too, with a one-line notice
naming the other process) instead of writing over them; an undo or reset is refused instead. A lock held
longer than ``LOCK_WAIT_S`` is reported with its holder (pid, host, since when) and the turn is kept in memory.

Whoever shows a session (the panel) follows it with ``subscribe``: the callback runs after every
recorded turn, undo and reset, whichever thread or magic made it, and never for a failed turn.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..base.errors import CHOOSE_OUTPUT_DIR, InvalidRequest, StorageError, VertexImageError
from ..base.imageinfo import sniff_mime_type
from ..base.models import check_lifecycle, resolve_model, validate_options
from ..base.notify import Subscribers, Unsubscribe
from ..base.pricing import Cost, total
from ..base.values import ParsedResponse
from ..results.files import atomic_write, os_reason
from ..results.images import EXTENSIONS, GeneratedImage, ImageSet
from ..results.store import read_metadata, strip_metadata
from ..wire import gemini
from .costs import DryRun, check_max_cost
from .inputs import IMAGE_LIMIT_BYTES, REQUEST_LIMIT_BYTES, check_input_sizes, to_image_inputs
from .model_choice import choose_model
from .operations import check_option_names, generate_content
from .registry import state

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one kernel per session name there
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1
LOCK_WAIT_S = 10.0  # a session file is written in milliseconds: a lock held longer is another process stuck
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# The history a turn carries back stays within the request limits of core.inputs (one place for them): the
# whole request per dialect, and one inline part (Vertex: 7 MB; the Gemini API: the whole request's).
INLINE_PART_LIMIT_BYTES = {
    "gemini-api": REQUEST_LIMIT_BYTES["gemini-api"],
    "vertex": IMAGE_LIMIT_BYTES[("vertex", "gemini")],
}
_BODY_OVERHEAD_BYTES = 4096  # generationConfig, tools, JSON punctuation
_TURN_OPTIONS = ("model", "text", "seed", "aspect_ratio", "image_size")  # taken by the session itself


@dataclass
class Exchange:
    """One user turn and the model turn that answered it."""

    user: dict[str, Any]
    model: dict[str, Any]
    prompt: str
    images: list[GeneratedImage] = field(default_factory=list)
    text: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    response_id: str = ""
    cost: Cost | None = None  # what the turn cost (its answer, and failed attempts that may have been billed)

    def wire_size(self) -> int:
        """Bytes this exchange adds to a request body."""
        return len(json.dumps([self.user, self.model], separators=(",", ":")))

    def largest_inline_part(self) -> int:
        """Decoded size of the largest inline image in this exchange."""
        sizes = [len(part_data) * 3 // 4 for part_data in _inline_b64_strings([self.user, self.model])]
        return max(sizes, default=0)


@dataclass(frozen=True)
class SendResult:
    """What ``send`` returns beside the images: how much history the request carried."""

    images: ImageSet
    exchanges_sent: int
    exchanges_left_out: int


class ImageSession:
    """A Gemini image conversation: ``send`` a prompt, then refine with follow-ups.

    Args:
        model: a Gemini image model id or alias (default: the configured Gemini default).
        name: the session's name in the registry and on disk (default ``default``).
        aspect_ratio, image_size, temperature, seed, text, google_search: defaults for every turn.
    """

    def __init__(self, model: str | None = None, name: str | None = None, **options: Any) -> None:
        name = check_session_name("default" if name is None or name == "" else name)
        if model is not None and not isinstance(model, str):
            raise InvalidRequest(f"model must be a model id or alias (text), not {type(model).__name__}.")
        settings = state().settings()
        info = check_lifecycle(
            resolve_model(model or settings.default_gemini_model), settings.speaks, policy=settings.retired_models
        ).info
        if info.family != "gemini":
            raise InvalidRequest(
                f"{info.id} is an Imagen model; conversations need a Gemini image model "
                "(nano-banana, nano-banana-pro, nano-banana-2)."
            )
        _check_option_names(options)
        # the defaults of every turn, checked now as a turn would check them (so a bad value fails here,
        # not at every later send)
        _body_options(info, options, dialect=state().settings().speaks, check_body=True)
        self.name = name
        self.model = info.id
        self.options: dict[str, Any] = dict(options)
        self.exchanges: list[Exchange] = []
        self.last_left_out = 0
        self._turn_lock: tuple[asyncio.AbstractEventLoop | None, asyncio.Lock] = (None, asyncio.Lock())
        self._subscribers = Subscribers()
        self._register_on_commit = False  # set by ``named_sessions``: take the name on the first recorded turn
        self._may_replace = False  # set for a session started over: its first write replaces the file on disk
        self._disk_digest: str | None = None  # the session file as this kernel last read or wrote it

    # followers ------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[ImageSession, str], Any]) -> Unsubscribe:
        """Call ``callback(session, change)`` after each change; returns the function that stops it.

        ``change`` is ``"turn"`` (a turn was recorded), ``"undo"`` or ``"reset"``; a failed or
        blocked turn changes nothing and calls nothing. The callback runs on the thread that made
        the change (the runtime loop's for a turn), so it must be quick and must not wait for the
        runtime. It is held weakly: a bound method does not keep its object alive; keep a plain
        function alive yourself. Its exceptions are logged at debug level and otherwise ignored.
        """
        return self._subscribers.add(callback)

    def _commit(
        self,
        change: str,
        exchanges: list[Exchange],
        *,
        model: str | None = None,
        left_out: int | None = None,
        not_done: str,
        keep_unsaved: bool = False,
    ) -> tuple[StorageError | None, str]:
        """Make ``exchanges`` the session's: the file first, then memory, then the followers; returns the error
        of a file that could not be written (``keep_unsaved``) and the notice of turns another process added.

        If the file cannot be written (the folder is a file, the disk is full...), nothing changes in
        memory, the file keeps its old content (it is replaced atomically) and a one-line error saying
        ``not_done`` propagates (an ``OSError`` becomes a ``StorageError``). A session made to take
        its name on its first turn (``named_sessions``) is put in the registry here, once it is recorded.
        With ``keep_unsaved`` (a turn that was paid for) a file that cannot be written does not stop
        the change: it is made in memory and the ``StorageError`` is returned instead of raised.
        """
        model = model or self.model
        unsaved, notice = None, ""
        try:
            exchanges, notice = self._write_own_file(exchanges, model, not_done, merge=change == "turn")
        except StorageError as exc:
            if not keep_unsaved:
                raise
            unsaved = exc
        self.exchanges[:] = exchanges  # the same list: whoever holds it sees the change
        self.model = model
        if left_out is not None:
            self.last_left_out = left_out
        if self._register_on_commit:
            self._register_on_commit = False
            state().sessions[self.name] = self
        self._subscribers.notify(self, change)
        return unsaved, notice

    # the conversation -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.exchanges)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.exchanges)

    @property
    def last_image(self) -> GeneratedImage | None:
        """The newest image of the conversation (what a follow-up edits)."""
        for exchange in reversed(self.exchanges):
            if exchange.images:
                return exchange.images[-1]
        return None

    @property
    def cost(self) -> Cost | None:
        """What the recorded turns cost together (None before the first turn, or for turns from before costs)."""
        return total(exchange.cost for exchange in self.exchanges)

    def send(
        self, prompt: str, images: Any = None, *, dry_run: bool = False, max_cost: float | None = None,
        replay: str | None = None, **options: Any,
    ) -> ImageSet | DryRun:  # fmt: skip
        """Send the next turn and return its images (also recorded in the session).

        The turn's cost is on the result (``.cost``) and on the exchange; the request replays the history, so
        each turn costs more than the last. ``dry_run=True`` sends nothing and records nothing: it returns
        the request the turn would send (``DryRun``: history included, no secret, image base64 shortened),
        its size and its estimated cost. ``max_cost`` refuses the turn when its estimate is over it.
        ``replay`` (``off``/``auto``/``only``; default the setting) answers a recorded turn from the store: the
        same images and model turn, signatures included, so the conversation goes on live afterwards.

        Raises the library's typed errors; on any error or block the session is unchanged.
        """
        result = state().runtime().run(
            self.asend_detailed(prompt, images, dry_run=dry_run, max_cost=max_cost, replay=replay, **options)
        )
        return result if isinstance(result, DryRun) else result.images

    async def asend(
        self, prompt: str, images: Any = None, *, dry_run: bool = False, max_cost: float | None = None,
        replay: str | None = None, **options: Any,
    ) -> ImageSet | DryRun:  # fmt: skip
        """``send`` for async code."""
        result = await state().runtime().arun(
            self.asend_detailed(prompt, images, dry_run=dry_run, max_cost=max_cost, replay=replay, **options)
        )
        return result if isinstance(result, DryRun) else result.images

    async def asend_detailed(
        self,
        prompt: str,
        images: Any = None,
        *,
        on_retry: Any = None,
        dry_run: bool = False,
        max_cost: float | None = None,
        replay: str | None = None,
        **options: Any,
    ) -> SendResult | DryRun:
        """Send a turn on the runtime loop; returns the images and how much history went along.

        Turns of one session run one after the other (a magic and the panel may send at once):
        each carries the exchanges recorded before it.
        """
        loop = asyncio.get_running_loop()
        if self._turn_lock[0] is not loop:  # a lock serves one loop; the registry may have made a new one
            self._turn_lock = (loop, asyncio.Lock())
        async with self._turn_lock[1]:
            return await self._send_turn(prompt, images, on_retry, options, dry_run=dry_run, max_cost=max_cost,
                                         replay=replay)  # fmt: skip

    async def _send_turn(
        self, prompt: str, images: Any, on_retry: Any, options: dict[str, Any], *, dry_run: bool = False,
        max_cost: float | None = None, replay: str | None = None,
    ) -> SendResult | DryRun:  # fmt: skip
        """Check the turn, send it with the history that fits (``operations.generate_content``: the same
        operation as a one-shot call), and record the exchange when an image came."""
        if not isinstance(prompt, str):
            raise InvalidRequest(f"The prompt must be text (a str), not {type(prompt).__name__}.")
        kernel = state()
        dialect = kernel.settings().speaks
        turn_options = {**self.options, **{k: v for k, v in options.items() if v is not None}}
        _check_option_names(turn_options)
        model_name = turn_options.pop("model", None)
        if model_name is not None and not isinstance(model_name, str):
            raise InvalidRequest(f"model must be a model id or alias (text), not {type(model_name).__name__}.")
        chosen = choose_model(model_name or self.model, kernel.settings(), options=list(turn_options))
        info = chosen.info
        inputs = to_image_inputs(images, dialect=dialect)
        check_input_sizes(inputs, family=info.family, dialect=dialect)
        if not prompt.strip() and not inputs:
            raise InvalidRequest("The prompt is empty: write what to draw or change.")
        body_options = _body_options(
            info,
            turn_options,
            dialect=dialect,
            input_images=len(inputs) + (1 if self.last_image is not None else 0),
            edit=bool(inputs) or bool(self.exchanges),
        )
        user = gemini.user_content(prompt, inputs)
        history, left_out = self._history_within_budget(user, dialect)
        seed = body_options.pop("seed", None)
        turn_options = {k: v for k, v in turn_options.items() if k not in _TURN_OPTIONS}
        parameters = {
            "session": self.name,
            "turn": len(self.exchanges) + 1,
            "aspect_ratio": body_options.get("aspect_ratio"),
            "image_size": body_options.get("image_size"),
            "seed": seed,
            "input_images": len(inputs) or None,
            "history_left_out": left_out or None,
            **turn_options,
        }
        check_max_cost(max_cost)
        answer = await generate_content(
            info, [*history, user], prompt=prompt, parameters=parameters, seed=seed, on_retry=on_retry,
            dry_run=dry_run, max_cost=max_cost, session=self.name, replay_mode=replay, **body_options,
        )  # fmt: skip
        if isinstance(answer, DryRun):
            return answer
        result, parsed = answer.images, answer.parsed
        if chosen.notice:
            result = replace(result, notices=(*result.notices, chosen.notice))
        if result.images and parsed.model_content:
            unsaved, merged = self._record_turn(user, prompt, result, parsed, info.id, left_out)
            if merged:
                result = replace(result, notices=(*result.notices, merged))
            if unsaved is not None:
                result = replace(result, notices=(*result.notices, _unsaved_turn(unsaved, self.name)))
        return SendResult(result, len(history) // 2, left_out)

    def _record_turn(
        self, user: dict[str, Any], prompt: str, result: ImageSet, parsed: ParsedResponse, model: str, left_out: int
    ) -> tuple[StorageError | None, str]:
        """Keep the exchange as sent and received (the model turn verbatim), the file first."""
        exchange = Exchange(
            user=user,
            model=copy.deepcopy(parsed.model_content),
            prompt=prompt,
            images=list(result.images),
            text=parsed.text,
            options=dict(result.images[0].parameters),
            response_id=parsed.response_id,
            cost=result.cost,
        )
        return self._commit(
            "turn",
            [*self.exchanges, exchange],
            model=model,
            left_out=left_out,
            not_done="the turn is kept in memory only",
            keep_unsaved=True,  # paid for: the conversation goes on in memory
        )

    def _history_within_budget(self, user: dict[str, Any], dialect: str) -> tuple[list[dict[str, Any]], int]:
        """The newest complete exchanges that fit the request limits, and how many were left out."""
        limit = REQUEST_LIMIT_BYTES.get(dialect, REQUEST_LIMIT_BYTES["vertex"])
        part_limit = INLINE_PART_LIMIT_BYTES.get(dialect, INLINE_PART_LIMIT_BYTES["vertex"])
        budget = limit - _BODY_OVERHEAD_BYTES - len(json.dumps(user, separators=(",", ":")))
        kept: list[Exchange] = []
        for exchange in reversed(self.exchanges):
            if exchange.largest_inline_part() > part_limit:
                break
            size = exchange.wire_size()
            if size > budget:
                break
            budget -= size
            kept.append(exchange)
        kept.reverse()
        history = [content for exchange in kept for content in (exchange.user, exchange.model)]
        return history, len(self.exchanges) - len(kept)

    def request_contents(self, prompt: str) -> list[dict[str, Any]]:
        """The ``contents`` the next request would carry for ``prompt`` (for inspection and tests)."""
        user = gemini.user_content(prompt)
        history, _ = self._history_within_budget(user, state().settings().speaks)
        return [*history, user]

    def undo(self) -> Exchange:
        """Remove the last exchange and return it."""
        if not self.exchanges:
            raise InvalidRequest(f"Session {self.name!r} has no turn to undo.")
        exchange = self.exchanges[-1]
        self._commit("undo", self.exchanges[:-1], not_done="nothing was undone")
        return exchange

    def reset(self) -> None:
        """Forget every exchange (the images stay on disk)."""
        self._commit("reset", [], not_done="nothing was reset")

    def branch(self, name: str, *, replace: bool = False) -> ImageSession:
        """A copy of this session under a new name; the two then go their own ways.

        A name that a session already has (in memory or on disk) is refused unless ``replace``; the
        copy is saved before it takes the name, so a failed save changes nothing.
        """
        name = check_session_name(name)
        if name == self.name:
            raise InvalidRequest(f"A branch needs a name other than {name!r}, the session's own.")
        if not replace:
            refuse_existing(name, "branch")
        clone = ImageSession(model=self.model, name=name, **self.options)
        clone._may_replace = replace
        clone.exchanges = [copy.deepcopy(exchange) for exchange in self.exchanges]
        clone._write_own_file(clone.exchanges, clone.model, "no branch was made")
        state().sessions[name] = clone
        return clone

    # persistence ----------------------------------------------------------------------------
    def default_path(self) -> Path:
        """Where the session is written after every turn."""
        return session_path(self.name)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the session as JSON; inline images go to content-addressed files beside it."""
        if path is None:
            self._write_own_file(self.exchanges, self.model, "the session was not saved")
            return self.default_path()
        target = Path(path)
        self._write(target, self.exchanges, self.model)
        return target

    def _write_own_file(
        self, exchanges: list[Exchange], model: str, not_done: str, *, merge: bool = False
    ) -> tuple[list[Exchange], str]:
        """Write the session file in the store for this state; a failure is one line saying ``not_done``.

        Under the session's lock: when the file changed on disk since this kernel last read or wrote it
        (another process recorded turns), ``merge`` writes those turns followed by the ones of ``exchanges``
        the file lacks, and returns them with a notice; without ``merge`` the write is refused. Returns what
        was written and the notice ("" when nothing was taken in).
        """
        path = self.default_path()
        notice, refusal = "", ""
        try:
            with _session_lock(path, self.name):
                current = path.read_bytes() if path.is_file() else None
                if current is not None and _digest(current) != self._disk_digest and not self._may_replace:
                    if not merge:
                        refusal = _writer_of(current)
                    else:
                        exchanges, notice = self._merged(path, current, exchanges)
                if not refusal:
                    written = self._write(path, exchanges, model)
                    self._disk_digest, self._may_replace = _digest(written), False
        except Exception as exc:
            error = _save_failed(exc, self.name, path, not_done)
            if error is exc:
                raise
            raise error from exc
        if refusal:
            raise InvalidRequest(
                f"Session {self.name!r} was changed on disk by {refusal} since this kernel read it; {not_done}. "
                f"Read its turns in first: %gemini_image load {self.name}."
            )
        return exchanges, notice

    def _merged(self, path: Path, current: bytes, exchanges: list[Exchange]) -> tuple[list[Exchange], str]:
        """The turns on disk followed by those of ``exchanges`` the disk lacks, and the notice naming who added them."""
        writer = _writer_of(current)
        try:
            theirs = ImageSession.load(path, name=self.name).exchanges
        except VertexImageError as exc:  # damaged, or from a newer version: never written over
            raise StorageError(
                f"{path} changed on disk ({writer}) and cannot be read to keep its turns ({exc}); "
                "it is not written over",
                path=os.fspath(path),
            ) from None
        seen = {_exchange_key(exchange) for exchange in theirs}
        ours = [exchange for exchange in exchanges if _exchange_key(exchange) not in seen]
        known = {_exchange_key(exchange) for exchange in self.exchanges}
        added = [exchange for exchange in theirs if _exchange_key(exchange) not in known]
        if not added:
            return [*theirs, *ours], ""
        return [*theirs, *ours], (
            f"session {self.name!r} is also used by {writer}; the {_count(len(added), 'turn')} it recorded "
            "meanwhile kept before this one (in memory and on disk)"
        )

    def _write(self, target: Path, exchanges: list[Exchange], model: str) -> bytes:
        """Write the session file for ``exchanges`` and ``model`` (not necessarily the ones in memory yet)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        blobs = target.parent / "blobs"
        document = {
            "format": "vertex-image-session",
            "version": FORMAT_VERSION,
            "name": self.name,
            "model": model,
            "options": self.options,
            "written_by": _this_process(),
            "exchanges": [
                {
                    "prompt": ex.prompt,
                    "text": ex.text,
                    "options": ex.options,
                    "response_id": ex.response_id,
                    "cost": ex.cost.as_dict() if ex.cost is not None else None,
                    "images": [_image_record(image) for image in ex.images],
                    "user": _externalize(ex.user, blobs, target.parent),
                    "model": _externalize(ex.model, blobs, target.parent),
                }
                for ex in exchanges
            ],
        }
        data = json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8")
        atomic_write(target, data)
        return data

    @classmethod
    def load(cls, path: str | os.PathLike[str], name: str | None = None) -> ImageSession:
        """Read a session written by ``save``; every image and signature comes back as it was."""
        source = Path(path)
        if not source.is_file():
            raise InvalidRequest(f"No session file at {source}.")
        try:
            raw = source.read_bytes()
            document = json.loads(raw)
        except (OSError, ValueError) as exc:
            raise InvalidRequest(f"{source} is not a vertex-image session file ({exc}).") from None
        if not isinstance(document, dict) or document.get("format") != "vertex-image-session":
            raise InvalidRequest(f"{source} is not a vertex-image session file.")
        if not isinstance(document.get("version"), int) or document["version"] > FORMAT_VERSION:
            raise InvalidRequest(f"{source} was written by a newer vertex-image; upgrade it to load this session.")
        try:
            session = cls(model=document["model"], name=name or document["name"])
            options = document.get("options", {})
            _check_option_names(options)  # the values were checked when the session was made; each turn checks again
            session.options = dict(options)
            for record in document["exchanges"]:
                session.exchanges.append(
                    Exchange(
                        user=_internalize(record["user"], source.parent),
                        model=_internalize(record["model"], source.parent),
                        prompt=record["prompt"],
                        images=[_load_image(item, source.parent) for item in record.get("images", [])],
                        text=record.get("text", ""),
                        options=record.get("options", {}),
                        response_id=record.get("response_id", ""),
                        cost=Cost.from_dict(record.get("cost")),  # None in a file from before costs
                    )
                )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidRequest(f"{source} is a damaged session file (at {exc!r}); it cannot be resumed.") from None
        if _same_file(source, session.default_path()):
            session._disk_digest = _digest(raw)  # what this kernel knows of its own file
        return session

    def __repr__(self) -> str:
        count, cost = len(self.exchanges), self.cost
        spent = f", {cost.text}" if cost is not None else ""
        return f"ImageSession({self.name!r}, {self.model}, {count} {'turn' if count == 1 else 'turns'}{spent})"


# names and files ------------------------------------------------------------------------------
def sessions_folder() -> Path:
    """The store's folder of saved sessions (it may not exist yet)."""
    return Path(state().settings().output_dir) / "sessions"


def session_path(name: str) -> Path:
    """Where the session ``name`` is saved (the file may not exist)."""
    return sessions_folder() / f"{name}.json"


@contextmanager
def _session_lock(path: Path, name: str) -> Iterator[None]:
    """Hold the advisory lock of the session file ``path`` (its ``.lock`` file says who holds it).

    ``flock`` is released by the operating system when the holder's process ends, even by ``kill -9``,
    so a dead holder never blocks; a live one holding it past ``LOCK_WAIT_S`` is named in a StorageError.
    """
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + LOCK_WAIT_S
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        holder = _writer_of(os.pread(fd, 4096, 0))
                        raise StorageError(
                            f"Session {name!r} is locked by {holder} for over {LOCK_WAIT_S:g} s; "
                            "use another session name in this kernel (-S NAME) or stop that process",
                            path=os.fspath(lock_path),
                        ) from None
                    time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"written_by": _this_process()}).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _this_process() -> dict[str, Any]:
    """Who writes: enough to find the other kernel (no secret: a process id, a host name, a time)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return {"pid": os.getpid(), "host": socket.gethostname(), "at": now}


def _writer_of(raw: bytes) -> str:
    """``pid N on HOST (at T)`` read from a session or lock file; ``another process`` when it does not say."""
    try:
        who = json.loads(raw).get("written_by") or {}
        pid, host, at = int(who["pid"]), str(who["host"])[:64], str(who.get("at", ""))[:32]
    except (ValueError, TypeError, KeyError, AttributeError):
        return "another process"
    notes = [note for note in ("this process" if (pid, host) == (os.getpid(), socket.gethostname()) else "",
                               f"at {at}" if at else "") if note]  # fmt: skip
    return f"process {pid} on {host}" + (f" ({', '.join(notes)})" if notes else "")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, ValueError):
        return False


def _exchange_key(exchange: Exchange) -> tuple[Any, ...]:
    """What tells one recorded turn from another, whichever kernel recorded it.

    The service's response id names the answer; the images' content ids are not used beside it, because an
    image that could not be saved is kept in memory only: the file names no file for it and reads it back
    without bytes (no id), and the turn would then seem new at every merge. Without a response id (files of
    old versions) the images' ids tell turns apart.
    """
    if exchange.response_id:
        return (exchange.response_id, exchange.prompt, len(exchange.images))
    return (None, exchange.prompt, tuple(image.id for image in exchange.images))


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def refuse_existing(name: str, action: str, hint: str = "") -> None:
    """InvalidRequest if a session called ``name`` is in memory or on disk (``action`` would replace it)."""
    where = [place for place, found in (("in memory", name in state().sessions),
                                        ("on disk", session_path(name).is_file())) if found]
    if where:
        raise InvalidRequest(
            f"A session named {name!r} exists already ({' and '.join(where)}); {action} would replace it: "
            f"{hint or 'pick another name'}."
        )


def check_session_name(name: Any) -> str:
    """``name`` if it can name a session (and its file); else a one-line InvalidRequest."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        shown = repr(name) if isinstance(name, str) else f"{name!r} ({type(name).__name__})"
        raise InvalidRequest(
            f"Session name {shown} is not allowed; use text of letters, digits, '_', '-' or '.' (up to 64)."
        )
    return name


def _check_option_names(options: dict[str, Any]) -> None:
    check_option_names("gemini", {k: v for k, v in options.items() if k not in _TURN_OPTIONS})


def _body_options(
    info: Any,
    options: dict[str, Any],
    *,
    dialect: str,
    input_images: int = 0,
    edit: bool = False,
    check_body: bool = False,
) -> dict[str, Any]:
    """The keyword arguments of ``gemini.build_generate_content_body`` for a turn with ``options``.

    One check for a turn and for a session's defaults: ``models.validate_options`` for what the
    model takes, then (``check_body``) a throw-away body, so the wire builder checks its own values.
    """
    rest = {k: v for k, v in options.items() if k not in ("model", "text")}
    validate_options(
        info,
        aspect_ratio=rest.get("aspect_ratio"),
        image_size=rest.get("image_size"),
        seed=rest.get("seed"),
        input_images=input_images,
        search=rest.get("google_search"),
        edit=edit,
        dialect=dialect,
        thinking=rest.get("thinking"),
        temperature=rest.get("temperature"),
        output_mime_type=rest.get("output_mime_type"),
    )
    rest["thinking_level"] = rest.pop("thinking", None)
    body_options = {"response_modalities": ("TEXT", "IMAGE") if options.get("text") else ("IMAGE",), **rest}
    if check_body:
        gemini.build_generate_content_body([gemini.user_content("check")], dialect=dialect, **body_options)
    return body_options


def _unsaved_turn(error: StorageError, name: str) -> str:
    """The notice of a turn recorded in memory only: why, and how to write the session elsewhere."""
    return (f"{str(error).split(' Free the folder', 1)[0]} Write it elsewhere with "
            f"%gemini_image save PATH -S {name} (or session.save(PATH)).")


def _save_failed(exc: Exception, name: str, path: Path, not_done: str) -> Exception:
    """The error for a session file that could not be written: one line, what failed, what did not happen.

    An ``OSError`` becomes a ``StorageError`` (its reason in words, how to choose another folder);
    our typed errors keep their class and attributes; any other error is returned as it is.
    """
    what = f"Cannot save session {name!r} to {path}"
    if isinstance(exc, OSError):
        return StorageError(
            f"{what}: {os_reason(exc, path.parent)}; {not_done}. Free the folder or choose another one: "
            f"{CHOOSE_OUTPUT_DIR}.",
            path=os.fspath(path.parent),
        )
    if isinstance(exc, VertexImageError):
        clone = copy.copy(exc)
        clone.message = f"{what}: {exc.message.rstrip('.')}; {not_done}."
        return clone
    return exc


def _inline_b64_strings(contents: list[dict[str, Any]]) -> Iterator[str]:
    for content in contents:
        for blob in gemini.inline_blobs(content):
            if isinstance(blob.get("data"), str):
                yield blob["data"]


def _externalize(content: dict[str, Any], blobs: Path, base: Path) -> dict[str, Any]:
    """A copy of a content whose inline image data is replaced by a file reference.

    The reference is used only when re-encoding the file gives back the exact same base64 text;
    otherwise (URL-safe or unpadded base64) the text is kept inline, so a replay stays byte-exact.
    """
    result = copy.deepcopy(content)
    for blob in gemini.inline_blobs(result):
        if not isinstance(blob.get("data"), str):
            continue
        text = blob["data"]
        try:
            data = base64.b64decode(text, validate=True)
        except ValueError:
            continue
        if base64.b64encode(data).decode("ascii") != text:
            continue
        mime_type = gemini.blob_mime_type(blob) or "application/octet-stream"
        file_path = _write_blob(blobs, data, mime_type)
        del blob["data"]
        blob["$file"] = os.path.relpath(file_path, base)
    return result


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (links resolved) lies inside ``folder``: a session file never reaches outside its own folders."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def _saved_image(path: Path) -> bool:
    """Whether ``path`` is an image file saved by a vertex-image store (its embedded id matches its bytes)."""
    try:
        raw = path.read_bytes() if path.is_file() else b""
    except OSError:
        return False
    if not sniff_mime_type(raw):
        return False
    recorded = read_metadata(raw).get("id")
    return bool(recorded) and recorded == GeneratedImage.from_bytes(strip_metadata(raw)).id


def _internalize(content: dict[str, Any], base: Path) -> dict[str, Any]:
    result = copy.deepcopy(content)
    for blob in gemini.inline_blobs(result):
        if "$file" in blob:
            reference = blob.pop("$file")
            file_path = base / reference if isinstance(reference, str) and "\0" not in reference else None
            if file_path is None or not _inside(file_path, base / "blobs"):
                raise InvalidRequest(
                    f"The session refers to {reference!r}, outside its own blobs folder ({base / 'blobs'}); "
                    "it is not read (a session file may only refer to its own images)."
                )
            try:
                blob["data"] = base64.b64encode(file_path.read_bytes()).decode("ascii")
            except OSError:
                raise InvalidRequest(
                    f"The session refers to {file_path}, which is missing; it cannot be resumed exactly."
                ) from None
    return result


def _write_blob(folder: Path, data: bytes, mime_type: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:24]
    path = folder / f"{digest}{EXTENSIONS.get(mime_type, '.bin')}"
    if not path.exists():
        atomic_write(path, data)
    return path


def _image_record(image: GeneratedImage) -> dict[str, Any]:
    return {"path": image.path, "mime_type": image.mime_type}


def _load_image(record: dict[str, Any], base: Path) -> GeneratedImage:
    path = record.get("path", "")
    if not isinstance(path, str) or "\0" in path:
        raise InvalidRequest(f"The session's image path {path!r} is not a file path; it is not read.")
    store = state().store()
    if path:
        candidate = Path(path) if os.path.isabs(path) else base / path
        if not (_inside(candidate, store.root) or _inside(candidate, base / "blobs") or _saved_image(candidate)):
            raise InvalidRequest(
                f"The session's image {path!r} is outside the image folder ({store.root}) and the session's "
                "blobs folder, and is not an image saved by vertex-image; it is not read."
            )
    try:
        return store.load(path)
    except Exception:  # noqa: BLE001 - a moved store still resumes; the image is then bytes-only
        candidate = Path(path) if os.path.isabs(path) else base / path
        data = candidate.read_bytes() if path and candidate.is_file() else b""
        if data and not sniff_mime_type(data):
            data = b""  # not an image: never read in as one
        return GeneratedImage.from_bytes(data, record.get("mime_type", ""), path=path)
