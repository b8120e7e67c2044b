"""The magic boundary: a magic's line in (options, then the prompt verbatim), errors out.

User mistakes become a one-line ``UsageError``; service errors keep their class and message but
render without a traceback (``_render_traceback_``), so the cell fails (nbval and CI see it)
without a wall of text. A ``ConfigError`` shows its first line and points to ``%vertex_image doctor``,
which shows all of it. An ``OSError`` about a file while a session is saved or loaded becomes a
one-line ``StorageError`` (``storage_errors``); any other exception is a bug and keeps its traceback.
Library code never raises ``UsageError``: only this boundary does. Errors the Python API raises in a cell show
in one line too, with the user's line that called it (``api_error_lines``, set up at ``%load_ext``).
"""

from __future__ import annotations

import keyword
import os
import re
import shlex
import sys
import sysconfig
import traceback
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

from ..base.errors import ConfigError, InvalidRequest, ModelRetired, StorageError, VertexImageError, rebuild
from ..results.files import os_reason
from .grammar import (
    NUMBER_RE,
    OLD_SESSION_FLAG,
    OPTIONS_AFTER_PROMPT,
    SIZE_RE,
    TOKEN_RE,
    looks_like_option,
    option_problem,
    option_strings,
)


# options --------------------------------------------------------------------------------------
def split_options(line: str, parser: Any, *, prompt_on_line: bool = False) -> tuple[list[str], str]:
    """The leading option tokens of ``line`` (unquoted) and the rest of it verbatim (the prompt).

    Options come first; the first word that is neither an option nor an option's value starts the
    prompt, which keeps its quotes, apostrophes and spacing. ``--`` ends the options explicitly.
    An option word that is not one of ``parser``'s, exactly, is refused by name (``no option --asp;
    did you mean --aspect-ratio?``). With ``prompt_on_line`` (a line magic), an option-looking word in
    an unquoted prompt is refused with the fix rather than drawn as words (``%imagen a fox -n 4``).
    """
    options = {"-h": False, "--help": False, **option_strings(parser)}
    tokens: list[str] = []
    expect_value = False
    for match in TOKEN_RE.finditer(line):
        raw = match.group(0)
        if expect_value:
            tokens.append(_unquote(raw))
            expect_value = False
        elif raw == "--":
            return tokens, line[match.end():].strip()
        elif raw.startswith("-") and len(raw) > 1 and not NUMBER_RE.match(raw):
            word = _unquote(raw)
            problem = option_problem(word, options)
            if problem is not None:
                raise UsageError(_with_pointer(problem, f"%{parser.prog} --help lists the options"))
            tokens.append(word)
            expect_value = "=" not in raw and options.get(raw, False)
        else:
            prompt = line[match.start():].strip()
            if prompt_on_line and strip_quotes(prompt) == prompt:
                _refuse_options_in_prompt(parser.prog, line[:match.start()].strip(), prompt, options)
            return tokens, strip_quotes(prompt)
    return tokens, ""


def _refuse_options_in_prompt(magic: str, before: str, prompt: str, options: dict[str, bool]) -> None:
    """UsageError naming the first option-looking word of an unquoted line prompt, with the line to run instead."""
    words = prompt.split()
    for index, word in enumerate(words):
        if not looks_like_option(word, options):
            continue
        name = word.split("=", 1)[0]
        takes = options.get(name, False) and "=" not in word and index + 1 < len(words)
        moved = words[index:index + (2 if takes else 1)]
        kept = words[:index] + words[index + len(moved):]
        instead = " ".join(part for part in (f"%{magic}", before, " ".join(moved), " ".join(kept)) if part)
        raise UsageError(
            f"{' '.join(moved)!r} comes after the prompt, where it would be drawn as words: "
            f"{OPTIONS_AFTER_PROMPT} ({instead})."
        )


def refuse_old_session_flag(tokens: list[str]) -> None:
    """``-s NAME`` named the session of ``%%gemini_image`` until this release: refuse it with the pointer.

    ``-s`` is the size everywhere now, so ``-s 2K`` passes; a value that is no size (``-s fox``) was
    surely meant as a session name.
    """
    for index, token in enumerate(tokens):
        if not token.startswith("-s") or token.startswith("--"):
            continue
        value = token[2:].lstrip("=") if len(token) > 2 else (tokens[index + 1] if index + 1 < len(tokens) else "")
        if not SIZE_RE.match(value):
            raise UsageError(f"{OLD_SESSION_FLAG} ({value!r} is not an image size such as 1K, 2K or 4K).")


def _unquote(raw: str) -> str:
    try:
        parts = shlex.split(raw)
    except ValueError:
        raise UsageError(f"Unbalanced quote in {raw!r}.") from None
    return parts[0] if len(parts) == 1 else raw


def strip_quotes(prompt: str) -> str:
    """``"a red fox"`` on the line means the words inside the quotes."""
    if len(prompt) >= 2 and prompt[0] == prompt[-1] and prompt[0] in "\"'" and prompt[0] not in prompt[1:-1]:
        return prompt[1:-1]
    return prompt


def strip_silencer(text: str) -> str:
    """Drop the trailing ``;`` that silenced the output: it is not part of the prompt."""
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def check_variable_name(name: str | None, option: str = "-o/--out") -> str | None:
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise UsageError(f"{option} takes a Python variable name, not {name!r}.")
    return name


# errors ---------------------------------------------------------------------------------------
class _ShortTraceback:
    """Mixin for errors raised at the magic boundary: IPython shows one line, not a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {one_line(self)}"]

    def __reduce__(self) -> tuple[Any, ...]:
        base = next(cls for cls in type(self).__mro__[1:] if cls is not _ShortTraceback)
        return (rebuild, (base, self.__dict__))


DOCTOR_HINT = "(%vertex_image doctor explains how to fix it)"
_LEAD_IN = re.compile(r"(?<=[.!?])\s+[^.!?]*:\s*$")  # "... found for Vertex AI. Either:" -> drop " Either:"


def one_line(error: BaseException) -> str:
    """The message as the notebook shows it: a long ``ConfigError`` as its first line and a pointer to the doctor."""
    text = str(error)
    if not isinstance(error, ConfigError) or "\n" not in text.strip():
        return text
    first = _LEAD_IN.sub("", text.strip().splitlines()[0]).rstrip()
    return f"{first} {DOCTOR_HINT}"


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
    except VertexImageError as exc:
        if debug:
            _FULL_TRACEBACK.add(exc)
            raise
        if isinstance(exc, InvalidRequest):
            raise UsageError(str(exc)) from None
        raise short_error(exc) from None


# errors of the Python API ---------------------------------------------------------------------
_FULL_TRACEBACK: weakref.WeakSet[BaseException] = weakref.WeakSet()  # a magic's --debug: shown whole
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # vertex_image/


def _not_the_users() -> tuple[str, ...]:
    """Folders whose frames are not the user's code: this package, the standard library, IPython."""
    import IPython  # lazy: only when an error is shown (IPython is loaded then)

    paths = sysconfig.get_paths()
    folders = {_PACKAGE, paths["stdlib"], paths["platstdlib"], os.path.dirname(os.path.abspath(IPython.__file__))}
    return tuple(os.path.join(folder, "") for folder in folders)


def api_error_lines(error: BaseException, shell: Any, *, asked: bool = False) -> list[str]:
    """How a ``VertexImageError`` raised by the Python API (``vi.generate_images(...)`` in a cell) shows: its
    one-line message and where in the user's code it came from (``Cell In[3], line 2``), not the frames of
    this package, ``concurrent.futures`` and the runtime loop that carried it. ``%tb`` (``asked``),
    ``%xmode verbose`` and a magic's ``--debug`` show the whole traceback, as IPython would."""
    mode = str(getattr(getattr(shell, "InteractiveTB", None), "mode", ""))
    if asked or error in _FULL_TRACEBACK or mode.lower() == "verbose":
        return list(shell.InteractiveTB.structured_traceback(type(error), error, error.__traceback__))
    skipped = _not_the_users()
    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.abspath(frame.filename).startswith(skipped):
            continue
        named = shell.compile.format_code_name(frame.filename) if hasattr(shell, "compile") else None
        where = f"{' '.join(named) if named else frame.filename}, line {frame.lineno}"
    return [f"{type(error).__name__}: {one_line(error)}" + (f" ({where})" if where else "")]


_SHELLS: list[Any] = []  # the shells that loaded the extension, the latest last: the one that shows errors


def _render_api_error(error: BaseException) -> list[str]:
    from IPython import get_ipython  # lazy: called by IPython only

    return api_error_lines(error, _SHELLS[-1] if _SHELLS else get_ipython(), asked=_asked_by_tb_magic())


def _asked_by_tb_magic() -> bool:
    """Whether IPython is showing the error for ``%tb`` (the user asked for the traceback), not as the cell fails:
    IPython asks the same hook either way, so the calling frames tell."""
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return False
        code = frame.f_code
        if code.co_name == "tb" and os.path.join("IPython", "core", "magics") in code.co_filename:
            return True
        frame = frame.f_back
    return False


def show_api_errors_in_one_line(shell: Any) -> None:
    """At ``%load_ext``: a ``VertexImageError`` the Python API raises renders as ``api_error_lines`` (IPython asks
    an exception for ``_render_traceback_`` before formatting one); errors of the magics already do."""
    _SHELLS.append(shell)
    VertexImageError._render_traceback_ = _render_api_error  # type: ignore[attr-defined]


def show_api_errors_in_full(shell: Any) -> None:
    """At ``%unload_ext``: IPython's own tracebacks again (once no shell has the extension loaded)."""
    while shell in _SHELLS:
        _SHELLS.remove(shell)
    if not _SHELLS and VertexImageError.__dict__.get("_render_traceback_") is _render_api_error:
        del VertexImageError._render_traceback_  # type: ignore[attr-defined]


@contextmanager
def storage_errors(doing: str, folder: str | os.PathLike[str], advice: str) -> Iterator[None]:
    """An ``OSError`` about a file (it names one) -> a one-line ``StorageError``.

    For code we do not own (sessions) that lets file errors through. ``doing`` says what failed
    ("write the session file x.json"), ``folder`` where (it names a file in the way), ``advice``
    what to do. An ``OSError`` that names no file (a socket, a bug) keeps its traceback.
    """
    try:
        yield
    except OSError as exc:
        if not isinstance(exc.filename, str):
            raise

        raise StorageError(f"Cannot {doing}: {os_reason(exc, folder)}. {advice}", path=os.fspath(folder)) from exc


def split_words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"Cannot read {line!r}: {exc}.") from None


def subcommand_parser(prog: str) -> MagicArgumentParser:
    built = MagicArgumentParser(prog=prog, add_help=False)
    built.allow_abbrev = False  # --sess is named, not read as --session
    return built


def parse_subcommand(parser: MagicArgumentParser, words: list[str]) -> Any:
    """``parser.parse_args(words)`` with option words named exactly (as ``split_options`` does)."""
    options = option_strings(parser)
    for word in words:
        if word.startswith("-") and len(word) > 1 and not NUMBER_RE.match(word) and word != "--":
            if word.split("=", 1)[0] in ("-s", "--s") and "-S" in options:
                raise UsageError(f"{OLD_SESSION_FLAG}.")
            problem = option_problem(word, options)
            if problem is not None:
                raise UsageError(_with_pointer(problem, f"{parser.prog} takes {', '.join(_longest(parser))}"))
    return parser.parse_args(words)


def _longest(parser: Any) -> list[str]:
    return [max(action.option_strings, key=len) for action in parser._actions if action.option_strings] or ["no option"]


def _with_pointer(problem: str, pointer: str) -> str:
    """``problem`` as one line; where it suggests nothing, with ``pointer`` (where to find the options)."""
    return problem if problem.endswith("?") or ": write " in problem else f"{problem} ({pointer})."


# Options of a magic line that a retired model's replacement cannot take: flag -> (option name, takes a value).
_IMAGEN_ONLY_FLAGS = {
    "--negative": ("negative_prompt", True), "--safety": ("safety_setting", True),
    "--enhance": ("enhance_prompt", False), "--no-enhance": ("enhance_prompt", False),
}  # fmt: skip
_MODEL_FLAGS = ("-m", "--model")


def migrated_line(magic: str, line: str, replacement: str, thinking: str | None, dropped: tuple[str, ...]) -> str:
    """The magic line to run instead of one naming a retired model: ``-m`` replaced, the migration's
    ``--thinking`` added, the options the replacement cannot take removed."""
    words = shlex.split(line)
    kept: list[str] = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        flag, _, inline = word.partition("=")
        if flag in _MODEL_FLAGS:
            skip = not inline
            continue
        option = _IMAGEN_ONLY_FLAGS.get(flag)
        if option is not None and option[0] in dropped:
            skip = option[1] and not inline
            continue
        kept.append(word if index == 0 or not any(c.isspace() for c in word) else shlex.quote(word))
    extra = ["-m", replacement] + (["--thinking", thinking.lower()] if thinking and "--thinking" not in words else [])
    return " ".join([magic, *extra, *kept])


@contextmanager
def retired_hint(magic: str, line: str) -> Iterator[None]:
    """A ``ModelRetired`` gains the exact magic to run instead (its message stays one line)."""
    try:
        yield
    except ModelRetired as exc:
        if exc.replacement is None:
            raise
        try:
            instead = migrated_line(magic, line, exc.replacement, exc.thinking, exc.dropped)
        except ValueError:  # a line shlex cannot read: keep the message as it is
            raise exc from None
        raise ModelRetired(
            f"{exc.message} Run instead: {instead}", model=exc.model, replacement=exc.replacement,
            thinking=exc.thinking, dropped=exc.dropped,
        ) from None
