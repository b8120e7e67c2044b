"""Canaries in every credential channel; a realistic day of work; not one canary in any output or file.

The channels: an API key (the environment and ``configure``), a gateway key, a service-account key file and an
``authorized_user`` file (client secret, refresh token). The token endpoint of both files is a hostile server on
loopback that echoes the whole request it got (issue 17, item 14): Google's does not, but an echo must not
carry the secrets into the ``AuthError``, the magic's output or ``doctor``. Every text shown (stdout, stderr,
display outputs, results' reprs and HTML, errors, log records) and every file written under the output folder
(images, index, sessions, replay records, a saved notebook and its export) is scanned for each canary, raw and
URL-encoded and JSON-escaped; the counts of what was scanned are printed and must be meaningful.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from magicshell import Cell, Shell
from vertex_image.core import registry
from vertex_image.emulator import Emulator
from vertex_image.results.files import GROUP_SYNC

API_KEY = "AIzaCANARYapikey0123456789abcdefghijklmn"
ENV_KEY = "AIzaCANARYenvkey0123456789abcdefghijklmn"
WRONG_KEY = "AIzaCANARYwrongkey0123456789abcdefghijk"
GATEWAY_KEY = "sk-CANARY-gateway-key-4f1e2d3c"
CLIENT_SECRET = "GOCSPX-CANARY-client/secret+77"
REFRESH_TOKEN = "1//CANARY-refresh-token/0a9b8c7d"
PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = PRIVATE_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode("ascii")
PEM_BODY = PEM.splitlines()[5]  # 64 characters from the middle of the key: found only if the key leaks
CANARIES = {
    "API key": API_KEY, "API key (environment)": ENV_KEY, "wrong API key": WRONG_KEY, "gateway key": GATEWAY_KEY,
    "client secret": CLIENT_SECRET, "refresh token": REFRESH_TOKEN, "private key": PEM_BODY,
}  # fmt: skip


def _forms(secret: str) -> set[str]:
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret), json.dumps(secret)[1:-1]}


class EchoingTokenEndpoint(http.server.BaseHTTPRequestHandler):
    """A token endpoint that refuses every request and quotes all of it back: form, headers, path."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        self.seen.append(body)
        echo = f"{body} {self.path} {dict(self.headers)}"
        fields = {key: values[0] for key, values in urllib.parse.parse_qs(body).items()}
        answer = json.dumps({"error": "invalid_grant", "error_description": f"you sent {echo} {fields}"})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode("utf-8"))

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def token_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The echoing endpoint's URL, also where google-auth sends an authorized_user refresh.

    google-auth ignores an authorized_user file's ``token_uri`` ("always overrides" with Google's endpoint), so
    its constant is pointed at loopback here: no secret of these tests ever leaves the machine.
    """
    from google.oauth2 import credentials as user_credentials

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoingTokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/token"
    monkeypatch.setattr(user_credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", url)
    EchoingTokenEndpoint.seen = []
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


class Sweep:
    """Everything shown, kept for the scan."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.texts: list[tuple[str, str]] = []

    def run(self, source: str) -> Cell:
        cell = self.shell.run(source)
        self.texts.append((f"{source!r} stdout+stderr", cell.shown))
        if cell.error is not None:
            self.texts.append((f"{source!r} error", f"{type(cell.error).__name__}: {cell.error}"))
        if cell.result is not None:
            self.texts.append((f"{source!r} repr", repr(cell.result)))
            html = getattr(cell.result, "_repr_html_", None)
            if callable(html):
                self.texts.append((f"{source!r} html", str(html() or "")))
        for number, output in enumerate(cell.displays):
            self.texts.append((f"{source!r} display {number}", json.dumps(output, default=str)))
        return cell


def _authorized_user_file(folder: Path, token_uri: str) -> Path:
    path = folder / "authorized_user.json"
    path.write_text(json.dumps({
        "type": "authorized_user", "client_id": "canary-client.apps.googleusercontent.com",
        "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN, "token_uri": token_uri,
        "quota_project_id": "canary-project",
    }))  # fmt: skip
    return path


def _service_account_file(folder: Path, token_uri: str) -> Path:
    path = folder / "service_account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "canary-project", "private_key_id": "0123456789abcdef",
        "private_key": PEM, "client_email": "canary@canary-project.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": token_uri,
    }))  # fmt: skip
    return path


def _notebook(sweep: Sweep, path: Path) -> Path:
    """The cells run, with what they showed, as a saved .ipynb (what a user would commit)."""
    cells = []
    for label, text in sweep.texts:
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "source": label,
                      "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]})  # fmt: skip
    for output in sweep.shell.ip.display_pub.outputs:
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "source": "",
                      "outputs": [{"output_type": "display_data", "data": output.get("data", {}),
                                   "metadata": output.get("metadata", {})}]})  # fmt: skip
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, default=str))
    return path


def test_no_canary_reaches_any_output_or_file(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, token_endpoint: str,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG, logger="vertex_image")
    monkeypatch.setenv("GOOGLE_API_KEY", ENV_KEY)
    out = tmp_path / "out"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    registry.reset()
    shell = Shell(capsys)
    sweep = Sweep(shell)
    try:
        with Emulator(require_key=API_KEY) as em:
            # 1. an API key (the Gemini API's dialect on the emulator): generate, a session, failures, tables
            registry.state().configure(backend="emulator", emulator_mode="gemini-api", base_url=em.base_url,
                                       output_dir=str(out), api_key=API_KEY)  # fmt: skip
            sweep.run("%imagen a red fox in the snow")
            sweep.run("%%gemini_image -S trip\na lighthouse at dusk")
            sweep.run("%%gemini_image -S trip\nmake it night")
            sweep.run("%imagen -m no-such-model-canary a fox")  # a failing call (404)
            sweep.run("%vertex_image status")
            sweep.run("%vertex_image doctor")
            sweep.run("%vertex_image config")
            sweep.run("%gemini_image history -S trip")
            sweep.run("%gemini_image sessions")
            sweep.run(f"%gemini_image save {tmp_path / 'saved' / 'trip.json'} -S trip")
            sweep.run("import vertex_image as vi; vi.gallery(5)")
            sweep.run(f"vi.gallery(2).save({str(tmp_path / 'exported-images')!r})")
            registry.state().configure(api_key=WRONG_KEY)  # refused by the emulator: an auth failure
            sweep.run("%imagen a fox with the wrong key")
            sweep.run("%vertex_image doctor")
            # 2. an authorized_user file whose token endpoint echoes the request
            registry.state().configure(backend="vertex", project="canary-project", location="us-central1",
                                       base_url=em.base_url, api_key=None,
                                       credentials_file=str(_authorized_user_file(secrets, token_endpoint)))  # fmt: skip
            user_cell = sweep.run("%imagen a fox through an echoing token endpoint")
            sweep.run("%vertex_image doctor")
            sweep.run("%vertex_image status")
            # 3. a service-account key file, the same endpoint
            registry.state().configure(credentials_file=str(_service_account_file(secrets, token_endpoint)))
            account_cell = sweep.run("%imagen a fox with a service account")
            sweep.run("%vertex_image doctor")
            # 4. a gateway key (the emulator is no gateway: the calls fail, which is part of the point)
            registry.state().configure(backend="litellm", base_url=em.base_url, gateway_key=GATEWAY_KEY,
                                       credentials_file="")  # fmt: skip
            sweep.run("%imagen a fox through a gateway")
            sweep.run("%vertex_image doctor")
            sweep.run("%vertex_image status")
            sweep.run("%vertex_image config")
        notebook = _notebook(sweep, tmp_path / "day.ipynb")
        registry.state().configure(backend="emulator", output_dir=str(out), gateway_key=None)
        sweep.run(f"vi.export({str(notebook)!r}, {str(tmp_path / 'bundle')!r})")
    finally:
        shell.close()
        registry.reset()

    # the hostile endpoint did get the secrets, and each refusal reached the user as a typed error
    assert any(urllib.parse.quote_plus(CLIENT_SECRET) in body for body in EchoingTokenEndpoint.seen)
    for cell in (user_cell, account_cell):
        said = cell.shown + str(cell.error or "")
        assert "Could not refresh the Google credentials" in said, said
    texts = sweep.texts + [(f"log {record.name}", record.getMessage()) for record in caplog.records]
    GROUP_SYNC.flush()  # the sidecars the background pass has not written yet: on disk, checked
    files = [path for path in tmp_path.rglob("*") if path.is_file() and secrets not in path.parents]
    leaks = [
        f"{name} in {label}"
        for label, text in texts
        for name, canary in CANARIES.items()
        if any(form in text for form in _forms(canary))
    ]
    for path in files:
        data = path.read_bytes()
        leaks += [f"{name} in {path.relative_to(tmp_path)}" for name, canary in CANARIES.items()
                  if any(form.encode() in data for form in _forms(canary))]  # fmt: skip
    kinds = sorted({path.suffix or path.name for path in files})
    print(
        f"canary sweep: {len(CANARIES)} canaries, {len(texts)} texts ({sum(len(t) for _, t in texts)} chars), "
        f"{len(files)} files ({', '.join(kinds)}), {len(EchoingTokenEndpoint.seen)} echoed token requests"
    )
    assert not leaks, leaks
    assert len(texts) >= 60 and len(files) >= 15  # the sweep looked at a real day's output
    assert any(path.suffix in (".png", ".jpg") for path in files) and any("sessions" in path.parts for path in files)
    assert (tmp_path / "day.ipynb").is_file() and any((tmp_path / "bundle").rglob("*.ipynb"))


@pytest.mark.parametrize("kind", ["authorized_user", "service_account"])
def test_an_echoing_token_endpoint_is_one_typed_line_without_secrets_everywhere(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, token_endpoint: str, kind: str
) -> None:
    """Issue 17, item 14: the refresh fails at a hostile endpoint that quotes what it got; every path says so in
    one typed line (an AuthError, never a TypeError) and none carries the client secret, refresh token or key."""
    make = _authorized_user_file if kind == "authorized_user" else _service_account_file
    registry.reset()
    shell = Shell(capsys)
    try:
        with Emulator() as em:
            registry.state().configure(backend="vertex", project="canary-project", location="us-central1",
                                       base_url=em.base_url, output_dir=str(tmp_path / "out"),
                                       credentials_file=str(make(tmp_path, token_endpoint)))  # fmt: skip
            magic = shell.run("%imagen a fox")
            api = shell.run("import vertex_image as vi; vi.generate_images('a fox')")
            turn = shell.run("%%gemini_image -S s\na fox")
            doctor = shell.run("%vertex_image doctor")
            assert em.requests == []  # nothing reached the model: the token never came
    finally:
        shell.close()
        registry.reset()
    assert EchoingTokenEndpoint.seen, "the refresh must have gone to the echoing endpoint"
    assert type(api.error).__name__ == "AuthError"  # Python code gets the typed error (IPython shows its traceback)
    for cell in (magic, api, turn):
        said = (str(cell.error) if cell is api else cell.shown.strip() or str(cell.error)).strip()
        assert "Could not refresh the Google credentials" in said and "Traceback" not in said, said
        assert len(said.splitlines()) == 1, said
    doctor_text = doctor.shown + repr(doctor.result) + str(getattr(doctor.result, "html", ""))
    assert "failed" in doctor_text
    for label, text in (("magic", magic.shown + str(magic.error)), ("api", api.shown + str(api.error)),
                        ("turn", turn.shown + str(turn.error)), ("doctor", doctor_text)):  # fmt: skip
        for name, canary in CANARIES.items():
            assert not any(form in text for form in _forms(canary)), f"{name} in the {label} output"
