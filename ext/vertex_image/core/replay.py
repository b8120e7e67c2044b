"""Replay: a request already answered is answered again from the store, with nothing sent and nothing paid.

The key of a request is the SHA-256 of its canonical form: the model's URL path without host, project or
location (``models/<id>:generateContent``), the dialect, and the body exactly as the client sends it, with
each inline image's base64 replaced by the SHA-256 of its bytes (``request_key``). A chat turn's body carries
the history it replays, so a turn's key covers every turn before it.

Every answered request is kept under its key (``answer``: the ids of its images, its text, and the model turn
verbatim with its thought signatures, its images by file), in the store's index in the same commit as the
call's images and charge (``ImageStore.save_all``); the key goes into each image's sidecar and index line and
into the call's charge line. ``replayed`` builds the same answer again from that record: the same images
(same bytes), the same model turn, so a session continues live from any replayed turn.

Modes (``configure(replay=...)``, per call ``replay=``): ``off`` sends every request; ``auto`` answers from the
store a request with a seed and every session turn (a seedless one-shot call is sent: asking again usually
wants a new picture); ``only`` answers every request from the store and refuses one that was never recorded
(``NotRecorded``, nothing sent). ``VERTEX_IMAGE_REPLAY=only`` in the environment wins over any setting: CI's
promise of no network cannot be lifted by a notebook cell.

``export`` copies a notebook with exactly the answers it used into a folder or a zip (see its docstring).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..base.config import REPLAY_MODES, Settings
from ..base.errors import InvalidRequest, NotRecorded, VertexImageError
from ..base.pricing import Cost
from ..base.text import clip
from ..base.values import Block, ParsedResponse, ReceivedImage, joined_responses
from ..results.images import GeneratedImage, ImageSet, display_path
from ..results.store import INDEX_NAME, REPLAY_FOLDER, ImageStore, RecordedAnswer
from ..wire import gemini

FORMAT = "vertex-image-replay"
_BLOB_KEYS = ("data", "bytesBase64Encoded")  # where inline base64 sits in Gemini and Imagen bodies


# modes -----------------------------------------------------------------------------------------
def mode(settings: Settings, per_call: str | None = None) -> str:
    """The replay mode of one call: ``only`` from the environment, else the call's, else the setting."""
    if os.environ.get("VERTEX_IMAGE_REPLAY", "").strip().lower() == "only":
        return "only"
    if per_call is None:
        return settings.replay
    text = str(per_call).strip().lower() if isinstance(per_call, str) else ""
    text = "auto" if text == "on" else text
    if text not in REPLAY_MODES:
        raise InvalidRequest(f"replay must be off, auto (or on) or only, not {per_call!r}.")
    return text


def applies(chosen: str, *, seed: int | None, session: bool) -> bool:
    """Whether a request is answered from the store in mode ``chosen`` (see the module docstring)."""
    if chosen == "only":
        return True
    return chosen == "auto" and (seed is not None or session)


# keys ------------------------------------------------------------------------------------------
def request_key(model: str, method: str, dialect: str, body: Mapping[str, Any], inputs: list[str] | None = None) -> str:
    """The hex SHA-256 of the canonical request (host, project, location and credentials left out).

    ``inputs``, when given, receives the content id (16 hex digits) of every inline image of the body, in order:
    the images a request depends on (a session's earlier answers among them), for ``export``.
    """
    found: list[str] = [] if inputs is None else inputs
    canonical = {"path": f"models/{model}:{method}", "dialect": dialect, "body": _hashed(body, found)}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hashed(value: Any, found: list[str]) -> Any:
    """``value`` with each inline base64 string replaced by ``sha256:<hex of the decoded bytes>``."""
    if isinstance(value, Mapping):
        return {
            key: _blob_hash(item, found) if key in _BLOB_KEYS and isinstance(item, str) else _hashed(item, found)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_hashed(item, found) for item in value]
    return value


def _blob_hash(text: str, found: list[str]) -> str:
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    except (binascii.Error, ValueError):
        data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    found.append(digest[:16])
    return "sha256:" + digest


# recording -------------------------------------------------------------------------------------
def answer(key: str, parsed: ParsedResponse, images: Sequence[GeneratedImage], *, model: str, prompt: str,
           cost: Cost | None, inputs: Sequence[str] = ()) -> RecordedAnswer:  # fmt: skip
    """The record of the answer ``parsed`` (whose images were saved as ``images``, in order) under ``key``, with
    the blobs it names; ``inputs``: the content ids of the request's inline images (``request_key``)."""
    blobs: list[tuple[str, bytes]] = []
    content = _externalized(parsed, images, blobs) if parsed.model_content else None
    document = {
        "format": FORMAT,
        "version": 1,
        "key": key,
        "model": model,
        "prompt": prompt,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "images": [{"id": image.id, "file": Path(image.path).name} for image in images if image.path],
        "inputs": list(dict.fromkeys(inputs)),
        "text": parsed.text,
        "finish_reason": parsed.finish_reason,
        "usage": dict(parsed.usage),
        "response_id": parsed.response_id,
        "model_version": parsed.model_version,
        "blocks": [asdict(block) for block in parsed.blocks],
        "model_content": content,
        "cost": cost.as_dict() if cost is not None else None,
    }
    return RecordedAnswer(key, document, tuple(blobs))


def _externalized(parsed: ParsedResponse, images: Sequence[GeneratedImage],
                  blobs: list[tuple[str, bytes]]) -> dict[str, Any]:  # fmt: skip
    """The model turn with its inline images as references: a saved image by file, another (a thought image)
    as a blob; base64 that standard encoding would not give back exactly stays inline.

    A saved image is recognised by its text: the parse keeps the very string each image was decoded from
    (``ReceivedImage.b64``), so an identity check finds it; a text that is not one of those (an answer put
    together again) is compared by encoding each image once (after a free length check). Decoding,
    re-encoding and hashing every part cost ~13 ms of a 1K call; encoding to compare, ~0.4 ms."""
    result = copy.deepcopy(dict(parsed.model_content or {}))
    saved = [(received.b64, image) for received, image in zip(parsed.images, images) if image.path]
    unmatched = [image for _, image in saved]
    for blob in gemini.inline_blobs(result):
        text = blob.get("data")
        if not isinstance(text, str):
            continue
        image = next((image for source, image in saved if source is text and image in unmatched), None)
        if image is None:
            image = next((one for one in unmatched if gemini.is_base64_of(text, one.data)), None)
        if image is not None:
            unmatched.remove(image)
            del blob["data"]
            blob["$image"] = Path(image.path).name
            continue
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            continue
        if base64.b64encode(data).decode("ascii") != text:
            continue
        digest = hashlib.sha256(data).hexdigest()
        del blob["data"]
        name = digest[:24] + ".bin"  # not a picture of the folder: the mime type is in the part
        blobs.append((name, data))
        blob["$blob"] = name
    return result


# replaying -------------------------------------------------------------------------------------
def replayed(store: ImageStore, keys: Sequence[str], *, prompt: str, model: str) -> tuple[ImageSet, ParsedResponse] | None:
    """The saved answer to the requests ``keys`` (all of them), at no cost; None when one is not recorded."""
    records = [store.replay_record(key) for key in keys]
    if not keys or any(found is None for found in records):
        return None
    images: list[GeneratedImage] = []
    parsed_list: list[ParsedResponse] = []
    try:
        for key, found in zip(keys, records):
            assert found is not None
            own = [replace(store.load(str(store.root / item["file"])), cost=Cost(0.0), replay_key=key)
                   for item in found.get("images", [])]  # fmt: skip
            images += own
            parsed_list.append(_parsed(store, found, own))
    except (VertexImageError, KeyError, TypeError) as exc:  # a file of the answer is gone: not recorded, then
        if isinstance(exc, VertexImageError) and not isinstance(exc, InvalidRequest):
            raise
        return None
    first = records[0] or {}
    saved = str(first.get("saved_at", ""))[:10] or "earlier"
    parsed = joined_responses(parsed_list)
    result = ImageSet(
        images=tuple(images),
        blocks=parsed.blocks,
        text=parsed.text,
        prompt=prompt,
        model=model,
        usage=dict(parsed.usage),
        created=int(time.time()),
        notices=(f"replayed: saved {saved}, $0.00",),
        cost=Cost(0.0),
    )
    return result, parsed


def _parsed(store: ImageStore, found: Mapping[str, Any], images: Sequence[GeneratedImage]) -> ParsedResponse:
    content = found.get("model_content")
    return ParsedResponse(
        images=tuple(
            ReceivedImage(image.data, image.mime_type, thought_signature=image.thought_signature) for image in images
        ),
        blocks=tuple(Block(**block) for block in found.get("blocks", [])),
        text=str(found.get("text", "")),
        finish_reason=str(found.get("finish_reason", "")),
        usage=dict(found.get("usage") or {}),
        model_version=str(found.get("model_version", "")),
        response_id=str(found.get("response_id", "")),
        model_content=_internalized(store, content) if isinstance(content, dict) else None,
    )


def _internalized(store: ImageStore, content: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(dict(content))
    for blob in gemini.inline_blobs(result):
        if "$image" in blob:
            blob["data"] = base64.b64encode(store.load(str(store.root / blob.pop("$image"))).data).decode("ascii")
        elif "$blob" in blob:
            blob["data"] = base64.b64encode(store.replay_blob(blob.pop("$blob"))).decode("ascii")
    return result


def not_recorded(prompt: str, model: str, parameters: Mapping[str, Any], store: ImageStore, why: str = "") -> NotRecorded:
    """The one-line refusal of ``replay="only"`` for a request with no saved answer, naming it."""
    what = f'"{clip(prompt, 60)}"'
    if parameters.get("session"):
        what = f"turn {parameters.get('turn')} of session {parameters['session']!r}, {what}"
    seed = parameters.get("seed")
    detail = f"{model}, seed {seed}" if seed is not None else f"{model}, no seed"
    reason = why or f"has no recorded answer in {display_path(str(store.root)) or store.root}"
    return NotRecorded(
        f"Not recorded: {what} ({detail}) {reason}; replay='only' sends nothing. "
        "Record it once with replay='auto' against a backend (or export the notebook again)."
    )


# export ----------------------------------------------------------------------------------------
def export(notebook: str | os.PathLike[str], to: str | os.PathLike[str], store: ImageStore) -> Path:
    """Copy ``notebook`` and exactly the answers it used into the folder ``to`` (or a ``.zip``); returns it.

    What it used: the images named in its outputs' metadata (``vertex_image.images``, or ``vertex_image.id``
    for one image); the recorded answers (in the index; ``replay/<key>.json`` in the bundle) that brought those
    images, with every image and blob they name; then, again and again, the answers that brought the images
    those requests sent (a session turn's history, an edited earlier result), so a whole refinement comes
    along with its last turn;
    and the session files that show any of those images (with their blobs). A result never shown in an
    output (assigned, or silenced with ``;``) is found only through a later request that sent its images. The bundle holds the notebook and a store folder beside it under the same
    name relative to the notebook as ``output_dir`` (``vertex_images`` when that is not below the notebook's
    folder); its ``index.jsonl`` has only the lines of those images and of those answers' charges.
    Re-run it with ``VERTEX_IMAGE_REPLAY=only``: same pictures, no credentials, no network, no cost.

    Raises:
        InvalidRequest: ``notebook`` is not a readable notebook, or ``to`` is an existing non-empty folder.
    """
    source = Path(notebook)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
        cells = document["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a notebook (.ipynb JSON)"
        raise InvalidRequest(f"Cannot export {source}: {reason}.") from None
    target = Path(to)
    zipped = target.suffix.lower() == ".zip"
    if not zipped and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidRequest(f"Cannot export into {target}: it exists and is not an empty folder; name a new one.")
    store.flush()  # the sidecars the background pass has not written yet: shipped too
    entries = store.entries()
    by_file = {Path(str(entry["file"])).name: str(entry["id"]) for entry in entries if entry.get("id")}
    ids = {by_file.get(Path(ref).name, ref) for ref in _output_image_ids(cells)}
    records: dict[str, dict[str, Any]] = {}
    files: set[str] = set()
    blobs: set[str] = set()
    pending = set(ids)
    while pending:  # the answers that made these images, then the answers that made their inputs, ...
        keys = {str(entry["replay_key"]) for entry in entries if entry.get("id") in pending and entry.get("replay_key")}
        pending = set()
        for key in sorted(keys - set(records)):
            found = store.replay_record(key)
            if found is None:
                continue
            records[key] = found
            files.update(str(item["file"]) for item in found.get("images", []))
            ids.update(str(item["id"]) for item in found.get("images", []))
            _references(found.get("model_content"), files, blobs)
            pending.update(str(item) for item in found.get("inputs", []) if str(item) not in ids)
        ids.update(pending)
    files.update(str(entry["file"]) for entry in entries if entry.get("id") in ids)
    store_name = _store_name(source, store)
    with tempfile.TemporaryDirectory(prefix="vertex-image-export-") as scratch:
        bundle = Path(scratch) / "bundle"
        folder = bundle / store_name
        (folder / REPLAY_FOLDER / "blobs").mkdir(parents=True)
        shutil.copy2(source, bundle / source.name)
        for name in sorted(files):
            for item in (name, name + ".json"):
                if (store.root / item).is_file():
                    shutil.copy2(store.root / item, folder / item)
        for key, found in records.items():  # a bundle keeps each answer as a file (read by any version)
            (folder / REPLAY_FOLDER / f"{key}.json").write_text(json.dumps(found, ensure_ascii=False, sort_keys=True),
                                                                encoding="utf-8")  # fmt: skip
        for name in sorted(blobs):
            shutil.copy2(store.root / REPLAY_FOLDER / "blobs" / name, folder / REPLAY_FOLDER / "blobs" / name)
        lines = [entry for entry in entries if entry.get("id") in ids]
        charges = [line for line in store.charge_lines() if set(line["charge"].get("replay_keys") or ()) & set(records)]
        (folder / INDEX_NAME).write_text("".join(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n"
                                                 for line in [*lines, *charges]), encoding="utf-8")  # fmt: skip
        _copy_sessions(store.root / "sessions", folder / "sessions", {Path(name).name for name in files})
        return _deliver(bundle, target, zipped)


def _output_image_ids(cells: Iterable[Any]) -> Iterable[str]:
    for cell in cells:
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            meta = output.get("metadata", {}).get("vertex_image") if isinstance(output, dict) else None
            if not isinstance(meta, dict):
                continue
            if isinstance(meta.get("id"), str):
                yield meta["id"]
            for ref in meta.get("images", []) if isinstance(meta.get("images"), list) else []:
                yield str(ref)  # a file of the store (its index gives the id) or an id


def _references(content: Any, files: set[str], blobs: set[str]) -> None:
    if not isinstance(content, dict):
        return
    for blob in gemini.inline_blobs(content):
        if "$image" in blob:
            files.add(str(blob["$image"]))
        if "$blob" in blob:
            blobs.add(str(blob["$blob"]))


def _copy_sessions(source: Path, target: Path, images: set[str]) -> None:
    """The session files that show any of ``images``, with the blobs they refer to."""
    for path in sorted(source.glob("*.json")) if source.is_dir() else []:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            exchanges = document["exchanges"]
            shown = {Path(str(image.get("path", ""))).name for ex in exchanges for image in ex.get("images", [])}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if not shown & images:
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.name)
        for ex in exchanges:
            for content in (ex.get("user"), ex.get("model")):
                for blob in gemini.inline_blobs(content) if isinstance(content, dict) else []:
                    if "$file" in blob and (source / blob["$file"]).is_file():
                        (target / blob["$file"]).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(source / blob["$file"], target / blob["$file"])


def _store_name(notebook: Path, store: ImageStore) -> str:
    try:
        relative = store.root.resolve().relative_to(notebook.parent.resolve())
    except ValueError:
        return "vertex_images"
    return str(relative) if str(relative) not in ("", ".") else "vertex_images"


def _deliver(bundle: Path, target: Path, zipped: bool) -> Path:
    if zipped:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(bundle.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(bundle).as_posix())
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.rmdir()  # an empty folder (checked before)
    shutil.copytree(bundle, target)
    return target


__all__ = ["FORMAT", "answer", "applies", "export", "mode", "not_recorded", "replayed", "request_key"]
