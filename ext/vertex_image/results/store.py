"""``ImageStore``: every image on disk before it is shown, so a kernel restart loses nothing.

Layout of the folder (``./vertex_images`` by default)::

    3f9a0c1d2e4b5a69.png        the image: received bytes + our metadata chunk (pixels untouched)
    3f9a0c1d2e4b5a69.png.json   sidecar: full provenance (with the image's ``cost`` and ``replay_key``)
    replay/blobs/               images of recorded answers that are not saved images (thought drafts)
    index.sqlite                the index (``index_db``): one row per saved image (its commit is the save's
                                commit point), one per call that cost something (``record_charge``), and
                                the answer to each request by the hash of its body (``core.replay``: the
                                image ids, the text, the model turn with its signatures, images by file),
                                all of a call in one commit; an ``index.jsonl`` of earlier versions is
                                imported on open (then ``index.jsonl.imported``); ``replay/<key>.json``
                                files of earlier versions (and of ``export`` bundles) are read as before

File names are content addressed (first 16 hex digits of the SHA-256 of the bytes as received). The
image file is immutable: saving the same bytes again writes nothing, unless they came from another
request (prompt, model, parameters or seed), which appends one more index line for the same file.
Writes are atomic (``files.atomic_write_all``: temporary file, ``os.replace``) and the index row is
committed last, so a crash leaves either a complete image that is not yet listed or nothing.

Durability (the ``durability`` setting): ``process`` (default) renames the image into place and commits
its row without waiting for the disk; that survives a killed process or a crashed kernel (the operating
system still writes what it was given). The sidecar is written by a background pass (``files.GROUP_SYNC``)
within a second, which also fsyncs the new files and the folder and checkpoints the index (its log into the
database, with an fsync). Until then the sidecar's text is in the index (``sidecars_due``, committed with
the row) and ``load`` reads it from the queue; should the kernel be killed first, the next store to save
or read in the folder (or ``flush``) writes it. A save returns with its image file on disk, the prompt,
parameters and cost inside it (PNG, JPEG) and in its index row: one file created per image, not two (a
create costs ~0.2 ms here, a tenth of a tiny call). ``fsync`` writes the sidecar too and fsyncs every file, the folder and the
commit before a save returns: it also survives a power loss, at about 4 ms per fsync.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import struct
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from ..base.config import DURABILITY_MODES
from ..base.errors import CHOOSE_OUTPUT_DIR, InvalidRequest, StorageError
from ..base.imageinfo import sniff_mime_type
from ..base.pricing import Cost
from .files import GROUP_SYNC, TMP_PREFIX, atomic_write_all, os_reason
from .images import EXTENSIONS, FULL_PROVENANCE_ONLY, GeneratedImage, ImageSet, display_path
from .index_db import DB_NAME, JSONL_NAME, IndexDB, IndexFailure, to_json

INDEX_NAME = JSONL_NAME  # the line format of earlier versions, imported on open; still what ``export`` writes
META_KEY = "vertex_image"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_TAG = b"vertex_image:"
_LOCK = threading.RLock()  # one lock for every store: saves are short and rare
_REQUEST_KEYS = ("prompt", "model", "parameters", "seed", "replay_key")  # what makes a save of known bytes a new event
# A save or probe this recent proves the folder writable: the next call's check writes no probe file. Should
# the folder turn read-only in between, the answer's images are kept in memory with the way to save them.
WRITABLE_PROOF_S = 2.0
_SIDECAR_ONLY = frozenset({*FULL_PROVENANCE_ONLY, "file", "saved_at"})  # in the sidecar, not in the image file
REPLAY_FOLDER = "replay"  # ``blobs/`` of recorded answers; ``<key>.json`` answers of earlier versions and bundles


@dataclass(frozen=True)
class RecordedAnswer:
    """One answer kept for replay (``core.replay``): the request's key, its JSON record, and the (name, bytes) of
    the ``replay/blobs/`` files the record names."""

    key: str
    record: Mapping[str, Any]
    blobs: tuple[tuple[str, bytes], ...] = ()


AnswersOf = Callable[[Sequence[GeneratedImage]], Sequence[RecordedAnswer]]  # the saved images (with paths) -> answers


# -- metadata inside the image file, pixels untouched ------------------------------------------------


def _png_chunks(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, type) of each chunk of a PNG stream."""
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        yield pos, end, data[pos + 4 : pos + 8]
        pos = end


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _itxt(keyword: str, text: str) -> bytes:
    """An uncompressed international text chunk (UTF-8: prompts are not Latin-1)."""
    return _png_chunk(b"iTXt", keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8"))


def _png_itxt(data: bytes, start: int, end: int) -> tuple[str, str]:
    body = data[start + 8 : end - 4]
    keyword, _, rest = body.partition(b"\0")
    # rest: compression flag, method, language\0, translated keyword\0, text
    _, _, rest = rest[2:].partition(b"\0")
    _, _, text = rest.partition(b"\0")
    return keyword.decode("latin-1"), text.decode("utf-8", "replace")


def _our_png_block(data: bytes) -> tuple[int, int, str] | None:
    """(start, end, json) of the chunks we inserted right after IHDR, if any."""
    chunks = list(itertools.islice(_png_chunks(data), 3))
    if len(chunks) < 2 or chunks[1][2] != b"iTXt":
        return None
    keyword, text = _png_itxt(data, chunks[1][0], chunks[1][1])
    if keyword != META_KEY:
        return None
    end = chunks[1][1]
    if len(chunks) > 2 and chunks[2][2] == b"iTXt" and _png_itxt(data, chunks[2][0], chunks[2][1])[0] == "prompt":
        end = chunks[2][1]
    return chunks[1][0], end, text


def _jpeg_insert_at(data: bytes) -> int:
    """After SOI and the APPn segments (JFIF and Exif must stay first)."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF and 0xE0 <= data[pos + 1] <= 0xEF:
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return pos


def _our_jpeg_comment(data: bytes) -> tuple[int, int, str] | None:
    pos = _jpeg_insert_at(data)
    if data[pos : pos + 2] != b"\xff\xfe":
        return None
    end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    payload = data[pos + 4 : end]
    if not payload.startswith(_JPEG_TAG):
        return None
    return pos, end, payload[len(_JPEG_TAG) :].decode("utf-8", "replace")


def embed_metadata(data: bytes, info: dict[str, Any]) -> bytes:
    """The image with ``info`` (JSON) inserted as PNG iTXt chunks or a JPEG COM segment.

    Only whole chunks/segments are added; every other byte, pixel data included, is unchanged.
    Other formats are returned as they are (the sidecar still holds everything).
    """
    return b"".join(embedded_parts(data, info))


def embedded_parts(data: bytes, info: dict[str, Any]) -> list[bytes | memoryview]:
    """``embed_metadata`` as the pieces to write one after the other: views of ``data`` around the inserted
    block, so saving an image never copies its bytes (a copy per image is memory the allocator keeps)."""
    text = json.dumps(info, ensure_ascii=False, sort_keys=True)
    kind = sniff_mime_type(data)
    view = memoryview(data)
    if kind == "image/png" and len(data) > 33:
        ihdr_end = next(_png_chunks(data))[1]
        block = _itxt(META_KEY, text) + _itxt("prompt", str(info.get("prompt", "")))
        return [view[:ihdr_end], block, view[ihdr_end:]]
    if kind == "image/jpeg":
        payload = _JPEG_TAG + text.encode("utf-8")
        if len(payload) > 65533:  # a segment holds 64 KiB: keep what identifies the image
            payload = _JPEG_TAG + json.dumps({k: info.get(k) for k in ("id", "model", "seed")}).encode()
        at = _jpeg_insert_at(data)
        return [view[:at], b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload, view[at:]]
    return [view]


def strip_metadata(data: bytes) -> bytes:
    """The bytes as received: ``embed_metadata`` undone exactly (so the SHA-256 matches the id again)."""
    kind = sniff_mime_type(data)
    found = _our_png_block(data) if kind == "image/png" else _our_jpeg_comment(data) if kind == "image/jpeg" else None
    return data if found is None else data[: found[0]] + data[found[1] :]


def read_metadata(data: bytes) -> dict[str, Any]:
    """The provenance embedded by ``embed_metadata`` ({} when there is none)."""
    kind = sniff_mime_type(data)
    found = _our_png_block(data) if kind == "image/png" else _our_jpeg_comment(data) if kind == "image/jpeg" else None
    if found is None:
        return {}
    try:
        value = json.loads(found[2])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- the store -----------------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """A user-chosen file name that stays inside the store folder, or ``InvalidRequest``."""
    problem = ""
    if not isinstance(name, str) or not name.strip():
        problem = "it is empty"
    elif "\0" in name:
        problem = "it contains a NUL character"
    elif "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        problem = "it contains a path separator"
    elif name.startswith(".") or os.path.isabs(name) or ":" in name:
        problem = "it starts with a dot or is an absolute path"
    elif len(name.encode("utf-8")) > 200:
        problem = "it is longer than 200 bytes"
    if problem:
        raise InvalidRequest(
            f"Cannot save under the name {name!r}: {problem}. Give a plain file name such as 'red-fox' "
            "(it is saved inside the image folder; the extension is added)."
        )
    return name


def storage_error(exc: OSError, folder: str | os.PathLike[str], doing: str = "save images in") -> StorageError:
    """A one-line ``StorageError`` for an ``OSError`` in the image folder: what failed, why, what to do."""
    return StorageError(
        f"Cannot {doing} {os.fspath(folder)}: {os_reason(exc, folder)}. Choose another folder: {CHOOSE_OUTPUT_DIR}.",
        path=os.fspath(folder),
    )


_IMAGE_FIELDS = {f.name for f in fields(GeneratedImage)} - {"data", "mime_type", "width", "height", "path"}


def _image_from(data: bytes, info: dict[str, Any], path: Path) -> GeneratedImage:
    """A ``GeneratedImage`` from file bytes and recorded provenance (an entry from before costs has none)."""
    provenance = {k: v for k, v in info.items() if k in _IMAGE_FIELDS and (v is not None or k == "seed")}
    provenance["cost"] = Cost.from_dict(info.get("cost"))
    return GeneratedImage.from_bytes(data, str(info.get("mime_type") or ""), path=str(path), **provenance)


class ImageStore:
    """A folder of saved images with provenance and an append-only index.

    Args:
        root: the folder (created on the first save); relative paths are taken from the working folder.
        durability: ``process`` (default) or ``fsync`` (see the module's docstring).
        fsync, replace: injectable for crash tests.
        clock: Unix time, for ``saved_at``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = "vertex_images",
        *,
        durability: str = "process",
        fsync: Callable[[int], None] = os.fsync,
        replace: Callable[[str, str], None] = os.replace,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if durability not in DURABILITY_MODES:
            raise InvalidRequest(f"durability must be 'process' or 'fsync', not {durability!r}.")
        self.root = Path(root).absolute()
        self.durability = durability
        self._fsync = fsync
        self._replace = replace
        self._clock = clock
        self._index = IndexDB(self.root, durability)
        self._written_at = -WRITABLE_PROOF_S  # time.monotonic() of the last file this store wrote or probed
        self._settled = False  # whether this store looked for sidecars a killed kernel left due

    def __repr__(self) -> str:
        return f"ImageStore({display_path(str(self.root))!r})"

    @property
    def index_path(self) -> Path:
        """The index database."""
        return self.root / DB_NAME

    @property
    def _durable(self) -> bool:
        return self.durability == "fsync"

    def close(self) -> None:
        """Write what the background pass still holds (sidecars), then close the index's connection (it is opened
        again on the next use): a folder can be moved or deleted once its store is closed."""
        GROUP_SYNC.flush()
        self._index.close()

    def check_writable(self) -> None:
        """Before a request is sent: the folder exists (it is created) and a file can be written in it.

        Raises:
            StorageError: one line, why and how to choose another folder (nothing was sent).
        """
        if time.monotonic() - self._written_at < WRITABLE_PROOF_S and self.root.is_dir():
            return  # a file was written here a moment ago: no probe file per call (a tiny call's cost)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=TMP_PREFIX, dir=self.root)
            os.close(handle)
            os.unlink(probe)
            self._written_at = time.monotonic()
        except OSError as exc:
            raise StorageError(
                f"Cannot save images in {os.fspath(self.root)}: {os_reason(exc, self.root)}; nothing was sent. "
                f"Choose another folder: {CHOOSE_OUTPUT_DIR}.",
                path=os.fspath(self.root),
            ) from exc

    def writable(self) -> tuple[bool, str]:
        """Whether images can be saved here, and why not (``status``, ``doctor``); leaves nothing behind.

        A probe file is written and removed (``os.access`` says yes to root on a read-only mount); a
        folder that does not exist yet is probed by creating and removing its first missing part.
        """
        target = self.root
        missing = [c for c in (target, *target.parents) if not c.exists()]
        existing = target.parents[len(missing) - 1] if missing else target
        if not existing.is_dir():
            return False, f"{existing} is a file, not a folder"
        try:
            if missing:
                missing[-1].mkdir()
                missing[-1].rmdir()
                return True, f"yes (the folder is created on the first save, in {existing})"
            handle, probe = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            return False, os_reason(exc, existing)
        return True, "yes"

    def save(self, image: GeneratedImage, name: str | None = None) -> GeneratedImage:
        """Write the image (with metadata), its sidecar, then its index line; return a copy with ``.path``.

        Args:
            image: the image; one without bytes (kept in Cloud Storage) is returned unchanged.
            name: a file name instead of the content id (no folders; the extension is added).

        Raises:
            InvalidRequest: the name would leave the folder, or is taken by another image.
            StorageError: the folder cannot be created or written (a file in the way, permissions, disk full).
        """
        return self._save_batch([(image, name)])[0]

    def save_all(self, images: ImageSet, *, charge: Mapping[str, Any] | None = None,
                 answers: AnswersOf | None = None) -> ImageSet:  # fmt: skip
        """Save every image of a set; the same set with ``.path`` on each image.

        One transaction for the set: every image file and sidecar is written and renamed into place, then
        their index rows are committed together (with ``durability="fsync"`` the files, the folder and the
        commit are fsynced first; else ``files.GROUP_SYNC`` fsyncs them within a second). A crash leaves
        complete files, listed or not yet listed, never an index row without its file.

        ``charge`` (the call's charge line) and ``answers`` (given the images with their paths, each answer to
        keep for replay: ``RecordedAnswer``) are committed in the same transaction: a call is one commit. When
        that fails (``StorageError``), neither was recorded.
        """
        try:
            saved = self._save_batch([(image, None) for image in images], charge=charge, answers=answers)
            return replace(images, images=tuple(saved))
        except StorageError as error:
            if len(images.images) < 2:
                error.partial = images  # type: ignore[attr-defined]  # kept in memory, with the way to save it
                raise
            first = error
        # one image could not be written: save every other one alone, keep the rest in memory (paid for)
        kept: list[GeneratedImage] = []
        failed = 0
        for image in images:
            try:
                kept.append(self._save_batch([(image, None)])[0])
            except StorageError:
                kept.append(image)
                failed += 1
        partial = replace(images, images=tuple(kept))  # its charge and answers: for the caller (``error.partial``)
        count = len(kept)
        error = StorageError(
            f"{count - failed} of {count} images saved; {failed} kept in memory only (the error's .partial holds "
            f"all {count}: save those with img.save(path)). {first.message}",
            path=first.path,
        )
        error.partial = partial  # type: ignore[attr-defined]
        error.reason = first.message  # type: ignore[attr-defined]
        raise error from first.__cause__

    def _save_batch(self, items: list[tuple[GeneratedImage, str | None]], *, charge: Mapping[str, Any] | None = None,
                    answers: AnswersOf | None = None) -> list[GeneratedImage]:  # fmt: skip
        for image, name in items:
            if image.data and name is not None:
                self._filename(image, name)  # a bad name is refused before anything is written
        if not any(image.data for image, _ in items) and charge is None and answers is None:
            return [image for image, _ in items]
        try:
            with _LOCK:
                if not os.path.isdir(self.root):  # a stat, not a mkdir: most saves go to a folder that is there
                    self.root.mkdir(parents=True, exist_ok=True)
                # the write lock is taken before the names are chosen: a kernel saving into the same folder
                # waits (busy_timeout), so two never pick one name; committed after the files are in place
                if not self._settled:  # once per store: sidecars a killed kernel kept from the disk
                    self._settle_sidecars()  # (one it cannot write stays due: the save goes on)
                with self._index.writing() as connection:
                    files, lines, texts, saved, due = self._plan(items, connection)
                    kept = list(answers(saved)) if answers is not None else []
                    files += self._blob_files(kept)
                    atomic_write_all(files, fsync=self._fsync, replace=self._replace, durable=self._durable)
                    if lines:
                        self._index.add_images(connection, lines, texts=texts)
                    if due:
                        self._index.add_sidecars_due(connection, due)
                    for answer in kept:
                        self._index.add_replay(connection, answer.key, to_json(answer.record))
                    if charge is not None:
                        self._index.insert_charge(connection, {"charge": dict(charge), "saved_at": self._now()})
        except OSError as exc:
            raise storage_error(exc, self.root) from exc
        self._written_at = time.monotonic()
        if not self._durable:  # the sidecars, the files' fsyncs and the index's checkpoint, in the background pass
            images = [(os.path.join(self.root, name), text) for name, text in due]
            GROUP_SYNC.add((path for path, _ in files), then=self._after_pass,
                           writes=[(_sidecar(image), text.encode("utf-8"), image) for image, text in images])
        return saved

    def flush(self) -> None:
        """Write the sidecars still queued and fsync what the last saves wrote, now (the background pass does it
        within a second: ``export``, and a script that reads a sidecar at once, call this first); then the
        sidecars a crash kept from the disk (a killed kernel's), from the text the index kept.

        Raises:
            StorageError: a sidecar cannot be written (its text stays in the index for the next try).
        """
        GROUP_SYNC.flush()
        try:
            self._settle_sidecars()
        except OSError as exc:
            raise storage_error(exc, self.root, "write sidecars in") from exc

    def _after_pass(self) -> None:
        """After the background pass wrote and fsynced the files: forget the sidecars now on disk, checkpoint."""
        self._settle_quietly()
        self._index.checkpoint()

    def _settle_once(self) -> None:
        """On a store's first read: the sidecars a killed kernel left due are written."""
        if not self._settled:
            self._settle_quietly()

    def _settle_quietly(self) -> None:
        """``_settle_sidecars`` where an index that cannot be read or written (a read-only folder) leaves them due
        and the work around goes on."""
        with contextlib.suppress(OSError):
            self._settle_sidecars()

    def _settle_sidecars(self) -> None:
        """The index's due sidecars that are on disk are forgotten; those missing (a crash came before the
        background pass wrote them) are written first from the text the index kept. One this process has still
        queued is left to its pass; one of another kernel's saves may be written by both (the same text). Under
        the store lock: a save's commit and the queueing of its sidecars are one step for it."""
        with _LOCK:
            self._settled = True
            done = []
            for filename, text in self._index.sidecars_due():
                image = self._child(filename)
                if image is not None:
                    sidecar = _sidecar(image)
                    if GROUP_SYNC.queued(sidecar) is not None:
                        continue
                    if not os.path.exists(sidecar) and os.path.exists(image):
                        try:  # fsynced: its row is forgotten next, and no pass of this process syncs it
                            atomic_write_all([(sidecar, [text.encode("utf-8")])])
                        except OSError:
                            continue  # stays due for the next try; the others go on
                done.append(filename)
            self._index.forget_sidecars(done)

    def _blob_files(self, answers: Sequence[RecordedAnswer]) -> list[tuple[Path, Sequence[bytes | memoryview]]]:
        """The files of ``replay/blobs/`` the answers need that are not there yet (the folder made when needed)."""
        folder = self.root / REPLAY_FOLDER / "blobs"
        files: list[tuple[Path, Sequence[bytes | memoryview]]] = [
            (folder / name, [data]) for answer in answers for name, data in answer.blobs if not (folder / name).exists()
        ]
        if files:
            folder.mkdir(parents=True, exist_ok=True)
        return files

    def _plan(
        self, items: list[tuple[GeneratedImage, str | None]], connection: Any
    ) -> tuple[list[tuple[Path, Sequence[bytes | memoryview]]], list[dict[str, Any]], list[str | None],
               list[GeneratedImage], list[tuple[str, str]]]:  # fmt: skip
        """What to write for each image: (files, index records, each record's JSON when already made, the images
        with their paths, the (file, text) of sidecars due after the commit); nothing written.

        With ``durability="process"`` a sidecar is written by the background pass, not before the save returns:
        the image file (prompt, parameters and cost inside) and its index row are the save; the row keeps the
        sidecar's text until it is on disk. A file create costs ~0.2 ms here, a tenth of a tiny call."""
        files: list[tuple[Path, Sequence[bytes | memoryview]]] = []
        lines: list[dict[str, Any]] = []
        texts: list[str | None] = []
        saved: list[GeneratedImage] = []
        due: list[tuple[str, str]] = []
        planned: dict[str, dict[str, Any]] = {}  # file name -> record already planned in this batch
        memo: dict[Path, dict[str, Any]] = {}  # provenance read from the disk, which does not change while planning
        saved_at = self._now()
        for image, name in items:
            if not image.data:
                saved.append(image)
                continue
            filename, fresh = self._filename(image, name, connection, memo)
            path = self.root / filename
            record = image.provenance(full=True)
            record.update(file=filename, saved_at=saved_at)
            if not record["thought_signature"]:
                del record["thought_signature"]  # then the sidecar's JSON is the index row's too: made once
            saved.append(image.with_path(str(path)))
            if filename in planned:
                previous, has_sidecar, listed = planned[filename], True, True
            elif fresh:  # new content under a free name: no file, no sidecar, no row to look for
                previous, has_sidecar, listed = {}, False, False
            else:
                where = os.fspath(path)  # os.path on text: a save's stats cost a third of pathlib's
                there = os.path.exists(where)
                due_text = self._index.sidecar_due(connection, filename) if there else None
                if due_text is not None and not self._has_sidecar(where):  # another kernel's, not written yet
                    memo[path] = _record_of(due_text) or {}
                previous = self._recorded(path, memo) if there else {}
                # a sidecar only describes the file that is there: one queued for a deleted image does not count
                has_sidecar = bool(previous) and (due_text is not None or self._has_sidecar(where))
                listed = has_sidecar and _same(previous, record) and self._index.listed(connection, filename)
            if previous and previous.get("id") != image.id:
                if name is not None:
                    raise InvalidRequest(
                        f"{filename!r} already holds another image in {display_path(str(self.root))}; "
                        "choose another name (or save without one: names then come from the content)."
                    )
                previous = {}  # a damaged content-addressed file: write it again
            if not previous:
                files.append((path, embedded_parts(image.data, _embedded(record))))
            if has_sidecar and _same(previous, record) and listed:
                continue  # saved before with this provenance: nothing to add
            text = to_json(record)
            if not has_sidecar and self._durable:
                files.append((_sidecar(path), [text.encode("utf-8")]))
            elif not has_sidecar:
                due.append((filename, text))
            planned.setdefault(filename, record)
            signed = "thought_signature" in record  # too long for the index: the sidecar keeps it
            lines.append({k: v for k, v in record.items() if k != "thought_signature"} if signed else record)
            texts.append(None if signed else text)
        return files, lines, texts, saved, due

    def load(self, ref: str | os.PathLike[str]) -> GeneratedImage:
        """An image by content id (or a unique prefix of one) or by path, with its provenance restored.

        The bytes are the bytes as received (the metadata chunk is taken out again).

        Raises:
            InvalidRequest: no such image.
            StorageError: the file exists but cannot be read.
        """
        if not isinstance(ref, (str, os.PathLike)) or "\0" in os.fspath(ref):
            raise InvalidRequest(
                f"vi.load takes a content id or a file path (text), not {ref!r} ({type(ref).__name__})."
            )
        self._settle_once()
        path = self._find(ref)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise storage_error(exc, self.root, "read saved images in") from exc
        if not sniff_mime_type(raw) and not self._has_sidecar(os.fspath(path)):
            raise InvalidRequest(
                f"{display_path(str(path))} is not an image (no PNG, JPEG, WebP or GIF signature); nothing loaded."
            )
        info = self._recorded(path) or read_metadata(raw)
        return _image_from(strip_metadata(raw), info, path)

    def entries(self) -> list[dict[str, Any]]:
        """The image records of the index (one per saved image event), oldest first."""
        self._settle_once()
        try:
            return [json.loads(record) for _, _, record in self._index.images(newest_first=False)]
        except (FileNotFoundError, NotADirectoryError):
            return []  # nothing saved yet (or a file where the folder would be: nothing saved there either)
        except OSError as exc:
            raise storage_error(exc, self.root, "read the index of") from exc

    def record_charge(self, charge: dict[str, Any]) -> bool:
        """Record what one call cost in the index (its own row: not an image).

        One row per call, blocked answers and failed attempts included, so the store's all-time total
        (``charges``, ``charge_totals``) survives a restart and counts every call once, whatever images it
        saved. A charge with a ``charge_id`` (a batch row) is recorded once: False when it was already.
        """
        try:
            with _LOCK:
                self.root.mkdir(parents=True, exist_ok=True)
                return self._index.add_charge({"charge": charge, "saved_at": self._now()})
        except OSError as exc:
            raise storage_error(exc, self.root, "record costs in") from exc

    def write_replay(self, answers: Sequence[RecordedAnswer]) -> None:
        """Keep answers for replay in a commit of their own (a call's answers go with its images: ``save_all``)."""
        self._save_batch([], answers=lambda _: answers)

    def replay_record(self, key: str) -> dict[str, Any] | None:
        """The answer kept for the request ``key``, or None: from the index, else from ``replay/<key>.json`` (how
        earlier versions, and ``export`` bundles, keep answers)."""
        text = None
        with contextlib.suppress(OSError):
            text = self._index.replay(key)
        try:
            value = json.loads(text) if text is not None else json.loads(
                (self.root / REPLAY_FOLDER / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) and value.get("key") == key else None

    def replay_blob(self, name: str) -> bytes:
        """A file of ``replay/blobs/`` (``StorageError`` when it is missing)."""
        path = self.root / REPLAY_FOLDER / "blobs" / name
        try:
            check_name(name)
            return path.read_bytes()
        except (OSError, InvalidRequest) as exc:
            raise StorageError(f"The recorded answer needs {path}, which is missing or unreadable.", path=str(path)) from exc

    def charges(self) -> list[dict[str, Any]]:
        """Every recorded charge with a readable cost (its ``saved_at`` added), oldest first."""
        return [{**line["charge"], "saved_at": line.get("saved_at", "")} for line in self.charge_lines(True)]

    def charge_lines(self, counted_only: bool = False) -> list[dict[str, Any]]:
        """The charge rows as index lines (``{"charge": ..., "saved_at": ...}``), oldest first (``export``)."""
        try:
            return self._index.charge_lines(counted_only)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise storage_error(exc, self.root, "read the index of") from exc

    def charge_totals(self) -> dict[str, Any]:
        """The all-time cost totals, summed in the index: ``usd``, ``calls``, ``since`` (first day), ``by_backend``."""
        try:
            return self._index.charge_totals()
        except (FileNotFoundError, NotADirectoryError):
            return {"usd": 0.0, "calls": 0, "since": "", "by_backend": {}}
        except OSError as exc:
            raise storage_error(exc, self.root, "read the index of") from exc

    def gallery(
        self, n: int = 20, model: str | None = None, contains: str | None = None, since: Any = None
    ) -> ImageSet:
        """The ``n`` most recent saved images, newest first, optionally by model id, prompt substring and time.

        Args:
            n: how many images at most.
            model: keep images whose recorded model id equals this (resolve aliases before calling).
            contains: keep images whose prompt contains this text (case-insensitive).
            since: keep images saved at or after this: a ``datetime``, a ``date``, ISO-8601 text
                (``"2026-11-30"``, ``"2026-11-30T10:00"``; without a zone: UTC) or Unix seconds.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidRequest(f"n must be a whole number of images (0 or more), not {n!r}.")
        for label, value in (("model", model), ("contains", contains)):
            if value is not None and not isinstance(value, str):
                raise InvalidRequest(f"{label} must be text or None, not {value!r} ({type(value).__name__}).")
        after = since_seconds(since)
        self._settle_once()
        images: list[GeneratedImage] = []
        seen: set[str] = set()
        try:
            with contextlib.closing(self._index.images(model=model, contains=contains, since=after)) as rows:
                for image_id, filename, record in rows:
                    if len(images) >= n:
                        break
                    if image_id in seen:
                        continue
                    path = self._child(filename)
                    if path is None or not path.is_file():
                        continue  # deleted by the user, or a tampered row
                    data = path.read_bytes()
                    if not sniff_mime_type(data):
                        continue  # a tampered row naming the index, a sidecar or any other non-image
                    seen.add(image_id)
                    images.append(_image_from(strip_metadata(data), json.loads(record), path))
        except (FileNotFoundError, NotADirectoryError):
            pass  # nothing saved there
        except IndexFailure as exc:
            raise storage_error(exc, self.root, "read the index of") from exc
        except OSError as exc:
            raise storage_error(exc, self.root, "read saved images in") from exc
        return ImageSet(images=tuple(images), model=model or "", prompt="")

    def discard_partial(self) -> int:
        """Delete temporary files a hard crash (power loss, killed kernel) left behind; returns how many."""
        removed = 0
        for leftover in self.root.glob(f"{TMP_PREFIX}*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed += 1
        return removed

    # -- helpers ---------------------------------------------------------------------------------------

    def _filename(self, image: GeneratedImage, name: str | None, connection: Any = None,
                  memo: dict[Path, dict[str, Any]] | None = None) -> tuple[str, bool]:  # fmt: skip
        """``name`` with its extension; else a readable, content-addressed name ``<prompt-words>-<short id>.<ext>``
        (the full content id when another image holds that name). Stores written with ``<id>.<ext>`` load as before.
        And whether it is new content under a free name (nothing there to compare with).
        """
        extension = EXTENSIONS.get(image.mime_type, ".bin")
        if name is None:
            readable = image.file_name
            # the same content: one file. Where it may be: the files the index lists for this id (saved under
            # another prompt's words), this prompt's name, its full-id form, the ``<id>.<ext>`` of old stores.
            # (Looked up, not globbed: listing a folder of 50,000 images at every save costs more than the save.)
            known = self._index.files_with_id(connection, image.id)  # a name chosen from content: within a save
            if not known and not os.path.lexists(os.path.join(self.root, readable)):
                return readable, True  # new content, its name free (the usual save): nothing more to look at
            full = readable[: -len(extension) - 8] + image.id + extension
            for candidate in dict.fromkeys([*known, readable, full, f"{image.id}{extension}"]):
                found = self._child(candidate)
                if (found is not None and candidate.endswith((f"{image.id[:8]}{extension}", f"{image.id}{extension}"))
                        and found.is_file() and self._recorded(found, memo).get("id") == image.id):  # fmt: skip
                    return candidate, False
            return (full if (self.root / readable).exists() else readable), False  # another image, same short id
        check_name(name)
        return (name if name.lower().endswith(extension) else name + extension), False

    def _child(self, filename: str) -> Path | None:
        """``root / filename`` only when it is a plain name inside the folder."""
        try:
            check_name(filename)
        except InvalidRequest:
            return None
        return self.root / filename

    def _find(self, ref: str | os.PathLike[str]) -> Path:
        text = os.fspath(ref)
        for candidate in (Path(text), self.root / text):
            if candidate.is_file() and text.strip():
                return candidate
        if text and all(ch in "0123456789abcdef" for ch in text.lower()):
            try:
                with contextlib.closing(self._index.files_of_id(text.lower())) as files:
                    for filename in files:
                        path = self._child(filename)
                        if path is not None and path.is_file() and _is_image(path):
                            return path  # a row naming a sidecar, the index or another non-image is passed over
            except OSError as exc:
                raise storage_error(exc, self.root, "read the index of") from exc
            for path in sorted(self.root.glob(f"{text.lower()}*")):
                if not path.name.endswith(".json"):
                    return path
        raise InvalidRequest(
            f"No saved image {text!r} in {display_path(str(self.root))}. "
            "Pass a content id (or its first digits) or a file path; vi.gallery() lists saved images."
        )

    @staticmethod
    def _has_sidecar(image_path: str) -> bool:
        """Whether the image has a sidecar, on disk or queued for the background pass."""
        sidecar = _sidecar(image_path)
        return GROUP_SYNC.queued(sidecar) is not None or os.path.exists(sidecar)

    def _recorded(self, path: Path, memo: dict[Path, dict[str, Any]] | None = None) -> dict[str, Any]:
        """The sidecar's provenance, or the embedded one when the sidecar is missing; ``memo``: what one save
        already read (the name's check reads it, then the plan)."""
        if memo is not None:
            if path not in memo:
                memo[path] = self._recorded(path)
            return memo[path]
        sidecar = _sidecar(path)
        queued = GROUP_SYNC.queued(sidecar)
        try:
            found = _record_of(queued if queued is not None else Path(sidecar).read_bytes())
        except OSError:
            found = None
        if found is not None:
            return found
        try:
            data = path.read_bytes()
        except OSError:
            return {}
        info = read_metadata(data)
        return info if info.get("id") else {"id": GeneratedImage.from_bytes(strip_metadata(data)).id}

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), tz=timezone.utc).isoformat(timespec="seconds")


def _embedded(record: Mapping[str, Any]) -> dict[str, Any]:
    """What goes inside the image file: the sidecar's record without the long or derived fields (the same as
    ``GeneratedImage.provenance()``, taken from the full record already made)."""
    return {key: value for key, value in record.items() if key not in _SIDECAR_ONLY}


def _sidecar(image: str | os.PathLike[str]) -> str:
    """The path of an image's JSON sidecar."""
    return os.fspath(image) + ".json"


def _record_of(text: str | bytes) -> dict[str, Any] | None:
    """A sidecar's JSON text as a record: None when it is not JSON, {} when it is not an object."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else {}


def _is_image(path: Path) -> bool:
    """Whether the file starts like an image (a tampered row may name anything in the folder)."""
    try:
        with open(path, "rb") as handle:
            return bool(sniff_mime_type(handle.read(64)))
    except OSError:
        return False


def since_seconds(since: Any) -> float | None:
    """``gallery``'s ``since`` as Unix seconds (None: no limit); ``InvalidRequest`` for anything else."""
    if since is None:
        return None
    if isinstance(since, (int, float)) and not isinstance(since, bool):
        return float(since)
    if isinstance(since, datetime):
        return (since if since.tzinfo else since.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(since, date):
        return datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
    if isinstance(since, str):
        try:
            return since_seconds(datetime.fromisoformat(since.strip()))
        except ValueError:
            pass
    raise InvalidRequest(
        f"since must be a datetime, a date, ISO-8601 text such as '2026-11-30' or '2026-11-30T10:00', "
        f"or Unix seconds, not {since!r}."
    )


def _same(previous: dict[str, Any], record: dict[str, Any]) -> bool:
    """Same request (prompt, model, parameters, seed): re-running a cell adds nothing to the index."""
    return all(previous.get(key) == record.get(key) for key in _REQUEST_KEYS)
