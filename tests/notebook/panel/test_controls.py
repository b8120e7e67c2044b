"""notebook/panel/controls.py: the panel's widgets and the options that follow the chosen model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ipywidgets as widgets
import pytest
from vertex_image.base.models import resolve_model
from vertex_image.core import registry
from vertex_image.notebook.panel.controls import (
    CONVERSATION,
    ONE_SHOT,
    PanelControls,
    close_tree,
    mark_selected,
    set_options,
    tile,
)
from vertex_image.results.images import GeneratedImage

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x04\x00\x00\x00\x02"


@pytest.fixture
def controls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PanelControls]:
    monkeypatch.chdir(tmp_path)
    registry.reset()
    made = PanelControls()
    yield made
    close_tree(made.widget)
    registry.reset()


def values(dropdown: widgets.Dropdown) -> list[str]:
    return [value for _, value in dropdown.options]


def test_every_control_is_a_public_widget_of_the_tree(controls: PanelControls) -> None:
    assert controls.mode.value == ONE_SHOT and controls.count.value == 1 and controls.seed.disabled
    assert "vi-panel" in controls.widget._dom_classes
    assert "vi-generate" in controls.generate_button._dom_classes


def test_one_shot_offers_the_models_served_today_and_conversation_only_gemini(controls: PanelControls) -> None:
    controls._fill_model_options()
    assert set(values(controls.model)) == {  # Vertex (the default surface) on today's date: no Imagen, no preview
        "gemini-nano-banana-2.1", "gemini-3-pro-image", "gemini-3.1-flash-image", "gemini-3.1-flash-lite-image",
    }  # fmt: skip
    assert controls.model.value == resolve_model(registry.state().settings().default_imagen_model).id
    controls.mode.value = CONVERSATION
    controls._fill_model_options()
    assert values(controls.model) and all(resolve_model(v).family == "gemini" for v in values(controls.model))
    assert controls.model.value == resolve_model(registry.state().settings().default_gemini_model).id
    assert controls.count.disabled and controls.count.value == 1


def test_the_options_follow_the_model(controls: PanelControls) -> None:
    controls._fill_model_options()
    for model_id in values(controls.model):
        controls.model.value = model_id
        controls._fill_capabilities()
        info = resolve_model(model_id)
        assert values(controls.aspect_ratio) == ["", *info.aspect_ratios]
        assert values(controls.image_size) == ["", *info.image_sizes]
        assert controls.image_size.disabled == (not info.image_sizes)
        assert controls.count.max == max(1, info.max_count)
        assert controls.seed_auto.disabled == (not info.seed)


def test_set_options_keeps_a_value_still_offered() -> None:
    dropdown = widgets.Dropdown(options=[("a", "a"), ("b", "b")], value="b")
    set_options(dropdown, [("b", "b"), ("c", "c")])
    assert dropdown.value == "b"
    set_options(dropdown, [("c", "c"), ("d", "d")])
    assert dropdown.value == "c"
    dropdown.close()


def test_a_selected_tile_is_marked_and_the_others_are_not() -> None:
    picked: list[object] = []
    grid = widgets.Box([tile(index, GeneratedImage.from_bytes(PNG, seed=index), picked.append) for index in range(3)])
    mark_selected(grid, 1)
    assert [item.children[-1].description for item in grid.children] == ["Select", "✓ Selected", "Select"]
    grid.children[2].children[-1].click()
    assert len(picked) == 1
    mark_selected(grid, None)
    assert {item.layout.border for item in grid.children} == {"3px solid transparent"}
    close_tree(grid)
    assert grid.comm is None and all(item.comm is None for item in grid.children)
