"""Faults on demand: by CLI flag or constructor (every request, or every Nth) and per request by header.

Spec grammar: ``KIND[=VALUE][xN][;every=K][;retry-after=S]``

=================  ===========================================================================================
KIND               effect
=================  ===========================================================================================
``429``            429 RESOURCE_EXHAUSTED (Vertex text) with a ``Retry-After`` header (1 s or ``retry-after``)
``429-retryinfo``  429 in the Gemini API style: QuotaFailure + RetryInfo ``retryDelay`` details, no header
``401``            401 UNAUTHENTICATED, invalid credentials (a client may refresh its token and retry)
``500``            500 INTERNAL envelope
``503``            503 UNAVAILABLE "The model is overloaded..." (``Retry-After`` only if ``retry-after`` given)
``504``            504 DEADLINE_EXCEEDED envelope
``502``            502 with an HTML body (a proxy or load balancer answering)
``latency=S``      sleep S seconds, then answer normally
``drop``           send the headers and part of the body, then close the socket (a protocol error)
``malformed``      200 with a truncated, unparseable JSON body (a broken SSE event when streaming)
``midstream``      streaming only: two ``data:`` events, then the bare JSON 499 CANCELLED error of WIRE §5.7
=================  ===========================================================================================

``xN``: fail N times, then succeed. Counted per ``x-emulator-fault-key`` header value, or per request body
hash when the header is absent, so a client's retries of one request see N failures then a success.
``every=K`` (flag or constructor only): apply to every Kth request.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

KINDS = (
    "429",
    "429-retryinfo",
    "401",
    "500",
    "502",
    "503",
    "504",
    "latency",
    "drop",
    "malformed",
    "midstream",
)
BEFORE = ("429", "429-retryinfo", "401", "500", "502", "503", "504")  # answered instead of the real reply
AFTER = ("drop", "malformed", "midstream")  # applied to the real reply

_SPEC = re.compile(
    r"^(?P<kind>\d{3}(?:-[a-z]+)?|[a-z]+)(?:=(?P<value>\d+(?:\.\d+)?))?(?:x(?P<times>\d+))?(?P<opts>(?:;[^;]*)*)$"
)

BAD_GATEWAY_HTML = (
    "<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1</title>\n"
    "<p><b>502.</b> <ins>That's an error.</ins>\n<p>The server encountered a temporary error and could not "
    "complete your request.<p>Please try again in 30 seconds. <ins>That's all we know.</ins>\n"
)


@dataclass(frozen=True)
class FaultSpec:
    """One parsed fault spec."""

    kind: str
    value: float | None = None
    times: int | None = None
    every: int | None = None
    retry_after_s: float | None = None
    text: str = ""


def parse(text: str) -> FaultSpec:
    """Parse a fault spec; ValueError with the grammar when it is not one."""
    match = _SPEC.match(text.strip().lower())
    if not match or match["kind"] not in KINDS:
        raise ValueError(
            f"Unknown fault {text!r}. Expected KIND[=VALUE][xN][;every=K][;retry-after=S] with KIND one of "
            f"{', '.join(KINDS)} (e.g. '503x2', 'latency=2.5', '429;retry-after=3')."
        )
    kind = match["kind"]
    if (kind == "latency") != (match["value"] is not None):
        raise ValueError(f"Fault {text!r}: only latency takes a value, and it needs one (latency=2.5).")
    options: dict[str, float] = {}
    for item in filter(None, match["opts"].split(";")):
        name, _, value = item.partition("=")
        if name.strip() not in ("every", "retry-after"):
            raise ValueError(f"Fault {text!r}: unknown option {name!r} (every, retry-after).")
        options[name.strip()] = float(value)
    return FaultSpec(
        kind=kind,
        value=float(match["value"]) if match["value"] else None,
        times=int(match["times"]) if match["times"] else None,
        every=int(options["every"]) if "every" in options else None,
        retry_after_s=options.get("retry-after"),
        text=text.strip(),
    )


class FaultState:
    """Counters behind ``xN`` and ``every=K``; thread-safe."""

    def __init__(self, default: FaultSpec | None = None) -> None:
        self.default = default
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], int] = {}
        self._requests = 0

    def select(self, header: str | None, key: str) -> FaultSpec | None:
        """The fault for this request: the header's spec, else the default; None when none applies now."""
        spec = parse(header) if header else self.default
        if spec is None:
            return None
        with self._lock:
            if not header:
                self._requests += 1
                if spec.every and self._requests % spec.every:
                    return None
            if spec.times is not None:
                count = self._seen.get((key, spec.text), 0) + 1
                self._seen[(key, spec.text)] = count
                if count > spec.times:
                    return None
        return spec
