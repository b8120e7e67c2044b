"""The IPython magics: ``%imagen``, ``%%gemini_image`` (with line subcommands) and ``%vertex_image``.

Glue only: parse the line, call the Python API on the extension's runtime loop with a progress
display, and return the result (so it lands in ``Out``; a trailing ``;`` silences it). User mistakes
become a one-line ``UsageError``; service errors show their message (reason and what to do) and
fail the cell without a traceback; ``--debug`` shows the traceback. Nothing heavy is imported here.
"""

from __future__ import annotations

import keyword
import re
import shlex
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
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
from IPython.core.magic_arguments import MagicArgumentParser, argument, magic_arguments
from traitlets import CaselessStrEnum, Int, TraitError, Unicode, observe, validate
from traitlets.config import Configurable

from .errors import InvalidRequest, VertexImageError, _rebuild
from .registry import state

if TYPE_CHECKING:  # pragma: no cover
    from .images import ImageSet
    from .progress import Progress
    from .session import ImageSession

T = TypeVar("T")
POLL_S = 0.1  # how often a waiting magic looks for a kernel interrupt

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
    "api_version": "api_version",
}
_SAFETY = {
    "low": "block_low_and_above",
    "medium": "block_medium_and_above",
    "high": "block_only_high",
    "none": "block_none",
}
_PERSON = ("dont_allow", "allow_none", "allow_adult", "allow_all")
_TOKEN_RE = re.compile(r"""(?:"[^"]*(?:"|$)|'[^']*(?:'|$)|[^\s"'])+""")
_NUMBER_RE = re.compile(r"^-\d+(\.\d*)?$")
_IMAGE_REF_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z]\w*)*)(?:\[(?P<index>-?\d+)\])?$")
_GEMINI_SUBCOMMANDS = ("history", "undo", "reset", "sessions", "branch", "save", "load", "show")
_VERTEX_SUBCOMMANDS = ("status", "doctor", "use", "models", "config", "gallery", "panel")


# options --------------------------------------------------------------------------------------
def _safety(value: str) -> str:
    level = value.strip().lower().replace("-", "_")
    level = _SAFETY.get(level, level)
    if level not in _SAFETY.values():
        raise ValueError(value)
    return level


_safety.__name__ = "safety level (low, medium, high, none, or block_...)"


def _person(value: str) -> str:
    choice = value.strip().lower().replace("-", "_")
    if choice not in _PERSON:
        raise ValueError(value)
    return choice


_person.__name__ = "person setting (dont_allow, allow_adult, allow_all)"


def split_options(line: str, parser: Any) -> tuple[list[str], str]:
    """The leading option tokens of ``line`` (unquoted) and the rest of it verbatim (the prompt).

    Options come first; the first word that is neither an option nor an option's value starts the
    prompt, which keeps its quotes, apostrophes and spacing. ``--`` ends the options explicitly.
    """
    takes_value = {
        option: action.nargs != 0 for action in parser._actions for option in action.option_strings
    }
    tokens: list[str] = []
    expect_value = False
    for match in _TOKEN_RE.finditer(line):
        raw = match.group(0)
        if expect_value:
            tokens.append(_unquote(raw))
            expect_value = False
        elif raw == "--":
            return tokens, line[match.end():].strip()
        elif raw.startswith("-") and len(raw) > 1 and not _NUMBER_RE.match(raw):
            tokens.append(_unquote(raw))
            expect_value = "=" not in raw and takes_value.get(raw, False)
        else:
            return tokens, _strip_quotes(line[match.start():].strip())
    return tokens, ""


def _unquote(raw: str) -> str:
    try:
        parts = shlex.split(raw)
    except ValueError:
        raise UsageError(f"Unbalanced quote in {raw!r}.") from None
    return parts[0] if len(parts) == 1 else raw


def _strip_quotes(prompt: str) -> str:
    """``"a red fox"`` on the line means the words inside the quotes."""
    if len(prompt) >= 2 and prompt[0] == prompt[-1] and prompt[0] in "\"'" and prompt[0] not in prompt[1:-1]:
        return prompt[1:-1]
    return prompt


def _without_silencer(text: str) -> str:
    """Drop the trailing ``;`` that silenced the output: it is not part of the prompt."""
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _check_name(name: str | None, option: str = "-o/--out") -> str | None:
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise UsageError(f"{option} takes a Python variable name, not {name!r}.")
    return name


# errors ---------------------------------------------------------------------------------------
class _ShortTraceback:
    """Mixin for errors raised at the magic boundary: IPython shows one line, not a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]

    def __reduce__(self) -> tuple[Any, ...]:
        base = next(cls for cls in type(self).__mro__[1:] if cls is not _ShortTraceback)
        return (_rebuild, (base, self.__dict__))


_SHORT_CLASSES: dict[type, type] = {}


def short_error(error: VertexImageError) -> VertexImageError:
    """The same error (same class name, attributes and message) shown without a traceback.

    It stays an instance of the original class, so ``except vi.ImageBlocked`` around a magic works.
    """
    cls = type(error)
    short_cls = _SHORT_CLASSES.get(cls)
    if short_cls is None:
        short_cls = type(cls.__name__, (_ShortTraceback, cls), {"__module__": cls.__module__})
        short_cls.__qualname__ = cls.__qualname__
        _SHORT_CLASSES[cls] = short_cls
    short = short_cls.__new__(short_cls)
    Exception.__init__(short, *error.args)
    short.__dict__.update(error.__dict__)
    return short


@contextmanager
def user_facing_errors(debug: bool = False) -> Iterator[None]:
    """Bad input -> ``UsageError``; service errors -> their one-line message; ``debug`` keeps tracebacks."""
    try:
        yield
    except UsageError:
        raise
    except InvalidRequest as exc:
        if debug:
            raise
        raise UsageError(str(exc)) from None
    except VertexImageError as exc:
        if debug:
            raise
        raise short_error(exc) from None


# the magics -----------------------------------------------------------------------------------
@magics_class
class VertexImageMagics(Magics, Configurable):
    """``%imagen``, ``%%gemini_image`` and ``%vertex_image``; options settable with ``%config``.

    Every option is a setting of the kernel (``vi.configure``): ``None`` leaves the setting to the
    environment and the defaults. ``%vertex_image config`` shows where each value came from.
    """

    backend = Unicode(None, allow_none=True, config=True, help="vertex, gemini-api or emulator.")
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
    api_version = Unicode(None, allow_none=True, config=True, help="API version override (v1, v1beta1, v1beta).")
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
        from .config import resolve_settings

        name, value = proposal["trait"].name, proposal["value"]
        merged = {**state().configured, _TRAIT_SETTINGS[name]: value}
        try:
            resolve_settings(configured={k: v for k, v in merged.items() if v is not None})
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
            settings = state().configure(**options)
            if "preview_size" in options:
                from .images import set_preview_size

                set_preview_size(settings.preview_size)

    # %imagen --------------------------------------------------------------------------------
    @magic_arguments()
    @argument("-m", "--model", help="Model id or alias (any image model; default: the Imagen default).")
    @argument("-n", "--count", type=int, default=1, help="How many images (default 1).")
    @argument("-a", "--aspect-ratio", help="e.g. 1:1, 16:9, 9:16 (see %%vertex_image models).")
    @argument("-s", "--size", help="Image size: 1K, 2K, or 4K where the model has it.")
    @argument("--negative", metavar="TEXT", help="Negative prompt: what to avoid (Imagen).")
    @argument("--seed", type=int, help="Seed for repeatable results.")
    @argument("--enhance", dest="enhance", action="store_true", default=None, help="Let Imagen rewrite the prompt.")
    @argument("--no-enhance", dest="enhance", action="store_false", default=None, help="Send the prompt as written.")
    @argument("--person", type=_person, help="People: dont_allow, allow_adult or allow_all.")
    @argument("--safety", type=_safety, help="Safety filter: low, medium, high, none (or block_...).")
    @argument("--format", choices=("png", "jpeg"), help="Output format.")
    @argument("--quality", type=int, help="JPEG quality 0-100 (with --format jpeg).")
    @argument("-o", "--out", metavar="NAME", help="Also bind the result to this variable.")
    @argument("--no-interpolate", action="store_true", help="Send {name} references as written.")
    @argument("--debug", action="store_true", help="Show the full traceback of an error.")
    @argument("prompt", nargs="*", help="What to draw (line form); in the cell form the cell body.")
    @output_can_be_silenced
    @no_var_expand
    @line_cell_magic
    def imagen(self, line: str, cell: str | None = None) -> ImageSet:
        """Generate images: ``%imagen a red fox`` or ``%%imagen [options]`` with the prompt as the body.

        Returns an ``ImageSet`` (``imgs = %imagen a fox`` works; ``;`` silences). ``{name}`` and
        ``{name.attr}`` in the prompt are filled from your variables; other braces stay as written.
        Images some filter removed are left out with a note; no image at all fails the cell.
        """
        args, prompt = self._parse(self.imagen, line, cell)
        out = _check_name(args.out)
        with user_facing_errors(args.debug):
            from .api import GenerateRequest, agenerate_request
            from .models import resolve_model

            text = self._prompt(prompt, args.no_interpolate)
            negative = self._prompt(args.negative, args.no_interpolate) if args.negative else None
            info = resolve_model(args.model or state().settings().default_imagen_model)
            options = {
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
            images = self._run(info.id, lambda progress: agenerate_request(request, on_retry=progress.on_retry))
            if not images.images:
                images.raise_for_block()
        return self._bind(out, images)

    # %%gemini_image ------------------------------------------------------------------------
    @magic_arguments()
    @argument("-s", "--session", default="default", metavar="NAME", help="Session name (default: default).")
    @argument("--new", action="store_true", help="Start the session over (the old one is replaced on success).")
    @argument(
        "-i", "--image", action="append", default=[], metavar="REF",
        help="Input image: a variable (GeneratedImage, ImageSet, PIL image, bytes; name[0] picks one), "
        "a file path, or gs://. Repeatable.",
    )
    @argument("-m", "--model", help="Gemini image model id or alias (nano-banana, nano-banana-pro...).")
    @argument("-a", "--aspect-ratio", help="e.g. 1:1, 16:9.")
    @argument("--size", help="Image size: 1K, 2K, 4K where the model has it.")
    @argument("--text", action="store_true", help="Ask for text as well as the image.")
    @argument("--search", action="store_true", help="Google Search grounding (models that support it).")
    @argument("--temperature", type=float, help="Sampling temperature.")
    @argument("--seed", type=int, help="Seed for repeatable results.")
    @argument("-o", "--out", metavar="NAME", help="Also bind the result to this variable.")
    @argument("--no-interpolate", action="store_true", help="Send {name} references as written.")
    @argument("--debug", action="store_true", help="Show the full traceback of an error.")
    @output_can_be_silenced
    @no_var_expand
    @line_cell_magic
    def gemini_image(self, line: str, cell: str | None = None) -> Any:
        """A multi-turn image conversation with a Gemini image model.

        ``%%gemini_image [options]`` sends the cell body as the next turn of the session (the model
        sees the history, so "now make the sky purple" edits the last image). The session is saved
        after every turn and resumes from disk in a new kernel (``-s NAME``).

        Line subcommands (``-s NAME`` picks the session, default ``default``)::

            %gemini_image history [-s NAME]     turns with thumbnails
            %gemini_image undo [-s NAME]        remove the last turn
            %gemini_image reset [-s NAME]       forget every turn
            %gemini_image sessions              sessions in memory and on disk
            %gemini_image branch NEW [-s NAME]  copy a session under a new name
            %gemini_image save [PATH] [-s NAME] write the session file (default: the store)
            %gemini_image load PATH|NAME [-s NAME]  load a session file
            %gemini_image show N [-s NAME]      the images of turn N (-1: the last)
        """
        if cell is None:
            return self._gemini_subcommand(line)
        args, rest = self._parse(self.gemini_image, line, None)
        if rest:
            raise UsageError(f"Unexpected {rest!r} on the %%gemini_image line: the prompt goes in the cell body.")
        out = _check_name(args.out)
        with user_facing_errors(args.debug):
            images = self._gemini_turn(args, cell)
        return self._bind(out, images)

    def _gemini_turn(self, args: Any, body: str) -> ImageSet:
        prompt = self._prompt(_without_silencer(body), args.no_interpolate)
        if not prompt.strip():
            raise UsageError("The cell is empty: write what to draw or change.")
        refs = [self._image_ref(ref) for ref in args.image]
        session, registered = self._session_for_turn(args.session, args.new, args.model)
        options = {
            "model": args.model,
            "aspect_ratio": args.aspect_ratio,
            "image_size": args.size,
            "text": True if args.text else None,
            "google_search": True if args.search else None,
            "temperature": args.temperature,
            "seed": args.seed,
        }
        options = {key: value for key, value in options.items() if value is not None}
        label = f"{args.model or session.model} · session {session.name!r} turn {len(session) + 1}"
        result = self._run(
            label,
            lambda progress: session.asend_detailed(prompt, refs or None, on_retry=progress.on_retry, **options),
        )
        images = result.images
        if not images.images:
            images.raise_for_block()
        if not registered:
            state().sessions[session.name] = session
        if result.exchanges_left_out:
            self._show(_left_out_note(result.exchanges_left_out, result.exchanges_sent))
        return images

    def _session_for_turn(self, name: str, new: bool, model: str | None) -> tuple[ImageSession, bool]:
        """The session to continue (memory, else disk) or a fresh one; and whether it is registered."""
        from .session import ImageSession

        kernel = state()
        if not new and name in kernel.sessions:
            return kernel.sessions[name], True
        fresh = ImageSession(model=model, name=name)  # checks the name and that the model is Gemini
        path = fresh.default_path()
        if not new and path.is_file():
            return ImageSession.load(path, name=name), False
        return fresh, False

    def _existing_session(self, name: str) -> ImageSession:
        """A session by name from memory or disk (then kept in memory); UsageError when there is none."""
        from .session import ImageSession

        kernel = state()
        if name in kernel.sessions:
            return kernel.sessions[name]
        for known_name, _model, _turns, _where in self._session_rows():
            if known_name == name:
                session = ImageSession.load(self._session_path(name), name=name)
                kernel.sessions[name] = session
                return session
        names = ", ".join(row[0] for row in self._session_rows()) or "none yet"
        raise UsageError(f"No session named {name!r} (sessions: {names}).")

    def _session_path(self, name: str) -> Path:
        return Path(state().settings().output_dir) / "sessions" / f"{name}.json"

    def _session_rows(self) -> list[tuple[str, str, str, str]]:
        """(name, model, turns, where) for sessions in memory and in the store's sessions folder."""
        import json

        kernel = state()
        rows = {name: (name, s.model, str(len(s)), "memory") for name, s in kernel.sessions.items()}
        folder = Path(kernel.settings().output_dir) / "sessions"
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if path.stem in rows:
                rows[path.stem] = (*rows[path.stem][:3], "memory, disk")
                continue
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(document, dict) and document.get("format") == "vertex-image-session":
                turns = len(document.get("exchanges") or [])
                rows[path.stem] = (path.stem, str(document.get("model", "")), str(turns), "disk")
        return [rows[name] for name in sorted(rows)]

    # %gemini_image subcommands --------------------------------------------------------------
    def _gemini_subcommand(self, line: str) -> Any:
        words = _split_words(line)
        if not words:
            raise UsageError(f"%gemini_image needs a subcommand: {', '.join(_GEMINI_SUBCOMMANDS)}. "
                             "Prompts go in a %%gemini_image cell.")  # fmt: skip
        command, rest = words[0], words[1:]
        if command not in _GEMINI_SUBCOMMANDS:
            raise UsageError(f"Unknown subcommand {command!r}; use one of: {', '.join(_GEMINI_SUBCOMMANDS)}. "
                             "Prompts go in a %%gemini_image cell.")  # fmt: skip
        parser = _subcommand_parser(f"%gemini_image {command}")
        if command != "sessions":
            parser.add_argument("-s", "--session", default="default" if command != "load" else None)
        if command == "branch":
            parser.add_argument("new_name", metavar="NEW")
        elif command == "save":
            parser.add_argument("path", nargs="?")
        elif command == "load":
            parser.add_argument("path", metavar="PATH")
        elif command == "show":
            parser.add_argument("turn", type=int, metavar="N")
        args = parser.parse_args(rest)
        with user_facing_errors():
            return getattr(self, f"_gemini_{command}")(args)

    def _gemini_history(self, args: Any) -> Any:
        from .reports import history_view

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
        from .reports import sessions_view

        return sessions_view(self._session_rows())

    def _gemini_branch(self, args: Any) -> None:
        session = self._existing_session(args.session)
        if args.new_name in state().sessions or self._session_path(args.new_name).is_file():
            raise UsageError(f"A session named {args.new_name!r} exists already; pick another name "
                             f"or `%gemini_image reset -s {args.new_name}` first.")  # fmt: skip
        clone = session.branch(args.new_name)
        print(f"Session {clone.name!r} branched from {session.name!r} with {_turns(len(clone))}; "
              f"continue it with %%gemini_image -s {clone.name}.")  # fmt: skip

    def _gemini_save(self, args: Any) -> None:
        session = self._existing_session(args.session)
        path = session.save(Path(args.path).expanduser() if args.path else None)
        print(f"Saved session {session.name!r} ({_turns(len(session))}) to {path}.")

    def _gemini_load(self, args: Any) -> None:
        from .session import ImageSession

        path = Path(args.path).expanduser()
        if not path.is_file() and self._session_path(args.path).is_file():
            path = self._session_path(args.path)  # a session name from the store
        if not path.is_file():
            raise UsageError(f"No session file at {path} (and no stored session named {args.path!r}).")
        session = ImageSession.load(path, name=args.session)
        if path.resolve() != session.default_path().resolve():
            session.save()  # into the store too, so that `-s NAME` resumes it after a restart
        state().sessions[session.name] = session
        print(f"Loaded session {session.name!r} ({_turns(len(session))}, {session.model}) from {path}.")

    def _gemini_show(self, args: Any) -> ImageSet:
        from .images import ImageSet

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

            %vertex_image status          backend, project, locations, credentials, store, default models
            %vertex_image doctor          status, plus: can a token be obtained / is the emulator up (free)
            %vertex_image use BACKEND     switch to emulator, vertex or gemini-api
            %vertex_image models          the image models and what each accepts
            %vertex_image config          effective settings and where each came from
            %vertex_image gallery [N]     the N most recent saved images (default 20)
            %vertex_image panel           the interactive panel (ipywidgets)
        """
        words = _split_words(line)
        command, rest = (words[0], words[1:]) if words else ("status", [])
        if command not in _VERTEX_SUBCOMMANDS:
            raise UsageError(f"Unknown subcommand {command!r}; use one of: {', '.join(_VERTEX_SUBCOMMANDS)}.")
        parser = _subcommand_parser(f"%vertex_image {command}")
        if command == "use":
            parser.add_argument("backend", choices=("emulator", "vertex", "gemini-api"))
        elif command == "gallery":
            parser.add_argument("n", type=int, nargs="?", default=20)
        args = parser.parse_args(rest)
        with user_facing_errors():
            return getattr(self, f"_vertex_{command}")(args)

    def _vertex_status(self, args: Any) -> Any:
        return self._status(doctor=False)

    def _vertex_doctor(self, args: Any) -> Any:
        return self._status(doctor=True)

    def _status(self, doctor: bool) -> Any:
        from .auth import redact
        from .display import HtmlView
        from .reports import key_value_view

        kernel = state()
        settings = kernel.settings()
        secrets = [str(settings.api_key)] if settings.api_key is not None else []
        rows: list[tuple[str, str]] = [("backend", settings.backend + (
            f" (speaks {settings.speaks})" if settings.backend == "emulator" else ""))]  # fmt: skip
        problems: list[str] = []
        try:
            auth = kernel.auth()
            connected = kernel.connected_settings()
            secrets += [s for s in auth.secrets() if s]
            credentials = f"{auth.description}: found"
        except VertexImageError as exc:
            auth, connected, credentials = None, settings, f"not usable: {exc}"
            problems.append("credentials")
        project_source = connected.sources.get("project", "")
        rows += [
            ("project", (connected.project or "(none)") + (f" (from {project_source})" if project_source else "")),
            ("location", f"imagen: {connected.location_for('imagen')} · gemini: {connected.location_for('gemini')}"
                         + ("" if connected.location else " (per-model defaults)")),  # fmt: skip
            ("credentials", credentials),
            ("quota project", (getattr(auth, "quota_project", "") or "(none)") if auth else "-"),
            ("store folder", str(Path(connected.output_dir).resolve())),
            ("default models", f"imagen: {connected.default_imagen_model} · gemini: {connected.default_gemini_model}"),
            ("api version", connected.version()),
        ]
        if connected.base_url:
            rows.append(("endpoint", connected.base_url))
        if doctor and auth is not None:
            check = self._check_token(auth, connected)
            rows.append(("token check" if connected.backend != "emulator" else "emulator", check))
            if not check.startswith("ok"):
                problems.append("token")
        footer = ("Problems: " + ", ".join(problems) + ". " + _STATUS_HELP) if problems else (
            "Everything needed is in place." if doctor else "Run %vertex_image doctor to check the credentials work.")
        view = key_value_view("vertex-image " + ("doctor" if doctor else "status"), rows, footer)
        return HtmlView(redact(view.html, secrets), redact(view.text, secrets))

    def _check_token(self, auth: Any, settings: Any) -> str:
        """No cost: obtain the auth headers (a token refresh for ADC); ping the emulator."""
        from .auth import redact

        try:
            if settings.backend == "emulator":
                return _ping(settings.base_url)
            headers = state().runtime().run(auth.headers())
            if any(name.lower() == "authorization" for name in headers):
                return "ok: an access token was obtained"
            return "ok: an API key is set (it is checked by the first request)"
        except Exception as exc:  # noqa: BLE001 - the doctor reports every failure as a finding
            return "failed: " + redact(str(exc) or type(exc).__name__, auth.secrets())

    def _vertex_use(self, args: Any) -> None:
        settings = state().configure(backend=args.backend)
        where = {"emulator": "the offline emulator (deterministic images, no cost)",
                 "vertex": "Vertex AI", "gemini-api": "the Gemini API"}[settings.backend]  # fmt: skip
        print(f"Backend: {settings.backend} — requests go to {where}.")

    def _vertex_models(self, args: Any) -> Any:
        from .models import list_models
        from .reports import models_view

        return models_view(list_models())

    def _vertex_config(self, args: Any) -> Any:
        from dataclasses import fields

        from .config import Settings
        from .reports import config_view

        settings = state().settings()
        rows = []
        for field in fields(Settings):
            if field.name == "sources":
                continue
            value = getattr(settings, field.name)
            if field.name == "api_key":
                shown = "set (hidden)" if value is not None else "(not set)"
            elif value in ("", None):
                shown = "(per model)" if field.name == "location" else "(not set)"
            else:
                shown = str(value)
            origin = settings.sources.get(field.name, "default")
            if origin == "default" and settings.backend == "emulator" and field.name in ("base_url", "project"):
                origin = "emulator"
            rows.append((field.name, shown, origin))
        rows.append(("show_progress", self.show_progress, "%config VertexImageMagics.show_progress"))
        return config_view(rows)

    def _vertex_gallery(self, args: Any) -> ImageSet:
        if args.n < 1:
            raise UsageError("gallery N takes a positive number of images.")
        return state().store().gallery(args.n)

    def _vertex_panel(self, args: Any) -> Any:
        import importlib.util

        if importlib.util.find_spec("vertex_image.widget") is None:
            print("The panel is not available in this version yet; use %imagen and %%gemini_image.")
            return None
        from . import widget

        return widget.panel()

    # shared helpers ---------------------------------------------------------------------------
    def _parse(self, magic: Callable[..., Any], line: str, cell: str | None) -> tuple[Any, str]:
        """Options from the line; the prompt from the line (line form) or the body (cell form)."""
        parser = magic.parser  # type: ignore[attr-defined]
        tokens, rest = split_options(line, parser)
        args = parser.parse_args(tokens)
        if cell is None:
            return args, _without_silencer(rest)
        if rest:
            raise UsageError(f"Unexpected {rest!r} on the magic line: in the cell form the prompt is the body.")
        return args, _without_silencer(cell)

    def _prompt(self, text: str, raw: bool) -> str:
        if not text.strip():
            raise UsageError("No prompt: write what to draw, e.g. %imagen a red fox in the snow.")
        if raw:
            return text
        from .interpolate import interpolate

        return interpolate(text, self.shell.user_ns).text

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
        from .progress import Progress

        enabled = {"always": True, "never": False}.get(self.show_progress)
        progress = Progress(self.shell, label, enabled=enabled)
        progress.start()
        try:
            return run_interruptibly(progress.track(make(progress)))
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


_STATUS_HELP = (
    "For Vertex AI run `gcloud auth application-default login` and set GOOGLE_CLOUD_PROJECT; for the Gemini "
    "API set GOOGLE_API_KEY; to work offline run %vertex_image use emulator."
)


def _left_out_note(left_out: int, sent: int) -> Any:
    from .display import HtmlView, note_html

    text = (f"Note: the {_turns(left_out, 'oldest')} of this session {'was' if left_out == 1 else 'were'} left "
            f"out of the request to stay within the request size limit; the model saw the last "
            f"{_turns(sent)}. The session itself keeps every turn.")  # fmt: skip
    return HtmlView(note_html(text, "note"), text)


def _turns(count: int, adjective: str = "") -> str:
    word = "turn" if count == 1 else "turns"
    return f"{count} {adjective + ' ' if adjective else ''}{word}"


def _quote(text: str, limit: int = 40) -> str:
    from .display import clip

    return '"' + clip(text, limit) + '"'


def _split_words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"Cannot read {line!r}: {exc}.") from None


def _subcommand_parser(prog: str) -> MagicArgumentParser:
    return MagicArgumentParser(prog=prog, add_help=False)


def run_interruptibly(coro: Coroutine[Any, Any, T], poll_s: float = POLL_S) -> T:
    """Run ``coro`` on the runtime loop; a kernel interrupt cancels it and raises ``Cancelled``.

    Why not ``Runtime.run``: it blocks in ``Future.result()``, which only a real SIGINT wakes;
    ``_thread.interrupt_main()`` (how ipykernel interrupts on Windows) is seen only between
    bytecodes, so the main thread waits in short slices. After a cancel the task gets
    ``CANCEL_GRACE_S`` to close its connection, so the session and the store are left as they were.
    """
    import concurrent.futures
    import threading

    from .errors import Cancelled
    from .runtime import CANCEL_GRACE_S

    over = threading.Event()

    async def tracked() -> T:
        try:
            return await coro
        finally:
            over.set()

    future = state().runtime().submit(tracked())
    try:
        while True:
            try:
                return future.result(timeout=poll_s)
            except concurrent.futures.TimeoutError:
                continue
    except KeyboardInterrupt:
        future.cancel()
        over.wait(CANCEL_GRACE_S)
        raise Cancelled("Interrupted: the request was cancelled and nothing was recorded.") from None
    except concurrent.futures.CancelledError:
        raise Cancelled("The request was cancelled and nothing was recorded.") from None


def _ping(base_url: str) -> str:
    """Is the emulator answering? Any HTTP status counts as up."""
    import httpx

    try:
        response = httpx.get(base_url.rstrip("/") + "/", timeout=2.0)
    except httpx.HTTPError as exc:
        return f"failed: {base_url} does not answer ({type(exc).__name__})"
    return f"ok: {base_url} answers (HTTP {response.status_code})"


# extension lifecycle --------------------------------------------------------------------------
_LOADED: dict[int, VertexImageMagics] = {}


def load_ipython_extension(ip: Any) -> None:
    """Register the magics and the display formatters; nothing else happens until a magic runs."""
    if id(ip) in _LOADED:
        return
    magics = VertexImageMagics(shell=ip)
    ip.register_magics(magics)
    from . import images

    images.register_formatters(ip)
    _LOADED[id(ip)] = magics


def unload_ipython_extension(ip: Any) -> None:
    """Remove the magics, the configurable and the formatters; stop the emulator and the runtime loop."""
    from . import images, registry

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
    images.unregister_formatters(ip)
    registry.reset()
