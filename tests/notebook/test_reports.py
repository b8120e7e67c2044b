"""notebook/reports.py: the tables of %vertex_image (status, doctor, config, models, sessions) as plain strings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import vertex_image as vi
from vertex_image.base.config import Settings
from vertex_image.client.endpoints import GEMINI_API_HOST
from vertex_image.core import registry
from vertex_image.notebook import reports

XSS = "<img src=x onerror=alert(1)>"
KEY = "AIzaSECRETSECRETSECRETSECRETSECRET123"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    registry.reset()
    yield
    registry.reset()


def test_a_table_aligns_its_text_and_escapes_its_html() -> None:
    table = reports.Table("Title", ("a", "bb"), [("x", XSS), ("longer", "y")], footer="end")
    assert table.text().splitlines() == [
        "Title",
        "a       bb",
        f"x       {XSS}",
        "longer  y",
        "end",
    ]
    assert XSS not in table.html() and "&lt;img src=x" in table.html()


def test_endpoint_text_says_where_each_family_goes() -> None:
    assert reports.endpoint_text(Settings(project="p")) == (
        "https://us-central1-aiplatform.googleapis.com (Imagen), https://aiplatform.googleapis.com (Gemini)"
    )
    assert reports.endpoint_text(Settings(project="p", location="europe-west4")) == (
        "https://europe-west4-aiplatform.googleapis.com"
    )
    assert reports.endpoint_text(Settings(backend="gemini-api")) == GEMINI_API_HOST
    assert reports.endpoint_text(Settings(base_url="https://proxy")) == "https://proxy (base_url)"
    emulator = Settings(backend="emulator")
    assert reports.endpoint_text(emulator) == "in-process emulator, started on the first request"
    assert reports.endpoint_text(emulator, "http://127.0.0.1:5") == "http://127.0.0.1:5 (in-process emulator)"


def test_use_message_names_the_backend_and_the_endpoint() -> None:
    assert reports.use_message(Settings(backend="gemini-api")) == (
        f"Backend: gemini-api — requests go to the Gemini API at {GEMINI_API_HOST}."
    )
    emulator = reports.use_message(Settings(backend="emulator"))
    assert emulator.startswith("Backend: emulator — requests go to the offline")


def test_config_shows_every_setting_with_its_origin_and_hides_the_key(kernel: None) -> None:
    vi.configure(backend="gemini-api", api_key=KEY)
    text = reports.config_view("auto").text
    assert KEY not in text and "api_key" in text and "set (hidden)" in text
    backend = next(line for line in text.splitlines() if line.startswith("backend "))
    assert backend.split() == ["backend", "gemini-api", "configure"]
    assert text.splitlines()[-2].startswith("show_progress")


def test_config_says_the_default_concurrency_grows_and_a_set_one_is_a_cap(kernel: None) -> None:
    vi.configure(backend="gemini-api", api_key=KEY)
    line = next(line for line in reports.config_view("auto").text.splitlines() if line.startswith("max_concurrency"))
    assert "8 at first, growing to 32 while no 429 comes" in line and line.rstrip().endswith("default")
    vi.configure(max_concurrency=4)
    line = next(line for line in reports.config_view("auto").text.splitlines() if line.startswith("max_concurrency"))
    assert line.split() == ["max_concurrency", "4", "configure"]


def test_status_shows_the_setup_without_the_key(kernel: None) -> None:
    vi.configure(backend="gemini-api", api_key=KEY)
    view = reports.status_view(doctor=False)
    assert KEY not in view.text and KEY not in view.html
    assert "credentials" in view.text and "Run %vertex_image doctor" in view.text


def test_the_doctor_asks_the_client_to_ping_and_reports_a_silent_emulator(kernel: None) -> None:
    vi.configure(backend="emulator", base_url="http://127.0.0.1:9")  # nothing listens on the discard port
    text = reports.status_view(doctor=True).text
    assert "emulator" in text and "failed: http://127.0.0.1:9 does not answer (ConnectError)" in text
    assert "Problems: token." in text


def test_sessions_and_models_tables_say_what_to_do_when_empty() -> None:
    assert "No sessions yet: run a %%gemini_image cell." in reports.sessions_view([]).text
    assert reports.models_view([]).text.splitlines()[0] == "Image models"


GATEWAY_KEY = "sk-SECRET-gateway-key-0123456789"


def test_status_names_the_gateway_the_route_and_the_key_only_as_set(kernel: None) -> None:
    vi.configure(backend="litellm", base_url="http://proxy:4000/gemini", gateway_key=GATEWAY_KEY, gateway_dialect="vertex")
    view = reports.status_view(doctor=False)
    assert GATEWAY_KEY not in view.text + view.html
    assert re.search(r"^backend +litellm \(speaks vertex\)$", view.text, re.M)
    assert re.search(r"^gateway +LiteLLM proxy at http://proxy:4000$", view.text, re.M)
    assert re.search(r"^route +/vertex_ai \(pass-through to the Vertex AI", view.text, re.M)
    assert re.search(r"^gateway key +set \(hidden\), from configure$", view.text, re.M)
    assert "set (hidden)" in reports.config_view("auto").text and GATEWAY_KEY not in reports.config_view("auto").text
    assert reports.use_message(registry.state().settings()) == (
        "Backend: litellm — requests go to a LiteLLM proxy's Vertex AI pass-through (Google's wire format) "
        "at http://proxy:4000/vertex_ai."
    )


def test_the_doctor_says_a_gateway_that_does_not_answer_without_the_key(kernel: None) -> None:
    vi.configure(backend="openai", base_url="http://127.0.0.1:9/v1", gateway_key=GATEWAY_KEY, max_attempts=1)
    view = reports.status_view(doctor=True)
    assert GATEWAY_KEY not in view.text + view.html
    check = next(line for line in view.text.splitlines() if line.startswith("key check"))
    assert "failed:" in check and "127.0.0.1:9/v1/models" in check
    assert "Problems: gateway key. Check the gateway's URL and key" in view.text
