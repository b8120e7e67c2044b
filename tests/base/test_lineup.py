"""The lineup is data a person edits: every row must be complete and consistent, or a test says which."""

from __future__ import annotations

from datetime import date

import pytest
from vertex_image.base.lineup import MODELS, RECOMMENDED
from vertex_image.base.models import output_size, resolve_model

ROWS = {row["id"]: row for row in MODELS}


def test_ids_and_aliases_are_unique() -> None:
    names = [name.lower() for row in MODELS for name in (row["id"], *row.get("aliases", ()))]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("row", MODELS, ids=lambda row: row["id"])
def test_every_row_has_dates_a_family_and_prices(row: dict) -> None:
    assert row["family"] in ("imagen", "gemini")
    assert row["surfaces"] and set(row["surfaces"]) <= {"gemini-api", "vertex"}
    for dates in row["surfaces"].values():
        parsed = {key: date.fromisoformat(value) for key, value in dates.items() if value}
        assert set(parsed) <= {"released", "deprecated", "restricted", "shutdown"}
        if "shutdown" in parsed and "deprecated" in parsed:
            assert parsed["deprecated"] <= parsed["shutdown"]
    assert row["prices"], row["id"]
    if row.get("replacement"):
        assert row["replacement"] in ROWS


def test_the_recommended_model_is_the_default_everywhere() -> None:
    from vertex_image.base.config import DEFAULT_GEMINI_MODEL, DEFAULT_IMAGEN_MODEL, Settings

    assert RECOMMENDED == "gemini-nano-banana-2.1"
    assert DEFAULT_IMAGEN_MODEL == DEFAULT_GEMINI_MODEL == RECOMMENDED
    assert Settings().default_imagen_model == Settings().default_gemini_model == RECOMMENDED


@pytest.mark.parametrize(
    ("model", "size", "dollars"),
    [
        ("gemini-nano-banana-2.1", "1K", 0.034),
        ("gemini-nano-banana-2.1", "2K", 0.050),
        ("gemini-nano-banana-2.1", "4K", 0.113),
        ("gemini-3.1-flash-image", "1K", 0.067),
        ("gemini-3.1-flash-lite-image", "1K", 0.034),
        ("gemini-3-pro-image", "1K", 0.134),
        ("gemini-3-pro-image", "2K", 0.134),
        ("gemini-3-pro-image", "4K", 0.24),
    ],
)
def test_image_token_counts_give_the_per_image_prices_of_models_2026_11(model: str, size: str, dollars: float) -> None:
    prices = resolve_model(model).prices
    assert prices["image_tokens"][size] * prices["image_output_per_m"] / 1e6 == pytest.approx(dollars, abs=0.0015)


def test_sizes_of_today_from_the_image_generation_page() -> None:
    nb = resolve_model("nano-banana")
    assert output_size(nb, "16:9", "2K") == (2752, 1536)
    assert output_size(nb, "1:8", "4K") == (1536, 12288)
    assert output_size(nb, "21:9", "4K") == (6336, 2688)
