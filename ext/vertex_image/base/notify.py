"""``Subscribers``: change callbacks held weakly, so that a listener (a panel) can be garbage-collected.

Sessions and the session registry tell whoever follows them that something changed (the panel's
history strip follows a session a magic adds turns to). A follower registers a callback and gets an
``unsubscribe`` function back. The callbacks are held weakly: a bound method through
``weakref.WeakMethod`` (the object stays collectable), any other callable through ``weakref.ref``,
so the caller keeps a plain function or lambda alive itself. A callback runs on the thread that made
the change; its exceptions are logged at debug level and never reach the code that made the change.
"""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Unsubscribe = Callable[[], None]


class Subscribers:
    """A thread-safe list of weakly held callbacks, all called by ``notify(*args)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: list[weakref.ref[Any]] = []

    def add(self, callback: Callable[..., Any]) -> Unsubscribe:
        """Hold ``callback`` weakly until it is collected or the returned function is called."""
        if not callable(callback):
            raise TypeError(f"A subscriber must be callable, not {type(callback).__name__}.")
        try:
            ref: weakref.ref[Any] = (
                weakref.WeakMethod(callback) if inspect.ismethod(callback) else weakref.ref(callback)
            )
        except TypeError:
            raise TypeError(
                f"{callback!r} cannot be held weakly; subscribe a function or a bound method of your own."
            ) from None
        with self._lock:
            self._refs.append(ref)

        def unsubscribe() -> None:
            with self._lock:  # by identity: weak references to one callback compare equal
                self._refs = [held for held in self._refs if held is not ref]

        return unsubscribe

    def notify(self, *args: Any) -> None:
        """Call every live callback with ``args``; drop the collected ones; log and swallow exceptions."""
        with self._lock:
            self._refs = [ref for ref in self._refs if ref() is not None]
            refs = list(self._refs)
        for ref in refs:
            callback = ref()
            if callback is None:
                continue
            try:
                callback(*args)
            except Exception:  # noqa: BLE001 - a follower's bug must not break the change it follows
                log.debug("change callback %r failed", callback, exc_info=True)

    def __len__(self) -> int:
        """How many callbacks are still alive."""
        with self._lock:
            return sum(ref() is not None for ref in self._refs)


__all__ = ["Subscribers", "Unsubscribe"]
