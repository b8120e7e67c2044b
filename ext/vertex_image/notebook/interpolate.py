"""Safe ``{name}`` interpolation of prompts from the user namespace.

Only ``{identifier}`` and ``{identifier.attr.attr}`` are replaced, and only when every step
resolves. Nothing is evaluated: no indexing, calls, conversions (``!r``) or format specs
(``:>10``), so code in a prompt (``{x: 1 for x in y}``, ``function() { return 1; }``) stays as
written. ``{{`` and ``}}`` are escapes for ``{`` and ``}``, as in ``str.format``. Attributes
starting with ``_`` are never read (no ``{obj.__class__}`` walks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\{\{|\}\}|\{(?P<ref>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\}"
)
_MISSING = object()


@dataclass(frozen=True)
class Interpolated:
    """The prompt after interpolation, with what was replaced and what was left as written.

    Attributes:
        text: the prompt to send.
        resolved: each replaced reference and the text it became.
        unresolved: references that looked like ``{name}`` but did not resolve (kept literally).
    """

    text: str
    resolved: dict[str, str] = field(default_factory=dict)
    unresolved: tuple[str, ...] = ()


def interpolate(template: str, namespace: Mapping[str, Any]) -> Interpolated:
    """Replace ``{name}`` and ``{name.attr}`` found in ``namespace``; keep everything else verbatim."""
    resolved: dict[str, str] = {}
    unresolved: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        ref = match.group("ref")
        value = _lookup(ref, namespace)
        if value is _MISSING:
            if ref not in unresolved:
                unresolved.append(ref)
            return token
        text = value if isinstance(value, str) else _to_text(value)
        if text is None:
            if ref not in unresolved:
                unresolved.append(ref)
            return token
        resolved[ref] = text
        return text

    return Interpolated(_TOKEN.sub(replace, template), resolved, tuple(unresolved))


def _lookup(ref: str, namespace: Mapping[str, Any]) -> Any:
    head, *attrs = ref.split(".")
    if head not in namespace:
        return _MISSING
    value = namespace[head]
    for attr in attrs:
        try:
            value = getattr(value, attr)
        except Exception:  # noqa: BLE001 - a property that raises just means "not resolved"
            return _MISSING
    return value


def _to_text(value: Any) -> str | None:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - an object whose __str__ raises stays a literal reference
        return None
