"""``ImagePanel``: an ipywidgets 8 panel over the same client, store and sessions as the magics.

Some users would rather click than type. The panel builds the same typed requests as the magics
(``core.api.agenerate_request`` for one-shot generation, ``ImageSession.asend_detailed`` for a
conversation), so results are saved by the store and sessions are shared through
``registry.state().sessions``: a session started with ``%%gemini_image -S foo`` continues here when
``foo`` is chosen, and the other way round. Without a session named, the panel continues this
notebook's own unnamed session (the one ``%%gemini_image`` without ``-S`` uses), never one from disk;
choosing a session that is only on disk resumes it and says so in the status line.

The panel follows the session it shows as it changes: it subscribes to that session
(``ImageSession.subscribe``) and to the registry's names (``registry.subscribe_sessions``), so a turn,
``undo`` or ``reset`` made by a magic, and ``%%gemini_image -S foo --new`` replacing ``foo``, show up in
the history strip, the Undo button and the session list without Refresh. Both hold the panel weakly.
Refresh stays for sessions changed on disk by another kernel.

It never blocks the kernel: a click submits the work to the runtime loop and returns at once (comm
messages, such as a click on Cancel, are only processed while the kernel is idle). The returned
``concurrent.futures.Future`` is kept as ``panel.pending``; Cancel cancels it, and a generation
counter drops a late result from a superseded request. Widgets are updated from the runtime thread
by setting traits only (no ``Output`` context managers, which misbehave off the main thread).

The widget tree is built by ``controls``, the status and progress wording comes from ``status`` and
the "Insert code" magics from ``code``; their public names are importable from here too. This module
imports ipywidgets (through ``controls``); ``import vertex_image`` never imports it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython import get_ipython

from ...base.errors import InvalidRequest, VertexImageError
from ...base.notify import Unsubscribe
from ...base.text import clip
from ...core.api import GenerateRequest, agenerate_request
from ...core.named_sessions import default_session_name, session_named, session_names
from ...core.registry import state, subscribe_sessions
from ...core.session import Exchange, ImageSession, session_path
from ..grammar import notebook_path
from .code import gemini_magic, imagen_magic
from .controls import CONVERSATION, ONE_SHOT, PanelControls, close_tree, history_item, mark_selected, tile
from .insert import ask_front_end
from .status import (
    CANCELLED_TEXT,
    blocked_text,
    describe_error,
    progress_span,
    progress_text,
    report_text,
    spend_text,
)

if TYPE_CHECKING:  # pragma: no cover
    from ...client.runtime import Runtime
    from ...results.images import GeneratedImage, ImageSet

TICK_S = 0.5

OnRetry = Callable[[Any], None]
Work = Callable[[OnRetry], Awaitable[Any]]
AskFrontEnd = Callable[[str, "str | None", Callable[[bool, str], None]], None]


class ImagePanel(PanelControls):
    """The panel: prompt, options, buttons, progress, a results grid, a history strip, a status line.

    Display it by leaving it last in a cell (``vi.panel()``). Widgets are public attributes so that
    tests and users can drive them (``panel.prompt.value = "..."; panel.generate_button.click()``),
    then wait on ``panel.pending.result()``.

    Args:
        session: the name of the session to continue (``None``: this notebook's own, never one from disk).
        model: a model id or alias to preselect.
        mode: ``one-shot`` or ``conversation`` (default: conversation when a session is named).
        runtime: where work runs (default: the kernel's runtime loop; tests may pass another).
        shell: the IPython shell for "Insert code" (default: ``get_ipython()``).
        clock: a monotonic clock for the elapsed time.
        tick_s: how often the progress line refreshes while a request runs.
        ask_front_end: how a click on "Insert code" asks the front end for a new cell (tests pass a fake).
    """

    def __init__(
        self,
        session: str | None = None,
        model: str | None = None,
        mode: str | None = None,
        *,
        runtime: Runtime | None = None,
        shell: Any = None,
        clock: Callable[[], float] = time.monotonic,
        tick_s: float = TICK_S,
        ask_front_end: AskFrontEnd = ask_front_end,
    ) -> None:
        if mode not in (None, ONE_SHOT, CONVERSATION):
            raise InvalidRequest(f"mode must be {ONE_SHOT!r} or {CONVERSATION!r}, not {mode!r}.")
        self._runtime = runtime
        self._shell = shell
        self._clock = clock
        self._tick_s = tick_s
        self._ask_front_end = ask_front_end
        self._lock = threading.RLock()
        self._generation = 0
        self._busy = False
        self._label = ""
        self._started_at = 0.0
        self._retry: tuple[Any, float] | None = None
        self.pending: concurrent.futures.Future[Any] | None = None
        self.results: list[GeneratedImage] = []
        self.selected_index: int | None = None
        self.last_code = ""
        self._followed: ImageSession | None = None
        self._unfollow: Unsubscribe | None = None
        self._history_shown: list[tuple[Exchange, Any]] = []  # each turn shown, with its item in the strip
        super().__init__()
        self._wire()
        self._unfollow_names = subscribe_sessions(self._on_sessions_changed)
        self.refresh_sessions(select=session)
        self.mode.value = mode or (CONVERSATION if session else ONE_SHOT)
        self._show_mode_controls()
        self._fill_models(prefer=model)
        self._show_history()
        self._update_buttons()

    # construction ---------------------------------------------------------------------------
    def _wire(self) -> None:
        self.mode.observe(self._on_mode, names="value")
        self.model.observe(self._on_model, names="value")
        self.seed_auto.observe(lambda change: self._sync_seed(), names="value")
        self.session.observe(self._on_session, names="value")
        self.generate_button.on_click(self._guard(self.generate))
        self.cancel_button.on_click(self._guard(self.cancel))
        self.refine_button.on_click(self._guard(self.refine))
        self.undo_button.on_click(self._guard(self.undo))
        self.new_session_button.on_click(self._guard(self.new_session))
        self.save_button.on_click(self._guard(self.save_selected))
        self.insert_code_button.on_click(self._guard(self.insert_code))
        self.refresh_button.on_click(self._guard(self.refresh))

    def _guard(self, action: Callable[[], Any]) -> Callable[[Any], None]:
        """A click handler that shows any exception in the status line (JupyterLab hides them)."""

        def handler(_button: Any) -> None:
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - the panel must keep working after any error
                self._set_status(describe_error(exc), "error")
                self._update_buttons()

        return handler

    # display --------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The live widget, plus a static ``text/html`` picture of the panel for pages without a widget
        manager (a notebook rendered by nbconvert, GitHub): there it shows instead of ``VBox(children=...``."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle = {**bundle, "text/html": static_html(self)}
        return bundle

    def __repr__(self) -> str:
        return f"ImagePanel(mode={self.mode.value!r}, model={self.model.value!r}, session={self.session.value!r})"

    # options that follow the model ----------------------------------------------------------
    def _fill_models(self, prefer: str | None = None) -> None:
        session = self._readable_session()
        self._fill_model_options(prefer, session.model if session is not None else None)

    def _readable_session(self) -> ImageSession | None:
        """The chosen session, or None when its file cannot be read: then the status line names the file
        skipped and why, in one line, and the panel works on (one damaged file never stops it opening)."""
        try:
            return self.current_session()
        except VertexImageError as exc:
            name = self.session.value
            where = f"{session_path(name)}" if name else "the session"
            reason = str(exc)
            if reason.startswith(f"{where} "):  # the path is said once
                reason = "it" + reason[len(where):]
            self._set_status(clip(f"Skipped {where}: {reason}", 400), "error")
            return None

    def _on_mode(self, change: dict[str, Any]) -> None:
        self._fill_models()
        self._show_mode_controls()
        self._update_buttons()

    def _on_model(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self._fill_capabilities()

    # sessions -------------------------------------------------------------------------------
    def session_names(self) -> list[str]:
        """Sessions in this kernel plus those saved on disk under the output folder."""
        return session_names()

    def default_session(self) -> str:
        """This notebook's unnamed session (shared with ``%%gemini_image`` without ``-S``)."""
        shell = self._shell if self._shell is not None else get_ipython()
        namespace = getattr(shell, "user_ns", None) or {}
        return default_session_name(notebook_path(namespace))

    def refresh_sessions(self, select: str | None = None) -> None:
        """Re-read the session names (a magic may have started one since)."""
        names = self.session_names()
        wanted = select or self.session.value or self.default_session()
        if wanted and wanted not in names:
            names.append(wanted)
        self._syncing = True
        try:
            self.session.options = names
            self.session.value = wanted if wanted in names else (names[0] if names else None)
        finally:
            self._syncing = False

    def current_session(self, create: bool = False) -> ImageSession | None:
        """The chosen session: from this kernel, else loaded from disk, else (``create``) a new one.

        A new one takes its name in the registry only when its first turn is recorded, so a failed or
        cancelled first turn leaves no empty session behind (as with ``%%gemini_image``).
        """
        name = self.session.value or (self.default_session() if create else None)
        if not name:
            return None
        session = session_named(name, create=create, model=self._gemini_model(), tell=self._tell)
        if session is not None and self.session.value != name:
            self.refresh_sessions(select=name)
        return session

    def _tell(self, line: str) -> None:
        """A one-line notice (a session resumed from disk) in the status line."""
        self._set_status(line[:1].upper() + line[1:] + ".", "info")

    def _gemini_model(self) -> str | None:
        value = self.model.value
        return value if value and self.model_info().family == "gemini" else None

    def _on_session(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        session = self._readable_session()
        if session is not None and self.mode.value == CONVERSATION:
            self._fill_models(prefer=session.model)
        self._show_history()
        self._update_buttons()

    # actions --------------------------------------------------------------------------------
    def generate(self) -> concurrent.futures.Future[Any] | None:
        """Generate from the prompt: one-shot images, or the next turn of the conversation."""
        if self.mode.value == CONVERSATION:
            return self._send_turn(attach=None)
        prompt = self.prompt.value.strip()
        if not prompt:
            self._set_status("Write a prompt first.", "error")
            return None

        info = self.model_info()
        request = GenerateRequest(
            prompt=prompt,
            model=info.id,
            n=self.count.value,
            aspect_ratio=self.aspect_ratio.value or None,
            image_size=self.image_size.value or None,
            negative_prompt=(self.negative_prompt.value.strip() or None)
            if self.negative_prompt.layout.display != "none" else None,
            seed=self._seed_value(),
        )
        code = imagen_magic(request)

        async def work(on_retry: OnRetry) -> ImageSet:
            return await agenerate_request(request, on_retry=on_retry)

        def done(images: ImageSet) -> None:
            if images.images:  # a blocked answer keeps the grid, so its selection can still be refined
                self._show_results(list(images))
            self._report(images, info.id)

        return self._start(work, info.id, code, done)

    def refine(self) -> concurrent.futures.Future[Any] | None:
        """The next turn of the conversation, with the selected image attached."""
        image = self.selected
        if image is None:
            self._set_status("Select an image in the grid first (its Select button).", "error")
            return None
        if self.mode.value != CONVERSATION:
            self.mode.value = CONVERSATION
        return self._send_turn(attach=image)

    def _send_turn(self, attach: GeneratedImage | None) -> concurrent.futures.Future[Any] | None:
        prompt = self.prompt.value.strip()
        if not prompt:
            self._set_status("Write a prompt first.", "error")
            return None
        session = self.current_session(create=True)
        assert session is not None
        last = session.last_image
        # The session's newest image is already in the history it replays; attach only another one.
        images = [attach] if attach is not None and (last is None or last.data != attach.data) else None
        options = {
            "model": self._gemini_model(),
            "aspect_ratio": self.aspect_ratio.value or None,
            "image_size": self.image_size.value or None,
            "seed": self._seed_value(),
        }
        model_id = options["model"] or session.model
        code = gemini_magic(session.name, prompt, model=options["model"], aspect_ratio=options["aspect_ratio"],
                            image_size=options["image_size"], seed=options["seed"],
                            image=attach.path if images and attach is not None else None)

        async def work(on_retry: OnRetry) -> Any:
            return await session.asend_detailed(prompt, images, on_retry=on_retry, **options)

        def done(result: Any) -> None:
            if result.images.images:
                self._show_results(list(result.images))
            self._show_history(session)
            self._report(result.images, model_id, turn=len(session))

        label = f"{model_id} · session {session.name!r} turn {len(session) + 1}"
        return self._start(work, label, code, done)

    def cancel(self) -> None:
        """Cancel the request in flight; its result, if it still comes, is dropped."""
        with self._lock:
            future = self.pending
            if not self._busy or future is None:
                return
            self._generation += 1
            self._busy = False
            future.cancel()
        self.progress.value = ""
        self._set_status(CANCELLED_TEXT, "warn")
        self._update_buttons()

    def undo(self) -> None:
        """Remove the session's last turn (its images stay on disk)."""
        session = self.current_session()
        if session is None or not len(session):
            self._set_status("Nothing to undo in this session.", "error")
            return
        exchange = session.undo()
        self._show_history(session)
        last = session.exchanges[-1].images if session.exchanges else []
        self._show_results(list(last))
        self._set_status(f"Undid turn {len(session) + 1} ({clip(exchange.prompt, 40)!r}) of "
                         f"session {session.name!r}.", "info")
        self.last_code = ""  # the undone turn's magic no longer stands for what is shown
        if self.code.layout.display != "none":
            self.code.value = f"%gemini_image undo -S {session.name}"
        self._update_buttons()

    def new_session(self) -> None:
        """Start a new, empty conversation (named in the box beside the button, or ``panel-N``)."""
        name = self.session_name.value.strip()
        existing = set(self.session_names())
        if not name:
            number = 1
            while f"panel-{number}" in existing:
                number += 1
            name = f"panel-{number}"
        elif name in existing:
            self._set_status(f"Session {name!r} exists already: choose it in the Session list, "
                             "or type another name.", "error")
            return
        session = ImageSession(model=self._gemini_model(), name=name)
        state().sessions[name] = session
        self.session_name.value = ""
        self.refresh_sessions(select=name)
        if self.mode.value != CONVERSATION:
            self.mode.value = CONVERSATION
        else:
            self._fill_models(prefer=session.model)
        self._show_history(session)
        self._set_status(f"New session {name!r} with {session.model}.", "info")
        self._update_buttons()

    def save_selected(self) -> Path | None:
        """Copy the selected image to the path in the box (a file or folder; default: the current folder).

        The extension decides the format (``fox.jpg`` converts), missing folders are made, a file is
        never replaced; in a folder the file is named after the prompt and a short content id.
        """
        image = self.selected
        if image is None:
            self._set_status("Select an image first.", "error")
            return None
        target = self.save_path.value.strip() or "."
        try:
            path = image.save(target)  # a folder (or a path ending in /): <prompt-words>-<short id>.<ext>
        except VertexImageError as exc:
            self._set_status(describe_error(exc), "error")
            return None
        self._set_status(f"Saved the selected image to {path}.", "ok")
        return path

    def insert_code(self) -> str:
        """Put the magic that reproduces the last result (or the current settings) into a new cell.

        Called from a cell (``panel.insert_code()``) or in a terminal, the code becomes the next cell
        (``set_next_input``). A button click arrives as a comm message, and Jupyter front ends take
        ``set_next_input`` only from a cell's execution: there the panel asks the vertex-image front-end
        extension (``insert.ask_front_end``) for a new cell below the panel's. Where no extension
        answers (classic notebook, VS Code), the code is shown in the box under the status line, to copy.
        """
        code = self.last_code or self.code_for_current()
        self.code.value = code
        shell = self._shell
        if shell is None:
            shell = get_ipython()
        if shell is None:  # no IPython: nothing to make a cell in
            self.code.layout.display = ""
            self._set_status("The equivalent magic is in the box below: copy it into a cell.", "ok")
        elif _in_comm_message(shell):
            self.code.layout.display = "none"
            self._set_status("Inserting the equivalent magic into a new cell below the panel…", "info")
            self._ask_front_end(code, self.widget.model_id, self._on_inserted)
        else:
            self.code.layout.display = ""
            shell.set_next_input(code, replace=False)
            self._set_status("The equivalent magic is in the next cell (and in the box below).", "ok")
        return code

    def _on_inserted(self, ok: bool, reason: str) -> None:
        """The front end's answer to "Insert code" (any thread): a new cell, or the box to copy from."""
        if ok:
            self.code.layout.display = "none"
            self._set_status("The equivalent magic is in a new cell below the panel.", "ok")
        else:
            self.code.layout.display = ""
            self._set_status(f"No new cell: {reason}. The equivalent magic is in the box below: copy it into a "
                             "cell.", "warn")

    def refresh(self) -> None:
        """Re-read the sessions and the history (a magic may have added a session or a turn)."""
        self.refresh_sessions()
        self._show_history()
        self._update_buttons()

    def code_for_current(self) -> str:
        """The magic equivalent to the panel's current settings."""
        if self.mode.value == CONVERSATION:
            return gemini_magic(self.session.value or self.default_session(), self.prompt.value,
                                model=self._gemini_model(), aspect_ratio=self.aspect_ratio.value or None,
                                image_size=self.image_size.value or None, seed=self._seed_value())
        return imagen_magic(GenerateRequest(
            prompt=self.prompt.value, model=self.model.value, n=self.count.value,
            aspect_ratio=self.aspect_ratio.value or None, image_size=self.image_size.value or None,
            negative_prompt=(self.negative_prompt.value.strip() or None)
            if self.negative_prompt.layout.display != "none" else None,
            seed=self._seed_value(),
        ))

    def _seed_value(self) -> int | None:
        return None if self.seed.disabled else int(self.seed.value)

    # running work ---------------------------------------------------------------------------
    def _start(self, work: Work, label: str, code: str, done: Callable[[Any], None]) -> concurrent.futures.Future[Any]:
        with self._lock:
            previous = self.pending
            if self._busy and previous is not None:
                previous.cancel()  # superseded: its result, should it still arrive, is dropped
            self._generation += 1
            generation = self._generation
            self._busy = True
            self._label = label
            self._started_at = self._clock()
            self._retry = None
        self._set_status("", "info")
        self._render_progress()
        self._update_buttons()
        runtime = self._runtime or state().runtime()
        try:
            future = runtime.submit(self._run(generation, work, code, done))
        except Exception as exc:  # noqa: BLE001 - a stopped runtime: say so, stay usable
            self._finish(generation, describe_error(exc), "error")
            failed: concurrent.futures.Future[Any] = concurrent.futures.Future()
            failed.set_result(None)
            self.pending = failed
            return failed
        self.pending = future
        return future

    async def _run(self, generation: int, work: Work, code: str, done: Callable[[Any], None]) -> Any:
        ticker = asyncio.ensure_future(self._tick(generation))
        try:
            result = await work(lambda event: self._on_retry(generation, event))
        except asyncio.CancelledError:
            self._finish(generation, CANCELLED_TEXT, "warn")
            raise
        except Exception as exc:  # noqa: BLE001 - shown in words; the panel keeps working
            self._finish(generation, describe_error(exc), "error")
            return None
        finally:
            ticker.cancel()
        with self._lock:
            if generation != self._generation:
                return None  # a late result from a superseded request: dropped
            self.last_code = code
            try:
                done(result)
            except Exception as exc:  # noqa: BLE001 - showing a result must not wedge the panel
                self._set_status(describe_error(exc), "error")
            self._busy = False
            self.progress.value = ""
        self._update_buttons()
        return result

    def _finish(self, generation: int, text: str, kind: str) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._busy = False
            self.progress.value = ""
            self._set_status(text, kind)
        self._update_buttons()

    async def _tick(self, generation: int) -> None:
        while generation == self._generation and self._busy:
            await asyncio.sleep(self._tick_s)
            if generation == self._generation and self._busy:
                self._render_progress()

    def _on_retry(self, generation: int, event: Any) -> None:
        """The client's retry callback (runtime thread): show the wait in the progress line."""
        if generation != self._generation:
            return
        self._retry = (event, self._clock())
        self._render_progress()

    def progress_text(self) -> str:
        """``Generating with MODEL · 3 s`` plus ``· retry 2 in 8 s (429 RESOURCE_EXHAUSTED)`` while waiting."""
        now = self._clock()
        return progress_text(self._label, now - self._started_at, self._retry, now)

    def _render_progress(self) -> None:
        self.progress.value = progress_span(self.progress_text())

    # results --------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a request is in flight."""
        return self._busy

    @property
    def selected(self) -> GeneratedImage | None:
        """The image chosen in the grid (what Refine and Save use)."""
        if self.selected_index is None or self.selected_index >= len(self.results):
            return None
        return self.results[self.selected_index]

    def select(self, index: int | None) -> None:
        """Select the grid's image ``index`` (``None`` clears the selection)."""
        if index is not None and not 0 <= index < len(self.results):
            raise InvalidRequest(f"There is no image {index} in the grid (it has {len(self.results)}).")
        self.selected_index = index
        mark_selected(self.grid, index)
        self._update_buttons()

    def _show_results(self, images: Sequence[GeneratedImage]) -> None:
        self.results = list(images)
        tiles = [tile(index, image, self._guard(lambda index=index: self.select(index)))
                 for index, image in enumerate(self.results)]
        self.grid.children = tiles
        self.selected_index = None
        self.select(0 if len(self.results) == 1 else None)

    def _show_history(self, session: ImageSession | None = None) -> None:
        """Show the turns of ``session`` (default: the chosen one) in the strip, and follow its changes."""
        if session is None:
            try:
                session = self.current_session()
            except VertexImageError:
                session = None
        with self._lock:
            self._follow(session)
            exchanges = list(session.exchanges) if session is not None else []
            shown = self._history_shown
            keep = 0  # the turns already shown stay as they are (a new turn or an undo changes the end)
            while keep < min(len(shown), len(exchanges)) and shown[keep][0] is exchanges[keep]:
                keep += 1
            added = [(exchange, history_item(number, exchange))
                     for number, exchange in enumerate(exchanges[keep:], start=keep + 1)]
            self._history_shown = shown[:keep] + added
            self.history.children = [item for _, item in self._history_shown]
        for _, item in shown[keep:]:
            close_tree(item)

    def _follow(self, session: ImageSession | None) -> None:
        """Subscribe to the session shown (only to it): its turns, undos and resets update the panel."""
        if session is self._followed:
            return
        if self._unfollow is not None:
            self._unfollow()
        self._followed = session
        self._unfollow = session.subscribe(self._on_session_changed) if session is not None else None

    def _on_session_changed(self, session: ImageSession, change: str) -> None:
        """A turn, undo or reset of the shown session, from any thread (a magic's turn: the runtime's)."""
        with self._lock:
            if session is not self._followed:
                return
            self._show_history(session)
            self._set_buttons(len(session))

    def _on_sessions_changed(self, name: str, session: ImageSession | None) -> None:
        """A name of the registry got a session (new, loaded, branched, ``--new``) or lost it."""
        with self._lock:
            if session is not None and name not in self.session.options:
                self.refresh_sessions()
            if name != self.session.value or session is self._followed:
                return
            if session is None:  # forgotten in memory; it may still be on disk (Refresh, or the next action)
                self._follow(None)
                return
            self._show_history(session)
            self._set_buttons(len(session))

    def _report(self, images: ImageSet, model_id: str, turn: int | None = None) -> None:
        turn_of = f"turn {turn} of session {self.session.value!r}" if turn is not None else ""
        kernel = state()
        spend = spend_text(kernel.ledger.spent, kernel.settings().budget_usd, kernel.ledger.reserved)
        self._set_status(*report_text(images, model_id, self._clock() - self._started_at, turn_of, spend))

    # state of the controls ------------------------------------------------------------------
    def _update_buttons(self) -> None:
        with self._lock:
            try:
                session = self.current_session()
            except VertexImageError:
                session = None
            self._set_buttons(len(session) if session is not None else 0)

    def _set_buttons(self, turns: int) -> None:
        """Enable what makes sense now; under the lock, so a change from another thread cannot undo it."""
        with self._lock:
            busy = self._busy
            has_selection = self.selected is not None
            self.generate_button.disabled = busy
            self.refine_button.disabled = busy or not has_selection
            self.cancel_button.disabled = not busy
            self.undo_button.disabled = busy or turns == 0
            self.save_button.disabled = not has_selection
            self.session.disabled = busy
            self.new_session_button.disabled = busy

    # lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Cancel the request in flight, stop following sessions and close every widget of the panel.

        ipywidgets keeps each open widget (and so the panel) alive until it is closed.
        """
        self.cancel()
        with self._lock:
            self._follow(None)
            self._unfollow_names()
            self._history_shown = []
        close_tree(self.widget)


def panel(session: str | None = None, model: str | None = None, mode: str | None = None) -> ImagePanel:
    """Open the image panel (``vi.panel()``, ``%vertex_image panel``); leave it last in a cell to show it.

    Args:
        session: a session to continue (shared with ``%%gemini_image -S NAME``).
        model: a model id or alias to preselect.
        mode: ``one-shot`` or ``conversation``.
    """
    return ImagePanel(session=session, model=model, mode=mode)


# helpers ----------------------------------------------------------------------------------------
def static_html(p: ImagePanel) -> str:
    """A still picture of the panel as it is now (mode, model, session, status, images), for static pages."""
    def chip(text: str, on: bool = False) -> str:
        style = "background:#e0e0e0;font-weight:600" if on else "background:#f5f5f5"
        return f'<span style="{style};border:1px solid #ccc;border-radius:3px;padding:2px 10px">{text}</span>'

    mode = chip("One-shot", p.mode.value == ONE_SHOT) + chip("Conversation", p.mode.value == CONVERSATION)
    session = (f" &nbsp;Session <b>{html.escape(str(p.session.value or ''))}</b>"
               if p.mode.value == CONVERSATION else "")  # fmt: skip
    buttons = " ".join(chip(name) for name in ("Generate", "Cancel", "Refine", "Insert code", "Save selected"))
    thumbs = "".join(f'<img src="{image.data_url}" style="width:120px;margin:2px" alt="">'
                     for image in p.results[:8] if image.data)  # fmt: skip
    return (
        '<div class="vi-panel-static" style="border:1px solid #ddd;border-radius:4px;padding:8px;'
        'font-family:sans-serif;font-size:13px;max-width:760px">'
        f"<b>vertex-image</b> panel <small style='color:#666'>(a still picture: the panel is live in a running "
        f"notebook)</small><div style='margin:6px 0'>{mode}{session}</div>"
        '<div style="border:1px solid #ccc;height:3em;color:#999;padding:4px;margin-bottom:6px">'
        f"{html.escape(p.prompt.value) or 'Describe the image, or the change to make…'}</div>"
        f"<div>Model <b>{html.escape(str(p.model.value))}</b> &nbsp;Count {p.count.value}</div>"
        f"<div style='margin:6px 0'>{buttons}</div>"
        f"<div style='color:#444'>{html.escape(p.status_text)}</div>{thumbs}</div>"
    )


def _in_comm_message(shell: Any) -> bool:
    """True while the kernel handles a comm message (a widget click), not a cell's execution."""
    get_parent = getattr(shell, "get_parent", None)
    try:
        parent = get_parent() if get_parent is not None else None
    except Exception:  # noqa: BLE001 - no parent known: not a kernel
        return False
    header = parent.get("header", {}) if isinstance(parent, dict) else {}
    return str(header.get("msg_type", "")).startswith("comm_")


__all__ = [
    "CONVERSATION",
    "ONE_SHOT",
    "ImagePanel",
    "blocked_text",
    "describe_error",
    "gemini_magic",
    "imagen_magic",
    "panel",
]
