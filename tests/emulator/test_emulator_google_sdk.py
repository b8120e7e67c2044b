"""Google's own SDK (google-genai, test dependency) as an independent client of the emulator.

If the emulator and the SDK disagree, one of them does not speak the wire format of WIRE.md: this test must stay.
``em`` serves the lineup of TODAY (2026-11-30); ``old`` that of LEGACY_DAY (2026-03-01), when Imagen and
gemini-2.5-flash-image on Vertex still answered.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from emulator_helpers import LEGACY_DAY, TODAY, mean_rgb
from vertex_image.emulator import Emulator

genai = pytest.importorskip("google.genai")
from google.genai import errors as genai_errors  # noqa: E402
from google.genai import types  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402
from PIL import Image  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*deprecated.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*experimental.*"),
]


@pytest.fixture(scope="module")
def em() -> Iterator[Emulator]:
    with Emulator(as_of=TODAY) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def old() -> Iterator[Emulator]:
    with Emulator(as_of=LEGACY_DAY) as emulator:
        yield emulator


def vertex(em: Emulator, **http: Any) -> Any:
    return genai.Client(
        vertexai=True,
        project="sdk-proj",
        location="us-central1",
        credentials=Credentials(token="fake"),
        http_options=types.HttpOptions(base_url=em.base_url, **http),
    )


def gemini_api(em: Emulator, **http: Any) -> Any:
    return genai.Client(api_key="fake-key", http_options=types.HttpOptions(base_url=em.base_url, **http))


BACKENDS = [pytest.param(vertex, id="vertex"), pytest.param(gemini_api, id="gemini-api")]


def pil(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_generate_images_on_vertex(old: Emulator) -> None:
    config = types.GenerateImagesConfig(
        number_of_images=2,
        aspect_ratio="16:9",
        include_safety_attributes=True,
        include_rai_reason=True,
        enhance_prompt=True,
        seed=5,
        add_watermark=False,
        output_mime_type="image/jpeg",
        person_generation="allow_adult",
    )
    sdk = vertex(old)  # keep a reference: the SDK closes its HTTP client when the Client is collected
    response = sdk.models.generate_images(model="imagen-4.0-generate-001", prompt="a cat", config=config)
    assert len(response.generated_images) == 2
    first = response.generated_images[0]
    assert first.image.mime_type == "image/jpeg"
    assert pil(first.image.image_bytes).size == (1408, 768)
    assert first.enhanced_prompt.startswith("a cat.")
    assert first.safety_attributes.categories
    assert response.positive_prompt_safety_attributes.content_type == "Positive Prompt"
    request = old.requests[-1]
    assert request.path.endswith(
        "/projects/sdk-proj/locations/us-central1/publishers/google/models/imagen-4.0-generate-001:predict"
    )
    assert request.headers["authorization"] == "Bearer fake"


def test_generate_images_on_the_gemini_api_is_refused_by_the_sdk_itself(em: Emulator) -> None:
    before = len(em.requests)
    with pytest.raises(ValueError, match="only supported in Gemini Enterprise Agent Platform mode"):
        sdk = gemini_api(em)
        sdk.models.generate_images(model="imagen-4.0-generate-001", prompt="a cat")
    assert len(em.requests) == before  # nothing reached the emulator


def test_edit_image_on_vertex(old: Emulator) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(buf, "PNG")
    raw = types.RawReferenceImage(
        reference_id=1, reference_image=types.Image(image_bytes=buf.getvalue(), mime_type="image/png")
    )
    mask = types.MaskReferenceImage(
        reference_id=2, config=types.MaskReferenceConfig(mask_mode="MASK_MODE_BACKGROUND", mask_dilation=0.06)
    )
    sdk = vertex(old)
    response = sdk.models.edit_image(
        model="imagen-3.0-capability-001",
        prompt="make it red",
        reference_images=[raw, mask],
        config=types.EditImageConfig(edit_mode="EDIT_MODE_INPAINT_INSERTION", number_of_images=1, base_steps=32),
    )
    [edited] = response.generated_images
    r, g, b = mean_rgb(pil(edited.image.image_bytes))
    assert r - g > 60 and r - b > 60


@pytest.mark.parametrize("client", BACKENDS)
def test_generate_content_with_image_output(old: Emulator, client: Any) -> None:
    sdk = client(old)
    response = sdk.models.generate_content(
        model="gemini-2.5-flash-image",
        contents="a red fox",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(aspect_ratio="3:2")
        ),
    )
    parts = response.candidates[0].content.parts
    assert parts[0].text == "Here is an image of a red fox."
    assert parts[0].thought_signature  # bytes, decoded by the SDK
    [final] = [p for p in parts if p.inline_data]
    assert final.inline_data.mime_type == "image/png"
    assert pil(final.inline_data.data).size == (1248, 832)
    assert response.usage_metadata.candidates_tokens_details[0].token_count == 1290


@pytest.mark.parametrize("client", BACKENDS)
def test_three_turn_chat_refinement_with_gemini_3_pro_image(em: Emulator, client: Any) -> None:
    sdk = client(em)
    chat = sdk.chats.create(
        model="gemini-3-pro-image",
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    finals = []
    for message in ("a white house", "make it blue", "add a garden"):
        response = chat.send_message(message)
        parts = response.candidates[0].content.parts
        assert [bool(p.thought) for p in parts] == [True, True, False, False]
        finals.append(pil(parts[-1].inline_data.data))
    assert mean_rgb(finals[1])[2] - mean_rgb(finals[0])[2] > 30
    assert finals[2].tobytes() != finals[1].tobytes()
    third = em.requests[-1].body["contents"]
    assert [c["role"] for c in third] == ["user", "model", "user", "model", "user"]
    assert all("thoughtSignature" in p or "thought_signature" in p for p in third[1]["parts"][2:])


def test_gemini_api_chat_replays_url_safe_base64_that_the_signature_check_accepts(em: Emulator) -> None:
    sdk = gemini_api(em)
    chat = sdk.chats.create(
        model="gemini-3-pro-image", config=types.GenerateContentConfig(response_modalities=["IMAGE"])
    )
    first = chat.send_message("a kite")
    chat.send_message("make it green")
    sent = em.requests[-1].body["contents"][1]["parts"][-1]
    received = first.candidates[0].content.parts[-1].inline_data.data
    replayed = sent["inlineData"] if "inlineData" in sent else sent["inline_data"]
    assert base64.urlsafe_b64decode(replayed["data"] + "=" * (-len(replayed["data"]) % 4)) == received
    assert "+" not in replayed["data"] and "/" not in replayed["data"]  # WIRE §1.4: the SDK re-encodes URL-safe
    assert replayed["data"].rstrip("=") != base64.b64encode(received).decode().rstrip("=")  # not what we sent


@pytest.mark.parametrize("client", BACKENDS)
def test_generate_content_stream(em: Emulator, client: Any) -> None:
    sdk = client(em)
    chunks = list(
        sdk.models.generate_content_stream(
            model="gemini-3-pro-image",
            contents="a boat",
            config=types.GenerateContentConfig(
                image_config=types.ImageConfig(aspect_ratio="16:9", image_size="2K")
            ),
        )
    )
    parts = [p for c in chunks for p in c.candidates[0].content.parts]
    images = [p for p in parts if p.inline_data and not p.thought]
    assert len(images) == 1 and pil(images[0].inline_data.data).size == (2752, 1536)
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.candidates_token_count >= 1120
    assert em.requests[-1].query == {"alt": "sse"}


@pytest.mark.parametrize("client", BACKENDS)
def test_sdk_parses_the_emulators_error_envelopes(em: Emulator, client: Any) -> None:
    sdk = client(em)
    with pytest.raises(genai_errors.ClientError) as not_found:
        sdk.models.generate_content(model="gemini-0-image", contents="x")
    assert not_found.value.code == 404 and not_found.value.status == "NOT_FOUND"
    busy = client(em, headers={"x-emulator-fault": "429"})
    with pytest.raises(genai_errors.ClientError) as quota:
        busy.models.generate_content(model="gemini-nano-banana-2.1", contents="x")
    assert quota.value.code == 429 and quota.value.status == "RESOURCE_EXHAUSTED"


def test_sdk_raises_the_mid_stream_error(em: Emulator) -> None:
    sdk = vertex(em, headers={"x-emulator-fault": "midstream"})
    stream = sdk.models.generate_content_stream(model="gemini-nano-banana-2.1", contents="x")
    with pytest.raises(genai_errors.APIError) as raised:
        list(stream)
    assert raised.value.code == 499 and raised.value.status == "CANCELLED"


def test_sdk_retries_see_success_after_two_failures(em: Emulator) -> None:
    client = vertex(
        em,
        headers={"x-emulator-fault": "503x2", "x-emulator-fault-key": "sdk-retry"},
        retry_options=types.HttpRetryOptions(attempts=3, initial_delay=0.05, max_delay=0.1, jitter=0),
    )
    before = len(em.requests)
    response = client.models.generate_content(model="gemini-nano-banana-2.1", contents="persist")
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert len(em.requests) - before == 3


# --- Google's lineup of 2026-11-30 (MODELS-2026-11.md) ------------------------------------------------------


def header_size(data: bytes) -> tuple[int, int]:
    """Width and height read from the PNG/JPEG header (PIL opens lazily: no pixel is decoded)."""
    with Image.open(io.BytesIO(data)) as img:
        return img.size


@pytest.mark.parametrize("client", BACKENDS)
def test_three_turn_chat_on_nano_banana_2_1_at_16_9_2k_thinking_high(em: Emulator, client: Any) -> None:
    sdk = client(em)
    chat = sdk.chats.create(
        model="gemini-nano-banana-2.1",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9", image_size="2K"),
            thinking_config=types.ThinkingConfig(thinking_level=types.ThinkingLevel.HIGH, include_thoughts=True),
        ),
    )
    finals = []
    for message in ("a white lighthouse on a cliff", "make it red", "add a rainbow"):
        response = chat.send_message(message)  # on the Gemini API, turns 2 and 3 need the replayed signatures
        parts = response.candidates[0].content.parts
        assert [bool(p.thought) for p in parts] == [True, True, False, False]
        final = parts[-1]
        assert final.thought_signature and final.inline_data.mime_type == "image/jpeg"
        assert header_size(final.inline_data.data) == (2752, 1536)
        usage = response.usage_metadata
        assert usage.candidates_tokens_details[0].token_count == 1680  # 2K on 2.1
        assert usage.thoughts_token_count > 0
        finals.append(pil(final.inline_data.data))
    r, g, b = mean_rgb(finals[1])
    assert r - g > 40 and r - b > 40  # turn 2 edited turn 1's image
    sent = em.requests[-1].body
    thinking = sent["generationConfig"]["thinkingConfig"]
    assert thinking.get("thinkingLevel", thinking.get("thinking_level")) == "HIGH"  # the SDK sends snake_case here
    assert sent["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user", "model", "user"]


@pytest.mark.parametrize("client", BACKENDS)
def test_a_4k_1_8_image(em: Emulator, client: Any) -> None:
    sdk = client(em)
    response = sdk.models.generate_content(
        model="gemini-nano-banana-2.1",
        contents="a very tall tower",
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:8", image_size="4K")
        ),
    )
    [final] = [p for p in response.candidates[0].content.parts if p.inline_data and not p.thought]
    assert header_size(final.inline_data.data) == (1536, 12288)
    assert response.usage_metadata.candidates_tokens_details[0].token_count == 3760


@pytest.mark.parametrize("client", BACKENDS)
def test_an_image_search_grounded_request(em: Emulator, client: Any) -> None:
    sdk = client(em)
    search = types.GoogleSearch(
        search_types=types.SearchTypes(web_search=types.WebSearch(), image_search=types.ImageSearch())
    )
    response = sdk.models.generate_content(
        model="gemini-nano-banana-2.1",
        contents="the Eiffel tower as it looked in 1889",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"], tools=[types.Tool(google_search=search)]
        ),
    )
    grounding = response.candidates[0].grounding_metadata
    assert grounding.image_search_queries == ["the Eiffel tower as it looked in 1889"]
    assert grounding.web_search_queries == ["the Eiffel tower as it looked in 1889"]
    assert grounding.grounding_chunks[1].image.image_uri.startswith("https://")
    assert any(p.inline_data for p in response.candidates[0].content.parts)
    tools = em.requests[-1].body["tools"]
    assert len(tools) == 1 and set(tools[0]) <= {"googleSearch", "google_search"}
    with pytest.raises(genai_errors.ClientError) as web_only:  # 3 Pro Image takes web search only
        sdk.models.generate_content(
            model="gemini-3-pro-image",
            contents="x",
            config=types.GenerateContentConfig(tools=[types.Tool(google_search=search)]),
        )
    assert web_only.value.code == 400 and web_only.value.status == "INVALID_ARGUMENT"


@pytest.mark.parametrize("client", BACKENDS)
def test_512_on_nano_banana_2_1_is_a_400(em: Emulator, client: Any) -> None:
    sdk = client(em)
    with pytest.raises(genai_errors.ClientError) as refused:
        sdk.models.generate_content(
            model="gemini-nano-banana-2.1",
            contents="a small icon",
            config=types.GenerateContentConfig(image_config=types.ImageConfig(image_size="512")),
        )
    assert refused.value.code == 400 and refused.value.status == "INVALID_ARGUMENT"
    assert "512 is not supported" in refused.value.message


@pytest.mark.parametrize("client", BACKENDS)
@pytest.mark.parametrize("model", ["imagen-4.0-generate-001", "gemini-3-pro-image-preview"])
def test_retired_models_are_a_404(em: Emulator, client: Any, model: str) -> None:
    sdk = client(em)
    with pytest.raises(genai_errors.ClientError) as retired:
        sdk.models.generate_content(model=model, contents="a fox")
    assert retired.value.code == 404 and retired.value.status == "NOT_FOUND"
    assert model in retired.value.message


def test_retired_imagen_through_generate_images_is_a_404(em: Emulator, old: Emulator) -> None:
    today, then = vertex(em), vertex(old)  # keep references: the SDK closes a collected Client's HTTP client
    with pytest.raises(genai_errors.ClientError) as retired:
        today.models.generate_images(model="imagen-4.0-generate-001", prompt="a fox")
    assert retired.value.code == 404
    resource = "projects/sdk-proj/locations/us-central1/publishers/google/models/imagen-4.0-generate-001"
    assert f"Publisher Model `{resource}`" in retired.value.message
    served = then.models.generate_images(
        model="imagen-4.0-generate-001", prompt="a fox", config=types.GenerateImagesConfig(number_of_images=1)
    )
    assert len(served.generated_images) == 1


@pytest.mark.parametrize("client", BACKENDS)
def test_models_list_pages_and_lists_todays_models(em: Emulator, client: Any) -> None:
    sdk = client(em)
    before = len(em.requests)
    models = list(sdk.models.list(config={"page_size": 2}))
    requests = em.requests[before:]
    assert len(requests) >= 3 and all(r.method == "GET" for r in requests)  # it really paged
    assert all(r.query["pageSize"] == "2" for r in requests) and "pageToken" in requests[-1].query
    prefix = "publishers/google/models/" if client is vertex else "models/"
    names = [m.name for m in models]
    assert len(names) == len(set(names))
    assert prefix + "gemini-nano-banana-2.1" in names
    for retired in ("imagen-4.0-generate-001", "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"):
        assert prefix + retired not in names
    if client is gemini_api:
        nb21 = next(m for m in models if m.name == "models/gemini-nano-banana-2.1")
        assert nb21.supported_actions == ["generateContent", "countTokens", "batchGenerateContent"]
        assert nb21.display_name == "Nano Banana 2.1" and nb21.thinking is True
