"""to_image_inputs: everything a user may hand over as an image becomes the bytes (or URI) to send."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.values import ImageInput
from vertex_image.core.inputs import check_input_sizes, to_image_inputs
from vertex_image.results.images import GeneratedImage, ImageSet
from vertex_image.results.store import ImageStore


def _encoded(size: tuple[int, int] = (32, 24), fmt: str = "PNG", colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


PNG = _encoded()
JPEG = _encoded(fmt="JPEG")


def test_none_and_empty_lists_give_nothing() -> None:
    assert to_image_inputs(None) == [] and to_image_inputs([]) == []


def test_generated_image_image_set_and_nested_lists_keep_order() -> None:
    first = GeneratedImage.from_bytes(PNG)
    second = GeneratedImage.from_bytes(JPEG)

    inputs = to_image_inputs([ImageSet(images=(first, second)), [first]])

    assert [(i.data, i.mime_type) for i in inputs] == [(PNG, "image/png"), (JPEG, "image/jpeg"), (PNG, "image/png")]
    assert all(i.uri == "" for i in inputs)


def test_a_cloud_storage_result_is_sent_by_uri_on_vertex_and_refused_on_the_gemini_api() -> None:
    stored = GeneratedImage(data=b"", mime_type="image/jpeg", gcs_uri="gs://bucket/out/1.jpg")

    (sent,) = to_image_inputs(stored, dialect="vertex")
    assert (sent.uri, sent.mime_type, sent.data) == ("gs://bucket/out/1.jpg", "image/jpeg", b"")
    with pytest.raises(InvalidRequest, match="Cloud Storage"):
        to_image_inputs(stored, dialect="gemini-api")


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_bytes_are_sniffed(wrap: Any) -> None:
    (png,) = to_image_inputs(wrap(PNG))
    (jpeg,) = to_image_inputs(wrap(JPEG))
    assert (png.data, png.mime_type) == (PNG, "image/png") and isinstance(png.data, bytes)
    assert jpeg.mime_type == "image/jpeg"


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="not a PNG, JPEG"):
        to_image_inputs(b"hello world")


def test_a_pil_image_is_sent_as_png_with_the_same_pixels() -> None:
    from PIL import Image

    picture = Image.open(io.BytesIO(JPEG))
    (sent,) = to_image_inputs(picture)

    assert sent.mime_type == "image/png" and sent.data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(sent.data)).tobytes() == picture.tobytes()


@pytest.mark.parametrize("as_path", [str, Path])
def test_a_file_path_is_read(tmp_path: Path, as_path: Any) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(JPEG)

    (sent,) = to_image_inputs(as_path(path))

    assert (sent.data, sent.mime_type) == (JPEG, "image/jpeg")


def test_a_home_relative_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "cat.png").write_bytes(PNG)
    (sent,) = to_image_inputs("~/cat.png")
    assert sent.data == PNG


def test_a_stored_file_is_sent_without_our_metadata(tmp_path: Path) -> None:
    saved = ImageStore(tmp_path).save(GeneratedImage.from_bytes(PNG, prompt="a blue square", model="m"))
    assert Path(saved.path).read_bytes() != PNG  # the store adds a provenance chunk

    (sent,) = to_image_inputs(saved.path)

    assert sent.data == PNG


def test_missing_files_and_files_that_are_not_images_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="No image file"):
        to_image_inputs(tmp_path / "nothing.png")
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    with pytest.raises(InvalidRequest, match="not a PNG, JPEG"):
        to_image_inputs(notes)


def test_gs_uris_go_by_reference_on_vertex_only() -> None:
    (sent,) = to_image_inputs("gs://bucket/cats/tabby.JPEG", dialect="vertex")
    assert (sent.uri, sent.mime_type, sent.data) == ("gs://bucket/cats/tabby.JPEG", "image/jpeg", b"")
    with pytest.raises(InvalidRequest, match="download it"):
        to_image_inputs(["gs://bucket/cats/tabby.jpg"], dialect="gemini-api")


def test_a_files_api_uri_is_accepted_on_the_gemini_api() -> None:
    uri = "https://generativelanguage.googleapis.com/v1beta/files/abc123"
    (sent,) = to_image_inputs(uri, dialect="gemini-api")
    assert sent.uri == uri and sent.data == b""


def test_an_image_input_passes_through_unchanged() -> None:
    given = ImageInput(data=PNG, mime_type="image/png", b64="exact-text")
    assert to_image_inputs([given]) == [given]


@pytest.mark.parametrize("ref", [42, 3.5, {"path": "x.png"}, object()])
def test_other_objects_are_refused_saying_what_is_accepted(ref: Any) -> None:
    with pytest.raises(InvalidRequest, match="GeneratedImage"):
        to_image_inputs(ref)


@pytest.mark.parametrize(
    ("mode", "sent_mode"),
    [("CMYK", "RGB"), ("YCbCr", "RGB"), ("LAB", "RGB"), ("F", "RGB"), ("RGBX", "RGB"), ("PA", "RGBA"), ("RGBa", "RGBA")],
)
def test_a_pil_image_in_a_mode_png_cannot_store_is_sent_as_rgb_or_rgba(mode: str, sent_mode: str) -> None:
    from PIL import Image

    (sent,) = to_image_inputs(Image.new(mode, (8, 6)))

    assert sent.mime_type == "image/png"
    with Image.open(io.BytesIO(sent.data)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.mode == sent_mode
        assert decoded.size == (8, 6)


def test_a_cmyk_image_keeps_its_colour_when_converted() -> None:
    from PIL import Image

    cmyk = Image.new("RGB", (4, 4), (200, 30, 40)).convert("CMYK")

    (sent,) = to_image_inputs(cmyk)

    with Image.open(io.BytesIO(sent.data)) as decoded:
        assert decoded.getpixel((0, 0)) == (200, 30, 40)


def test_a_file_is_judged_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    with pytest.raises(InvalidRequest, match=r"notes.png is not a PNG.*its name says .png"):
        to_image_inputs(fake)
    real = tmp_path / "photo.txt"
    real.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 20)
    assert to_image_inputs(real)[0].mime_type == "image/jpeg"


@pytest.mark.parametrize(("brand", "mime_type"), [(b"heic", "image/heic"), (b"mif1", "image/heif")])
def test_heic_and_heif_are_known_by_their_ftyp_brand(tmp_path: Path, brand: bytes, mime_type: str) -> None:
    data = b"\0\0\0\x18ftyp" + brand + b"\0" * 20
    assert to_image_inputs(data)[0].mime_type == mime_type
    path = tmp_path / "photo.heic"
    path.write_bytes(data)
    assert to_image_inputs(path)[0].mime_type == mime_type


def test_an_image_over_every_limit_of_the_dialect_is_refused_naming_size_and_limit() -> None:
    twelve = b"\x89PNG\r\n\x1a\n" + b"\0" * (12 * 1024 * 1024)
    with pytest.raises(InvalidRequest, match=r"^The input image is 12.0 MB; Vertex AI takes at most 10.0 MB"):
        to_image_inputs(twelve, dialect="vertex")
    assert to_image_inputs(twelve, dialect="gemini-api")  # its base64 fits the Gemini API's 100 MB request
    with pytest.raises(InvalidRequest, match=r"at most 7.0 MB per inline image for Gemini models"):
        check_input_sizes(to_image_inputs(twelve, dialect="gemini-api"), family="gemini", dialect="vertex")


def test_images_whose_base64_would_not_fit_one_request_are_refused_together() -> None:
    six = to_image_inputs(b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 1024 * 1024))
    check_input_sizes(six * 2, family="gemini", dialect="vertex")  # 16 MB of base64
    with pytest.raises(InvalidRequest, match=r"The 3 input images take 24.0 MB in the request"):
        check_input_sizes(six * 3, family="gemini", dialect="vertex")
    check_input_sizes([None, *six], family="imagen", dialect="vertex")  # no mask is no image
    check_input_sizes(six * 3, family="gemini", dialect="gemini-api")  # the Gemini API takes 100 MB since 2026
    sixty = to_image_inputs(b"\x89PNG\r\n\x1a\n" + b"\0" * (60 * 1024 * 1024), dialect="gemini-api")
    with pytest.raises(InvalidRequest, match=r"the Gemini API takes under 100.0 MB per request"):
        check_input_sizes(sixty * 2, family="gemini", dialect="gemini-api")


def test_a_file_over_the_dialect_s_largest_limit_is_refused_from_its_size_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n")
        file.truncate(300 * 1024 * 1024)  # sparse: nothing is written, nothing should be read

    def never(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", never)
    with pytest.raises(InvalidRequest, match=r"huge.png is 300.0 MB; Vertex AI takes at most 10.0 MB per inline"):
        to_image_inputs(huge, dialect="vertex")
    with pytest.raises(InvalidRequest, match=r"is 300.0 MB; the Gemini API takes at most 75.0 MB per inline"):
        to_image_inputs(str(huge), dialect="gemini-api")


def test_an_unreadable_file_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked.png"
    locked.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InvalidRequest, match=r"^Cannot read .*locked.png: Permission denied\.$"):
        to_image_inputs(locked)
