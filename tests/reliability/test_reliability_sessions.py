"""Hostile session files: a session never reads outside its own folders; a damaged file never stops listing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel  # noqa: F401 - fixtures
from vertex_image.base.errors import InvalidRequest
from vertex_image.core.named_sessions import session_names, session_rows
from vertex_image.core.session import ImageSession

CANARY = b"-----BEGIN OPENSSH PRIVATE KEY----- canary-7f3a9c\n"


def _saved_session(tmp_path: Path) -> tuple[Path, dict]:
    chat = vi.chat(name="trip")
    chat.send("a lighthouse")
    path = chat.save(tmp_path / "from-a-colleague" / "trip.json")
    return path, json.loads(path.read_text())


def _outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(CANARY)
    return secret


@pytest.mark.parametrize("where", ["relative", "absolute", "blobs-escape"])
def test_a_session_file_cannot_upload_a_file_outside_its_blobs_folder(
    kernel: Recorder, tmp_path: Path, where: str
) -> None:
    path, document = _saved_session(tmp_path)
    secret = _outside_secret(tmp_path)
    reference = {
        "relative": "../home/.ssh/id_rsa",
        "absolute": str(secret),
        "blobs-escape": "blobs/../../home/.ssh/id_rsa",
    }[where]
    document["exchanges"][0]["user"]["parts"].append({"inlineData": {"mimeType": "image/png", "$file": reference}})
    path.write_text(json.dumps(document))
    sent = len(kernel.exchanges)

    with pytest.raises(InvalidRequest, match="outside its own blobs folder") as caught:
        ImageSession.load(path)

    assert "\n" not in str(caught.value)
    assert len(kernel.exchanges) == sent
    blobs = list((path.parent / "blobs").iterdir())
    assert all(CANARY not in blob.read_bytes() for blob in blobs)


def test_an_image_record_pointing_at_a_private_file_is_refused(kernel: Recorder, tmp_path: Path) -> None:
    path, document = _saved_session(tmp_path)
    secret = _outside_secret(tmp_path)
    document["exchanges"][0]["images"][0]["path"] = str(secret)
    path.write_text(json.dumps(document))

    with pytest.raises(InvalidRequest, match="not an image saved by vertex-image"):
        ImageSession.load(path)


def test_the_session_own_blobs_still_load(kernel: Recorder, tmp_path: Path) -> None:
    path, _ = _saved_session(tmp_path)
    loaded = ImageSession.load(path)
    original = vi.chat(name="trip").exchanges[0].images[0].data
    assert len(loaded) == 1 and loaded.exchanges[0].images[0].data == original != b""


@pytest.mark.parametrize(
    "damage",
    [b"\xff\xfe not utf-8", b"{not json", b"[]", b'{"format": "vertex-image-session", "version": 1}', "dir"],
)
def test_one_damaged_session_file_does_not_stop_the_listing(kernel: Recorder, tmp_path: Path, damage: object) -> None:
    chat = vi.chat(name="good")
    chat.send("a cabin")
    folder = Path(vi.settings().output_dir) / "sessions"
    bad = folder / "bad.json"
    if damage == "dir":
        bad.mkdir()
    else:
        bad.write_bytes(damage)  # type: ignore[arg-type]

    rows = session_rows()
    assert ("good", chat.model, "1", "memory, disk") in rows
    assert "good" in session_names()


PANEL_DAMAGE = {
    "not utf-8": b"\xff\xfe not utf-8",
    "not json": b"{not json",
    "a list": b"[]",
    "no model": b'{"format": "vertex-image-session", "version": 1}',
    "exchanges of the wrong shape": json.dumps(
        {"format": "vertex-image-session", "version": 1, "name": "x", "model": "gemini-nano-banana-2.1",
         "exchanges": [{"prompt": 1}]}).encode(),
    "a newer format": json.dumps(
        {"format": "vertex-image-session", "version": 99, "name": "x", "model": "gemini-nano-banana-2.1",
         "exchanges": []}).encode(),
    "an unknown option": json.dumps(
        {"format": "vertex-image-session", "version": 1, "name": "x", "model": "gemini-nano-banana-2.1",
         "options": {"zzz": 1}, "exchanges": []}).encode(),
    "a shut-down model": json.dumps(
        {"format": "vertex-image-session", "version": 1, "name": "x", "model": "imagen-4.0-generate-001",
         "exchanges": []}).encode(),
}  # fmt: skip


@pytest.mark.parametrize("damage", PANEL_DAMAGE, ids=list(PANEL_DAMAGE))
def test_the_panel_opens_on_a_damaged_session_and_names_the_file_skipped(kernel: Recorder, damage: str) -> None:
    """Issue 17, item 9: one corrupted file in sessions/ never stops vi.panel() from opening."""
    chat = vi.chat(name="good")
    chat.send("a cabin")
    bad = Path(vi.settings().output_dir) / "sessions" / "chosen.json"
    bad.write_bytes(PANEL_DAMAGE[damage])

    for opened in (vi.panel(), vi.panel(mode="conversation"), vi.panel(session="good")):
        assert "Skipped" not in opened.status.value  # the damaged file is not the one shown: nothing to say
    shown = vi.panel(session="chosen")
    status = html.unescape(re.sub(r"<[^>]+>", " ", shown.status.value)).split("→")[0].strip()
    assert status.startswith(f"Skipped {bad}: ") and "\n" not in status, status
    shown.session.value = "good"  # the panel works on: the good session is one choice away
    assert len(shown.history.children) == 1 and shown.current_session() is chat
    assert bad.read_bytes() == PANEL_DAMAGE[damage]  # left as it was
