"""core/costs: the kernel's ledger and budget, the estimate of request bodies, dry-run redaction, the totals."""

from __future__ import annotations

import threading

import pytest
from vertex_image.base.errors import BudgetExceeded, InvalidRequest
from vertex_image.base.models import resolve_model
from vertex_image.base.pricing import Cost
from vertex_image.core.costs import (
    Charge,
    Ledger,
    body_bytes,
    check_max_cost,
    estimate_gemini,
    gemini_inputs,
    maybe_billed,
    redacted,
    report,
    shortened,
    stored_totals,
)

NB21 = resolve_model("gemini-nano-banana-2.1").prices
IMAGE = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo" + "A" * 4000}}


def test_a_call_over_what_is_left_is_refused_with_the_figures_and_holds_nothing() -> None:
    ledger = Ledger()
    ledger.record(Charge(Cost(0.07), "m"))
    ticket = ledger.reserve(Cost(0.02, estimated=True), budget=0.10)
    assert ledger.reserved == pytest.approx(0.02)
    with pytest.raises(BudgetExceeded) as refused:
        ledger.reserve(Cost(0.0336, estimated=True), budget=0.10)
    assert refused.value.remaining == pytest.approx(0.01)
    assert str(refused.value) == (
        "Not sent: the estimate $0.0336 would cross the budget: spent $0.0700 of $0.1000, $0.0100 left "
        "($0.0200 held by calls in flight). Raise it with vi.configure(budget_usd=N) or "
        "%config VertexImageMagics.budget_usd = N."
    )
    assert ledger.reserved == pytest.approx(0.02), "a refused call holds nothing"
    ticket.release()
    assert ledger.reserved == 0
    ledger.reserve(Cost(0.03, estimated=True), budget=0.10)  # fits once the other call ended


def test_no_budget_refuses_nothing_but_max_cost_still_does() -> None:
    ledger = Ledger()
    ledger.reserve(Cost(100.0), budget=None)
    with pytest.raises(BudgetExceeded, match=r"this call's estimate \$0.0336 is over its max_cost \$0.0300\.$"):
        ledger.check(Cost(0.0336), budget=None, max_cost=0.03)
    ledger.check(Cost(0.0336), budget=None, max_cost=0.0336)


def test_a_retry_that_would_cross_the_budget_is_refused() -> None:
    ledger = Ledger()
    ledger.reserve(Cost(0.04, estimated=True), budget=0.06)
    ledger.record(Charge(Cost(0.04, estimated=True), "m", kind="attempt"))  # the failed attempt, maybe billed
    with pytest.raises(BudgetExceeded, match=r"^Not retried: the failed attempt may have been billed \(~\$0.0400 est"):
        ledger.check_retry(Cost(0.04, estimated=True), budget=0.06)
    ledger.check_retry(Cost(0.04, estimated=True), budget=0.10)


def test_reservations_from_many_threads_never_cross_the_budget() -> None:
    ledger = Ledger()
    granted: list[bool] = []

    def call() -> None:
        try:
            ledger.reserve(Cost(0.01), budget=0.05)
            granted.append(True)
        except BudgetExceeded:
            granted.append(False)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 5 and ledger.reserved == pytest.approx(0.05)


def test_which_failed_attempts_may_have_been_billed() -> None:
    assert maybe_billed("503 UNAVAILABLE") and maybe_billed("500 INTERNAL") and maybe_billed("timeout")
    assert maybe_billed("connection dropped")
    assert not maybe_billed("429 RESOURCE_EXHAUSTED") and not maybe_billed("connect error")


@pytest.mark.parametrize("bad", [-1, "1", True, float("nan")])
def test_max_cost_must_be_a_number_of_usd(bad: object) -> None:
    with pytest.raises(InvalidRequest, match="max_cost must be a number of USD >= 0"):
        check_max_cost(bad)
    check_max_cost(None)
    check_max_cost(0)


def test_the_inputs_of_a_body_count_every_replayed_turn_and_the_system_instruction() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "a fox"}]},
            {"role": "model", "parts": [{"text": "plan", "thought": True}, IMAGE]},
            {"role": "user", "parts": [{"text": "bluer"}, {"fileData": {"fileUri": "gs://b/x.png"}}]},
        ],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
    }
    assert gemini_inputs(body) == (len("a fox") + len("plan") + len("bluer") + len("be brief"), 2)
    cost = estimate_gemini(NB21, [body, body], image_size="2K", searches=0, prices_as_of="today")
    assert cost.estimated and cost.prices_as_of == "today"
    assert cost.items["input_image"] == pytest.approx(2 * 2 * 1120 * 1.5e-6)
    assert cost.items["output_image"] == pytest.approx(2 * 1680 * 30e-6)


def test_a_dry_run_body_is_shortened_and_redacted_but_its_size_is_the_real_one() -> None:
    body = {"contents": [{"parts": [{"text": "key AIzaSECRETSECRET"}, IMAGE]}]}
    shown = redacted(shortened(body), ["AIzaSECRETSECRET"])
    text = str(shown)
    assert "AIzaSECRETSECRET" not in text and "<redacted>" in text
    assert "iVBORw0KGgoAAAAAAAAAAAAA... (4,011 characters of base64)" in text
    assert body["contents"][0]["parts"][1]["inlineData"]["data"].startswith("iVBOR") and "..." not in str(body)
    assert body_bytes([body]) > 4000 > len(text)


def test_the_report_splits_by_model_session_and_day_and_adds_the_store() -> None:
    ledger = Ledger()
    ledger.record(Charge(Cost(0.03), "a", when=0))
    ledger.record(Charge(Cost(0.02, estimated=True), "b", session="fox", kind="attempt", when=0))
    ledger.record(Charge(Cost(0.05), "b", session="fox", when=86400 * 3))
    stored = [
        {"cost": {"usd": 1.0}, "backend": "vertex", "day": "2026-11-01", "kind": "call"},
        {"cost": {"usd": 0.5}, "backend": "emulator", "day": "2026-11-02", "kind": "call"},
        {"cost": None},
    ]
    totals = report(ledger, budget=0.2, stored=stored, prices_as_of="2026-11-30")
    assert totals.total == pytest.approx(0.10) and totals.measured == pytest.approx(0.08)
    assert totals.estimated == pytest.approx(0.02) and totals.calls == 2
    assert totals.by_model == pytest.approx({"a": 0.03, "b": 0.07})
    assert totals.by_session == pytest.approx({"": 0.03, "fox": 0.07})
    assert len(totals.by_day) == 2 and totals.remaining == pytest.approx(0.10)
    assert totals.all_time == pytest.approx(1.5) and totals.all_time_since == "2026-11-01"
    assert totals.all_time_by_backend == pytest.approx({"vertex": 1.0, "emulator": 0.5})
    assert totals.as_dict()["by_model"] == totals.by_model
    assert repr(totals).startswith("CostReport(this kernel $0.1000 in 2 calls ($0.0800 measured")


def test_the_store_totals_summed_in_the_index_give_the_same_report_as_its_charges() -> None:
    stored = [
        {"cost": {"usd": 1.0}, "backend": "vertex", "day": "2026-11-01", "kind": "call"},
        {"cost": {"usd": 0.5}, "backend": "emulator", "day": "2026-11-02", "kind": "attempt"},
        {"cost": None},
    ]
    totals = stored_totals(stored)
    assert totals == {"usd": 1.5, "calls": 1, "since": "2026-11-01", "by_backend": {"vertex": 1.0, "emulator": 0.5}}
    by_rows = report(Ledger(), budget=None, stored=stored, prices_as_of="2026-11-30")
    by_totals = report(Ledger(), budget=None, stored=totals, prices_as_of="2026-11-30")
    assert by_rows == by_totals and by_totals.all_time_calls == 1


def test_a_charge_with_an_id_carries_it_to_the_index_line() -> None:
    assert Charge(Cost(0.01), "m", charge_id="batches/7/row-1", when=0).as_dict()["charge_id"] == "batches/7/row-1"
    assert "charge_id" not in Charge(Cost(0.01), "m", when=0).as_dict()
