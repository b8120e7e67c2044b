"""base/errors.py: the tree of typed errors, their attributes, and that they survive pickling."""

from __future__ import annotations

import pickle

import pytest
from vertex_image.base import errors
from vertex_image.base.errors import (
    APIError,
    AuthError,
    Cancelled,
    ImageBlocked,
    InvalidRequest,
    NoImageReturned,
    QuotaExceeded,
    StorageError,
    VertexImageError,
)


def test_every_error_is_a_vertex_image_error_and_bad_input_is_also_a_value_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), VertexImageError), name
    assert issubclass(InvalidRequest, ValueError)
    assert issubclass(AuthError, APIError) and issubclass(NoImageReturned, ImageBlocked)


def test_str_is_the_message_and_attributes_default_sensibly() -> None:
    error = APIError("quota", code=429, status="RESOURCE_EXHAUSTED", details=({"a": 1},))
    assert str(error) == "quota" and error.args == ("quota",)
    assert (error.code, error.status, error.reason, error.details, error.url, error.retry_after_s) == (
        429, "RESOURCE_EXHAUSTED", "", [{"a": 1}], "", None)  # fmt: skip
    assert str(Cancelled()) == "cancelled"
    assert StorageError("no room", path="/x").path == "/x"


@pytest.mark.parametrize(
    "error",
    [
        QuotaExceeded("later", retry_after_s=8.0, quota_id="q", code=429, status="RESOURCE_EXHAUSTED"),
        ImageBlocked("blocked", reasons=["IMAGE_SAFETY"], text="sorry"),
        StorageError("full", path="/tmp/x"),
        Cancelled(),
    ],
)
def test_errors_pickle_with_their_class_message_and_attributes(error: VertexImageError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error) and copy.__dict__ == error.__dict__


def test_rebuild_makes_an_error_from_its_attributes_without_calling_init() -> None:
    made = errors.rebuild(QuotaExceeded, {"message": "later", "quota_id": "q"})
    assert type(made) is QuotaExceeded and str(made) == "later" and made.quota_id == "q"
    assert not hasattr(made, "retry_after_s")  # nothing but the given state
