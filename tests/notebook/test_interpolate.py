"""Prompt interpolation resolves only names and attributes; code and unknown braces stay as written."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from vertex_image.notebook.interpolate import interpolate

NS = {
    "animal": "fox",
    "count": 3,
    "style": SimpleNamespace(name="watercolor", inner=SimpleNamespace(tone="warm")),
    "y": [1, 2],
    "_": "last",
}


def test_name_and_attribute_are_replaced() -> None:
    result = interpolate("a {animal} in {style.name}, {style.inner.tone} light, {count} times", NS)
    assert result.text == "a fox in watercolor, warm light, 3 times"
    assert result.resolved == {"animal": "fox", "style.name": "watercolor", "style.inner.tone": "warm",
                               "count": "3"}
    assert result.unresolved == ()


@pytest.mark.parametrize(
    "text",
    [
        "{x: 1 for x in y}",
        "function() { return 1; }",
        "{0}",
        "{}",
        "{animal!r}",
        "{animal:>10}",
        "{y[0]}",
        "{len(y)}",
        "{ animal }",
        "{style.__class__}",
        "{style._private}",
        "{animal",
        "animal}",
        "{{}",
    ],
)
def test_anything_but_a_plain_reference_stays_literal(text: str) -> None:
    expected = text.replace("{{", "{").replace("}}", "}")
    assert interpolate(text, NS).text == expected


def test_missing_names_and_attributes_stay_as_written_and_are_reported() -> None:
    result = interpolate("a {missing} {animal} {style.nothing} {missing}", NS)
    assert result.text == "a {missing} fox {style.nothing} {missing}"
    assert result.unresolved == ("missing", "style.nothing")


def test_double_braces_escape() -> None:
    assert interpolate("{{animal}} is {animal}", NS).text == "{animal} is fox"
    assert interpolate("{{{animal}}}", NS).text == "{fox}"
    assert interpolate("json: {{\"a\": 1}}", NS).text == 'json: {"a": 1}'


def test_attribute_that_raises_is_not_resolved() -> None:
    class Boom:
        @property
        def value(self) -> str:
            raise RuntimeError("no")

    assert interpolate("{b.value}", {"b": Boom()}).text == "{b.value}"


def test_underscore_names_resolve_but_code_is_not_run() -> None:
    calls: list[int] = []

    class Spy:
        def __getitem__(self, key: object) -> str:
            calls.append(1)
            return "x"

        def __call__(self) -> str:
            calls.append(1)
            return "x"

    assert interpolate("{_} {spy[0]} {spy()}", {**NS, "spy": Spy()}).text == "last {spy[0]} {spy()}"
    assert calls == []


def test_undefined_names_and_values_that_are_not_text_are_listed_not_stringified() -> None:
    from vertex_image.results.images import GeneratedImage, ImageSet

    image = GeneratedImage(data=b"\x89PNG", mime_type="image/png")
    filled = interpolate("{a} {b} {n} {img} {imgs} {a}", {"n": 3, "img": image, "imgs": ImageSet(images=(image,))})
    assert filled.unresolved == ("a", "b")
    assert filled.not_text == (("img", "GeneratedImage"), ("imgs", "ImageSet"))
    assert filled.text == "{a} {b} 3 {img} {imgs} {a}"  # nothing stringified
    assert filled.problem() is not None and "no variable for {a}, {b}" in filled.problem()
    assert interpolate("{n} {{x}}", {"n": 2.5}).problem() is None
