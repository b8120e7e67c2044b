"""wire/_shared.py: the helpers the Imagen and Gemini wire modules share."""

from __future__ import annotations

import base64

import pytest
from vertex_image.base.errors import InvalidRequest, ResponseFormatError
from vertex_image.wire import _shared

DECODERS = [pytest.param(_shared._stdlib_b64decode, id="stdlib")]
if _shared.pybase64 is not None:
    DECODERS.append(pytest.param(_shared._pybase64_decode, id="pybase64"))
else:  # the decoder is optional; the stdlib one is always tested
    print("pybase64 is not installed: only the stdlib base64 decoder is tested")


@pytest.fixture(params=DECODERS)
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_shared, "_b64decode", request.param)


@pytest.mark.usefixtures("decoder")
def test_decode_base64_reads_both_alphabets_padded_or_not() -> None:
    data = bytes(range(250, 256)) + b"\xfb\xff"
    standard = base64.b64encode(data).decode()
    urlsafe = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert _shared.decode_base64(standard, "here") == data
    assert _shared.decode_base64(urlsafe, "here") == data
    assert _shared.decode_base64(standard.rstrip("="), "here") == data
    big = bytes(range(256)) * 4000  # image-sized: the fast path
    assert _shared.decode_base64(base64.b64encode(big).decode(), "here") == big


@pytest.mark.usefixtures("decoder")
def test_decode_base64_refuses_what_is_not_base64() -> None:
    for bad in ("not base64!", "QUJD\nREVG", "QUJDé", "QUJ=RA=="):
        with pytest.raises(ResponseFormatError, match="not valid base64"):
            _shared.decode_base64(bad, "part 2")


def test_decode_base64_names_the_place_of_a_bad_value() -> None:
    with pytest.raises(ResponseFormatError, match="part 2: the image data is int"):
        _shared.decode_base64(3, "part 2")
    with pytest.raises(ResponseFormatError, match="part 2: the image data is not valid base64"):
        _shared.decode_base64("not base64!", "part 2")


def test_output_options_need_jpeg_for_a_quality() -> None:
    assert _shared.output_options(None, None) is None
    assert _shared.output_options("jpg", 80) == {"mimeType": "image/jpeg", "compressionQuality": 80}
    with pytest.raises(InvalidRequest, match="applies to JPEG output only"):
        _shared.output_options("png", 80)
    with pytest.raises(InvalidRequest, match="between 0 and 100"):
        _shared.output_options("jpeg", 101)
    with pytest.raises(InvalidRequest, match="not supported"):
        _shared.output_mime_value("gif")


def test_image_size_value_spells_sizes_as_the_service_wants() -> None:
    assert _shared.image_size_value(None) is None
    assert _shared.image_size_value("2k") == "2K"
    assert _shared.image_size_value("0.5K") == _shared.image_size_value("512px") == "512"


def test_label_map_takes_text_to_text_only() -> None:
    assert _shared.label_map(None) is None and _shared.label_map({}) is None
    assert _shared.label_map({"team": "design"}) == {"team": "design"}
    with pytest.raises(InvalidRequest, match="labels must be a dict of text to text"):
        _shared.label_map({"n": 1})


def test_text_checks_refuse_other_types_by_name() -> None:
    assert _shared.text_option(None, "language") is None
    with pytest.raises(InvalidRequest, match="language must be text, not 3 \\(int\\)"):
        _shared.text_option(3, "language")
    assert _shared.prompt_text("") == ""
    with pytest.raises(InvalidRequest, match="The prompt must be text"):
        _shared.prompt_text(None)


def test_short_repr_is_one_bounded_line() -> None:
    text = _shared.short_repr("word " * 40)
    assert "\n" not in text and text.endswith("... (str)") and len(text) <= 60 + len(" (str)")


def test_put_leaves_none_out() -> None:
    target: dict[str, object] = {}
    _shared.put(target, "a", None)
    _shared.put(target, "b", 0)
    assert target == {"b": 0}


@pytest.mark.parametrize("fast", [False, True] if _shared.pybase64 is not None else [False])
def test_is_base64_of_accepts_only_the_exact_standard_padded_spelling(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(_shared, "pybase64", None)
    for raw in (b"", b"x", b"xy", b"xyz", bytes(range(256)) * 9):
        assert _shared.is_base64_of(base64.b64encode(raw).decode(), raw)
    raw = bytes(range(250))
    assert not _shared.is_base64_of(base64.urlsafe_b64encode(raw).decode(), raw)  # another alphabet
    assert not _shared.is_base64_of(base64.b64encode(raw).decode().rstrip("="), raw)  # unpadded
    assert not _shared.is_base64_of(base64.b64encode(raw[:-1] + b"\1").decode(), raw)  # same length, other bytes
    assert not _shared.is_base64_of(base64.b64encode(raw).decode()[:-4] + "ÿÿÿÿ", raw)  # not ASCII
    assert not _shared.is_base64_of(None, raw)
    big = bytes(range(256)) * 1000  # several pieces: a difference in the last one counts too
    assert _shared.is_base64_of(base64.b64encode(big).decode(), big)
    assert not _shared.is_base64_of(base64.b64encode(big[:-1] + b"?").decode(), big)
