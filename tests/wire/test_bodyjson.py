"""wire/bodyjson.py: json.loads of answer bodies with the big base64 strings lifted out of the scan."""

from __future__ import annotations

import base64
import json
import os

import pytest
from vertex_image.wire import bodyjson

BIG = base64.b64encode(os.urandom(bodyjson.LIFT_MIN_BYTES)).decode()


def gemini_body(*datas: str, text: str = "a fox", indent: int | None = None) -> bytes:
    parts = [{"text": text}] + [{"inlineData": {"mimeType": "image/png", "data": data}} for data in datas]
    answer = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
              "usageMetadata": {"promptTokenCount": 3}}
    return json.dumps(answer, indent=indent).encode()


@pytest.mark.parametrize("indent", [None, 2])
def test_loads_equals_json_loads_and_lifts_every_big_string(indent: int | None) -> None:
    second = BIG[::-1]
    body = gemini_body(BIG, "QUJD", second, indent=indent)
    assert len(bodyjson.lifted_spans(body)) == 2  # the small one stays in the scan
    value = bodyjson.loads(body)
    assert value == json.loads(body)
    assert value["candidates"][0]["content"]["parts"][3]["inlineData"]["data"] == second


def test_imagen_predictions_are_lifted_too() -> None:
    body = json.dumps({"predictions": [{"bytesBase64Encoded": BIG, "mimeType": "image/png"}]}).encode()
    assert len(bodyjson.lifted_spans(body)) == 1
    assert bodyjson.loads(body) == json.loads(body)


def test_a_key_inside_a_text_is_not_taken_for_a_key() -> None:
    trap = 'look: {"data":"' + "A" * bodyjson.LIFT_MIN_BYTES + '"}'
    body = gemini_body(BIG, text=trap)
    assert len(bodyjson.lifted_spans(body)) == 1
    value = bodyjson.loads(body)
    assert value == json.loads(body) and value["candidates"][0]["content"]["parts"][0]["text"] == trap


def test_a_string_with_an_escape_or_not_ascii_goes_through_json() -> None:
    escaped = gemini_body(BIG[:100] + "\\/" + BIG[100:]).replace(b"\\\\/", b"\\/")
    assert bodyjson.lifted_spans(escaped) == []
    assert bodyjson.loads(escaped) == json.loads(escaped)
    accented = gemini_body("é" + BIG).replace(b"\\u00e9", "é".encode())
    assert bodyjson.loads(accented) == json.loads(accented)


def test_a_text_that_looks_like_the_marker_falls_back_to_plain_json() -> None:
    body = json.dumps({"candidates": [{"content": {"parts": [
        {"inlineData": {"data": BIG}}, {"inlineData": {"data": "\x00vertex-image-lifted:0"}}]}}]}).encode()
    assert bodyjson.loads(body) == json.loads(body)


def test_not_json_raises_value_error_as_json_does() -> None:
    with pytest.raises(ValueError):
        bodyjson.loads(b'{"data":"' + BIG.encode() + b'"')  # cut off before the closing brace
    with pytest.raises(ValueError):
        bodyjson.loads(b"<html>" + BIG.encode())
