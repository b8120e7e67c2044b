"""``python -m vertex_image.emulator``: prints its base URL, serves, honours its flags."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import GEMINI_API, gemini, user
from vertex_image.emulator.__main__ import build_parser


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vertex_image.emulator",
            "--port",
            "0",
            "--require-key",
            "sesame",
            "--blocked-words",
            "kraken",
            "--fault",
            "503;every=3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


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
