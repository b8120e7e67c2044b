"""The panel's words: the status line (results, blocks, errors) and the progress line.

Pure functions of their inputs (no widgets), so the wording is tested without ipywidgets and the
panel only decides when to show what.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
from typing import TYPE_CHECKING, Any

from ...base.errors import (
    APIError,
    AuthError,
    BadRequest,
    BudgetExceeded,
    Cancelled,
    ConfigError,
    ImageBlocked,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    TransportError,
    VertexImageError,
)
from ...base.pricing import usd_text
from ...base.text import clip
from ...results.images import block_line

if TYPE_CHECKING:  # pragma: no cover
    from ...results.images import ImageSet

CANCELLED_TEXT = "Cancelled: the request was stopped and nothing was recorded."
_COLORS = {"info": "#444", "ok": "#1e7e34", "warn": "#b26a00", "error": "#c62828"}


def status_html(text: str, kind: str) -> str:
    """The status line in the colour of its kind (``info``, ``ok``, ``warn``, ``error``); "" when empty.

    An error is short lines: what happened first, then the fix on a line of its own (and each line of a
    long message, such as the credentials advice, on its own line too), never one red paragraph.
    """
    if not text:
        return ""
    color = _COLORS.get(kind, "#444")
    lines = status_lines(text) if kind == "error" else [text]
    if len(lines) == 1:
        return f'<span class="vi-status-{kind}" style="color:{color}">{html.escape(text)}</span>'
    head, *rest = lines
    fixes = "".join(f'<div class="vi-fix" style="color:#333">→ {html.escape(line)}</div>' for line in rest)
    return f'<div class="vi-status-{kind}"><div style="color:{color}">{html.escape(head)}</div>{fixes}</div>'


def status_lines(text: str) -> list[str]:
    """An error message as lines: its own lines, else its first sentence and then the rest (the fix)."""
    lines = [line.strip(" -•") for line in text.splitlines() if line.strip(" -•")]
    if len(lines) > 1:
        return lines
    head, sep, rest = text.partition(". ")
    return [head + ".", rest] if sep and rest else [text]


def progress_text(label: str, elapsed_s: float, retry: tuple[Any, float] | None, now: float) -> str:
    """``Generating with MODEL · 3 s`` plus ``· attempt 2 failed (429 ...); retry in 8 s`` while waiting.

    Args:
        label: what is running (the model, and the session turn in a conversation).
        elapsed_s: seconds since the request started.
        retry: the last retry event and the clock reading when it came, or None.
        now: the current clock reading (for the seconds left before the retry).
    """
    text = f"Generating with {label} · {int(elapsed_s)} s"
    if retry is not None:
        event, at = retry
        left = max(0, round(float(getattr(event, "wait_s", 0.0)) - (now - at)))
        attempt = getattr(event, "attempt", "?")
        reason = getattr(event, "reason", "") or "retrying"
        text += f" · attempt {attempt} failed ({reason}); retry in {left} s" if left else (
            f" · retrying after {reason}")
    return text


def progress_span(text: str) -> str:
    """The progress line as small grey text (escaped)."""
    return '<span style="color:#555">' + html.escape(text) + "</span>"


def report_text(
    images: ImageSet, model_id: str, elapsed_s: float, turn_of: str = "", spend: str = ""
) -> tuple[str, str]:
    """The status after a request: the text and its kind (``ok``, ``warn`` with blocks, ``error``).

    Args:
        images: what came back.
        model_id: the model that answered.
        elapsed_s: how long the request took.
        turn_of: ``turn N of session 'x'`` for a conversation turn, "" for one-shot images.
        spend: the kernel's running total (``spend_text``), "" to leave it out.
    """
    if not images.images:
        return blocked_text(images) + (f" {spend}." if spend else ""), "error"
    count = len(images.images)
    text = f"{count} image{'s' if count != 1 else ''} from {model_id} in {elapsed_s:.1f} s"
    if images.cost is not None:
        text += f", {images.cost.text}"
    if turn_of:
        text += f" ({turn_of})"
    notes = [block_line(block) for block in images.blocks] + list(images.notices)
    if notes:
        text += "; " + "; ".join(notes)
    if spend:
        text += f"; {spend}"
    return text + ".", "warn" if notes else "ok"


def spend_text(spent: float, budget: float | None, reserved: float = 0.0) -> str:
    """The kernel's running total: ``spent $0.0694`` or ``spent $0.0694 of $0.1000 (budget), $0.0306 left``."""
    if budget is None:
        return f"spent {usd_text(spent)} in this kernel"
    left = max(0.0, budget - spent - reserved)
    return f"spent {usd_text(spent)} of the {usd_text(budget)} budget, {usd_text(left)} left"


def blocked_text(images: ImageSet) -> str:
    """``Blocked: IMAGE_SAFETY — message`` for a response that carried no image."""
    if not images.blocks:
        said = f' The model said: "{clip(images.text, 120)}"' if images.text else ""
        return f"No image came back.{said} Ask explicitly for an image, or rephrase the prompt."
    parts = []
    for block in images.blocks:
        reason = f"{block.reason} ({block.detail})" if block.detail else block.reason
        parts.append(f"{reason} — {block.message}" if block.message else reason)
    said = "; ".join(parts)
    advice = "" if "rephras" in said.lower() else "Rephrase the prompt; "
    return f"Blocked: {said.rstrip('. ')}. {advice}blocked images are not charged.".replace(". blocked", ". Blocked")


_ERROR_PREFIXES: tuple[tuple[type[BaseException], str], ...] = (
    (InvalidRequest, "Not sent"),
    (BadRequest, "Refused by the service"),
    (AuthError, "Credentials"),
    (ConfigError, "Configuration"),
    (NotFound, "Not found"),
    (TransportError, "Network"),
    (APIError, "Service error"),  # ServiceError and any other status
)


def describe_error(exc: BaseException) -> str:
    """An error in words for the status line."""
    message = str(exc)
    if isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError, Cancelled)):
        return CANCELLED_TEXT
    if isinstance(exc, QuotaExceeded):
        wait = f"; retry in {round(exc.retry_after_s)} s" if exc.retry_after_s else ""
        quota = f" ({exc.quota_id})" if exc.quota_id else ""
        return f"Quota exceeded{quota}{wait}. {message}"
    if isinstance(exc, BudgetExceeded):
        return message  # "Not sent: the estimate ... would cross the budget ..."
    if isinstance(exc, ImageBlocked):
        reasons = ", ".join(exc.reasons)
        return f"Blocked: {reasons} — {message}" if reasons else f"Blocked: {message}"
    for kind, prefix in _ERROR_PREFIXES:
        if isinstance(exc, kind):
            return f"{prefix}: {message}"
    if isinstance(exc, VertexImageError):
        return message
    return f"{type(exc).__name__}: {message}"


__all__ = [
    "blocked_text", "describe_error", "progress_span", "progress_text", "report_text", "spend_text", "status_html",
]  # fmt: skip
