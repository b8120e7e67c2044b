"""Tab completion for the magics: option names, and the values each option takes.

``complete`` is pure: the line up to the cursor in, the words that may replace its last word out
(model ids and aliases, the aspect ratios and sizes of the model named on the line, session names,
image variables...). ``register`` / ``unregister`` add and remove one IPython (v2) matcher, so
``%unload_ext`` leaves the completer as it found it. Completion runs on every Tab press: it makes no
request, imports nothing heavy, and never raises (a failing matcher would break all completion).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from IPython.core.completer import SimpleCompletion, context_matcher

from ..base.config import BACKENDS
from ..base.models import resolve_model, served_models
from ..core.registry import state
from .grammar import GEMINI_SUBCOMMANDS, NUMBER_RE, SAFETY_LEVELS, TOKEN_RE, VERTEX_SUBCOMMANDS, parser

# `%imagen ...`, `x = %imagen ...`, `%%imagen ...`: the magic, then at least one space before the cursor
_MAGIC_RE = re.compile(
    r"^\s*(?P<assign>[A-Za-z_]\w*\s*=\s*)?(?P<pct>%%?)(?P<name>imagen|gemini_image|vertex_image)(?P<rest>\s.*)?$"
)
_PERSON = ("dont_allow", "allow_adult", "allow_all")  # as the --person help lists them
_SAFETY_SHORT = tuple(SAFETY_LEVELS)
_SAFETY_ALL = _SAFETY_SHORT + tuple(SAFETY_LEVELS.values())
_SESSION_OPTION = {"-S": "session", "--session": "session"}
_PANEL_OPTIONS = {**_SESSION_OPTION, "-m": "model", "--model": "model"}


@dataclass(frozen=True)
class Completions:
    """What may replace ``fragment`` (the end of the line); ``files``: file paths fit there too."""

    words: list[str]
    fragment: str = ""
    files: bool = False


_NOTHING = Completions([])


@dataclass
class KernelFacts:
    """What completion reads from the kernel; a field left ``None`` is read from the registry when needed.

    Tests pass the values; in a notebook only what the current option needs is looked up.
    """

    sessions: Sequence[str] | None = None
    session_models: Mapping[str, str] | None = None
    default_imagen_model: str | None = None
    default_gemini_model: str | None = None
    _settings: Any = field(default=None, repr=False)

    def session_names(self) -> Sequence[str]:
        """Sessions in memory and on disk (a folder listing, no file is read)."""
        if self.sessions is None:
            from ..core.named_sessions import session_names  # lazy: asyncio (core.session), not at %load_ext

            self.sessions = session_names()
        return self.sessions

    def session_model(self, name: str) -> str | None:
        """The model of a session in memory (sessions on disk are not opened for a Tab press)."""
        if self.session_models is None:
            self.session_models = {key: session.model for key, session in state().sessions.items()}
        return self.session_models.get(name)

    def default_model(self, family: str) -> str:
        """The model used when the line names none: the setting of ``%imagen`` or of new sessions."""
        chosen = self.default_imagen_model if family == "imagen" else self.default_gemini_model
        if chosen is None:
            if self._settings is None:
                self._settings = state().settings()
            chosen = self._settings.default_imagen_model if family == "imagen" else self._settings.default_gemini_model
        return chosen


def complete(
    line: str, namespace: Mapping[str, Any] | None = None, *, facts: KernelFacts | None = None, first_line: bool = True
) -> list[str]:
    """The words that may replace the last word of ``line`` (the text before the cursor); [] if none.

    ``namespace`` gives the image variables for ``-i``; ``first_line`` is False when the cursor is not
    on a cell's first line (where a ``%%`` cell magic cannot be).
    """
    return analyse(line, namespace, facts=facts, first_line=first_line).words


def analyse(
    line: str, namespace: Mapping[str, Any] | None = None, *, facts: KernelFacts | None = None, first_line: bool = True
) -> Completions:
    """``complete`` with the fragment the words replace and whether file paths fit too."""
    match = _MAGIC_RE.match(line)
    if match is None or match["rest"] is None:
        return _NOTHING  # not our magic, or its name is still being typed (IPython completes that)
    cell = match["pct"] == "%%"
    if cell and (match["assign"] or not first_line or match["name"] == "vertex_image"):
        return _NOTHING
    rest = match["rest"]
    tokens = TOKEN_RE.findall(rest)
    fragment = "" if rest[-1].isspace() or not tokens else tokens.pop()
    surface = _Surface(namespace or {}, facts or KernelFacts())
    if match["name"] == "vertex_image":
        words, files = surface.vertex_image(tokens, fragment)
    elif match["name"] == "gemini_image" and not cell:
        words, files = surface.gemini_subcommand(tokens, fragment)
    else:
        family = "imagen" if match["name"] == "imagen" else "gemini"
        words, files = surface.options_then_prompt(parser(match["name"]), family, tokens, fragment)
    return Completions(words, fragment, files) if words or files else _NOTHING


@dataclass
class _Walk:
    """Options read so far: values by dest, the dest still waiting for its value, positional words."""

    chosen: dict[str, str] = field(default_factory=dict)
    pending: str | None = None
    positionals: list[str] = field(default_factory=list)


def _walk(tokens: Iterable[str], options: Mapping[str, str], flags: Iterable[str] = ()) -> _Walk:
    """Read ``tokens`` as the magic does (``boundary.split_options``): exact option names, ``-x=value``."""
    walk = _Walk()
    flag_set = set(flags)
    for token in tokens:
        token = token.strip("\"'")
        if walk.pending is not None:
            walk.chosen[walk.pending], walk.pending = token, None
        elif token.startswith("-") and len(token) > 1 and not NUMBER_RE.match(token):
            name, eq, value = token.partition("=")
            dest = options.get(name)
            if dest is not None and eq:
                walk.chosen[dest] = value
            elif dest is not None and name not in flag_set:
                walk.pending = dest
            elif dest is not None:
                walk.chosen[dest] = ""
        else:
            walk.positionals.append(token)
    return walk


def _starting(words: Iterable[str], prefix: str) -> list[str]:
    """``words`` that start with ``prefix`` (case-insensitively), without repeats, in their order."""
    low = prefix.lower()
    return list(dict.fromkeys(word for word in words if word.lower().startswith(low)))


class _Surface:
    """The completions of each magic, given the user's namespace and the kernel's facts."""

    def __init__(self, namespace: Mapping[str, Any], facts: KernelFacts) -> None:
        self.namespace = namespace
        self.facts = facts

    # %imagen, %%imagen, %%gemini_image: options, then the prompt ------------------------------
    def options_then_prompt(self, parser: Any, family: str, tokens: list[str], fragment: str) -> tuple[list[str], bool]:
        actions = {option: action for action in parser._actions for option in action.option_strings}
        options = {option: action.dest for option, action in actions.items()}
        flags = [option for option, action in actions.items() if action.nargs == 0]
        if "--" in tokens:
            return [], False  # the prompt has started
        walk = _walk(tokens, options, flags)
        if walk.positionals:
            return [], False  # the first plain word starts the prompt: no options after it
        if walk.pending is not None:
            return self._values(actions, walk.pending, walk.chosen, family, fragment)
        name, eq, value = fragment.partition("=")
        if fragment.startswith("-") and eq and name in actions:
            words, files = self._values(actions, actions[name].dest, walk.chosen, family, value)
            return [f"{name}={word}" for word in words], files
        if fragment and not fragment.startswith("-"):
            return [], False  # a prompt word
        used = {dest for dest in walk.chosen if dest != "image"}  # -i is repeatable
        names = [option for option, action in actions.items() if action.dest not in used]
        if not fragment:
            names = [option for option in names if option.startswith("--")]  # one name per option on a bare Tab
        return _starting(names, fragment), False

    def _values(
        self, actions: Mapping[str, Any], dest: str, chosen: Mapping[str, str], family: str, prefix: str
    ) -> tuple[list[str], bool]:
        choices = next((action.choices for action in actions.values() if action.dest == dest and action.choices), None)
        if choices:
            return _starting(choices, prefix), False
        if dest == "model":
            return _starting(_model_names(None if family == "imagen" else "gemini"), prefix), False
        if dest in ("aspect_ratio", "size"):
            model = chosen.get("model")
            if not model and family == "gemini":
                model = self.facts.session_model(chosen.get("session", "default"))
            info = resolve_model(model or self.facts.default_model(family))
            return _starting(info.aspect_ratios if dest == "aspect_ratio" else info.image_sizes, prefix), False
        if dest == "person":
            return _starting(_PERSON, prefix), False
        if dest == "safety":
            return _starting(_SAFETY_ALL if prefix else _SAFETY_SHORT, prefix), False
        if dest == "session":
            return _starting(self.facts.session_names(), prefix), False
        if dest == "image":
            return image_variables(self.namespace, prefix), True
        return [], False

    # %gemini_image SUBCOMMAND ---------------------------------------------------------------
    def gemini_subcommand(self, tokens: list[str], fragment: str) -> tuple[list[str], bool]:
        if not tokens:
            return _starting(GEMINI_SUBCOMMANDS, fragment), False
        if tokens[0] not in GEMINI_SUBCOMMANDS or tokens[0] == "sessions":
            return [], False
        return self._subcommand(tokens[1:], fragment, _SESSION_OPTION, loads=tokens[0] == "load")

    # %vertex_image SUBCOMMAND ---------------------------------------------------------------
    def vertex_image(self, tokens: list[str], fragment: str) -> tuple[list[str], bool]:
        if not tokens:
            return _starting(VERTEX_SUBCOMMANDS, fragment), False
        if tokens[0] == "use" and len(tokens) == 1:
            return _starting(BACKENDS, fragment), False
        if tokens[0] == "panel":
            return self._subcommand(tokens[1:], fragment, _PANEL_OPTIONS)
        return [], False

    def _subcommand(
        self, tokens: list[str], fragment: str, options: Mapping[str, str], loads: bool = False
    ) -> tuple[list[str], bool]:
        walk = _walk(tokens, options)
        if walk.pending is not None:
            return self._subcommand_values(walk.pending, fragment), False
        name, eq, value = fragment.partition("=")
        if fragment.startswith("-") and eq and name in options:
            return [f"{name}={word}" for word in self._subcommand_values(options[name], value)], False
        unused = [option for option, dest in options.items() if dest not in walk.chosen]
        if fragment.startswith("-"):
            return _starting(unused, fragment), False
        if loads and not walk.positionals:
            return _starting(self.facts.session_names(), fragment), True  # load PATH|NAME
        if not fragment:
            return [option for option in unused if option.startswith("--")], False
        return [], False

    def _subcommand_values(self, dest: str, prefix: str) -> list[str]:
        if dest == "session":
            return _starting(self.facts.session_names(), prefix)
        return _starting(_model_names(None), prefix)  # panel -m: any model that makes images


def _model_names(family: str | None) -> list[str]:
    """Ids and aliases of the models still served that make images from a prompt (of ``family`` when given)."""
    names: list[str] = []
    for info in served_models():
        if not info.upscale and family in (None, info.family):
            names += [info.id, *info.aliases]
    return names


def image_variables(namespace: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Names of the user's variables that ``-i`` accepts: GeneratedImage, ImageSet, PIL images, bytes.

    The classes are looked up in ``sys.modules`` only: if Pillow (or ``images``) is not imported, no
    variable can hold one of its objects, and completion must not import it.
    """
    kinds: list[type] = [bytes, bytearray]
    images = sys.modules.get("vertex_image.results.images")
    if images is not None:
        kinds += [images.GeneratedImage, images.ImageSet]
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(getattr(pil, "Image", None), type):
        kinds.append(pil.Image)
    found = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or not name.startswith(prefix):
            continue  # _, _3, __: IPython's output history
        try:
            if isinstance(value, tuple(kinds)):
                found.append(name)
        except Exception:  # an object whose __class__ raises must not break completion
            continue
    return sorted(found)


# IPython glue ---------------------------------------------------------------------------------
_MATCHERS: dict[int, Any] = {}
MATCHER_ID = "vertex_image.notebook.magics"


def register(ip: Any) -> None:
    """Add the completion matcher to the shell's completer (once)."""
    if id(ip) in _MATCHERS:
        return
    matcher = _matcher_for(ip)
    ip.Completer.custom_matchers.append(matcher)
    _MATCHERS[id(ip)] = matcher


def unregister(ip: Any) -> None:
    """Remove exactly the matcher ``register`` added, leaving other custom matchers in place."""
    matcher = _MATCHERS.pop(id(ip), None)
    completer = getattr(ip, "Completer", None)
    if matcher is None or completer is None:
        return
    completer.custom_matchers[:] = [m for m in completer.custom_matchers if m is not matcher]


def _matcher_for(ip: Any) -> Any:
    """A v2 matcher (IPython >= 8.6; the project needs 8.12) reading ``ip``'s namespace."""
    file_matcher = getattr(ip.Completer, "file_matcher", None)
    file_matcher_id = getattr(file_matcher, "matcher_identifier", "IPCompleter.file_matcher")

    @context_matcher(identifier=MATCHER_ID)
    def vertex_image_matcher(context: Any) -> dict[str, Any]:
        try:
            found = analyse(context.text_until_cursor, ip.user_ns, first_line=context.cursor_line == 0)
        except Exception:  # never break the notebook's completion
            found = _NOTHING
        if not found.words:
            return {"completions": [], "suppress": False}
        result: dict[str, Any] = {
            "completions": [SimpleCompletion(word, type="param") for word in found.words],
            "matched_fragment": found.fragment,
            "ordered": True,
            "suppress": True,  # Python names and files do not fit after -m; -i also takes a file path
            "do_not_suppress": {file_matcher_id} if found.files else set(),
        }
        return result

    return vertex_image_matcher


__all__ = ["Completions", "KernelFacts", "analyse", "complete", "image_variables", "register", "unregister"]
