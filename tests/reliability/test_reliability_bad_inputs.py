"""The table of bad inputs: each one is a one-line typed error, sends nothing and leaves the settings as they were.

The API rows run against a recording emulator (``kernel``): the recorder proves no request was sent. The
magic rows run in a real IPython shell on the registry's emulator. The wire rows call the body builders.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, legacy_em, legacy_kernel  # noqa: F401 - fixtures
from magicshell import Shell, emulator_requests, shell  # noqa: F401 - fixtures
from vertex_image.base.errors import VertexImageError
from vertex_image.core.inputs import check_input_sizes, to_image_inputs
from vertex_image.wire import gemini, imagen

GEMINI = "gemini-nano-banana-2.1"
NAN, INF = math.nan, math.inf


def _generate(**options: Any) -> Callable[[], Any]:
    options.setdefault("prompt", "a fox")
    return lambda: vi.generate_images(**options)


def _rows() -> list[tuple[str, Callable[[], Any]]]:
    rows: list[tuple[str, Callable[[], Any]]] = []
    for value in (None, 5, b"a fox", "", "a \ud800 fox", "\udfff", ["a fox"], {"p": 1}, 1.5):
        rows.append((f"generate prompt={value!r}", _generate(prompt=value)))
    for value in (0, -1, 1.5, "2", True, 10**9, NAN, [1]):
        rows.append((f"generate n={value!r}", _generate(n=value)))
    for value in ("5:7", 5, "1:1:1", "abc", "0:0", "-1:1", ["1:1"]):
        rows.append((f"generate aspect_ratio={value!r}", _generate(aspect_ratio=value)))
    for value in ("9K", "1k2", "huge", -1, 3.5, ["1K"]):
        rows.append((f"generate image_size={value!r}", _generate(image_size=value)))
    for value in ("1", 1.5, NAN, [1], True, 2**70):
        rows.append((f"generate seed={value!r}", _generate(seed=value)))
    for value in ("no", "yes", "false", "true", 1, 0, [1], {"web"}, "webs"):
        rows.append((f"generate google_search={value!r}", _generate(model=GEMINI, google_search=value)))
    for value in ("1", -1, 3, NAN, INF, True, [1]):
        rows.append((f"generate temperature={value!r}", _generate(model=GEMINI, temperature=value)))
    for value in (5, ["x"]):  # unknown names are sent on purpose (new models); not text is refused
        rows.append((f"generate model={value!r}", _generate(model=value)))
    for name in ("not_an_option", "sampleCount", "n_images"):
        rows.append((f"generate {name}=1", _generate(**{name: 1})))
    for value in (-1, "1", NAN, [1]):
        rows.append((f"generate max_cost={value!r}", _generate(max_cost=value)))
    settings: list[tuple[str, Any]] = [
        ("output_dir", "a\0b"), ("output_dir", 5), ("output_dir", "bad\ud800"),
        ("base_url", "ftp://h"), ("base_url", "http://127.0.0.1:99999"), ("base_url", "http://h:abc"),
        ("base_url", "http://"), ("base_url", 5), ("base_url", "localhost:8080"), ("base_url", "http://h\0/"),
        ("backend", "mars"), ("backend", 5), ("emulator_mode", "x"), ("retired_models", "x"),
        ("project", "bad project!"), ("project", 5), ("location", "???"), ("location", "us central"),
        ("api_version", "v9x"), ("preview_size", -1), ("preview_size", "big"), ("preview_size", NAN),
        ("max_concurrency", 0), ("max_concurrency", "x"), ("max_concurrency", 1.5), ("max_attempts", 0),
        ("max_attempts", -3), ("deadline_s", -1), ("deadline_s", 0), ("deadline_s", "x"), ("deadline_s", NAN),
        ("timeout_s", -1), ("timeout_s", "x"), ("budget_usd", -1), ("budget_usd", "x"), ("not_a_setting", 1),
        ("default_gemini_model", 5), ("default_imagen_model", 5), ("prices", "cheap"), ("prices", 5),
    ]  # fmt: skip
    for name, value in settings:
        rows.append((f"configure {name}={value!r}", lambda n=name, v=value: vi.configure(**{n: v})))
    for value in ("5", -1, 1.5, True, None, [1]):
        rows.append((f"gallery n={value!r}", lambda v=value: vi.gallery(n=v)))
    for value in (5, [1], b"x"):
        rows.append((f"gallery contains={value!r}", lambda v=value: vi.gallery(contains=v)))
        rows.append((f"gallery model={value!r}", lambda v=value: vi.gallery(model=v)))
    for value in (123, None, 1.5, b"x", "", "zzzz", "../../../../etc/passwd", "index.jsonl", "a\0b", "/etc"):
        rows.append((f"load {value!r}", lambda v=value: vi.load(v)))
    for value in ("../x", "a/b", 5, "x" * 100, " ", "a\0b", "..", "."):
        rows.append((f"chat name={value!r}", lambda v=value: vi.chat(name=v)))
    for value in ("yes", 1, None):
        rows.append((f"chat new={value!r}", lambda v=value: vi.chat(name="c", new=v)))
    rows.append(("chat model=imagen", lambda: vi.chat("imagen-4.0-generate-001")))
    for value in (None, 5, "", "\ud800"):
        rows.append((f"chat send {value!r}", lambda v=value: vi.chat(name="s").send(v)))
    for value in (None, 5, "no-such-file.png", b"not an image", "", b""):
        rows.append((f"edit image={value!r}", lambda v=value: vi.edit_image("make it blue", v, model=GEMINI)))
    return rows


ROWS = _rows()


@pytest.mark.parametrize(("label", "call"), ROWS, ids=[label for label, _ in ROWS])
def test_a_bad_api_input_is_one_typed_line_and_sends_nothing(
    kernel: Recorder, label: str, call: Callable[[], Any]
) -> None:
    before = vi.settings()
    sent = len(kernel.exchanges)
    with pytest.raises(VertexImageError) as caught:
        call()
    message = str(caught.value)
    assert message.strip() and "\n" not in message.strip(), message
    assert len(kernel.exchanges) == sent
    assert vi.settings() == before


WIRE_ROWS: list[tuple[str, Callable[[], Any]]] = []
for _flag in ("add_watermark", "enhance_prompt", "include_rai_reason", "include_safety_attributes"):
    for _value in ("no", "false", "yes", 1, 0):
        WIRE_ROWS.append((f"imagen {_flag}={_value!r}",
                          lambda f=_flag, v=_value: imagen.build_generate_body("a fox", **{f: v})))  # fmt: skip
for _value in ("no", 1):
    WIRE_ROWS.append((f"upscale enhance_input_image={_value!r}",
                      lambda v=_value: imagen.build_upscale_body(b"\x89PNG\r\n\x1a\n" + b"0" * 40,
                                                                 enhance_input_image=v)))  # fmt: skip
    WIRE_ROWS.append((f"gemini include_thoughts={_value!r}",
                      lambda v=_value: gemini.build_generate_content_body([gemini.user_content("a")],
                                                                          include_thoughts=v)))  # fmt: skip


@pytest.mark.parametrize(("label", "call"), WIRE_ROWS, ids=[label for label, _ in WIRE_ROWS])
def test_a_boolean_option_takes_booleans_only(label: str, call: Callable[[], Any]) -> None:
    with pytest.raises(VertexImageError) as caught:
        call()
    assert "True or False" in str(caught.value) and "\n" not in str(caught.value)


MAGIC_ROWS = [
    "%imagen -n 0 a fox", "%imagen -n abc a fox", "%imagen -n -2 a fox", "%imagen --aspect 5:7 a fox",
    "%imagen --seed abc a fox", "%imagen --seed 1.5 a fox", "%imagen",
    "%imagen --no-such-flag a fox", "%imagen -o ../../x a fox", "%imagen --size 9K a fox",
    "%imagen --quality 500 a fox", "%imagen --format gif a fox", "%imagen --temperature hot a fox",
    "%vertex_image use mars", "%vertex_image nonsense", "%gemini_image load /nonexistent/x.json",
    "%gemini_image load /etc/passwd", "%%gemini_image -s ../x\na fox", "%%gemini_image -s 'a b'\na fox",
    "%%gemini_image -m imagen-4.0-generate-001\na fox", "%%gemini_image\n",
]  # fmt: skip


@pytest.mark.parametrize("source", MAGIC_ROWS)
def test_a_bad_magic_input_is_one_line_and_sends_nothing(shell: Shell, source: str) -> None:
    shell.run("%imagen a warm-up fox")  # starts the registry's emulator
    sent = len(emulator_requests())
    cell = shell.run(source)
    shown = cell.shown.strip()
    assert cell.error is not None or shown, "a bad input must say something"
    text = shown or str(cell.error)
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    assert len(emulator_requests()) == sent


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) + len(WIRE_ROWS) + len(MAGIC_ROWS) >= 150


def test_nothing_of_a_bad_input_table_touches_the_disk(kernel: Recorder, tmp_path: Path) -> None:
    out = Path(vi.settings().output_dir)
    for _, call in ROWS[:60]:
        try:
            call()
        except VertexImageError:
            pass
    assert not out.exists() or not any(out.glob("*.png")) and not any(out.glob("*.jpg"))


# Mistakes the client can catch before a request is paid for (issue 17, item 11) -------------------------------
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BIG = 53 * 1024 * 1024


@pytest.fixture
def hostile_images(tmp_path: Path) -> dict[str, Path]:
    """A text file named .png, a 53 MB 'PNG', an 8 MB one (over Vertex's 7 MB for Gemini, under Imagen's 10)."""
    text = tmp_path / "notes.png"
    text.write_text("just some notes, not a picture\n" * 20)
    big = tmp_path / "huge.png"
    big.write_bytes(PNG_SIGNATURE + b"\0" * BIG)
    eight = tmp_path / "eight.png"
    eight.write_bytes(PNG_SIGNATURE + b"\0" * (8 * 1024 * 1024))
    return {"text": text, "big": big, "eight": eight}


CLIENT_CATCHES: list[tuple[str, str, Callable[[Any], Any], str]] = [
    ("edit a text file named .png", "text", lambda p: vi.edit_image("make it blue", p, model=GEMINI), "bytes say"),
    ("edit bytes of a text file", "text", lambda p: vi.edit_image("make it blue", p.read_bytes(), model=GEMINI),
     "not a PNG"),
    ("chat with a text file named .png", "text", lambda p: vi.chat(name="t").send("blue", images=p), "bytes say"),
    ("edit a 53 MB image", "big", lambda p: vi.edit_image("make it blue", p, model=GEMINI), "53.0 MB"),
    ("edit 53 MB given as bytes", "big", lambda p: vi.edit_image("make it blue", p.read_bytes(), model=GEMINI),
     "53.0 MB"),
    ("chat with a 53 MB image", "big", lambda p: vi.chat(name="b").send("blue", images=[p]), "53.0 MB"),
    ("edit an 8 MB image with a Gemini model on Vertex", "eight",
     lambda p: vi.edit_image("make it blue", p, model=GEMINI), "7.0 MB"),
    ("chat with an 8 MB image on Vertex", "eight", lambda p: vi.chat(name="e").send("blue", images=p), "7.0 MB"),
    ("three 7 MB-ish images do not fit one 20 MB request", "eight",
     lambda p: vi.edit_image("blue", [PNG_SIGNATURE + b"\0" * (6 * 1024 * 1024)] * 3, model=GEMINI), "20.0 MB"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "which", "call", "says"), CLIENT_CATCHES, ids=[c[0] for c in CLIENT_CATCHES])
def test_a_mistake_the_client_can_catch_is_refused_before_sending(
    kernel: Recorder, hostile_images: dict[str, Path], label: str, which: str, call: Callable[[Any], Any], says: str
) -> None:
    before = vi.settings()
    sent = len(kernel.exchanges)
    with pytest.raises(VertexImageError) as caught:
        call(hostile_images[which])
    message = str(caught.value)
    assert says in message and "\n" not in message.strip(), message
    assert len(kernel.exchanges) == sent
    assert vi.settings() == before


@pytest.mark.parametrize(("which", "says"), [("text", "bytes say"), ("big", "53.0 MB")])
def test_the_upscaler_refuses_a_bad_image_before_sending(
    legacy_kernel: Recorder, hostile_images: dict[str, Path], which: str, says: str
) -> None:
    sent = len(legacy_kernel.exchanges)
    with pytest.raises(VertexImageError, match=says):
        vi.upscale_image(hostile_images[which])
    assert len(legacy_kernel.exchanges) == sent


def test_an_8mb_image_goes_to_imagen_whose_limit_is_10mb(hostile_images: dict[str, Path]) -> None:
    """The limit is the model family's: the same 8 MB file refused for Gemini on Vertex is no mistake for Imagen."""
    inputs = to_image_inputs(hostile_images["eight"])
    check_input_sizes(inputs, family="imagen", dialect="vertex")
    with pytest.raises(VertexImageError, match="7.0 MB per inline image"):
        check_input_sizes(inputs, family="gemini", dialect="vertex")


def test_a_bad_image_in_a_magic_is_one_line_and_sends_nothing(shell: Shell, tmp_path: Path) -> None:
    shell.run("%imagen a warm-up fox")
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture\n")
    shell.ns["notes"] = notes
    shell.ns["huge"] = PNG_SIGNATURE + b"\0" * BIG
    for ref in ("notes", "huge"):
        sent = len(emulator_requests())
        cell = shell.run(f"%%gemini_image -i {ref}\nmake it blue")
        text = cell.shown.strip() or str(cell.error)
        assert "Traceback" not in text and len(text.splitlines()) == 1, text
        assert ("bytes say" in text) if ref == "notes" else ("53.0 MB" in text), text
        assert len(emulator_requests()) == sent


@pytest.mark.parametrize(
    ("model", "says"),
    [("imagen-4.0-upscale-preview", "it upscales an image"), ("imagen-3.0-capability-001", "it edits an image")],
)
def test_a_text_to_image_request_to_an_upscaler_or_editor_is_refused_before_sending(
    legacy_kernel: Recorder, model: str, says: str
) -> None:
    sent = len(legacy_kernel.exchanges)
    with pytest.raises(VertexImageError) as caught:
        vi.generate_images("a fox", model=model)
    assert says in str(caught.value) and "does not generate images from text" in str(caught.value)
    assert len(legacy_kernel.exchanges) == sent
