"""base/pricing: the cost of an answer from its usage metadata, the estimate before sending, overrides."""

from __future__ import annotations

import pytest
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.lineup import PRICES_AS_OF
from vertex_image.base.models import resolve_model
from vertex_image.base.pricing import (
    USER_RATE,
    Cost,
    check_overrides,
    cost_of_images,
    cost_of_usage,
    estimate,
    prices_for,
    search_queries,
    total,
    usd_text,
)

NB21 = resolve_model("gemini-nano-banana-2.1").prices  # $1.50 in, $30 image out, $3 text out per 1M


def test_a_1k_image_answer_costs_its_tokens_times_the_catalog_prices() -> None:
    usage = {
        "prompt_token_count": 1130,
        "prompt_tokens_details": [{"modality": "TEXT", "token_count": 10}, {"modality": "IMAGE", "token_count": 1120}],
        "candidates_token_count": 1125,
        "candidates_tokens_details": [{"modality": "IMAGE", "token_count": 1120}, {"modality": "TEXT", "token_count": 5}],
        "thoughts_token_count": 200,
    }
    cost = cost_of_usage(NB21, usage, images=1)
    assert cost is not None and not cost.estimated and cost.prices_as_of == PRICES_AS_OF
    assert cost.items["input_text"] == pytest.approx(10 * 1.5e-6)
    assert cost.items["input_image"] == pytest.approx(1120 * 1.5e-6)
    assert cost.items["output_image"] == pytest.approx(1120 * 30e-6)  # $0.0336: the catalog's 1K price
    assert cost.items["output_text"] == pytest.approx(5 * 3e-6)
    assert cost.items["thinking"] == pytest.approx(200 * 3e-6)  # thinking is billed as text output
    assert cost.usd == pytest.approx(sum(cost.items.values()))


def test_camel_case_usage_and_no_details_are_read_too() -> None:
    camel = cost_of_usage(NB21, {"promptTokenCount": 10, "candidatesTokenCount": 1120}, images=1)
    assert camel is not None and camel.items == pytest.approx({"input_text": 1.5e-5, "output_image": 0.0336})
    text_only = cost_of_usage(NB21, {"promptTokenCount": 10, "candidatesTokenCount": 20}, images=0)
    assert text_only is not None and "output_image" not in text_only.items
    assert text_only.items["output_text"] == pytest.approx(20 * 3e-6)


def test_an_answer_without_token_counts_has_no_measured_cost() -> None:
    assert cost_of_usage(NB21, {}, images=1) is None
    assert cost_of_usage(NB21, {"traffic_type": "ON_DEMAND"}, images=1) is None


def test_batch_mode_is_half_the_token_price_but_not_the_search_price() -> None:
    usage = {"prompt_token_count": 100, "candidates_token_count": 1120}
    standard = cost_of_usage(NB21, usage, images=1, searches=2)
    batch = cost_of_usage(NB21, usage, images=1, searches=2, mode="batch")
    assert standard is not None and batch is not None and batch.mode == "batch"
    assert batch.items["output_image"] == pytest.approx(standard.items["output_image"] / 2)
    assert batch.items["search"] == standard.items["search"] == pytest.approx(2 * 14 / 1000)
    with pytest.raises(InvalidRequest, match="Unknown pricing mode 'cheap'"):
        cost_of_usage(NB21, usage, mode="cheap")


def test_search_queries_counts_web_and_image_queries_in_either_spelling() -> None:
    assert search_queries({"webSearchQueries": ["a", "b"], "image_search_queries": ["c"]}) == 3
    assert search_queries({}) == 0


def test_the_estimate_counts_size_count_input_text_and_input_images() -> None:
    one = estimate(NB21, image_size="2K")
    assert one.estimated and one.usd == pytest.approx(1680 * 30e-6)
    four_k = estimate(NB21, n=3, image_size="4k", text_characters=400, input_images=2)
    assert four_k.items["output_image"] == pytest.approx(3 * 3760 * 30e-6)
    assert four_k.items["input_text"] == pytest.approx(3 * 100 * 1.5e-6)  # 4 characters a token
    assert four_k.items["input_image"] == pytest.approx(3 * 2 * 1120 * 1.5e-6)
    assert estimate(NB21).usd == pytest.approx(0.0336)  # no size sent: the model draws 1K


def test_imagen_is_a_flat_price_per_image() -> None:
    prices = resolve_model("imagen-4.0-generate-001").prices
    assert cost_of_images(prices, 3).usd == pytest.approx(0.12)
    assert not cost_of_images(prices, 3).estimated
    assert estimate(prices, n=4).usd == pytest.approx(0.16) and estimate(prices, n=4).estimated


def test_a_user_rate_overrides_the_catalog_and_says_so() -> None:
    overrides = check_overrides({"nano-banana": {"image_output_per_m": 24}}, resolve=lambda m: resolve_model(m).id)
    assert overrides == {"gemini-nano-banana-2.1": {"image_output_per_m": 24.0}}
    prices, as_of = prices_for("gemini-nano-banana-2.1", NB21, overrides)
    assert as_of == USER_RATE and prices["input_per_m"] == NB21["input_per_m"]
    assert estimate(prices, prices_as_of=as_of).usd == pytest.approx(1120 * 24e-6)
    assert prices_for("gemini-3-pro-image", {"input_per_m": 2.0}, overrides)[1] == PRICES_AS_OF


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1], "prices must be a dict of model -> prices"),
        ({"m": 3}, r"prices\['m'\] must be a dict of price keys"),
        ({"m": {"output": 1}}, "Unknown price key 'output' for m; the keys are: input_per_m"),
        ({"m": {"input_per_m": -1}}, "must be a number of USD >= 0, not -1"),
        ({"m": {"input_per_m": "1"}}, "must be a number of USD >= 0, not '1'"),
        ({"m": {"image_tokens": 5}}, "must map sizes to token counts"),
    ],
)
def test_bad_overrides_are_one_line_errors(value: object, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_overrides(value)


def test_costs_add_keep_their_flags_and_round_trip_through_json() -> None:
    measured = Cost(0.0347, items={"output_image": 0.0336, "thinking": 0.0011})
    guess = Cost(0.0336, estimated=True, items={"output_image": 0.0336})
    both = measured + guess
    assert both.usd == pytest.approx(0.0683) and both.estimated
    assert both.items["output_image"] == pytest.approx(0.0672)
    assert total([None, measured, None, guess]) == both and total([None]) is None
    assert Cost.from_dict(both.as_dict()) == both
    assert Cost.from_dict(None) is None and Cost.from_dict({"usd": "x"}) is None
    assert measured.text == "$0.0347" and guess.text == "~$0.0336 est."
    assert usd_text(12.345) == "$12.35"
    assert repr(guess) == f"Cost($0.0336, estimated, prices of {PRICES_AS_OF})"
