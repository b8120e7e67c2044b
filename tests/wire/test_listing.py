"""wire/listing.py: the model ids of one page of a Gemini API or Vertex listing, and the next page."""

from __future__ import annotations

import pytest
from vertex_image.base.errors import ResponseFormatError
from vertex_image.wire.listing import listed_page, looks_like_image_model


def test_a_gemini_api_page_gives_ids_without_models_prefix_and_the_next_token() -> None:
    body = {
        "models": [
            {"name": "models/gemini-nano-banana-2.1", "supportedGenerationMethods": ["generateContent"]},
            {"name": "models/gemini-3.6-flash"},
        ],
        "nextPageToken": "p2",
    }
    assert listed_page(body) == (["gemini-nano-banana-2.1", "gemini-3.6-flash"], "p2")


def test_a_vertex_page_gives_ids_without_publisher_prefix_and_the_last_page_has_no_token() -> None:
    body = {"publisherModels": [{"name": "publishers/google/models/gemini-3-pro-image", "launchStage": "GA"}]}
    assert listed_page(body) == (["gemini-3-pro-image"], None)


def test_an_empty_page_is_no_model_and_the_end() -> None:
    assert listed_page({}) == ([], None)
    assert listed_page({"nextPageToken": ""}) == ([], None)


@pytest.mark.parametrize("body", [[], {"error": {"code": 500}}, "models"])
def test_anything_else_is_a_response_format_error(body: object) -> None:
    with pytest.raises(ResponseFormatError):
        listed_page(body)  # type: ignore[arg-type]


def test_entries_without_a_name_are_skipped() -> None:
    assert listed_page({"models": [{}, {"name": 5}, {"name": "models/x-image"}]}) == (["x-image"], None)


@pytest.mark.parametrize(
    ("model_id", "image"),
    [("gemini-nano-banana-3", True), ("gemini-4-flash-image", True), ("imagen-5.0-generate-001", True),
     ("gemini-3.6-flash", False), ("gemini-embedding-001", False)],
)  # fmt: skip
def test_which_listed_ids_look_like_image_models(model_id: str, image: bool) -> None:
    assert looks_like_image_model(model_id) is image
