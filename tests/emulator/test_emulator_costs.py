"""What it costs, against the emulator (whose usage metadata follows Google's documented token counts).

Issue 13's "must show": the cost of a 1K, 2K and 4K image of each live model equals the catalog price
within a cent; a 5-turn refinement's per-turn cost grows with the history it replays and the session total
is the sum; a $0.10 budget lets two 1K Nano Banana 2.1 images through and refuses the third before any
request; ``--dry-run`` / ``dry_run=True`` send nothing and show no secret (a canary API key).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vertex_image as vi
from apihelpers import em, kernel, recorded_emulator, recorder  # noqa: F401 - fixtures
from magicshell import emulator_shell
from vertex_image.base.models import resolve_model
from vertex_image.core import registry
from vertex_image.core.discovery import price_per_image
from vertex_image.core.session import ImageSession

LIVE = [
    ("gemini-nano-banana-2.1", "1K"), ("gemini-nano-banana-2.1", "2K"), ("gemini-nano-banana-2.1", "4K"),
    ("gemini-3-pro-image", "1K"), ("gemini-3-pro-image", "2K"), ("gemini-3-pro-image", "4K"),
    ("gemini-3.1-flash-image", "1K"), ("gemini-3.1-flash-image", "2K"), ("gemini-3.1-flash-image", "4K"),
    ("gemini-3.1-flash-lite-image", "1K"),  # Lite has 1K only
]  # fmt: skip
CANARY = "AIzaSyCANARY-key-that-must-never-show-0123"


@pytest.mark.parametrize(("model", "size"), LIVE)
def test_each_live_model_and_size_costs_the_catalog_price_within_a_cent(kernel, model: str, size: str) -> None:
    catalog = price_per_image(resolve_model(model))[size]
    guess = vi.generate_images("a red fox in the snow", model=model, image_size=size, dry_run=True)
    images = vi.generate_images("a red fox in the snow", model=model, image_size=size)
    cost = images.cost
    assert cost is not None and not cost.estimated, "the emulator's answer carries usage: the cost is measured"
    usage = images.usage
    assert cost.items["output_image"] == pytest.approx(
        usage["candidates_tokens_details"][0]["token_count"] * resolve_model(model).prices["image_output_per_m"] / 1e6
    )
    assert abs(cost.usd - catalog) < 0.01, (model, size, cost.usd, catalog)
    assert abs(guess.estimate.usd - catalog) < 0.01 and guess.estimate.estimated
    assert images[0].cost == cost  # one image per answer: the image carries its answer's whole cost
    assert cost.text in repr(images) and cost.text in repr(images[0])


def test_a_five_turn_refinement_costs_more_each_turn_and_the_session_total_is_the_sum(kernel, tmp_path: Path) -> None:
    chat = vi.chat(name="fox")
    prompts = ["a watercolor fox", "make the sky purple", "add a moon", "now in winter", "add a second fox"]
    turns = [chat.send(prompt).cost for prompt in prompts]
    assert all(cost is not None and not cost.estimated for cost in turns)
    usd = [cost.usd for cost in turns]
    assert usd == sorted(usd) and len(set(usd)) == 5, f"each turn replays more history: {usd}"
    replayed = [cost.items.get("input_image", 0.0) for cost in turns]
    assert replayed[0] == 0 and all(b > a for a, b in zip(replayed, replayed[1:])), replayed
    assert chat.cost is not None and chat.cost.usd == pytest.approx(sum(usd))
    assert [exchange.cost for exchange in chat.exchanges] == turns
    report = vi.cost()
    assert report.by_session["fox"] == pytest.approx(sum(usd)) and report.total == pytest.approx(sum(usd))
    # the costs survive a restart: the session file and the index keep them
    resumed = ImageSession.load(chat.default_path())
    assert resumed.cost is not None and resumed.cost.usd == pytest.approx(sum(usd))
    assert vi.cost().all_time == pytest.approx(sum(usd))


def test_the_estimate_of_a_turn_counts_the_history_it_will_replay(kernel) -> None:
    chat = vi.chat(name="grow")
    first = chat.send("a fox", dry_run=True).estimate
    chat.send("a fox")
    second = chat.send("now make it blue", dry_run=True).estimate
    assert second.items["input_image"] > first.items.get("input_image", 0.0)
    assert second.usd > first.usd
    assert len(chat) == 1, "a dry run records nothing"


def test_a_budget_of_ten_cents_lets_two_1k_images_through_and_refuses_the_third_before_any_request(kernel) -> None:
    vi.configure(budget_usd=0.10)
    first = vi.generate_images("a red fox", model="gemini-nano-banana-2.1", image_size="1K")
    second = vi.generate_images("a grey wolf", model="gemini-nano-banana-2.1", image_size="1K")
    assert len(kernel.sent("generateContent")) == 2
    with pytest.raises(vi.BudgetExceeded) as refused:
        vi.generate_images("a brown bear", model="gemini-nano-banana-2.1", image_size="1K")
    assert len(kernel.sent("generateContent")) == 2, "nothing was sent for the refused call"
    spent = first.cost.usd + second.cost.usd
    error = refused.value
    assert isinstance(error, vi.InvalidRequest) and "\n" not in str(error)
    assert error.spent == pytest.approx(spent) and error.remaining == pytest.approx(0.10 - spent)
    assert error.estimate == pytest.approx(0.0336, abs=1e-4)
    assert str(error).startswith(f"Not sent: the estimate $0.0336 would cross the budget: spent ${spent:.4f} of "
                                 f"$0.1000, ${0.10 - spent:.4f} left.")  # fmt: skip
    assert vi.cost().remaining == pytest.approx(0.10 - spent)
    # a cheaper call that fits is still let through, and a per-call max_cost refuses on its own
    with pytest.raises(vi.BudgetExceeded, match=r"over its max_cost \$0.0100"):
        vi.generate_images("a fox", model="gemini-nano-banana-2.1", max_cost=0.01)
    assert len(kernel.sent("generateContent")) == 2


def test_retries_that_may_have_been_billed_count_against_the_budget(tmp_path: Path) -> None:
    with recorded_emulator(fault="503x1;retry-after=0") as flaky:
        vi.configure(backend="emulator", base_url=flaky.base_url, output_dir=str(tmp_path / "out"), budget_usd=1)
        try:
            images = vi.generate_images("a red fox", model="gemini-nano-banana-2.1")
            log = recorder(flaky).sent("generateContent")
            assert [exchange.status for exchange in log] == [503, 200]
            assert images.cost is not None and images.cost.estimated, "the failed attempt is counted at its estimate"
            assert images.cost.usd == pytest.approx(images[0].cost.usd + 0.0336, abs=1e-4)
            report = vi.cost()
            assert report.estimated == pytest.approx(0.0336, abs=1e-4) and report.total == pytest.approx(
                images.cost.usd
            )
        finally:
            registry.reset()


def test_a_429_is_not_counted(tmp_path: Path) -> None:
    with recorded_emulator(fault="429x1;retry-after=0") as limited:
        vi.configure(backend="emulator", base_url=limited.base_url, output_dir=str(tmp_path / "out"))
        try:
            images = vi.generate_images("a red fox")
            assert [e.status for e in recorder(limited).sent("generateContent")] == [429, 200]
            assert images.cost is not None and not images.cost.estimated
            assert vi.cost().estimated == 0
        finally:
            registry.reset()


def test_dry_run_sends_nothing_and_shows_no_secret(tmp_path: Path) -> None:
    with recorded_emulator() as emulator:
        vi.configure(backend="emulator", emulator_mode="gemini-api", base_url=emulator.base_url, api_key=CANARY,
                     output_dir=str(tmp_path / "out"))  # fmt: skip
        try:
            source = vi.generate_images("a red fox")  # an image to edit: its base64 goes in the body
            recorder(emulator).exchanges.clear()
            emulator.clear_requests()
            plan = vi.edit_image("make it night", source, n=2, dry_run=True)
            chat = vi.chat(name="dry")
            turn = chat.send("a fox on a hill", images=source, dry_run=True)
            assert recorder(emulator).exchanges == [] and emulator.requests == []
            for dry in (plan, turn):
                shown = repr(dry) + json.dumps([dry.url, dict(dry.headers), list(dry.bodies)])
                assert CANARY not in shown and "<redacted>" in shown
                assert "characters of base64" in shown and source[0].data_url.split(",")[1] not in shown
            assert plan.requests == 2 and plan.estimate.estimated
            assert plan.estimate.items["input_image"] > 0 and plan.estimate.usd > 2 * 0.0336
            assert plan.headers["x-goog-api-key"] == "<redacted>"
            # the size is the real one: the same call sent for real carries exactly those bytes
            vi.edit_image("make it night", source, n=2)
            sent = recorder(emulator).sent("generateContent")
            assert sum(len(json.dumps(e.body, ensure_ascii=False, separators=(",", ":")).encode()) for e in sent) == (
                plan.bytes
            )
        finally:
            registry.reset()


def test_the_magics_dry_run_prints_the_request_and_sends_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with emulator_shell(capsys, tmp_path / "out") as (sh, emulator):
        vi.configure(api_key=CANARY, emulator_mode="gemini-api")
        one = sh.run("%imagen --dry-run -n 2 -s 2K a lighthouse at dawn")
        turn = sh.run("%%gemini_image -S dry --dry-run\nA watercolor fox")
        assert one.error is None and turn.error is None
        assert emulator.requests == [], "a dry run sends nothing"
        for cell in (one, turn):
            text = sh.ip.display_formatter.format(cell.result)[0]["text/plain"]
            assert "nothing was sent" in text and "estimate ~$" in text and CANARY not in text
            assert CANARY not in cell.shown
        assert "2 requests" in sh.ip.display_formatter.format(one.result)[0]["text/plain"]
        assert one.result.estimate.usd == pytest.approx(2 * 0.0504, abs=1e-4)
        assert "dry" not in registry.state().sessions, "a dry run records no session"
        sh.run("%config VertexImageMagics.budget_usd = 0.05")
        sh.run("%imagen a red fox")
        refused = sh.run("%imagen a grey wolf")
        assert len(emulator.requests) == 1
        assert "Not sent: the estimate $0.0336 would cross the budget" in refused.shown
        assert "Traceback" not in refused.shown
        table = sh.run("%vertex_image cost")
        text = sh.ip.display_formatter.format(table.result)[0]["text/plain"]
        assert "budget" in text and "$0.0500" in text and "model gemini-nano-banana-2.1" in text
