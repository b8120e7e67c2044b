"""The kernel's sessions by name: those in memory (``registry.state().sessions``) and those on disk.

The magics and the panel share sessions by name, so both look them up here: in memory first, then
in the store's ``sessions/`` folder (where ``ImageSession.default_path`` writes after every turn).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .registry import state

if TYPE_CHECKING:  # pragma: no cover
    from .session import ImageSession

SESSION_FORMAT = "vertex-image-session"


def sessions_folder() -> Path:
    """The store's folder of saved sessions (it may not exist yet)."""
    return Path(state().settings().output_dir) / "sessions"


def session_path(name: str) -> Path:
    """Where the session ``name`` is saved (the file may not exist)."""
    return sessions_folder() / f"{name}.json"


def session_names() -> list[str]:
    """Sessions in this kernel plus those saved on disk under the output folder, sorted."""
    names = set(state().sessions)
    folder = sessions_folder()
    if folder.is_dir():
        names.update(path.stem for path in folder.glob("*.json"))
    return sorted(names)


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


def existing_session(name: str) -> ImageSession | None:
    """A session by name from memory, else from a valid session file (then kept in memory); None if neither."""
    from .session import ImageSession

    kernel = state()
    if name in kernel.sessions:
        return kernel.sessions[name]
    if not any(row[0] == name for row in session_rows()):
        return None
    session = ImageSession.load(session_path(name), name=name)
    kernel.sessions[name] = session
    return session


def session_named(name: str, *, create: bool, model: str | None) -> ImageSession | None:
    """The session ``name``: in memory, else resumed from disk, else (``create``) new; kept in memory."""
    from .session import ImageSession

    kernel = state()
    session = kernel.sessions.get(name)
    if session is not None:
        return session
    path = session_path(name)
    if path.is_file():
        session = ImageSession.load(path, name=name)
    elif create:
        session = ImageSession(model=model, name=name)
    else:
        return None
    kernel.sessions[name] = session
    return session


def session_for_turn(name: str, new: bool, model: str | None) -> tuple[ImageSession, bool]:
    """The session to continue (memory, else disk) or a fresh one; and whether it is in memory already.

    A session resumed from disk or made new is not kept in memory here: the caller keeps it once a
    turn has succeeded, so a failed first turn leaves nothing behind.
    """
    from .session import ImageSession

    kernel = state()
    if not new and name in kernel.sessions:
        return kernel.sessions[name], True
    fresh = ImageSession(model=model, name=name)  # checks the name and that the model is Gemini
    path = fresh.default_path()
    if not new and path.is_file():
        return ImageSession.load(path, name=name), False
    return fresh, False


__all__ = [
    "existing_session",
    "session_for_turn",
    "session_named",
    "session_names",
    "session_path",
    "session_rows",
    "sessions_folder",
]
