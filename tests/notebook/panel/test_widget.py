"""The widget panel, driven the way a user drives it: set values, click, wait on ``panel.pending``.

Every test talks to a real emulator on 127.0.0.1 through the kernel's shared client, so the
requests the emulator received are asserted as well as the widgets' state and the session.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import gc
import subprocess
import sys
import time
import weakref
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from vertex_image.core import registry
from vertex_image.emulator import Emulator
from vertex_image.notebook.panel.controls import close_tree
from vertex_image.notebook.panel.widget import CONVERSATION, ONE_SHOT, ImagePanel, describe_error, panel

WAIT_S = 30


@contextlib.contextmanager
def _kernel_on(tmp_path: Path, *, max_attempts: int | None = None, **emulator: Any) -> Iterator[Emulator]:
    """An emulator (with ``emulator`` options) the kernel is configured to use; reset afterwards."""
    with Emulator(**emulator) as server:
        vi.configure(backend="emulator", base_url=server.base_url, output_dir=str(tmp_path / "out"),
                     max_attempts=max_attempts)
        try:
            yield server
        finally:
            registry.reset()


@pytest.fixture
def em(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator the kernel is configured to use; the kernel state is reset afterwards."""
    with _kernel_on(tmp_path) as server:
        yield server


@pytest.fixture
def slow_em(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator that takes 3 s to answer anything."""
    with _kernel_on(tmp_path, latency_s=3) as server:
        yield server


class FakeShell:
    """Records what "Insert code" puts into the next cell."""

    def __init__(self) -> None:
        self.inserted: list[str] = []

    def set_next_input(self, text: str, replace: bool = False) -> None:
        self.inserted.append(text)


class KernelShellInClick(FakeShell):
    """A kernel's shell while it handles a widget click (a comm message, not a cell)."""

    def get_parent(self) -> dict[str, Any]:
        return {"header": {"msg_type": "comm_msg"}}


def _click(panel: ImagePanel, button: Any) -> Any:
    """Click, check the handler returned at once with work in flight, and wait for the result."""
    before = panel.pending
    button.click()
    assert panel.pending is not None and panel.pending is not before
    return panel.pending.result(timeout=WAIT_S)


def _bodies(em: Emulator, method: str) -> list[dict[str, Any]]:
    return [request.body for request in em.requests if request.path.endswith(":" + method)]


def _inline_images(content: dict[str, Any]) -> list[str]:
    return [part["inlineData"]["data"] for part in content["parts"] if "inlineData" in part]


# generation -------------------------------------------------------------------------------------
def test_generate_fills_grid_with_saved_images_and_sends_the_chosen_options(em: Emulator) -> None:
    p = panel()  # today's default: gemini-nano-banana-2.1
    p.prompt.value = "a red fox in the snow"
    p.count.value = 2
    p.aspect_ratio.value = "16:9"
    p.image_size.value = "2K"
    p.seed_auto.value = False
    p.seed.value = 7

    images = _click(p, p.generate_button)

    assert len(images) == 2 and len(p.grid.children) == 2
    assert all(Path(image.path).is_file() for image in p.results)  # saved by the store
    assert [(image.width, image.height) for image in images] == [(2752, 1536)] * 2
    thumbnail = p.grid.children[0].children[0]
    assert bytes(thumbnail.value)[:2] == b"\xff\xd8" and thumbnail.format == "jpeg"  # a small preview
    assert "2 images from gemini-nano-banana-2.1" in p.status_text
    assert p.selected is None and p.save_button.disabled and p.refine_button.disabled
    assert not p.generate_button.disabled and p.cancel_button.disabled
    bodies = _bodies(em, "generateContent")
    assert [body["contents"][0]["parts"][0]["text"] for body in bodies] == ["a red fox in the snow"] * 2
    assert sorted(body["generationConfig"]["seed"] for body in bodies) == [7, 8]
    assert all(body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"} for body in bodies)
    assert p.negative_prompt.layout.display == "none"  # an Imagen option: no live model takes it


def test_generate_gemini_one_shot_sends_generate_content_and_leaves_sessions_alone(em: Emulator) -> None:
    p = panel()
    p.model.value = "gemini-3-pro-image"
    p.prompt.value = "a lighthouse at dusk"
    p.aspect_ratio.value = "3:2"

    images = _click(p, p.generate_button)

    assert len(images) == 1 and len(p.grid.children) == 1
    assert p.selected is images[0]  # a single result is selected at once
    assert not p.refine_button.disabled and not p.save_button.disabled
    (body,) = _bodies(em, "generateContent")
    assert body["contents"][-1]["parts"][0]["text"] == "a lighthouse at dusk"
    assert body["generationConfig"]["imageConfig"]["aspectRatio"] == "3:2"
    assert len(body["contents"]) == 1
    assert registry.state().sessions == {}


def test_progress_line_shows_elapsed_seconds_and_buttons_follow_the_busy_state(tmp_path: Path) -> None:
    with _kernel_on(tmp_path, latency_s=1.2):
        p = ImagePanel(tick_s=0.05)
        p.prompt.value = "a slow snail"
        p.generate_button.click()
        future = p.pending
        assert future is not None and not future.done()  # the click returned before the answer
        assert p.generate_button.disabled and p.refine_button.disabled and p.undo_button.disabled
        assert not p.cancel_button.disabled and p.busy
        deadline = time.monotonic() + 5
        while " 1 s" not in p.progress.value and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Generating with gemini-nano-banana-2.1 · 1 s" in p.progress.value
        future.result(timeout=WAIT_S)
        assert p.progress.value == "" and not p.busy
        assert not p.generate_button.disabled and p.cancel_button.disabled


def test_progress_line_shows_the_retry_wait_after_a_quota_answer(tmp_path: Path) -> None:
    with _kernel_on(tmp_path, fault="429x1;retry-after=1", max_attempts=3) as emulator:
        p = ImagePanel(tick_s=0.05)
        p.prompt.value = "a patient heron"
        p.generate_button.click()
        seen = ""
        deadline = time.monotonic() + 10
        while "retry in" not in seen and time.monotonic() < deadline and p.busy:
            seen = p.progress.value
            time.sleep(0.02)
        assert "attempt 1 failed (429" in seen and "retry in 1 s" in seen
        assert p.pending is not None and len(p.pending.result(timeout=WAIT_S)) == 1
        assert len(emulator.requests) == 2 and p.status_text.startswith("1 image from")


# options that follow the model ------------------------------------------------------------------
def test_model_change_updates_ratio_size_count_seed_and_negative_prompt(em: Emulator) -> None:
    p = panel(model="gemini-3-pro-image")
    values = lambda dropdown: [value for _, value in dropdown.options]  # noqa: E731
    assert values(p.aspect_ratio) == ["", "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    assert values(p.image_size) == ["", "1K", "2K", "4K"]
    assert p.count.max == 8 and p.negative_prompt.layout.display == "none"

    p.aspect_ratio.value = "16:9"
    p.image_size.value = "4K"
    p.model.value = "gemini-3.1-flash-lite-image"
    assert "8:1" in values(p.aspect_ratio)
    assert p.aspect_ratio.value == "16:9"  # still offered: kept
    assert values(p.image_size) == ["", "1K"] and p.image_size.value == ""  # 4K is not offered: dropped

    p.model.value = "gemini-nano-banana-2.1"
    assert values(p.image_size) == ["", "1K", "2K", "4K"] and not p.image_size.disabled


def test_conversation_mode_offers_gemini_models_only(em: Emulator) -> None:
    p = panel()
    one_shot = [value for _, value in p.model.options]
    assert "gemini-nano-banana-2.1" in one_shot and "gemini-3-pro-image" in one_shot
    assert not [value for value in one_shot if "imagen" in value or "preview" in value]  # shut down: not offered

    p.mode.value = CONVERSATION
    conversation = [value for _, value in p.model.options]
    assert conversation and all(value.startswith("gemini") for value in conversation)
    assert p.model.value == "gemini-nano-banana-2.1"  # the configured Gemini default
    assert p.count.disabled and p.count.value == 1


# the conversation -------------------------------------------------------------------------------
def test_refine_sends_the_selected_image_as_the_next_turn(em: Emulator) -> None:
    p = panel()
    p.prompt.value = "a paper boat"
    p.count.value = 2
    _click(p, p.generate_button)
    p.select(1)
    chosen = p.selected
    assert chosen is not None and not p.refine_button.disabled

    p.prompt.value = "make it red"
    result = _click(p, p.refine_button)

    assert p.mode.value == CONVERSATION
    session = registry.state().sessions["default"]
    assert len(session) == 1 and session.exchanges[0].prompt == "make it red"
    assert len(p.history.children) == 1 and len(p.grid.children) == 1
    body = _bodies(em, "generateContent")[-1]
    assert _inline_images(body["contents"][-1]) == [base64.b64encode(chosen.data).decode("ascii")]
    assert "turn 1 of session 'default'" in p.status_text

    # Refining the turn's own image: it is already in the history, so it is not attached twice.
    p.prompt.value = "now add a sail"
    _click(p, p.refine_button)
    body = _bodies(em, "generateContent")[-1]
    assert len(body["contents"]) == 3 and _inline_images(body["contents"][-1]) == []
    assert len(session) == 2 and len(p.history.children) == 2
    assert result.images[0].path in {image.path for image in session.exchanges[0].images}


def test_generate_in_conversation_mode_continues_the_chosen_session(em: Emulator) -> None:
    p = panel(mode=CONVERSATION)
    p.prompt.value = "a cat on a sofa"
    _click(p, p.generate_button)
    p.prompt.value = "make the sofa green"
    _click(p, p.generate_button)

    session = registry.state().sessions["default"]
    assert [exchange.prompt for exchange in session] == ["a cat on a sofa", "make the sofa green"]
    last = _bodies(em, "generateContent")[-1]
    assert [content["role"] for content in last["contents"]] == ["user", "model", "user"]
    assert p.session.value == "default" and len(p.history.children) == 2


class NameFollower:
    """Records the names ``registry.subscribe_sessions`` announces (kept alive by the test)."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self.stop = registry.subscribe_sessions(self.on_name)

    def on_name(self, name: str, session: object) -> None:
        self.heard.append(name)


@pytest.mark.parametrize("cause", ["blocked", "unsaveable"])
def test_a_blocked_first_turn_leaves_no_session_and_an_unsaveable_one_is_kept_in_memory(em: Emulator, tmp_path: Path, cause: str) -> None:
    folder = tmp_path / "out" / "sessions"
    names = NameFollower()
    p = panel(mode=CONVERSATION)
    p.prompt.value = "a fox"
    if cause == "blocked":
        p.prompt.value = "blockme a fox"
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_bytes(b"")  # a file where the sessions folder goes

    _click(p, p.generate_button)

    assert not (folder / "default.json").exists()
    if cause == "unsaveable":  # paid for: shown and kept in memory, with the way to write the session elsewhere
        assert len(registry.state().sessions["default"]) == 1 and names.heard == ["default"]
        assert "kept in memory only" in p.status_text and len(p.history.children) == 1
        folder.unlink()
    else:
        assert registry.state().sessions == {} and names.heard == []
        assert len(p.history.children) == 0 and p.undo_button.disabled and "Blocked" in p.status_text
    p.prompt.value = "a fox"
    _click(p, p.generate_button)
    turns = 1 if cause == "blocked" else 2
    assert len(registry.state().sessions["default"]) == turns and names.heard == ["default"]
    assert (folder / "default.json").is_file() and len(p.history.children) == turns


def test_undo_removes_the_last_turn_and_is_disabled_without_turns(em: Emulator) -> None:
    p = panel(mode=CONVERSATION)
    assert p.undo_button.disabled
    for prompt in ("a red kite", "add clouds"):
        p.prompt.value = prompt
        _click(p, p.generate_button)
    session = registry.state().sessions["default"]
    assert len(session) == 2 and not p.undo_button.disabled

    p.undo_button.click()
    assert [exchange.prompt for exchange in session] == ["a red kite"]
    assert len(p.history.children) == 1
    assert p.results == session.exchanges[0].images  # the grid shows the turn now last
    assert "Undid turn 2" in p.status_text
    p.undo_button.click()
    assert len(session) == 0 and p.undo_button.disabled and len(p.history.children) == 0


def test_new_session_starts_an_empty_named_conversation(em: Emulator) -> None:
    p = panel(mode=CONVERSATION)
    p.prompt.value = "a teapot"
    _click(p, p.generate_button)
    assert len(p.history.children) == 1

    p.session_name.value = "second"
    p.new_session_button.click()
    assert p.session.value == "second" and "second" in registry.state().sessions
    assert len(p.history.children) == 0 and p.undo_button.disabled
    p.prompt.value = "a bicycle"
    _click(p, p.generate_button)
    assert len(registry.state().sessions["second"]) == 1
    assert len(registry.state().sessions["default"]) == 1
    assert len(_bodies(em, "generateContent")[-1]["contents"]) == 1  # no history from "default"

    p.new_session_button.click()  # no name typed: one is made up
    assert p.session.value == "panel-1"
    p.session_name.value = "second"
    p.new_session_button.click()
    assert "exists already" in p.status_text and p.session.value == "panel-1"


# cancel, supersede, errors ----------------------------------------------------------------------
def test_cancel_of_a_slow_request_is_reported_and_leaves_the_session_unchanged(slow_em: Emulator) -> None:
    p = panel(mode=CONVERSATION)
    p.prompt.value = "a very slow sunrise"
    p.generate_button.click()
    future = p.pending
    assert future is not None
    deadline = time.monotonic() + 5
    while not slow_em.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert slow_em.requests  # the request is in flight

    p.cancel_button.click()

    assert future.cancelled()
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(timeout=WAIT_S)
    assert "Cancelled" in p.status_text and p.progress.value == ""
    assert not p.generate_button.disabled and p.cancel_button.disabled and not p.busy
    time.sleep(3.5)  # past the emulator's answer: nothing arrives late
    assert "default" not in registry.state().sessions  # a cancelled first turn leaves no empty session
    assert p.grid.children == () and "Cancelled" in p.status_text


class LateRuntime:
    """A runtime whose futures cancel too late: the work goes on, as when the answer is already here."""

    def __init__(self) -> None:
        self.inner: list[concurrent.futures.Future[Any]] = []

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        inner = registry.state().runtime().submit(coro)
        self.inner.append(inner)
        outer: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def copy(done: concurrent.futures.Future[Any]) -> None:
            if outer.set_running_or_notify_cancel():
                error = done.exception()
                outer.set_exception(error) if error else outer.set_result(done.result())

        inner.add_done_callback(copy)
        return outer


def test_a_late_result_from_a_superseded_request_is_dropped(tmp_path: Path) -> None:
    with _kernel_on(tmp_path, latency_s=1) as emulator:
        runtime = LateRuntime()
        p = ImagePanel(runtime=runtime)  # type: ignore[arg-type]
        p.prompt.value = "first: a fox"
        p.generate_button.click()
        first = p.pending
        p.prompt.value = "second: an owl"
        p.generate_button.click()  # supersedes the first (its cancel comes too late here)
        assert first is not None and first.cancelled()

        assert runtime.inner[0].result(timeout=WAIT_S) is None  # arrived, and was dropped
        runtime.inner[1].result(timeout=WAIT_S)
        assert p.pending is not None and p.pending.result(timeout=WAIT_S) is not None
        assert len(emulator.requests) == 2
        assert [image.prompt for image in p.results] == ["second: an owl"]
        assert "1 image from" in p.status_text and not p.busy


def test_blocked_prompt_is_shown_in_words_and_the_panel_keeps_working(em: Emulator) -> None:
    p = panel(mode=CONVERSATION)
    p.prompt.value = "blockme a dragon"
    _click(p, p.generate_button)
    assert p.status_text.startswith("Blocked: IMAGE_SAFETY — ")
    assert p.grid.children == () and "default" not in registry.state().sessions  # no empty session left
    assert not p.generate_button.disabled and p.cancel_button.disabled

    p.mode.value = ONE_SHOT
    p.model.value = "gemini-3-pro-image"
    p.prompt.value = "forbidden thing"
    _click(p, p.generate_button)
    assert p.status_text.startswith("Blocked: IMAGE_SAFETY")

    p.prompt.value = "a friendly dragon"
    _click(p, p.generate_button)
    assert len(p.grid.children) == 1 and p.status_text.startswith("1 image from")
    p.prompt.value = "blockme again"
    _click(p, p.generate_button)
    assert p.status_text.startswith("Blocked: IMAGE_SAFETY")
    assert len(p.grid.children) == 1 and p.selected is not None  # the last good result stays


def test_refused_options_and_quota_errors_are_shown_in_words(tmp_path: Path) -> None:
    with _kernel_on(tmp_path, fault="429;retry-after=30", max_attempts=1):
        p = ImagePanel()
        p.prompt.value = "a busy market"
        p.generate_button.click()
        assert p.pending is not None and p.pending.result(timeout=WAIT_S) is None
        assert p.status_text.startswith("Quota exceeded") and "retry in 30 s" in p.status_text
        assert not p.generate_button.disabled
    assert describe_error(vi.InvalidRequest("n must be at least 1.")) == "Not sent: n must be at least 1."


def test_empty_prompt_is_refused_without_a_request(em: Emulator) -> None:
    p = panel()
    p.prompt.value = "   "
    p.generate_button.click()
    assert p.pending is None and p.status_text == "Write a prompt first."
    assert em.requests == []


# saving and code --------------------------------------------------------------------------------
def test_save_selected_copies_the_image_and_needs_a_selection(em: Emulator, tmp_path: Path) -> None:
    p = panel()
    p.prompt.value = "a blue bird"
    p.count.value = 2
    _click(p, p.generate_button)
    assert p.save_button.disabled
    p.grid.children[1].children[-1].click()  # the tile's Select button
    assert p.selected_index == 1 and not p.save_button.disabled
    assert p.grid.children[1].children[-1].description == "✓ Selected"

    p.save_path.value = str(tmp_path / f"keep{p.results[1].extension}")
    p.save_button.click()
    assert (tmp_path / f"keep{p.results[1].extension}").read_bytes() == p.results[1].data
    assert "Saved the selected image" in p.status_text
    p.save_button.click()
    assert "exists" in p.status_text  # never overwrites silently
    p.save_path.value = str(tmp_path / "new" / "folder") + "/"
    p.save_button.click()  # a folder (made): a readable name
    assert (tmp_path / "new" / "folder" / f"a-blue-bird-{p.results[1].id[:8]}{p.results[1].extension}").is_file()


def test_insert_code_puts_the_equivalent_magic_into_the_next_cell(em: Emulator) -> None:
    shell = FakeShell()
    p = ImagePanel(model="gemini-3-pro-image", shell=shell)
    p.prompt.value = "a red fox"
    p.count.value = 2
    p.aspect_ratio.value = "16:9"
    p.seed_auto.value = False
    p.seed.value = 7
    assert p.insert_code() == "%imagen -m gemini-3-pro-image -n 2 -a 16:9 --seed 7 a red fox"
    _click(p, p.generate_button)
    p.prompt.value = "changed afterwards"
    p.insert_code_button.click()
    assert shell.inserted[-1] == "%imagen -m gemini-3-pro-image -n 2 -a 16:9 --seed 7 a red fox"

    assert p.code.value == shell.inserted[-1] and p.code.layout.display == ""

    p.mode.value = CONVERSATION
    p.prompt.value = "a fox, then\nmake it blue"
    p.last_code = ""
    assert p.insert_code() == (
        "%%gemini_image -S default -m gemini-3-pro-image -a 16:9 --seed 7\na fox, then\nmake it blue"
    )


class FrontEnd:
    """Plays the vertex-image front-end extension: records each ask; the test answers it."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []
        self.tell: Any = None

    def __call__(self, code: str, model_id: str | None, tell: Any) -> None:
        self.asked.append((code, model_id))
        self.tell = tell


def test_insert_code_from_a_click_asks_the_front_end_for_a_new_cell_below_the_panel(em: Emulator) -> None:
    shell, front_end = KernelShellInClick(), FrontEnd()
    p = ImagePanel(shell=shell, ask_front_end=front_end)
    p.prompt.value = "a kite"
    p.insert_code_button.click()
    assert shell.inserted == []  # a click's set_next_input would only surface with the next cell run
    assert front_end.asked == [("%imagen -m gemini-nano-banana-2.1 a kite", p.widget.model_id)]
    assert p.status_text.startswith("Inserting the equivalent magic")
    front_end.tell(True, "")
    assert p.status_text == "The equivalent magic is in a new cell below the panel."
    assert p.code.layout.display == "none"  # no box to copy from: the cell is there


def test_insert_code_from_a_click_without_the_extension_shows_the_box_and_says_why(em: Emulator) -> None:
    shell, front_end = KernelShellInClick(), FrontEnd()
    p = ImagePanel(shell=shell, ask_front_end=front_end)
    p.prompt.value = "a kite"
    p.insert_code_button.click()
    front_end.tell(False, "the vertex-image front-end extension did not answer")
    assert p.code.value == "%imagen -m gemini-nano-banana-2.1 a kite" and p.code.layout.display == ""
    assert p.status_text == ("No new cell: the vertex-image front-end extension did not answer. The equivalent "
                             "magic is in the box below: copy it into a cell.")


def test_importing_vertex_image_does_not_load_ipywidgets() -> None:
    code = "import sys, vertex_image; vertex_image.configure; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# with the magics --------------------------------------------------------------------------------
from magicshell import Shell, emulator_requests, emulator_shell, shell  # noqa: E402,F401 - the fixture


def test_insert_code_reruns_the_same_one_shot_request_through_the_magic(shell: Shell) -> None:
    fake = FakeShell()
    p = ImagePanel(model="gemini-3.1-flash-lite-image", shell=fake)
    p.prompt.value = "-a 'quoted' {braces} fox"
    p.count.value = 3
    p.aspect_ratio.value = "9:16"
    p.seed_auto.value = False
    p.seed.value = 11
    _click(p, p.generate_button)
    p.insert_code_button.click()
    (code,) = fake.inserted

    cell = shell.run(code)

    assert cell.error is None, cell.shown
    bodies = [request.body for request in emulator_requests("generateContent")]
    panel_bodies, magic_bodies = bodies[:3], bodies[3:]
    key = lambda body: body["generationConfig"]["seed"]  # noqa: E731 - the three requests run at once
    assert sorted(magic_bodies, key=key) == sorted(panel_bodies, key=key)
    assert [image.data for image in cell.result] == [image.data for image in p.results]


def test_insert_code_reruns_the_same_refine_turn_through_the_magic(shell: Shell) -> None:
    fake = FakeShell()
    p = ImagePanel(shell=fake)
    p.prompt.value = "a paper boat"
    p.count.value = 2
    _click(p, p.generate_button)
    p.select(1)
    p.prompt.value = "make it red"
    p.aspect_ratio.value = "4:3"
    _click(p, p.refine_button)
    p.insert_code_button.click()
    (code,) = fake.inserted
    assert code.startswith("%%gemini_image -S default -m gemini-nano-banana-2.1 -a 4:3 -i ")
    session = registry.state().sessions["default"]
    session.undo()  # the magic then sends the same turn again

    cell = shell.run(code)

    assert cell.error is None, cell.shown
    panel_body, magic_body = (request.body for request in emulator_requests("generateContent")[-2:])
    assert magic_body == panel_body
    assert len(session) == 1


def test_a_session_is_shared_by_the_panel_and_the_magic(shell: Shell) -> None:
    assert shell.run("%%gemini_image -S foo\na small house").error is None
    p = panel()
    assert "foo" in p.session.options
    p.session.value = "foo"
    assert len(p.history.children) == 1 and not p.undo_button.disabled

    p.mode.value = CONVERSATION
    p.prompt.value = "paint the door yellow"
    _click(p, p.generate_button)
    foo = registry.state().sessions["foo"]
    assert [exchange.prompt for exchange in foo] == ["a small house", "paint the door yellow"]

    assert shell.run("%%gemini_image -S foo\nadd a chimney").error is None
    assert len(foo) == 3
    assert len(emulator_requests("generateContent")[-1].body["contents"]) == 5
    p.refresh_button.click()
    assert len(p.history.children) == 3


def test_vertex_image_panel_magic_opens_the_panel(shell: Shell) -> None:
    cell = shell.run("%vertex_image panel")
    assert cell.error is None, cell.shown
    assert isinstance(cell.result, ImagePanel)


# following the session live ---------------------------------------------------------------------
def _prompts_shown(p: ImagePanel) -> list[str]:
    """The prompts of the history strip, from each item's caption."""
    return [item.children[-1].value.split(". ", 1)[1].split("<")[0] for item in p.history.children]


def test_a_magic_turn_on_the_shown_session_appears_without_refresh(shell: Shell) -> None:
    assert shell.run("%%gemini_image -S foo\na small house").error is None
    p = panel(session="foo")
    assert len(p.history.children) == 1
    first_item = p.history.children[0]

    assert shell.run("%%gemini_image -S foo\nadd a chimney").error is None

    assert _prompts_shown(p) == ["a small house", "add a chimney"]
    assert p.history.children[0] is first_item  # the turns already shown are kept, not rebuilt
    assert not p.undo_button.disabled and not p.generate_button.disabled

    assert shell.run("%%gemini_image -S other\na boat").error is None  # another session: a new name only
    assert "other" in p.session.options and p.session.value == "foo"
    assert _prompts_shown(p) == ["a small house", "add a chimney"]


def test_undo_and_reset_by_the_magic_update_the_strip_and_the_undo_button(shell: Shell) -> None:
    for prompt in ("a red kite", "add clouds"):
        assert shell.run(f"%%gemini_image -S kite\n{prompt}").error is None
    p = panel(session="kite")
    assert len(p.history.children) == 2 and not p.undo_button.disabled

    assert shell.run("%gemini_image undo -S kite").error is None
    assert _prompts_shown(p) == ["a red kite"] and not p.undo_button.disabled
    assert shell.run("%gemini_image undo -S kite").error is None
    assert p.history.children == () and p.undo_button.disabled

    assert shell.run("%%gemini_image -S kite\na green kite").error is None
    assert not p.undo_button.disabled
    assert shell.run("%gemini_image reset -S kite").error is None
    assert p.history.children == () and p.undo_button.disabled


def test_new_on_the_shown_session_name_is_followed(shell: Shell) -> None:
    assert shell.run("%%gemini_image -S foo\na small house").error is None
    p = panel(session="foo")
    old = registry.state().sessions["foo"]

    assert shell.run("%%gemini_image -S foo --new\na lighthouse").error is None
    new = registry.state().sessions["foo"]
    assert new is not old and _prompts_shown(p) == ["a lighthouse"]

    assert shell.run("%%gemini_image -S foo\nadd a boat").error is None  # the new object is followed
    assert _prompts_shown(p) == ["a lighthouse", "add a boat"]
    with pytest.raises(vi.InvalidRequest, match="changed on disk by process"):
        old.reset()  # the replaced one may not wipe the new one's file (it did: last writer won)
    assert _prompts_shown(p) == ["a lighthouse", "add a boat"] and not p.undo_button.disabled

    p.prompt.value = "paint it red"
    _click(p, p.generate_button)
    assert len(new) == 3 and len(old) == 1 and len(p.history.children) == 3


def test_changes_while_the_panels_own_turn_is_in_flight_keep_its_busy_state(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:
    with emulator_shell(capsys, tmp_path, latency_s=1) as (sh, _):
        assert sh.run("%%gemini_image -S foo\na small house").error is None
        p = panel(session="foo")
        p.prompt.value = "add a garden"
        p.generate_button.click()
        assert p.busy

        assert sh.run("%gemini_image undo -S foo").error is None  # while the panel's turn runs

        assert p.history.children == () and p.undo_button.disabled
        assert p.generate_button.disabled and not p.cancel_button.disabled and p.session.disabled
        assert p.pending is not None and p.pending.result(timeout=WAIT_S) is not None
        assert _prompts_shown(p) == ["add a garden"]
        assert not p.busy and not p.undo_button.disabled and not p.generate_button.disabled
        assert p.cancel_button.disabled and not p.session.disabled


@pytest.mark.parametrize("how", ["panel.close()", "only its widgets closed"])
def test_a_dropped_panel_is_collected_and_no_longer_called(shell: Shell, how: str) -> None:
    assert shell.run("%%gemini_image -S foo\na small house").error is None
    p = panel(session="foo")
    history = p.history
    alive = weakref.ref(p)

    # ipywidgets keeps every open widget (and so the panel) alive until it is closed; after that
    # the sessions and the registry, which hold the panel weakly, do not keep it either.
    if how == "panel.close()":
        p.close()
    else:
        close_tree(p.widget)  # as by Widget.close_all(): the panel did not unsubscribe
    del p
    gc.collect()

    assert alive() is None
    assert shell.run("%%gemini_image -S foo\nadd a chimney").error is None
    assert shell.run("%%gemini_image -S foo --new\na boat").error is None
    assert len(history.children) == 1  # the closed panel's strip did not follow


# issue 12: the panel -------------------------------------------------------------------------------
def test_one_shot_shows_only_its_controls_and_count_goes_to_eight(em: Emulator) -> None:
    p = panel()
    assert p.mode.value == ONE_SHOT and p.count.max == 8
    assert {p.session_box.layout.display, p.history.layout.display, p.undo_button.layout.display} == {"none"}
    p.mode.value = CONVERSATION
    assert {p.session_box.layout.display, p.history.layout.display, p.undo_button.layout.display} == {""}


def test_each_tile_has_a_download_link_and_a_full_size_view(em: Emulator) -> None:
    p = panel()
    p.prompt.value = "a green owl"
    p.count.value = 2
    _click(p, p.generate_button)
    links = p.grid.children[1].children[2].value
    image = p.results[1]
    assert f'download="{image.file_name}"' in links and f'href="{image.data_url}"' in links
    assert image.file_name.startswith("a-green-owl-") and "Full size" in links and "<details" in links


def test_a_fresh_panel_never_resumes_a_session_from_disk_and_choosing_one_says_so(em: Emulator) -> None:
    vi.chat("nano-banana", name="boat").send("a paper boat")
    registry.state().sessions.clear()
    registry.state().default_session = None  # a fresh kernel, the same folder
    p = panel(mode=CONVERSATION)
    assert p.session.value == "default" and p.current_session() is None  # not 'boat', nothing resumed
    p.session.value = "boat"
    assert p.status_text.startswith("Resuming 'boat' from ") and p.status_text.endswith(": 1 turn.")
    assert len(p.history.children) == 1


def test_after_undo_the_code_box_follows(em: Emulator) -> None:
    p = panel(mode=CONVERSATION)
    p.prompt.value = "a kite"
    _click(p, p.generate_button)
    p.insert_code()
    assert p.code.value.startswith("%%gemini_image -S default")
    p.undo()
    assert p.code.value == "%gemini_image undo -S default" and p.last_code == ""
