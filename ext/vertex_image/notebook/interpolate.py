"""Safe ``{name}`` interpolation of prompts from the user namespace.

Only ``{identifier}`` and ``{identifier.attr.attr}`` are replaced, and only when every step
resolves. Nothing is evaluated: no indexing, calls, conversions (``!r``) or format specs
(``:>10``), so code in a prompt (``{x: 1 for x in y}``, ``function() { return 1; }``) stays as
written. ``{{`` and ``}}`` are escapes for ``{`` and ``}``, as in ``str.format``. Attributes
starting with ``_`` are never read (no ``{obj.__class__}`` walks).
"""

from __future__ import annotations

import numbers
import os
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
        not_text: references to a value that is not text (an ``ImageSet``, a list...) and its type
            name; kept literally, never stringified.
    """

    text: str
    resolved: dict[str, str] = field(default_factory=dict)
    unresolved: tuple[str, ...] = ()
    not_text: tuple[tuple[str, str], ...] = ()

    def problem(self) -> str | None:
        """One line saying which references could not be filled and what to do; None when all were."""
        parts = []
        if self.unresolved:
            names = ", ".join("{" + ref + "}" for ref in self.unresolved)
            parts.append(f"no variable for {names}")
        parts += [f"{{{ref}}} is {_article(kind)} {kind}, not text" for ref, kind in self.not_text]
        if not parts:
            return None
        return (f"Cannot fill the prompt: {'; '.join(parts)}. Define the variable, write {{{{ and }}}} for "
                "literal braces, or add --no-interpolate to send the braces as written"
                + (" (images go in with -i NAME in %%gemini_image)" if self.not_text else "") + ".")


def interpolate(template: str, namespace: Mapping[str, Any]) -> Interpolated:
    """Replace ``{name}`` and ``{name.attr}`` found in ``namespace``; keep everything else verbatim."""
    resolved: dict[str, str] = {}
    unresolved: list[str] = []
    not_text: list[tuple[str, str]] = []

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
        if not is_text(value):
            if ref not in [seen for seen, _ in not_text]:
                not_text.append((ref, type(value).__name__))
            return token
        text = value if isinstance(value, str) else _to_text(value)
        if text is None:
            if ref not in unresolved:
                unresolved.append(ref)
            return token
        resolved[ref] = text
        return text

    return Interpolated(_TOKEN.sub(replace, template), resolved, tuple(unresolved), tuple(not_text))


def is_text(value: Any) -> bool:
    """Text, a number or a path: what a prompt can take in words. An ImageSet, a list or a dict is not."""
    return isinstance(value, (str, numbers.Number, os.PathLike))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


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
