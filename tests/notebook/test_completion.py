"""Tab completion of the magics: the pure ``complete`` function, then a real shell's completer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from IPython.core.completer import provisionalcompleter
from magicshell import Shell, shell  # noqa: F401  (fixture)
from vertex_image.base.models import GEMINI_RATIOS, served_models
from vertex_image.core import registry
from vertex_image.core.session import ImageSession
from vertex_image.notebook.completion import KernelFacts, analyse, complete, image_variables
from vertex_image.results.images import GeneratedImage, ImageSet

FACTS = KernelFacts(
    sessions=["default", "fox", "wide"],
    session_models={"wide": "gemini-3.1-flash-image"},
    default_imagen_model="gemini-3-pro-image",
    default_gemini_model="gemini-2.5-flash-image",
)
HEAVY = ("httpx", "google.auth", "PIL", "ipywidgets")


def words(line: str, namespace: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
    return complete(line, namespace, facts=FACTS, **kwargs)


# option names -------------------------------------------------------------------------------
def test_a_bare_tab_after_the_magic_lists_each_option_once_by_its_long_name() -> None:
    assert words("%imagen ")[:4] == ["--model", "--count", "--aspect-ratio", "--size"]
    assert "-m" not in words("%imagen ")
    assert "--session" in words("%%gemini_image ") and "--image" in words("%%gemini_image ")


def test_option_names_complete_from_the_magics_own_parser() -> None:
    assert words("%imagen --a") == ["--aspect-ratio"]
    assert {"-m", "--model", "-a", "-s", "--format"} <= set(words("%imagen -"))
    assert words("%imagen --no-") == ["--no-enhance", "--no-interpolate"]
    assert words("%%gemini_image --s") == ["--session", "--size", "--search", "--seed"]


def test_options_already_on_the_line_are_not_offered_again_except_repeatable_image() -> None:
    assert "--model" not in words("%imagen -m imagen4 ")
    assert "--enhance" not in words("%imagen --no-enhance ")
    assert "--image" in words("%%gemini_image -i a ")


# values --------------------------------------------------------------------------------------
def test_model_values_are_ids_and_aliases_of_image_models() -> None:
    imagen = words("%imagen -m ")
    assert {"gemini-nano-banana-2.1", "nano-banana", "gemini-3-pro-image", "nano-banana-lite"} <= set(imagen)
    assert not [name for name in imagen if "imagen" in name or "preview" in name or name == "upscale"]  # shut down
    assert words("%imagen --model NANO-banana-p") == ["nano-banana-pro"]
    gemini = words("%%gemini_image -m ")
    assert gemini == [name for m in served_models() if m.family == "gemini" for name in (m.id, *m.aliases)]


def test_aspect_ratios_and_sizes_follow_the_model_named_earlier_on_the_line() -> None:
    assert words("%imagen -m nano-banana-2 -a ") == list(GEMINI_RATIOS) + ["1:4", "4:1", "1:8", "8:1"]
    assert words("%imagen -m nano-banana-lite -s ") == ["1K"]
    assert words("%imagen -m nano-banana -s ") == ["1K", "2K", "4K"]  # 2.1 has no 512
    assert words("%imagen --model=nano-banana-pro --size ") == ["1K", "2K", "4K"]
    assert words("%imagen -m gemini-2.5-flash-image -s ") == []  # one size, no size parameter
    assert words("%imagen -m nano-banana-pro -s 4") == ["4K"]
    assert words("%imagen -s 1k") == ["1K"]  # case-insensitive prefix


def test_aspect_ratios_and_sizes_default_to_the_configured_model() -> None:
    assert words("%imagen -a ") == list(GEMINI_RATIOS)  # gemini-3-pro-image: no 1:4, 4:1, 1:8, 8:1
    assert words("%imagen --size ") == ["1K", "2K", "4K"]
    assert words("%%gemini_image -a ") == list(GEMINI_RATIOS)  # gemini-2.5-flash-image
    other = KernelFacts(default_imagen_model="gemini-3.1-flash-lite-image")
    assert complete("%imagen -s ", facts=other) == ["1K"]
    assert "8:1" in complete("%imagen -a ", facts=KernelFacts())  # today's default: gemini-nano-banana-2.1


def test_gemini_cell_ratios_follow_the_sessions_model_when_no_model_is_named() -> None:
    assert "21:9" in words("%%gemini_image -S wide -a ") and "8:1" in words("%%gemini_image -S wide -a ")
    assert "8:1" not in words("%%gemini_image -S fox -a ")  # not in memory: the default model
    assert words("%%gemini_image -S wide --size ") == ["512", "1K", "2K", "4K"]


def test_equals_form_completes_the_value_with_the_option() -> None:
    found = analyse("%imagen --aspect-ratio=1", facts=FACTS)
    assert found.words == ["--aspect-ratio=1:1", "--aspect-ratio=16:9"]
    assert found.fragment == "--aspect-ratio=1"


def test_format_person_and_safety_values_are_those_the_help_lists() -> None:
    assert words("%imagen --format ") == ["png", "jpeg"]
    assert words("%imagen --person ") == ["dont_allow", "allow_adult", "allow_all"]
    assert words("%imagen --safety ") == ["low", "medium", "high", "none"]
    assert words("%imagen --safety block_m") == ["block_medium_and_above"]


def test_session_option_completes_session_names_after_capital_s_or_session() -> None:
    assert words("%%gemini_image -S ") == ["default", "fox", "wide"]
    assert words("%%gemini_image --session f") == ["fox"]
    assert words("%gemini_image history -S ") == ["default", "fox", "wide"]
    assert words("%gemini_image undo --session=w") == ["--session=wide"]
    assert words("%vertex_image panel -S f") == ["fox"]
    assert words("%imagen -s ") == ["1K", "2K", "4K"]  # -s is the size in every magic
    assert words("%%gemini_image -S wide -s ") == ["512", "1K", "2K", "4K"]


def test_image_option_offers_image_variables_and_leaves_room_for_file_paths() -> None:
    image = GeneratedImage(data=b"\x89PNG", mime_type="image/png")
    namespace = {"img": image, "imgs": ImageSet(images=(image,)), "raw": b"x", "buf": bytearray(b"x"),
                 "text": "a fox", "count": 3, "_": image, "_3": image}  # fmt: skip
    found = analyse("%%gemini_image -i ", namespace, facts=FACTS)
    assert found.words == ["buf", "img", "imgs", "raw"]
    assert found.files
    assert words("%%gemini_image -S fox --image im", namespace) == ["img", "imgs"]


def test_image_variables_skip_objects_that_fail_isinstance() -> None:
    class Hostile:
        @property
        def __class__(self) -> type:  # type: ignore[override]
            raise RuntimeError("no")

    assert image_variables({"bad": Hostile(), "ok": b"x"}) == ["ok"]


def test_subcommands_and_backends() -> None:
    assert words("%gemini_image ") == ["history", "undo", "reset", "sessions", "branch", "save", "load", "show"]
    assert words("%gemini_image s") == ["sessions", "save", "show"]
    assert words("%gemini_image history ") == ["--session"]
    assert words("%gemini_image sessions ") == []
    assert words("%gemini_image load ") == ["default", "fox", "wide"]
    assert analyse("%gemini_image load ", facts=FACTS).files
    assert words("%vertex_image ") == ["status", "doctor", "use", "models", "config", "gallery", "panel", "cost",
                                         "batches", "replay", "export"]
    assert sorted(words("%vertex_image use ")) == ["emulator", "gemini-api", "litellm", "openai", "vertex"]
    assert words("%vertex_image use g") == ["gemini-api"]
    assert words("%vertex_image use emulator ") == []
    assert words("%vertex_image panel ") == ["--session", "--model"]
    assert "nano-banana" in words("%vertex_image panel -S fox -m ")


# where completion does not apply ------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "%imagen",  # the magic's name is still being typed: IPython completes it
        "%imagen a red fox -m ",  # options end where the prompt starts
        "%imagen -n 2 a fox --",
        "%imagen -- -m ",
        "%imagen --debug fox ",
        "%imagen -m imagen4 a",  # a prompt word
        "print(1) ",
        "%%vertex_image ",
        "x = %%imagen -m ",
        "%imagen -n ",  # a number: nothing to offer
        "%imagen -o ",
    ],
)
def test_nothing_is_offered_outside_options(line: str) -> None:
    assert words(line) == []


def test_assignment_form_and_cell_magic_only_on_the_first_line() -> None:
    assert words("imgs = %imagen -m nano-banana-2") == ["nano-banana-2", "nano-banana-2-lite", "nano-banana-2.1"]
    assert words("%%imagen -a 16") == ["16:9"]
    assert words("%%imagen -a 16", first_line=False) == []
    assert words("    %imagen -a 16", first_line=False) == ["16:9"]  # a line magic can be on any line


def test_quoted_option_values_do_not_start_the_prompt() -> None:
    assert words('%imagen --negative "blurry, text" -m nano-banana-p') == ["nano-banana-pro"]


# a real shell --------------------------------------------------------------------------------
def completions(ip: Any, text: str, offset: int | None = None) -> list[tuple[int, int, str, str]]:
    offset = len(text) if offset is None else offset
    with provisionalcompleter():
        return [(c.start, c.end, c.text, c._origin) for c in ip.Completer.completions(text, offset)]


def ours(ip: Any, text: str, offset: int | None = None) -> list[str]:
    return [t for _, _, t, origin in completions(ip, text, offset) if origin == "vertex_image.notebook.magics"]


def test_shell_completes_models_with_the_replaced_span(shell: Shell) -> None:  # noqa: F811
    found = completions(shell.ip, "%imagen -m nano-banana-p")
    assert found == [(11, 24, "nano-banana-pro", "vertex_image.notebook.magics")]  # nothing else: Python names do not fit


def test_shell_completes_the_first_line_of_a_cell_magic(shell: Shell) -> None:  # noqa: F811
    cell = "%%imagen -a 16\na lighthouse at dawn"
    assert ours(shell.ip, cell, offset=len("%%imagen -a 16")) == ["16:9"]
    assert ours(shell.ip, cell) == []  # in the body: the prompt


def test_shell_legacy_complete_api_gets_our_words(shell: Shell) -> None:  # noqa: F811
    line = "%vertex_image use e"
    with pytest.warns(PendingDeprecationWarning):
        assert shell.ip.complete("", line, len(line)) == ("e", ["emulator"])


def test_shell_image_option_offers_variables_and_files(
    shell: Shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    shell.ns["photo_bytes"] = b"\x89PNG"
    shell.ns["photo_caption"] = "not an image"
    found = completions(shell.ip, "%%gemini_image -i photo")
    assert ("vertex_image.notebook.magics", "photo_bytes") in {(origin, text) for _, _, text, origin in found}
    assert "photo.png" in [text for _, _, text, origin in found if origin == "IPCompleter.file_matcher"]
    assert "photo_caption" not in [text for *_, text, _ in found]


def test_shell_session_names_come_from_memory_and_disk(shell: Shell, tmp_path: Path) -> None:  # noqa: F811
    registry.state().sessions["wide"] = ImageSession("gemini-3.1-flash-image", name="wide")
    registry.state().configure(default_gemini_model="nano-banana-pro")  # 10 ratios: no 8:1
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "fox.json").write_text("{}")
    assert ours(shell.ip, "%%gemini_image -S ") == ["fox", "wide"]
    assert "8:1" in ours(shell.ip, "%%gemini_image -S wide -a ")  # the session's model, from memory
    assert "8:1" not in ours(shell.ip, "%%gemini_image -S fox -a ")


def test_shell_default_model_comes_from_the_settings(shell: Shell) -> None:  # noqa: F811
    registry.state().configure(default_imagen_model="gemini-3.1-flash-lite-image")
    assert ours(shell.ip, "%imagen -s ") == ["1K"]


def test_a_failure_inside_completion_leaves_other_completion_working(
    shell: Shell, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    registry.reset()
    monkeypatch.setenv("VERTEX_IMAGE_PREVIEW_SIZE", "huge")  # settings() now raises ConfigError
    with pytest.raises(Exception, match="VERTEX_IMAGE_PREVIEW_SIZE"):
        registry.state().settings()
    shell.capsys.readouterr()
    assert ours(shell.ip, "%imagen -a ") == []  # our matcher gave up quietly (IPython would print a traceback)...
    assert shell.capsys.readouterr().err == ""
    shell.ns["lighthouse_photo"] = 1
    assert "lighthouse_photo" in [text for *_, text, _ in completions(shell.ip, "lighthouse_p")]  # ...others run
    assert ours(shell.ip, "%imagen -m nano-banana-p") == ["nano-banana-pro"]  # and ours still answers what it can


def test_unload_removes_exactly_our_matcher(shell: Shell) -> None:  # noqa: F811
    def other_matcher(text: str) -> list[str]:
        return []

    matchers = shell.ip.Completer.custom_matchers
    matchers.append(other_matcher)
    before = len(matchers)
    assert ours(shell.ip, "%imagen -m nano-banana-p") == ["nano-banana-pro"]
    shell.ip.run_line_magic("load_ext", "vertex_image")  # loading twice adds nothing
    assert len(matchers) == before
    shell.close()
    assert len(matchers) == before - 1 and other_matcher in matchers
    assert ours(shell.ip, "%imagen -m nano-banana-p") == []
    shell.ip.run_line_magic("load_ext", "vertex_image")  # and it comes back
    assert ours(shell.ip, "%imagen -m nano-banana-p") == ["nano-banana-pro"]
    matchers.remove(other_matcher)


def test_completion_imports_nothing_heavy() -> None:
    code = textwrap.dedent(
        """
        import sys
        from IPython.core.completer import provisionalcompleter
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "vertex_image")
        with provisionalcompleter():
            for text in ("%imagen -a ", "%%gemini_image -S ", "%%gemini_image -i ", "%vertex_image panel -m "):
                assert list(ip.Completer.completions(text, len(text))), text
        print("\\n".join(sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert [m for m in HEAVY if m in set(out.split())] == []
