"""core/model_choice.py: the model a call goes to, checked against the lineup; a notice once per kernel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from vertex_image.base.config import Settings
from vertex_image.base.errors import InvalidRequest, ModelRetired
from vertex_image.core.model_choice import choose_model, forget_notices


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    forget_notices()
    yield
    forget_notices()


def test_a_live_model_goes_ahead_without_a_notice() -> None:
    chosen = choose_model("nano-banana", Settings(backend="vertex"))
    assert chosen.info.id == "gemini-nano-banana-2.1" and chosen.notice is None


def test_a_deprecated_models_notice_is_given_once_per_surface_until_forgotten() -> None:
    vertex, gemini_api = Settings(backend="vertex"), Settings(backend="gemini-api")
    assert choose_model("nano-banana-2", vertex).notice is not None
    assert choose_model("gemini-3.1-flash-image", vertex).notice is None  # the same model, told already
    assert choose_model("nano-banana-2", gemini_api).notice is not None  # another surface
    forget_notices()
    assert choose_model("nano-banana-2", vertex).notice is not None


def test_a_retired_model_follows_the_retired_models_setting() -> None:
    with pytest.raises(ModelRetired, match="imagen-4.0-generate-001 was shut down on 2026-08-17"):
        choose_model("imagen4", Settings(backend="vertex"))
    migrated = choose_model("imagen4", Settings(backend="vertex", retired_models="migrate"), options=["seed"])
    assert (migrated.info.id, migrated.thinking, migrated.migrated_from) == (
        "gemini-nano-banana-2.1", "HIGH", "imagen-4.0-generate-001",
    )  # fmt: skip
    again = choose_model("imagen4", Settings(backend="vertex", retired_models="migrate"))
    assert again.notice is not None  # a migration is told every time: it changes what is sent
    assert choose_model("imagen4", Settings(backend="vertex", retired_models="send")).info.id == "imagen-4.0-generate-001"


def test_the_surface_decides_for_a_model_retired_on_one_surface_only() -> None:
    with pytest.raises(ModelRetired, match="on Vertex AI"):
        choose_model("gemini-2.5-flash-image", Settings(backend="vertex"))
    restricted = choose_model("gemini-2.5-flash-image", Settings(backend="gemini-api"))
    assert "only to projects that used it before" in restricted.notice
    emulated = Settings(backend="emulator", emulator_mode="gemini-api")
    assert choose_model("gemini-2.5-flash-image", emulated).info.id == "gemini-2.5-flash-image"


def test_a_near_miss_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="did you mean"):
        choose_model("imagen5", Settings(backend="vertex"))
