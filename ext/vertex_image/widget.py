"""``ImagePanel``: an ipywidgets 8 panel over the same client, store and sessions as the magics.

Some users would rather click than type. The panel builds the same typed requests as the magics
(``api.agenerate_request`` for one-shot generation, ``ImageSession.asend_detailed`` for a
conversation), so results are saved by the store and sessions are shared through
``registry.state().sessions``: a session started with ``%%gemini_image -s foo`` continues here when
``foo`` is chosen, and the other way round.

It never blocks the kernel: a click submits the work to the runtime loop and returns at once (comm
messages, such as a click on Cancel, are only processed while the kernel is idle). The returned
``concurrent.futures.Future`` is kept as ``panel.pending``; Cancel cancels it, and a generation
counter drops a late result from a superseded request. Widgets are updated from the runtime thread
by setting traits only (no ``Output`` context managers, which misbehave off the main thread).

This module imports ipywidgets at the top; ``import vertex_image`` never imports this module.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import re
import shlex
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .display import clip
from .errors import (
    APIError,
    AuthError,
    BadRequest,
    Cancelled,
    ConfigError,
    ImageBlocked,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    TransportError,
    VertexImageError,
)
from .registry import state

if TYPE_CHECKING:  # pragma: no cover
    from .images import GeneratedImage, ImageSet
    from .models import ModelInfo
    from .runtime import Runtime
    from .session import ImageSession

ONE_SHOT = "one-shot"
CONVERSATION = "conversation"
THUMB_PX = 200
HISTORY_PX = 72
TICK_S = 0.5
DEFAULT_SESSION = "default"
_AUTO = ""  # the dropdown value meaning "the model's default"
_COLORS = {"info": "#444", "ok": "#1e7e34", "warn": "#b26a00", "error": "#c62828"}

OnRetry = Callable[[Any], None]
Work = Callable[[OnRetry], Awaitable[Any]]


class ImagePanel:
    """The panel: prompt, options, buttons, progress, a results grid, a history strip, a status line.

    Display it by leaving it last in a cell (``vi.panel()``). Widgets are public attributes so that
    tests and users can drive them (``panel.prompt.value = "..."; panel.generate_button.click()``),
    then wait on ``panel.pending.result()``.

    Args:
        session: the name of the session to continue (``None``: the first one known, if any).
        model: a model id or alias to preselect.
        mode: ``one-shot`` or ``conversation`` (default: conversation when a session is named).
        runtime: where work runs (default: the kernel's runtime loop; tests may pass another).
        shell: the IPython shell for "Insert code" (default: ``get_ipython()``).
        clock: a monotonic clock for the elapsed time.
        tick_s: how often the progress line refreshes while a request runs.
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
    ) -> None:
        if mode not in (None, ONE_SHOT, CONVERSATION):
            raise InvalidRequest(f"mode must be {ONE_SHOT!r} or {CONVERSATION!r}, not {mode!r}.")
        self._runtime = runtime
        self._shell = shell
        self._clock = clock
        self._tick_s = tick_s
        self._lock = threading.RLock()
        self._generation = 0
        self._busy = False
        self._label = ""
        self._started_at = 0.0
        self._retry: tuple[Any, float] | None = None
        self._syncing = False
        self.pending: concurrent.futures.Future[Any] | None = None
        self.results: list[GeneratedImage] = []
        self.selected_index: int | None = None
        self.last_code = ""
        self.status_text = ""

        self._build()
        self._wire()
        self.refresh_sessions(select=session)
        self.mode.value = mode or (CONVERSATION if session else ONE_SHOT)
        self._fill_models(prefer=model)
        self._show_history()
        self._update_buttons()

    # construction ---------------------------------------------------------------------------
    def _build(self) -> None:
        wide = widgets.Layout(width="auto")
        self.prompt = widgets.Textarea(
            placeholder="Describe the image, or the change to make…",
            layout=widgets.Layout(width="100%", height="4.5em"),
        )
        self.mode = widgets.ToggleButtons(
            options=[("One-shot", ONE_SHOT), ("Conversation", CONVERSATION)],
            value=ONE_SHOT,
            tooltips=["Independent images from any image model", "A multi-turn Gemini conversation"],
            style={"button_width": "110px"},
        )
        self.model = widgets.Dropdown(description="Model", layout=widgets.Layout(width="420px"))
        self.aspect_ratio = widgets.Dropdown(description="Aspect", layout=widgets.Layout(width="170px"))
        self.image_size = widgets.Dropdown(description="Size", layout=widgets.Layout(width="170px"))
        self.count = widgets.BoundedIntText(value=1, min=1, max=4, description="Count",
                                            layout=widgets.Layout(width="140px"))
        self.seed = widgets.IntText(value=0, description="Seed", disabled=True,
                                    layout=widgets.Layout(width="170px"))
        self.seed_auto = widgets.Checkbox(value=True, description="auto seed", indent=False, layout=wide)
        self.negative_prompt = widgets.Text(
            description="Avoid", placeholder="what to leave out (negative prompt)",
            layout=widgets.Layout(width="100%"),
        )
        self.session = widgets.Dropdown(description="Session", layout=widgets.Layout(width="260px"))
        self.session_name = widgets.Text(placeholder="new session name", layout=widgets.Layout(width="160px"))
        self.save_path = widgets.Text(placeholder="save to (file or folder; default: here)",
                                      layout=widgets.Layout(width="260px"))

        def button(text: str, css: str, tip: str, style: str = "", icon: str = "") -> widgets.Button:
            made = widgets.Button(description=text, tooltip=tip, button_style=style, icon=icon,
                                  layout=widgets.Layout(width="auto"))
            made.add_class(css)
            return made

        self.generate_button = button("Generate", "vi-generate", "Send the prompt", "primary", "play")
        self.cancel_button = button("Cancel", "vi-cancel", "Cancel the request in flight", "warning", "stop")
        self.refine_button = button("Refine", "vi-refine",
                                    "Next turn of the conversation, with the selected image", "info", "pencil")
        self.undo_button = button("Undo", "vi-undo", "Remove the session's last turn", "", "undo")
        self.new_session_button = button("New session", "vi-new-session", "Start a new conversation", "", "plus")
        self.save_button = button("Save selected", "vi-save", "Copy the selected image to a file", "", "save")
        self.insert_code_button = button("Insert code", "vi-insert-code",
                                         "Put the equivalent magic into the next cell", "", "code")
        self.refresh_button = button("Refresh", "vi-refresh", "Re-read sessions and their turns", "", "refresh")
        self.code = widgets.Textarea(layout=widgets.Layout(width="100%", height="4.5em", display="none"))
        self.progress = widgets.HTML(value="")
        self.status = widgets.HTML(value="")
        self.grid = widgets.Box(layout=widgets.Layout(display="flex", flex_flow="row wrap", width="100%"))
        self.history = widgets.Box(layout=widgets.Layout(display="flex", flex_flow="row nowrap",
                                                         overflow="auto", width="100%"))
        for item, css in ((self.prompt, "vi-prompt"), (self.mode, "vi-mode"), (self.model, "vi-model"),
                          (self.aspect_ratio, "vi-aspect"), (self.image_size, "vi-size"),
                          (self.count, "vi-count"), (self.seed, "vi-seed"), (self.seed_auto, "vi-seed-auto"),
                          (self.negative_prompt, "vi-negative"), (self.session, "vi-session"),
                          (self.session_name, "vi-session-name"), (self.save_path, "vi-save-path"),
                          (self.progress, "vi-progress"), (self.status, "vi-status"), (self.code, "vi-code"),
                          (self.grid, "vi-grid"),
                          (self.history, "vi-history")):
            item.add_class(css)

        row = widgets.HBox
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>vertex-image</b>"),
                row([self.mode, self.session, self.refresh_button, self.session_name, self.new_session_button]),
                self.prompt,
                row([self.model, self.aspect_ratio, self.image_size]),
                row([self.count, self.seed, self.seed_auto]),
                self.negative_prompt,
                row([self.generate_button, self.cancel_button, self.refine_button, self.undo_button,
                     self.insert_code_button, self.save_button, self.save_path]),
                self.progress,
                self.status,
                self.code,
                self.grid,
                widgets.HTML("<small>Session history</small>"),
                self.history,
            ],
            layout=widgets.Layout(width="100%"),
        )
        self.widget.add_class("vi-panel")

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
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"ImagePanel(mode={self.mode.value!r}, model={self.model.value!r}, session={self.session.value!r})"

    # options that follow the model ----------------------------------------------------------
    def _models_for_mode(self) -> list[ModelInfo]:
        from .models import list_models

        models = [m for m in list_models() if not m.upscale and not (m.family == "imagen" and m.editing)]
        if self.mode.value == CONVERSATION:
            models = [m for m in models if m.family == "gemini"]
        return models

    def _fill_models(self, prefer: str | None = None) -> None:
        from .models import resolve_model

        models = self._models_for_mode()
        options = [(f"{m.id} ({m.aliases[0]})" if m.aliases else m.id, m.id) for m in models]
        wanted: list[str] = []
        if prefer:
            wanted.append(resolve_model(prefer).id)
        current = self.model.value
        if current:
            wanted.append(current)
        session = self.current_session()
        settings = state().settings()
        if self.mode.value == CONVERSATION:
            if session is not None:
                wanted.insert(0 if not prefer else 1, session.model)
            wanted.append(resolve_model(settings.default_gemini_model).id)
        else:
            wanted.append(resolve_model(settings.default_imagen_model).id)
        ids = [value for _, value in options]
        for name in wanted:
            if name and name not in ids:
                info = resolve_model(name)
                if self.mode.value == ONE_SHOT or info.family == "gemini":
                    options.append((name, name))  # a model this table does not know, still usable
                    ids.append(name)
        choice = next((name for name in wanted if name in ids), ids[0] if ids else None)
        self._syncing = True
        try:
            self.model.options = options
            self.model.value = choice
        finally:
            self._syncing = False
        self._fill_capabilities()

    def _fill_capabilities(self) -> None:
        info = self.model_info()
        ratios = [("default", _AUTO), *[(r, r) for r in info.aspect_ratios]] if info.aspect_ratios else [
            ("default", _AUTO)
        ]
        sizes = [("default", _AUTO), *[(s, s) for s in info.image_sizes]]
        _set_options(self.aspect_ratio, ratios)
        _set_options(self.image_size, sizes)
        self.aspect_ratio.disabled = len(ratios) == 1
        self.image_size.disabled = len(sizes) == 1
        conversation = self.mode.value == CONVERSATION
        self.count.max = max(1, info.max_count)
        self.count.value = min(self.count.value, self.count.max)
        self.count.disabled = conversation
        if conversation:
            self.count.value = 1
        takes_negative = (info.negative_prompt and not conversation
                          and state().settings().speaks != "gemini-api")
        self.negative_prompt.layout.display = "" if takes_negative else "none"
        self.seed_auto.disabled = not info.seed
        self._sync_seed()

    def _sync_seed(self) -> None:
        self.seed.disabled = self.seed_auto.value or self.seed_auto.disabled

    def model_info(self) -> ModelInfo:
        """Capabilities of the model chosen in the dropdown."""
        from .models import resolve_model

        return resolve_model(self.model.value or state().settings().default_imagen_model)

    def _on_mode(self, change: dict[str, Any]) -> None:
        self._fill_models()
        self._update_buttons()

    def _on_model(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self._fill_capabilities()

    # sessions -------------------------------------------------------------------------------
    def session_names(self) -> list[str]:
        """Sessions in this kernel plus those saved on disk under the output folder."""
        names = set(state().sessions)
        folder = Path(state().settings().output_dir) / "sessions"
        if folder.is_dir():
            names.update(path.stem for path in folder.glob("*.json"))
        return sorted(names)

    def refresh_sessions(self, select: str | None = None) -> None:
        """Re-read the session names (a magic may have started one since)."""
        names = self.session_names()
        wanted = select or self.session.value
        if wanted and wanted not in names:
            names.append(wanted)
        self._syncing = True
        try:
            self.session.options = names
            self.session.value = wanted if wanted in names else (names[0] if names else None)
        finally:
            self._syncing = False

    def current_session(self, create: bool = False) -> ImageSession | None:
        """The chosen session: from this kernel, else loaded from disk, else (``create``) a new one."""
        name = self.session.value or (DEFAULT_SESSION if create else None)
        if not name:
            return None
        session = _session_named(name, create=create, model=self._gemini_model())
        if session is not None and self.session.value != name:
            self.refresh_sessions(select=name)
        return session

    def _gemini_model(self) -> str | None:
        value = self.model.value
        return value if value and self.model_info().family == "gemini" else None

    def _on_session(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        try:
            session = self.current_session()
        except VertexImageError as exc:
            self._set_status(describe_error(exc), "error")
            session = None
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
        from .api import GenerateRequest, agenerate_request

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
        self._set_status("Cancelled: the request was stopped and nothing was recorded.", "warn")
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
        self._update_buttons()

    def new_session(self) -> None:
        """Start a new, empty conversation (named in the box beside the button, or ``panel-N``)."""
        from .session import ImageSession

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
        """Copy the selected image to the path in the box (a file or folder; default: the current folder)."""
        image = self.selected
        if image is None:
            self._set_status("Select an image first.", "error")
            return None
        target = self.save_path.value.strip() or "."
        try:
            path = image.save(Path(target).expanduser())
        except FileExistsError as exc:
            self._set_status(str(exc), "error")
            return None
        self._set_status(f"Saved the selected image to {path}.", "ok")
        return path

    def insert_code(self) -> str:
        """Show the magic that reproduces the last result (or the current settings), and insert it.

        The code goes into the box under the status line. Called from a cell (``panel.insert_code()``)
        or in a terminal, it also becomes the next cell (``set_next_input``). A button click arrives as
        a comm message, and Jupyter frontends take ``set_next_input`` only from a cell's execution (a
        payload of its reply), so there the box is the way: select it and copy.
        """
        code = self.last_code or self.code_for_current()
        self.code.value = code
        self.code.layout.display = ""
        shell = self._shell
        if shell is None:
            from IPython import get_ipython

            shell = get_ipython()
        if shell is None or _in_comm_message(shell):
            self._set_status("The equivalent magic is in the box below: copy it into a cell.", "ok")
        else:
            shell.set_next_input(code, replace=False)
            self._set_status("The equivalent magic is in the next cell (and in the box below).", "ok")
        return code

    def refresh(self) -> None:
        """Re-read the sessions and the history (a magic may have added a session or a turn)."""
        self.refresh_sessions()
        self._show_history()
        self._update_buttons()

    def code_for_current(self) -> str:
        """The magic equivalent to the panel's current settings."""
        from .api import GenerateRequest

        if self.mode.value == CONVERSATION:
            return gemini_magic(self.session.value or DEFAULT_SESSION, self.prompt.value,
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
            self._finish(generation, "Cancelled: the request was stopped and nothing was recorded.", "warn")
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
        text = f"Generating with {self._label} · {int(now - self._started_at)} s"
        retry = self._retry
        if retry is not None:
            event, at = retry
            left = max(0, round(float(getattr(event, "wait_s", 0.0)) - (now - at)))
            attempt = getattr(event, "attempt", "?")
            reason = getattr(event, "reason", "") or "retrying"
            text += f" · attempt {attempt} failed ({reason}); retry in {left} s" if left else (
                f" · retrying after {reason}")
        return text

    def _render_progress(self) -> None:
        self.progress.value = (
            '<span style="color:#555">' + html.escape(self.progress_text()) + "</span>"
        )

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
        for position, tile in enumerate(self.grid.children):
            chosen = position == index
            button = tile.children[-1]
            button.description = "✓ Selected" if chosen else "Select"
            button.button_style = "success" if chosen else ""
            tile.layout.border = "3px solid #1a73e8" if chosen else "3px solid transparent"
        self._update_buttons()

    def _show_results(self, images: Sequence[GeneratedImage]) -> None:
        self.results = list(images)
        tiles = [self._tile(index, image) for index, image in enumerate(self.results)]
        self.grid.children = tiles
        self.selected_index = None
        self.select(0 if len(self.results) == 1 else None)

    def _tile(self, index: int, image: GeneratedImage) -> widgets.Box:
        thumb = _thumbnail(image, THUMB_PX)
        picture = widgets.Image(value=thumb[0], format=thumb[1], width=str(THUMB_PX))
        picture.add_class("vi-thumb")
        pick = widgets.Button(description="Select", tooltip=f"Select image {index + 1}",
                              layout=widgets.Layout(width=f"{THUMB_PX}px"))
        pick.add_class("vi-select")
        pick.on_click(self._guard(lambda: self.select(index)))
        caption = widgets.HTML(f"<small>#{index + 1} · {image.width}×{image.height}"
                               f"{' · seed ' + str(image.seed) if image.seed is not None else ''}</small>")
        tile = widgets.VBox([picture, caption, pick],
                            layout=widgets.Layout(margin="4px", border="3px solid transparent"))
        tile.add_class("vi-tile")
        return tile

    def _show_history(self, session: ImageSession | None = None) -> None:
        if session is None:
            try:
                session = self.current_session()
            except VertexImageError:
                session = None
        items = []
        for number, exchange in enumerate(session.exchanges if session is not None else [], start=1):
            image = exchange.images[-1] if exchange.images else None
            parts: list[widgets.Widget] = []
            if image is not None and image.data:
                thumb = _thumbnail(image, HISTORY_PX)
                parts.append(widgets.Image(value=thumb[0], format=thumb[1], width=str(HISTORY_PX)))
            parts.append(widgets.HTML(
                f'<div style="font-size:0.8em;width:{HISTORY_PX + 40}px;overflow:hidden;'
                f'text-overflow:ellipsis;white-space:nowrap" title="{html.escape(exchange.prompt)}">'
                f"{number}. {html.escape(clip(exchange.prompt, 24))}</div>"))
            item = widgets.VBox(parts, layout=widgets.Layout(margin="2px 6px 2px 0"))
            item.add_class("vi-turn")
            items.append(item)
        self.history.children = items

    def _report(self, images: ImageSet, model_id: str, turn: int | None = None) -> None:
        from .images import block_line

        elapsed = self._clock() - self._started_at
        if not images.images:
            self._set_status(blocked_text(images), "error")
            return
        count = len(images.images)
        text = f"{count} image{'s' if count != 1 else ''} from {model_id} in {elapsed:.1f} s"
        if turn is not None:
            text += f" (turn {turn} of session {self.session.value!r})"
        notes = [block_line(block) for block in images.blocks]
        if notes:
            text += "; " + "; ".join(notes)
        self._set_status(text + ".", "warn" if notes else "ok")

    # state of the controls ------------------------------------------------------------------
    def _set_status(self, text: str, kind: str) -> None:
        self.status_text = text
        self.status.value = (
            f'<span class="vi-status-{kind}" style="color:{_COLORS.get(kind, "#444")}">{html.escape(text)}</span>'
            if text else ""
        )

    def _update_buttons(self) -> None:
        busy = self._busy
        try:
            session = self.current_session()
        except VertexImageError:
            session = None
        turns = len(session) if session is not None else 0
        has_selection = self.selected is not None
        self.generate_button.disabled = busy
        self.refine_button.disabled = busy or not has_selection
        self.cancel_button.disabled = not busy
        self.undo_button.disabled = busy or turns == 0
        self.save_button.disabled = not has_selection
        self.session.disabled = busy
        self.new_session_button.disabled = busy


def panel(session: str | None = None, model: str | None = None, mode: str | None = None) -> ImagePanel:
    """Open the image panel (``vi.panel()``, ``%vertex_image panel``); leave it last in a cell to show it.

    Args:
        session: a session to continue (shared with ``%%gemini_image -s NAME``).
        model: a model id or alias to preselect.
        mode: ``one-shot`` or ``conversation``.
    """
    return ImagePanel(session=session, model=model, mode=mode)


# helpers ----------------------------------------------------------------------------------------
def _set_options(dropdown: widgets.Dropdown, options: list[tuple[str, str]]) -> None:
    """Replace a dropdown's options, keeping the current value when it is still offered."""
    current = dropdown.value
    dropdown.options = options
    values = [value for _, value in options]
    dropdown.value = current if current in values else values[0]


def _thumbnail(image: GeneratedImage, size: int) -> tuple[bytes, str]:
    """Small bytes for the comm (a downscaled copy when the image is larger than ``size``)."""
    try:
        preview = image.preview(size)
        return preview.data, preview.mime_type.split("/")[-1]
    except Exception:  # noqa: BLE001 - an undecodable image still shows as its own bytes
        return image.data, image.mime_type.split("/")[-1] or "png"


def _in_comm_message(shell: Any) -> bool:
    """True while the kernel handles a comm message (a widget click), not a cell's execution."""
    get_parent = getattr(shell, "get_parent", None)
    try:
        parent = get_parent() if get_parent is not None else None
    except Exception:  # noqa: BLE001 - no parent known: not a kernel
        return False
    header = parent.get("header", {}) if isinstance(parent, dict) else {}
    return str(header.get("msg_type", "")).startswith("comm_")


def _session_named(name: str, *, create: bool, model: str | None) -> ImageSession | None:
    """The kernel's session ``name``: in the registry, else resumed from disk, else (``create``) new."""
    from .session import ImageSession

    kernel = state()
    session = kernel.sessions.get(name)
    if session is not None:
        return session
    path = Path(kernel.settings().output_dir) / "sessions" / f"{name}.json"
    if path.is_file():
        session = ImageSession.load(path, name=name)
    elif create:
        session = ImageSession(model=model, name=name)
    else:
        return None
    kernel.sessions[name] = session
    return session


def blocked_text(images: ImageSet) -> str:
    """``Blocked: IMAGE_SAFETY — message`` for a response that carried no image."""
    if not images.blocks:
        said = f' The model said: "{clip(images.text, 120)}"' if images.text else ""
        return f"No image came back.{said} Ask explicitly for an image, or rephrase the prompt."
    parts = []
    for block in images.blocks:
        reason = f"{block.reason} ({block.detail})" if block.detail else block.reason
        parts.append(f"{reason} — {block.message}" if block.message else reason)
    return "Blocked: " + "; ".join(parts) + ". Rephrase the prompt; blocked images are not charged."


_ERROR_PREFIXES: tuple[tuple[type[BaseException], str], ...] = (
    (InvalidRequest, "Not sent"),
    (BadRequest, "Refused by the service"),
    (AuthError, "Credentials"),
    (ConfigError, "Configuration"),
    (NotFound, "Not found"),
    (TransportError, "Network"),
    (APIError, "Service error"),  # ServiceError and any other status
)


def describe_error(exc: BaseException) -> str:
    """An error in words for the status line."""
    message = str(exc)
    if isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError, Cancelled)):
        return "Cancelled: the request was stopped and nothing was recorded."
    if isinstance(exc, QuotaExceeded):
        wait = f"; retry in {round(exc.retry_after_s)} s" if exc.retry_after_s else ""
        quota = f" ({exc.quota_id})" if exc.quota_id else ""
        return f"Quota exceeded{quota}{wait}. {message}"
    if isinstance(exc, ImageBlocked):
        reasons = ", ".join(exc.reasons)
        return f"Blocked: {reasons} — {message}" if reasons else f"Blocked: {message}"
    for kind, prefix in _ERROR_PREFIXES:
        if isinstance(exc, kind):
            return f"{prefix}: {message}"
    if isinstance(exc, VertexImageError):
        return message
    return f"{type(exc).__name__}: {message}"


# the equivalent magics --------------------------------------------------------------------------
_SAFE_WORD = re.compile(r"^[A-Za-z0-9_.:/@+=,-]+$")


def _quote(value: str) -> str:
    return value if _SAFE_WORD.match(value) else shlex.quote(value)


def imagen_magic(request: Any) -> str:
    """The ``%imagen`` line (``%%imagen`` cell for a multi-line prompt) that sends the same request."""
    flags = []
    if request.model:
        flags += ["-m", _quote(request.model)]
    if request.n and request.n != 1:
        flags += ["-n", str(request.n)]
    if request.aspect_ratio:
        flags += ["-a", _quote(request.aspect_ratio)]
    if request.image_size:
        flags += ["--size", _quote(request.image_size)]
    if request.seed is not None:
        flags += ["--seed", str(request.seed)]
    if request.negative_prompt:
        flags += ["--negative", shlex.quote(request.negative_prompt)]
    prompt = request.prompt.strip()
    if "{" in prompt or (request.negative_prompt and "{" in request.negative_prompt):
        flags.append("--no-interpolate")  # the panel sends braces as written
    if "\n" in prompt:
        return " ".join(["%%imagen", *flags]) + "\n" + prompt
    if prompt[:1] in ("-", "'", '"'):
        flags.append("--")  # the prompt is not an option, and its quotes are part of it
    return " ".join(["%imagen", *flags, prompt])


def gemini_magic(
    session: str,
    prompt: str,
    *,
    model: str | None = None,
    aspect_ratio: str | None = None,
    image_size: str | None = None,
    seed: int | None = None,
    image: str | None = None,
) -> str:
    """The ``%%gemini_image -s NAME`` cell that sends the same turn (``image``: a file to attach)."""
    flags = ["-s", _quote(session)]
    if model:
        flags += ["-m", _quote(model)]
    if aspect_ratio:
        flags += ["-a", _quote(aspect_ratio)]
    if image_size:
        flags += ["--size", _quote(image_size)]
    if seed is not None:
        flags += ["--seed", str(seed)]
    if image:
        flags += ["-i", _quote(image)]
    if "{" in prompt:
        flags.append("--no-interpolate")
    return " ".join(["%%gemini_image", *flags]) + "\n" + prompt.strip()


__all__ = ["CONVERSATION", "ONE_SHOT", "ImagePanel", "describe_error", "gemini_magic", "imagen_magic", "panel"]
