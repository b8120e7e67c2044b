"""GeneratedImage / ImageSet: previews, stable text, escaped HTML, saving, OpenAI shape, compare."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from vertex_image.base.errors import StorageError
from PIL import Image, ImageDraw
from vertex_image.base.config import Secret
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.values import Block
from vertex_image.results import images as vi_images
from vertex_image.results.images import GeneratedImage, ImageSet, compare

XSS = "<img src=x onerror=alert(1)>"
MODEL = "imagen-4.0-generate-001"


def encode(size: tuple[int, int], *, mode: str = "RGB", fmt: str = "PNG", texture: bool = False) -> bytes:
    """A test picture: smooth gradients, or with a photo-like noisy texture (PNG then compresses as photos do)."""
    gradient = Image.linear_gradient("L").resize(size)
    second = gradient.transpose(Image.Transpose.ROTATE_90).resize(size)
    if texture:
        second = Image.effect_noise((size[0] // 8, size[1] // 8), 64).resize(size, Image.Resampling.BICUBIC)
    picture = Image.merge("RGB", [gradient, second, Image.new("L", size, 90)])
    if mode == "RGBA":
        picture.putalpha(gradient)
    out = io.BytesIO()
    picture.save(out, format=fmt, **({"compress_level": 1} if fmt == "PNG" else {}))
    return out.getvalue()


def make(size: int = 1024, **provenance: Any) -> GeneratedImage:
    fields: dict[str, Any] = {"prompt": "a red fox in the snow", "model": MODEL, "seed": 7}
    fields.update(provenance)
    return GeneratedImage.from_bytes(encode((size, size)), **fields)


@pytest.fixture(autouse=True)
def default_preview_size() -> Any:
    yield
    vi_images.set_preview_size(vi_images.DEFAULT_PREVIEW_SIZE)


@pytest.fixture(scope="module")
def pngs() -> dict[int, bytes]:
    return {size: encode((size, size), texture=True) for size in (1024, 2048, 4096)}


def decoded(bundle_value: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(bundle_value)))


# -- text/plain --------------------------------------------------------------------------------------


def test_text_plain_is_stable_across_runs_and_hides_volatile_facts(tmp_path: Path) -> None:
    first = make(path=str(tmp_path / "a.png"), response_id="resp-123")
    second = make(path="/elsewhere/b.png", response_id="resp-456")
    text = first._repr_mimebundle_()[0]["text/plain"]
    assert text == second._repr_mimebundle_()[0]["text/plain"] == repr(first)
    assert text == f'GeneratedImage({MODEL}, 1024x1024 PNG, seed=7, "a red fox in the snow")'
    assert not re.search(r"0x[0-9a-f]+|resp-|/", text)


def test_text_plain_clips_long_prompts_and_escapes_quotes() -> None:
    image = make(prompt='say "hi" ' + "x" * 100)
    assert '"say \\"hi\\" xxx' in repr(image)
    assert repr(image).endswith('…")')


# -- previews -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1024, 2048, 4096])
def test_large_opaque_image_previews_as_768px_jpeg(pngs: dict[int, bytes], size: int) -> None:
    image = GeneratedImage.from_bytes(pngs[size], model=MODEL)
    data, metadata = image._repr_mimebundle_()
    assert set(data) == {"image/jpeg", "text/plain"}
    preview = decoded(data["image/jpeg"])
    assert (preview.format, preview.size) == ("JPEG", (768, 768))
    assert metadata["image/jpeg"] == {"width": 768, "height": 768}
    assert metadata["vertex_image"]["width"] == size
    assert len(base64.b64decode(data["image/jpeg"])) < len(pngs[size])


def test_image_with_alpha_previews_as_png() -> None:
    image = GeneratedImage.from_bytes(encode((2048, 1024), mode="RGBA"))
    data, metadata = image._repr_mimebundle_()
    preview = decoded(data["image/png"])
    assert (preview.format, preview.mode, preview.size) == ("PNG", "RGBA", (768, 384))
    assert metadata["image/png"] == {"width": 768, "height": 384}


def test_flat_image_keeps_its_original_bytes_when_they_are_smaller_than_a_preview() -> None:
    drawing = Image.new("RGB", (2048, 2048), "white")
    for x in range(0, 2048, 16):  # sharp lines: PNG is tiny, a JPEG of them is not
        ImageDraw.Draw(drawing).line([(x, 0), (x, 2047)], fill="black")
    flat = io.BytesIO()
    drawing.save(flat, format="PNG")
    image = GeneratedImage.from_bytes(flat.getvalue())
    data, metadata = image._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == image.data
    assert metadata["image/png"] == {"width": 768, "height": 768}  # shown at preview size


def test_small_image_is_shown_as_the_original_bytes() -> None:
    image = GeneratedImage.from_bytes(encode((512, 512)))
    data, _ = image._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == image.data


def test_preview_size_zero_shows_full_size_original(pngs: dict[int, bytes]) -> None:
    vi_images.set_preview_size(0)
    image = GeneratedImage.from_bytes(pngs[2048])
    data, metadata = image._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == pngs[2048]
    assert metadata["image/png"] == {"width": 2048, "height": 2048}


def test_preview_size_setting_is_read_at_display_time(pngs: dict[int, bytes]) -> None:
    image = GeneratedImage.from_bytes(pngs[1024])
    vi_images.set_preview_size(300)
    assert decoded(image._repr_mimebundle_()[0]["image/jpeg"]).size == (300, 300)
    assert vi_images.get_preview_size() == 300


@pytest.mark.parametrize("bad", [-1, 1.5, "768", True])
def test_preview_size_must_be_a_whole_number(bad: Any) -> None:
    with pytest.raises(InvalidRequest, match="preview_size"):
        vi_images.set_preview_size(bad)


def test_preview_is_computed_once_per_image_and_size(pngs: dict[int, bytes]) -> None:
    image = GeneratedImage.from_bytes(pngs[2048])
    assert image.preview(512) is image.preview(512)
    assert image.preview(512) is not image.preview(256)


def test_large_jpeg_previews_as_jpeg_and_small_webp_is_converted() -> None:
    large = GeneratedImage.from_bytes(encode((2048, 1536), fmt="JPEG"))
    assert decoded(large._repr_mimebundle_()[0]["image/jpeg"]).size == (768, 576)
    webp = GeneratedImage.from_bytes(encode((64, 64), fmt="WEBP"))
    data, _ = webp._repr_mimebundle_()
    assert "image/webp" not in data and decoded(data["image/jpeg"]).size == (64, 64)


def test_mimebundle_honours_include_and_exclude() -> None:
    image = make(512)
    assert set(image._repr_mimebundle_(include=["text/plain"])[0]) == {"text/plain"}
    assert set(image._repr_mimebundle_(exclude=["text/plain"])[0]) == {"image/png"}


def test_metadata_carries_provenance_with_relative_path_and_no_secret(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    image = make(
        512,
        path=str(tmp_path / "vertex_images" / "abc.png"),
        response_id="resp-1",
        parameters={"aspect_ratio": "1:1", "api_key": "CANARY1", "headers": {"Authorization": "Bearer CANARY2"},
                    "key": Secret("CANARY3"), "nested": [{"access_token": "CANARY4"}, "AIzaCANARY5"]},
        thought_signature="sig" * 100,
    )
    data, metadata = image._repr_mimebundle_()
    info = metadata["vertex_image"]
    assert info["path"] == str(Path("vertex_images") / "abc.png")
    assert info["response_id"] == "resp-1" and info["parameters"]["aspect_ratio"] == "1:1"
    assert "CANARY" not in repr((data["text/plain"], metadata))
    assert "thought_signature" not in info


def test_image_without_bytes_shows_text_only() -> None:
    image = GeneratedImage(data=b"", mime_type="image/png", model=MODEL, gcs_uri="gs://bucket/out.png")
    data, _ = image._repr_mimebundle_()
    assert data == {"text/plain": f"GeneratedImage({MODEL}, 0x0 PNG, in Cloud Storage)"}


# -- conversions and saving --------------------------------------------------------------------------


def test_data_url_and_to_pil_use_the_received_bytes() -> None:
    image = make(256)
    assert image.data_url == "data:image/png;base64," + base64.b64encode(image.data).decode()
    assert image.to_pil().size == (256, 256)


def test_save_writes_bytes_as_received_and_adds_the_extension(tmp_path: Path) -> None:
    image = make(256)
    path = image.save(tmp_path / "fox")
    assert path == tmp_path / "fox.png" and path.read_bytes() == image.data
    assert image.save(tmp_path) == tmp_path / f"a-red-fox-in-the-{image.id[:8]}.png"


def test_save_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "fox.png"
    target.write_bytes(b"mine")
    with pytest.raises(StorageError, match="overwrite=True") as refused:
        make(256).save(target)
    assert "\n" not in str(refused.value) and str(target) in str(refused.value)
    assert target.read_bytes() == b"mine"
    make(256).save(target, overwrite=True)
    assert target.read_bytes().startswith(b"\x89PNG")


def test_the_extension_decides_the_format_and_missing_folders_are_made(tmp_path: Path) -> None:
    from PIL import Image

    image = make(256)  # a PNG
    jpeg = image.save(tmp_path / "out" / "deeper" / "fox.jpg")
    assert jpeg.read_bytes()[:3] == b"\xff\xd8\xff" and Image.open(jpeg).format == "JPEG"
    assert Image.open(image.save(tmp_path / "fox.webp")).format == "WEBP"
    assert image.save(tmp_path / "same.PNG").read_bytes() == image.data  # the format matches: bytes as received
    with pytest.raises(StorageError, match=r"as \.txt: use \.png, \.jpg or \.webp") as refused:
        image.save(tmp_path / "fox.txt")
    assert "\n" not in str(refused.value) and not (tmp_path / "fox.txt").exists()


def test_show_full_publishes_the_original_bytes(pngs: dict[int, bytes]) -> None:
    shown: list[tuple[dict[str, Any], dict[str, Any]]] = []
    image = GeneratedImage.from_bytes(pngs[2048], model=MODEL)
    image.show(publish=lambda data, raw, metadata: shown.append((data, metadata)))
    image.show(full=False, publish=lambda data, raw, metadata: shown.append((data, metadata)))
    assert base64.b64decode(shown[0][0]["image/png"]) == pngs[2048]
    assert "image/jpeg" in shown[1][0] and shown[0][0]["text/plain"] == repr(image)


# -- ImageSet ------------------------------------------------------------------------------------------


def hostile_set() -> ImageSet:
    images = tuple(make(512, prompt=XSS, model=f"m{XSS}", index=i, text=XSS) for i in range(2))
    blocks = (Block("RAI_FILTERED", message=XSS, count=1), Block("IMAGE_SAFETY", detail=XSS))
    return ImageSet(images=images, blocks=blocks, text=f"model says {XSS}", prompt=XSS, model=MODEL)


def test_every_html_output_escapes_prompts_model_text_and_block_notes() -> None:
    html = hostile_set()._repr_mimebundle_()[0]["text/html"]
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 6  # captions, alt, notes, text
    assert html.count("<img src=\"data:image/") == 2
    comparison = compare(*hostile_set(), labels=[XSS, 'a "quoted" label'])
    assert "<img src=x" not in comparison._repr_html_()
    assert "&quot;quoted&quot;" in comparison._repr_html_()


def test_image_set_text_is_stable_and_lists_blocks() -> None:
    text = hostile_set()._repr_mimebundle_()[0]["text/plain"]
    assert text == hostile_set()._repr_mimebundle_()[0]["text/plain"]
    lines = text.splitlines()
    assert lines[0] == f'ImageSet(2 images, {MODEL}, "{XSS}")'
    assert lines[1] == f"  blocked: RAI_FILTERED (1 image): {XSS}"
    assert lines[2] == f"  blocked: IMAGE_SAFETY ({XSS})"
    assert not re.search(r"0x[0-9a-f]{6,}", text)


def test_blocked_set_shows_a_visible_note() -> None:
    blocked = ImageSet(blocks=(Block("IMAGE_SAFETY", "The image was filtered."),), model=MODEL)
    data, _ = blocked._repr_mimebundle_()
    assert "vertex-image-blocked" in data["text/html"] and "The image was filtered." in data["text/html"]
    assert data["text/plain"] == f"ImageSet(0 images, {MODEL})\n  blocked: IMAGE_SAFETY: The image was filtered."


def test_grid_uses_thumbnails_with_captions(pngs: dict[int, bytes]) -> None:
    images = ImageSet(images=tuple(GeneratedImage.from_bytes(pngs[2048], model=MODEL, seed=3, index=i) for i in range(3)))
    view = images.grid(cols=2)
    html = view._repr_html_()
    assert "repeat(2," in html and html.count('width="256" height="256"') == 3
    assert "#3 · 2048×2048 · seed 3" in html and MODEL in html
    assert repr(view) == f"ImageSet(3 images, {MODEL})"


def test_single_image_set_displays_as_a_large_preview(pngs: dict[int, bytes]) -> None:
    single = ImageSet(images=(GeneratedImage.from_bytes(pngs[2048], model=MODEL, prompt="fox"),), prompt="fox")
    data, metadata = single._repr_mimebundle_()
    assert set(data) == {"image/jpeg", "text/plain"}
    assert data["text/plain"] == f'ImageSet(1 image, {MODEL}, "fox")'
    assert metadata["image/jpeg"]["width"] == 768


def test_slicing_keeps_an_image_set() -> None:
    images = hostile_set()
    assert isinstance(images[:1], ImageSet) and len(images[:1]) == 1 and images[1].index == 1


def test_image_set_save_writes_safe_names_and_is_idempotent(tmp_path: Path) -> None:
    images = ImageSet(images=(make(64, prompt="../../A red/fox!"), make(96, prompt=XSS)))
    paths = images.save(tmp_path / "out")
    assert [p.parent for p in paths] == [tmp_path / "out"] * 2
    assert paths[0].name.startswith("a-red-fox-") and paths[1].name.startswith("img-src-x-onerror-alert")
    assert [p.read_bytes() for p in paths] == [i.data for i in images]
    assert images.save(tmp_path / "out") == paths and len(list((tmp_path / "out").iterdir())) == 2


def test_to_openai_has_the_litellm_image_response_shape() -> None:
    usage = {"prompt_token_count": 3, "candidates_token_count": 1120, "total_token_count": 1123}
    images = ImageSet(images=(make(64, enhanced_prompt="a vivid fox"), make(64)), created=1_700_000_000, usage=usage)
    response = images.to_openai()
    assert response["created"] == 1_700_000_000
    assert response["usage"] == {"input_tokens": 3, "output_tokens": 1120, "total_tokens": 1123}
    assert response["data"] == [
        {"b64_json": base64.b64encode(images[0].data).decode(), "revised_prompt": "a vivid fox"},
        {"b64_json": base64.b64encode(images[1].data).decode(), "revised_prompt": None},
    ]
    assert ImageSet(images=images.images).to_openai()["created"] > 1_700_000_000


def test_from_openai_reads_dicts_and_objects_back() -> None:
    response = ImageSet(images=(make(64, enhanced_prompt="vivid"),), created=5).to_openai()
    back = ImageSet.from_openai(response, model=MODEL)
    assert back.created == 5 and back[0].data == make(64).data and back[0].enhanced_prompt == "vivid"


def test_to_openai_chat_is_a_message_carrying_both_images_and_image() -> None:
    images = ImageSet(images=(make(64),), text="Here is a fox.")
    message = images.to_openai("chat")
    url = images[0].data_url
    assert message["content"] == "Here is a fox."
    assert message["images"] == [{"type": "image_url", "image_url": {"url": url, "detail": "auto"}, "index": 0}]
    assert message["image"] == {"url": url, "detail": "auto"}
    assert ImageSet.from_openai(message)[0].data == images[0].data
    with pytest.raises(InvalidRequest, match="kind='images' or kind='chat'"):
        images.to_openai("audio")


def test_from_openai_reads_litellms_real_answers_without_the_drafts() -> None:
    draft, final = make(32, seed=None), make(64, seed=None)
    b64 = {image: base64.b64encode(image.data).decode() for image in (draft, final)}
    images_answer = {  # LiteLLM 1.108's /v1/images/generations answer for a Gemini 3 model (shape as received)
        "created": 1796037738, "background": None, "output_format": None, "quality": None, "size": None,
        "data": [
            {"b64_json": b64[draft], "revised_prompt": None, "url": None, "provider_specific_fields": None},
            {"b64_json": b64[final], "revised_prompt": None, "url": None,
             "provider_specific_fields": {"thought_signature": "VklFTVUBSEfO"}},
        ],
        "usage": {"total_tokens": 1507, "input_tokens": 3, "output_tokens": 1504},
    }  # fmt: skip
    back = ImageSet.from_openai(images_answer)
    assert [image.data for image in back] == [final.data] and back.usage["total_tokens"] == 1507
    completion = {  # its /v1/chat/completions answer with modalities ["image", "text"]
        "id": "2NcL", "object": "chat.completion",
        "choices": [{"finish_reason": "stop", "index": 0, "message": {
            "content": "Here is an image of a red fox.", "role": "assistant",
            "images": [{"image_url": {"url": draft.data_url, "detail": "auto"}, "index": 0, "type": "image_url"},
                       {"image_url": {"url": final.data_url, "detail": "auto"}, "index": 0, "type": "image_url"}],
            "thinking_blocks": [{"type": "thinking", "thinking": "**Planning the image**"},
                                {"type": "thinking", "thinking": ""}],
            "provider_specific_fields": {"thought_signatures": ["VklFTVUBq2hG", "VklFTVUBSEfO"]}}}],
    }  # fmt: skip
    chat = ImageSet.from_openai(completion, prompt="a red fox")
    assert [image.data for image in chat] == [final.data] and chat.text == "Here is an image of a red fox."
    edits = {"data": [{"b64_json": b64[draft]}, {"b64_json": b64[final]}]}  # /v1/images/edits: no signatures
    assert [image.data for image in ImageSet.from_openai(edits, n=1)] == [final.data]


def test_compare_shows_labels_side_by_side_with_stable_text() -> None:
    view = compare(make(512), make(256, seed=None), labels=["original", "edited"])
    assert repr(view) == 'Comparison("original" 512x512 PNG | "edited" 256x256 PNG)'
    assert "repeat(2," in view._repr_html_() and ">original<" in view._repr_html_()
    data, _ = view._repr_mimebundle_()
    assert set(data) == {"text/html", "text/plain"}
    assert repr(compare(make(64), make(64, seed=None))) == 'Comparison("seed 7" 64x64 PNG | "no seed" 64x64 PNG)'


def test_compare_takes_image_sets_and_sessions_and_labels_what_differs() -> None:
    from types import SimpleNamespace

    pair = ImageSet(images=(make(64, index=0), make(65, index=1)))
    assert repr(compare(pair)) == 'Comparison("#1" 64x64 PNG | "#2" 65x65 PNG)'  # only the index differs
    other = make(64, model="gemini-3-pro-image", prompt="a red fox in the snow")
    assert repr(compare(pair[0], other)) == f'Comparison("{MODEL}" 64x64 PNG | "gemini-3-pro-image" 64x64 PNG)'
    turns = [SimpleNamespace(images=[make(64 + n, prompt=p, parameters={"turn": n + 1})])
             for n, p in enumerate(["a boat", "make it red"])]
    session = SimpleNamespace(exchanges=turns, last_image=turns[-1].images[-1])  # as an ImageSession
    assert repr(compare(session)) == 'Comparison("turn 1 · a boat" 64x64 PNG | "turn 2 · make it red" 65x65 PNG)'
    with pytest.raises(InvalidRequest, match="no image to show"):
        compare(ImageSet(images=()))


def test_compare_wants_one_label_per_image() -> None:
    with pytest.raises(InvalidRequest, match="2 images but 1 labels"):
        compare(make(64), make(64), labels=["only one"])
    with pytest.raises(InvalidRequest, match="GeneratedImage"):
        compare("not an image")
