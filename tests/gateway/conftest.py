"""A real LiteLLM proxy on 127.0.0.1 whose upstream is our emulator, started once per test session.

The proxy runs LiteLLM's own server (``litellm_launcher.py``: the CLI, plus the two replacements its
docstring names for the Vertex route) with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (offline), no database,
a canary master key, ``GEMINI_API_BASE`` pointing its ``/gemini`` pass-through at the emulator, and one
model (``gemini/gemini-nano-banana-2.1`` on the emulator) for its OpenAI routes. When LiteLLM is missing
or the proxy does not start, every test here is skipped with the reason printed (never silently).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gateway_proxy import MODEL, UPSTREAM_KEY, Proxy  # noqa: F401 - MODEL for the tests
from vertex_image.emulator import Emulator

HERE = Path(__file__).parent
START_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(emulator_url: str, key: str) -> str:
    return f"""
model_list:
  - model_name: {MODEL}
    litellm_params:
      model: gemini/{MODEL}
      api_key: os.environ/GEMINI_API_KEY
      api_base: {emulator_url}/v1beta
general_settings:
  master_key: {key}
default_vertex_config:
  vertex_project: proxy-project
  vertex_location: us-central1
"""


def _skip(reason: str) -> None:
    print(f"\n[gateway tests] SKIPPED: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def litellm_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if importlib.util.find_spec("litellm") is None:  # not imported here: it takes seconds and goes online
        _skip("litellm[proxy] is not installed; pip install 'litellm[proxy]' (the test extra)")
    folder = tmp_path_factory.mktemp("litellm-proxy")
    key = "sk-canary-" + secrets.token_hex(12)
    emulator = Emulator().start()
    config = folder / "config.yaml"
    config.write_text(_config(emulator.base_url, key))
    port = _free_port()
    log = folder / "proxy.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "VERTEX_", "LITELLM_"))},
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "GEMINI_API_BASE": emulator.base_url,
        "GEMINI_API_KEY": UPSTREAM_KEY,
        "LITELLM_TELEMETRY": "False",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, str(HERE / "litellm_launcher.py"), emulator.base_url,
               "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    start = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                _skip(f"the LiteLLM proxy exited with code {process.returncode}: {_tail(log)}")
            if time.monotonic() - start > START_TIMEOUT_S:
                _skip(f"the LiteLLM proxy did not answer within {START_TIMEOUT_S:g} s: {_tail(log)}")
            try:
                if httpx.get(url + "/health/liveliness", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        start_s = time.monotonic() - start
        print(f"\n[gateway tests] LiteLLM proxy up at {url} after {start_s:.1f} s", file=sys.stderr)
        yield Proxy(url, key, emulator, log, start_s)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        emulator.stop()


def _tail(log: Path, lines: int = 8) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip()) or "(no output)"
