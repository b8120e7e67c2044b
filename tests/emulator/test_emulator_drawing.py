"""What the emulator draws: deterministic, prompt-specific, legible, fast; edits visibly transform."""

from __future__ import annotations

import base64
import io
import time

import httpx
import pytest
from emulator_helpers import BEARER, VERTEX, image, imagen, mean_rgb, pixel_difference
from PIL import Image, ImageStat
from vertex_image.emulator import draw


def test_identical_requests_give_identical_bytes(legacy_http: httpx.Client) -> None:
    body = imagen("a quiet harbour at dawn", sampleCount=2, seed=11, addWatermark=False)
    first = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER).json()
    second = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER).json()
    assert first == second


def test_different_prompts_give_visibly_different_images() -> None:
    a = draw.generate("imagen-4.0-generate-001", "a red fox", seed=0, index=0, size=(512, 512))
    b = draw.generate("imagen-4.0-generate-001", "an ocean liner", seed=0, index=0, size=(512, 512))
    assert pixel_difference(a, b) > 25


def test_index_and_model_change_the_composition() -> None:
    a = draw.generate("m1", "a red fox", seed=0, index=0, size=(256, 256))
    assert pixel_difference(a, draw.generate("m1", "a red fox", seed=0, index=1, size=(256, 256))) > 5
    assert pixel_difference(a, draw.generate("m2", "a red fox", seed=0, index=0, size=(256, 256))) > 5


def test_prompt_text_is_written_in_white_across_the_middle() -> None:
    img = draw.generate("m", "LEGIBLE WORDS HERE", seed=0, index=0, size=(1024, 1024))
    middle = img.crop((100, 400, 924, 624)).convert("L")
    white = sum(middle.histogram()[245:])
    assert white > 2000  # the letters' fill is pure white, several thousand pixels at this size
    preview = img.resize((256, 256))
    assert sum(preview.crop((25, 100, 231, 156)).convert("L").histogram()[200:]) > 100


def test_long_prompts_shrink_and_wrap_to_fit() -> None:
    words = "a very long prompt about a lighthouse on a cliff with waves, gulls and dramatic clouds " * 6
    fnt, lines = draw.fit_text(words, (900, 600), largest=100)
    assert all(fnt.getlength(line) <= 900 for line in lines)
    assert len(lines) * fnt.size * 1.2 <= 600 + fnt.size
    assert fnt.size < 100


def test_4k_png_is_fast() -> None:
    start = time.perf_counter()
    img = draw.generate("gemini-3-pro-image-preview", "speed", seed=0, index=0, size=(5504, 3072))
    data = draw.encode(img, "image/png")
    elapsed = time.perf_counter() - start
    assert img.size == (5504, 3072) and data[:4] == b"\x89PNG"
    assert elapsed < 2.0  # typically ~0.5 s on a 2-core machine


def test_jpeg_quality_changes_size() -> None:
    img = draw.generate("m", "quality", seed=0, index=0, size=(512, 512))
    assert len(draw.encode(img, "image/jpeg", 20)) < len(draw.encode(img, "image/jpeg", 95))


@pytest.mark.parametrize(
    ("word", "channel"),
    [("red", 0), ("green", 1), ("blue", 2)],
)
def test_colour_words_tint_the_base(word: str, channel: int) -> None:
    base = Image.new("RGB", (200, 100), (128, 128, 128))
    out = draw.edit(base, f"make it {word} please", size=(200, 100))
    means = mean_rgb(out)
    assert means[channel] == max(means) and means[channel] - min(means) > 60


def test_other_instructions_add_a_labelled_band_at_the_bottom() -> None:
    base = Image.new("RGB", (400, 400), (200, 200, 200))
    out = draw.edit(base, "add a hat", size=(400, 400))
    top, bottom = out.crop((0, 0, 400, 200)), out.crop((0, 300, 400, 400))
    assert mean_rgb(top) == pytest.approx((200, 200, 200), abs=1)
    assert sum(mean_rgb(bottom)) / 3 < 120
    assert ImageStat.Stat(bottom.convert("L")).extrema[0][1] > 200  # the label's bright text


def test_edit_output_keeps_the_requested_size() -> None:
    base = Image.new("RGB", (300, 300), (90, 90, 90))
    assert draw.edit(base, "purple", size=(1376, 768)).size == (1376, 768)


def test_edits_build_on_each_other() -> None:
    base = draw.generate("m", "a white house", seed=0, index=0, size=(256, 256))
    blue = draw.edit(base, "make it blue", size=(256, 256))
    gold = draw.edit(blue, "now gold", size=(256, 256))
    assert pixel_difference(base, blue) > 20 and pixel_difference(blue, gold) > 20


def test_draft_is_small_and_blurred() -> None:
    img = draw.draft("m", "a kite", seed=0, size=(4096, 4096))
    assert max(img.size) == 256


def test_decode_rejects_non_images() -> None:
    with pytest.raises(ValueError, match="not an image"):
        draw.decode(b"definitely not a picture")


def test_emulator_images_decode_with_pil(legacy_http: httpx.Client) -> None:
    body = imagen("round trip", sampleCount=1, outputOptions={"mimeType": "image/jpeg", "compressionQuality": 30})
    prediction = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER).json()[
        "predictions"
    ][0]
    assert image(prediction["bytesBase64Encoded"]).format == "JPEG"


@pytest.mark.parametrize(
    "prompt",
    [("lighthouse cliff waves " * 50_000)[:1_000_000], "x" * 1_000_000],
    ids=["1MB-of-words", "1MB-single-word"],
)
def test_a_1mb_prompt_renders_and_its_text_stays_inside_the_picture(prompt: str) -> None:
    """The layout reads only the lines that fit: a quadratic wrap would hang here (issue 17, item 13)."""
    img = draw.generate("m", prompt, seed=0, index=0, size=(1024, 1024))
    data = draw.encode(img, "image/png")
    assert Image.open(io.BytesIO(data)).size == (1024, 1024)
    fnt, lines = draw.fit_text(prompt, (900, 600), largest=100)
    assert fnt.size == 10 and lines[-1].endswith("...")
    assert all(fnt.getlength(line) <= 900 for line in lines[:-1])
    assert len(lines) * fnt.size * 1.2 <= 600


def test_a_word_longer_than_the_line_is_cut_into_pieces_that_fit() -> None:
    fnt, lines = draw.fit_text("y" * 400 + " tail", (300, 600), largest=20)
    assert "".join(lines[:-1]).startswith("y" * 100) and lines[-1].endswith("tail")
    assert all(fnt.getlength(line) <= 300 for line in lines)
    assert "".join(lines).replace("tail", "").replace(" ", "") == "y" * 400


def test_a_1mb_prompt_through_the_server_gives_a_valid_png(legacy_http: httpx.Client) -> None:
    body = imagen(("a long story " * 80_000)[:1_000_000], sampleCount=1, seed=3, addWatermark=False)
    answer = legacy_http.post(VERTEX + "imagen-4.0-generate-001:predict", json=body, headers=BEARER)
    assert answer.status_code == 200
    png = base64.b64decode(answer.json()["predictions"][0]["bytesBase64Encoded"])
    assert Image.open(io.BytesIO(png)).format == "PNG"

def _dark_extent(img: Image.Image) -> tuple[int, int]:
    """Width and height of the dark area of ``img``."""
    box = img.convert("L").point(lambda value: 255 if value < 60 else 0).getbbox()
    assert box is not None
    return box[2] - box[0], box[3] - box[1]


def test_an_edit_at_a_new_aspect_ratio_reframes_the_input_instead_of_stretching_it() -> None:
    # old: the square input was resized to 16:9, so its square became a wide rectangle
    square = Image.new("RGB", (400, 400), (230, 230, 230))
    square.paste((0, 0, 0), (100, 100, 300, 300))  # a black square in the middle
    wide = draw.edit(square, "make it glow", size=(1376, 768))
    assert wide.size == (1376, 768)
    width, _height = _dark_extent(wide.crop((0, 0, 1376, 500)))  # above the edit's band
    assert abs(width - 384) <= 8  # 200 px of 400, shown 768 px high: 384 px, as wide as high
    assert draw.reframe(square, (400, 400)).tobytes() == square.tobytes()  # the same shape: unchanged


def test_an_edit_does_not_carry_its_inputs_corner_stamp() -> None:
    # old: the input's "model #0 seed 5" box stayed in the edit's top-left corner
    base = draw.generate("gemini-nano-banana-2.1", "a pencil sketch", seed=5, index=0, size=(1024, 1024))
    assert max(base.getpixel((2, 2))) < 30  # the stamp's black box
    edited = draw.edit(base, "make it glow", size=(1024, 1024))
    corner = edited.crop((0, 0, 120, 30))
    assert ImageStat.Stat(corner).mean[0] > 60 and sum(corner.convert("L").histogram()[230:]) == 0  # no box, no words
    photo = Image.new("RGB", (200, 200), (5, 5, 5))  # a dark picture is not a stamp: left as it is
    assert draw.without_stamp(photo).tobytes() == photo.tobytes()
