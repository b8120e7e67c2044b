"""Which models are served on which day: the catalog's dates and an injectable clock, never a hard-coded state."""

from __future__ import annotations

from datetime import date

import pytest
from vertex_image.base.errors import ModelRetired
from vertex_image.base.lifecycle import state_on, summary
from vertex_image.base.models import check_lifecycle, list_models, resolve_model

TODAY = date(2026, 11, 30)

# The "state on 2026-11-30" column of shared/MODELS-2026-11.md §1, per surface (gemini-api, vertex).
MODELS_2026_11 = {
    "imagen-3.0-generate-002": ("retired", "retired"),
    "imagen-3.0-generate-001": ("retired", "retired"),
    "imagen-3.0-fast-generate-001": ("retired", "retired"),
    "imagen-3.0-capability-001": ("retired", "retired"),  # never on the Gemini API
    "imagen-4.0-generate-001": ("retired", "retired"),
    "imagen-4.0-ultra-generate-001": ("retired", "retired"),
    "imagen-4.0-fast-generate-001": ("retired", "retired"),
    "imagen-4.0-upscale-preview": ("retired", "retired"),
    "gemini-2.0-flash-preview-image-generation": ("retired", "retired"),
    "gemini-2.5-flash-image-preview": ("retired", "retired"),
    "gemini-2.5-flash-image": ("restricted", "retired"),
    "gemini-3-pro-image-preview": ("retired", "retired"),
    "gemini-3.1-flash-image-preview": ("retired", "retired"),
    "gemini-3-pro-image": ("live", "live"),
    "gemini-3.1-flash-image": ("deprecated", "deprecated"),
    "gemini-3.1-flash-lite-image": ("live", "live"),
    "gemini-nano-banana-2.1": ("live", "live"),
}


def test_every_model_of_the_catalog_is_in_the_table_and_back() -> None:
    assert {m.id for m in list_models()} == set(MODELS_2026_11)


@pytest.mark.parametrize(("model_id", "states"), sorted(MODELS_2026_11.items()))
def test_state_on_2026_11_30_matches_models_2026_11(model_id: str, states: tuple[str, str]) -> None:
    info = resolve_model(model_id)
    assert (state_on(info, "gemini-api", TODAY).state, state_on(info, "vertex", TODAY).state) == states


def test_moving_the_clock_past_a_shutdown_date_retires_a_live_model() -> None:
    pro = resolve_model("gemini-3-pro-image-preview")
    assert state_on(pro, "gemini-api", date(2026, 6, 24)).state == "deprecated"
    assert state_on(pro, "gemini-api", date(2026, 6, 25)).state == "retired"
    assert state_on(pro, "vertex", date(2026, 6, 25)).state == "deprecated"  # Vertex's date is later
    imagen = resolve_model("imagen4")
    assert state_on(imagen, "vertex", date(2026, 3, 1)).state == "live"
    assert state_on(imagen, "vertex", date(2026, 7, 1)).state == "deprecated"
    assert state_on(imagen, "vertex", date(2026, 8, 17)).state == "retired"


def test_a_model_is_not_served_before_its_release() -> None:
    assert state_on(resolve_model("nano-banana"), "vertex", date(2026, 10, 5)).state == "retired"
    assert state_on(resolve_model("nano-banana"), "vertex", date(2026, 10, 6)).state == "live"


def test_summary_speaks_of_both_surfaces_only_when_they_differ() -> None:
    assert summary(resolve_model("imagen4"), TODAY) == "shut down 2026-08-17"
    assert summary(resolve_model("nano-banana"), TODAY) == "live"
    assert summary(resolve_model("gemini-2.5-flash-image"), TODAY) == (
        "restricted since 2026-09-18 on the Gemini API; shut down 2026-10-02 on Vertex AI"
    )


def test_a_retired_model_is_refused_with_the_date_the_replacement_and_what_cannot_carry_over() -> None:
    with pytest.raises(ModelRetired) as caught:
        check_lifecycle(resolve_model("imagen4"), "vertex", options=("negative_prompt", "seed"), today=TODAY)
    error = caught.value
    assert str(error) == (
        "imagen-4.0-generate-001 was shut down on 2026-08-17 on Vertex AI; nothing was sent. "
        "Use gemini-nano-banana-2.1 with thinking high. Not carried over: negative_prompt. "
        "(retired_models='migrate' does this for you.)"
    )
    assert (error.replacement, error.thinking, error.dropped) == ("gemini-nano-banana-2.1", "HIGH", ("negative_prompt",))


@pytest.mark.parametrize(
    ("model_id", "replacement", "thinking"),
    [
        ("imagen-4.0-generate-001", "gemini-nano-banana-2.1", "HIGH"),
        ("imagen-4.0-fast-generate-001", "gemini-nano-banana-2.1", "MINIMAL"),
        ("imagen-4.0-ultra-generate-001", "gemini-3-pro-image", None),  # always thinks
        ("imagen-3.0-capability-001", "gemini-nano-banana-2.1", None),
        ("gemini-3-pro-image-preview", "gemini-3-pro-image", None),
        ("gemini-2.0-flash-preview-image-generation", "gemini-nano-banana-2.1", None),  # via 2.5, retired on Vertex
    ],
)
def test_migrate_follows_googles_migration_table(model_id: str, replacement: str, thinking: str | None) -> None:
    checked = check_lifecycle(resolve_model(model_id), "vertex", policy="migrate", today=TODAY)
    assert (checked.info.id, checked.thinking, checked.migrated_from) == (replacement, thinking, model_id)
    assert checked.notice.startswith(f"note: {model_id} was shut down on ") and f"sent to {replacement}" in checked.notice


def test_send_lets_a_retired_model_through_for_a_private_endpoint() -> None:
    checked = check_lifecycle(resolve_model("imagen4"), "vertex", policy="send", today=TODAY)
    assert checked.info.id == "imagen-4.0-generate-001" and checked.notice is None


def test_a_model_with_no_replacement_is_refused_even_under_migrate() -> None:
    with pytest.raises(ModelRetired, match="has no replacement; nothing was sent"):
        check_lifecycle(resolve_model("imagen-4.0-upscale-preview"), "vertex", policy="migrate", today=TODAY)


def test_deprecated_and_restricted_models_go_ahead_with_a_notice() -> None:
    flash = check_lifecycle(resolve_model("nano-banana-2"), "gemini-api", today=TODAY)
    assert flash.info.id == "gemini-3.1-flash-image"
    assert flash.notice == (
        "note: gemini-3.1-flash-image is deprecated; Google names gemini-nano-banana-2.1 as its successor."
    )
    restricted = check_lifecycle(resolve_model("gemini-2.5-flash-image"), "gemini-api", today=TODAY)
    assert "only to projects that used it before" in restricted.notice
    with pytest.raises(ModelRetired):
        check_lifecycle(resolve_model("gemini-2.5-flash-image"), "vertex", today=TODAY)


def test_live_and_unknown_models() -> None:
    assert check_lifecycle(resolve_model("nano-banana"), "vertex", today=TODAY).notice is None
    unknown = check_lifecycle(resolve_model("gemini-4-flash-image"), "vertex", today=TODAY)
    assert unknown.info.id == "gemini-4-flash-image" and "sent, unchecked" in unknown.notice
