"""core/named_sessions.py: the kernel's sessions by name, in memory and on disk; a name is never taken silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apihelpers import Recorder, em, kernel, recorded_emulator, recorder, sessions_state  # noqa: F401 - fixtures
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.models import resolve_model
from vertex_image.core import registry
from vertex_image.core.named_sessions import (
    default_session_name,
    existing_session,
    load_session,
    open_session,
    session_for_turn,
    session_named,
    session_names,
    session_path,
    session_rows,
)


def test_rows_and_names_cover_memory_and_disk(kernel: Recorder) -> None:
    open_session("both", "nano-banana").send("a fox")
    open_session("memory", "nano-banana")
    open_session("disk", "nano-banana").send("a cat")
    del registry.state().sessions["disk"]
    (session_path("disk").parent / "notes.json").write_text("{}")  # not a session file
    model = resolve_model("nano-banana").id
    assert session_rows() == [
        ("both", model, "1", "memory, disk"),
        ("disk", model, "1", "disk"),
        ("memory", model, "0", "memory"),
    ]
    assert session_names() == ["both", "disk", "memory", "notes"]


def test_existing_session_reads_a_file_once_and_keeps_it_in_memory(kernel: Recorder) -> None:
    open_session("fox", "nano-banana").send("a fox")
    registry.state().sessions.clear()
    resumed = existing_session("fox")
    assert resumed is not None and [ex.prompt for ex in resumed] == ["a fox"]
    assert existing_session("fox") is resumed and registry.state().sessions["fox"] is resumed
    assert existing_session("nobody") is None


def test_a_new_session_takes_its_name_only_with_its_first_recorded_turn(kernel: Recorder) -> None:
    made = session_named("new", create=True, model="nano-banana")
    assert made is not None and "new" not in registry.state().sessions and not session_path("new").exists()
    assert session_named("other", create=False, model=None) is None
    made.send("blockme a cat")  # blocked: nothing recorded, no name taken
    assert "new" not in registry.state().sessions
    made.send("a cat")
    assert registry.state().sessions["new"] is made and session_path("new").is_file()


def test_session_for_turn_says_whether_the_session_is_in_memory(kernel: Recorder) -> None:
    fresh, registered = session_for_turn("t", new=False, model="nano-banana")
    assert not registered and len(fresh) == 0
    registry.state().sessions["t"] = fresh
    assert session_for_turn("t", new=False, model=None) == (fresh, True)
    replacement, registered = session_for_turn("t", new=True, model="nano-banana")
    assert replacement is not fresh and not registered


def test_open_session_resumes_a_name_from_memory_or_disk_as_it_is(kernel: Recorder) -> None:
    first = open_session("c1", "nano-banana", thinking="high")
    assert registry.state().sessions["c1"] is first  # an unused name is taken at once
    first.send("a fox")

    assert open_session("c1") is first
    assert open_session("c1", "nano-banana", thinking="high") is first  # the same settings: the same session
    with pytest.raises(InvalidRequest, match=r"'c1' exists \(1 turn\) with other settings \(model gemini-nano-banana-2.1"):
        open_session("c1", "nano-banana-pro")

    registry.state().sessions.clear()  # as after a restart: only the file is left
    resumed = open_session("c1")
    assert registry.state().sessions["c1"] is resumed and [ex.prompt for ex in resumed] == ["a fox"]
    resumed.send("make it blue")
    assert len(kernel.sent()[-1].body["contents"]) == 3
    assert kernel.sent()[-1].body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "HIGH"}


def test_open_session_without_a_name_takes_the_first_free_chat_name_never_default(kernel: Recorder) -> None:
    first = open_session(None, "nano-banana")
    first.send("a fox")
    second = open_session(None, "nano-banana")

    assert (first.name, second.name) == ("chat-1", "chat-2")
    assert registry.state().sessions == {"chat-1": first, "chat-2": second}
    assert not session_path("default").exists() and session_path("chat-1").is_file()


@pytest.mark.parametrize("first_turn", ["blockme a cat", "a cat"])
def test_open_session_new_replaces_the_name_only_once_its_first_turn_is_recorded(
    kernel: Recorder, first_turn: str
) -> None:
    old = open_session("c1", "nano-banana")
    old.send("a fox")
    old.send("make it blue")
    before = sessions_state()

    fresh = open_session("c1", "nano-banana", new=True)
    assert fresh is not old and len(fresh) == 0 and sessions_state() == before
    fresh.send(first_turn)

    if first_turn.startswith("blockme"):
        assert sessions_state() == before
    else:
        assert registry.state().sessions["c1"] is fresh
        saved = json.loads(fresh.default_path().read_text())
        assert [ex["prompt"] for ex in saved["exchanges"]] == ["a cat"]
        assert len(kernel.sent()[-1].body["contents"]) == 1


def test_load_refuses_a_name_in_use_unless_told_to_replace_it(kernel: Recorder, tmp_path: Path) -> None:
    open_session("c1", "nano-banana").send("a fox")
    other = open_session("c2", "nano-banana")
    other.send("a cat")
    other.send("make it black")
    exported = other.save(tmp_path / "export" / "c2.json")
    before = sessions_state()

    with pytest.raises(InvalidRequest, match=r"'c1' exists already \(in memory and on disk\)"):
        load_session(exported, name="c1")
    with pytest.raises(InvalidRequest, match="'c2' exists already"):
        load_session(exported)  # the name in the file
    assert sessions_state() == before
    registry.state().sessions.clear()  # only on disk now
    before = sessions_state()
    with pytest.raises(InvalidRequest, match=r"'c1' exists already \(on disk\)"):
        load_session(exported, name="c1")
    assert sessions_state() == before

    assert len(load_session(exported, name="c3")) == 2  # an unused name
    replaced = load_session(exported, name="c1", replace=True)
    assert registry.state().sessions["c1"] is replaced and len(replaced) == 2
    assert len(json.loads(replaced.default_path().read_text())["exchanges"]) == 2
    again = load_session(session_path("c1"))  # the session's own file in the store: read back, nothing replaced
    assert registry.state().sessions["c1"] is again and len(again) == 2


# issue 12: sessions never cross notebooks unasked ---------------------------------------------------
def test_the_unnamed_session_is_named_after_the_notebook_and_never_takes_a_name_on_disk(kernel: Recorder) -> None:  # noqa: F811

    open_session("default", "nano-banana").send("a paper boat")  # an earlier kernel's unnamed session
    registry.state().sessions.clear()
    registry.state().default_session = None  # a fresh kernel
    told: list[str] = []
    assert default_session_name(None, tell=told.append) == "default-2"
    assert told == ["this notebook's session is 'default-2': 'default' is an earlier one, left as it is "
                    "(-S default resumes it)"]
    assert default_session_name("/x/other.ipynb") == "default-2"  # chosen once per kernel
    registry.state().default_session = None
    assert default_session_name("/home/me/Paper Boats!.ipynb") == "Paper-Boats"
    fresh, _ = session_for_turn("default", new=False, model=None, resume=False)
    assert len(fresh) == 0  # the unnamed session is never resumed from disk


def test_resuming_from_disk_always_says_so_in_one_line(kernel: Recorder) -> None:  # noqa: F811
    open_session("fox", "nano-banana").send("a fox")
    registry.state().sessions.clear()
    told: list[str] = []
    session, registered = session_for_turn("fox", new=False, model=None, tell=told.append)
    assert len(session) == 1 and not registered
    assert told == [f"resuming 'fox' from {session_path('fox')}: 1 turn"]
    told.clear()
    assert len(open_session("fox", tell=told.append)) == 1
    assert told == [f"resuming 'fox' from {session_path('fox')}: 1 turn"]
    told.clear()
    open_session("fox", tell=told.append)  # in memory now: nothing to say
    assert told == []
