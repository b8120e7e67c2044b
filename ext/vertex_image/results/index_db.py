"""The store's index in SQLite (``index.sqlite`` in the image folder): fast queries at 50,000 images, and
several kernels writing at once.

Why SQLite (stdlib ``sqlite3``, imported on the first open): a gallery or a cost total over a JSONL index
reads and parses every line (about 0.6 s at 50,000 images); here they are one indexed query. WAL mode lets
readers go on while one kernel writes, and ``busy_timeout`` makes a second writer wait its turn instead of
failing. A save is one ``BEGIN IMMEDIATE`` transaction taken before its file names are chosen and
committed only after its files were renamed into place: the commit is the save's commit point, so a crash
leaves complete files that are not yet listed, never a row without its file.

Tables: ``images`` (one row per saved image event, the JSON record as the old index line had it, with
columns for the queries), ``charges`` (one row per call that cost something; ``charge_id`` makes a charge
recorded once, e.g. a batch row read again after an interruption), ``replays`` (the answer to each request,
by its key: ``core.replay``), ``sidecars_due`` (each sidecar a save left to the background pass, until it is
on disk: a crash in between is repaired on the next save), ``other_lines`` (anything else an imported ``index.jsonl`` held, kept
verbatim), ``meta``. A call's image rows, its charge and its answers go in one transaction: one commit.

An ``index.jsonl`` (the index of earlier versions) found on open is imported in one transaction, then
renamed ``index.jsonl.imported``. ``meta`` records the size and SHA-256 of what was imported, so a second
kernel racing the first open, or a crash between the commit and the rename, imports nothing twice; lines an
old kernel appended later are imported on the next open.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..base.pricing import Cost

DB_NAME = "index.sqlite"
JSONL_NAME = "index.jsonl"
IMPORTED_SUFFIX = ".imported"
BUSY_TIMEOUT_MS = 10_000  # another kernel's save waits this long for the write lock
SCHEMA_VERSION = 3  # 2: ``replays``; images indexed on (id, file). 3: ``sidecars_due``. The statements are
# idempotent: earlier versions upgrade
SYNCHRONOUS = {"process": "NORMAL", "fsync": "FULL"}  # WAL + NORMAL: a commit survives a killed process
# With durability "process" a commit never waits for a checkpoint (copying the log into the database, with an
# fsync: SQLite's default runs one inside every ~80th save here); the background pass runs it (``checkpoint``).
# Should that pass not come, SQLite still checkpoints at this many pages of log (40 MB).
FALLBACK_CHECKPOINT_PAGES = 10_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ("CREATE TABLE IF NOT EXISTS images (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, file TEXT NOT NULL, "
     "model TEXT NOT NULL, prompt_key TEXT NOT NULL, saved REAL, record TEXT NOT NULL)"),
    "CREATE INDEX IF NOT EXISTS images_by_model ON images (model, seq)",
    "CREATE INDEX IF NOT EXISTS images_by_saved ON images (saved)",
    "CREATE INDEX IF NOT EXISTS images_by_file ON images (file)",
    "DROP INDEX IF EXISTS images_by_id",  # version 1's, on (id) alone: files_of_id walked every row of an id
    "CREATE INDEX IF NOT EXISTS images_by_id_file ON images (id, file)",
    ("CREATE TABLE IF NOT EXISTS charges (seq INTEGER PRIMARY KEY, charge_id TEXT UNIQUE, usd REAL, "
     "is_call INTEGER NOT NULL, backend TEXT NOT NULL, day TEXT NOT NULL, record TEXT NOT NULL)"),
    "CREATE INDEX IF NOT EXISTS charges_totals ON charges (backend, usd, is_call, day)",  # totals from the index alone
    "CREATE TABLE IF NOT EXISTS other_lines (seq INTEGER PRIMARY KEY, origin TEXT NOT NULL, line TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS replays (key TEXT PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sidecars_due (file TEXT PRIMARY KEY, text TEXT NOT NULL)",
)


class IndexFailure(OSError):
    """The index cannot be opened, read or written; ``strerror`` says why and what to do (one line)."""


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def timestamp(text: Any) -> float | None:
    """Unix seconds of an ISO-8601 ``saved_at`` (None when it is not one); a naive time is taken as UTC."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def image_row(record: Mapping[str, Any], text: str | None = None) -> tuple[str, str, str, str, float | None, str]:
    """The columns of an image record (an old index line): id, file, model, casefolded prompt, saved, JSON
    (``text``: the record's ``to_json``, when the caller made it already)."""
    return (str(record.get("id") or ""), str(record["file"]), str(record.get("model") or ""),
            str(record.get("prompt") or "").casefold(), timestamp(record.get("saved_at")),
            to_json(record) if text is None else text)  # fmt: skip


def charge_row(line: Mapping[str, Any]) -> tuple[str | None, float | None, int, str, str, str]:
    """The columns of a charge line ``{"charge": {...}, "saved_at": ...}``: charge_id, usd (None when the cost
    is unreadable: kept, not counted), is_call, backend, day, JSON."""
    charge = line["charge"]
    cost = Cost.from_dict(charge.get("cost"))
    charge_id = charge.get("charge_id")
    return (str(charge_id) if charge_id else None, None if cost is None else cost.usd,
            int(charge.get("kind", "call") == "call"), str(charge.get("backend") or "unknown"),
            str(charge.get("day") or line.get("saved_at") or "")[:10], to_json(line))  # fmt: skip


def parse_jsonl(data: bytes) -> Iterator[tuple[str, Any]]:
    """Each line of an old index as (``image`` | ``charge`` | ``other``, value): a dict with a ``file`` is an image
    record, one with a ``charge`` dict a charge line; anything else (a torn line, odd JSON) is kept as text.

    Lines end at ``\\n`` only: U+2028 and other separators inside a prompt stay inside its line.
    """
    for raw in data.split(b"\n"):
        text = raw.decode("utf-8", "replace").strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except ValueError:
            yield "other", text
            continue
        if isinstance(value, dict) and isinstance(value.get("file"), str):
            yield "image", value
        elif isinstance(value, dict) and isinstance(value.get("charge"), dict):
            yield "charge", value
        else:
            yield "other", text


class IndexDB:
    """The index of one image folder: one connection, used under a lock (saving runs in worker threads too).

    Args:
        folder: the image folder (the database is ``folder / index.sqlite``).
        durability: ``process`` (commits survive a killed process: ``synchronous=NORMAL``) or ``fsync``
            (each commit is fsynced: survives a power loss).
    """

    def __init__(self, folder: Path, durability: str = "process") -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self.durability = durability
        self._lock = threading.RLock()
        self._connection: Any = None
        self._sqlite: Any = None

    def exists(self) -> bool:
        """Whether there is anything to read (the database, or an old index to import)."""
        return self.path.exists() or (self.folder / JSONL_NAME).is_file()

    # opening ---------------------------------------------------------------------------------
    def connect(self) -> Any:
        """The open connection (opened, migrated and the old index imported on first use)."""
        with self._lock:
            if self._connection is None:
                import sqlite3  # lazy: the first use of the index, not %load_ext

                self._sqlite = sqlite3
                with self.failures("open"):
                    connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                                 check_same_thread=False)  # fmt: skip
                    try:
                        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                        use_wal(connection, sqlite3.OperationalError)
                        connection.execute(f"PRAGMA synchronous = {SYNCHRONOUS.get(self.durability, 'FULL')}")
                        if self.durability == "process":  # checkpoints run in the background pass (checkpoint)
                            connection.execute(f"PRAGMA wal_autocheckpoint = {FALLBACK_CHECKPOINT_PAGES}")
                        if connection.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                            with _transaction(connection):
                                for statement in _SCHEMA:
                                    connection.execute(statement)
                                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                        self._connection = connection
                        self._import_jsonl()
                    except BaseException:
                        self._connection = None
                        connection.close()
                        raise
            return self._connection

    def checkpoint(self) -> None:
        """Copy the log into the database (a passive checkpoint: writers go on meanwhile), on a connection of its
        own so that no save waits for it; called by the background fsync pass. A failure only leaves the log
        longer (SQLite checkpoints it later)."""
        if self._sqlite is None or not self.path.exists():
            return
        with contextlib.suppress(Exception):
            side = self._sqlite.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            try:
                side.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                side.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextlib.contextmanager
    def failures(self, doing: str) -> Iterator[None]:
        """``sqlite3.Error`` as an ``IndexFailure`` (an ``OSError``: the store's one-line ``StorageError``)."""
        try:
            yield
        except Exception as exc:
            if self._sqlite is None or not isinstance(exc, self._sqlite.Error):
                raise
            reason = str(exc) or type(exc).__name__
            if "locked" in reason or "busy" in reason:
                fix = f"another kernel held it for over {BUSY_TIMEOUT_MS // 1000} s; try again"
            else:
                fix = f"move {DB_NAME} aside (the images and their .json sidecars stay) and run again"
            raise IndexFailure(0, f"cannot {doing} the index {self.path} ({reason}): {fix}") from exc

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        """One write transaction (``BEGIN IMMEDIATE``: another kernel's save waits for it); committed when the
        block ends without an error, rolled back otherwise."""
        with self._lock:
            connection = self.connect()
            with self.failures("write"), _transaction(connection):
                yield connection

    def _import_jsonl(self) -> None:
        """Import ``index.jsonl`` (what was not imported before), then rename it ``index.jsonl.imported``."""
        source = self.folder / JSONL_NAME
        if not source.is_file():
            return
        connection = self._connection
        with _transaction(connection):
            try:
                data = source.read_bytes()
            except FileNotFoundError:
                return  # another kernel imported and renamed it meanwhile
            found = connection.execute("SELECT value FROM meta WHERE key = 'jsonl_imports'").fetchone()
            imports = json.loads(found[0]) if found else []
            done = max((size for size, digest in imports
                        if len(data) >= size and hashlib.sha256(data[:size]).hexdigest() == digest), default=0)  # fmt: skip
            if done < len(data):
                self._insert_lines(connection, parse_jsonl(data[done:]), origin=JSONL_NAME)
                imports.append([len(data), hashlib.sha256(data).hexdigest()])
                connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('jsonl_imports', ?)",
                                   (json.dumps(imports),))  # fmt: skip
        _rename_aside(source)

    @staticmethod
    def _insert_lines(connection: Any, lines: Iterable[tuple[str, Any]], origin: str) -> None:
        images, charges, others = [], [], []
        for kind, value in lines:
            if kind == "image":
                images.append(image_row(value))
            elif kind == "charge":
                charges.append(charge_row(value))
            else:
                others.append((origin, value))
        connection.executemany(
            "INSERT INTO images (id, file, model, prompt_key, saved, record) VALUES (?, ?, ?, ?, ?, ?)", images)
        connection.executemany("INSERT OR IGNORE INTO charges (charge_id, usd, is_call, backend, day, record) "
                               "VALUES (?, ?, ?, ?, ?, ?)", charges)  # fmt: skip
        connection.executemany("INSERT INTO other_lines (origin, line) VALUES (?, ?)", others)

    # writing ---------------------------------------------------------------------------------
    @staticmethod
    def add_images(connection: Any, records: Sequence[Mapping[str, Any]], *,
                   texts: Sequence[str | None] | None = None) -> None:  # fmt: skip
        """Within ``writing()``: one row per image record (``texts``: each one's JSON, None where not made yet)."""
        rows = [image_row(record, text) for record, text in zip(records, texts or [None] * len(records), strict=True)]
        connection.executemany("INSERT INTO images (id, file, model, prompt_key, saved, record) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rows)  # fmt: skip

    def add_charge(self, line: Mapping[str, Any]) -> bool:
        """One charge line in its own transaction; False when its ``charge_id`` was recorded already."""
        with self.writing() as connection:
            return self.insert_charge(connection, line)

    @staticmethod
    def insert_charge(connection: Any, line: Mapping[str, Any]) -> bool:
        """Within ``writing()``: one charge line; False when its ``charge_id`` was recorded already."""
        cursor = connection.execute("INSERT OR IGNORE INTO charges (charge_id, usd, is_call, backend, day, record) "
                                    "VALUES (?, ?, ?, ?, ?, ?)", charge_row(line))  # fmt: skip
        return bool(cursor.rowcount)

    @staticmethod
    def add_replay(connection: Any, key: str, record: str) -> None:
        """Within ``writing()``: the answer (JSON text) to the request ``key``; a later answer replaces it."""
        connection.execute("INSERT OR REPLACE INTO replays (key, record) VALUES (?, ?)", (key, record))

    @staticmethod
    def add_sidecars_due(connection: Any, due: Sequence[tuple[str, str]]) -> None:
        """Within ``writing()``: (image file, sidecar text) of sidecars written after the commit."""
        connection.executemany("INSERT OR REPLACE INTO sidecars_due (file, text) VALUES (?, ?)", due)

    @staticmethod
    def sidecar_due(connection: Any, filename: str) -> str | None:
        """Within ``writing()``: the text of ``filename``'s sidecar when it is due (another kernel's save may have
        left it to its background pass)."""
        row = connection.execute("SELECT text FROM sidecars_due WHERE file = ?", (filename,)).fetchone()
        return None if row is None else str(row[0])

    def sidecars_due(self) -> list[tuple[str, str]]:
        """(image file, sidecar text) of every sidecar not known to be on disk."""
        return [(str(file), str(text)) for file, text in self.rows("SELECT file, text FROM sidecars_due")]

    def forget_sidecars(self, files: Sequence[str]) -> None:
        """Their sidecars are on disk."""
        if files:
            with self.writing() as connection:
                connection.executemany("DELETE FROM sidecars_due WHERE file = ?", [(file,) for file in files])

    # reading ---------------------------------------------------------------------------------
    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, read lazily (a gallery stops at its ``n``th image); none when nothing was saved."""
        if not self.exists():
            return
        with self._lock:
            connection = self.connect()
            with self.failures("read"):
                cursor = connection.execute(sql, parameters)
                while True:
                    batch = cursor.fetchmany(64)
                    if not batch:
                        return
                    yield from batch

    def images(self, *, model: str | None = None, contains: str | None = None, since: float | None = None,
               newest_first: bool = True) -> Iterator[tuple[str, str, str]]:  # fmt: skip
        """(id, file, JSON record) of the image rows that match, newest first."""
        where, parameters = [], []
        if model:
            where.append("model = ?")
            parameters.append(model)
        if since is not None:
            where.append("saved >= ?")
            parameters.append(since)
        if contains:
            where.append("instr(prompt_key, ?) > 0")
            parameters.append(contains.casefold())
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        order = "DESC" if newest_first else "ASC"
        yield from self.rows(f"SELECT id, file, record FROM images{clause} ORDER BY seq {order}", parameters)

    @staticmethod
    def files_with_id(connection: Any, image_id: str) -> list[str]:
        """Within ``writing()``: the files the image rows of ``image_id`` name, each once.

        One index seek per file (the next name after the last), not a walk over every row of the id: the same
        bytes saved again under other prompts add rows, not files (1,000 rows of one image: 5.5 us, against 175);
        content never saved (the usual case) is one seek."""
        files: list[str] = []
        found = connection.execute("SELECT MIN(file) FROM images WHERE id = ?", (image_id,)).fetchone()[0]
        while found is not None:
            files.append(found)
            found = connection.execute("SELECT MIN(file) FROM images WHERE id = ? AND file > ?",
                                       (image_id, found)).fetchone()[0]  # fmt: skip
        return files

    def listed(self, connection: Any, filename: str) -> bool:
        """Within ``writing()``: whether an image row names ``filename``."""
        return connection.execute("SELECT 1 FROM images WHERE file = ? LIMIT 1", (filename,)).fetchone() is not None

    def files_of_id(self, prefix: str) -> Iterator[str]:
        """The files of the image rows whose id starts with ``prefix`` (hex digits), newest first."""
        yield from (row[0] for row in self.rows("SELECT file FROM images WHERE id GLOB ? ORDER BY seq DESC",
                                                (prefix + "*",)))  # fmt: skip

    def charge_lines(self, counted_only: bool = False) -> list[dict[str, Any]]:
        """The charge lines (``{"charge": ..., "saved_at": ...}``), oldest first; ``counted_only``: those with a
        readable cost."""
        clause = " WHERE usd IS NOT NULL" if counted_only else ""
        return [json.loads(row[0]) for row in self.rows(f"SELECT record FROM charges{clause} ORDER BY seq")]

    def charge_totals(self) -> dict[str, Any]:
        """The all-time totals, summed by SQLite: ``usd``, ``calls``, ``since`` (first day), ``by_backend``."""
        by_backend: dict[str, float] = {}
        usd, calls, since = 0.0, 0, ""
        for backend, total, count, first in self.rows(
            "SELECT backend, SUM(usd), SUM(is_call), MIN(day) FROM charges WHERE usd IS NOT NULL GROUP BY backend"
        ):
            by_backend[backend] = total
            usd += total
            calls += count
            since = min(since, first) if since else first
        return {"usd": usd, "calls": calls, "since": since, "by_backend": by_backend}

    def replay(self, key: str) -> str | None:
        """The answer recorded for the request ``key`` (JSON text), or None."""
        with contextlib.closing(self.rows("SELECT record FROM replays WHERE key = ?", (key,))) as rows:
            row = next(rows, None)
        return None if row is None else str(row[0])

    def other_lines(self) -> list[str]:
        """What an imported index held that was neither an image nor a charge (torn lines included)."""
        return [row[0] for row in self.rows("SELECT line FROM other_lines ORDER BY seq")]


def use_wal(connection: Any, busy: type[Exception], *, wait_s: float = BUSY_TIMEOUT_MS / 1000,
            sleep: Callable[[float], object] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
    """Put the database in WAL mode, waiting for another kernel that is doing the same.

    Two kernels opening a new folder's index at once both find it in rollback mode; the one that switches second
    is refused at once with "database is locked" (SQLite does not wait on the other's open WAL connection), though
    the mode it wants is set a moment later. So a refusal is met by looking again, for up to ``wait_s``.
    """
    deadline = clock() + wait_s
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except busy as exc:
            if not any(word in str(exc) for word in ("locked", "busy")) or clock() >= deadline:
                raise
            sleep(0.01)


@contextlib.contextmanager
def _transaction(connection: Any) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _rename_aside(source: Path) -> None:
    """``index.jsonl`` -> ``index.jsonl.imported`` (``.imported-2`` ... when that exists): kept, never replaced."""
    for number in range(1, 1000):
        target = source.with_name(source.name + IMPORTED_SUFFIX + (f"-{number}" if number > 1 else ""))
        try:
            os.link(source, target)  # fails when the target exists: an earlier import is never replaced
        except FileExistsError:
            continue
        except FileNotFoundError:
            return  # another kernel renamed it first
        except OSError:
            if target.exists():
                continue
            with contextlib.suppress(OSError):
                os.rename(source, target)  # a file system without hard links
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(source)
        return
