"""The kernel's sessions by name: those in memory (``registry.state().sessions``) and those on disk.

The magics and the panel share sessions by name, so both look them up here: in memory first, then
in the store's ``sessions/`` folder (where ``ImageSession.default_path`` writes after every turn).

Sessions never cross notebooks unasked. The unnamed session (``%%gemini_image`` without ``-S``, the
panel's default) is this kernel's own: it is named after the notebook (``default`` where no notebook
path is known) and never resumed from disk; a file of that name from an earlier kernel is left as it
is and the new session takes the next free name (``fox-2``). A session named by the user is resumed
from disk, and resuming always says so in one line (``resuming 'fox' from <path>: 3 turns``).

A name is never taken over silently: a session that starts a name over (``vi.chat(..., new=True)``,
``%%gemini_image --new``) or the panel's new one takes the name only once its first turn is
recorded, and ``load`` or ``branch`` refuse a name in use unless told to replace it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..base.errors import InvalidRequest
from ..base.models import resolve_model
from .registry import state
from .session import ImageSession, check_session_name, refuse_existing, session_path, sessions_folder

SESSION_FORMAT = "vertex-image-session"
Tell = Callable[[str], object]
"""Where a one-line notice goes (``print`` in a notebook cell, the panel's status line)."""


def default_session_name(notebook: str | None = None, tell: Tell | None = None) -> str:
    """This kernel's unnamed session: ``notebook``'s file name (a path; else ``default``), never one on disk.

    Chosen once per kernel: when a session of that name is on disk already (an earlier kernel's, or
    another notebook's) or in memory, the next free name is taken (``default-2``) and the old one is
    left as it is; naming it (``-S default``) resumes it with a notice. ``tell`` hears that choice once.
    """
    kernel = state()
    if kernel.default_session is None:
        stem = Path(notebook).stem if notebook else ""
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:56] or "default"
        name, number = base, 1
        while name in kernel.sessions or session_path(name).is_file():
            number += 1
            name = f"{base}-{number}"
        kernel.default_session = name
        if name != base and tell is not None:
            tell(f"this notebook's session is {name!r}: {base!r} is an earlier one, left as it is "
                 f"(-S {base} resumes it)")
    return kernel.default_session


def resume_line(name: str, path: Path, turns: int) -> str:
    """The one line said whenever a session is resumed from disk."""
    return f"resuming {name!r} from {path}: {_turns(turns)}"


def _resume(name: str, tell: Tell | None) -> ImageSession:
    """The session ``name`` read from its file in the store, with the one-line notice to ``tell``."""
    path = session_path(name)
    session = ImageSession.load(path, name=name)
    if tell is not None:
        tell(resume_line(name, path, len(session)))
    return session


def session_names() -> list[str]:
    """Sessions in this kernel plus those saved on disk under the output folder, sorted."""
    names = set(state().sessions)
    folder = sessions_folder()
    if folder.is_dir():
        names.update(path.stem for path in folder.glob("*.json"))
    return sorted(names)


def _free_name(prefix: str) -> str:
    taken = set(session_names())
    number = 1
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def session_rows() -> list[tuple[str, str, str, str]]:
    """(name, model, turns, where) for sessions in memory and in the store's sessions folder."""
    kernel = state()
    rows = {name: (name, s.model, str(len(s)), "memory") for name, s in kernel.sessions.items()}
    folder = sessions_folder()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.stem in rows:
            rows[path.stem] = (*rows[path.stem][:3], "memory, disk")
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and document.get("format") == SESSION_FORMAT:
            turns = len(document.get("exchanges") or [])
            rows[path.stem] = (path.stem, str(document.get("model", "")), str(turns), "disk")
    return [rows[name] for name in sorted(rows)]


def existing_session(name: str, tell: Tell | None = print) -> ImageSession | None:
    """A session by name from memory, else from a valid session file (then kept in memory, and
    ``tell`` is told); None if neither."""
    kernel = state()
    if name in kernel.sessions:
        return kernel.sessions[name]
    if not any(row[0] == name for row in session_rows()):
        return None
    session = _resume(name, tell)
    kernel.sessions[name] = session
    return session


def session_named(name: str, *, create: bool, model: str | None, tell: Tell | None = print) -> ImageSession | None:
    """The session ``name``: in memory, else resumed from disk (kept in memory; ``tell`` is told), else
    (``create``) new.

    A new session is not kept in memory here: it takes its name when its first turn is recorded, so
    a failed first turn leaves no empty session behind (as with ``%%gemini_image``).
    """
    kernel = state()
    session = kernel.sessions.get(name)
    if session is not None:
        return session
    path = session_path(name)
    if path.is_file():
        session = _resume(name, tell)
    elif create:
        session = ImageSession(model=model, name=name)
        session._register_on_commit = True
        return session
    else:
        return None
    kernel.sessions[name] = session
    return session


def open_session(name: str | None = None, model: str | None = None, *, new: bool = False, tell: Tell | None = print,
                 **options: Any) -> ImageSession:
    """The session ``vi.chat`` returns.

    Without a name: a new session under the first free name ``chat-1``, ``chat-2``... (so it never
    writes over the magics' ``default`` session, and can be resumed by that name). With an unused name: a
    new session kept under that name. With a name in use (memory, else disk): that session resumed
    as it is, like ``%%gemini_image -s NAME``; a ``model`` or an option that differs from the
    session's is refused rather than ignored. With ``new=True`` and a name in use: a new session
    that replaces the old one (in memory and on disk) only when its first turn is recorded, like
    ``%%gemini_image --new``. Bad input raises ``InvalidRequest`` before anything changes.
    """
    if not isinstance(new, bool):
        raise InvalidRequest(f"new must be True or False, not {new!r}.")
    if name is None or name == "":
        name = _free_name("chat")
    fresh = ImageSession(model=model, name=name, **options)  # checks the name, the model and the options
    kernel = state()
    existing = kernel.sessions.get(fresh.name)
    in_memory = existing is not None
    on_disk = session_path(fresh.name).is_file()
    if new and (in_memory or on_disk):
        fresh._register_on_commit = True  # the old session stays until this one's first turn
        fresh._may_replace = True  # ...and then replaces it on disk, whatever another kernel wrote there
        return fresh
    if existing is None and on_disk:
        existing = ImageSession.load(session_path(fresh.name), name=fresh.name)
    if existing is not None:
        differences = [f"model {existing.model}"] if model and resolve_model(model).id != existing.model else []
        differences += [
            f"{key}={existing.options.get(key)!r}" for key, value in options.items()
            if existing.options.get(key) != value
        ]
        if differences:
            raise InvalidRequest(
                f"Session {fresh.name!r} exists ({_turns(len(existing))}) with other settings "
                f"({', '.join(differences)}); "
                f"continue it with vi.chat(name={fresh.name!r}), or start it over with new=True."
            )
        if not in_memory:
            if tell is not None:
                tell(resume_line(fresh.name, session_path(fresh.name), len(existing)))
            kernel.sessions[fresh.name] = existing
        return existing
    kernel.sessions[fresh.name] = fresh
    return fresh


def load_session(path: str | os.PathLike[str], name: str | None = None, *, replace: bool = False) -> ImageSession:
    """Load a session file into memory and the store under ``name`` (default: the name in the file).

    A name in use is refused unless ``replace`` (or the file is that session's own file in the store:
    then loading it again just reads it back). The store's copy is written before the name is taken,
    so a failure changes nothing.
    """
    if name is not None:
        check_session_name(name)
    source = Path(path).expanduser()
    session = ImageSession.load(source, name=name)
    own_file = session.default_path()
    if not (own_file.is_file() and source.resolve() == own_file.resolve()):
        if not replace:
            refuse_existing(session.name, "loading it", "load it under another name (-s NAME), or replace it "
                            "explicitly (%gemini_image load --replace / replace=True)")
        # into the store too, so that `-s NAME` resumes it after a restart
        session._may_replace = True
        session._write_own_file(session.exchanges, session.model, "the session was not loaded")
    state().sessions[session.name] = session
    return session


def _turns(count: int) -> str:
    return f"{count} turn" if count == 1 else f"{count} turns"


def session_for_turn(
    name: str, new: bool, model: str | None, *, resume: bool = True, tell: Tell | None = print
) -> tuple[ImageSession, bool]:
    """The session to continue (memory, else disk) or a fresh one; and whether it is in memory already.

    A session resumed from disk (only with ``resume``: the unnamed session never is) says so to
    ``tell``. A session resumed or made new is not kept in memory here: the caller keeps it once a
    turn has succeeded, so a failed first turn leaves nothing behind.
    """
    kernel = state()
    if not new and name in kernel.sessions:
        return kernel.sessions[name], True
    fresh = ImageSession(model=model, name=name)  # checks the name and that the model is Gemini
    path = fresh.default_path()
    if not new and resume and path.is_file():
        return _resume(name, tell), False
    fresh._may_replace = new  # --new starts the name over, on disk too
    return fresh, False


__all__ = [
    "Tell",
    "default_session_name",
    "existing_session",
    "load_session",
    "open_session",
    "refuse_existing",
    "resume_line",
    "session_for_turn",
    "session_named",
    "session_names",
    "session_path",
    "session_rows",
    "sessions_folder",
]
