"""core/discovery.py: the catalog as rows with today's state and prices, marked with what a listing names."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from vertex_image.base.config import Settings
from vertex_image.base.models import resolve_model
from vertex_image.core.discovery import catalog_rows, listed_ids, price_per_image, with_listing

TODAY = date(2026, 11, 30)


def test_rows_put_the_recommended_model_first_and_retired_ones_last() -> None:
    rows = catalog_rows("vertex", TODAY)
    assert rows[0].id == "gemini-nano-banana-2.1" and rows[0].state == "live"
    states = [row.state for row in rows]
    assert states == sorted(states, key=("live", "deprecated", "restricted", "retired").index)
    imagen = next(row for row in rows if row.id == "imagen-4.0-generate-001")
    assert (imagen.state, imagen.replacement, imagen.summary) == ("retired", "gemini-nano-banana-2.1", "shut down 2026-08-17")


def test_the_surface_and_the_day_decide_the_state() -> None:
    flash25 = lambda surface, day: next(r for r in catalog_rows(surface, day) if r.id == "gemini-2.5-flash-image")  # noqa: E731
    assert flash25("gemini-api", TODAY).state == "restricted"
    assert flash25("vertex", TODAY).state == "retired"
    assert flash25("vertex", date(2026, 3, 1)).state == "live"


def test_a_row_has_pixel_sizes_and_prices_per_image() -> None:
    row = next(r for r in catalog_rows("vertex", TODAY) if r.id == "gemini-nano-banana-2.1")
    assert row.ratios["16:9"] == "1376x768" and row.ratios["8:1"] == "3072x384"
    assert row.price_per_image == {"1K": 0.0336, "2K": 0.0504, "4K": 0.1128}
    assert row.as_dict()["id"] == "gemini-nano-banana-2.1"
    assert price_per_image(resolve_model("imagen4")) == {"1K": 0.04, "2K": 0.04}


def test_a_listing_marks_rows_and_adds_new_image_models_only() -> None:
    rows = with_listing(catalog_rows("vertex", TODAY), ["gemini-nano-banana-2.1@001", "gemini-9-image", "gemini-3.6-flash"])
    by_id = {row.id: row for row in rows}
    assert by_id["gemini-nano-banana-2.1"].listed is True and by_id["imagen-4.0-generate-001"].listed is False
    assert by_id["gemini-9-image"].in_catalog is False and by_id["gemini-9-image"].listed is True
    assert "gemini-3.6-flash" not in by_id  # not an image model


class _Pages:
    """A client whose get_json answers pages of a listing and records the URLs asked for."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.settings = Settings(backend="gemini-api", base_url="http://127.0.0.1:9")
        self.pages = pages
        self.urls: list[str] = []

    async def get_json(self, url: str) -> dict[str, Any]:
        self.urls.append(url)
        return self.pages[len(self.urls) - 1]


def test_listed_ids_follows_every_page() -> None:
    client = _Pages([{"models": [{"name": "models/a-image"}], "nextPageToken": "t/2"}, {"models": [{"name": "models/b"}]}])
    assert asyncio.run(listed_ids(client)) == ["a-image", "b"]  # type: ignore[arg-type]
    assert client.urls[0] == "http://127.0.0.1:9/v1beta/models?pageSize=100"
    assert client.urls[1] == "http://127.0.0.1:9/v1beta/models?pageSize=100&pageToken=t%2F2"
