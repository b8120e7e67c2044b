"""``vi.list_models``: the catalog with each model's state today, and (``live=True``) what the service lists.

The catalog knows what each model can do and when Google retires it; only the service knows which ids this
caller can use today. ``list_models(live=True)`` asks it (every page) and marks each catalog row live here or
missing here, and adds the image-like ids the service lists that the catalog does not know yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from ..base import lifecycle
from ..base.models import RECOMMENDED, ModelInfo, list_models, output_size
from ..client.endpoints import models_list_url
from ..wire.listing import listed_page, looks_like_image_model

if TYPE_CHECKING:
    from ..client.http import Client

MAX_PAGES = 50  # a listing longer than this is cut (and says so): 5,000 models at 100 a page


@dataclass(frozen=True)
class ModelRow:
    """One model as ``%vertex_image models`` shows it."""

    id: str
    name: str
    family: str
    aliases: tuple[str, ...]
    state: str  # live | deprecated | restricted | retired, on the surface in use
    summary: str  # both surfaces in words, with dates
    replacement: str | None
    ratios: dict[str, str] = field(default_factory=dict)  # ratio -> "WxH" at 1K (or the smallest size)
    sizes: tuple[str, ...] = ()
    thinking: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    price_per_image: dict[str, float] = field(default_factory=dict)  # size -> USD, standard price
    listed: bool | None = None  # live=True: the service lists it for this caller; None: not asked
    in_catalog: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for ``vi.list_models()`` users who want a DataFrame)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def price_per_image(info: ModelInfo) -> dict[str, float]:
    """USD per image by size at the standard price (tokens x price), or the flat Imagen price."""
    prices = info.prices
    if "per_image" in prices:
        return {size: prices["per_image"] for size in info.image_sizes or ("1K",)}
    tokens = prices.get("image_tokens", {})
    rate = prices.get("image_output_per_m", 0.0) / 1e6
    return {size: round(count * rate, 4) for size, count in tokens.items()}


def catalog_rows(surface: str, today: date | None = None, models: Iterable[ModelInfo] | None = None) -> list[ModelRow]:
    """Every catalog model with its state on ``surface`` today: live first, then deprecated, then retired."""
    rows = [_row(info, surface, today) for info in (models if models is not None else list_models())]
    order = {state: rank for rank, state in enumerate(("live", "deprecated", "restricted", "retired"))}
    return sorted(rows, key=lambda row: (order[row.state], row.id != RECOMMENDED, row.family != "gemini"))


def _row(info: ModelInfo, surface: str, today: date | None) -> ModelRow:
    size = "1K" if "1K" in info.image_sizes or not info.image_sizes else info.image_sizes[0]
    ratios = {}
    for ratio in info.aspect_ratios:
        width, height = output_size(info, ratio, size)
        ratios[ratio] = f"{width}x{height}" if width else ""  # Imagen 3: Google published no pixel table
    return ModelRow(
        id=info.id,
        name=info.display_name,
        family=info.family,
        aliases=info.aliases,
        state=lifecycle.state_on(info, surface, today).state,
        summary=lifecycle.summary(info, today),
        replacement=info.replacement,
        ratios=ratios,
        sizes=info.image_sizes,
        thinking=info.thinking_levels,
        search=info.search_types,
        price_per_image=price_per_image(info),
    )


def with_listing(rows: list[ModelRow], listed: Iterable[str]) -> list[ModelRow]:
    """The rows marked listed or not, plus image-like listed ids the catalog does not know."""
    ids = {model_id.split("@")[0] for model_id in listed}
    known = {row.id for row in rows}
    marked = [replace(row, listed=row.id in ids) for row in rows]
    new = [
        ModelRow(id=model_id, name=model_id, family="gemini" if "gemini" in model_id else "imagen", aliases=(),
                 state="live", summary="listed by the service, not yet in vertex-image's catalog", replacement=None,
                 listed=True, in_catalog=False)
        for model_id in sorted(ids - known)
        if looks_like_image_model(model_id)
    ]  # fmt: skip
    return marked + new


async def listed_ids(client: Client) -> list[str]:
    """Every model id the service lists for this caller (all pages, at most ``MAX_PAGES``)."""
    ids: list[str] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page, token = listed_page(await client.get_json(models_list_url(client.settings, page_token=token)))
        ids.extend(page)
        if token is None:
            break
    return ids
