"""Subscribers: weakly held change callbacks, each subscription separate, failures contained."""

from __future__ import annotations

import gc

import pytest
from vertex_image.base.notify import Subscribers


class SlotCallable:
    """A callable object without ``__weakref__``."""

    __slots__ = ()

    def __call__(self) -> None:
        pass


def test_a_callable_that_cannot_be_held_weakly_is_refused_with_what_to_pass() -> None:
    subscribers = Subscribers()
    with pytest.raises(TypeError, match="function or a bound method"):
        subscribers.add(SlotCallable())
    with pytest.raises(TypeError, match="callable"):
        subscribers.add("not a function")  # type: ignore[arg-type]


def test_a_lambda_lives_as_long_as_the_caller_keeps_it() -> None:
    subscribers = Subscribers()
    calls: list[int] = []
    keep = lambda value: calls.append(value)  # noqa: E731
    subscribers.add(keep)
    subscribers.add(lambda value: calls.append(-value))  # nobody keeps this one

    gc.collect()
    subscribers.notify(1)
    del keep
    gc.collect()
    subscribers.notify(2)

    assert calls == [1] and len(subscribers) == 0
