"""The per-kernel state in one place: settings, client, runtime loop, store, emulator, sessions.

Magics, the panel and the Python API all reach the same objects through ``state()``. Everything is
created on first use and closed by ``reset()`` (tests, ``%unload_ext``, ``configure()``).

``state().sessions`` tells followers when a name gets a session or loses it (``subscribe_sessions``):
``%%gemini_image -s foo --new``, ``load`` and ``branch`` put a new object under a name, and the
panel showing that name then follows the new one.
"""

from __future__ import annotations

import logging
import threading
from collections import UserDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..base.config import Secret, Settings, check_output_dir, merge_configured, resolve_settings
from ..base.errors import VertexImageError
from ..base.notify import Subscribers, Unsubscribe
from ..results.images import set_preview_size
from .costs import Charge, Ledger
from .model_choice import forget_notices

if TYPE_CHECKING:  # pragma: no cover
    from ..client.auth import Auth
    from ..client.http import Client
    from ..client.runtime import Runtime
    from ..results.store import ImageStore
    from .session import ImageSession


logger = logging.getLogger("vertex_image")
_SESSION_FOLLOWERS = Subscribers()  # module-wide: a follower stays subscribed across ``reset()``


def subscribe_sessions(callback: Callable[[str, ImageSession | None], Any]) -> Unsubscribe:
    """Call ``callback(name, session)`` when a name of ``state().sessions`` is set (``None``: removed).

    Held weakly and run on the changing thread, like ``ImageSession.subscribe``; returns the
    function that stops it.
    """
    return _SESSION_FOLLOWERS.add(callback)


class SessionTable(UserDict[str, "ImageSession"]):
    """The kernel's sessions by name: a dict that tells ``subscribe_sessions`` followers of each change."""

    def __setitem__(self, name: str, session: ImageSession) -> None:
        super().__setitem__(name, session)
        _SESSION_FOLLOWERS.notify(name, session)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        _SESSION_FOLLOWERS.notify(name, None)


class KernelState:
    """Lazily built shared objects; ``configure`` changes settings and drops what depends on them."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._lock = threading.RLock()
        self._environ = environ
        self.configured: dict[str, Any] = {}
        self.sessions = SessionTable()
        self.default_session: str | None = None  # the name of this notebook's unnamed session, once chosen
        self._settings: Settings | None = None
        self._auth: Auth | None = None
        self._client: Client | None = None
        self._runtime: Runtime | None = None
        self._store: ImageStore | None = None
        self._store_root = ""
        self._emulator: Any = None
        self.ledger = Ledger()  # what this kernel spends (``core.costs``); kept across ``configure``
        self.ledger.record_to = self._record_charge

    def _record_charge(self, charge: Charge) -> None:
        """Write a charge to the store's index; a store that cannot be written keeps it in memory only."""
        try:
            self.store().record_charge(charge.as_dict())
        except VertexImageError as exc:
            logger.warning("vertex-image: a cost could not be recorded in the image folder: %s", exc)

    # settings -------------------------------------------------------------------------------
    def configure(self, **options: Any) -> Settings:
        """Set options (``None`` unsets one) and return the new effective settings.

        A ``base_url`` is kept only while the backend it was given with stays (``merge_configured``).
        New settings apply to new calls: the calls in flight finish on the client they started with,
        which is closed when the last of them is done (``Client.retire``), never under them.

        Raises ``ConfigError`` / ``InvalidRequest`` for a bad value, leaving the old settings in place.
        """
        merged = self.checked(options)
        with self._lock:
            self.configured = merged
            self._settings = None
            client, runtime, self._client, self._auth = self._client, self._runtime, None, None
        _retire_client(client, runtime)
        return self.settings()

    def checked(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The ``configure()`` layer ``configure(**options)`` would set; changes nothing.

        Raises ``ConfigError`` / ``InvalidRequest`` for a bad value (``%config`` validates with it too).
        """
        merged = merge_configured(self.configured, options, environ=self._environ)
        for secret in ("api_key", "gateway_key"):
            if isinstance(merged.get(secret), str):
                merged[secret] = Secret(merged[secret])  # ``configured`` is shown in reprs and tables
        resolve_settings(configured=merged, environ=self._environ)
        if options.get("output_dir") is not None:
            check_output_dir(merged["output_dir"])
        return merged

    def planned(self, options: Mapping[str, Any]) -> Settings:
        """The settings ``configure(**options)`` would give; changes nothing (raises as ``checked`` does)."""
        return resolve_settings(configured=self.checked(options), environ=self._environ)

    def settings(self) -> Settings:
        """The effective settings (without credentials resolved)."""
        with self._lock:
            if self._settings is None:
                self._settings = resolve_settings(configured=self.configured, environ=self._environ)
                set_preview_size(self._settings.preview_size)  # displays read it from images.py
            return self._settings

    # connection -----------------------------------------------------------------------------
    def client(self) -> Client:
        """The shared client; the first call resolves credentials (and starts the emulator if chosen).

        Its concurrency starts at ``max_concurrency``; when the user did not set it, it may grow (up to
        ``Settings.adaptive_ceiling``) until the service answers 429 (``client.http.AdaptiveLimit``).
        """
        from ..client.http import Client  # lazy: httpx, loaded with the first request

        with self._lock:
            if self._client is None:
                self.auth()
                assert self._settings is not None
                settings = self._with_emulator(self._settings)
                self._settings = settings
                grow_to = settings.adaptive_ceiling  # None when the user set max_concurrency: then a hard cap
                self._client = Client(settings, auth=self._auth, grow_to=grow_to)  # type: ignore[arg-type]
            return self._client

    def busy(self) -> bool:
        """Whether the current client has requests in flight; creates nothing (a cheap per-call check)."""
        client = self._client
        return client is not None and client.in_flight > 0

    def connected_settings(self) -> Settings:
        """Settings after credentials were resolved (project from ADC, emulator URL)."""
        return self.client().settings

    def auth(self) -> Auth:
        """The credentials in use, resolved on first call; starts nothing (no client, no emulator)."""
        from ..client.auth import auth_for  # lazy: asyncio (client.auth), kept out of %load_ext

        with self._lock:
            if self._auth is None:
                auth, settings = auth_for(self.settings(), environ=self._environ)
                self._auth, self._settings = auth, settings
            return self._auth

    def resolved_settings(self) -> Settings:
        """Settings after credentials were resolved (project from ADC), without a client or the emulator."""
        with self._lock:
            self.auth()
            assert self._settings is not None
            return self._settings

    @property
    def emulator_url(self) -> str:
        """The in-process emulator's URL, or "" when it has not been started."""
        emulator = self._emulator
        return emulator.base_url if emulator is not None else ""

    def _with_emulator(self, settings: Settings) -> Settings:
        """The emulator backend without a ``base_url`` of its own (given together with it) uses ours."""
        if settings.backend != "emulator" or settings.base_url:
            return settings
        if self._emulator is None:
            from ..emulator import Emulator  # lazy: the emulator (and Pillow), on the emulator backend only

            self._emulator = Emulator()
            self._emulator.start()
        return replace(settings, base_url=self._emulator.base_url)

    def runtime(self) -> Runtime:
        """The private event loop that every request runs on."""
        from ..client.runtime import Runtime  # lazy: asyncio, kept out of %load_ext

        with self._lock:
            if self._runtime is None:
                self._runtime = Runtime()
            return self._runtime

    def store(self) -> ImageStore:
        """The image store for the current output folder."""
        from ..results.store import ImageStore  # lazy: the first save only; keeps %load_ext at its old cost

        old = None
        with self._lock:
            settings = self.settings()
            where = f"{settings.durability}:{settings.output_dir}"
            if self._store is None or self._store_root != where:
                old = self._store
                self._store = ImageStore(settings.output_dir, durability=settings.durability)
                self._store_root = where
            store = self._store
        if old is not None:  # outside the lock: closing waits for the background pass (its sidecars)
            old.close()
        return store

    # lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the client, stop the emulator and the runtime loop; sessions are kept on disk."""
        with self._lock:
            client, runtime, emulator, store = self._client, self._runtime, self._emulator, self._store
            self._client = self._auth = self._runtime = self._emulator = self._settings = self._store = None
        _close_client(client, runtime)
        if store is not None:
            store.close()  # its sidecars on disk: the folder may be deleted next (a script's temporary folder)
        if emulator is not None:
            emulator.stop()
        if runtime is not None:
            runtime.stop()


def _retire_client(client: Client | None, runtime: Runtime | None) -> None:
    """Let a superseded client finish its calls in flight, then close (on its loop, without waiting here:
    ``configure`` may be called from a thread while the loop is busy, or from the loop itself)."""
    if client is not None and runtime is not None:
        try:
            runtime.submit(client.retire())
        except RuntimeError:  # the loop was stopped: its connections went with it
            pass


def _close_client(client: Client | None, runtime: Runtime | None) -> None:
    """Close a dropped client on its loop, outside the lock: a request on that loop may be waiting for it."""
    if client is not None and runtime is not None:
        try:
            runtime.run(client.aclose())
        except Exception:  # noqa: BLE001 - closing a dead connection must not block reconfiguring
            pass


_STATE: KernelState | None = None
_STATE_LOCK = threading.Lock()


def state() -> KernelState:
    """The kernel's shared state, created on first use."""
    global _STATE
    with _STATE_LOCK:
        if _STATE is None:
            _STATE = KernelState()
        return _STATE


def reset() -> None:
    """Close and forget the shared state (tests, ``%unload_ext``)."""
    global _STATE
    with _STATE_LOCK:
        old, _STATE = _STATE, None
    if old is not None:
        old.close()
    forget_notices()
