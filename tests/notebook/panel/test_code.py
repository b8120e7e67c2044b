"""notebook/panel/code.py: the magic that stands for a panel request ("Insert code"), as a string."""

from __future__ import annotations

from vertex_image.core.operations import GenerateRequest
from vertex_image.notebook.panel.code import gemini_magic, imagen_magic


def test_imagen_magic_gives_each_option_and_quotes_only_what_needs_it() -> None:
    request = GenerateRequest(
        prompt="a red fox", model="imagen4", n=2, aspect_ratio="16:9", image_size="2K", seed=7,
        negative_prompt="blurry edges",
    )  # fmt: skip
    assert imagen_magic(request) == (
        "%imagen -m imagen4 -n 2 -a 16:9 --size 2K --seed 7 --negative 'blurry edges' a red fox"
    )
    assert imagen_magic(GenerateRequest(prompt="a fox")) == "%imagen a fox"


def test_imagen_magic_keeps_a_prompt_that_looks_like_an_option_braces_or_lines_as_written() -> None:
    assert imagen_magic(GenerateRequest(prompt="-5 degrees")) == "%imagen -- -5 degrees"
    assert imagen_magic(GenerateRequest(prompt="'quoted'")) == "%imagen -- 'quoted'"
    assert imagen_magic(GenerateRequest(prompt="a {fox}")) == "%imagen --no-interpolate a {fox}"
    assert imagen_magic(GenerateRequest(prompt="line one\nline two", n=3)) == "%%imagen -n 3\nline one\nline two"


def test_gemini_magic_is_a_cell_with_the_session_and_the_turn_options() -> None:
    cell = gemini_magic("fox", "  make it {night}  ", model="nano-banana", aspect_ratio="1:1", seed=3,
                        image="my photos/base.png")  # fmt: skip
    assert cell == (
        "%%gemini_image -S fox -m nano-banana -a 1:1 --seed 3 -i 'my photos/base.png' --no-interpolate\n"
        "make it {night}"
    )
    assert gemini_magic("default", "a fox") == "%%gemini_image -S default\na fox"
