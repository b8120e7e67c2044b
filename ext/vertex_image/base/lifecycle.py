"""Which models Google still serves, worked out from the lineup's dates and a clock (never hard-coded).

A model's state on one surface (``gemini-api`` or ``vertex``) on a given day:
``live``; ``deprecated`` (served, with a shutdown announced or a successor named: a one-time notice);
``restricted`` (served only to projects that used it before: a notice); ``retired`` (shut down, or never
served on that surface: answered before anything is sent). Pure functions: the day is an argument
(``today=None`` reads the clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

SURFACES = ("gemini-api", "vertex")
SURFACE_NAMES = {"gemini-api": "the Gemini API", "vertex": "Vertex AI"}
STATES = ("live", "deprecated", "restricted", "retired")


class Dated(Protocol):
    """What a lifecycle needs of a model (``models.ModelInfo`` has it)."""

    id: str
    replacement: str | None
    surfaces: Mapping[str, Mapping[str, date | None]]


@dataclass(frozen=True)
class Lifecycle:
    """A model's state on one surface on one day, with the date that made it so."""

    model: str
    surface: str
    state: str
    since: date | None = None
    shutdown: date | None = None  # announced (future) or past shutdown
    replacement: str | None = None

    @property
    def served(self) -> bool:
        """The service still answers requests for it."""
        return self.state != "retired"


def state_on(info: Dated, surface: str, today: date | None = None) -> Lifecycle:
    """The model's state on ``surface`` on ``today`` (the clock's day when None)."""
    day = today or date.today()
    dates = info.surfaces.get(surface)
    if dates is None:
        if not info.surfaces:  # a model the table does not know: assume served
            return Lifecycle(info.id, surface, "live")
        return Lifecycle(info.id, surface, "retired", replacement=info.replacement)
    released, shutdown = dates.get("released"), dates.get("shutdown")
    deprecated, restricted = dates.get("deprecated"), dates.get("restricted")
    common = {"shutdown": shutdown, "replacement": info.replacement}
    if released is not None and day < released:
        return Lifecycle(info.id, surface, "retired", since=None, **common)  # not out yet on that day
    if shutdown is not None and day >= shutdown:
        return Lifecycle(info.id, surface, "retired", since=shutdown, **common)
    if restricted is not None and day >= restricted:
        return Lifecycle(info.id, surface, "restricted", since=restricted, **common)
    if deprecated is not None and day >= deprecated:
        return Lifecycle(info.id, surface, "deprecated", since=deprecated, **common)
    return Lifecycle(info.id, surface, "live", since=released, **common)


def summary(info: Dated, today: date | None = None) -> str:
    """One short phrase over both surfaces, e.g. ``shut down 2026-08-17`` or ``live``."""
    states = [state_on(info, surface, today) for surface in SURFACES if surface in info.surfaces]
    if not states:
        return "not in the table"
    if len({(s.state, s.since) for s in states}) == 1:
        return _phrase(states[0])
    return "; ".join(f"{_phrase(s)} on {SURFACE_NAMES[s.surface]}" for s in states)


def _phrase(life: Lifecycle) -> str:
    when = f" {life.since.isoformat()}" if life.since else ""
    if life.state == "retired":
        return f"shut down{when}" if life.since else "not served"
    if life.state == "deprecated":
        return f"deprecated since{when}" + (f", shutdown {life.shutdown.isoformat()}" if life.shutdown else "")
    if life.state == "restricted":
        return f"restricted since{when}"
    return "live"


def retired_line(life: Lifecycle, *, migrate_to: str | None, thinking: str | None, dropped: tuple[str, ...]) -> str:
    """The one line that answers a request for a retired model (nothing is sent)."""
    where = SURFACE_NAMES.get(life.surface, life.surface)
    when = f"was shut down on {life.since.isoformat()}" if life.since else "is not served"
    if migrate_to is None:
        return f"{life.model} {when} on {where} and has no replacement; nothing was sent."
    level = f" with thinking {thinking.lower()}" if thinking else ""
    lost = f" Not carried over: {', '.join(dropped)}." if dropped else ""
    return f"{life.model} {when} on {where}; nothing was sent. Use {migrate_to}{level}.{lost}"


def notice_line(life: Lifecycle) -> str:
    """The one-time notice for a deprecated or restricted model (the call goes ahead)."""
    successor = f"; Google names {life.replacement} as its successor" if life.replacement else ""
    if life.state == "restricted":
        return (
            f"note: {life.model} is served on {SURFACE_NAMES[life.surface]} only to projects that used it before "
            f"(since {life.since.isoformat() if life.since else '?'}){successor}."
        )
    shutdown = f", shutdown on {life.shutdown.isoformat()}" if life.shutdown else ""
    return f"note: {life.model} is deprecated{shutdown}{successor}."


def as_dict(life: Lifecycle) -> dict[str, Any]:
    """For tables and ``list_models``: dates as ISO text."""
    return {
        "state": life.state,
        "since": life.since.isoformat() if life.since else None,
        "shutdown": life.shutdown.isoformat() if life.shutdown else None,
        "replacement": life.replacement,
    }
