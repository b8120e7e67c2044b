"""What this kernel spends: the ledger, the budget that stops a call, dry runs, and the totals of ``vi.cost()``.

The prices and the arithmetic are ``base.pricing``'s; this module keeps the kernel's running account:

- ``Ledger`` (one per kernel, ``state().ledger``): every charge of this kernel (a call's answers, measured
  or estimated; a failed attempt that may have been billed, at its estimate) and the estimates of the calls
  in flight. ``Ledger.reserve`` refuses a call whose estimate would cross what is left of the budget (or
  the call's ``max_cost``) before anything is sent, in one line with the figures (``BudgetExceeded``).
- ``estimate_gemini`` / ``estimate_imagen``: a call's estimate from the request bodies it will send (the
  text and input images they carry, so a session turn counts the history it replays).
- ``DryRun``: what ``dry_run=True`` gives back instead of sending: the requests (no secret, image base64
  shortened), their size in bytes and the estimate.
- ``CostReport``: the kernel's spend by model, by session and by day, measured vs estimated, with the
  store's all-time total (``vi.cost()``, ``%vertex_image cost``).

Which failed attempts count: a 5xx answer, a timeout or a dropped connection (the model may have run and
been billed: counted at the request's estimate, marked as an estimate); a 429 or a connection that never
opened are not (nothing ran), nor a 4xx refusal.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..base.errors import BudgetExceeded, InvalidRequest
from ..base.pricing import Cost, estimate, prices_for, total, usd_text
from ..wire import gemini

BASE64_SHOWN = 24  # characters of an image's base64 a dry run shows before "..."
SECRET_SHOWN = "<redacted>"
# RetryEvent reasons after which the model may have run (and been billed)
_MAYBE_BILLED = ("timeout", "connection dropped")
BUDGET_HOW = "vi.configure(budget_usd=N) or %config VertexImageMagics.budget_usd = N"


@dataclass(frozen=True)
class Charge:
    """One entry of the account: what one call (or one failed attempt) cost.

    Attributes:
        cost: the amount, measured or estimated.
        model: the model id.
        session: the session name of a chat turn, "" for a one-shot call.
        kind: ``call`` (the answers of a call) or ``attempt`` (a failed attempt that may have been billed).
        backend: ``vertex``, ``gemini-api`` or ``emulator``.
        when: Unix seconds.
        replay_keys: the keys of the requests a call answered (``core.replay``), in the index line when known.
        charge_id: when set, the store records this charge once (a batch row's ``<job>/<row>``: reading the
            results again after an interruption does not count it twice).
    """

    cost: Cost
    model: str
    session: str = ""
    kind: str = "call"
    backend: str = ""
    when: float = field(default_factory=time.time)
    replay_keys: tuple[str, ...] = ()
    charge_id: str = ""

    @property
    def day(self) -> str:
        """The local date, ``YYYY-MM-DD``."""
        return datetime.fromtimestamp(self.when).strftime("%Y-%m-%d")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the store's index."""
        line = {"cost": self.cost.as_dict(), "model": self.model, "session": self.session or None,
                "kind": self.kind, "backend": self.backend, "day": self.day}  # fmt: skip
        if self.replay_keys:
            line["replay_keys"] = list(self.replay_keys)
        if self.charge_id:
            line["charge_id"] = self.charge_id
        return line


class Ticket:
    """A call's reservation: its estimate is held against the budget until the call ends."""

    def __init__(self, ledger: Ledger, held: float) -> None:
        self._ledger = ledger
        self.held = held

    def release(self, amount: float | None = None) -> None:
        """Stop holding ``amount`` (all that is left by default)."""
        amount = self.held if amount is None else min(amount, self.held)
        with self._ledger.lock:
            self.held -= amount
            self._ledger.reserved = max(0.0, self._ledger.reserved - amount)


class Ledger:
    """This kernel's account: the charges so far and the estimates of the calls in flight (thread-safe).

    ``record_to`` (set by the registry) also writes each charge to the store's index.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.charges: list[Charge] = []
        self.reserved = 0.0
        self.record_to: Callable[[Charge], None] | None = None
        self._spent = 0.0  # the sum of the charges, kept as they come: every call asks, and they only grow

    @property
    def spent(self) -> float:
        """USD of every charge so far (measured and estimated)."""
        with self.lock:
            return self._spent

    def record(self, charge: Charge, *, write: bool = True) -> None:
        """Add a charge (and write it to the store; a store that cannot be written does not lose the charge).

        ``write=False``: the caller writes it to the store itself, in the commit of the call's images
        (``ImageStore.save_all``), or with ``write`` when that fails."""
        with self.lock:
            self.charges.append(charge)
            self._spent += charge.cost.usd
        if write:
            self.write(charge)

    def write(self, charge: Charge) -> None:
        """Write a charge that is already in the account to the store (``record_to``), in a commit of its own."""
        if self.record_to is not None:
            self.record_to(charge)

    def check(self, cost: Cost, *, budget: float | None, max_cost: float | None = None) -> None:
        """Raise ``BudgetExceeded`` when ``cost`` (an estimate) is over ``max_cost`` or what is left of ``budget``."""
        with self.lock:
            spent, reserved = self.spent, self.reserved
        if max_cost is not None and cost.usd > max_cost + 1e-12:
            raise BudgetExceeded(
                f"Not sent: this call's estimate {usd_text(cost.usd)} is over its max_cost {usd_text(max_cost)}"
                f"{_budget_words(spent, reserved, budget)}.",
                estimate=cost.usd, spent=spent, budget=budget,
                remaining=None if budget is None else budget - spent - reserved, max_cost=max_cost,
            )  # fmt: skip
        if budget is not None and spent + reserved + cost.usd > budget + 1e-12:
            remaining = budget - spent - reserved
            flight = f" ({usd_text(reserved)} held by calls in flight)" if reserved else ""
            raise BudgetExceeded(
                f"Not sent: the estimate {usd_text(cost.usd)} would cross the budget: spent {usd_text(spent)} "
                f"of {usd_text(budget)}, {usd_text(max(0.0, remaining))} left{flight}. Raise it with {BUDGET_HOW}.",
                estimate=cost.usd, spent=spent, budget=budget, remaining=remaining, max_cost=max_cost,
            )  # fmt: skip

    def check_retry(self, cost: Cost, *, budget: float | None) -> None:
        """After a failed attempt that may have been billed (``cost`` charged): refuse the retry when it, held
        at the same estimate, would cross the budget."""
        with self.lock:
            spent, reserved = self.spent, self.reserved
        if budget is not None and spent + reserved > budget + 1e-12:
            raise BudgetExceeded(
                f"Not retried: the failed attempt may have been billed ({cost.text} counted) and another would "
                f"cross the budget: spent {usd_text(spent)} of {usd_text(budget)}, "
                f"{usd_text(max(0.0, budget - spent - reserved + cost.usd))} left. Raise it with {BUDGET_HOW}.",
                estimate=cost.usd, spent=spent, budget=budget, remaining=budget - spent - reserved + cost.usd,
            )  # fmt: skip

    def reserve(self, cost: Cost, *, budget: float | None, max_cost: float | None = None) -> Ticket:
        """Check ``cost`` (``check``) and hold it until the call ends; the ticket releases it."""
        with self.lock:
            self.check(cost, budget=budget, max_cost=max_cost)
            self.reserved += cost.usd
        return Ticket(self, cost.usd)


def _budget_words(spent: float, reserved: float, budget: float | None) -> str:
    if budget is None:
        return ""
    return f" (spent {usd_text(spent)} of the budget {usd_text(budget)})"


def check_max_cost(max_cost: Any) -> None:
    """A call's ``max_cost``: None, or a number of USD >= 0; else a one-line ``InvalidRequest``."""
    if max_cost is None:
        return
    if isinstance(max_cost, bool) or not isinstance(max_cost, (int, float)) or not max_cost >= 0:
        raise InvalidRequest(f"max_cost must be a number of USD >= 0 (e.g. max_cost=0.25), not {max_cost!r}.")


def maybe_billed(reason: str) -> bool:
    """Whether a failed attempt (a ``RetryEvent.reason``) may have run the model: a 5xx, a timeout, a drop."""
    return reason.startswith("5") or reason in _MAYBE_BILLED


# estimates ------------------------------------------------------------------------------------------
def gemini_inputs(body: Mapping[str, Any]) -> tuple[int, int]:
    """(characters of text, input images) of a ``generateContent`` body: every turn it carries (a session
    replays its history, thoughts included) and the system instruction."""
    characters = images = 0
    contents = list(body.get("contents") or [])
    system = body.get("systemInstruction") or body.get("system_instruction")
    for content in [*contents, *([system] if isinstance(system, Mapping) else [])]:
        for part in content.get("parts") or []:
            if isinstance(part.get("text"), str):
                characters += len(part["text"])
            if "fileData" in part or "file_data" in part:
                images += 1
        images += sum(1 for _ in gemini.inline_blobs(content))
    return characters, images


def estimate_gemini(
    prices: Mapping[str, Any], bodies: Sequence[Mapping[str, Any]], *, image_size: str | None, searches: int,
    prices_as_of: str, mode: str = "standard",
) -> Cost:  # fmt: skip
    """The estimate of the ``generateContent`` requests ``bodies`` (one image each)."""
    costs = []
    for body in bodies:
        characters, images = gemini_inputs(body)
        costs.append(estimate(prices, n=1, image_size=image_size, text_characters=characters, input_images=images,
                              searches=searches, mode=mode, prices_as_of=prices_as_of))  # fmt: skip
    return total(costs) or Cost(0.0, estimated=True, prices_as_of=prices_as_of, mode=mode)


def estimate_imagen(prices: Mapping[str, Any], n: int, *, prices_as_of: str, mode: str = "standard") -> Cost:
    """The estimate of ``n`` Imagen images (a flat price per image)."""
    return estimate(prices, n=n, mode=mode, prices_as_of=prices_as_of)


def model_prices(model_id: str, catalog: Mapping[str, Any], overrides: Any) -> tuple[dict[str, Any], str]:
    """``pricing.prices_for`` with ``Settings.prices``."""
    return prices_for(model_id, catalog, overrides)


# dry runs -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DryRun:
    """What a call would send, and would cost; nothing was sent.

    Attributes:
        model: the model id.
        method: the REST method (``generateContent``, ``predict``).
        url: where each request would go (the project in it, never a key).
        headers: the request headers, secrets shown as ``<redacted>``.
        bodies: each request body as it would be sent, image base64 shortened (``bytes`` is the real size).
        bytes: the total size of the bodies as sent (JSON, UTF-8).
        estimate: the estimated cost of the call.
    """

    model: str
    method: str
    url: str
    headers: Mapping[str, str]
    bodies: tuple[Mapping[str, Any], ...]
    bytes: int
    estimate: Cost

    @property
    def requests(self) -> int:
        """How many requests the call would send."""
        return len(self.bodies)

    def __repr__(self) -> str:
        count = f"{self.requests} request{'s' if self.requests != 1 else ''}"
        lines = [
            f"DryRun({self.model}: {count}, {self.bytes:,} bytes, estimate {self.estimate.text}; nothing was sent)",
            f"POST {self.url}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        shown = self.bodies[:1]
        for body in shown:
            lines.append(json.dumps(body, indent=1, ensure_ascii=False))
        if self.requests > 1:
            more = self.requests - 1
            lines.append(f"(and {more} more request{'s' if more != 1 else ''} like it: one image each)")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def shortened(value: Any) -> Any:
    """A copy of a request body with every image's base64 shortened to its first characters and its length."""
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if key in ("data", "bytesBase64Encoded", "bytes_base64_encoded") and isinstance(item, str) and (
                len(item) > BASE64_SHOWN * 2
            ):
                result[key] = f"{item[:BASE64_SHOWN]}... ({len(item):,} characters of base64)"
            else:
                result[key] = shortened(item)
        return result
    if isinstance(value, list):
        return [shortened(item) for item in value]
    return value


def redacted(value: Any, secrets: Iterable[str]) -> Any:
    """A copy with every occurrence of a secret replaced by ``<redacted>`` (a key pasted in a prompt)."""
    secrets = [secret for secret in secrets if secret and len(secret) >= 8]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, SECRET_SHOWN)
        return value
    if isinstance(value, Mapping):
        return {key: redacted(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item, secrets) for item in value]
    return value


def body_bytes(bodies: Iterable[Mapping[str, Any]]) -> int:
    """The size of the bodies as the client sends them (compact JSON, UTF-8)."""
    return sum(len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) for body in bodies)


# totals ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostReport:
    """This kernel's spend, and the store's all-time total (``vi.cost()``); USD throughout.

    Attributes:
        total: this kernel's spend (measured + estimated).
        measured, estimated: the parts from the answers' own token counts, and from estimates (answers
            without usage, failed attempts that may have been billed).
        calls: how many calls cost something.
        by_model, by_session, by_day: this kernel's spend by model id, session name ("" is one-shot calls)
            and local date.
        budget, remaining: the budget (None without one) and what is left of it, calls in flight counted.
        all_time: every charge the store's index records (this kernel's included), surviving restarts.
        all_time_calls, all_time_since: how many calls, and the first day recorded.
        all_time_by_backend: the all-time total by backend (the emulator's are not billed).
        prices_as_of: the date of the catalog's prices.
        store: the store's folder.
    """

    total: float
    measured: float
    estimated: float
    calls: int
    by_model: Mapping[str, float]
    by_session: Mapping[str, float]
    by_day: Mapping[str, float]
    budget: float | None
    remaining: float | None
    all_time: float
    all_time_calls: int
    all_time_since: str
    all_time_by_backend: Mapping[str, float]
    prices_as_of: str
    store: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {name: (dict(value) if isinstance(value, Mapping) else value) for name, value in vars(self).items()}

    def __repr__(self) -> str:
        budget = (f", budget {usd_text(self.budget)}, {usd_text(max(0.0, self.remaining or 0.0))} left"
                  if self.budget is not None else "")  # fmt: skip
        return (
            f"CostReport(this kernel {usd_text(self.total)} in {self.calls} call{'s' if self.calls != 1 else ''} "
            f"({usd_text(self.measured)} measured, {usd_text(self.estimated)} estimated){budget}; "
            f"all time {usd_text(self.all_time)})"
        )


def _add(table: dict[str, float], key: str, usd: float) -> None:
    table[key] = table.get(key, 0.0) + usd


def stored_totals(stored: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The all-time totals of charge entries (``ImageStore.charges``), in the shape of ``ImageStore.charge_totals``
    (which sums them in the index instead)."""
    by_backend: dict[str, float] = {}
    usd, calls, days = 0.0, 0, []
    for entry in stored:
        cost = Cost.from_dict(entry.get("cost"))
        if cost is None:
            continue
        usd += cost.usd
        calls += entry.get("kind", "call") == "call"
        _add(by_backend, str(entry.get("backend") or "unknown"), cost.usd)
        days.append(str(entry.get("day") or entry.get("saved_at", ""))[:10])
    return {"usd": usd, "calls": calls, "since": min(days, default=""), "by_backend": by_backend}


def report(
    ledger: Ledger, *, budget: float | None, stored: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    prices_as_of: str, store: str = "",
) -> CostReport:  # fmt: skip
    """The totals of ``ledger`` with the store's: its totals (``ImageStore.charge_totals``, summed in the index)
    or its charges (``ImageStore.charges``)."""
    with ledger.lock:
        charges, reserved = list(ledger.charges), ledger.reserved
    by_model: dict[str, float] = {}
    by_session: dict[str, float] = {}
    by_day: dict[str, float] = {}
    measured = estimated = 0.0
    for charge in charges:
        usd = charge.cost.usd
        _add(by_model, charge.model, usd)
        _add(by_session, charge.session, usd)
        _add(by_day, charge.day, usd)
        if charge.cost.estimated:
            estimated += usd
        else:
            measured += usd
    spent = measured + estimated
    totals = stored if isinstance(stored, Mapping) else stored_totals(stored)
    return CostReport(
        total=spent, measured=measured, estimated=estimated,
        calls=sum(1 for charge in charges if charge.kind == "call"),
        by_model=by_model, by_session=by_session, by_day=by_day,
        budget=budget, remaining=None if budget is None else budget - spent - reserved,
        all_time=float(totals["usd"]), all_time_calls=int(totals["calls"]), all_time_since=str(totals["since"]),
        all_time_by_backend=dict(totals["by_backend"]), prices_as_of=prices_as_of, store=store,
    )  # fmt: skip


__all__ = [
    "BUDGET_HOW",
    "Charge",
    "CostReport",
    "DryRun",
    "Ledger",
    "Ticket",
    "body_bytes",
    "check_max_cost",
    "estimate_gemini",
    "estimate_imagen",
    "gemini_inputs",
    "maybe_billed",
    "model_prices",
    "redacted",
    "report",
    "shortened",
    "stored_totals",
]
