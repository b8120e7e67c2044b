"""Every shared Firebase mock response that reaches the wire layer, parsed to the outcome it stands for.

One test id per file. The tables say what each file must give (images, block reasons, text); a
completeness test makes sure no fixture is left unclassified. Error envelopes (``{"error": ...}``
with an HTTP error status) belong to ``test_apierrors.py`` and are only listed here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from mock_responses import FIXTURES, fixture_path, load_fixture
from vertex_image.base.errors import ResponseFormatError
from vertex_image.base.values import ParsedResponse
from vertex_image.wire import gemini, imagen


@dataclass(frozen=True)
class Expect:
    """What one fixture must parse to."""

    category: str
    images: int = 0
    blocks: tuple[str, ...] = ()
    text: str | None = None  # the start of ParsedResponse.text
    message: str | None = None  # the start of the first block's message
    detail: str = ""
    count: int | None = None
    thought_text: bool = False
    finish_reason: str | None = None
    error: str | None = None  # ResponseFormatError message fragment
    stream_error: int | None = None  # code of a bare error event (streams)
    events: int | None = None  # number of events before any error (streams)


def images(n: int, **kw: Any) -> Expect:
    """Final images came (perhaps with a note on the filtered ones)."""
    return Expect("images", images=n, **kw)


def text_only(start: str, **kw: Any) -> Expect:
    """The model answered in words alone."""
    return Expect("text-only", blocks=("TEXT_ONLY",), text=start, message=start[:20], **kw)


def finish_block(reason: str, **kw: Any) -> Expect:
    """A finishReason withheld the output."""
    return Expect("finish-block", blocks=(reason,), finish_reason=reason, **kw)


def prompt_blocked(detail: str, message: str = "The prompt was blocked") -> Expect:
    """promptFeedback blocked the prompt; no candidate."""
    return Expect("prompt-blocked", blocks=("PROMPT_BLOCKED",), detail=detail, message=message)


def empty(**kw: Any) -> Expect:
    """No image and no block reason: the caller reports NoImageReturned."""
    return Expect("no-image-no-reason", **kw)


def not_a_response(fragment: str) -> Expect:
    """HTTP 200, but not a body of this API: ResponseFormatError."""
    return Expect("not-a-response", error=fragment)


def stream_error(code: int, events: int = 0, text: str | None = None) -> Expect:
    """A bare ``{"error": ...}`` event after ``events`` good ones (whose text is ``text``)."""
    return Expect("stream-error", stream_error=code, events=events, text=text)


SOME_FILTERED = "Your current safety filter threshold filtered out 2 generated images"
NOT_GENERATE_CONTENT = "not a GenerateContentResponse"

IMAGEN: dict[str, Expect] = {
    "vertexai/unary-success-generate-images-base64.json": images(4),
    "vertexai/unary-success-generate-images-gcs.json": images(4),
    "vertexai/unary-success-generate-images-safety_info.json": images(4),
    "vertexai/unary-failure-generate-images-base64-some-filtered.json": images(
        2, blocks=("RAI_FILTERED",), message=SOME_FILTERED, count=2
    ),
    "vertexai/unary-failure-generate-images-gcs-some-filtered.json": images(
        2, blocks=("RAI_FILTERED",), message=SOME_FILTERED, count=2
    ),
    "vertexai/unary-failure-generate-images-all-filtered.json": Expect(
        "all-filtered", blocks=("RAI_FILTERED",), message="Unable to show generated images. All images"
    ),
}

UNARY: dict[str, Expect] = {
    # images from a Gemini image model
    "vertexai/unary-success-empty-part.json": images(
        1, text="I can certainly help you with that!", finish_reason="STOP"
    ),
    "vertexai/unary-success-image-invalid-safety-ratings.json": images(1, finish_reason="STOP"),
    # the prompt was blocked (no candidates)
    "vertexai/unary-failure-prompt-blocked-safety.json": prompt_blocked("SAFETY"),
    "vertexai/unary-failure-prompt-blocked-safety-with-message.json": prompt_blocked("SAFETY", "Reasons"),
    "vertexai/unary-failure-unknown-enum-prompt-blocked.json": prompt_blocked("FAKE_NEW_BLOCK_REASON"),
    "googleai/unary-failure-only-prompt-feedback.json": prompt_blocked("", "Message"),
    # a finishReason that withheld the output
    "vertexai/unary-failure-finish-reason-safety.json": finish_block("SAFETY", text="<redacted>"),
    "vertexai/unary-failure-finish-reason-safety-no-content.json": finish_block("SAFETY", text=""),
    "googleai/unary-failure-finish-reason-safety.json": finish_block("SAFETY", text="Safety error incoming"),
    "googleai/unary-failure-finish-reason-safety.txt": finish_block("SAFETY", text="Safety error incoming"),
    "googleai/unary-failure-with-message-no-content.json": finish_block(
        "OTHER", message="Model failed to generate content due to internal error."
    ),
    "vertexai/unary-failure-unknown-enum-finish-reason.json": finish_block(
        "FAKE_NEW_FINISH_REASON", text="Some text", message="The model stopped (FAKE_NEW_FINISH_REASON)"
    ),
    # the model answered in words only
    "vertexai/unary-success-basic-reply-long.json": text_only("1. **Use Freshly Ground Coffee"),
    "vertexai/unary-success-basic-reply-short.json": text_only("Mountain View, California"),
    "vertexai/unary-success-basic-response-long-usage-metadata.json": text_only("Here is a description"),
    "vertexai/unary-success-citations.json": text_only("Some information cited from an external source"),
    "vertexai/unary-success-citations-nolicense.json": text_only("Some information cited"),
    "vertexai/unary-success-code-execution.json": text_only("To find the sum of the first 5 prime"),
    "vertexai/unary-success-constraint-decoding-json.json": text_only('[\n  {\n    "name": "Fuji Dawn"'),
    "vertexai/unary-success-function-call-mixed-content.json": text_only("The sum of [1, 2,3] is"),
    "vertexai/unary-success-google-maps-grounding.json": text_only("Here are some pizza restaurants"),
    "vertexai/unary-success-google-search-grounding.json": text_only("The current weather in London"),
    "vertexai/unary-success-implicit-caching.json": text_only("Red Riding Hood is looking for"),
    "vertexai/unary-success-including-severity.json": text_only("## One Thousand and One Nights"),
    "vertexai/unary-success-missing-safety-ratings.json": text_only("This is the generated content."),
    "vertexai/unary-success-partial-usage-metadata.json": text_only("Mountain View, California"),
    "vertexai/unary-success-quote-reply.json": text_only("Google's mission is to \"organi"),
    "vertexai/unary-success-thinking-reply-thought-summary.json": text_only(
        "Mountain View", thought_text=True
    ),
    "vertexai/unary-success-unknown-enum-safety-ratings.json": text_only("Some text"),
    "vertexai/unary-success-url-context.json": text_only("The Berkshire Hathaway Inc."),
    "vertexai/unary-success-url-context-missing-retrievedurl.json": text_only("I attempted to access"),
    "vertexai/unary-success-url-context-mixed-validity.json": text_only("The `browse` tool output"),
    "vertexai/unary-success-usage-metadata.json": text_only("Mountain View, California"),
    "googleai/unary-success-basic-reply-long.json": text_only("Making professional-quality coffee"),
    "googleai/unary-success-basic-reply-long.txt": text_only("Making professional-quality coffee"),
    "googleai/unary-success-basic-reply-short.json": text_only("Google's headquarters, also known"),
    "googleai/unary-success-basic-reply-short.txt": text_only("Google's headquarters, also known"),
    "googleai/unary-success-citations.json": text_only("Okay, let's break down quantum mechanics"),
    "googleai/unary-success-citations.txt": text_only("Okay, let's break down quantum mechanics"),
    "googleai/unary-success-code-execution.json": text_only("The first 5 prime numbers are"),
    "googleai/unary-success-google-maps-grounding.json": text_only("Here are a few pizza places"),
    "googleai/unary-success-google-search-grounding.json": text_only("The current weather in London"),
    "googleai/unary-success-google-search-grounding-empty-grounding-chunks.json": text_only(
        "The current weather in London"
    ),
    "googleai/unary-success-thinking-reply-thought-summary.json": text_only(
        "Mountain View", thought_text=True
    ),
    "googleai/unary-success-url-context.json": text_only("Berkshire Hathaway Inc.'s official"),
    "googleai/unary-success-url-context-mixed-validity.json": text_only("\nThe valid page"),
    # no image and no reason (empty content, an empty text, a function call)
    "vertexai/unary-failure-empty-content.json": empty(),
    "vertexai/unary-success-empty-text-part.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-complex-json-literal.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-different-parallel-calls.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-empty-arguments.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-json-literal.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-no-arguments.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-null.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-parallel-calls.json": empty(finish_reason="STOP"),
    "vertexai/unary-success-function-call-with-arguments.json": empty(finish_reason="STOP"),
    "googleai/unary-success-thinking-function-call-thought-summary-signature.json": empty(
        finish_reason="STOP", thought_text=True
    ),
    # HTTP 200 bodies that are not a GenerateContentResponse
    "vertexai/unary-failure-invalid-response.json": not_a_response("top-level keys: this"),
    "vertexai/unary-failure-malformed-content.json": not_a_response("neither role nor parts"),
    "vertexai/unary-success-detailed-token-response.json": not_a_response(
        NOT_GENERATE_CONTENT
    ),  # countTokens
    "vertexai/unary-success-total-tokens.json": not_a_response(NOT_GENERATE_CONTENT),  # countTokens
    "vertexai/unary-success-no-billable-characters.json": not_a_response(NOT_GENERATE_CONTENT),  # countTokens
}

STREAMS: dict[str, Expect] = {
    "googleai/streaming-success-empty-parts.txt": images(
        1, text="Here's a cute cartoon kitten playing with a ball of yarn for you! ", finish_reason="STOP"
    ),
    "vertexai/streaming-success-image-invalid-safety-ratings.txt": images(1, finish_reason="STOP"),
    "googleai/streaming-failure-prompt-blocked-safety.txt": prompt_blocked("SAFETY"),
    "vertexai/streaming-failure-prompt-blocked-safety.txt": prompt_blocked("SAFETY"),
    "vertexai/streaming-failure-prompt-blocked-safety-with-message.txt": prompt_blocked("SAFETY", "Reasons"),
    "vertexai/streaming-failure-finish-reason-safety.txt": finish_block("SAFETY", text="<redacted>"),
    "googleai/streaming-failure-recitation-no-content.txt": finish_block(
        "RECITATION", text="text1text2text3text4text5text6text7text8"
    ),
    "vertexai/streaming-failure-recitation-no-content.txt": finish_block(
        "RECITATION", text="Copyrighted text goes hereMore copyrighted text"
    ),
    "vertexai/streaming-failure-unknown-finish-enum.txt": finish_block("FAKE_ENUM", text="**Cats:**"),
    "googleai/streaming-success-basic-reply-long.txt": text_only("Okay, let's dive into the world of cats"),
    "googleai/streaming-success-basic-reply-short.txt": text_only(
        "The capital of Wyoming is **Cheyenne**.\n"
    ),
    "googleai/streaming-success-citations.txt": text_only("Okay, let's break down quantum mechanics."),
    "googleai/streaming-success-code-execution.txt": text_only("To find the sum of the first 5 prime"),
    "googleai/streaming-success-finish-message.txt": text_only("Hello world!"),
    "googleai/streaming-success-no-content-parts.txt": text_only("I will generate a 3D rendering"),
    "googleai/streaming-success-thinking-reply-thought-summary.txt": text_only(
        "The sky is blue because tiny gas molecules", thought_text=True
    ),
    "googleai/streaming-success-url-context.txt": text_only("\nThe Google homepage"),
    "vertexai/streaming-success-basic-reply-long.txt": text_only("Okay, let's brew a decent cup"),
    "vertexai/streaming-success-basic-reply-parts.txt": text_only("1 2 3 4 5 6 7 8"),
    "vertexai/streaming-success-basic-reply-short.txt": text_only("Cheyenne"),
    "vertexai/streaming-success-citations.txt": text_only("1. **Definition:**\nQuantum mechanics"),
    "vertexai/streaming-success-code-execution.txt": text_only("To find the sum of the first 5 prime"),
    "vertexai/streaming-success-empty-text-part.txt": text_only("1"),
    "vertexai/streaming-success-quotes-escaped.txt": text_only(' Pineapples and "bananas" are'),
    "vertexai/streaming-success-thinking-reply-thought-summary.txt": text_only(
        "The sky is blue due to a phenomenon", thought_text=True
    ),
    "vertexai/streaming-success-unknown-safety-enum.txt": text_only("**Cats:**\n\n- **Physical"),
    "vertexai/streaming-success-url-context.txt": text_only("The Google homepage primarily"),
    "vertexai/streaming-success-utf8.txt": text_only("秋风瑟瑟，叶落纷纷，\n西风残照"),
    "vertexai/streaming-failure-empty-content.txt": empty(),
    "vertexai/streaming-success-function-call-short.txt": empty(finish_reason="STOP"),
    "googleai/streaming-success-thinking-function-call-thought-summary-signature.txt": empty(
        finish_reason="STOP", thought_text=True
    ),
    "vertexai/streaming-failure-invalid-json.txt": not_a_response("top-level keys: this"),
    "vertexai/streaming-failure-malformed-content.txt": not_a_response("neither role nor parts"),
    "vertexai/streaming-failure-error-mid-stream.txt": stream_error(499, events=2, text="First Second "),
    # request-level failures: in real life a non-200 status; the parser still hands back the dict
    "vertexai/streaming-failure-api-key.txt": stream_error(400),
    "vertexai/streaming-failure-http-error.txt": stream_error(400),
    "vertexai/streaming-failure-image-rejected.txt": stream_error(400),
    "vertexai/streaming-failure-unknown-model.txt": stream_error(404),
    "googleai/streaming-failure-image-rejected.txt": stream_error(400),
}

# {"error": ...} bodies of an HTTP error status: test_apierrors.py's business, not ours.
ERROR_ENVELOPES = {
    "googleai/unary-failure-api-key.json",
    "googleai/unary-failure-api-key.txt",
    "googleai/unary-failure-generativelanguage-api-not-enabled.json",
    "googleai/unary-failure-unknown-model.json",
    "googleai/unary-failure-unknown-model.txt",
    "vertexai/unary-failure-api-key.json",
    "vertexai/unary-failure-context-cache-model-doesnt-match.json",
    "vertexai/unary-failure-context-cache-not-found.json",
    "vertexai/unary-failure-firebaseml-api-not-enabled.json",
    "vertexai/unary-failure-firebasevertexai-api-not-enabled.json",
    "vertexai/unary-failure-generate-images-prompt-blocked.json",
    "vertexai/unary-failure-http-error.json",
    "vertexai/unary-failure-iam-permission-denied.json",
    "vertexai/unary-failure-image-rejected.json",
    "vertexai/unary-failure-invalid-context-cache-id.json",
    "vertexai/unary-failure-invalid-location-url-not-found.html",
    "vertexai/unary-failure-model-not-found.json",
    "vertexai/unary-failure-quota-exceeded.json",
    "vertexai/unary-failure-unknown-model.json",
    "vertexai/unary-failure-unsupported-user-location.json",
}


def check(parsed: ParsedResponse, expect: Expect) -> None:
    """The outcome of one fixture, field by field."""
    assert len(parsed.images) == expect.images
    assert tuple(block.reason for block in parsed.blocks) == expect.blocks
    assert parsed.blocked == (expect.images == 0 and bool(expect.blocks))
    if expect.text is not None:
        assert parsed.text.startswith(expect.text)
        if not expect.text:
            assert parsed.text == ""
    if expect.blocks:
        first = parsed.blocks[0]
        assert first.message  # the service's explanation, or ours
        if expect.message is not None:
            assert " ".join(first.message.split()).startswith(" ".join(expect.message.split()))
        assert first.detail == expect.detail
        assert first.count == expect.count
    assert bool(parsed.thought_text) == expect.thought_text
    if expect.finish_reason is not None:
        assert parsed.finish_reason == expect.finish_reason
    for image in parsed.images:
        assert image.data or image.gcs_uri
        assert image.mime_type.startswith("image/")


def read_stream(name: str) -> list[dict[str, Any]]:
    """Every event of a streaming fixture, fed in awkward 1000-byte pieces."""
    data = fixture_path(name).read_bytes()
    parser = gemini.SSEParser()
    events: list[dict[str, Any]] = []
    for start in range(0, len(data), 1000):
        events.extend(parser.feed(data[start : start + 1000]))
    return events + parser.close()


# ----------------------------------------------------------------------------- the tests


def test_every_fixture_is_classified() -> None:
    on_disk = {
        f"{path.parent.name}/{path.name}"
        for folder in ("vertexai", "googleai")
        for path in (FIXTURES / folder).iterdir()
    }
    tables = [set(IMAGEN), set(UNARY), set(STREAMS), ERROR_ENVELOPES]
    classified = set().union(*tables)
    assert on_disk - classified == set(), "new fixtures: add them to a table"
    assert classified - on_disk == set(), "tables name fixtures that do not exist"
    assert sum(len(table) for table in tables) == len(classified), "a fixture is in two tables"


@pytest.mark.parametrize("name", sorted(IMAGEN))
def test_imagen_fixture(name: str) -> None:
    parsed = imagen.parse_predict_response(load_fixture(name))
    check(parsed, IMAGEN[name])
    assert parsed.model_content is None


def test_imagen_fixture_details() -> None:
    base64_set = imagen.parse_predict_response(
        load_fixture("vertexai/unary-success-generate-images-base64.json")
    )
    assert all(
        image.data.startswith(b"\x89PNG") and image.mime_type == "image/png" for image in base64_set.images
    )
    raw = load_fixture("vertexai/unary-success-generate-images-base64.json")["predictions"]
    assert [image.b64 for image in base64_set.images] == [p["bytesBase64Encoded"] for p in raw]

    gcs = imagen.parse_predict_response(load_fixture("vertexai/unary-success-generate-images-gcs.json"))
    assert all(image.gcs_uri.startswith("gs://") and not image.data for image in gcs.images)
    assert {image.mime_type for image in gcs.images} == {"image/jpeg"}

    safety = imagen.parse_predict_response(
        load_fixture("vertexai/unary-success-generate-images-safety_info.json")
    )
    assert safety.images[1].safety_attributes == {"cat1": 0.5, "cat2": 1.0}
    assert safety.images[2].safety_attributes == {"cat1": 0.537234, "cat2": 0.0000000001}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_generate_content_fixture(name: str) -> None:
    expect = UNARY[name]
    body = json.loads(fixture_path(name).read_text())
    if expect.error is not None:
        with pytest.raises(ResponseFormatError, match=expect.error):
            gemini.parse_generate_content_response(body)
        return
    parsed = gemini.parse_generate_content_response(body)
    check(parsed, expect)
    candidates = body.get("candidates") or [{}]
    assert parsed.model_content == candidates[0].get("content")  # verbatim, whatever its shape


def test_thought_signature_fixture_keeps_the_signature_on_its_part() -> None:
    name = "googleai/unary-success-thinking-function-call-thought-summary-signature.json"
    body = load_fixture(name)
    parsed = gemini.parse_generate_content_response(body)
    assert parsed.model_content == body["candidates"][0]["content"]
    parts = parsed.model_content["parts"]
    assert parts[0]["thought"] is True
    assert parts[1]["thoughtSignature"] == body["candidates"][0]["content"]["parts"][1]["thoughtSignature"]
    assert parsed.thought_text.startswith("**Thinking Through the New Year's Eve Calculation**")
    assert parsed.usage["thoughts_token_count"] > 0


def test_gemini_image_fixture_details() -> None:
    parsed = gemini.parse_generate_content_response(load_fixture("vertexai/unary-success-empty-part.json"))
    (image,) = parsed.images
    assert image.data.startswith(b"\x89PNG") and image.mime_type == "image/png"
    assert parsed.model_content is not None and {} in parsed.model_content["parts"]  # kept as received
    assert parsed.usage["candidates_tokens_details"] == [
        {"modality": "TEXT", "token_count": 41},
        {"modality": "IMAGE", "token_count": 258},
    ]
    assert parsed.model_version == "gemini-2.5-flash-image-preview"
    assert parsed.response_id == "J3yvaJjSDpGgwu8PicCqmQs"


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_stream_fixture(name: str) -> None:
    expect = STREAMS[name]
    events = read_stream(name)
    if expect.stream_error is not None:
        errors = [number for number, event in enumerate(events) if "error" in event]
        assert errors == [expect.events] == [len(events) - 1]
        assert events[-1]["error"]["code"] == expect.stream_error
        if expect.text is not None:
            before = gemini.merge_stream_chunks(events[:-1])
            check(gemini.parse_generate_content_response(before), text_only(expect.text))
        return
    assert not any("error" in event for event in events)
    if expect.error is not None:
        with pytest.raises(ResponseFormatError, match=expect.error):
            gemini.parse_generate_content_response(gemini.merge_stream_chunks(events))
        return
    merged = gemini.merge_stream_chunks(events)
    parsed = gemini.parse_generate_content_response(merged)
    check(parsed, expect)
    signatures = [
        part["thoughtSignature"]
        for event in events
        for candidate in event.get("candidates", [])
        for part in (candidate.get("content") or {}).get("parts", [])
        if "thoughtSignature" in part
    ]
    kept = [
        part["thoughtSignature"]
        for part in (parsed.model_content or {}).get("parts", [])
        if "thoughtSignature" in part
    ]
    assert kept == signatures


def test_stream_fixture_keeps_the_last_usage_and_finish_message() -> None:
    events = read_stream("googleai/streaming-success-empty-parts.txt")
    parsed = gemini.parse_generate_content_response(gemini.merge_stream_chunks(events))
    assert parsed.usage["candidates_token_count"] == 1307
    assert parsed.response_id == "kLewaKa5ONqI-8YP-c_NuAQ"

    finished = read_stream("googleai/streaming-success-finish-message.txt")
    parsed = gemini.parse_generate_content_response(gemini.merge_stream_chunks(finished))
    assert (parsed.finish_reason, parsed.finish_message) == ("STOP", "Finished successfully")


def test_stream_fixture_signature_on_a_function_call_part_survives_the_merge() -> None:
    name = "googleai/streaming-success-thinking-function-call-thought-summary-signature.txt"
    parsed = gemini.parse_generate_content_response(gemini.merge_stream_chunks(read_stream(name)))
    assert parsed.model_content is not None
    signed = [part for part in parsed.model_content["parts"] if "thoughtSignature" in part]
    assert len(signed) == 1 and "functionCall" in signed[0]
    assert [bool(part.get("thought")) for part in parsed.model_content["parts"]] == [True, True, False]
