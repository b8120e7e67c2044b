"""``python -m vertex_image.emulator``: prints its base URL, serves, honours its flags."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import BEARER, GEMINI_API, KEY, VERTEX, gemini, imagen, user
from vertex_image.emulator.__main__ import build_parser


def serve(*args: str) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vertex_image.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    yield from serve(
        "--as-of",
        "2026-11-30",
        "--require-key",
        "sesame",
        "--blocked-words",
        "kraken",
        "--fault",
        "503;every=3",
    )


@pytest.fixture(scope="module")
def served_in_march() -> Iterator[str]:
    yield from serve("--as-of", "2026-03-01")


def test_cli_prints_its_base_url_and_applies_its_flags(served: str) -> None:
    assert served.startswith("http://127.0.0.1:")
    path = GEMINI_API + "gemini-2.5-flash-image:generateContent"
    with httpx.Client(base_url=served, timeout=30) as client:
        wrong = client.post(path, json=gemini(user("x")), headers={"x-goog-api-key": "nope"})
        blocked = client.post(path, json=gemini(user("a kraken")), headers={"x-goog-api-key": "sesame"})
        later = [client.post(path, json=gemini(user("x")), headers={"x-goog-api-key": "sesame"}) for _ in range(2)]
    assert wrong.status_code == 400 and wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert blocked.json()["candidates"][0]["finishReason"] == "IMAGE_SAFETY"
    # every=3 counts authenticated requests: the blocked one was 1st, so these are the 2nd and 3rd
    assert [r.status_code for r in later] == [200, 503]


def test_cli_rejects_a_bad_fault_spec(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--fault", "teapot"])
    assert "Unknown fault 'teapot'" in capsys.readouterr().err


def test_cli_as_of_replays_an_earlier_day(served_in_march: str) -> None:
    with httpx.Client(base_url=served_in_march, timeout=30) as client:
        old = client.post(
            VERTEX + "imagen-4.0-generate-001:predict", json=imagen("a fox", sampleCount=1), headers=BEARER
        )
        new = client.post(
            GEMINI_API + "gemini-nano-banana-2.1:generateContent", json=gemini(user("x")), headers=KEY
        )
        listed = client.get("/v1beta/models", headers=KEY).json()["models"]
    assert old.status_code == 200 and len(old.json()["predictions"]) == 1
    assert new.status_code == 404  # released 2026-10-06
    assert "models/imagen-4.0-generate-001" in [m["name"] for m in listed]


def test_cli_help_documents_as_of() -> None:
    text = build_parser().format_help()
    assert "--as-of YYYY-MM-DD" in text and "x-emulator-as-of" in text


def test_cli_rejects_a_bad_day(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--as-of", "next tuesday"])
    assert "expected a date YYYY-MM-DD" in capsys.readouterr().err
