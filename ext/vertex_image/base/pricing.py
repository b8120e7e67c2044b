"""What a call costs in USD: from the usage metadata an answer carried, or estimated before sending.

Pure rules over plain values (no I/O, no kernel state). The prices are the catalog's (``lineup``: each
model's ``prices``, ``PRICES_AS_OF``, ``SEARCH_PER_1K``, ``BATCH_DISCOUNT``), or the user's own rate for a
model (``vi.configure(prices={model_id: {...}})``), merged over the catalog's by ``prices_for``.

- ``cost_of_usage``: one answer's cost from its token counts: prompt tokens (text and image, split by
  ``promptTokensDetails`` when the service gives it), output tokens (image and text, split by
  ``candidatesTokensDetails``), thinking tokens (billed as text output), tool-use prompt tokens, and the
  Google Search queries a grounded answer ran. ``None`` when the answer carried no token counts (a
  gateway that strips them): the caller then uses the estimate, marked as one.
- ``cost_of_images``: the flat per-image price of the legacy Imagen family (its answers carry no usage).
- ``estimate``: before sending, from the model, the size, the count and what the request carries (its
  text, and its input images: a session turn replays its history).

Batch mode costs ``BATCH_DISCOUNT`` (50%) of the token prices; search queries are not discounted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest
from .lineup import BATCH_DISCOUNT, PRICES_AS_OF, SEARCH_PER_1K

MODES = ("standard", "batch")
CHARS_PER_TOKEN = 4  # the estimate's text tokens: Google's rule of thumb (about 4 characters a token)
DEFAULT_SIZE = "1K"  # the size a Gemini image model draws when none is sent
DEFAULT_INPUT_IMAGE_TOKENS = 1120  # a model whose row gives none (an unknown model): as 3.1 Flash Image
USER_RATE = "your rate"  # ``Cost.prices_as_of`` when configure(prices=...) set the model's prices
RATE_KEYS = ("input_per_m", "image_input_per_m", "image_output_per_m", "text_output_per_m", "per_image",
             "search_per_1k")  # fmt: skip
COUNT_KEYS = ("image_tokens", "input_image_tokens")
PRICE_KEYS = RATE_KEYS + COUNT_KEYS
# the items of a cost, in the order the breakdown lists them
ITEMS = ("input_text", "input_image", "output_image", "output_text", "thinking", "search", "images")


@dataclass(frozen=True)
class Cost:
    """What one answer, one call, one turn or a whole session cost (or will cost), in USD.

    Attributes:
        usd: the amount.
        estimated: True when any part is an estimate (before sending, an answer without usage, a failed
            attempt that may have been billed) rather than the answer's own token counts.
        prices_as_of: the date of the price table (``lineup.PRICES_AS_OF``), or ``your rate``.
        mode: ``standard`` or ``batch``.
        items: USD by item (``input_text``, ``input_image``, ``output_image``, ``output_text``, ``thinking``,
            ``search``, ``images`` for flat per-image prices); the items add up to ``usd``.
    """

    usd: float
    estimated: bool = False
    prices_as_of: str = PRICES_AS_OF
    mode: str = "standard"
    items: Mapping[str, float] = field(default_factory=dict, compare=False)

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        items = dict(self.items)
        for name, usd in other.items.items():
            items[name] = items.get(name, 0.0) + usd
        return Cost(
            usd=self.usd + other.usd,
            estimated=self.estimated or other.estimated,
            prices_as_of=self.prices_as_of if self.prices_as_of == other.prices_as_of else "mixed",
            mode=self.mode if self.mode == other.mode else "mixed",
            items=items,
        )

    def scaled(self, factor: float, *, estimated: bool | None = None) -> Cost:
        """This cost times ``factor`` (one image's share of an answer, one request's share of a call)."""
        return Cost(
            usd=self.usd * factor,
            estimated=self.estimated if estimated is None else estimated,
            prices_as_of=self.prices_as_of,
            mode=self.mode,
            items={name: usd * factor for name, usd in self.items.items()},
        )

    @property
    def text(self) -> str:
        """``$0.0348``, or ``~$0.0336 est.`` for an estimate."""
        return f"~{usd_text(self.usd)} est." if self.estimated else usd_text(self.usd)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        flags = ", estimated" if self.estimated else ""
        mode = f", {self.mode}" if self.mode != "standard" else ""
        return f"Cost({usd_text(self.usd)}{flags}{mode}, prices of {self.prices_as_of})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (sidecars, the index, session files)."""
        return {
            "usd": round(self.usd, 8),
            "estimated": self.estimated,
            "prices_as_of": self.prices_as_of,
            "mode": self.mode,
            "items": {name: round(usd, 8) for name, usd in self.items.items() if usd},
        }

    @classmethod
    def from_dict(cls, value: Any) -> Cost | None:
        """A cost read back from ``as_dict``; ``None`` for anything else (an entry written before costs)."""
        if not isinstance(value, Mapping) or not _number(value.get("usd")):
            return None
        items = value.get("items")
        return cls(
            usd=float(value["usd"]),
            estimated=bool(value.get("estimated", False)),
            prices_as_of=str(value.get("prices_as_of") or PRICES_AS_OF),
            mode=str(value.get("mode") or "standard"),
            items={str(k): float(v) for k, v in items.items() if _number(v)} if isinstance(items, Mapping) else {},
        )


def usd_text(usd: float) -> str:
    """Dollars to four decimals below $10 (a 1K image is about $0.034), to cents above."""
    return f"${usd:.4f}" if abs(usd) < 10 else f"${usd:,.2f}"


def total(costs: Iterable[Cost | None]) -> Cost | None:
    """The sum of the costs that are known; ``None`` when none is."""
    known = [cost for cost in costs if cost is not None]
    if not known:
        return None
    result = known[0]
    for cost in known[1:]:
        result = result + cost
    return result


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# the prices -----------------------------------------------------------------------------------------
def prices_for(
    model_id: str, catalog: Mapping[str, Any], overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[dict[str, Any], str]:
    """The prices of ``model_id`` and their date: the catalog's row, with the user's rate over it.

    Args:
        model_id: the resolved model id.
        catalog: the model's ``prices`` from the catalog (``ModelInfo.prices``).
        overrides: ``Settings.prices``: model id -> prices, checked by ``check_overrides``.
    """
    prices = dict(catalog)
    own = (overrides or {}).get(model_id)
    if own:
        prices.update(own)
        return prices, USER_RATE
    return prices, PRICES_AS_OF


def check_overrides(value: Any, resolve: Any = None) -> dict[str, dict[str, Any]]:
    """``configure(prices=...)``: ``{model: {key: USD, ...}}`` checked, model names resolved to ids.

    Args:
        value: the mapping given.
        resolve: turns a model name or alias into its id (``models.resolve_model(name).id``); None keeps names.

    Raises:
        InvalidRequest: not a mapping of mappings, an unknown price key, or a price that is not a number >= 0.
    """
    if not isinstance(value, Mapping):
        raise InvalidRequest(
            f"prices must be a dict of model -> prices, e.g. {{'gemini-nano-banana-2.1': {{'image_output_per_m': "
            f"24.0}}}}, not {type(value).__name__}."
        )
    checked: dict[str, dict[str, Any]] = {}
    for name, prices in value.items():
        if not isinstance(name, str) or not isinstance(prices, Mapping):
            raise InvalidRequest(f"prices[{name!r}] must be a dict of price keys ({', '.join(PRICE_KEYS)}).")
        model_id = resolve(name) if resolve is not None else name
        row: dict[str, Any] = {}
        for key, amount in prices.items():
            if key not in PRICE_KEYS:
                raise InvalidRequest(
                    f"Unknown price key {key!r} for {name}; the keys are: {', '.join(PRICE_KEYS)} "
                    "(USD per 1M tokens, per image, per 1,000 search queries; token counts by size)."
                )
            if key in COUNT_KEYS:
                row[key] = _check_counts(name, key, amount)
            elif not _number(amount) or amount < 0:
                raise InvalidRequest(f"prices[{name!r}][{key!r}] must be a number of USD >= 0, not {amount!r}.")
            else:
                row[key] = float(amount)
        checked[model_id] = row
    return checked


def _check_counts(name: str, key: str, amount: Any) -> Any:
    if key == "input_image_tokens":
        if not _number(amount) or amount < 0:
            raise InvalidRequest(f"prices[{name!r}][{key!r}] must be a token count >= 0, not {amount!r}.")
        return int(amount)
    if not isinstance(amount, Mapping) or not all(_number(v) and v >= 0 for v in amount.values()):
        raise InvalidRequest(f"prices[{name!r}][{key!r}] must map sizes to token counts, e.g. {{'1K': 1120}}.")
    return {str(size): int(count) for size, count in amount.items()}


# the cost of an answer ------------------------------------------------------------------------------
def _rate(prices: Mapping[str, Any], key: str, fallback: str = "") -> float:
    value = prices.get(key)
    if not _number(value) and fallback:
        value = prices.get(fallback)
    return float(value) / 1e6 if _number(value) else 0.0


def _by_modality(details: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, Mapping):
            count = detail.get("token_count", detail.get("tokenCount"))
            modality = str(detail.get("modality", "")).upper()
            if _number(count):
                counts[modality] = counts.get(modality, 0) + int(count)
    return counts


def _discount(mode: str) -> float:
    if mode not in MODES:
        raise InvalidRequest(f"Unknown pricing mode {mode!r}; accepted: {', '.join(MODES)}.")
    return BATCH_DISCOUNT if mode == "batch" else 1.0


def search_queries(grounding: Mapping[str, Any]) -> int:
    """How many Google Search queries a grounded answer ran (web and image)."""
    count = 0
    for key in ("webSearchQueries", "web_search_queries", "imageSearchQueries", "image_search_queries"):
        queries = grounding.get(key)
        count += len(queries) if isinstance(queries, list) else 0
    return count


def cost_of_usage(
    prices: Mapping[str, Any],
    usage: Mapping[str, Any],
    *,
    images: int = 0,
    searches: int = 0,
    mode: str = "standard",
    prices_as_of: str = PRICES_AS_OF,
) -> Cost | None:
    """One answer's cost from its usage metadata (snake_case or camelCase keys); None without token counts.

    Args:
        prices: the model's prices (``prices_for``).
        usage: the answer's ``usageMetadata``.
        images: the images the answer carried (splits the output when the service gives no
            ``candidatesTokensDetails``: then every output token is priced as image output when an image
            came, as text otherwise).
        searches: the Google Search queries it ran (``search_queries``).
        mode: ``standard`` or ``batch``.
        prices_as_of: the date of ``prices``.
    """
    def count(*keys: str) -> int:
        for key in keys:
            if _number(usage.get(key)):
                return int(usage[key])
        return 0

    prompt = count("prompt_token_count", "promptTokenCount")
    output = count("candidates_token_count", "candidatesTokenCount")
    thinking = count("thoughts_token_count", "thoughtsTokenCount")
    tools = count("tool_use_prompt_token_count", "toolUsePromptTokenCount")
    if not (prompt or output or thinking):
        return None
    discount = _discount(mode)
    prompt_split = _by_modality(usage.get("prompt_tokens_details", usage.get("promptTokensDetails")))
    image_in = min(prompt, prompt_split.get("IMAGE", 0))
    output_split = _by_modality(usage.get("candidates_tokens_details", usage.get("candidatesTokensDetails")))
    if output_split:
        image_out = min(output, output_split.get("IMAGE", 0))
    else:
        image_out = output if images else 0
    items = {
        "input_text": (prompt - image_in + tools) * _rate(prices, "input_per_m") * discount,
        "input_image": image_in * _rate(prices, "image_input_per_m", "input_per_m") * discount,
        "output_image": image_out * _rate(prices, "image_output_per_m") * discount,
        "output_text": (output - image_out) * _rate(prices, "text_output_per_m") * discount,
        "thinking": thinking * _rate(prices, "text_output_per_m") * discount,
        "search": searches * _search_rate(prices),
    }
    return _cost(items, estimated=False, mode=mode, prices_as_of=prices_as_of)


def _search_rate(prices: Mapping[str, Any]) -> float:
    per_1k = prices.get("search_per_1k", SEARCH_PER_1K)
    return float(per_1k) / 1000 if _number(per_1k) else 0.0


def cost_of_images(
    prices: Mapping[str, Any], images: int, *, mode: str = "standard", prices_as_of: str = PRICES_AS_OF
) -> Cost:
    """The flat per-image price (the Imagen family) for the ``images`` an answer carried."""
    items = {"images": images * float(prices.get("per_image") or 0.0) * _discount(mode)}
    return _cost(items, estimated=False, mode=mode, prices_as_of=prices_as_of)


def _cost(items: Mapping[str, float], *, estimated: bool, mode: str, prices_as_of: str) -> Cost:
    kept = {name: usd for name, usd in items.items() if usd}
    return Cost(sum(kept.values()), estimated=estimated, prices_as_of=prices_as_of, mode=mode, items=kept)


# the estimate before sending ------------------------------------------------------------------------
def text_tokens(characters: int) -> int:
    """The estimate's token count of ``characters`` characters of text."""
    return math.ceil(characters / CHARS_PER_TOKEN) if characters > 0 else 0


def estimate(
    prices: Mapping[str, Any],
    *,
    n: int = 1,
    image_size: str | None = None,
    text_characters: int = 0,
    input_images: int = 0,
    searches: int = 0,
    mode: str = "standard",
    prices_as_of: str = PRICES_AS_OF,
) -> Cost:
    """The estimated cost of ``n`` requests, each with the same input, each drawing one image of ``image_size``.

    Counts: per request, the input text (``text_tokens``) and input images (the row's ``input_image_tokens``)
    at the input price, one image's output tokens (``image_tokens`` of the size) at the image output price,
    and ``searches`` queries. Thinking tokens are left out: their number is only known after (a few hundred
    tokens at the text output price, well under a cent). The Imagen family: ``per_image`` times ``n``.
    """
    if "per_image" in prices:
        return cost_of_images(prices, n, mode=mode, prices_as_of=prices_as_of).scaled(1, estimated=True)
    discount = _discount(mode)
    tokens = prices.get("image_tokens") or {}
    size = (image_size or DEFAULT_SIZE).upper()
    per_image = tokens.get(size) or tokens.get(DEFAULT_SIZE) or max(tokens.values(), default=0)
    per_input_image = prices.get("input_image_tokens", DEFAULT_INPUT_IMAGE_TOKENS)
    items = {
        "input_text": n * text_tokens(text_characters) * _rate(prices, "input_per_m") * discount,
        "input_image": n * input_images * per_input_image * _rate(prices, "image_input_per_m", "input_per_m")
        * discount,
        "output_image": n * per_image * _rate(prices, "image_output_per_m") * discount,
        "search": n * searches * _search_rate(prices),
    }
    return _cost(items, estimated=True, mode=mode, prices_as_of=prices_as_of)


__all__ = [
    "CHARS_PER_TOKEN",
    "ITEMS",
    "MODES",
    "PRICE_KEYS",
    "USER_RATE",
    "Cost",
    "check_overrides",
    "cost_of_images",
    "cost_of_usage",
    "estimate",
    "prices_for",
    "search_queries",
    "text_tokens",
    "total",
    "usd_text",
]
