"""Replay from the store (core.replay): keys, modes, one-shot and session replays against the emulator, export."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, sidecar  # noqa: F401 - fixtures
from vertex_image.base.config import resolve_settings
from vertex_image.base.errors import NotRecorded
from vertex_image.core import registry, replay

PRO = "gemini-nano-banana-2.1"


# keys and modes ---------------------------------------------------------------------------------
def _body(data: str, seed: int = 1) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "a fox"}, {"inlineData": {"mimeType": "image/png",
            "data": data}}]}], "generationConfig": {"seed": seed}}  # fmt: skip


def test_the_key_hashes_image_bytes_not_their_base64_spelling() -> None:
    raw = bytes(range(250))
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    inputs: list[str] = []
    key = replay.request_key(PRO, "generateContent", "gemini-api", _body(standard), inputs)
    assert key == replay.request_key(PRO, "generateContent", "gemini-api", _body(urlsafe))
    assert len(key) == 64 and len(inputs) == 1 and len(inputs[0]) == 16
    others = {
        replay.request_key(PRO, "generateContent", "gemini-api", _body(standard, seed=2)),
        replay.request_key(PRO, "generateContent", "vertex", _body(standard)),
        replay.request_key("gemini-nano-banana-2", "generateContent", "gemini-api", _body(standard)),
        replay.request_key(PRO, "generateContent", "gemini-api", _body(base64.b64encode(raw[:-1]).decode())),
    }
    assert key not in others and len(others) == 4


def test_modes_auto_replays_seeds_and_turns_only_and_the_environment_forces_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_settings(configured={"replay": "on"}).replay == "auto"
    with pytest.raises(vi.InvalidRequest, match="off, auto"):
        resolve_settings(configured={"replay": "sometimes"})
    settings = resolve_settings(configured={"replay": "auto"})
    assert replay.mode(settings) == "auto" and replay.mode(settings, "off") == "off"
    assert replay.applies("auto", seed=3, session=False) and replay.applies("auto", seed=None, session=True)
    assert not replay.applies("auto", seed=None, session=False)
    assert replay.applies("only", seed=None, session=False) and not replay.applies("off", seed=1, session=True)
    monkeypatch.setenv("VERTEX_IMAGE_REPLAY", "only")
    assert replay.mode(resolve_settings(configured={"replay": "off"}), "off") == "only"


# one-shot calls -----------------------------------------------------------------------------------
def test_a_seeded_call_is_answered_from_the_store_with_the_same_bytes_and_no_request(kernel: Recorder) -> None:
    vi.configure(replay="auto")
    first = vi.generate_images("a red fox", seed=7, n=2)
    sent = len(kernel.sent("generateContent"))
    again = vi.generate_images("a red fox", seed=7, n=2)
    assert len(kernel.sent("generateContent")) == sent == 2
    assert [image.data for image in again] == [image.data for image in first]
    assert again.cost is not None and again.cost.usd == 0.0 and first.cost is not None and first.cost.usd > 0
    assert again.notices == (f"replayed: saved {_today()}, $0.00",)
    assert "replayed: saved" in repr(again)
    # the key sits in the sidecars, the index lines and the call's charge line
    store = registry.state().store()
    keys = {image.replay_key for image in first}
    assert len(keys) == 2 and all(len(key) == 64 for key in keys)
    assert sidecar(first[0])["replay_key"] == first[0].replay_key
    assert {entry["replay_key"] for entry in store.entries()} == keys
    assert set(store.charges()[0]["replay_keys"]) == keys


def test_a_recorded_answer_names_each_saved_image_by_its_file_and_keeps_no_copy_of_its_base64(kernel: Recorder) -> None:
    shown = vi.generate_images("two red foxes", seed=4, n=2)
    store = registry.state().store()
    record = store.replay_record(shown[0].replay_key)
    assert record is not None
    blobs = [part["inlineData"] for part in record["model_content"]["parts"] if "inlineData" in part]
    assert [blob["$image"] for blob in blobs if "$image" in blob] == [Path(shown[0].path).name]
    assert all("data" not in blob for blob in blobs)
    files = {Path(image.path).name for image in shown}
    for image in shown:  # each answer (one image each) is kept under its own key, naming its own file
        found = store.replay_record(image.replay_key)
        assert found is not None
        named = [p["inlineData"]["$image"] for p in found["model_content"]["parts"] if "$image" in p.get("inlineData", {})]
        assert Path(image.path).name in named and set(named) <= files


def test_a_call_is_one_commit_its_images_its_charge_and_its_answers(kernel: Recorder, monkeypatch: Any) -> None:
    from vertex_image.results.index_db import IndexDB

    vi.generate_images("a warm-up fox", seed=1)  # the index exists: its creation is not a call's commit
    commits: list[int] = []
    writing = IndexDB.writing
    monkeypatch.setattr(IndexDB, "writing", lambda self: (commits.append(1), writing(self))[1])
    shown = vi.generate_images("two red foxes", seed=4, n=2)
    assert len(commits) == 1  # before: one for the images, one for the charge, and a file per answer
    store = registry.state().store()
    assert all(store.replay_record(image.replay_key) for image in shown)
    assert set(store.charges()[-1]["replay_keys"]) == {image.replay_key for image in shown}
    assert not (Path(shown[0].path).parent / "replay" / f"{shown[0].replay_key}.json").exists()


def test_an_answer_kept_as_a_file_by_an_earlier_version_still_replays(kernel: Recorder) -> None:
    vi.configure(replay="auto")
    first = vi.generate_images("a red fox", seed=7)
    store = registry.state().store()
    record = store.replay_record(first[0].replay_key)
    folder = Path(first[0].path).parent
    (folder / "replay").mkdir(exist_ok=True)
    (folder / "replay" / f"{first[0].replay_key}.json").write_text(json.dumps(record))
    store._index.connect().execute("DELETE FROM replays")  # the store as an earlier version left it
    sent = len(kernel.sent("generateContent"))
    again = vi.generate_images("a red fox", seed=7)
    assert len(kernel.sent("generateContent")) == sent and again[0].data == first[0].data


def test_a_seedless_call_is_sent_again_under_auto_and_a_different_seed_too(kernel: Recorder) -> None:
    vi.configure(replay="auto")
    vi.generate_images("a red fox")
    vi.generate_images("a red fox")
    vi.generate_images("a red fox", seed=1)
    vi.generate_images("a red fox", seed=2)
    assert len(kernel.sent("generateContent")) == 4


def test_off_sends_and_per_call_replay_overrides_the_setting(kernel: Recorder) -> None:
    vi.generate_images("a red fox", seed=7)
    vi.generate_images("a red fox", seed=7)  # off by default
    assert len(kernel.sent("generateContent")) == 2
    replayed = vi.generate_images("a red fox", seed=7, replay="on")
    assert len(kernel.sent("generateContent")) == 2 and replayed.cost is not None and replayed.cost.usd == 0
    with pytest.raises(vi.InvalidRequest, match="replay must be off, auto"):
        vi.generate_images("a red fox", seed=7, replay="maybe")


def test_only_refuses_an_unrecorded_request_in_one_line_naming_it_and_sends_nothing(kernel: Recorder) -> None:
    vi.configure(replay="only")
    with pytest.raises(NotRecorded) as caught:
        vi.generate_images("a lighthouse at dusk", seed=3)
    message = str(caught.value)
    assert "\n" not in message and '"a lighthouse at dusk"' in message and "seed 3" in message
    assert kernel.sent() == []
    with pytest.raises(NotRecorded, match="a lighthouse"):
        vi.generate_images("a lighthouse at dusk")  # only replays seedless calls too, so it refuses them
    assert kernel.sent() == []


def test_a_missing_image_file_makes_the_answer_unrecorded(kernel: Recorder) -> None:
    first = vi.generate_images("a red fox", seed=7)
    Path(first[0].path).unlink()
    with pytest.raises(NotRecorded):
        vi.generate_images("a red fox", seed=7, replay="only")


# sessions -----------------------------------------------------------------------------------------
PROMPTS = ["a watercolor fox", "make the sky purple", "add a small moon", "add falling snow"]


def test_four_turns_replayed_then_a_fifth_sent_live_passes_the_signature_check(kernel: Recorder) -> None:
    vi.configure(emulator_mode="gemini-api", replay="auto")
    recorded = vi.chat(PRO, name="walk", new=True)
    originals = [recorded.send(prompt, seed=5) for prompt in PROMPTS]
    assert len(kernel.sent("generateContent")) == 4

    again = vi.chat(PRO, name="walk2", new=True)
    replays = [again.send(prompt, seed=5) for prompt in PROMPTS]
    assert len(kernel.sent("generateContent")) == 4  # nothing sent for the replayed turns
    assert [r[0].data for r in replays] == [o[0].data for o in originals]
    assert all(r.cost is not None and r.cost.usd == 0 for r in replays)
    assert [ex.model for ex in again.exchanges] == [ex.model for ex in recorded.exchanges]  # signatures included

    fifth = again.send("add a red scarf", seed=5)
    calls = kernel.sent("generateContent")
    assert len(calls) == 5 and calls[-1].status == 200 and fifth.cost is not None and fifth.cost.usd > 0
    history = calls[-1].body["contents"]
    assert len(history) == 9 and sum("thoughtSignature" in part for part in history[7]["parts"]) >= 1

    # the check is real: the same turn with one replayed signature changed is refused by the emulator
    broken = vi.chat(PRO, name="broken", new=True)
    for prompt in PROMPTS:
        broken.send(prompt, seed=5)
    part = next(p for p in broken.exchanges[-1].model["parts"] if "thoughtSignature" in p)
    part["thoughtSignature"] = base64.b64encode(b"VIEMU\x01" + b"\0" * 32).decode()
    with pytest.raises(vi.BadRequest, match="thought_signature"):
        broken.send("add a red scarf", seed=5, replay="off")


def test_a_session_turn_replays_under_auto_without_a_seed(kernel: Recorder) -> None:
    vi.configure(emulator_mode="gemini-api", replay="auto")
    vi.chat(PRO, name="a", new=True).send("a cat")
    again = vi.chat(PRO, name="b", new=True).send("a cat")
    assert len(kernel.sent("generateContent")) == 1 and again.notices[0].startswith("replayed")


# export -------------------------------------------------------------------------------------------
def _notebook(path: Path, image_refs: list[Any]) -> Path:
    outputs = [{"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {"vertex_image": ref}}
               for ref in image_refs]  # fmt: skip
    cell = {"cell_type": "code", "source": "x", "metadata": {}, "outputs": outputs, "execution_count": 1}
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_export_copies_exactly_what_the_notebook_shows_and_the_history_behind_it(
    kernel: Recorder, tmp_path: Path
) -> None:
    vi.configure(emulator_mode="gemini-api")
    fox = vi.generate_images("a red fox", seed=7)
    unrelated = vi.generate_images("an unrelated owl", seed=8)
    chat = vi.chat(PRO, name="walk", new=True)
    turns = [chat.send(prompt, seed=5) for prompt in PROMPTS]
    notebook = _notebook(tmp_path / "work.ipynb", [{"id": fox[0].id}, {"images": [Path(turns[-1][0].path).name]}])

    bundle = Path(vi.export(notebook, tmp_path / "bundle"))
    store = bundle / "out"  # the store keeps its place beside the notebook (output_dir was tmp_path/out)
    assert (bundle / "work.ipynb").read_bytes() == notebook.read_bytes()
    shipped = {path.name for path in store.iterdir() if path.suffix in (".jpg", ".png")}
    wanted = {Path(image.path).name for image in [fox[0], *(turn[0] for turn in turns)]}
    assert shipped == wanted and Path(unrelated[0].path).name not in shipped
    assert {path.name for path in store.glob("*.json")} == {f"{name}.json" for name in wanted}  # each with its sidecar
    assert len(list((store / "replay").glob("*.json"))) == 5  # the fox and the four turns it took to get there
    index = [json.loads(line) for line in (store / "index.jsonl").read_text().splitlines()]
    assert {line["id"] for line in index if "id" in line} == {image.id for image in [fox[0], *(t[0] for t in turns)]}
    assert len([line for line in index if "charge" in line]) == 5
    assert (store / "sessions" / "walk.json").is_file()
    archive = Path(vi.export(notebook, tmp_path / "bundle.zip"))
    with zipfile.ZipFile(archive) as opened:
        assert {"work.ipynb", "out/index.jsonl"} <= set(opened.namelist())
        assert sorted(opened.namelist()) == sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*")
                                                   if p.is_file())  # fmt: skip

    # the bundle answers every one of those requests with nothing sent
    registry.reset()
    vi.configure(backend="gemini-api", output_dir=str(store), replay="only")
    assert vi.generate_images("a red fox", seed=7)[0].data == fox[0].data
    again = vi.chat(PRO, name="walk", new=True)
    assert [again.send(prompt, seed=5)[0].data for prompt in PROMPTS] == [t[0].data for t in turns]
    with pytest.raises(NotRecorded, match="an unrelated owl"):
        vi.generate_images("an unrelated owl", seed=8)


def test_export_refuses_a_non_notebook_and_a_non_empty_folder(kernel: Recorder, tmp_path: Path) -> None:
    (tmp_path / "not.ipynb").write_text("hello")
    with pytest.raises(vi.InvalidRequest, match="not a notebook"):
        vi.export(tmp_path / "not.ipynb", tmp_path / "b")
    notebook = _notebook(tmp_path / "n.ipynb", [])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(vi.InvalidRequest, match="not an empty folder"):
        vi.export(notebook, tmp_path / "full")
    assert not (tmp_path / "b").exists()


def _today() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()
