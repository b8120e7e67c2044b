"""ImageStore: content-addressed files with embedded provenance, sidecars, an index, crash consistency."""

from __future__ import annotations

import functools
import io
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from vertex_image.base.config import Secret
from vertex_image.base.errors import InvalidRequest, StorageError, VertexImageError
from vertex_image.results import store as vi_store
from vertex_image.results.files import GroupSync
from vertex_image.results.images import GeneratedImage, ImageSet
from vertex_image.results.store import ImageStore

MODEL = "imagen-4.0-generate-001"
GEMINI = "gemini-2.5-flash-image"


@functools.lru_cache(maxsize=None)
def encode(size: tuple[int, int] = (64, 48), fmt: str = "PNG", colour: int = 0) -> bytes:
    """A noisy picture, the same bytes for the same arguments (``effect_noise`` is random)."""
    picture = Image.effect_noise(size, 50).convert("RGB")
    picture.paste((colour, 90, 200), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


def make(colour: int = 0, fmt: str = "PNG", **provenance: Any) -> GeneratedImage:
    fields: dict[str, Any] = {"prompt": "a red fox", "model": MODEL, "seed": 7, "parameters": {"aspect_ratio": "1:1"}}
    fields.update(provenance)
    return GeneratedImage.from_bytes(encode(colour=colour, fmt=fmt), **fields)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


INDEX_FILES = ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm")  # the database and its WAL files


def visible(root: Path) -> list[str]:
    """The images and sidecars of a folder (not the index, not hidden temporary files)."""
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and p.name not in INDEX_FILES)


def hold_the_pass(monkeypatch: pytest.MonkeyPatch, pass_: GroupSync | None = None) -> GroupSync:
    """The store's background pass (sidecars, fsyncs, checkpoint) from now on: one that runs only when flushed by
    the test (a new one each call: another kernel's, or a kernel's after a kill), or ``pass_`` again."""
    held = pass_ if pass_ is not None else GroupSync(delay=3600)
    monkeypatch.setattr(vi_store, "GROUP_SYNC", held)
    return held


# -- what a save writes ----------------------------------------------------------------------------


@pytest.mark.parametrize("durability", ["process", "fsync"])
def test_save_writes_image_sidecar_and_index_line(tmp_path: Path, durability: str) -> None:
    image = make(thought_signature="c2ln", response_id="r-1")
    store = ImageStore(tmp_path, durability=durability)
    saved = store.save(image)
    name = image.file_name
    if durability == "process":  # the sidecar follows in the background pass: flushed here, not waited for
        store.flush()
    assert saved.path == str(tmp_path / name) and image.path == ""
    assert visible(tmp_path) == sorted([name, name + ".json"]) and (tmp_path / "index.sqlite").is_file()
    sidecar = json.loads((tmp_path / (name + ".json")).read_text())
    assert sidecar["prompt"] == "a red fox" and sidecar["thought_signature"] == "c2ln" and sidecar["file"] == name
    [entry] = ImageStore(tmp_path).entries()  # another store object: read from the database
    assert entry["id"] == image.id and entry["file"] == name and "thought_signature" not in entry


def test_the_file_embeds_the_provenance_and_the_row_is_the_sidecar_when_unsigned(tmp_path: Path) -> None:
    """The image file carries ``provenance()`` (no signature, hash or replay key); without a thought signature the
    sidecar and the index row hold the same record (one JSON made for both)."""
    signed = make(thought_signature="c2ln", replay_key="k1")
    plain = make(1, seed=8)
    store = ImageStore(tmp_path)
    for image in (signed, plain):
        path = Path(store.save(image).path)
        assert vi_store.read_metadata(path.read_bytes()) == json.loads(json.dumps(image.provenance()))
    store.flush()
    sidecar = json.loads((tmp_path / (plain.file_name + ".json")).read_text())
    [_, entry] = ImageStore(tmp_path).entries()
    assert entry == sidecar and "thought_signature" not in sidecar and sidecar["sha256"] == plain.sha256


def test_an_orphan_sidecar_is_replaced_by_the_new_images(tmp_path: Path) -> None:
    """A sidecar left without its image (the image deleted by hand) does not describe the next image saved
    under that name: it is written anew."""
    image = make(prompt="a red fox")
    (tmp_path / (image.file_name + ".json")).write_text(json.dumps({"id": "0" * 16, "prompt": "something else"}))
    store = ImageStore(tmp_path)
    saved = store.save(image)
    assert store.load(saved.path).prompt == "a red fox"  # before the pass: from the queued sidecar
    store.flush()
    sidecar = json.loads(Path(saved.path + ".json").read_text())
    assert sidecar["id"] == image.id and sidecar["prompt"] == "a red fox"


def test_png_provenance_is_in_text_chunks_and_pixels_are_untouched(tmp_path: Path) -> None:
    image = make(prompt="un renard roux — 赤い狐")
    written = Path(ImageStore(tmp_path).save(image).path).read_bytes()
    with Image.open(io.BytesIO(written)) as stored, Image.open(io.BytesIO(image.data)) as received:
        assert stored.text["prompt"] == "un renard roux — 赤い狐"
        assert json.loads(stored.text["vertex_image"])["parameters"] == {"aspect_ratio": "1:1"}
        assert stored.tobytes() == received.tobytes()
    idat = [body for kind, body in png_chunks(written) if kind == b"IDAT"]
    assert idat and idat == [body for kind, body in png_chunks(image.data) if kind == b"IDAT"]


def test_jpeg_provenance_is_a_comment_after_the_app_segments(tmp_path: Path) -> None:
    image = make(fmt="JPEG")
    written = Path(ImageStore(tmp_path).save(image).path).read_bytes()
    assert written[:4] == image.data[:4] == b"\xff\xd8\xff\xe0"  # JFIF stays first
    with Image.open(io.BytesIO(written)) as stored, Image.open(io.BytesIO(image.data)) as received:
        assert stored.info["comment"].startswith(b"vertex_image:")
        assert json.loads(stored.info["comment"][len(b"vertex_image:") :])["seed"] == 7
        assert stored.tobytes() == received.tobytes()
    comment = b"\xff\xfe" + struct.pack(">H", len(stored.info["comment"]) + 2) + stored.info["comment"]
    assert written.replace(comment, b"", 1) == image.data  # one COM segment added, every other byte kept


def test_load_gives_back_the_received_bytes_and_provenance(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    for fmt in ("PNG", "JPEG"):
        image = make(fmt=fmt, thought_signature="c2ln", safety_attributes={"Violence": 0.1}, index=2)
        saved = store.save(image)
        for ref in (image.id, image.id[:6], saved.path, Path(saved.path).name):
            loaded = store.load(ref)
            assert loaded.data == image.data and loaded.sha256 == image.sha256
            assert (loaded.prompt, loaded.seed, loaded.index, loaded.thought_signature) == ("a red fox", 7, 2, "c2ln")
            assert loaded.safety_attributes == {"Violence": 0.1} and loaded.path == saved.path


def test_load_uses_embedded_metadata_when_the_sidecar_is_gone(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    saved = store.save(make(prompt="moved"))
    store.flush()
    Path(saved.path + ".json").unlink()
    assert ImageStore(tmp_path).load(saved.path).prompt == "moved"


def test_load_of_an_unknown_image_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="content id .* or a file path; vi.gallery"):
        ImageStore(tmp_path).load("deadbeef")


def test_save_all_returns_the_set_with_paths(tmp_path: Path) -> None:
    images = ImageSet(images=(make(1), make(2)), prompt="a red fox", model=MODEL)
    saved = ImageStore(tmp_path).save_all(images)
    assert isinstance(saved, ImageSet) and saved.prompt == "a red fox"
    assert [Path(i.path).name for i in saved] == [i.file_name for i in images]


def test_image_without_bytes_is_returned_unchanged(tmp_path: Path) -> None:
    remote = GeneratedImage(data=b"", mime_type="image/png", gcs_uri="gs://b/x.png")
    assert ImageStore(tmp_path / "s").save(remote) is remote and not (tmp_path / "s").exists()


# -- duplicates --------------------------------------------------------------------------------------


def test_same_bytes_and_provenance_saved_twice_is_one_file_and_one_line(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    first, second = store.save(make()), store.save(make(response_id="another-response"))
    assert first.path == second.path
    store.flush()
    assert len(store.entries()) == 1 and len(visible(tmp_path)) == 2


def test_same_bytes_with_other_provenance_is_one_file_and_two_lines(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(make(prompt="a red fox"))
    store.save(make(prompt="a fox in red"))
    assert [e["prompt"] for e in store.entries()] == ["a red fox", "a fox in red"]
    store.flush()
    assert len(visible(tmp_path)) == 2
    assert [i.prompt for i in store.gallery()] == ["a fox in red"]  # one image, newest record


# -- user-supplied names --------------------------------------------------------------------------


def test_named_save_stays_in_the_folder_and_adds_the_extension(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    saved = store.save(make(), name="red fox")
    assert saved.path == str(tmp_path / "red fox.png") and store.load("red fox.png").data == make().data
    assert store.save(make(), name="red fox.png").path == saved.path


@pytest.mark.parametrize("name", ["../../x", "/etc/passwd", "a/b", "a\\b", "x\0y", "", "..", ".hidden", "C:x"])
def test_names_that_could_escape_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    store = ImageStore(tmp_path / "store")
    with pytest.raises(InvalidRequest, match="Give a plain file name"):
        store.save(make(), name=name)
    assert not (tmp_path / "store").exists() or visible(tmp_path / "store") == []
    assert visible(tmp_path) == ["store"] or visible(tmp_path) == []


def test_a_name_taken_by_another_image_is_refused(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(make(1), name="fox")
    with pytest.raises(InvalidRequest, match="already holds another image"):
        store.save(make(2), name="fox")
    assert store.load("fox.png").data == make(1).data


# -- crash consistency -----------------------------------------------------------------------------


class Crash(RuntimeError):
    pass


def crashing_replace(after: int) -> Any:
    """os.replace that works ``after`` times, then fails as a crash would."""
    import os

    calls = {"n": 0}

    def replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise Crash("simulated crash before rename")
        os.replace(src, dst)

    return replace


def test_crash_before_the_image_rename_leaves_nothing(tmp_path: Path) -> None:
    good = ImageStore(tmp_path)
    good.save(make(1, prompt="kept"))
    good.flush()
    with pytest.raises(Crash):
        ImageStore(tmp_path, replace=crashing_replace(0)).save(make(2))
    assert len(visible(tmp_path)) == 2 and not list(tmp_path.glob(".vi-tmp-*"))  # no temporary file either
    assert [e["prompt"] for e in good.entries()] == ["kept"]
    assert [i.prompt for i in good.gallery()] == ["kept"]


def test_crash_between_image_and_sidecar_is_repaired_by_the_next_save(tmp_path: Path) -> None:
    """With ``durability="fsync"`` the sidecar is written before the commit: a crash between leaves the image
    unlisted, and the next save lists it with a sidecar."""
    with pytest.raises(Crash):
        ImageStore(tmp_path, durability="fsync", replace=crashing_replace(1)).save(make())
    store = ImageStore(tmp_path, durability="fsync")
    assert store.entries() == [] and len(store.gallery()) == 0  # complete image, not yet listed
    assert visible(tmp_path) == [make().file_name] and not list(tmp_path.glob(".vi-tmp-*"))
    store.save(make())
    assert len(store.entries()) == 1 and (tmp_path / f"{make().file_name}.json").exists()


def test_a_sidecar_left_to_the_background_pass_is_read_at_once_and_on_disk_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``durability="process"`` a save returns once its image file and index row are in place; the sidecar
    (thought signature included) is already what ``load`` reads, and on disk after the pass."""
    later = hold_the_pass(monkeypatch)
    store = ImageStore(tmp_path)
    saved = store.save(make(thought_signature="c2ln", prompt="signed"))
    assert visible(tmp_path) == [Path(saved.path).name] and len(store.entries()) == 1
    assert store.load(saved.id).thought_signature == "c2ln"  # from the queued sidecar
    later.flush()
    assert json.loads(Path(saved.path + ".json").read_text())["thought_signature"] == "c2ln"
    assert ImageStore(tmp_path).load(saved.id).thought_signature == "c2ln"


def test_a_sidecar_a_crash_kept_from_the_disk_is_written_by_the_next_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel killed after its save's commit and before the background pass: the index kept the sidecar's text,
    and the next store to save there (another kernel, or this one restarted) writes it."""
    hold_the_pass(monkeypatch)  # its pass never comes: the process dies first
    saved = ImageStore(tmp_path).save(make(1, thought_signature="c2ln", prompt="before the crash"))
    hold_the_pass(monkeypatch)  # the restarted kernel's, empty
    assert not Path(saved.path + ".json").exists()
    restarted = ImageStore(tmp_path)
    restarted.save(make(2, prompt="after the restart"))
    sidecar = json.loads(Path(saved.path + ".json").read_text())
    assert sidecar["prompt"] == "before the crash" and sidecar["thought_signature"] == "c2ln"
    restarted.flush()
    assert sorted(visible(tmp_path)) == sorted(f"{name}{ext}" for name in (make(1, prompt="before the crash").file_name,
                                                                            make(2, prompt="after the restart").file_name)
                                               for ext in ("", ".json"))  # fmt: skip
    with restarted._index.writing() as connection:
        assert connection.execute("SELECT COUNT(*) FROM sidecars_due").fetchone()[0] == 0  # nothing left due


def test_a_set_shares_its_fsyncs_and_lists_its_images_after_every_file_is_durable(tmp_path: Path) -> None:
    import os

    from vertex_image.results.index_db import IndexDB

    events: list[tuple[str, Any]] = []

    def fsync(fd: int) -> None:
        events.append(("fsync", os.fstat(fd).st_ino))
        os.fsync(fd)

    def replace(source: str, target: str) -> None:
        events.append(("replace", Path(target).name))
        os.replace(source, target)

    real_add = IndexDB.add_images

    def add_images(connection: Any, records: Any, **options: Any) -> None:
        events.append(("commit", len(records)))
        real_add(connection, records, **options)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(IndexDB, "add_images", staticmethod(add_images))
    store = ImageStore(tmp_path, durability="fsync", fsync=fsync, replace=replace)
    images = ImageSet(images=(make(1), make(2), make(3)), prompt="a red fox", model=MODEL)
    try:
        saved = store.save_all(images)
    finally:
        monkeypatch.undo()
    kinds = [kind for kind, _ in events]
    # 3 images + 3 sidecars fsynced, then renamed, then ONE transaction lists the three (SQLite fsyncs its commit)
    assert kinds == ["fsync"] * 6 + ["replace"] * 6 + ["commit"] and events[-1] == ("commit", 3)
    assert [e["file"] for e in store.entries()] == [Path(i.path).name for i in saved]
    assert all(Path(i.path).read_bytes() for i in saved)
    events.clear()
    store.save_all(images)  # the same request again: nothing to write, nothing to fsync
    assert events == [] and len(store.entries()) == 3


def test_a_set_with_a_taken_name_writes_nothing(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(make(1), name="fox")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InvalidRequest, match="already holds another image"):
        store._save_batch([(make(2), None), (make(3), "fox")])
    assert sorted(p.name for p in tmp_path.iterdir()) == before and len(store.entries()) == 1


def test_the_file_is_written_from_views_of_the_image_bytes_with_the_same_result(tmp_path: Path) -> None:
    image = make(4)
    parts = vi_store.embedded_parts(image.data, image.provenance())
    assert [type(part) for part in parts] == [memoryview, bytes, memoryview]  # the image is not copied
    assert all(part.obj is image.data for part in parts if isinstance(part, memoryview))
    saved = ImageStore(tmp_path).save(image)
    assert Path(saved.path).read_bytes() == b"".join(parts) == vi_store.embed_metadata(image.data, image.provenance())
    assert vi_store.strip_metadata(Path(saved.path).read_bytes()) == image.data


def test_failed_fsync_leaves_no_file(tmp_path: Path) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    with pytest.raises(StorageError, match="disk full") as caught:
        ImageStore(tmp_path, durability="fsync", fsync=failing_fsync).save(make())
    assert visible(tmp_path) == [] and not list(tmp_path.glob(".vi-tmp-*")) and ImageStore(tmp_path).entries() == []
    assert isinstance(caught.value.__cause__, OSError)


def test_process_durability_fsyncs_nothing_on_the_way_and_queues_the_files_for_one_background_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsynced: list[int] = []
    later = hold_the_pass(monkeypatch)  # its pass is run by hand below
    store = ImageStore(tmp_path, fsync=fsynced.append)
    saved = store.save_all(ImageSet(images=(make(1), make(2)), prompt="a red fox", model=MODEL))
    assert fsynced == [] and len(store.entries()) == 2  # listed at once, nothing waited for the disk
    assert not any(Path(image.path + ".json").exists() for image in saved)  # the sidecars: in the pass
    assert later.flush() == 4 and later.flush() == 0  # 2 images + 2 sidecars, in one pass
    assert all(Path(image.path + ".json").is_file() for image in saved)
    assert all(Path(image.path).is_file() for image in saved)


def test_a_file_in_the_way_of_the_folder_is_a_one_line_storage_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    folder = tmp_path / "afile" / "sub"

    with pytest.raises(StorageError) as caught:
        ImageStore(folder).save(make())

    message = str(caught.value)
    assert isinstance(caught.value, VertexImageError) and "\n" not in message
    assert f"Cannot save images in {folder}: {tmp_path / 'afile'} is a file, not a folder." in message
    assert "vi.configure(output_dir=...)" in message and "%config VertexImageMagics.output_dir" in message
    assert caught.value.path == str(folder)
    assert isinstance(caught.value.__cause__, NotADirectoryError)
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_the_store_folder_itself_a_file_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "images").write_text("")
    with pytest.raises(StorageError, match="images is a file, not a folder. Choose another folder"):
        ImageStore(tmp_path / "images").save(make())
    assert ImageStore(tmp_path / "images").entries() == []  # nothing was ever saved there


def test_an_unreadable_index_is_a_storage_error(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.index_path.mkdir()

    with pytest.raises(StorageError, match="Cannot read the index of") as caught:
        store.gallery()
    assert "move index.sqlite aside" in str(caught.value) and "\n" not in str(caught.value)


def test_an_old_index_with_a_torn_last_line_is_imported_and_saving_goes_on(tmp_path: Path) -> None:
    first = ImageStore(tmp_path).save(make(1, prompt="first"))
    ImageStore(tmp_path).flush()
    record = json.loads(Path(first.path + ".json").read_text())
    for name in INDEX_FILES:
        (tmp_path / name).unlink(missing_ok=True)  # the folder as an earlier version left it
    (tmp_path / "index.jsonl").write_text(json.dumps(record) + "\n" + '{"id": "abc", "file": "abc.p')  # died mid-append
    store = ImageStore(tmp_path)
    assert [i.prompt for i in store.gallery()] == ["first"]
    store.save(make(2, prompt="second"))
    assert [e["prompt"] for e in store.entries()] == ["first", "second"]
    assert [i.prompt for i in store.gallery()] == ["second", "first"]


def test_leftover_temporary_files_are_hidden_and_can_be_discarded(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(make())
    store.flush()
    (tmp_path / f"{vi_store.TMP_PREFIX}0123").write_bytes(b"\x89PNG half")
    assert len(store.gallery()) == 1 and all(not n.startswith(vi_store.TMP_PREFIX) for n in visible(tmp_path))
    assert store.discard_partial() == 1 and len(visible(tmp_path)) == 2 and not list(tmp_path.glob(".*"))


# -- gallery ---------------------------------------------------------------------------------------


def test_gallery_is_newest_first_and_filters_by_model_and_prompt(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(make(1, prompt="A Red Fox"))
    store.save(make(2, prompt="a blue whale", model=GEMINI))
    store.save(make(3, prompt="a red panda"))
    assert [i.prompt for i in store.gallery()] == ["a red panda", "a blue whale", "A Red Fox"]
    assert [i.prompt for i in store.gallery(n=2)] == ["a red panda", "a blue whale"]
    assert [i.prompt for i in store.gallery(model=MODEL)] == ["a red panda", "A Red Fox"]
    assert [i.prompt for i in store.gallery(contains="RED F")] == ["A Red Fox"]
    assert repr(store.gallery(model=GEMINI)) == f'ImageSet(1 image, {GEMINI}, "a blue whale")'
    assert store.gallery()[0].data == make(3).data


def test_gallery_skips_deleted_files_and_tampered_entries(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    Path(store.save(make(1, prompt="deleted")).path).unlink()
    store.save(make(2, prompt="kept"))
    (tmp_path.parent / "outside.png").write_bytes(make(3).data)
    with open(store.index_path, "a") as index:
        index.write(json.dumps({"id": "x", "file": "../outside.png", "prompt": "escape"}) + "\n")
    assert [i.prompt for i in store.gallery()] == ["kept"]


# -- secrets ---------------------------------------------------------------------------------------


def test_no_secret_reaches_any_file(tmp_path: Path) -> None:
    canary = "CANARY-9f2c"
    image = make(parameters={
        "aspect_ratio": "1:1", "api_key": canary, "apiKey": canary, "token": canary, "credentials": {"k": canary},
        "headers": {"Authorization": f"Bearer {canary}", "x-goog-api-key": canary},
        "extra": [Secret(canary), f"AIza{canary}", {"refresh_token": canary}], "label_key": Secret(canary),
    })
    saved = ImageStore(tmp_path).save(image)
    for path in tmp_path.iterdir():
        assert canary.encode() not in path.read_bytes(), path.name
    assert ImageStore(tmp_path).load(saved.path).parameters == {"aspect_ratio": "1:1", "extra": [{}], "headers": {}}
    assert canary not in repr(saved._repr_mimebundle_())


def test_the_saved_copy_reuses_the_preview_already_made(tmp_path: Path) -> None:
    image = GeneratedImage.from_bytes(encode((1600, 900)), model=MODEL)
    preview = image.preview()
    assert ImageStore(tmp_path).save(image).preview() is preview


def test_costs_go_to_the_sidecar_and_the_index_and_come_back(tmp_path: Path) -> None:
    from vertex_image.base.pricing import Cost

    store = ImageStore(tmp_path)
    cost = Cost(0.0347, items={"output_image": 0.0336, "thinking": 0.0011})
    saved = store.save(make(colour=3, prompt="a fox", model="m", cost=cost))
    store.flush()
    sidecar = json.loads(Path(saved.path + ".json").read_text())
    assert sidecar["cost"]["usd"] == 0.0347 and store.entries()[-1]["cost"]["usd"] == 0.0347
    assert store.load(saved.id).cost == cost and store.gallery(1)[0].cost == cost
    store.record_charge({"cost": cost.as_dict(), "model": "m", "kind": "call", "backend": "emulator"})
    assert len(store.entries()) == 1, "a charge line is not an image entry"
    assert [charge["model"] for charge in store.charges()] == ["m"]


def test_entries_from_before_costs_still_load(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    saved = store.save(make(colour=4, prompt="old"))
    store.flush()
    sidecar = Path(saved.path + ".json")
    record = json.loads(sidecar.read_text())
    del record["cost"]
    sidecar.write_text(json.dumps(record))
    lines = store.entries()
    for line in lines:
        line.pop("cost", None)
    store.close()
    for name in INDEX_FILES:
        (tmp_path / name).unlink(missing_ok=True)
    (tmp_path / "index.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"charge": "torn')
    store = ImageStore(tmp_path)
    assert store.load(saved.id).cost is None and store.gallery(1)[0].cost is None
    assert store.charges() == [] and store.charge_totals()["usd"] == 0


# issue 12: the folder is checked before a request, and status says whether it can be written -------
def test_check_writable_creates_the_folder_and_leaves_nothing_behind(tmp_path: Path) -> None:
    from vertex_image.results.store import ImageStore

    store = ImageStore(tmp_path / "a" / "b")
    assert store.writable() == (True, f"yes (the folder is created on the first save, in {tmp_path})")
    assert not (tmp_path / "a").exists()  # status creates nothing
    store.check_writable()
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []
    assert store.writable() == (True, "yes")


def test_a_file_in_the_way_is_not_writable_and_is_refused_in_one_line(tmp_path: Path) -> None:
    from vertex_image.base.errors import StorageError
    from vertex_image.results.store import ImageStore

    (tmp_path / "taken").write_text("x")
    store = ImageStore(tmp_path / "taken" / "images")
    assert store.writable() == (False, f"{tmp_path / 'taken'} is a file, not a folder")
    with pytest.raises(StorageError) as refused:
        store.check_writable()
    assert "\n" not in str(refused.value) and "nothing was sent" in str(refused.value)
    assert "is a file, not a folder" in str(refused.value) and "output_dir" in str(refused.value)


# issue 14: the index in SQLite --------------------------------------------------------------------
def test_gallery_since_keeps_images_saved_at_or_after_a_moment(tmp_path: Path) -> None:
    import datetime as dt

    moments = iter([1_780_000_000.0, 1_780_086_400.0, 1_780_172_800.0])  # three days apart, 2026-05-28 ...
    store = ImageStore(tmp_path, clock=lambda: next(moments))
    for colour, prompt in enumerate(["first day", "second day", "third day"]):
        store.save(make(colour, prompt=prompt))
    second = dt.datetime.fromtimestamp(1_780_086_400.0, tz=dt.timezone.utc)
    for since in (second, second.isoformat(), 1_780_086_400, second.replace(tzinfo=None)):
        assert [i.prompt for i in store.gallery(since=since)] == ["third day", "second day"]
    assert [i.prompt for i in store.gallery(since=second.date())] == ["third day", "second day"]
    assert [i.prompt for i in store.gallery(since=second, contains="DAY", model=MODEL, n=1)] == ["third day"]
    for bad in ("yesterday", [1], True):
        with pytest.raises(InvalidRequest, match="since must be a datetime"):
            store.gallery(since=bad)


def test_a_charge_with_an_id_is_recorded_once_across_store_objects(tmp_path: Path) -> None:
    charge = {"cost": {"usd": 0.02, "estimated": False}, "model": "m", "kind": "call", "backend": "vertex",
              "day": "2026-11-30", "charge_id": "batches/123/row-7"}  # fmt: skip
    assert ImageStore(tmp_path).record_charge(charge)
    assert not ImageStore(tmp_path).record_charge(charge)  # results() read again after the kernel was killed
    assert [c["charge_id"] for c in ImageStore(tmp_path).charges()] == ["batches/123/row-7"]
    assert ImageStore(tmp_path).charge_totals()["usd"] == pytest.approx(0.02)


def test_an_old_folder_is_imported_on_open_and_keeps_its_images_costs_and_lookups(tmp_path: Path) -> None:
    saved = ImageStore(tmp_path).save(make(5, prompt="from an old kernel"))
    ImageStore(tmp_path).flush()
    record = json.loads(Path(saved.path + ".json").read_text())
    record.pop("thought_signature", None)
    for name in INDEX_FILES:
        (tmp_path / name).unlink(missing_ok=True)
    charge = {"charge": {"cost": {"usd": 0.04}, "model": MODEL, "kind": "call", "backend": "vertex"}, "saved_at": "x"}
    (tmp_path / "index.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(charge) + "\n")
    store = ImageStore(tmp_path)
    assert store.load(saved.id[:8]).data == saved.data and [i.id for i in store.gallery()] == [saved.id]
    assert store.charge_totals()["usd"] == pytest.approx(0.04) and store.charges()[0]["model"] == MODEL
    assert (tmp_path / "index.jsonl.imported").is_file() and not (tmp_path / "index.jsonl").exists()


def test_a_bad_durability_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="durability must be 'process' or 'fsync'"):
        ImageStore("x", durability="never")


def test_a_save_proves_the_folder_writable_for_a_moment_then_the_probe_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from vertex_image.results import store as store_module

    probes: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def counting(*args: Any, **kwargs: Any) -> tuple[int, str]:
        probes.append("probe")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(store_module.tempfile, "mkstemp", counting)
    now = [1000.0]
    monkeypatch.setattr(store_module.time, "monotonic", lambda: now[0])
    store = store_module.ImageStore(tmp_path / "out")
    store.check_writable()
    assert probes == ["probe"]
    store.save(make())
    now[0] += store_module.WRITABLE_PROOF_S / 2
    store.check_writable()  # the save a moment ago proved it: no probe file
    assert probes == ["probe"]
    now[0] += store_module.WRITABLE_PROOF_S
    store.check_writable()
    assert probes == ["probe", "probe"]
    (tmp_path / "out").rename(tmp_path / "gone")  # a folder that went away is probed (and made) again at once
    store.check_writable()
    assert probes == ["probe", "probe", "probe"] and (tmp_path / "out").is_dir()


def test_saves_leave_the_index_checkpoint_to_the_background_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With durability "process" no save copies the index's log into the database (SQLite's default does it, with
    an fsync, inside every ~80th save); the background pass does, after its fsyncs."""
    import sqlite3

    background = hold_the_pass(monkeypatch)  # its pass comes only when flushed here
    store = ImageStore(tmp_path)
    for number in range(320):  # ~5 pages of log a save
        store.save(make(colour=number % 256, prompt=f"fox number {number}"))
    log = tmp_path / "index.sqlite-wal"
    assert log.stat().st_size > 1200 * 4096  # never checkpointed: SQLite's default would keep it near 1000 pages
    background.flush()
    side = sqlite3.connect(tmp_path / "index.sqlite")
    try:
        _, frames, copied = side.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        side.close()
    assert frames > 0 and copied == frames  # the pass had copied every frame already
    assert len(store.entries()) == 320


def test_closing_a_store_writes_its_sidecars_so_the_folder_can_be_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script that saves into a temporary folder and removes it: the background pass must not write into it
    afterwards (an ``rmtree`` racing it fails with "Directory not empty")."""
    import shutil

    later = hold_the_pass(monkeypatch)
    folder = tmp_path / "scratch"
    store = ImageStore(folder)
    saved = store.save(make(prompt="temporary"))
    store.close()
    assert later.queued(saved.path + ".json") is None and Path(saved.path + ".json").is_file()
    shutil.rmtree(folder)
    assert later.flush() == 0 and not folder.exists()  # nothing left to write there


def test_a_killed_kernels_sidecars_are_written_when_another_store_first_reads_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_the_pass(monkeypatch)  # the killed kernel's pass never runs
    saved = ImageStore(tmp_path).save(make(prompt="killed before its pass"))
    hold_the_pass(monkeypatch)  # the next kernel's
    assert not Path(saved.path + ".json").exists()
    assert [image.prompt for image in ImageStore(tmp_path).gallery()] == ["killed before its pass"]
    assert json.loads(Path(saved.path + ".json").read_text())["prompt"] == "killed before its pass"


def test_a_folder_that_refuses_the_due_sidecars_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    hold_the_pass(monkeypatch)
    saved = ImageStore(tmp_path).save(make(prompt="on a read-only folder"))
    hold_the_pass(monkeypatch)

    def read_only(*_: Any, **__: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(vi_store, "atomic_write_all", read_only)  # a read-only mount (root writes through chmod)
    assert [entry["prompt"] for entry in ImageStore(tmp_path).entries()] == ["on a read-only folder"]
    assert ImageStore(tmp_path).load(saved.id).prompt == "on a read-only folder"
    assert not Path(saved.path + ".json").exists()
    monkeypatch.undo()
    ImageStore(tmp_path).flush()  # writable again: still due, so written now
    assert json.loads(Path(saved.path + ".json").read_text())["prompt"] == "on a read-only folder"


def test_an_image_deleted_and_saved_again_under_its_name_gets_its_own_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first image's sidecar, still queued when its file was deleted, must not describe the next one."""
    later = hold_the_pass(monkeypatch)
    store = ImageStore(tmp_path)
    first = store.save(make(1, prompt="the first"), name="fox")
    Path(first.path).unlink()
    second = store.save(make(2, prompt="the second", thought_signature="c2ln"), name="fox")
    later.flush()
    sidecar = json.loads(Path(second.path + ".json").read_text())
    assert (sidecar["id"], sidecar["prompt"], sidecar["thought_signature"]) == (second.id, "the second", "c2ln")


def test_the_same_request_saved_by_a_second_kernel_before_the_first_ones_pass_adds_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-running a cell adds nothing to the index, even when the other kernel's sidecar is still only due."""
    second_kernel = hold_the_pass(monkeypatch)
    second = ImageStore(tmp_path)
    assert second.entries() == []  # it has read the folder already: nothing due then
    hold_the_pass(monkeypatch)  # the first kernel's
    ImageStore(tmp_path).save(make(replay_key="k1"))
    hold_the_pass(monkeypatch, second_kernel)
    second.save(make(replay_key="k1"))
    assert len(second.entries()) == 1
    second.save(make(prompt="another request", replay_key="k2"))  # the same bytes, another request: a row
    assert [entry["prompt"] for entry in second.entries()] == ["a red fox", "another request"]
