"""The model a call goes to: resolved, checked against Google's lineup on the surface in use, migrated if asked.

A retired model is answered here, before anything is sent (``retired_models`` decides: refuse, migrate,
send). A deprecated or restricted model goes ahead; its notice is given once per kernel and surface.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace

from ..base.config import Settings
from ..base.models import Checked, check_lifecycle, resolve_model

_TOLD: set[tuple[str, str]] = set()  # (model id, surface) whose notice this kernel has shown
_TOLD_LOCK = threading.Lock()


def choose_model(name: str, settings: Settings, *, options: Iterable[str] = ()) -> Checked:
    """The checked model for ``name`` on the surface ``settings`` speaks; ``options`` are the names given.

    Raises:
        InvalidRequest: an unknown near-miss name (did you mean).
        ModelRetired: a retired model that ``settings.retired_models`` does not migrate or send.
    """
    checked = check_lifecycle(
        resolve_model(name), settings.speaks, policy=settings.retired_models, options=tuple(options)
    )
    if checked.notice is None or checked.migrated_from:
        return checked  # a migration is told every time: it changes what is sent
    key = (checked.info.id, settings.speaks)
    with _TOLD_LOCK:
        if key in _TOLD:
            return replace(checked, notice=None)
        _TOLD.add(key)
    return checked


def forget_notices() -> None:
    """Show every notice again (a new kernel state, or a test)."""
    with _TOLD_LOCK:
        _TOLD.clear()
