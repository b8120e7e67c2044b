"""notebook/boundary.py: a magic's line in (options, then the prompt verbatim), errors out in one line."""

from __future__ import annotations

import errno
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from magicshell import Shell
from vertex_image.base.errors import ConfigError, ImageBlocked, InvalidRequest, QuotaExceeded, StorageError
from vertex_image.notebook.boundary import (
    DOCTOR_HINT,
    check_variable_name,
    one_line,
    short_error,
    split_options,
    storage_errors,
    strip_quotes,
    strip_silencer,
    user_facing_errors,
)
from vertex_image.notebook.magics import VertexImageMagics


def test_split_options_keeps_the_prompt_verbatim() -> None:
    parser = VertexImageMagics.imagen.parser
    assert split_options("-n 2 --seed -3 a  fox's den; ok", parser) == (["-n", "2", "--seed", "-3"], "a  fox's den; ok")
    assert split_options("--negative='a b' -a=16:9 x", parser) == (["--negative=a b", "-a=16:9"], "x")
    assert split_options("--debug", parser) == (["--debug"], "")


def test_split_options_stops_at_a_double_dash_and_refuses_an_open_quote_in_an_option() -> None:
    parser = VertexImageMagics.imagen.parser
    assert split_options("-n 2 -- -a is part of the prompt", parser) == (["-n", "2"], "-a is part of the prompt")
    with pytest.raises(UsageError, match="Unbalanced quote"):
        split_options("--negative='open a fox", parser)


def test_quotes_and_the_silencer_are_not_part_of_the_prompt() -> None:
    assert strip_quotes('"a red fox"') == "a red fox"
    assert strip_quotes("\"it's\" a \"fox\"") == "\"it's\" a \"fox\""
    assert strip_silencer("a fox ;  ") == "a fox"
    assert check_variable_name("imgs") == "imgs"
    with pytest.raises(UsageError, match="variable name, not 'class'"):
        check_variable_name("class")


def test_a_long_config_error_shows_its_first_line_and_points_to_the_doctor() -> None:
    error = ConfigError("No credentials found for Vertex AI. Either:\n  1. log in\n  2. set a key")
    assert one_line(error) == f"No credentials found for Vertex AI. {DOCTOR_HINT}"
    assert one_line(QuotaExceeded("later\nagain")) == "later\nagain"


def test_a_short_error_keeps_its_class_attributes_and_pickles_without_a_traceback() -> None:
    error = ImageBlocked("No image: IMAGE_SAFETY.", reasons=["IMAGE_SAFETY"])
    short = short_error(error)
    assert isinstance(short, ImageBlocked) and type(short).__name__ == "ImageBlocked"
    assert short._render_traceback_() == ["ImageBlocked: No image: IMAGE_SAFETY."]  # type: ignore[attr-defined]
    copy = pickle.loads(pickle.dumps(short))
    assert type(copy) is ImageBlocked and copy.reasons == ["IMAGE_SAFETY"] and str(copy) == str(error)


def test_user_facing_errors_turn_bad_input_into_usage_errors_unless_debugging() -> None:
    with pytest.raises(UsageError, match="bad n"):
        with user_facing_errors():
            raise InvalidRequest("bad n")
    with pytest.raises(InvalidRequest):
        with user_facing_errors(debug=True):
            raise InvalidRequest("bad n")
    with pytest.raises(QuotaExceeded) as caught:
        with user_facing_errors():
            raise QuotaExceeded("later")
    assert hasattr(caught.value, "_render_traceback_")


def test_storage_errors_name_the_file_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file")
    with pytest.raises(StorageError, match=f"Cannot write x: {blocker} is a file, not a folder. Pick another."):
        with storage_errors("write x", blocker / "sessions", "Pick another."):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(blocker / "sessions" / "x.json"))
    with pytest.raises(OSError):  # an OSError that names no file is a bug: it keeps its traceback
        with storage_errors("write x", tmp_path, "Pick another."):
            raise OSError("socket")


# issue 12: options after the prompt, the old -s NAME, exact option names ------------------------
@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("a red fox -n 4", "'-n 4' comes after the prompt"),
        ("a fox --seed 3", "(%imagen --seed 3 a fox)"),
        ("a fox --seed=3", "put options before the prompt, or quote the prompt"),
        ("--asp 16:9 a fox", "no option --asp; did you mean --aspect-ratio?"),
        ("-aspect-ratio 16:9 a fox", "-aspect-ratio has one dash: write --aspect-ratio"),
    ],
)
def test_line_options_are_refused_where_they_would_be_misread(line: str, words: str) -> None:
    from IPython.core.error import UsageError
    from vertex_image.notebook.boundary import split_options
    from vertex_image.notebook.grammar import parser

    with pytest.raises(UsageError) as raised:
        split_options(line, parser("imagen"), prompt_on_line=True)
    assert words in str(raised.value)


@pytest.mark.parametrize(
    ("line", "prompt"),
    [('"a fox -n 4"', "a fox -n 4"), ("-- a fox -n 4", "a fox -n 4"), ("a black-and-white fox at -5 C", None)],
)
def test_a_quoted_or_explicit_prompt_keeps_its_dashes(line: str, prompt: str | None) -> None:
    from vertex_image.notebook.boundary import split_options
    from vertex_image.notebook.grammar import parser

    assert split_options(line, parser("imagen"), prompt_on_line=True)[1] == (prompt or line)


def test_old_session_flag_is_refused_with_the_pointer_and_a_size_passes() -> None:
    from IPython.core.error import UsageError
    from vertex_image.notebook.boundary import refuse_old_session_flag

    refuse_old_session_flag(["-s", "2K", "-S", "fox"])
    for tokens in (["-s", "fox"], ["-sfox"], ["-s=fox"]):
        with pytest.raises(UsageError, match=r"-s is the size now; use -S/--session NAME"):
            refuse_old_session_flag(tokens)


# errors of the Python API, in a real shell with the extension loaded ------------------------------


@pytest.fixture
def api_shell(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Iterator[Shell]:
    from vertex_image.core import registry

    registry.reset()
    shell = Shell(capsys)
    shell.run(f"import vertex_image as vi\nvi.configure(backend='emulator', output_dir={str(tmp_path)!r})")
    try:
        yield shell
    finally:
        shell.close()
        registry.reset()


def test_an_api_error_shows_one_line_with_where_the_users_code_called(api_shell: Shell) -> None:
    cell = api_shell.run("size = 0\nimages = vi.generate_images('a fox', n=size)")
    assert isinstance(cell.error, InvalidRequest) and "images" not in api_shell.ns  # nothing bound
    expected = f"InvalidRequest: n must be a whole number of at least 1, not 0. (Cell In[{cell_number(api_shell)}], line 2)"
    assert cell.shown.strip().splitlines() == [expected], cell.shown


def test_an_api_error_inside_the_users_function_names_the_line_in_that_function(api_shell: Shell) -> None:
    api_shell.run("def draw(prompt):\n    return vi.generate_images(prompt, n=99)")
    defined_in = cell_number(api_shell)
    cell = api_shell.run("draw('a cat')")
    assert cell.shown.strip().endswith(f"call again for more. (Cell In[{defined_in}], line 2)"), cell.shown
    assert len(cell.shown.strip().splitlines()) == 1


def test_xmode_verbose_and_a_magics_debug_show_the_whole_traceback(api_shell: Shell) -> None:
    api_shell.run("%xmode verbose")
    verbose = api_shell.run("vi.generate_images('a fox', n=0)")
    api_shell.run("%xmode context")
    debug = api_shell.run("%imagen --debug -n 0 a fox")
    for cell in (verbose, debug):
        assert "Traceback (most recent call last)" in cell.shown and "core/api.py" in cell.shown.replace("\\", "/")
        assert isinstance(cell.error, InvalidRequest)
    plain = api_shell.run("%imagen -n 0 a fox")
    assert plain.shown.strip() == "UsageError: n must be a whole number of at least 1, not 0."
    short = api_shell.run("vi.generate_images('a fox', n=0)")
    assert "Traceback" not in short.shown
    asked = api_shell.run("%tb")  # the traceback of the last error, asked for
    assert "Traceback (most recent call last)" in asked.shown and "core/api.py" in asked.shown.replace("\\", "/")


def test_after_unload_ipython_shows_its_own_traceback_again(api_shell: Shell) -> None:
    api_shell.close()
    cell = api_shell.run("vi.generate_images('a fox', n=0)")
    assert "Traceback (most recent call last)" in cell.shown
    api_shell.ip.run_line_magic("load_ext", "vertex_image")  # for the fixture's close


def test_an_error_that_is_not_ours_keeps_its_traceback(api_shell: Shell) -> None:
    cell = api_shell.run("def broken():\n    return 1 / 0\nbroken()")
    assert "Traceback (most recent call last)" in cell.shown and "ZeroDivisionError" in cell.shown


def cell_number(shell: Shell) -> int:
    """The execution count of the cell just run (the shell's ``In[n]``)."""
    return shell.ip.execution_count - 1
