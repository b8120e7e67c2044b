"""notebook/grammar.py: the options and values of the magics, declared once for magics, boundary and completion."""

from __future__ import annotations

import pytest
from vertex_image.notebook import grammar
from vertex_image.notebook.magics import VertexImageMagics


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("low", "block_low_and_above"),
        ("HIGH", "block_only_high"),
        ("block-none", "block_none"),
        (" none ", "block_none"),
    ],
)
def test_safety_level_takes_short_and_full_names(given: str, level: str) -> None:
    assert grammar.safety_level(given) == level


@pytest.mark.parametrize("bad", ["lax", "block_all", ""])
def test_safety_level_refuses_other_words(bad: str) -> None:
    with pytest.raises(ValueError):
        grammar.safety_level(bad)


def test_person_setting_normalises_case_and_dashes() -> None:
    assert grammar.person_setting("Allow-Adult") == "allow_adult"
    with pytest.raises(ValueError):
        grammar.person_setting("everyone")


def test_tokens_keep_quoted_runs_and_numbers_are_not_options() -> None:
    assert grammar.TOKEN_RE.findall("""-n 2 --negative="a b" 'open""") == ["-n", "2", '--negative="a b"', "'open"]
    assert grammar.NUMBER_RE.match("-3") and grammar.NUMBER_RE.match("-0.5")
    assert not grammar.NUMBER_RE.match("-n")


@pytest.mark.parametrize("magic", ["imagen", "gemini_image"])
def test_the_magic_and_completion_read_the_same_options(magic: str) -> None:
    def options(parser: object) -> list[tuple[tuple[str, ...], str, object]]:
        return [(tuple(a.option_strings), a.dest, a.nargs) for a in parser._actions]  # type: ignore[attr-defined]

    declared = getattr(VertexImageMagics, magic).parser
    assert options(grammar.parser(magic)) == options(declared)
    assert "--seed" in declared.format_help()


def test_with_arguments_keeps_the_declared_order() -> None:
    def stub(self: object, line: str) -> None:
        """A stub magic."""

    decorated = grammar.with_arguments(grammar.IMAGEN_ARGUMENTS)(stub)
    flags = [a.option_strings[0] for a in decorated.parser._actions if a.option_strings]  # type: ignore[attr-defined]
    assert flags[:4] == ["-m", "-n", "-a", "-s"] and flags[-1] == "--debug"


# one grammar: exact option names, -s is the size, options before the prompt (issue 12) -------------
def test_option_problem_names_unknown_and_partial_options_exactly() -> None:
    from vertex_image.notebook.grammar import option_problem, option_strings, parser

    options = option_strings(parser("imagen"))
    assert option_problem("--aspect-ratio", options) is None
    assert option_problem("-n4", options) is None  # a short option glued to its value
    assert option_problem("--asp", options) == "no option --asp; did you mean --aspect-ratio?"
    assert option_problem("-aspect-ratio", options) == "-aspect-ratio has one dash: write --aspect-ratio"
    assert option_problem("--bogus", options) == "no option --bogus"
    assert parser("imagen").allow_abbrev is False


def test_gemini_image_takes_s_for_size_and_capital_s_for_session() -> None:
    from vertex_image.notebook.grammar import parser

    args = parser("gemini_image").parse_args(["-s", "2K", "-S", "fox"])
    assert (args.size, args.session) == ("2K", "fox")
    assert parser("gemini_image").parse_args([]).session is None  # unnamed: this notebook's own session
