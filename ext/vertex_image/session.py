"""``ImageSession``: a multi-turn Gemini image conversation, kept the way the API requires.

Each exchange is kept as sent and received: the user turn as sent, the model turn verbatim (thought
parts, ``thoughtSignature``s, images with their original base64 text and mime type), so that the
next request replays it unchanged (WIRE.md §5.4). A failed or blocked turn is not recorded. The
session is written to disk after every turn (JSON that refers to image files, never embeds them),
so a new kernel can resume it exactly.

Whoever shows a session (the panel) follows it with ``subscribe``: the callback runs after every
recorded turn, undo and reset, whichever thread or magic made it, and never for a failed turn.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidRequest
from .images import EXTENSIONS, GeneratedImage, ImageSet
from .notify import Subscribers, Unsubscribe
from .store import atomic_write

FORMAT_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Request-size limits per dialect (WIRE.md §7): the Gemini API takes < 20 MB per request; Vertex
# takes 7 MB per inline image, and its whole-request limit is unconfirmed, so we keep 20 MB there too.
REQUEST_LIMIT_BYTES = {"gemini-api": 20 * 1024 * 1024, "vertex": 20 * 1024 * 1024}
INLINE_PART_LIMIT_BYTES = {"gemini-api": 20 * 1024 * 1024, "vertex": 7 * 1024 * 1024}
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
        from .models import resolve_model
        from .registry import state

        name = name or "default"
        if not _NAME_RE.match(name):
            raise InvalidRequest(
                f"Session name {name!r} is not allowed; use letters, digits, '_', '-' or '.' (up to 64)."
            )
        info = resolve_model(model or state().settings().default_gemini_model)
        if info.family != "gemini":
            raise InvalidRequest(
                f"{info.id} is an Imagen model; conversations need a Gemini image model "
                "(nano-banana, nano-banana-pro, nano-banana-2)."
            )
        _check_option_names(options)
        self.name = name
        self.model = info.id
        self.options: dict[str, Any] = dict(options)
        self.exchanges: list[Exchange] = []
        self.last_left_out = 0
        self._turn_lock: tuple[asyncio.AbstractEventLoop | None, asyncio.Lock] = (None, asyncio.Lock())
        self._subscribers = Subscribers()

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

    def _changed(self, change: str) -> None:
        """Write the session to disk and tell the followers (also when writing fails: memory changed)."""
        try:
            self._autosave()
        finally:
            self._subscribers.notify(self, change)

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

    def send(self, prompt: str, images: Any = None, **options: Any) -> ImageSet:
        """Send the next turn and return its images (also recorded in the session).

        Raises the library's typed errors; on any error or block the session is unchanged.
        """
        from .registry import state

        return state().runtime().run(self.asend_detailed(prompt, images, **options)).images

    async def asend(self, prompt: str, images: Any = None, **options: Any) -> ImageSet:
        """``send`` for async code."""
        from .registry import state

        return (await state().runtime().arun(self.asend_detailed(prompt, images, **options))).images

    async def asend_detailed(
        self, prompt: str, images: Any = None, *, on_retry: Any = None, **options: Any
    ) -> SendResult:
        """Send a turn on the runtime loop; returns the images and how much history went along.

        Turns of one session run one after the other (a magic and the panel may send at once):
        each carries the exchanges recorded before it.
        """
        loop = asyncio.get_running_loop()
        if self._turn_lock[0] is not loop:  # a lock serves one loop; the registry may have made a new one
            self._turn_lock = (loop, asyncio.Lock())
        async with self._turn_lock[1]:
            return await self._send_turn(prompt, images, on_retry, options)

    async def _send_turn(self, prompt: str, images: Any, on_retry: Any, options: dict[str, Any]) -> SendResult:
        from . import gemini
        from .api import saved_image_set
        from .inputs import to_image_inputs
        from .models import resolve_model, validate_options
        from .registry import state

        kernel = state()
        dialect = kernel.settings().speaks
        turn_options = {**self.options, **{k: v for k, v in options.items() if v is not None}}
        _check_option_names(turn_options)
        model_name = turn_options.pop("model", None)
        info = resolve_model(model_name or self.model)
        inputs = to_image_inputs(images, dialect=dialect)
        if not prompt.strip() and not inputs:
            raise InvalidRequest("The prompt is empty: write what to draw or change.")
        want_text = bool(turn_options.pop("text", False))
        seed = turn_options.pop("seed", None)
        aspect_ratio = turn_options.pop("aspect_ratio", None)
        image_size = turn_options.pop("image_size", None)
        validate_options(
            info,
            aspect_ratio=aspect_ratio,
            image_size=image_size,
            seed=seed,
            input_images=len(inputs) + (1 if self.last_image is not None else 0),
            search=bool(turn_options.get("google_search")),
            edit=bool(inputs) or bool(self.exchanges),
            dialect=dialect,
        )
        user = gemini.user_content(prompt, inputs)
        history, left_out = self._history_within_budget(user, dialect)
        body = gemini.build_generate_content_body(
            [*history, user],
            dialect=dialect,
            response_modalities=("TEXT", "IMAGE") if want_text else ("IMAGE",),
            aspect_ratio=aspect_ratio,
            image_size=image_size,
            seed=seed,
            **turn_options,
        )
        client = kernel.client()
        location = client.settings.location_for("gemini")
        raw = await client.generate_content(info.id, body, location=location, on_retry=on_retry)
        parsed = gemini.parse_generate_content_response(raw)
        parameters = {
            "session": self.name,
            "turn": len(self.exchanges) + 1,
            "aspect_ratio": aspect_ratio,
            "image_size": image_size,
            "seed": seed,
            "input_images": len(inputs) or None,
            "history_left_out": left_out or None,
            **turn_options,
        }
        result = saved_image_set(
            parsed, prompt=prompt, model=info.id, parameters=parameters, seed=seed, settings=client.settings,
            location=location,
        )
        if result.images and parsed.model_content:
            self.exchanges.append(
                Exchange(
                    user=user,
                    model=copy.deepcopy(parsed.model_content),
                    prompt=prompt,
                    images=list(result.images),
                    text=parsed.text,
                    options=dict(result.images[0].parameters),
                    response_id=parsed.response_id,
                )
            )
            self.model = info.id
            self.last_left_out = left_out
            self._changed("turn")
        return SendResult(result, len(history) // 2, left_out)

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
        from . import gemini
        from .registry import state

        user = gemini.user_content(prompt)
        history, _ = self._history_within_budget(user, state().settings().speaks)
        return [*history, user]

    def undo(self) -> Exchange:
        """Remove the last exchange and return it."""
        if not self.exchanges:
            raise InvalidRequest(f"Session {self.name!r} has no turn to undo.")
        exchange = self.exchanges.pop()
        self._changed("undo")
        return exchange

    def reset(self) -> None:
        """Forget every exchange (the images stay on disk)."""
        self.exchanges.clear()
        self._changed("reset")

    def branch(self, name: str) -> ImageSession:
        """A copy of this session under a new name; the two then go their own ways."""
        from .registry import state

        clone = ImageSession(model=self.model, name=name, **self.options)
        clone.exchanges = [copy.deepcopy(exchange) for exchange in self.exchanges]
        state().sessions[name] = clone
        clone._autosave()
        return clone

    # persistence ----------------------------------------------------------------------------
    def default_path(self) -> Path:
        """Where the session is written after every turn."""
        from .registry import state

        return Path(state().settings().output_dir) / "sessions" / f"{self.name}.json"

    def _autosave(self) -> None:
        self.save(self.default_path())

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the session as JSON; inline images go to content-addressed files beside it."""
        target = Path(path) if path is not None else self.default_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        blobs = target.parent / "blobs"
        document = {
            "format": "vertex-image-session",
            "version": FORMAT_VERSION,
            "name": self.name,
            "model": self.model,
            "options": self.options,
            "exchanges": [
                {
                    "prompt": ex.prompt,
                    "text": ex.text,
                    "options": ex.options,
                    "response_id": ex.response_id,
                    "images": [_image_record(image) for image in ex.images],
                    "user": _externalize(ex.user, blobs, target.parent),
                    "model": _externalize(ex.model, blobs, target.parent),
                }
                for ex in self.exchanges
            ],
        }
        atomic_write(target, json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"))
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str], name: str | None = None) -> ImageSession:
        """Read a session written by ``save``; every image and signature comes back as it was."""
        source = Path(path)
        if not source.is_file():
            raise InvalidRequest(f"No session file at {source}.")
        try:
            document = json.loads(source.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidRequest(f"{source} is not a vertex-image session file ({exc}).") from None
        if not isinstance(document, dict) or document.get("format") != "vertex-image-session":
            raise InvalidRequest(f"{source} is not a vertex-image session file.")
        if not isinstance(document.get("version"), int) or document["version"] > FORMAT_VERSION:
            raise InvalidRequest(f"{source} was written by a newer vertex-image; upgrade it to load this session.")
        try:
            session = cls(model=document["model"], name=name or document["name"], **document.get("options", {}))
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
                    )
                )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidRequest(f"{source} is a damaged session file (at {exc!r}); it cannot be resumed.") from None
        return session

    def __repr__(self) -> str:
        return f"ImageSession({self.name!r}, {self.model}, {len(self.exchanges)} turns)"


# helpers ----------------------------------------------------------------------------------------
def _check_option_names(options: dict[str, Any]) -> None:
    from .api import check_option_names

    check_option_names("gemini", {k: v for k, v in options.items() if k not in _TURN_OPTIONS})


def _inline_b64_strings(contents: list[dict[str, Any]]) -> Iterator[str]:
    for content in contents:
        for part in content.get("parts") or []:
            blob = part.get("inlineData") or part.get("inline_data")
            if isinstance(blob, dict) and isinstance(blob.get("data"), str):
                yield blob["data"]


def _externalize(content: dict[str, Any], blobs: Path, base: Path) -> dict[str, Any]:
    """A copy of a content whose inline image data is replaced by a file reference.

    The reference is used only when re-encoding the file gives back the exact same base64 text;
    otherwise (URL-safe or unpadded base64) the text is kept inline, so a replay stays byte-exact.
    """
    result = copy.deepcopy(content)
    for part in result.get("parts") or []:
        key = "inlineData" if "inlineData" in part else "inline_data" if "inline_data" in part else ""
        blob = part.get(key) if key else None
        if not isinstance(blob, dict) or not isinstance(blob.get("data"), str):
            continue
        text = blob["data"]
        try:
            data = base64.b64decode(text, validate=True)
        except ValueError:
            continue
        if base64.b64encode(data).decode("ascii") != text:
            continue
        mime_type = blob.get("mimeType") or blob.get("mime_type") or "application/octet-stream"
        file_path = _write_blob(blobs, data, mime_type)
        del blob["data"]
        blob["$file"] = os.path.relpath(file_path, base)
    return result


def _internalize(content: dict[str, Any], base: Path) -> dict[str, Any]:
    result = copy.deepcopy(content)
    for part in result.get("parts") or []:
        for key in ("inlineData", "inline_data"):
            blob = part.get(key)
            if isinstance(blob, dict) and "$file" in blob:
                file_path = base / blob.pop("$file")
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
    from .registry import state

    path = record.get("path", "")
    try:
        return state().store().load(path)
    except Exception:  # noqa: BLE001 - a moved store still resumes; the image is then bytes-only
        candidate = Path(path) if os.path.isabs(path) else base / path
        data = candidate.read_bytes() if candidate.is_file() else b""
        return GeneratedImage.from_bytes(data, record.get("mime_type", ""), path=path)
