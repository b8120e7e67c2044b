"""Hostile image folders and indexes: every image paid for is kept, the gallery shows only images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel  # noqa: F401 - fixtures
from vertex_image.base.errors import InvalidRequest, StorageError, TargetExists, VertexImageError
from vertex_image.results.images import GeneratedImage, ImageSet
from vertex_image.results.store import ImageStore

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf0000000301010018dd8db40000000049454e44ae426082"
)


def _images(count: int) -> ImageSet:
    images = tuple(GeneratedImage.from_bytes(PNG + bytes([i]) * 8, "image/png", prompt=f"p{i}") for i in range(count))
    return ImageSet(images=images, model="m", prompt="p")


def test_a_save_error_keeps_every_other_image_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vertex_image.results import store as store_module

    store = ImageStore(tmp_path / "out")
    images = _images(4)
    real = store_module.atomic_write_all

    def refuses_image_2(files, *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(images[1].id[:8] in path.name for path, _ in files):
            raise OSError(28, "No space left on device", str(tmp_path / "out"))
        return real(files, *args, **kwargs)

    monkeypatch.setattr(store_module, "atomic_write_all", refuses_image_2)
    with pytest.raises(StorageError) as caught:
        store.save_all(images)

    error = caught.value
    assert "3 of 4 images saved; 1 kept in memory" in error.message and "\n" not in error.message
    partial = error.partial  # type: ignore[attr-defined]
    assert [bool(image.path) for image in partial] == [True, False, True, True]
    assert all(image.data for image in partial)
    assert {entry["id"] for entry in store.entries()} == {images[0].id, images[2].id, images[3].id}


@pytest.mark.parametrize("damage", ["a folder in the way", "not a database"])
def test_an_index_in_the_way_or_corrupt_keeps_all_images_in_memory(kernel: Recorder, damage: str) -> None:
    out = Path(vi.settings().output_dir)
    if damage == "a folder in the way":
        (out / "index.sqlite").mkdir(parents=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.sqlite").write_bytes(b"this is not an SQLite database, it was overwritten" * 100)
    kept = vi.generate_images("a fox", n=4)  # paid for: returned from memory with the way to save them
    assert len(kept) == 4 and all(image.data[:2] == b"\xff\xd8" and not image.path for image in kept)
    (notice,) = kept.notices
    assert "kept in memory only" in notice and ".save(" in notice and "\n" not in notice
    assert "move index.sqlite aside" in notice  # what to do about it
    with pytest.raises(StorageError) as caught:
        vi.gallery()
    assert "\n" not in str(caught.value) and "index.sqlite" in str(caught.value)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x1c", "\x0b", "\r"])
def test_line_separators_in_a_prompt_keep_the_image_listed_once(kernel: Recorder, separator: str) -> None:
    prompt = f"a fox{separator}in snow"
    first = vi.generate_images(prompt, seed=7)
    vi.generate_images(prompt, seed=7)  # a re-run adds nothing

    assert len(ImageStore(vi.settings().output_dir).entries()) == 1
    assert [image.id for image in vi.gallery()] == [first[0].id]
    assert vi.gallery(contains="in snow")[0].prompt == prompt


TAMPERED = ("index.sqlite", "index.jsonl.imported", "notes.txt", "../../etc/passwd", "/etc/passwd", "sessions")


def test_a_tampered_index_never_makes_the_gallery_return_non_images(kernel: Recorder) -> None:
    import sqlite3

    real = vi.generate_images("a fox")[0]
    out = Path(vi.settings().output_dir)
    (out / "notes.txt").write_text("not an image")
    (out / "sessions").mkdir(exist_ok=True)
    with sqlite3.connect(out / "index.sqlite") as db:  # another program wrote rows into the database
        for name in (*TAMPERED, Path(real.path).name + ".json"):
            record = json.dumps({"file": name, "id": real.id, "prompt": "a fox", "model": "m"})
            db.execute("INSERT INTO images (id, file, model, prompt_key, saved, record) VALUES (?, ?, 'm', 'a fox', 0, ?)",
                       (real.id, name, record))  # fmt: skip
    assert [image.id for image in vi.gallery()] == [real.id]
    assert [image.id for image in vi.gallery(model="m")] == []  # every row for model m is tampered
    assert vi.load(real.id[:10]).data == real.data  # the id's newest rows name non-images: the real file is found


def test_a_tampered_old_index_imported_on_open_never_makes_the_gallery_return_non_images(kernel: Recorder) -> None:
    real = vi.generate_images("a fox")[0]
    out = Path(vi.settings().output_dir)
    (out / "notes.txt").write_text("not an image")
    with open(out / "index.jsonl", "a", encoding="utf-8") as handle:  # an old index dropped into the folder
        for name in ("index.jsonl", real.id + ".png.json", "notes.txt", "../../etc/passwd", "/etc/passwd"):
            handle.write(json.dumps({"file": name, "id": name, "prompt": "x", "model": "m"}) + "\n")
    fresh = ImageStore(out)  # the next kernel opens the folder: the lines are imported
    assert [image.id for image in fresh.gallery()] == [real.id] and len(fresh.entries()) == 6


@pytest.mark.parametrize("ref", ["../../../../etc/passwd", "index.jsonl", "index.sqlite", "/etc/hostname", "sessions"])
def test_loading_a_file_that_is_not_an_image_is_refused(kernel: Recorder, ref: str) -> None:
    vi.generate_images("a fox")
    with pytest.raises(InvalidRequest) as caught:
        vi.load(ref)
    assert "\n" not in str(caught.value)


def test_saving_over_a_file_or_into_a_missing_folder_is_typed(kernel: Recorder, tmp_path: Path) -> None:
    image = vi.generate_images("a fox")[0]
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"mine")
    with pytest.raises(TargetExists, match="overwrite=True"):
        image.save(taken)
    assert taken.read_bytes() == b"mine"
    assert isinstance(TargetExists("x"), StorageError)  # one typed line, as every storage failure
    saved = image.save(tmp_path / "missing" / "fox.png")  # issue 12: a missing folder is created
    assert saved.read_bytes()[:4] == b"\x89PNG" and not list((tmp_path / "missing").glob(".vi-tmp-*"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError) as caught:
        image.save(tmp_path / "file" / "fox.png")  # a file where the folder should be
    assert ".vi-tmp-" not in str(caught.value) and "\n" not in str(caught.value)
    assert isinstance(caught.value, VertexImageError)
