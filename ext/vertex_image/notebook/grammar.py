"""The magics' grammar: their options, subcommands, the values options take, and how a line is split.

One public module read by ``magics`` (to declare the options), ``boundary`` (to split a line into
options and the prompt) and ``completion`` (to offer option names and values on Tab), so the three
cannot drift apart. Pure declarations: no request, no kernel state.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from IPython.core.magic_arguments import MagicArgumentParser, argument, magic_arguments

F = TypeVar("F", bound=Callable[..., Any])

# A magic line: words, "double" or 'single' quoted runs (an open quote runs to the end of the line).
TOKEN_RE = re.compile(r"""(?:"[^"]*(?:"|$)|'[^']*(?:'|$)|[^\s"'])+""")
NUMBER_RE = re.compile(r"^-\d+(\.\d*)?$")  # "-5" or "-0.5" is a value (or a prompt word), not an option
SIZE_RE = re.compile(r"^\d+(\.\d+)?[kK]?$")  # what -s/--size takes: 512, 1K, 2K, 4K
OPTION_WORD_RE = re.compile(r"^--?[A-Za-z][\w-]*(=.*)?$")  # -n, --seed, --seed=3: a word that looks like an option

OLD_SESSION_FLAG = "-s is the size now; use -S/--session NAME"
"""Until 0.1 ``-s`` named the session in ``%%gemini_image``; this release refuses that spelling with this pointer."""
OPTIONS_AFTER_PROMPT = "put options before the prompt, or quote the prompt"

SAFETY_LEVELS = {
    "low": "block_low_and_above",
    "medium": "block_medium_and_above",
    "high": "block_only_high",
    "none": "block_none",
}
PERSON_SETTINGS = ("dont_allow", "allow_none", "allow_adult", "allow_all")

GEMINI_SUBCOMMANDS = ("history", "undo", "reset", "sessions", "branch", "save", "load", "show")
VERTEX_SUBCOMMANDS = (
    "status", "doctor", "use", "models", "config", "gallery", "panel", "cost", "batches", "replay", "export",
)  # fmt: skip


# the values options take ----------------------------------------------------------------------
def safety_level(value: str) -> str:
    """``--safety``: a short level (low, medium, high, none) or a ``block_...`` name, as the ``block_...`` name."""
    level = value.strip().lower().replace("-", "_")
    level = SAFETY_LEVELS.get(level, level)
    if level not in SAFETY_LEVELS.values():
        raise ValueError(value)
    return level


safety_level.__name__ = "safety level (low, medium, high, none, or block_...)"


def person_setting(value: str) -> str:
    """``--person``: one of ``PERSON_SETTINGS`` (any case, ``-`` for ``_``)."""
    choice = value.strip().lower().replace("-", "_")
    if choice not in PERSON_SETTINGS:
        raise ValueError(value)
    return choice


person_setting.__name__ = "person setting (dont_allow, allow_adult, allow_all)"


# the options of the magics ------------------------------------------------------------------------
THINKING_LEVELS = ("minimal", "medium", "high")
SEARCH_TYPES = ("web", "image", "all")
THINKING = argument("--thinking", type=str.lower, choices=THINKING_LEVELS, help="Thinking level (models that take it).")
DRY_RUN = argument(
    "--dry-run", action="store_true",
    help="Send nothing: show the request (no secret), its size and its estimated cost.",
)
MAX_COST = argument(
    "--max-cost", type=float, metavar="USD", help="Refuse the call if its estimated cost is over USD (e.g. 0.10).",
)
SEARCH = argument(
    "--search", nargs="?", const="web", choices=SEARCH_TYPES,
    help="Google Search grounding: web (the default), image or all, on models that take it.",
)
IMAGEN_ARGUMENTS = (
    argument("-m", "--model", help="Model id or alias (default: gemini-nano-banana-2.1; %%vertex_image models)."),
    argument("-n", "--count", type=int, default=1, help="How many images (default 1)."),
    argument("-a", "--aspect-ratio", help="e.g. 1:1, 16:9, 9:16 (see %%vertex_image models)."),
    argument("-s", "--size", help="Image size: 1K, 2K, or 4K where the model has it."),
    THINKING,
    SEARCH,
    argument("--negative", metavar="TEXT", help="Negative prompt: what to avoid (Imagen, legacy)."),
    argument("--seed", type=int, help="Seed for repeatable results."),
    argument("--enhance", dest="enhance", action="store_true", default=None, help="Let Imagen rewrite the prompt."),
    argument("--no-enhance", dest="enhance", action="store_false", default=None, help="Send the prompt as written."),
    argument("--person", type=person_setting, help="People: dont_allow, allow_adult or allow_all."),
    argument("--safety", type=safety_level, help="Safety filter: low, medium, high, none (or block_...)."),
    argument("--format", choices=("png", "jpeg"), help="Output format."),
    argument("--quality", type=int, help="JPEG quality 0-100 (with --format jpeg)."),
    argument("-o", "--out", metavar="NAME", help="Also bind the result to this variable."),
    DRY_RUN,
    MAX_COST,
    argument("--many", metavar="FILE_OR_VARIABLE",
             help="One image per row: a list variable (prompts or dicts) or a .csv/.jsonl/.txt file."),
    argument("--mode", choices=("now", "batch", "auto"), default="auto",
             help="With --many: now (here), batch (Google's batch engine, half the price) or auto (batch above 50)."),
    argument("--bucket", help="With --many --mode batch on Vertex AI: the Cloud Storage bucket for the job's files."),
    argument("--no-interpolate", action="store_true", help="Send {name} references as written."),
    argument("--debug", action="store_true", help="Show the full traceback of an error."),
    argument("prompt", nargs="*", help="What to draw (line form); in the cell form the cell body."),
)
"""The options of ``%imagen`` / ``%%imagen``, in the order ``--help`` lists them."""

GEMINI_IMAGE_ARGUMENTS = (
    argument(
        "-S", "--session", metavar="NAME",
        help="Session name (default: this notebook's own session, never one resumed from disk unasked).",
    ),
    argument("--new", action="store_true", help="Start the session over (the old one is replaced on success)."),
    argument(
        "-i", "--image", action="append", default=[], metavar="REF",
        help="Input image: a variable (GeneratedImage, ImageSet, PIL image, bytes; name[0] picks one), "
        "a file path, or gs://. Repeatable.",
    ),
    argument("-m", "--model", help="Gemini image model id or alias (nano-banana, nano-banana-pro...)."),
    argument("-a", "--aspect-ratio", help="e.g. 1:1, 16:9."),
    argument("-s", "--size", help="Image size: 1K, 2K, 4K where the model has it."),
    argument("--text", action="store_true", help="Ask for text as well as the image."),
    THINKING,
    SEARCH,
    argument("--temperature", type=float, help="Sampling temperature (models that take it)."),
    argument("--seed", type=int, help="Seed for repeatable results."),
    argument("-o", "--out", metavar="NAME", help="Also bind the result to this variable."),
    DRY_RUN,
    MAX_COST,
    argument("--no-interpolate", action="store_true", help="Send {name} references as written."),
    argument("--debug", action="store_true", help="Show the full traceback of an error."),
)
"""The options of the ``%%gemini_image`` cell magic, in the order ``--help`` lists them."""

_ARGUMENTS = {"imagen": IMAGEN_ARGUMENTS, "gemini_image": GEMINI_IMAGE_ARGUMENTS}


def with_arguments(arguments: Sequence[Any]) -> Callable[[F], F]:
    """Decorate a magic method with ``arguments``, as ``@magic_arguments()`` over one ``@argument`` each."""

    def decorate(method: F) -> F:
        for declared in reversed(arguments):  # decorators apply bottom-up; IPython keeps the source order
            method = declared(method)
        method = magic_arguments()(method)
        method.parser.allow_abbrev = False  # type: ignore[attr-defined]  # --asp is named, not read as --aspect-ratio
        return method

    return decorate


@functools.cache
def parser(magic: str) -> MagicArgumentParser:
    """The option parser of ``imagen`` or ``gemini_image``, built from the same arguments as the magic's."""
    built = MagicArgumentParser(prog=magic)
    built.allow_abbrev = False
    for declared in _ARGUMENTS[magic]:
        declared.add_to_parser(built, None)
    return built


def notebook_path(namespace: Any) -> str | None:
    """The path of the notebook a kernel runs, where the frontend tells it (VS Code, Jupyter Server); else None."""
    for key in ("__vsc_ipynb_file__", "__session__"):
        value = namespace.get(key) if hasattr(namespace, "get") else None
        if isinstance(value, str) and value.strip():
            return value
    return None


# reading option words ----------------------------------------------------------------------------
def option_strings(built: Any) -> dict[str, bool]:
    """Every option of an argparse parser -> whether it takes a value."""
    return {option: action.nargs != 0 for action in built._actions for option in action.option_strings}


def option_problem(word: str, options: dict[str, bool]) -> str | None:
    """Why ``word`` (an option-looking word before the prompt) is not an option of ``options``; None if it is.

    Options are matched exactly (no abbreviations): ``--asp`` is named with the options it may mean,
    ``-aspect-ratio`` (one dash) is refused rather than read as ``-a spect-ratio``.
    """
    name = word.split("=", 1)[0]
    if name in options:
        return None
    if name.startswith("--"):
        return f"no option {name}{did_you_mean(name, options)}"
    longer = [option for option in options if option.startswith("--") and option.startswith("-" + name)]
    if len(name) > 2 and longer:
        return f"{name} has one dash: write {longer[0]}" if len(longer) == 1 or "-" + name in longer else (
            f"{name} has one dash; did you mean {' or '.join(sorted(longer))}?"
        )
    if len(name) > 2 and options.get(name[:2]):
        return None  # a short option glued to its value: -n4, -a16:9
    return f"no option {name}{did_you_mean(name, options)}"


def did_you_mean(name: str, options: dict[str, bool]) -> str:
    """``; did you mean --aspect-ratio?`` (the options ``name`` starts, else the close ones), or ``""``."""
    longs = [option for option in options if option.startswith("--")]
    found = [option for option in longs if option.startswith(name)] if name.startswith("--") else []
    found = found or difflib.get_close_matches(name, longs if name.startswith("--") else list(options), n=3, cutoff=0.7)
    return f"; did you mean {' or '.join(found)}?" if found else ""


def looks_like_option(word: str, options: dict[str, bool]) -> bool:
    """A prompt word that is surely a misplaced option: a known one, any ``--word``, or ``-aspect-ratio``."""
    if not OPTION_WORD_RE.match(word):
        return False
    name = word.split("=", 1)[0]
    return name in options or name.startswith("--") or any(o.startswith("-" + name) for o in options if len(name) > 2)


__all__ = [
    "GEMINI_IMAGE_ARGUMENTS",
    "GEMINI_SUBCOMMANDS",
    "IMAGEN_ARGUMENTS",
    "NUMBER_RE",
    "OLD_SESSION_FLAG",
    "OPTIONS_AFTER_PROMPT",
    "OPTION_WORD_RE",
    "PERSON_SETTINGS",
    "SAFETY_LEVELS",
    "SIZE_RE",
    "TOKEN_RE",
    "VERTEX_SUBCOMMANDS",
    "did_you_mean",
    "looks_like_option",
    "notebook_path",
    "option_problem",
    "option_strings",
    "parser",
    "person_setting",
    "safety_level",
    "with_arguments",
]
