"""The SSE parser and the joining of stream chunks (WIRE.md §5.7)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from mock_responses import fixture_path
from vertex_image.base.errors import ResponseFormatError
from vertex_image.wire import gemini

PNG = b"\x89PNG\r\n\x1a\n" + b"\x03" * 16
PNG_B64 = base64.b64encode(PNG).decode()


def parse_all(data: bytes, step: int | None = None) -> list[dict[str, Any]]:
    """Feed ``data`` in pieces of ``step`` bytes (all at once when None), then close."""
    parser = gemini.SSEParser()
    events: list[dict[str, Any]] = []
    pieces = [data] if step is None else [data[i : i + step] for i in range(0, len(data), step)]
    for piece in pieces:
        events.extend(parser.feed(piece))
    events.extend(parser.close())
    return events


def sse(*objects: Any, end: str = "\n") -> bytes:
    """An SSE body with one ``data:`` event per object."""
    return "".join(f"data: {json.dumps(obj)}{end}{end}" for obj in objects).encode()


# ----------------------------------------------------------------------------- SSEParser


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("step", [None, 1, 7], ids=["whole", "byte-by-byte", "7-bytes"])
def test_events_with_any_line_end_and_any_chunking(end: str, step: int | None) -> None:
    objects = [{"responseId": "r1", "n": 1}, {"responseId": "r1", "text": "é ✓ 秋"}]
    assert parse_all(sse(*objects, end=end), step) == objects


def test_feed_returns_each_event_as_soon_as_its_blank_line_arrives() -> None:
    parser = gemini.SSEParser()
    assert parser.feed(b'data: {"a": 1}\n') == []
    assert parser.feed(b"\n") == [{"a": 1}]
    assert parser.feed(b'data: {"b": 2}\r\n\r\ndata: {"c"') == [{"b": 2}]
    assert parser.feed(b": 3}\r\n\r\n") == [{"c": 3}]
    assert parser.close() == []


def test_crlf_split_between_two_chunks_is_one_line_end() -> None:
    parser = gemini.SSEParser()
    assert parser.feed(b'data: {"a": 1}\r') == []
    assert parser.feed(b"\n\r") == [{"a": 1}]
    assert parser.feed(b'\ndata: {"b": 2}\r\n\r\n') == [{"b": 2}]


def test_multi_line_data_is_joined_with_newlines() -> None:
    body = b'data: {"text":\ndata:  "two lines",\ndata: "n": 2}\n\n'
    assert parse_all(body) == [{"text": "two lines", "n": 2}]


def test_data_without_a_space_after_the_colon() -> None:
    assert parse_all(b'data:{"a":1}\n\n') == [{"a": 1}]


def test_comments_and_other_fields_are_ignored() -> None:
    body = b': keep-alive\nevent: message\nid: 7\nretry: 1000\ndata: {"a": 1}\n\n'
    assert parse_all(body) == [{"a": 1}]


def test_close_flushes_a_last_event_without_blank_line() -> None:
    parser = gemini.SSEParser()
    assert parser.feed(b'data: {"a": 1}\n\ndata: {"b": 2}') == [{"a": 1}]
    assert parser.close() == [{"b": 2}]


def test_a_five_megabyte_data_line_in_small_chunks() -> None:
    big = "A" * (5 * 1024 * 1024)
    chunk = {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": big}}]}}]}
    events = parse_all(sse(chunk, end="\r\n"), step=65536)
    assert len(events) == 1
    assert events[0]["candidates"][0]["content"]["parts"][0]["inlineData"]["data"] == big


def test_a_150000_character_thought_signature_line() -> None:
    signature = base64.b64encode(b"\x9a" * 112_500).decode()
    assert len(signature) == 150_000
    chunk = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "", "thoughtSignature": signature}]}}]
    }
    (event,) = parse_all(sse(chunk), step=4096)
    assert event["candidates"][0]["content"]["parts"][0]["thoughtSignature"] == signature


def test_bare_json_error_after_events_is_returned_as_a_dict() -> None:
    body = (
        sse({"candidates": [], "responseId": "r"})
        + b'{\n  "error": {\n    "code": 499,\n    "message": "The {operation} was \\"cancelled\\" }",\n'
        + b'    "status": "CANCELLED"\n  }\n}\n'
    )
    events = parse_all(body, step=5)
    assert events == [
        {"candidates": [], "responseId": "r"},
        {"error": {"code": 499, "message": 'The {operation} was "cancelled" }', "status": "CANCELLED"}},
    ]


def test_bare_json_object_is_returned_before_close() -> None:
    parser = gemini.SSEParser()
    assert parser.feed(b'{"error": {"code": 429,\n') == []
    assert parser.feed(b'"message": "slow down \\\\"}}\n') == [
        {"error": {"code": 429, "message": "slow down \\"}}
    ]


def test_bare_object_right_after_data_lines_ends_their_event() -> None:
    assert parse_all(b'data: {"a": 1}\n{"error": {"code": 500}}\n') == [
        {"a": 1},
        {"error": {"code": 500}},
    ]


def test_array_wrapped_error_is_unwrapped() -> None:
    assert parse_all(b'[{"error": {"code": 429, "message": "x"}}]\n') == [
        {"error": {"code": 429, "message": "x"}}
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"data: {not json}\n\n", "not JSON"),
        (b"data: [1, 2]\n\n", "not a JSON object"),
        (b'data: "text"\n\n', "not a JSON object"),
        (b"hello there\n", "neither SSE nor JSON"),
        (b'{"error": {"code": 500', "ended in the middle of a JSON object"),
    ],
)
def test_unreadable_streams_raise_response_format_error(body: bytes, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        parse_all(body)


def test_utf8_split_inside_a_character() -> None:
    body = sse({"text": "秋风瑟瑟"})
    assert parse_all(body, step=1) == [{"text": "秋风瑟瑟"}]


# ----------------------------------------------------------------------------- merge_stream_chunks


def candidate_chunk(parts: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """One stream event with one candidate holding ``parts``."""
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    candidate.update(fields.pop("candidate", {}))
    return {"candidates": [candidate], "responseId": "r1", **fields}


def test_merge_keeps_parts_in_order_with_their_signatures() -> None:
    chunks = [
        candidate_chunk(
            [{"text": "thinking", "thought": True}],
            usageMetadata={"promptTokenCount": 5, "totalTokenCount": 5},
        ),
        candidate_chunk([{"text": "Here you go", "thoughtSignature": "c2ln"}]),
        candidate_chunk([{"text": " and more"}]),
        candidate_chunk(
            [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}, "thoughtSignature": "c2lnMg=="}]
        ),
        candidate_chunk(
            [{"text": ""}],
            candidate={"finishReason": "STOP"},
            usageMetadata={"promptTokenCount": 5, "candidatesTokenCount": 1290, "totalTokenCount": 1295},
            modelVersion="gemini-2.5-flash-image",
        ),
    ]
    assert gemini.merge_stream_chunks(chunks) == {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "thinking", "thought": True},
                        {"text": "Here you go", "thoughtSignature": "c2ln"},
                        {"text": " and more"},
                        {
                            "inlineData": {"mimeType": "image/png", "data": PNG_B64},
                            "thoughtSignature": "c2lnMg==",
                        },
                    ],
                },
                "index": 0,
                "finishReason": "STOP",
            }
        ],
        "responseId": "r1",
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1290, "totalTokenCount": 1295},
        "modelVersion": "gemini-2.5-flash-image",
    }


def test_merge_keeps_a_signature_only_part_with_empty_text() -> None:
    merged = gemini.merge_stream_chunks(
        [candidate_chunk([{"text": "a"}]), candidate_chunk([{"text": "", "thoughtSignature": "c2ln"}])]
    )
    assert merged["candidates"][0]["content"]["parts"] == [
        {"text": "a"},
        {"text": "", "thoughtSignature": "c2ln"},
    ]


def test_merge_drops_empty_parts_without_signature_or_thought() -> None:
    merged = gemini.merge_stream_chunks(
        [
            candidate_chunk([{"text": "a"}, {}]),
            candidate_chunk([{"text": ""}, {"text": "", "thought": True}]),
        ]
    )
    assert merged["candidates"][0]["content"]["parts"] == [
        {"text": "a"},
        {"text": "", "thought": True},
    ]


def test_merge_finish_fields_come_from_the_last_chunk_that_has_them() -> None:
    merged = gemini.merge_stream_chunks(
        [
            candidate_chunk([{"text": "a"}], candidate={"finishReason": "STOP", "finishMessage": "early"}),
            candidate_chunk(
                [{"text": "b"}], candidate={"finishReason": "IMAGE_SAFETY", "finishMessage": "late"}
            ),
            candidate_chunk([{"text": "c"}]),
        ]
    )
    candidate = merged["candidates"][0]
    assert (candidate["finishReason"], candidate["finishMessage"]) == ("IMAGE_SAFETY", "late")


def test_merge_keeps_grounding_and_prompt_feedback() -> None:
    merged = gemini.merge_stream_chunks(
        [
            candidate_chunk([{"text": "a"}], candidate={"groundingMetadata": {"webSearchQueries": ["q"]}}),
            candidate_chunk([{"text": "b"}], candidate={"groundingMetadata": {}}),
            {"promptFeedback": {"safetyRatings": []}, "responseId": "r1"},
        ]
    )
    assert merged["candidates"][0]["groundingMetadata"] == {"webSearchQueries": ["q"]}
    assert merged["promptFeedback"] == {"safetyRatings": []}
    assert gemini.parse_generate_content_response(merged).grounding == {"webSearchQueries": ["q"]}


def test_merge_candidates_by_index() -> None:
    def chunk(index: int, text: str) -> dict[str, Any]:
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": index}]}

    merged = gemini.merge_stream_chunks([chunk(1, "b1"), chunk(0, "a1"), chunk(1, "b2")])
    assert [c["index"] for c in merged["candidates"]] == [0, 1]
    assert merged["candidates"][1]["content"]["parts"] == [{"text": "b1"}, {"text": "b2"}]


def test_merge_a_candidate_that_never_had_content_has_none() -> None:
    merged = gemini.merge_stream_chunks([{"candidates": [{"finishReason": "NO_IMAGE", "index": 0}]}])
    assert merged == {"candidates": [{"finishReason": "NO_IMAGE", "index": 0}]}
    assert gemini.parse_generate_content_response(merged).blocks[0].reason == "NO_IMAGE"


def test_merge_does_not_change_the_chunks() -> None:
    chunks = [candidate_chunk([{"text": "a"}]), candidate_chunk([{"text": "b"}])]
    snapshot = json.dumps(chunks)
    merged = gemini.merge_stream_chunks(chunks)
    merged["candidates"][0]["content"]["parts"].append({"text": "x"})
    assert json.dumps(chunks) == snapshot


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        ([{"this": [1]}], "not a GenerateContentResponse"),
        ([{"error": {"code": 499, "message": "cancelled"}}], "cancelled"),
        ([{"candidates": ["x"]}], "not a JSON object"),
        ([{"candidates": [{"content": "x"}]}], "content that is not a JSON object"),
        ([{"candidates": [{"content": {"parts": "x"}}]}], "parts that are not a list"),
        ([{"candidates": [{"content": {"parts": ["x"]}}]}], "part that is not a JSON object"),
    ],
)
def test_merge_refuses_chunks_that_are_not_responses(chunks: list[Any], message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        gemini.merge_stream_chunks(chunks)


def test_streamed_image_reply_parses_like_the_unary_one() -> None:
    """The typical sequence of WIRE.md §5.7, through parser, merge and parse."""
    events = [
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"text": "Here you go", "thoughtSignature": "c2ln"}],
                    },
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5},
            "modelVersion": "gemini-2.5-flash-image",
            "responseId": "r1",
        },
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}],
                    },
                    "index": 0,
                }
            ],
            "modelVersion": "gemini-2.5-flash-image",
            "responseId": "r1",
        },
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1290, "totalTokenCount": 1295},
            "modelVersion": "gemini-2.5-flash-image",
            "responseId": "r1",
        },
    ]
    body = "".join(f"data: {json.dumps(event, separators=(',', ':'))}\r\n\r\n" for event in events).encode()
    parsed = gemini.parse_generate_content_response(gemini.merge_stream_chunks(parse_all(body, step=3)))
    (image,) = parsed.images
    assert image.data == PNG
    assert parsed.text == "Here you go"
    assert parsed.finish_reason == "STOP"
    assert parsed.usage["candidates_token_count"] == 1290
    assert parsed.model_content == {
        "role": "model",
        "parts": [
            {"text": "Here you go", "thoughtSignature": "c2ln"},
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
        ],
    }


def test_mid_stream_error_fixture_yields_the_error_after_two_events() -> None:
    events = parse_all(fixture_path("vertexai/streaming-failure-error-mid-stream.txt").read_bytes())
    assert len(events) == 3
    assert [part["text"] for event in events[:2] for part in event["candidates"][0]["content"]["parts"]] == [
        "First ",
        "Second ",
    ]
    assert events[2]["error"]["code"] == 499
    assert events[2]["error"]["status"] == "CANCELLED"
