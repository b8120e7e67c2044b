"""The panel end to end: a real JupyterLab, headless Chromium driven by Playwright, the emulator behind.

The test writes a notebook into a temporary folder, starts JupyterLab on 127.0.0.1 (a free port, a
token, its own config, data and settings folders) and opens the notebook in Debian's Chromium
(``/usr/bin/chromium``; never a browser downloaded by ``playwright install``). It types a prompt,
clicks Generate and sees the image in the grid; refines twice and sees the history grow; sees a
magic's turn on the panel's session in the history without Refresh; switches to a slow emulator,
cancels the request and sees it reported. "Insert code" makes a new cell below the panel's, through the
vertex-image labextension (``ext/labextension``): the test fails if JupyterLab did not load it. Under CI
(``CI`` set) the labextension must be the installed one (``make test`` puts it into the venv); elsewhere
the checkout's prebuilt ``ext/labextension/dist`` is given to JupyterLab, so a worktree tests its own
build. Screenshots go to ``build/panel-e2e/``.

Missing tools are installed by ``tests/browser/setup.sh`` (apt-get for chromium, pip for playwright
and jupyterlab). The test is skipped, with the reason printed, only when chromium cannot be installed
on this machine (no apt-get, or no permission to use it).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHOTS = ROOT / "build" / "panel-e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 60_000
NO_TOOLS = 2  # setup.sh's exit status when chromium cannot be installed here
BUILT_LABEXTENSIONS = ROOT / "ext" / "labextension" / "dist"  # holds vertex-image/ (the prebuilt front-end piece)

def _cells() -> list[str]:
    return [
        "%load_ext vertex_image\n"
        "import vertex_image as vi\n"
        "from vertex_image.emulator import Emulator\n"
        "fast, slow = Emulator(), Emulator(latency_s=60)\n"
        "fast.start(); slow.start()\n"
        'vi.configure(backend="emulator", base_url=fast.base_url, output_dir="out")\n'
        'print("fast emulator ready")',
        "p = vi.panel()\np",
        'vi.configure(base_url=slow.base_url)\nprint("slow emulator ready")',
    ]


def _notebook() -> dict[str, Any]:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell-{i}", "metadata": {}, "outputs": [],
             "source": source}
            for i, source in enumerate(_cells())
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# the tools --------------------------------------------------------------------------------------
def _tools_missing() -> list[str]:
    missing = [] if CHROMIUM.is_file() else ["chromium"]
    for module in ("playwright", "jupyterlab"):
        importlib.invalidate_caches()
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


def _ensure_tools() -> None:
    """Install what is missing with the project's own script; skip only when chromium cannot be had."""
    missing = _tools_missing()
    if not missing:
        return
    print(f"\nbrowser test: installing {', '.join(missing)} with tests/browser/setup.sh", file=sys.stderr)
    run = subprocess.run(["bash", str(HERE / "setup.sh"), sys.prefix], capture_output=True, text=True,
                         timeout=900)
    if run.returncode == NO_TOOLS:
        reason = f"chromium cannot be installed on this machine: {run.stderr.strip()}"
        print(f"browser test SKIPPED: {reason}", file=sys.stderr)
        pytest.skip(reason)
    if run.returncode != 0 or _tools_missing():
        pytest.fail(f"tests/browser/setup.sh failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")


def _labextension_args() -> list[str]:
    """How JupyterLab finds the vertex-image labextension: installed (CI must use that) or this checkout's build."""
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "vertex-image" / "package.json"
    if os.environ.get("CI"):
        if not installed.is_file():
            pytest.fail(f"the vertex-image labextension is not installed at {installed.parent} "
                        "(make test links it there; a wheel installs it as data files)")
        return []
    return [f"--LabApp.extra_labextensions_path={BUILT_LABEXTENSIONS}"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Lab:
    url: str
    token: str
    folder: Path
    log: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with its own folders and a token; stopped (with its kernels) at the end."""
    _ensure_tools()
    base = tmp_path_factory.mktemp("lab")
    work = base / "work"
    work.mkdir()
    (work / "panel.ipynb").write_text(json.dumps(_notebook(), indent=1))
    settings = base / "settings"
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }.items():
        package, name = plugin.rsplit("/", 1)
        target = settings / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GOOGLE_", "GEMINI_",
                                                                                   "VERTEX_IMAGE_", "JUPYTER"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        IPYTHONDIR=str(base / "ipython"),
        CLOUDSDK_CONFIG=str(base / "gcloud"),
        NO_GCE_CHECK="True",
    )
    log = base / "jupyterlab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={work}", "--LabApp.news_url=", *_labextension_args(),
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield Lab(url, token, work, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (the server shuts its kernels down), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    except ProcessLookupError:
        pass


# the test ---------------------------------------------------------------------------------------
def _shot(target: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / name))


def _run_cell(page: Any, index: int) -> None:
    """Select cell ``index`` and run it with Shift+Enter; press again if the kernel missed it."""
    from playwright.sync_api import expect

    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputPrompt")
    for _attempt in range(3):
        prompt.click()
        page.keyboard.press("Shift+Enter")
        try:
            expect(prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=10_000)
            return
        except AssertionError:
            continue
    expect(prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=1)


def _saved_outputs(path: Path, index: int) -> list[dict[str, Any]]:
    """The outputs of cell ``index`` once the notebook on disk has them (JupyterLab saves in the background)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            outputs = json.loads(path.read_text())["cells"][index]["outputs"]
        except (OSError, ValueError, IndexError, KeyError):
            outputs = []
        if outputs or time.monotonic() > deadline:
            return list(outputs)
        time.sleep(0.25)


def test_panel_generate_refine_and_cancel_in_jupyterlab(lab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.goto(f"{lab.url}/lab/tree/panel.ipynb?token={lab.token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            expect(page.locator(".jp-StatusBar-Widget", has_text="Idle")).to_have_count(1)
            # The front-end piece loaded (a missing one is a failure, never a skip).
            expect(page.locator("body[data-vertex-image-extension=loaded]")).to_have_count(1)

            _run_cell(page, 0)
            expect(page.locator(".jp-OutputArea-output", has_text="fast emulator ready")).to_have_count(1)
            _run_cell(page, 1)
            panel = page.locator(".vi-panel")
            expect(panel).to_be_visible()
            generate = panel.locator("button.vi-generate")
            cancel = panel.locator("button.vi-cancel")
            status = panel.locator(".vi-status")
            expect(generate).to_be_enabled()
            expect(cancel).to_be_disabled()
            _shot(panel, "01-panel.png")

            # Generate: the image shows in the grid.
            panel.locator(".vi-prompt textarea").fill("a red fox in the snow")
            generate.click()
            expect(panel.locator(".vi-grid .vi-tile img.vi-thumb")).to_have_count(1)
            expect(status).to_contain_text("1 image from gemini-nano-banana-2.1")
            _shot(panel, "02-generated.png")

            # Each tile: a download link (the bytes as received, a readable name) and a full-size view.
            with page.expect_download() as downloading:
                panel.locator(".vi-grid .vi-download").first.click()
            download = downloading.value
            # The image as received, under the store's readable name. The emulator's
            # Gemini models answer JPEG (their default output), and the panel offers only Gemini models.
            assert re.fullmatch(r"a-red-fox-in-the-[0-9a-f]{8}\.jpg", download.suggested_filename)
            downloaded = Path(download.path()).read_bytes()
            assert downloaded[:3] == b"\xff\xd8\xff", downloaded[:8]
            with Image.open(io.BytesIO(downloaded)) as picture:  # a whole image, at its full size
                assert picture.format == "JPEG" and picture.width >= 1024, (picture.format, picture.size)
            panel.locator(".vi-grid .vi-full summary").first.click()
            full = panel.locator(".vi-grid .vi-full img").first
            expect(full).to_be_visible()
            assert full.evaluate("img => img.naturalWidth") >= 1024  # the image itself, not the thumbnail
            _shot(page, "02b-download-and-full-size.png")
            panel.locator(".vi-grid .vi-full summary").first.click()  # closed again

            # Refine twice: the history strip grows.
            panel.locator(".vi-grid .vi-select").first.click()
            expect(panel.locator("button.vi-refine")).to_be_enabled()
            panel.locator(".vi-prompt textarea").fill("make it night, with a full moon")
            panel.locator("button.vi-refine").click()
            expect(panel.locator(".vi-history .vi-turn")).to_have_count(1)
            expect(status).to_contain_text("turn 1 of session 'panel'")
            panel.locator(".vi-prompt textarea").fill("add falling snow")
            panel.locator("button.vi-refine").click()
            expect(panel.locator(".vi-history .vi-turn")).to_have_count(2)
            expect(status).to_contain_text("turn 2 of session 'panel'")
            expect(panel.locator(".vi-history .vi-turn img")).to_have_count(2)
            _shot(panel, "03-refined.png")

            # Insert code: a new cell below the panel's holds the equivalent magic; run, it continues the session.
            cells = page.locator(".jp-Notebook .jp-Cell")
            expect(cells).to_have_count(3)
            panel.locator("button.vi-insert-code").click()
            expect(cells).to_have_count(4)
            expect(status).to_contain_text("The equivalent magic is in a new cell below the panel.")
            expect(panel.locator(".vi-code textarea")).to_be_hidden()  # no copy box: the cell is there
            magic_cell = cells.nth(2)
            code = magic_cell.locator(".cm-content")
            expect(code).to_contain_text("%%gemini_image -S panel -m gemini-nano-banana-2.1")
            assert re.fullmatch(r"%%gemini_image -S panel -m gemini-nano-banana-2\.1( -i \S+)?\nadd falling snow",
                                code.inner_text().strip()), code.inner_text()
            expect(cells.nth(3).locator(".cm-content")).to_contain_text("slow.base_url")  # the next cell moved down
            _shot(page, "03b-insert-code-new-cell.png")
            _run_cell(page, 2)
            expect(magic_cell.locator(".jp-OutputArea-output img")).to_have_count(1)
            # The progress line is gone: the saved notebook holds the result only, no emptied output.
            expect(magic_cell.locator(".jp-OutputArea-output")).to_have_count(1)
            page.keyboard.press("Control+s")
            saved = _saved_outputs(lab.folder / "panel.ipynb", 2)
            assert [output["output_type"] for output in saved] == ["execute_result"], saved
            # The panel follows its session: the magic's turn is in the strip without Refresh.
            expect(panel.locator(".vi-history .vi-turn")).to_have_count(3)
            expect(panel.locator(".vi-history .vi-turn").nth(2)).to_contain_text("3. add falling snow")
            panel.locator("button.vi-refresh").click()
            expect(panel.locator(".vi-history .vi-turn")).to_have_count(3)
            _shot(page, "04-magic-continues-session.png")

            # A slow request: progress with elapsed seconds, then Cancel, reported in the status line.
            _run_cell(page, 3)
            expect(page.locator(".jp-OutputArea-output", has_text="slow emulator ready")).to_have_count(1)
            panel.scroll_into_view_if_needed()
            panel.locator(".vi-prompt textarea").fill("a very slow sunrise")
            generate.click()
            expect(generate).to_be_disabled()
            expect(cancel).to_be_enabled()
            expect(panel.locator(".vi-progress")).to_contain_text(" 2 s")
            _shot(panel, "05-in-flight.png")
            cancel.click()
            expect(status).to_contain_text("Cancelled")
            expect(generate).to_be_enabled()
            expect(cancel).to_be_disabled()
            expect(panel.locator(".vi-progress")).to_have_text("")
            expect(panel.locator(".vi-history .vi-turn")).to_have_count(3)  # nothing recorded
            _shot(panel, "06-cancelled.png")
        except Exception:
            _shot(page, "failure.png")  # what the page showed when a step failed
            print(f"JupyterLab log: {lab.log}", file=sys.stderr)
            raise
        finally:
            browser.close()
