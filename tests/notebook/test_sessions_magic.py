"""%%gemini_image sessions on a real InteractiveShell with the emulator: turns, history, resume, budget."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vertex_image as vi
from magicshell import (  # noqa: F401 - shell is a fixture
    Shell,
    body_size,
    emulator_requests,
    emulator_shell,
    session_snapshot,
    shell,
)
from vertex_image.base.errors import StorageError
from vertex_image.core import registry, session
from vertex_image.emulator import signatures


def _turn_requests() -> list[Any]:
    return emulator_requests("generateContent")


def _ask_again(request: Any) -> dict[str, Any]:
    """The model turn the emulator answers to this exact request (it is deterministic)."""
    emulator = registry.state()._emulator
    headers = {k: v for k, v in request.headers.items() if k in ("authorization", "x-goog-api-key")}
    reply = httpx.post(emulator.base_url + request.path, params=request.query, json=request.body, headers=headers)
    reply.raise_for_status()
    content: dict[str, Any] = reply.json()["candidates"][0]["content"]
    return content


def _roles(body: dict[str, Any]) -> list[str]:
    return [content["role"] for content in body["contents"]]


@pytest.fixture
def gemini_api(shell: Shell) -> Shell:
    """The emulator speaking the Gemini API, where Gemini 3 image models check thought signatures."""
    vi.configure(emulator_mode="gemini-api", default_gemini_model="nano-banana-pro")
    return shell


# turns ----------------------------------------------------------------------------------------
def test_four_turn_refinement_with_undo_and_branch_replays_model_turns_verbatim(gemini_api: Shell) -> None:
    sh = gemini_api
    for prompt in ("a watercolor fox", "make the sky purple", "add a small moon"):
        cell = sh.run(f"%%gemini_image\n{prompt}")
        assert cell.error is None, cell.shown
    assert "Removed turn 3" in sh.run("%gemini_image undo").out
    assert sh.run("%%gemini_image\nadd falling snow").error is None
    assert sh.run("%gemini_image branch night").error is None
    assert sh.run("%%gemini_image -S night\nmake it night").error is None

    requests = _turn_requests()
    assert [len(r.body["contents"]) for r in requests] == [1, 3, 5, 5, 7]
    received = [_ask_again(r) for r in requests]  # the model turn each request got back
    # turn 4 went out after undo: its history is turns 1-2, not the undone turn 3
    expected_history = {1: [0], 2: [0, 1], 3: [0, 1], 4: [0, 1, 3]}
    for index, answered_by in expected_history.items():
        body = requests[index].body
        assert _roles(body) == ["user", "model"] * len(answered_by) + ["user"]
        for position, source in enumerate(answered_by):
            replayed = body["contents"][2 * position + 1]
            assert replayed == received[source], f"request {index}, model turn {position}"
            assert replayed["parts"] == received[source]["parts"]  # part by part, signatures included
            for part in replayed["parts"]:
                if "inlineData" in part and not part.get("thought"):
                    data = base64.b64decode(part["inlineData"]["data"])
                    assert part["thoughtSignature"] == signatures.sign_image(data)
    default = registry.state().sessions["default"]
    night = registry.state().sessions["night"]
    assert [ex.prompt for ex in default] == ["a watercolor fox", "make the sky purple", "add falling snow"]
    assert [ex.prompt for ex in night] == [*[ex.prompt for ex in default], "make it night"]
    assert [ex.model for ex in default] == [received[0], received[1], received[3]]


def test_resume_in_a_fresh_shell_sends_the_full_history(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    registry.reset()
    first = Shell(capsys)
    vi.configure(backend="emulator", emulator_mode="gemini-api", output_dir=str(tmp_path),
                 default_gemini_model="nano-banana-pro")  # fmt: skip
    try:
        for prompt in ("a paper boat", "put it on a lake"):
            assert first.run(f"%%gemini_image -S boat\n{prompt}").error is None
        last = _turn_requests()[-1]
        history = [*last.body["contents"], _ask_again(last)]
    finally:
        first.close()  # unload: registry.reset() stops the emulator and forgets the sessions
    assert registry._STATE is None

    second = Shell(capsys)
    vi.configure(backend="emulator", emulator_mode="gemini-api", output_dir=str(tmp_path))
    try:
        cell = second.run("%%gemini_image -S boat\nadd a sunset")
        assert cell.error is None, cell.shown
        body = _turn_requests()[-1].body
        assert body["contents"][:-1] == history
        assert body["contents"][-1]["parts"] == [{"text": "add a sunset"}]
        assert len(registry.state().sessions["boat"]) == 3
    finally:
        second.close()
        registry.reset()


def test_every_turn_option_reaches_the_request(shell: Shell, tmp_path: Path) -> None:
    vi.configure(emulator_mode="gemini-api")
    shell.ns.update(seed=5, kind="{kind}")
    cell = shell.run(
        "%%gemini_image -S opts -m nano-banana-2 -a 16:9 --size 2K --text --search all --thinking high --seed 11 "
        "-o first\na {kind} robot, seed {seed}"
    )
    assert cell.error is None, cell.shown
    body = _turn_requests()[-1].body
    config = body["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["thinkingConfig"] == {"thinkingLevel": "HIGH"} and config["seed"] == 11
    assert body["tools"] == [{"googleSearch": {"searchTypes": {"webSearch": {}, "imageSearch": {}}}}]
    assert body["contents"][0]["parts"][0]["text"] == "a {kind} robot, seed 5"
    assert isinstance(shell.ns["first"], vi.ImageSet) and shell.ns["first"].text
    raw = shell.run("%%gemini_image -S opts --no-interpolate\nkeep {seed} as is")
    assert raw.error is None
    assert _turn_requests()[-1].body["contents"][-1]["parts"][0]["text"] == "keep {seed} as is"
    fresh = shell.run("%%gemini_image -S opts --new -m nano-banana\nstart over")
    assert fresh.error is None
    assert len(_turn_requests()[-1].body["contents"]) == 1
    assert len(registry.state().sessions["opts"]) == 1
    assert registry.state().sessions["opts"].model == "gemini-nano-banana-2.1"


def test_input_images_from_variables_files_and_pil(shell: Shell, tmp_path: Path) -> None:
    from PIL import Image

    assert shell.run("imgs = %imagen -n 2 a red fox").error is None
    imgs = shell.ns["imgs"]
    png = io.BytesIO()
    Image.new("RGB", (64, 32), "green").save(png, format="PNG")
    (tmp_path / "in.png").write_bytes(png.getvalue())
    shell.ns.update(pil=Image.new("RGB", (40, 40), "blue"), raw=png.getvalue(), one=imgs[0])
    cases = {
        "-i one": 1,
        "-i imgs": 2,
        "-i imgs[1]": 1,
        "-i raw": 1,
        "-i pil": 1,
        f"-i {tmp_path / 'in.png'}": 1,
        "-i one -i pil": 2,
    }
    for option, count in cases.items():
        cell = shell.run(f"%%gemini_image -S inputs --new {option}\ncombine these")
        assert cell.error is None, (option, cell.shown)
        parts = _turn_requests()[-1].body["contents"][-1]["parts"]
        images = [part for part in parts if "inlineData" in part]
        assert len(images) == count, option
    first_parts = _turn_requests()[2].body["contents"][0]["parts"]  # the "-i one" turn, after %imagen's two
    assert [base64.b64decode(p["inlineData"]["data"]) for p in first_parts if "inlineData" in p] == [imgs[0].data]


# subcommands ----------------------------------------------------------------------------------
def test_history_sessions_show_save_load_reset(shell: Shell, tmp_path: Path) -> None:
    for prompt in ("a teapot", "make it gold"):
        assert shell.run(f"%%gemini_image -S tea\n{prompt}").error is None
    history = shell.run("%gemini_image history -S tea").result
    assert "a teapot" in history.text and "make it gold" in history.text
    assert history.html.count("<img ") == 2
    shown = shell.run("%gemini_image show 1 -S tea").result
    assert isinstance(shown, vi.ImageSet) and shown.prompt == "a teapot"
    assert shell.run("%gemini_image show -1 -S tea").result.prompt == "make it gold"
    saved = shell.run(f"%gemini_image save {tmp_path / 'tea-copy.json'} -S tea")
    assert "Saved session 'tea' (2 turns)" in saved.out
    loaded = shell.run(f"%gemini_image load {tmp_path / 'tea-copy.json'} -S tea2")
    assert "Loaded session 'tea2' (2 turns" in loaded.out
    listing = shell.run("%gemini_image sessions").result.text
    assert "tea " in listing and "tea2" in listing
    assert "Session 'tea' reset (2 turns forgotten" in shell.run("%gemini_image reset -S tea").out
    assert len(registry.state().sessions["tea"]) == 0
    assert len(registry.state().sessions["tea2"]) == 2
    by_name = shell.run("%gemini_image load tea2")
    assert by_name.error is None, by_name.shown


def test_sessions_on_disk_are_listed_and_found_by_subcommands(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:  # fmt: skip
    registry.reset()
    sh = Shell(capsys)
    vi.configure(backend="emulator", output_dir=str(tmp_path))
    try:
        assert sh.run("%%gemini_image -S kept\na kite").error is None
        registry.state().sessions.clear()  # as after a restart: only the file is left
        assert "kept" in sh.run("%gemini_image sessions").result.text
        assert "a kite" in sh.run("%gemini_image history -S kept").result.text
        assert "Removed turn 1" in sh.run("%gemini_image undo -S kept").out
        saved = json.loads((tmp_path / "sessions" / "kept.json").read_text())
        assert saved["exchanges"] == []
    finally:
        sh.close()
        registry.reset()


def test_size_budget_leaves_out_oldest_whole_exchanges(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    vi.configure(emulator_mode="gemini-api")
    limit = 350_000
    monkeypatch.setitem(session.REQUEST_LIMIT_BYTES, "gemini-api", limit)
    monkeypatch.setitem(session.REQUEST_LIMIT_BYTES, "vertex", limit)
    notes = []
    for turn in range(6):
        cell = shell.run(f"%%gemini_image -S big -m nano-banana-pro --size 2K\nturn {turn}: add one more star")
        assert cell.error is None, cell.shown
        notes.append(cell.shown + "".join(d["data"].get("text/plain", "") for d in cell.displays))
    requests = _turn_requests()
    assert len(requests) == 6
    for request in requests:
        assert body_size(request.body) <= limit
        roles = _roles(request.body)
        assert roles[0] == "user" and roles[-1] == "user"
        assert roles == ["user", "model"] * (len(roles) // 2) + ["user"]
    assert len(requests[-1].body["contents"]) < 2 * 5 + 1  # something was left out
    assert any("left out" in note for note in notes)
    assert not any("left out" in note for note in notes[:2])
    assert len(registry.state().sessions["big"]) == 6  # the session keeps every turn


# errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "%%gemini_image --bogus\nmore",
        "%%gemini_image -a 99:1\nmore",
        "%%gemini_image -i missing_variable\nmore",
        "%%gemini_image -i /no/such/file.png\nmore",
        "%%gemini_image -m imagen4\nmore",
        "%%gemini_image -S 'bad/name'\nmore",
        "%%gemini_image -o 'not a name'\nmore",
        "%%gemini_image\n   ",
        "%%gemini_image extra words\nmore",
        "%gemini_image undo -S nosuch",
        "%gemini_image show 7",
        "%gemini_image branch other",
        "%gemini_image frobnicate",
        "%gemini_image",
        "%gemini_image load /no/such/session.json",
    ],
)
def test_bad_input_is_a_usage_error_and_changes_no_session(shell: Shell, tmp_path: Path, source: str) -> None:
    assert shell.run("%%gemini_image\na lantern").error is None
    assert shell.run("%%gemini_image -S other\na kettle").error is None
    before = session_snapshot(tmp_path)
    sent = len(_turn_requests())
    cell = shell.run(source)
    assert type(cell.error).__name__ == "UsageError", cell.shown
    assert "Traceback" not in cell.shown
    assert session_snapshot(tmp_path) == before
    assert len(_turn_requests()) == sent


@pytest.mark.parametrize("prompt", ["blockme please", "noimage", "textonly", "promptblock"])
def test_blocked_or_empty_turn_fails_the_cell_and_changes_no_session(shell: Shell, tmp_path: Path,
                                                                      prompt: str) -> None:  # fmt: skip
    assert shell.run("%%gemini_image\na lantern").error is None
    before = session_snapshot(tmp_path)
    cell = shell.run(f"%%gemini_image -o result\n{prompt}")
    assert isinstance(cell.error, vi.VertexImageError), cell.shown
    assert "Traceback" not in cell.shown and len(cell.shown.strip().splitlines()) == 1
    assert "result" not in shell.ns
    assert session_snapshot(tmp_path) == before


def test_interrupt_leaves_the_session_unchanged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import _thread
    import threading

    with emulator_shell(capsys, tmp_path) as (sh, em):
        assert sh.run("%%gemini_image\na lantern").error is None
        before = session_snapshot(tmp_path)
        em.app.latency_s = 3.0
        timer = threading.Timer(0.4, _thread.interrupt_main)
        timer.start()
        cell = sh.run("%%gemini_image\nmake it glow")
        timer.join()
        assert isinstance(cell.error, vi.Cancelled), cell.shown
        assert "cancelled" in cell.shown.lower()
        assert session_snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("source", "turns"),
    [
        ("%gemini_image undo -S c1", []),
        ("%gemini_image reset -S c1", []),
    ],
)
def test_a_change_whose_session_file_cannot_be_written_fails_in_one_line_and_changes_nothing(
    shell: Shell, tmp_path: Path, source: str, turns: list[str]
) -> None:
    assert shell.run("%%gemini_image -S c1\na lantern").error is None
    original = session_snapshot(tmp_path)
    folder = tmp_path / "sessions"
    aside = folder.with_name("sessions.aside")
    folder.rename(aside)
    folder.write_bytes(b"")  # the reviewer's case: a file where the sessions folder goes
    before = session_snapshot(tmp_path)

    cell = shell.run(source)

    assert isinstance(cell.error, StorageError), cell.shown
    assert "Traceback" not in cell.shown and len(cell.shown.strip().splitlines()) == 1
    assert "is a file, not a folder" in cell.shown
    assert session_snapshot(tmp_path) == before
    folder.unlink()
    aside.rename(folder)
    assert session_snapshot(tmp_path) == original
    again = shell.run(source)  # once fixed, the same cell does it once
    assert again.error is None, again.shown
    assert [ex.prompt for ex in registry.state().sessions["c1"]] == turns


@pytest.mark.parametrize(
    ("source", "turns"),
    [
        ("%%gemini_image -S c1\nmake it glow", ["a lantern", "make it glow"]),
        ("%%gemini_image -S c1 --new\na candle", ["a candle"]),
    ],
)
def test_a_turn_whose_session_file_cannot_be_written_is_shown_and_kept_in_memory(
    shell: Shell, tmp_path: Path, source: str, turns: list[str]
) -> None:
    assert shell.run("%%gemini_image -S c1\na lantern").error is None
    folder = tmp_path / "sessions"
    aside = folder.with_name("sessions.aside")
    folder.rename(aside)
    folder.write_bytes(b"")  # a file where the sessions folder goes
    before = session_snapshot(tmp_path)

    cell = shell.run(source)

    assert cell.error is None, cell.shown
    assert cell.result.images and "kept in memory only" in repr(cell.result)
    assert "%gemini_image save PATH -S c1" in repr(cell.result)
    assert session_snapshot(tmp_path)["files"] == before["files"]  # the file in the way is untouched
    assert [ex.prompt for ex in registry.state().sessions["c1"]] == turns


def test_load_under_a_name_in_use_is_refused_unless_replace_and_changes_nothing(shell: Shell, tmp_path: Path) -> None:
    assert shell.run("%%gemini_image -S c1\na lantern").error is None
    assert shell.run("%%gemini_image -S c2\na kettle").error is None
    assert shell.run(f"%gemini_image save {tmp_path / 'c2-copy.json'} -S c2").error is None
    before = session_snapshot(tmp_path)

    cell = shell.run(f"%gemini_image load {tmp_path / 'c2-copy.json'} -S c1")

    assert cell.error is not None and "exists already" in cell.shown, cell.shown
    assert "Traceback" not in cell.shown and len(cell.shown.strip().splitlines()) == 1
    assert session_snapshot(tmp_path) == before
    assert shell.run(f"%gemini_image load {tmp_path / 'c2-copy.json'} -S c3").error is None
    replaced = shell.run(f"%gemini_image load {tmp_path / 'c2-copy.json'} -S c1 --replace")
    assert replaced.error is None, replaced.shown
    assert [ex.prompt for ex in registry.state().sessions["c1"]] == ["a kettle"]
