"""Through a real LiteLLM proxy (``conftest.litellm_proxy``) to the emulator: both backends, every route we use.

``backend="litellm"``: the proxy's pass-through routes keep Google's wire format, so the Gemini API's
thought signatures are replayed verbatim (the emulator enforces them on Gemini 3 models: the turn
LiteLLM's own client fails), drafts are skipped, safety blocks and 429s behave as on the direct backends.
``backend="openai"``: the proxy's OpenAI routes. A canary proxy key must reach no output, log, error,
sidecar, saved file, or the upstream request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from gateway_proxy import MODEL, UPSTREAM_KEY, Proxy
from litellm_launcher import PROXY_GOOGLE_TOKEN
from magicshell import Cell, Shell
from vertex_image.core import registry
from vertex_image.emulator import faults
from vertex_image.results.store import ImageStore

SESSION_CELL = "%%gemini_image -S fox -m " + MODEL


class Gateway:
    """A shell on the proxy that keeps everything it showed, for the canary check."""

    def __init__(self, shell: Shell, proxy: Proxy, folder: Path) -> None:
        self.shell, self.proxy, self.folder = shell, proxy, folder
        self.shown: list[str] = []
        self.first_request = len(proxy.emulator.requests)

    def run(self, source: str) -> Cell:
        cell = self.shell.run(source)
        self.shown += [cell.shown, repr(cell.result), str(cell.error or "")]
        self.shown += [json.dumps(d, default=str) for d in cell.displays]
        return cell

    def upstream(self, suffix: str = "") -> list[Any]:
        """Requests the emulator got from the proxy during this test."""
        return [r for r in self.proxy.emulator.requests[self.first_request :] if r.path.endswith(suffix)]


@pytest.fixture
def gateway(
    litellm_proxy: Proxy, capsys: pytest.CaptureFixture[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Gateway]:
    registry.reset()
    caplog.set_level(logging.DEBUG, logger="vertex_image")
    shell = Shell(capsys)
    registry.state().configure(
        backend="litellm", base_url=litellm_proxy.url, gateway_key=litellm_proxy.key, output_dir=str(tmp_path)
    )
    gw = Gateway(shell, litellm_proxy, tmp_path)
    try:
        yield gw
        _assert_no_key(gw, "\n".join(record.getMessage() for record in caplog.get_records("call")))
    finally:
        litellm_proxy.emulator.app.faults.default = None
        shell.close()
        registry.reset()


def _assert_no_key(gw: Gateway, log_text: str) -> None:
    """The canary key is in no output, log record, error, saved file or sidecar, nor sent upstream."""
    key = gw.proxy.key
    assert log_text, "the client logged nothing at DEBUG: the log check would prove nothing"
    assert all(key not in text for text in gw.shown)
    assert key not in log_text
    ImageStore(gw.folder).flush()  # the sidecars the background pass has not written yet: on disk, checked
    files = [p for p in gw.folder.rglob("*") if p.is_file()]
    assert files, "nothing was saved: the file check would prove nothing"
    assert all(key.encode() not in p.read_bytes() for p in files)
    for request in gw.upstream():
        assert key not in json.dumps(request.headers) + json.dumps(request.body, default=str) + str(request.query)


# --- backend="litellm", Gemini API dialect: the /gemini pass-through -----------------------------------


def test_imagen_goes_through_the_gemini_passthrough_with_the_proxys_google_key(gateway: Gateway) -> None:
    cell = gateway.run("%imagen a red fox in the snow")
    assert cell.error is None, cell.shown
    assert isinstance(cell.result, vi.ImageSet) and len(cell.result) == 1
    (request,) = gateway.upstream(":generateContent")
    assert request.path == f"/v1beta/models/{MODEL}:generateContent"
    assert request.query.get("key") == UPSTREAM_KEY  # the proxy's own Google credential went upstream
    assert request.body["contents"][0]["parts"][0]["text"] == "a red fox in the snow"
    ImageStore(gateway.folder).flush()
    sidecar = next(gateway.folder.rglob("*.json")).read_text()
    assert MODEL in sidecar


def test_three_turn_refinement_replays_signatures_verbatim_and_skips_drafts(gateway: Gateway) -> None:
    prompts = ["a lighthouse at dusk", "make the sky stormy", "add a small red boat"]
    for prompt in prompts:
        cell = gateway.run(f"{SESSION_CELL}\n{prompt}")
        assert cell.error is None, cell.shown
        assert len(cell.result) == 1  # the emulator sends a draft and a final image; only the final one counts
    session = registry.state().sessions["fox"]
    assert len(session.exchanges) == 3
    sent = gateway.upstream(":generateContent")
    assert len(sent) == 3
    third = sent[2].body["contents"]
    assert [c["role"] for c in third] == ["user", "model", "user", "model", "user"]
    for index, exchange in enumerate(session.exchanges[:2]):
        replayed = third[2 * index + 1]
        assert replayed == exchange.model  # verbatim: every part, every signature
        image_parts = [p for p in replayed["parts"] if "inlineData" in p and not p.get("thought")]
        assert image_parts and all(p.get("thoughtSignature") for p in image_parts)


def test_an_edit_sends_the_image_through_the_proxy(gateway: Gateway) -> None:
    first = gateway.run("%imagen a plain white mug")
    assert first.error is None, first.shown
    edited = vi.edit_image("paint the mug blue", first.result[0])
    assert len(edited) == 1
    request = gateway.upstream(":generateContent")[-1]
    parts = request.body["contents"][0]["parts"]
    assert any("inlineData" in part for part in parts)
    assert edited[0].data != first.result[0].data


def test_a_safety_block_says_why_without_a_traceback(gateway: Gateway) -> None:
    cell = gateway.run("%imagen blockme in the park")
    assert "IMAGE_SAFETY" in cell.shown + repr(cell.result) + str(cell.error or "")
    assert "Traceback" not in cell.shown
    assert gateway.run("%imagen a quiet park").error is None  # the next request goes through as usual


def test_a_429_through_the_proxy_is_retried_and_succeeds(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    gateway.proxy.emulator.app.faults.default = faults.parse("429x1;retry-after=0")
    result = vi.generate_images("a kite over the sea", model=MODEL)
    assert len(result) == 1
    sent = gateway.upstream(":generateContent")
    assert len(sent) == 2 and sent[0].body == sent[1].body
    # the 429 reached our client through the proxy (LiteLLM did not retry it), and our retry succeeded
    assert any("attempt 1 failed (429 RESOURCE_EXHAUSTED)" in record.getMessage() for record in caplog.records)


# --- backend="litellm", Vertex dialect: the /vertex_ai pass-through (host replaced, see the launcher) ---


def test_the_vertex_dialect_goes_through_the_vertex_ai_passthrough(gateway: Gateway) -> None:
    registry.state().configure(gateway_dialect="vertex")
    cell = gateway.run("%imagen a blue heron")
    assert cell.error is None, cell.shown
    (request,) = gateway.upstream(":generateContent")
    assert request.path == (
        f"/v1/projects/proxy-project/locations/us-central1/publishers/google/models/{MODEL}:generateContent"
    )  # the proxy replaced our placeholder project and location with its own
    assert request.headers["authorization"] == f"Bearer {PROXY_GOOGLE_TOKEN}"
    assert "x-litellm-api-key" not in request.headers


# --- status, doctor, use -------------------------------------------------------------------------------


def test_doctor_names_the_gateway_and_route_and_checks_the_key(gateway: Gateway) -> None:
    cell = gateway.run("%vertex_image doctor")
    text = cell.shown + repr(cell.result)
    assert "LiteLLM proxy at " + gateway.proxy.url in text
    assert "/gemini (pass-through to the Gemini API" in text
    assert "gateway key" in text and "set (hidden)" in text
    assert "ok: the gateway accepted the key (GET /gemini/v1beta/models answered)" in text
    registry.state().configure(gateway_key="sk-wrong-key-for-the-doctor")
    wrong = gateway.run("%vertex_image doctor")
    assert "key check" in repr(wrong.result) and "failed:" in repr(wrong.result)
    assert "sk-wrong-key-for-the-doctor" not in repr(wrong.result) + wrong.shown
    registry.state().configure(gateway_key=gateway.proxy.key)
    gateway.run("%imagen a lamp")  # something saved, for the file check


def test_use_litellm_url_switches_and_says_where_requests_go(gateway: Gateway) -> None:
    registry.state().configure(backend="emulator")
    cell = gateway.run(f"%vertex_image use litellm {gateway.proxy.url}/gemini --dialect vertex")
    assert cell.error is None, cell.shown
    assert f"{gateway.proxy.url}/vertex_ai" in cell.shown
    settings = registry.state().settings()
    assert (settings.backend, settings.speaks) == ("litellm", "vertex")
    registry.state().configure(gateway_key=gateway.proxy.key)
    assert gateway.run("%imagen a pine cone").error is None


# --- backend="openai": the proxy's OpenAI routes ----------------------------------------------------------


def test_openai_backend_generates_edits_and_chats_through_the_openai_routes(gateway: Gateway) -> None:
    registry.state().configure(backend="openai", base_url=gateway.proxy.url + "/v1", gateway_key=gateway.proxy.key)
    made = gateway.run("%imagen a green parrot")
    assert made.error is None, made.shown
    assert len(made.result) == 1  # the draft LiteLLM returns as a result is left out (it carries no signature)
    direct = gateway.upstream(":generateContent")[-1]
    assert direct.body["contents"][0]["parts"][0]["text"] == "a green parrot"

    edited = vi.edit_image("give it a hat", made.result[0])
    assert len(edited) == 1
    sent = gateway.upstream(":generateContent")[-1]
    assert any("inlineData" in part for part in sent.body["contents"][0]["parts"])

    for prompt in ("a paper boat", "now make it red"):
        cell = gateway.run(f"%%gemini_image -S boat -m {MODEL}\n{prompt}")
        assert cell.error is None, cell.shown
        assert len(cell.result) == 1
    second = gateway.upstream(":generateContent")[-1].body["contents"]
    assert [c["role"] for c in second] == ["user", "model", "user"]
    assert not any("inlineData" in p for p in second[1]["parts"])  # no model image replayed: no signature
    # the last image is re-sent as an input (LiteLLM writes the proto-JSON spelling inline_data, which Google takes)
    assert any("inline_data" in p or "inlineData" in p for p in second[2]["parts"])
