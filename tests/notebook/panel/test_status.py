"""notebook/panel/status.py: the panel's words for results, blocks, errors and progress (no widgets)."""

from __future__ import annotations

import asyncio

import pytest
from vertex_image.base.errors import (
    AuthError,
    Cancelled,
    ConfigError,
    ImageBlocked,
    InvalidRequest,
    QuotaExceeded,
    ServiceError,
    TransportError,
)
from vertex_image.base.values import Block
from vertex_image.notebook.panel.status import (
    CANCELLED_TEXT,
    blocked_text,
    describe_error,
    progress_span,
    progress_text,
    report_text,
    status_html,
)
from vertex_image.results.images import GeneratedImage, ImageSet

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x04\x00\x00\x00\x02"


def test_status_and_progress_lines_are_escaped_html() -> None:
    assert status_html("", "ok") == ""
    assert status_html("<b>done</b>", "ok") == (
        '<span class="vi-status-ok" style="color:#1e7e34">&lt;b&gt;done&lt;/b&gt;</span>'
    )
    assert "&lt;" in progress_span("<3 s")


def test_progress_text_counts_seconds_and_the_wait_before_a_retry() -> None:
    assert progress_text("imagen4", 3.9, None, now=0) == "Generating with imagen4 · 3 s"
    event = type("RetryEvent", (), {"attempt": 2, "wait_s": 8.0, "reason": "429 RESOURCE_EXHAUSTED"})()
    assert progress_text("imagen4", 5, (event, 100.0), now=103.0) == (
        "Generating with imagen4 · 5 s · attempt 2 failed (429 RESOURCE_EXHAUSTED); retry in 5 s"
    )
    assert progress_text("imagen4", 5, (event, 100.0), now=120.0).endswith("· retrying after 429 RESOURCE_EXHAUSTED")


def test_report_text_is_ok_warn_or_error() -> None:
    image = GeneratedImage.from_bytes(PNG)
    assert report_text(ImageSet(images=(image,)), "imagen-4", 1.25) == ("1 image from imagen-4 in 1.2 s.", "ok")
    some = ImageSet(images=(image, image), blocks=(Block("RAI_FILTERED", count=1),))
    text, kind = report_text(some, "m", 2, "turn 2")
    assert kind == "warn" and text.startswith("2 images from m in 2.0 s (turn 2); blocked: RAI_FILTERED")
    assert report_text(ImageSet(blocks=(Block("IMAGE_SAFETY", "withheld"),)), "m", 1)[1] == "error"


def test_blocked_text_names_the_reasons_or_quotes_the_model() -> None:
    blocked = ImageSet(blocks=(Block("PROMPT_BLOCKED", "no", detail="SAFETY"),))
    assert blocked_text(blocked) == (
        "Blocked: PROMPT_BLOCKED (SAFETY) — no. Rephrase the prompt; blocked images are not charged."
    )
    assert 'The model said: "I cannot draw that"' in blocked_text(ImageSet(text="I cannot draw that"))


@pytest.mark.parametrize(
    ("error", "start"),
    [
        (InvalidRequest("bad n"), "Not sent: bad n"),
        (AuthError("expired", code=401), "Credentials: expired"),
        (ConfigError("no project"), "Configuration: no project"),
        (TransportError("offline"), "Network: offline"),
        (ServiceError("down", code=503), "Service error: down"),
        (QuotaExceeded("slow down", retry_after_s=7.6, quota_id="q1"), "Quota exceeded (q1); retry in 8 s. slow down"),
        (ImageBlocked("no image", reasons=["IMAGE_SAFETY"]), "Blocked: IMAGE_SAFETY — no image"),
        (Cancelled(), CANCELLED_TEXT),
        (asyncio.CancelledError(), CANCELLED_TEXT),
        (KeyError("x"), "KeyError: 'x'"),
    ],
)
def test_describe_error_puts_each_kind_in_words(error: BaseException, start: str) -> None:
    assert describe_error(error) == start


def test_the_status_after_a_request_shows_its_cost_and_the_running_total() -> None:
    from vertex_image.base.errors import BudgetExceeded
    from vertex_image.base.pricing import Cost
    from vertex_image.notebook.panel.status import spend_text

    image = GeneratedImage(data=b"x", mime_type="image/png")
    paid = ImageSet(images=(image,), cost=Cost(0.0347))
    spend = spend_text(0.0694, 0.10)
    assert spend == "spent $0.0694 of the $0.1000 budget, $0.0306 left"
    assert report_text(paid, "m", 1.0, "", spend) == (
        "1 image from m in 1.0 s, $0.0347; spent $0.0694 of the $0.1000 budget, $0.0306 left.", "ok"
    )
    assert spend_text(1.5, None) == "spent $1.5000 in this kernel"
    refused = BudgetExceeded("Not sent: the estimate $0.0336 would cross the budget: spent ...")
    assert describe_error(refused) == "Not sent: the estimate $0.0336 would cross the budget: spent ..."


def test_an_error_is_short_lines_with_the_fix_on_its_own_line() -> None:
    from vertex_image.notebook.panel.status import status_html, status_lines

    assert status_lines("No credentials found. Run gcloud auth application-default login.") == [
        "No credentials found.", "Run gcloud auth application-default login."]
    assert status_lines("No credentials for Vertex AI. Either:\n- run gcloud auth\n- set GOOGLE_API_KEY") == [
        "No credentials for Vertex AI. Either:", "run gcloud auth", "set GOOGLE_API_KEY"]
    shown = status_html("Write a prompt first. Then press Generate.", "error")
    assert shown.count('class="vi-fix"') == 1 and "→ Then press Generate." in shown
    assert "vi-fix" not in status_html("3 images from x in 1.0 s.", "ok")
