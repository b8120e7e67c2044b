"""The IPython magics: ``%imagen``, ``%%gemini_image`` (with line subcommands) and ``%vertex_image``.

Glue only: parse the line, call the Python API on the extension's runtime loop with a progress
display, and return the result (so it lands in ``Out``; a trailing ``;`` silences it). User mistakes
become a one-line ``UsageError``; service errors show their message (reason and what to do) and
fail the cell without a traceback; ``--debug`` shows the traceback. Nothing heavy is imported here.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
    output_can_be_silenced,
)
from traitlets import CaselessStrEnum, Float, Int, TraitError, Unicode, observe, validate
from traitlets.config import Configurable

from ..base.config import BACKENDS, DIALECTS, GATEWAYS
from ..base.errors import CHOOSE_OUTPUT_DIR, InvalidRequest, VertexImageError
from ..base.models import resolve_model
from ..base.text import clip
from ..core import registry
from ..core.registry import state
from ..results.display import HtmlView, note_html
from ..results.images import ImageSet
from . import completion, formatters
from .boundary import (
    check_variable_name,
    parse_subcommand,
    refuse_old_session_flag,
    retired_hint,
    show_api_errors_in_full,
    show_api_errors_in_one_line,
    split_options,
    split_words,
    storage_errors,
    strip_silencer,
    subcommand_parser,
    user_facing_errors,
)
from .grammar import (
    GEMINI_IMAGE_ARGUMENTS,
    GEMINI_SUBCOMMANDS,
    IMAGEN_ARGUMENTS,
    VERTEX_SUBCOMMANDS,
    notebook_path,
    with_arguments,
)
from .progress import Progress, watch_streams

if TYPE_CHECKING:  # pragma: no cover
    from ..core.costs import DryRun
    from ..core.session import ImageSession

T = TypeVar("T")

# trait name -> Settings field
_TRAIT_SETTINGS = {
    "backend": "backend",
    "project": "project",
    "location": "location",
    "output_dir": "output_dir",
    "preview_size": "preview_size",
    "default_model": "default_imagen_model",
    "default_gemini_model": "default_gemini_model",
    "emulator_mode": "emulator_mode",
    "gateway_dialect": "gateway_dialect",
    "api_version": "api_version",
    "retired_models": "retired_models",
    "budget_usd": "budget_usd",
    "replay": "replay",
    "durability": "durability",
}
_IMAGE_REF_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z]\w*)*)(?:\[(?P<index>-?\d+)\])?$")
_CHOOSE_FOLDER = f"Choose another folder: {CHOOSE_OUTPUT_DIR}."


# the magics -----------------------------------------------------------------------------------
@magics_class
class VertexImageMagics(Magics, Configurable):
    """``%imagen``, ``%%gemini_image`` and ``%vertex_image``; options settable with ``%config``.

    Every option is a setting of the kernel (``vi.configure``): ``None`` leaves the setting to the
    environment and the defaults. ``%vertex_image config`` shows where each value came from.
    """

    backend = Unicode(None, allow_none=True, config=True, help="vertex, gemini-api, emulator, litellm or openai.")
    project = Unicode(None, allow_none=True, config=True, help="Google Cloud project (Vertex AI).")
    location = Unicode(
        None, allow_none=True, config=True,
        help="Vertex AI location; unset: global for Gemini image models, us-central1 for Imagen.",
    )
    output_dir = Unicode(None, allow_none=True, config=True, help="Folder where every image is saved.")
    preview_size = Int(None, allow_none=True, config=True, help="Longest side (px) of inline previews; 0: full.")
    default_model = Unicode(None, allow_none=True, config=True, help="Model of %imagen when -m is not given.")
    default_gemini_model = Unicode(
        None, allow_none=True, config=True, help="Model of new %%gemini_image sessions when -m is not given."
    )
    emulator_mode = Unicode(None, allow_none=True, config=True, help="API the emulator speaks: vertex or gemini-api.")
    gateway_dialect = Unicode(
        None, allow_none=True, config=True, help="API that goes through a LiteLLM proxy: gemini-api or vertex."
    )
    api_version = Unicode(None, allow_none=True, config=True, help="API version override (v1, v1beta1, v1beta).")
    retired_models = Unicode(
        None, allow_none=True, config=True,
        help="A shut-down model: refuse (default), migrate to its replacement with a notice, or send anyway.",
    )
    budget_usd = Float(
        None, allow_none=True, config=True,
        help="The most this kernel may spend (USD); a call whose estimate would cross what is left is refused.",
    )
    replay = Unicode(
        None, allow_none=True, config=True,
        help="Answer recorded requests from the image folder: off, auto (on: seeded calls and session turns) or only.",
    )
    durability = Unicode(
        None, allow_none=True, config=True,
        help="How a save reaches the disk: process (default: safe if the kernel dies) or fsync (also a power loss).",
    )
    show_progress = CaselessStrEnum(
        ("auto", "always", "never"), default_value="auto", config=True,
        help="Progress line while a request runs: auto = only in a notebook frontend.",
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._apply_settings(list(_TRAIT_SETTINGS))

    # settings -------------------------------------------------------------------------------
    @validate(*_TRAIT_SETTINGS)
    def _validate_setting(self, proposal: Any) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        try:
            state().checked({_TRAIT_SETTINGS[name]: value})
        except VertexImageError as exc:
            raise TraitError(str(exc)) from None
        return value

    @observe(*_TRAIT_SETTINGS)
    def _setting_changed(self, change: Any) -> None:
        self._apply_settings([change["name"]])

    def _apply_settings(self, names: list[str]) -> None:
        options = {_TRAIT_SETTINGS[name]: getattr(self, name) for name in names}
        options = {key: value for key, value in options.items() if value is not None}
        if options:
            state().configure(**options)

    # %imagen --------------------------------------------------------------------------------
    @with_arguments(IMAGEN_ARGUMENTS)
    @output_can_be_silenced
    @no_var_expand
    @line_cell_magic
    def imagen(self, line: str, cell: str | None = None) -> ImageSet:
        """Generate images: ``%imagen a red fox`` or ``%%imagen [options]`` with the prompt as the body.

        Returns an ``ImageSet`` (``imgs = %imagen a fox`` works; ``;`` silences). ``{name}`` and
        ``{name.attr}`` in the prompt are filled from your variables; other braces stay as written
        (``{{`` and ``}}`` give literal braces; IPython's ``$name`` expansion is off, so ``$5`` stays).
        Options come before the prompt; ``--`` ends them. Images some filter removed are left out
        with a note; no image at all fails the cell.
        """
        args, prompt = self._parse(self.imagen, line, cell)
        if args is None:
            return None  # type: ignore[return-value]
        out = check_variable_name(args.out)
        if args.many is not None:
            return self._imagen_many(args, prompt, out)
        with user_facing_errors(args.debug):
            from ..core.api import GenerateRequest, agenerate_request  # lazy: asyncio (core.api), not at %load_ext
            from ..core.costs import DryRun  # lazy: with core.api, not at %load_ext

            text = self._prompt(prompt, args.no_interpolate)
            negative = self._prompt(args.negative, args.no_interpolate) if args.negative else None
            info = resolve_model(args.model or state().settings().default_imagen_model)
            options = {
                "thinking": args.thinking,
                "google_search": args.search,
                "enhance_prompt": args.enhance,
                "person_generation": args.person,
                "safety_setting": args.safety,
                "output_mime_type": f"image/{args.format}" if args.format else None,
                "compression_quality": args.quality,
            }
            request = GenerateRequest(
                prompt=text,
                model=info.id,
                n=args.count,
                aspect_ratio=args.aspect_ratio,
                image_size=args.size,
                negative_prompt=negative,
                seed=args.seed,
                options={key: value for key, value in options.items() if value is not None},
            )
            with retired_hint("%imagen" if cell is None else "%%imagen", line):
                images = self._run(
                    info.id,
                    lambda progress: agenerate_request(
                        request, on_retry=progress.on_retry, dry_run=args.dry_run, max_cost=args.max_cost
                    ),
                )
            if isinstance(images, DryRun):
                return self._bind(out, images)  # type: ignore[return-value]
            if not images.images:
                images.raise_for_block()
        return self._bind(out, images)

    def _imagen_many(self, args: Any, prompt: str, out: str | None) -> Any:
        """``%imagen --many ROWS``: ``vi.generate_many`` with the line's options for every row."""
        with user_facing_errors(args.debug):
            from ..core.many import generate_many  # lazy: asyncio (core.api), not at %load_ext

            if prompt.strip():
                raise UsageError("--many takes its prompts from the rows; leave the prompt out.")
            if args.count != 1 or args.dry_run:
                raise UsageError("--many makes one image per row: sweep seeds in the rows; --count and --dry-run "
                                 "do not apply.")  # fmt: skip
            namespace = self.shell.user_ns if self.shell is not None else {}
            source = namespace[args.many] if args.many.isidentifier() and args.many in namespace else args.many
            options = {"aspect_ratio": args.aspect_ratio, "image_size": args.size, "seed": args.seed,
                       "thinking": args.thinking, "google_search": args.search, "person_generation": args.person,
                       "output_mime_type": f"image/{args.format}" if args.format else None,
                       "compression_quality": args.quality}  # fmt: skip
            result = generate_many(source, args.model, mode=args.mode, bucket=args.bucket,
                                   **{key: value for key, value in options.items() if value is not None})  # fmt: skip
        return self._bind(out, result)

    # %%gemini_image ------------------------------------------------------------------------
    @with_arguments(GEMINI_IMAGE_ARGUMENTS)
    @output_can_be_silenced
    @no_var_expand
    @line_cell_magic
    def gemini_image(self, line: str, cell: str | None = None) -> Any:
        """A multi-turn image conversation with a Gemini image model.

        ``%%gemini_image [options]`` sends the cell body as the next turn of the session (the model
        sees the history, so "now make the sky purple" edits the last image). The session is saved
        after every turn. Without ``-S`` the session is this notebook's own (named after the notebook),
        never one resumed from disk; ``-S NAME`` names a session, and one on disk is resumed with a
        one-line notice. ``-s`` is the image size, as in ``%imagen``.

        Line subcommands (``-S NAME`` picks the session, default this notebook's)::

            %gemini_image history [-S NAME]     turns with thumbnails
            %gemini_image undo [-S NAME]        remove the last turn
            %gemini_image reset [-S NAME]       forget every turn
            %gemini_image sessions              sessions in memory and on disk
            %gemini_image branch NEW [-S NAME]  copy a session under a new name
            %gemini_image save [PATH] [-S NAME] write the session file (default: the store)
            %gemini_image load PATH|NAME [-S NAME] [--replace]  load a session file
            %gemini_image show N [-S NAME]      the images of turn N (-1: the last)
        """
        if cell is None:
            return self._gemini_subcommand(line)
        args, rest = self._parse(self.gemini_image, line, None)
        if args is None:
            return None
        if rest:
            raise UsageError(f"Unexpected {rest!r} on the %%gemini_image line: the prompt goes in the cell body.")
        out = check_variable_name(args.out)
        with user_facing_errors(args.debug):
            from ..core.named_sessions import sessions_folder  # lazy: asyncio (core.session), not at %load_ext

            folder = sessions_folder()
            with storage_errors(f"save the session in {folder}", folder, _CHOOSE_FOLDER), retired_hint(
                "%%gemini_image", line
            ):
                images = self._gemini_turn(args, cell)
        return self._bind(out, images)

    def _gemini_turn(self, args: Any, body: str) -> ImageSet | DryRun:
        prompt = self._prompt(strip_silencer(body), args.no_interpolate)
        if not prompt.strip():
            raise UsageError("The cell is empty: write what to draw or change.")
        refs = [self._image_ref(ref) for ref in args.image]
        from ..core.costs import DryRun  # lazy: with core.session, not at %load_ext
        from ..core.named_sessions import session_for_turn  # lazy: asyncio (core.session), not at %load_ext

        named = args.session is not None
        name = args.session if named else self._default_session()
        session, registered = session_for_turn(name, args.new, args.model, resume=named)
        options = {
            "model": args.model,
            "aspect_ratio": args.aspect_ratio,
            "image_size": args.size,
            "text": True if args.text else None,
            "google_search": args.search,
            "thinking": args.thinking,
            "temperature": args.temperature,
            "seed": args.seed,
        }
        options = {key: value for key, value in options.items() if value is not None}
        model_id = resolve_model(args.model).id if args.model else session.model  # the same label every turn
        label = f"{model_id} · session {session.name!r} turn {len(session) + 1}"
        result = self._run(
            label,
            lambda progress: session.asend_detailed(
                prompt, refs or None, on_retry=progress.on_retry, dry_run=args.dry_run, max_cost=args.max_cost,
                **options,
            ),
        )
        if isinstance(result, DryRun):
            return result  # type: ignore[return-value]
        images = result.images
        if not images.images:
            images.raise_for_block()
        if not registered:
            state().sessions[session.name] = session
        if result.exchanges_left_out:
            self._show(_left_out_note(result.exchanges_left_out, result.exchanges_sent))
        return images

    def _default_session(self) -> str:
        """This notebook's unnamed session (named after the notebook; never one resumed from disk)."""
        from ..core.named_sessions import default_session_name  # lazy: asyncio (core.session), not at %load_ext

        return default_session_name(notebook_path(self.shell.user_ns), tell=print)

    def _existing_session(self, name: str) -> ImageSession:
        """A session by name from memory or disk (then kept in memory); UsageError when there is none."""
        from ..core.named_sessions import (  # lazy: asyncio (core.session), not at %load_ext
            existing_session,
            session_rows,
        )

        session = existing_session(name)
        if session is None:
            names = ", ".join(row[0] for row in session_rows()) or "none yet"
            raise UsageError(f"No session named {name!r} (sessions: {names}).")
        return session

    # %gemini_image subcommands --------------------------------------------------------------
    def _gemini_subcommand(self, line: str) -> Any:
        words = split_words(line)
        if not words:
            raise UsageError(f"%gemini_image needs a subcommand: {', '.join(GEMINI_SUBCOMMANDS)}. "
                             "Prompts go in a %%gemini_image cell.")  # fmt: skip
        command, rest = words[0], words[1:]
        if command not in GEMINI_SUBCOMMANDS:
            raise UsageError(f"Unknown subcommand {command!r}; use one of: {', '.join(GEMINI_SUBCOMMANDS)}. "
                             "Prompts go in a %%gemini_image cell.")  # fmt: skip
        parser = subcommand_parser(f"%gemini_image {command}")
        if command != "sessions":
            parser.add_argument("-S", "--session")
        if command == "branch":
            parser.add_argument("new_name", metavar="NEW")
        elif command == "save":
            parser.add_argument("path", nargs="?")
        elif command == "load":
            parser.add_argument("path", metavar="PATH")
            parser.add_argument("--replace", action="store_true", help="Replace a session of that name.")
        elif command == "show":
            parser.add_argument("turn", type=int, metavar="N")
        args = parse_subcommand(parser, rest)
        if command not in ("sessions", "load") and args.session is None:
            args.session = self._default_session()
        with user_facing_errors():
            return getattr(self, f"_gemini_{command}")(args)

    def _gemini_history(self, args: Any) -> Any:
        from .reports import history_view  # lazy: %vertex_image tables only, not at %load_ext

        return history_view(self._existing_session(args.session))

    def _gemini_undo(self, args: Any) -> None:
        session = self._existing_session(args.session)
        removed = session.undo()
        print(f"Removed turn {len(session) + 1} ({_quote(removed.prompt)}) from session {session.name!r}; "
              f"{_turns(len(session))} left.")  # fmt: skip

    def _gemini_reset(self, args: Any) -> None:
        session = self._existing_session(args.session)
        count = len(session)
        session.reset()
        print(f"Session {session.name!r} reset ({_turns(count)} forgotten; the images stay on disk).")

    def _gemini_sessions(self, args: Any) -> Any:
        from ..core.named_sessions import session_rows  # lazy: asyncio (core.session), not at %load_ext
        from .reports import sessions_view  # lazy: %vertex_image tables only, not at %load_ext

        return sessions_view(session_rows())

    def _gemini_branch(self, args: Any) -> None:
        from ..core.named_sessions import session_path  # lazy: asyncio (core.session), not at %load_ext

        session = self._existing_session(args.session)
        if args.new_name in state().sessions or session_path(args.new_name).is_file():
            raise UsageError(f"A session named {args.new_name!r} exists already; pick another name "
                             f"or `%gemini_image reset -S {args.new_name}` first.")  # fmt: skip
        clone = session.branch(args.new_name)
        print(f"Session {clone.name!r} branched from {session.name!r} with {_turns(len(clone))}; "
              f"continue it with %%gemini_image -S {clone.name}.")  # fmt: skip

    def _gemini_save(self, args: Any) -> None:
        session = self._existing_session(args.session)
        target = Path(args.path).expanduser() if args.path else session.default_path()
        advice = "Choose another path: %gemini_image save PATH." if args.path else _CHOOSE_FOLDER
        with storage_errors(f"write the session file {target}", target.parent, advice):
            path = session.save(target)
        print(f"Saved session {session.name!r} ({_turns(len(session))}) to {path}.")

    def _gemini_load(self, args: Any) -> None:
        from ..core.named_sessions import load_session, session_path  # lazy: asyncio (core.session), not at %load_ext

        path = Path(args.path).expanduser()
        if not path.is_file() and session_path(args.path).is_file():
            path = session_path(args.path)  # a session name from the store
        if not path.is_file():
            raise UsageError(f"No session file at {path} (and no stored session named {args.path!r}).")
        session = load_session(path, name=args.session, replace=args.replace)  # a name in use: only with --replace
        print(f"Loaded session {session.name!r} ({_turns(len(session))}, {session.model}) from {path}.")

    def _gemini_show(self, args: Any) -> ImageSet:
        session = self._existing_session(args.session)
        count = len(session)
        number = args.turn if args.turn > 0 else count + 1 + args.turn
        if not 1 <= number <= count:
            raise UsageError(f"Session {session.name!r} has {_turns(count)}; N must be 1..{count} (or -1 for the last).")
        exchange = session.exchanges[number - 1]
        return ImageSet(images=tuple(exchange.images), text=exchange.text, prompt=exchange.prompt,
                        model=exchange.images[0].model if exchange.images else session.model)  # fmt: skip

    # %vertex_image ----------------------------------------------------------------------------
    @no_var_expand
    @line_magic
    def vertex_image(self, line: str) -> Any:
        """Settings, diagnostics and tools of the extension.

        Subcommands::

            %vertex_image status          backend, project, locations, endpoint, credentials, store, default
                                          models (starts nothing)
            %vertex_image doctor          status, plus: can a token be obtained / is the emulator up (free)
            %vertex_image use BACKEND     switch to emulator, vertex or gemini-api (a base_url set for
                                          another backend is dropped); prints where requests go
            %vertex_image use litellm URL [--dialect gemini-api|vertex]
                                          through a LiteLLM proxy's pass-through routes; the proxy key comes
                                          from LITELLM_API_KEY or vi.configure(gateway_key=...), never this line
            %vertex_image use openai URL  through a gateway's OpenAI routes (key: OPENAI_API_KEY or gateway_key)
            %vertex_image models [--live] the image models: state today, dates, replacement, sizes, price
                                          (--live: also ask the service which ones this caller can use)
            %vertex_image config          effective settings and where each came from
            %vertex_image gallery [N]     the N most recent saved images (default 20)
            %vertex_image panel [-S NAME] [-m MODEL]  the interactive panel (ipywidgets)
            %vertex_image cost            this kernel's spend by model, session and day (measured vs
                                          estimated), the budget left, and the image folder's all-time total
            %vertex_image batches [--refresh]  the batch jobs saved in the image folder, newest first
                                          (--refresh: ask Google for the state of the unfinished ones)
            %vertex_image replay on|off|only
                                          answer recorded requests from the image folder, nothing sent, $0
                                          (on = auto: seeded calls and session turns; only: never send)
            %vertex_image export NOTEBOOK TO
                                          copy the notebook with exactly the images and answers it used into
                                          the folder TO (or TO.zip), to re-run with replay only
        """
        words = split_words(line)
        command, rest = (words[0], words[1:]) if words else ("status", [])
        if command not in VERTEX_SUBCOMMANDS:
            raise UsageError(f"Unknown subcommand {command!r}; use one of: {', '.join(VERTEX_SUBCOMMANDS)}.")
        parser = subcommand_parser(f"%vertex_image {command}")
        if command == "use":
            parser.add_argument("backend", choices=BACKENDS)
            parser.add_argument("url", nargs="?")
            parser.add_argument("--dialect", choices=DIALECTS)
        elif command == "gallery":
            parser.add_argument("n", type=int, nargs="?", default=20)
        elif command == "models":
            parser.add_argument("--live", action="store_true")
        elif command == "batches":
            parser.add_argument("--refresh", action="store_true")
        elif command == "panel":
            parser.add_argument("-S", "--session")
            parser.add_argument("-m", "--model")
        elif command == "replay":
            parser.add_argument("mode", choices=("on", "off", "auto", "only"), nargs="?")
        elif command == "export":
            parser.add_argument("notebook")
            parser.add_argument("to")
        args = parse_subcommand(parser, rest)
        with user_facing_errors():
            return getattr(self, f"_vertex_{command}")(args)

    def _vertex_status(self, args: Any) -> Any:
        from .reports import status_view  # lazy: %vertex_image tables only, not at %load_ext

        return status_view(doctor=False)

    def _vertex_doctor(self, args: Any) -> Any:
        from .reports import status_view  # lazy: %vertex_image tables only, not at %load_ext

        return status_view(doctor=True)

    def _vertex_config(self, args: Any) -> Any:
        from .reports import config_view  # lazy: %vertex_image tables only, not at %load_ext

        return config_view(self.show_progress)

    def _vertex_cost(self, args: Any) -> Any:
        from ..core.api import cost  # lazy: asyncio (core.api), not at %load_ext
        from .reports import cost_view  # lazy: %vertex_image tables only, not at %load_ext

        return cost_view(cost())

    def _vertex_batches(self, args: Any) -> Any:
        from ..core.batches import batches  # lazy: the client (httpx) for --refresh, not at %load_ext

        return batches(refresh=args.refresh)

    def _vertex_replay(self, args: Any) -> None:
        if args.mode is not None:
            self.replay = "auto" if args.mode == "on" else args.mode  # the trait applies it (vi.configure)
        from ..core.replay import mode as replay_mode  # lazy: %vertex_image replay only, not at %load_ext

        mode = replay_mode(state().settings())
        forced = " (VERTEX_IMAGE_REPLAY=only in the environment wins over any setting)" if mode != state().settings().replay else ""
        meaning = {"off": "every request is sent",
                   "auto": "recorded requests with a seed and recorded session turns are answered from the image folder",
                   "only": "every request is answered from the image folder; one never recorded fails, nothing is sent"}  # fmt: skip
        print(f"replay {mode}: {meaning[mode]}{forced}.")

    def _vertex_export(self, args: Any) -> None:
        from ..core.api import export  # lazy: asyncio (core.api), not at %load_ext

        where = export(args.notebook, args.to)
        print(f"Exported {args.notebook} with its images and answers to {where}; "
              "re-run it there with VERTEX_IMAGE_REPLAY=only (no credentials, no network, no cost).")  # fmt: skip

    def _vertex_use(self, args: Any) -> None:
        from .reports import use_message  # lazy: %vertex_image tables only, not at %load_ext

        options: dict[str, Any] = {"backend": args.backend}
        if args.url or args.dialect:
            if args.backend not in GATEWAYS:
                raise InvalidRequest(
                    f"A URL and --dialect go with a gateway (litellm, openai), not with {args.backend}: "
                    f"%vertex_image use {args.backend}"
                )
            options.update(base_url=args.url, gateway_dialect=args.dialect)
        if args.backend in GATEWAYS:
            from ..client.endpoints import gateway_root  # lazy: only `use` of a gateway needs the URL rules

            gateway_root(state().planned(options))  # no URL anywhere: say how to give one, and change nothing
        settings = state().configure(**options)  # drops a base_url given with another backend
        print(use_message(settings, state().emulator_url))

    def _vertex_models(self, args: Any) -> Any:
        from ..core.api import list_models  # lazy: asyncio and, for --live, httpx
        from .reports import models_view  # lazy: %vertex_image tables only, not at %load_ext

        return models_view(list_models(live=args.live), surface=state().settings().speaks, live=args.live)

    def _vertex_gallery(self, args: Any) -> ImageSet:
        if args.n < 1:
            raise UsageError("gallery N takes a positive number of images.")
        return state().store().gallery(args.n)

    def _vertex_panel(self, args: Any) -> Any:
        if importlib.util.find_spec("vertex_image.notebook.panel.widget") is None:
            print("The panel is not available in this version yet; use %imagen and %%gemini_image.")
            return None
        from .panel import widget  # lazy: ipywidgets, for the panel only

        return widget.panel(session=args.session, model=args.model)

    # shared helpers ---------------------------------------------------------------------------
    def _parse(self, magic: Callable[..., Any], line: str, cell: str | None) -> tuple[Any, str]:
        """Options from the line; the prompt from the line (line form) or the body (cell form).

        ``-h``/``--help`` prints the help and gives ``(None, "")``.
        """
        parser = magic.parser  # type: ignore[attr-defined]
        tokens, rest = split_options(line, parser, prompt_on_line=cell is None and parser.prog == "imagen")
        if "-h" in tokens or "--help" in tokens:
            print(magic.__doc__)
            return None, ""
        if parser.prog == "gemini_image":
            refuse_old_session_flag(tokens)
        args = parser.parse_args(tokens)
        if cell is None:
            return args, strip_silencer(rest)
        if rest:
            raise UsageError(f"Unexpected {rest!r} on the magic line: in the cell form the prompt is the body.")
        return args, strip_silencer(cell)

    def _prompt(self, text: str, raw: bool) -> str:
        if not text.strip():
            raise UsageError("No prompt: write what to draw, e.g. %imagen a red fox in the snow.")
        if raw:
            return text

        from .interpolate import interpolate  # lazy: a prompt's run only; keeps %load_ext at its old cost

        filled = interpolate(text, self.shell.user_ns)
        problem = filled.problem()
        if problem is not None:
            raise UsageError(problem)
        return filled.text

    def _image_ref(self, ref: str) -> Any:
        """An ``-i`` reference: a variable (``name``, ``name.attr``, ``name[0]``), a file, or a URI."""
        if ref.startswith(("gs://", "https://")):
            return ref
        match = _IMAGE_REF_RE.match(ref)
        if match and match.group("name").split(".")[0] in self.shell.user_ns:
            value: Any = self.shell.user_ns[match.group("name").split(".")[0]]
            try:
                for attr in match.group("name").split(".")[1:]:
                    value = getattr(value, attr)
                if match.group("index") is not None:
                    value = value[int(match.group("index"))]
            except (AttributeError, IndexError, KeyError, TypeError) as exc:
                raise UsageError(f"-i {ref}: {exc}") from None
            return value
        path = Path(ref).expanduser()
        if path.is_file():
            return str(path)
        raise UsageError(f"-i {ref}: no variable named {ref!r} and no file at {path}.")

    def _run(self, label: str, make: Callable[[Progress], Coroutine[Any, Any, T]]) -> T:
        """Run a request on the runtime loop with a progress line; an interrupt cancels it (``Cancelled``)."""
        enabled = {"always": True, "never": False}.get(self.show_progress)
        progress = Progress(self.shell, label, enabled=enabled)
        progress.start()
        try:
            return state().runtime().run(progress.track(make(progress)))
        finally:
            progress.finish()

    def _bind(self, name: str | None, value: Any) -> Any:
        if name:
            self.shell.user_ns[name] = value
        return value

    def _show(self, obj: Any) -> None:
        data, metadata = self.shell.display_formatter.format(obj)
        if data:
            self.shell.display_pub.publish(data=data, metadata=metadata)


def _left_out_note(left_out: int, sent: int) -> Any:
    text = (f"Note: the {_turns(left_out, 'oldest')} of this session {'was' if left_out == 1 else 'were'} left "
            f"out of the request to stay within the request size limit; the model saw the last "
            f"{_turns(sent)}. The session itself keeps every turn.")  # fmt: skip
    return HtmlView(note_html(text, "note"), text)


def _turns(count: int, adjective: str = "") -> str:
    word = "turn" if count == 1 else "turns"
    return f"{count} {adjective + ' ' if adjective else ''}{word}"


def _quote(text: str, limit: int = 40) -> str:
    return '"' + clip(text, limit) + '"'


# extension lifecycle --------------------------------------------------------------------------
_LOADED: dict[int, VertexImageMagics] = {}


def load_ipython_extension(ip: Any) -> None:
    """Register the magics, the display formatters and Tab completion; nothing else happens until a magic runs."""
    if id(ip) in _LOADED:
        return
    magics = VertexImageMagics(shell=ip)
    ip.register_magics(magics)

    formatters.register_formatters(ip)
    completion.register(ip)
    watch_streams(ip)  # which cells print: a progress handle is cleared only where nothing was
    show_api_errors_in_one_line(ip)
    _LOADED[id(ip)] = magics


def unload_ipython_extension(ip: Any) -> None:
    """Remove the magics, the configurable, the formatters and completion; stop the emulator and the runtime loop."""
    magics = _LOADED.pop(id(ip), None)
    if magics is not None:
        manager = ip.magics_manager
        for kind, table in magics.magics.items():
            for name in table:
                if getattr(manager.magics[kind].get(name), "__self__", None) is magics:
                    del manager.magics[kind][name]
        if manager.registry.get(type(magics).__name__) is magics:
            del manager.registry[type(magics).__name__]
        if magics in ip.configurables:
            ip.configurables.remove(magics)
    formatters.unregister_formatters(ip)
    completion.unregister(ip)
    show_api_errors_in_full(ip)
    registry.reset()
