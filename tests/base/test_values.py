"""base/values.py: the wire-neutral values between the wire layer and everything above it."""

from __future__ import annotations

import base64

import pytest
from vertex_image.base.values import Block, ImageInput, ParsedResponse, ReceivedImage


def test_an_input_image_sends_its_bytes_in_standard_base64_unless_it_carries_its_own_text() -> None:
    data = bytes([251, 255, 191])
    assert ImageInput(data).base64() == base64.b64encode(data).decode() == "+/+/"
    assert ImageInput(data, b64="-_-_").base64() == "-_-_"  # a replayed image keeps the text it came as
    assert ImageInput(uri="gs://b/x.png").base64() == ""


def test_a_response_is_blocked_only_without_images_and_with_a_reason() -> None:
    image = ReceivedImage(b"x", "image/png")
    assert ParsedResponse(blocks=(Block("IMAGE_SAFETY"),)).blocked
    assert not ParsedResponse(images=(image,), blocks=(Block("IMAGE_SAFETY"),)).blocked
    assert not ParsedResponse().blocked


def test_values_are_frozen() -> None:
    with pytest.raises(AttributeError):
        ImageInput(b"x").data = b"y"  # type: ignore[misc]
    assert ParsedResponse().usage == {} and ParsedResponse().usage is not ParsedResponse().usage


def test_joined_responses_keep_every_image_block_and_text_in_order_and_sum_the_usage() -> None:
    from vertex_image.base.values import Block, ParsedResponse, ReceivedImage, joined_responses

    one = ParsedResponse(images=(ReceivedImage(b"a", "image/png"),), text="first", finish_reason="STOP",
                         usage={"totalTokenCount": 10, "note": "x"}, model_version="v1", response_id="r1",
                         model_content={"role": "model"})  # fmt: skip
    two = ParsedResponse(images=(ReceivedImage(b"b", "image/png"),), blocks=(Block("SAFETY", "no"),), text="",
                         finish_reason="SAFETY", usage={"totalTokenCount": 5}, response_id="r2")  # fmt: skip
    assert joined_responses([one]) is one
    both = joined_responses([one, two])
    assert [image.data for image in both.images] == [b"a", b"b"] and both.blocks == two.blocks
    assert both.text == "first" and both.usage == {"totalTokenCount": 15}
    assert (both.finish_reason, both.model_version, both.response_id) == ("STOP", "v1", "r1")
    assert both.model_content is None  # no single model turn stands for several answers
