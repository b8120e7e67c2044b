"""ImageSession against the emulator: model turns replayed verbatim, undo/branch/blocks, save/load, the size budget."""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import json
import logging
import re
import threading
import weakref
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, recorded_emulator, sessions_state  # noqa: F401 - fixtures
from vertex_image.base.errors import InvalidRequest, ServiceError, StorageError
from vertex_image.core import registry
from vertex_image.core import session as session_module
from vertex_image.core.named_sessions import open_session
from vertex_image.core.session import Exchange, ImageSession, SendResult
from vertex_image.emulator import Emulator

PRO = "gemini-3-pro-image"
LONG_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{120,}")


def _answer(call: Any) -> dict[str, Any]:
    content: dict[str, Any] = call.reply["candidates"][0]["content"]
    return content


def _roles(contents: list[dict[str, Any]]) -> list[str]:
    return [content["role"] for content in contents]


def _send(chat: ImageSession, prompt: str, **options: Any) -> SendResult:
    """One turn with the history report (what the magics and the panel use), on the runtime loop."""
    result: SendResult = registry.state().runtime().run(chat.asend_detailed(prompt, **options))
    return result


# replay -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", ["gemini-api", "vertex"])
def test_four_turns_replay_every_model_turn_verbatim(kernel: Recorder, dialect: str) -> None:
    vi.configure(emulator_mode=dialect)
    chat = vi.chat(PRO, name="fox")
    prompts = ["a watercolor fox", "make the sky purple", "add a small moon", "add falling snow"]

    for prompt in prompts:
        assert len(chat.send(prompt)) == 1

    calls = kernel.sent("generateContent")
    assert [call.status for call in calls] == [200] * 4  # the Gemini API rejects a turn without its signatures
    answers = [_answer(call) for call in calls]
    for turn, call in enumerate(calls):
        contents = call.body["contents"]
        assert _roles(contents) == ["user", "model"] * turn + ["user"]
        assert contents[-1] == {"role": "user", "parts": [{"text": prompts[turn]}]}
        for earlier in range(turn):
            assert contents[2 * earlier] == {"role": "user", "parts": [{"text": prompts[earlier]}]}
            replayed, received = contents[2 * earlier + 1], answers[earlier]
            assert len(replayed["parts"]) == len(received["parts"])
            for sent_part, got_part in zip(replayed["parts"], received["parts"]):
                assert sent_part == got_part
            assert replayed == received
    first = calls[3].body["contents"][1]["parts"]
    assert any(part.get("thought") for part in first)  # thought text and draft image kept
    assert sum("thoughtSignature" in part for part in first) >= 1
    assert [ex.prompt for ex in chat] == prompts
    assert chat.last_image is not None and chat.last_image.data == chat.exchanges[-1].images[-1].data


def test_undo_removes_the_last_exchange_from_the_next_request(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="undo")
    for prompt in ("a fox", "make it blue", "add a hat"):
        chat.send(prompt)
    undone_answer = _answer(kernel.sent()[-1])

    removed = chat.undo()
    chat.send("add a scarf")

    assert removed.prompt == "add a hat" and len(chat) == 3
    contents = kernel.sent()[-1].body["contents"]
    assert len(contents) == 5
    assert undone_answer not in contents
    assert {"role": "user", "parts": [{"text": "add a hat"}]} not in contents
    assert [ex.prompt for ex in chat] == ["a fox", "make it blue", "add a scarf"]


def test_undo_on_an_empty_session_says_so(kernel: Recorder) -> None:
    with pytest.raises(InvalidRequest, match="no turn to undo"):
        vi.chat("nano-banana", name="empty").undo()


def test_branch_diverges_from_the_shared_history(kernel: Recorder) -> None:
    day = vi.chat("nano-banana", name="day")
    day.send("a castle")
    day.send("add a moat")

    night = day.branch("night")
    day.send("make it sunny")
    night.send("make it night")

    day_call, night_call = kernel.sent()[-2:]
    assert day_call.body["contents"][:4] == night_call.body["contents"][:4]
    assert day_call.body["contents"][4] != night_call.body["contents"][4]
    assert [ex.prompt for ex in day][-1] == "make it sunny"
    assert [ex.prompt for ex in night] == ["a castle", "add a moat", "make it night"]
    assert registry.state().sessions["night"] is night
    assert night.exchanges[0] is not day.exchanges[0]
    night.undo()
    assert len(day) == 3


@pytest.mark.parametrize("trigger", ["blockme", "textonly", "noimage", "promptblock"])
def test_a_turn_without_an_image_is_not_recorded(kernel: Recorder, trigger: str) -> None:
    chat = vi.chat("nano-banana", name="blocks")
    chat.send("a garden")
    saved = chat.default_path().read_text()

    answer = chat.send(f"{trigger} the garden")
    chat.send("add roses")

    assert len(answer) == 0 and answer.blocks
    assert [ex.prompt for ex in chat] == ["a garden", "add roses"]
    contents = kernel.sent()[-1].body["contents"]
    assert len(contents) == 3 and trigger not in json.dumps(contents)
    assert saved != chat.default_path().read_text()


def test_a_failed_turn_leaves_the_session_and_its_file_unchanged(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="fail")
    chat.send("a fox")
    before = chat.default_path().read_text()

    with recorded_emulator(fault="503") as broken:
        vi.configure(base_url=broken.base_url, max_attempts=1)
        with pytest.raises(ServiceError):
            chat.send("make it blue")
        assert len(broken.requests) == 1

    assert [ex.prompt for ex in chat] == ["a fox"] and chat.last_left_out == 0
    assert chat.default_path().read_text() == before


def test_unknown_or_unfit_options_raise_before_sending(kernel: Recorder, em: Emulator) -> None:
    chat = vi.chat("nano-banana", name="opts")
    with pytest.raises(InvalidRequest, match="colour"):
        chat.send("a fox", colour="red")
    with pytest.raises(InvalidRequest, match="512"):
        chat.send("a fox", image_size="512")
    with pytest.raises(InvalidRequest, match="does not take temperature"):
        chat.send("a fox", temperature=0.5)
    with pytest.raises(InvalidRequest, match="empty"):
        chat.send("  ")
    assert em.requests == [] and len(chat) == 0


def test_session_defaults_apply_to_every_turn_and_a_turn_can_override(kernel: Recorder) -> None:
    chat = ImageSession("nano-banana", name="wide", aspect_ratio="16:9", thinking="high")
    chat.send("a train")
    chat.send("make it red", aspect_ratio="1:1")

    first, second = (call.body["generationConfig"] for call in kernel.sent())
    assert first["imageConfig"] == {"aspectRatio": "16:9"} and first["thinkingConfig"] == {"thinkingLevel": "HIGH"}
    assert second["imageConfig"] == {"aspectRatio": "1:1"} and second["thinkingConfig"] == {"thinkingLevel": "HIGH"}


def test_images_given_to_a_turn_go_inline_after_the_prompt(kernel: Recorder) -> None:
    (picture,) = vi.generate_images("a teapot", model="nano-banana")
    chat = vi.chat("nano-banana", name="pic")
    chat.send("put this on a table", images=picture)

    parts = kernel.sent()[-1].body["contents"][0]["parts"]
    assert parts[0] == {"text": "put this on a table"}
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == picture.data
    assert LONG_BASE64.search(chat.default_path().read_text()) is None
    assert ImageSession.load(chat.default_path()).exchanges[0].user == chat.exchanges[0].user


def test_asend_from_a_running_loop(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="async")

    async def two_turns() -> None:
        await chat.asend("a lamp")
        await chat.asend("make it green")

    asyncio.run(two_turns())
    assert [len(call.body["contents"]) for call in kernel.sent()] == [1, 3]


def test_turns_sent_at_once_run_one_after_the_other(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="both")

    async def both() -> None:
        await asyncio.gather(chat.asend("a fox"), chat.asend("make it blue"))

    asyncio.run(both())

    assert [len(call.body["contents"]) for call in kernel.sent()] == [1, 3]
    assert [ex.prompt for ex in chat] == ["a fox", "make it blue"]


# save and load ----------------------------------------------------------------------------------
def test_save_and_load_in_a_fresh_kernel_send_byte_identical_contents(
    kernel: Recorder, em: Emulator, tmp_path: Path
) -> None:
    vi.configure(emulator_mode="gemini-api")
    chat = vi.chat(PRO, name="trip")
    chat.send("a lighthouse")
    chat.send("make the sea stormy")
    path = chat.save(tmp_path / "kept" / "trip.json")
    chat.send("add a ship")
    original = kernel.sent()[-1].body

    registry.reset()
    vi.configure(backend="emulator", base_url=em.base_url, emulator_mode="gemini-api",
                 output_dir=str(tmp_path / "elsewhere"))
    loaded = ImageSession.load(path)
    loaded.send("add a ship")
    resumed = kernel.sent()[-1]

    assert resumed.status == 200
    assert json.dumps(resumed.body["contents"]) == json.dumps(original["contents"])
    assert loaded.name == "trip" and loaded.model == PRO
    assert [ex.prompt for ex in loaded] == ["a lighthouse", "make the sea stormy", "add a ship"]
    assert [ex.images[0].data for ex in loaded][:2] == [ex.images[0].data for ex in chat][:2]


def test_the_session_file_refers_to_images_and_never_embeds_them(kernel: Recorder) -> None:
    vi.configure(emulator_mode="gemini-api")
    chat = vi.chat(PRO, name="lean")
    for prompt in ("a cabin", "add snow", "add smoke from the chimney"):
        chat.send(prompt)

    path = chat.default_path()
    text = path.read_text()
    image_bytes = sum(len(image.data) for ex in chat for image in ex.images)
    assert path.stat().st_size < 16_000 < image_bytes
    assert LONG_BASE64.search(text) is None
    blobs = {blob.read_bytes() for blob in (path.parent / "blobs").iterdir()}
    assert {image.data for ex in chat for image in ex.images} <= blobs
    assert len(ImageSession.load(path)) == 3


def _png(size: tuple[int, int], shade: int = 0) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (shade, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _odd_png() -> tuple[bytes, str]:
    """A PNG whose URL-safe unpadded base64 differs from the standard text (has + or /, needs padding)."""
    for shade in range(256):
        data = _png((24, 16), shade)
        standard = base64.b64encode(data).decode()
        if len(data) % 3 and ("+" in standard or "/" in standard):
            return data, base64.urlsafe_b64encode(data).decode().rstrip("=")
    raise AssertionError("no suitable PNG")


def test_url_safe_unpadded_model_images_stay_inline_and_replay_as_the_exact_string(
    kernel: Recorder, tmp_path: Path
) -> None:
    data, odd = _odd_png()
    plain = base64.b64encode(_png((30, 20))).decode()  # standard base64: goes to a blob file
    chat = vi.chat("nano-banana", name="odd")
    chat.exchanges.append(
        Exchange(
            user={"role": "user", "parts": [{"text": "a blue tile"}]},
            model={"role": "model", "parts": [
                {"text": "Here it is.", "thoughtSignature": "c2lnMQ=="},
                {"inlineData": {"mimeType": "image/png", "data": odd}, "thoughtSignature": "c2lnMg=="},
                {"inlineData": {"mimeType": "image/png", "data": plain}},
            ]},
            prompt="a blue tile",
        )
    )
    path = chat.save(tmp_path / "odd.json")

    text = path.read_text()
    assert odd in text and plain not in text
    loaded = ImageSession.load(path)
    assert loaded.exchanges[0].model == chat.exchanges[0].model
    loaded.send("make it green")
    call = kernel.sent()[-1]
    assert call.status == 200
    assert call.body["contents"][1] == chat.exchanges[0].model
    assert call.body["contents"][1]["parts"][1]["inlineData"]["data"] == odd


def test_load_refuses_other_files_and_missing_blobs(kernel: Recorder, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(InvalidRequest, match="not a vertex-image session"):
        ImageSession.load(other)
    with pytest.raises(InvalidRequest, match="No session file"):
        ImageSession.load(tmp_path / "nothing.json")

    for damaged in ('[1, 2]', '{"format": "vertex-image-session", "version": 1, "model": "nano-banana", '
                    '"name": "x", "exchanges": [{"prompt": "a"}]}'):
        other.write_text(damaged)
        with pytest.raises(InvalidRequest, match="session file"):
            ImageSession.load(other)
    other.write_text('{"format": "vertex-image-session", "version": 99, "model": "nano-banana", "name": "x"}')
    with pytest.raises(InvalidRequest, match="newer"):
        ImageSession.load(other)

    chat = vi.chat("nano-banana", name="gone")
    chat.send("a pear")
    path = chat.save(tmp_path / "gone" / "gone.json")
    for blob in (path.parent / "blobs").iterdir():
        blob.unlink()
    with pytest.raises(InvalidRequest, match="missing"):
        ImageSession.load(path)


# the request-size budget ------------------------------------------------------------------------
def _text_exchange(number: int, size: int) -> Exchange:
    return Exchange(
        user={"role": "user", "parts": [{"text": f"turn {number}"}]},
        model={"role": "model", "parts": [{"text": f"{number} " + "x" * size}]},
        prompt=f"turn {number}",
    )


def _image_exchange(number: int, data: bytes) -> Exchange:
    return Exchange(
        user={"role": "user", "parts": [{"text": f"turn {number}"}]},
        model={"role": "model", "parts": [
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
        ]},
        prompt=f"turn {number}",
    )


def _alternates(contents: list[dict[str, Any]]) -> bool:
    return _roles(contents) == ["user", "model"] * (len(contents) // 2) + ["user"]


def test_the_budget_cuts_whole_exchanges_from_the_oldest_and_reports_the_count(
    kernel: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = vi.chat("nano-banana", name="budget")
    chat.exchanges = [_text_exchange(number, 40_000) for number in range(1, 6)]
    size = chat.exchanges[0].wire_size()
    monkeypatch.setitem(session_module.REQUEST_LIMIT_BYTES, "vertex", 2 * size + size // 2 + 8192)

    planned = chat.request_contents("turn 6")
    result = _send(chat, "turn 6")

    assert _alternates(planned) and len(planned) == 5
    assert [content["parts"][0]["text"] for content in planned[::2]] == ["turn 4", "turn 5", "turn 6"]
    assert (result.exchanges_sent, result.exchanges_left_out) == (2, 3)
    call = kernel.sent()[-1]
    assert call.body["contents"] == planned
    assert result.images[0].parameters["history_left_out"] == 3
    assert chat.last_left_out == 3 and len(chat) == 6


def test_an_exchange_over_the_budget_alone_leaves_only_the_new_turn(
    kernel: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = vi.chat("nano-banana", name="tight")
    chat.exchanges = [_text_exchange(1, 100), _text_exchange(2, 60_000)]
    monkeypatch.setitem(session_module.REQUEST_LIMIT_BYTES, "vertex", 30_000)

    result = _send(chat, "turn 3")

    assert kernel.sent()[-1].body["contents"] == [{"role": "user", "parts": [{"text": "turn 3"}]}]
    assert (result.exchanges_sent, result.exchanges_left_out) == (0, 2)


def test_an_inline_image_over_the_part_limit_is_left_out_with_everything_older(
    kernel: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = _odd_png()
    big = data + bytes(range(256)) * 20  # over the per-part limit below
    chat = vi.chat("nano-banana", name="parts")
    chat.exchanges = [_image_exchange(1, data), _image_exchange(2, big), _image_exchange(3, data),
                      _text_exchange(4, 10)]
    monkeypatch.setitem(session_module.INLINE_PART_LIMIT_BYTES, "vertex", len(data) + 1000)

    result = _send(chat, "turn 5")

    contents = kernel.sent()[-1].body["contents"]
    assert _alternates(contents)
    assert [content["parts"][0]["text"] for content in contents[::2]] == ["turn 3", "turn 4", "turn 5"]
    assert (result.exchanges_sent, result.exchanges_left_out) == (2, 2)


# followers --------------------------------------------------------------------------------------
class Follower:
    """Records each change it is told about, with the session's turns at that moment."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, bool]] = []

    def on_change(self, chat: ImageSession, change: str) -> None:
        saved = json.loads(chat.default_path().read_text())
        self.seen.append((change, len(chat), len(saved["exchanges"]) == len(chat)))


def test_subscribers_hear_each_turn_undo_and_reset_after_it_is_recorded_and_saved(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="heard")
    follower = Follower()
    chat.subscribe(follower.on_change)

    chat.send("a fox")
    chat.send("make it blue")
    chat.undo()
    chat.reset()

    assert follower.seen == [("turn", 1, True), ("turn", 2, True), ("undo", 1, True), ("reset", 0, True)]


def test_a_blocked_failed_or_refused_change_is_not_announced(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="quiet")
    follower = Follower()
    chat.subscribe(follower.on_change)

    assert len(chat.send("blockme a garden")) == 0
    with pytest.raises(InvalidRequest):
        chat.undo()  # nothing to undo
    with pytest.raises(InvalidRequest):
        chat.send("a fox", colour="red")
    with recorded_emulator(fault="503") as broken:
        vi.configure(base_url=broken.base_url, max_attempts=1)
        with pytest.raises(ServiceError):
            chat.send("a fox")

    assert follower.seen == [] and len(chat) == 0


def test_unsubscribe_stops_the_calls_and_leaves_other_subscribers(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="unsub")
    leaving, staying = Follower(), Follower()
    stop = chat.subscribe(leaving.on_change)
    chat.subscribe(staying.on_change)
    chat.subscribe(leaving.on_change)  # the same callback twice: each subscription stands alone

    chat.send("a fox")
    stop()
    stop()  # a second call is harmless
    chat.undo()

    assert [change for change, _, _ in leaving.seen] == ["turn", "turn", "undo"]
    assert [change for change, _, _ in staying.seen] == ["turn", "undo"]


def test_the_session_holds_its_subscribers_weakly(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="weak")
    follower = Follower()
    chat.subscribe(follower.on_change)
    gone = weakref.ref(follower)
    calls: list[str] = []

    def plain(session: ImageSession, change: str) -> None:
        calls.append(change)

    chat.subscribe(plain)
    del follower
    gc.collect()

    assert gone() is None  # the session did not keep it alive
    chat.send("a fox")
    assert calls == ["turn"]
    del plain
    gc.collect()
    chat.undo()
    assert calls == ["turn"] and len(chat) == 0


def test_a_failing_subscriber_is_logged_and_breaks_neither_the_turn_nor_the_others(
    kernel: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    chat = vi.chat("nano-banana", name="sturdy")
    follower = Follower()

    class Broken:
        def on_change(self, session: ImageSession, change: str) -> None:
            raise RuntimeError("follower bug")

    broken = Broken()
    chat.subscribe(broken.on_change)
    chat.subscribe(follower.on_change)

    with caplog.at_level(logging.DEBUG, logger="vertex_image.base.notify"):
        images = chat.send("a fox")
        chat.undo()

    assert len(images) == 1 and len(chat) == 0
    assert [change for change, _, _ in follower.seen] == ["turn", "undo"]
    failures = [record for record in caplog.records if record.exc_info and "follower bug" in str(record.exc_info[1])]
    assert len(failures) == 2 and all(record.levelno == logging.DEBUG for record in failures)


def test_a_turn_from_another_thread_is_announced_on_that_thread(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="threads")
    threads: list[threading.Thread] = []

    def on_change(session: ImageSession, change: str) -> None:
        threads.append(threading.current_thread())

    chat.subscribe(on_change)
    chat.send("a fox")  # the turn runs on the runtime loop's thread
    chat.undo()  # this one here

    assert threads[0] is not threading.current_thread() and threads[1] is threading.current_thread()


# all or nothing: a change that cannot be saved, bad input ---------------------------------------
def _file_in_the_way(folder: Path) -> Path:
    """Move ``folder`` aside and put an empty file in its place; returns where the folder went."""
    aside = folder.with_name(folder.name + ".aside")
    folder.rename(aside)
    folder.write_bytes(b"")
    return aside


def _folder_back(folder: Path, aside: Path) -> None:
    folder.unlink()
    aside.rename(folder)


class NameFollower:
    """Records the names ``registry.subscribe_sessions`` announces (kept alive by the test)."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self.stop = registry.subscribe_sessions(self.on_name)

    def on_name(self, name: str, chat: object) -> None:
        self.heard.append(name)


def test_a_turn_whose_file_cannot_be_written_is_kept_in_memory_and_says_how_to_save_it(kernel: Recorder) -> None:
    chat = vi.chat("nano-banana", name="c1")
    chat.send("a fox")
    seen: list[tuple[str, int]] = []

    def heard(session: ImageSession, change: str) -> None:
        seen.append((change, len(session)))

    chat.subscribe(heard)
    blobs = chat.default_path().parent / "blobs"  # where the new turn's inline images would go
    aside = _file_in_the_way(blobs)
    files_before = sessions_state()["files"]

    images = chat.send("make it blue")  # paid for: the images come back and the turn is kept

    assert images.images and images.images[0].data and images.images[0].path  # the image folder was fine
    (notice,) = [line for line in images.notices if "kept in memory only" in line]
    assert "\n" not in notice and notice.startswith("Cannot save session 'c1'")
    assert "%gemini_image save PATH -S c1" in notice
    assert len(kernel.sent()) == 2 and len(chat) == 2 and seen == [("turn", 2)]
    assert sessions_state()["files"] == files_before  # the file keeps its old content

    _folder_back(blobs, aside)
    chat.send("make it red")  # once fixed, the next turn writes the whole conversation
    assert [ex["prompt"] for ex in json.loads(chat.default_path().read_text())["exchanges"]] == [
        "a fox", "make it blue", "make it red"]
    assert len(kernel.sent()[-1].body["contents"]) == 5  # the kept turn is in the history


@pytest.mark.parametrize("change", ["undo", "reset"])
def test_a_change_that_cannot_be_saved_leaves_memory_and_disk_as_they_were(kernel: Recorder, change: str) -> None:
    chat = vi.chat("nano-banana", name="c1")
    chat.send("a fox")
    chat.send("make it blue")
    follower = Follower()
    chat.subscribe(follower.on_change)
    original = sessions_state()
    folder = chat.default_path().parent
    aside = _file_in_the_way(folder)  # the reviewer's case: OUT/sessions is a regular file
    before = sessions_state()
    action = {"turn": lambda: chat.send("add a hat"), "undo": chat.undo, "reset": chat.reset}[change]

    with pytest.raises(StorageError, match="is a file, not a folder") as failed:
        action()

    assert "\n" not in str(failed.value)
    assert sessions_state() == before and follower.seen == []
    _folder_back(folder, aside)
    assert sessions_state() == original
    action()
    assert len(chat) == {"turn": 3, "undo": 1, "reset": 0}[change]
    assert [seen[0] for seen in follower.seen] == [change]


def test_a_replacing_sessions_first_turn_that_cannot_be_saved_replaces_it_in_memory_and_leaves_the_file(
    kernel: Recorder,
) -> None:
    old = open_session("c1", "nano-banana")
    old.send("a fox")
    names = NameFollower()
    fresh = open_session("c1", "nano-banana", new=True)
    folder = old.default_path().parent
    aside = _file_in_the_way(folder)
    files_before = sessions_state()["files"]

    images = fresh.send("a cat")

    assert images.images and any("kept in memory only" in line for line in images.notices)
    assert sessions_state()["files"] == files_before and registry.state().sessions["c1"] is fresh
    assert names.heard == ["c1"]
    _folder_back(folder, aside)
    fresh.send("a hat")
    assert [ex["prompt"] for ex in json.loads(fresh.default_path().read_text())["exchanges"]] == ["a cat", "a hat"]


@pytest.mark.parametrize("prompt", [None, 5, b"a fox", ["a fox"]])
def test_a_prompt_that_is_not_text_is_refused_and_changes_nothing(kernel: Recorder, prompt: Any) -> None:
    chat = vi.chat("nano-banana", name="c1")
    chat.send("a fox")
    before, sent = sessions_state(), len(kernel.sent())

    with pytest.raises(InvalidRequest, match="The prompt must be text") as refused:
        chat.send(prompt)

    assert "\n" not in str(refused.value)
    assert sessions_state() == before and len(kernel.sent()) == sent


BAD_SESSION_INPUT = {
    "chat name 5": lambda: vi.chat(name=5),
    "session name 5": lambda: ImageSession(name=5),
    "session name with a slash": lambda: vi.chat(name="a/b"),
    "branch name 5": lambda: registry.state().sessions["c1"].branch(5),
    "branch to its own name": lambda: registry.state().sessions["c1"].branch("c1"),
    "branch to a name in use": lambda: registry.state().sessions["c1"].branch("c2"),
    "thinking x": lambda: vi.chat(name="c1", thinking="x"),
    "thinking medium on 3.1": lambda: vi.chat("nano-banana-2", name="c3", thinking="medium"),
    "temperature on 2.1": lambda: vi.chat("nano-banana", name="c3", temperature=0.5),
    "retired model": lambda: vi.chat("gemini-3-pro-image-preview", name="c3"),
    "negative seed": lambda: vi.chat("nano-banana", name="c1", seed=-1),
    "ratio of no model": lambda: vi.chat("nano-banana", name="c1", aspect_ratio="7:3"),
    "size the model lacks": lambda: vi.chat("nano-banana", name="c3", image_size="512"),
    "unknown option": lambda: vi.chat("nano-banana", name="c1", colour="red"),
    "model 5": lambda: vi.chat(5, name="c3"),
    "open thinking x": lambda: open_session("c1", thinking="x"),
    "open new='yes'": lambda: open_session("c1", new="yes"),
    "open other model": lambda: open_session("c1", "nano-banana-pro"),
    "open other option": lambda: open_session("c1", thinking="minimal"),
    "turn model 5": lambda: registry.state().sessions["c1"].send("a hat", model=5),
}


@pytest.mark.parametrize("case", sorted(BAD_SESSION_INPUT))
def test_bad_session_input_is_a_one_line_invalid_request_and_changes_nothing(kernel: Recorder, case: str) -> None:
    open_session("c1", "nano-banana", thinking="high").send("a fox")
    open_session("c2", "nano-banana").send("a cat")
    names = NameFollower()
    before, sent = sessions_state(), len(kernel.sent())

    with pytest.raises(InvalidRequest) as refused:
        BAD_SESSION_INPUT[case]()

    assert "\n" not in str(refused.value) and str(refused.value).endswith((".", ")"))
    assert sessions_state() == before and names.heard == [] and len(kernel.sent()) == sent


def test_default_options_only_the_vertex_api_takes_are_refused_on_the_gemini_api(kernel: Recorder) -> None:
    vi.configure(emulator_mode="gemini-api")
    with pytest.raises(InvalidRequest, match="Vertex AI only"):
        open_session("c1", "nano-banana", person_generation="allow_adult")
    assert registry.state().sessions == {}


def test_a_branch_that_cannot_be_saved_takes_no_name(kernel: Recorder) -> None:
    day = open_session("day", "nano-banana")
    day.send("a castle")
    folder = day.default_path().parent
    aside = _file_in_the_way(folder)
    before = sessions_state()

    with pytest.raises(StorageError, match="no branch was made"):
        day.branch("night")

    assert sessions_state() == before and "night" not in registry.state().sessions
    _folder_back(folder, aside)
    night = day.branch("night")
    assert registry.state().sessions["night"] is night and night.default_path().is_file()
    assert day.branch("night", replace=True) is registry.state().sessions["night"]
