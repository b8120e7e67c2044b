"""%imagen, %vertex_image and the extension lifecycle on a real InteractiveShell with the emulator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import sidecar
from IPython.core.interactiveshell import InteractiveShell
from magicshell import Shell, emulator_requests, emulator_shell, shell  # noqa: F401 - fixture
from traitlets.config import Config
from vertex_image.core import registry
from vertex_image.emulator import Emulator
from vertex_image.notebook.magics import VertexImageMagics

HEAVY = ("httpx", "google.auth", "PIL", "ipywidgets")


def _prompt(request: object) -> str:
    body = request.body  # type: ignore[attr-defined]
    if "instances" in body:  # Imagen :predict (legacy)
        return body["instances"][0]["prompt"]
    return body["contents"][-1]["parts"][0]["text"]


# lifecycle ------------------------------------------------------------------------------------
def test_load_ext_registers_magics_and_imports_nothing_heavy() -> None:
    code = textwrap.dedent(
        """
        import sys
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "vertex_image")
        names = ip.magics_manager.magics
        assert {"imagen", "gemini_image", "vertex_image"} <= set(names["line"]), names["line"].keys()
        assert {"imagen", "gemini_image"} <= set(names["cell"])
        print("\\n".join(sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = set(out.split())
    assert "vertex_image.notebook.magics" in loaded
    assert [m for m in HEAVY if m in loaded] == []


def test_load_twice_is_harmless(shell: Shell) -> None:
    shell.ip.run_line_magic("load_ext", "vertex_image")
    from vertex_image.notebook.magics import load_ipython_extension

    load_ipython_extension(shell.ip)
    ours = [c for c in shell.ip.configurables if isinstance(c, VertexImageMagics)]
    assert len(ours) == 1
    assert shell.ip.magics_manager.magics["line"]["imagen"].__self__ is ours[0]


def test_unload_removes_everything_and_stops_the_emulator(shell: Shell) -> None:
    assert shell.run("imgs = %imagen a red fox").error is None
    emulator = registry.state()._emulator
    runtime = registry.state()._runtime
    base_url = emulator.base_url
    formatter = shell.ip.display_formatter.formatters["text/html"]
    assert ("google.genai.types", "Image") in formatter.deferred_printers
    shell.close()
    manager = shell.ip.magics_manager
    for kind in ("line", "cell"):
        assert not {"imagen", "gemini_image", "vertex_image"} & set(manager.magics[kind])
    assert "VertexImageMagics" not in manager.registry
    assert not [c for c in shell.ip.configurables if isinstance(c, VertexImageMagics)]
    assert ("google.genai.types", "Image") not in formatter.deferred_printers
    assert registry._STATE is None
    assert runtime._stopped
    import httpx

    with pytest.raises(httpx.HTTPError):
        httpx.get(base_url, timeout=1)
    shell.ip.run_line_magic("load_ext", "vertex_image")  # and it can come back


def test_config_traits_reach_the_settings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    registry.reset()
    cfg = Config()
    cfg.VertexImageMagics.backend = "emulator"
    cfg.VertexImageMagics.output_dir = str(tmp_path)
    cfg.VertexImageMagics.default_model = "nano-banana-lite"
    sh = Shell(capsys, cfg)
    try:
        settings = vi.settings()
        assert (settings.backend, settings.output_dir) == ("emulator", str(tmp_path))
        assert settings.default_imagen_model == "nano-banana-lite"
        sh.ip.run_line_magic("config", "VertexImageMagics.default_gemini_model = 'nano-banana-pro'")
        assert vi.settings().default_gemini_model == "nano-banana-pro"
        assert vi.settings().sources["default_gemini_model"] == "configure"
        sh.run("%config VertexImageMagics.backend = 'mars'")  # %config logs the refusal
        assert vi.settings().backend == "emulator"
        assert sh.ip.magics_manager.registry["VertexImageMagics"].backend == "emulator"
        assert sh.run("%imagen a red fox").error is None
        assert emulator_requests()[-1].path.split("/")[-1] == "gemini-3.1-flash-lite-image:generateContent"
    finally:
        sh.close()
        registry.reset()


# %imagen --------------------------------------------------------------------------------------
def test_assignment_binds_the_image_set(shell: Shell) -> None:
    cell = shell.run("imgs = %imagen a red fox")
    assert cell.error is None
    imgs = shell.ns["imgs"]
    assert isinstance(imgs, vi.ImageSet) and len(imgs) == 1
    assert imgs[0].path and Path(imgs[0].path).is_file()
    assert _prompt(emulator_requests()[-1]) == "a red fox"


def test_result_lands_in_out_and_semicolon_silences(shell: Shell) -> None:
    shown = shell.run("%imagen a red fox")
    assert isinstance(shown.result, vi.ImageSet)
    assert shell.ns["Out"][shell.ip.execution_count - 1] is shown.result
    silenced = shell.run("%imagen a blue fox;")
    assert silenced.result is None
    assert shell.ip.execution_count - 1 not in shell.ns["Out"]
    assert _prompt(emulator_requests()[-1]) == "a blue fox"


def test_every_option_reaches_the_request_of_todays_model(shell: Shell) -> None:
    cell = shell.run(
        "x = %imagen -n 2 -a 16:9 -s 2K --seed 7 --thinking high --search image --person allow-adult "
        "--format jpeg --quality 80 a lighthouse at dusk"
    )
    assert cell.error is None, cell.shown
    requests = emulator_requests("generateContent")[-2:]
    assert all(r.path.endswith("gemini-nano-banana-2.1:generateContent") for r in requests)
    assert [_prompt(r) for r in requests] == ["a lighthouse at dusk"] * 2
    config = requests[0].body["generationConfig"]
    assert config["imageConfig"] == {
        "aspectRatio": "16:9", "imageSize": "2K", "personGeneration": "ALLOW_ADULT",
        "imageOutputOptions": {"mimeType": "image/jpeg", "compressionQuality": 80},
    }  # fmt: skip
    assert config["thinkingConfig"] == {"thinkingLevel": "HIGH"}
    assert sorted(r.body["generationConfig"]["seed"] for r in requests) == [7, 8]
    assert requests[0].body["tools"] == [{"googleSearch": {"searchTypes": {"imageSearch": {}}}}]
    images = shell.ns["x"]
    assert len(images) == 2 and images[0].mime_type == "image/jpeg" and (images[0].width, images[0].height) == (2752, 1536)


def test_every_imagen_option_reaches_the_legacy_request(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Imagen is shut down; a private endpoint that still serves it is reached with retired_models='send'."""
    import datetime

    with emulator_shell(capsys, tmp_path, as_of=datetime.date(2026, 3, 1)) as (shell, emulator):
        vi.configure(retired_models="send")
        _every_imagen_option(shell, lambda: [r for r in emulator.requests if r.path.endswith(":predict")])


def _every_imagen_option(shell: Shell, emulator_requests: Any) -> None:
    cell = shell.run(
        "x = %imagen -m imagen4 -n 2 -a 16:9 -s 2K --negative 'blurry, dark' --seed 7 --no-enhance "
        "--person allow-adult --safety high --format jpeg --quality 80 a lighthouse at dusk"
    )
    assert cell.error is None, cell.shown
    request = emulator_requests()[-1]
    assert request.path.endswith("imagen-4.0-generate-001:predict")
    assert _prompt(request) == "a lighthouse at dusk"
    params = request.body["parameters"]
    assert params["sampleCount"] == 2
    assert params["aspectRatio"] == "16:9"
    assert params["sampleImageSize"] == "2K"
    assert params["negativePrompt"] == "blurry, dark"
    assert params["seed"] == 7
    assert params["enhancePrompt"] is False
    assert params["personGeneration"].lower() == "allow_adult"
    assert params["safetySetting"].lower() == "block_only_high"
    assert params["outputOptions"] == {"mimeType": "image/jpeg", "compressionQuality": 80}
    images = shell.ns["x"]
    assert len(images) == 2 and images[0].mime_type == "image/jpeg"
    assert shell.run("%imagen -m imagen4 --enhance a fox").error is None
    assert emulator_requests()[-1].body["parameters"]["enhancePrompt"] is True


def test_a_retired_model_is_one_line_with_the_magic_to_run_instead(shell: Shell) -> None:
    cell = shell.run("%imagen -m imagen-4.0-generate-001 -n 2 --negative 'blurry' a fox")
    assert type(cell.error).__name__ == "UsageError" and len(cell.err.strip().splitlines()) == 1
    assert str(cell.error) == (
        "imagen-4.0-generate-001 was shut down on 2026-08-17 on Vertex AI; nothing was sent. "
        "Use gemini-nano-banana-2.1 with thinking high. Not carried over: negative_prompt. "
        "(retired_models='migrate' does this for you.) "
        "Run instead: %imagen -m gemini-nano-banana-2.1 --thinking high -n 2 a fox"
    )
    assert emulator_requests_or_none() == []
    assert shell.run("%imagen -m gemini-nano-banana-2.1 --thinking high -n 2 a fox").error is None  # and it works


def test_a_near_miss_model_suggests_and_sends_nothing(shell: Shell) -> None:
    cell = shell.run("%imagen -m imagen5 a fox")
    assert str(cell.error).startswith(
        "Unknown model 'imagen5': did you mean imagen-4.0-generate-001 (shut down 2026-08-17; use gemini-nano-banana-2.1)?"
    )
    assert emulator_requests_or_none() == []


def test_migrate_sends_to_the_replacement_and_says_so_on_the_result(shell: Shell) -> None:
    vi.configure(retired_models="migrate")
    cell = shell.run("imgs = %imagen -m imagen4 --negative blurry a fox")
    assert cell.error is None, cell.shown
    (request,) = emulator_requests("generateContent")
    assert request.path.endswith("gemini-nano-banana-2.1:generateContent")
    assert request.body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "HIGH"}
    notice = shell.ns["imgs"].notices[0]
    assert notice.startswith("note: imagen-4.0-generate-001 was shut down on 2026-08-17 on Vertex AI; sent to ")
    assert "Not carried over: negative_prompt" in notice and notice in repr(shell.ns["imgs"])


def test_a_deprecated_model_works_with_a_one_time_notice(shell: Shell) -> None:
    first = shell.run("imgs = %imagen -m nano-banana-2 a fox")
    second = shell.run("again = %imagen -m nano-banana-2 a fox")
    assert first.error is None and second.error is None
    assert shell.ns["imgs"].notices == (
        "note: gemini-3.1-flash-image is deprecated; Google names gemini-nano-banana-2.1 as its successor.",
    )
    assert shell.ns["again"].notices == ()


def test_cell_form_with_out_and_interpolation(shell: Shell) -> None:
    shell.ns.update(animal="fox", style=type("S", (), {"name": "ukiyo-e"})())
    cell = shell.run("%%imagen -o pics -n 1\na {animal} in {style.name} style,\n{{braces}} too")
    assert cell.error is None, cell.shown
    assert isinstance(shell.ns["pics"], vi.ImageSet)
    sent = _prompt(emulator_requests()[-1])
    assert sent == "a fox in ukiyo-e style,\n{braces} too"
    assert shell.ns["pics"][0].prompt == sent  # the prompt actually sent is in the metadata
    raw = shell.run("%%imagen --no-interpolate\na {animal}")
    assert raw.error is None
    assert _prompt(emulator_requests()[-1]) == "a {animal}"


def test_line_prompt_keeps_quotes_and_code_braces(shell: Shell) -> None:
    shell.ns["y"] = [1]
    assert shell.run("%imagen a sign saying \"it's {x: 1 for x in y}\" and {0} and $y").error is None
    assert _prompt(emulator_requests()[-1]) == "a sign saying \"it's {x: 1 for x in y}\" and {0} and $y"
    assert shell.run("%imagen -n 1 -- -5 degrees outside").error is None
    assert _prompt(emulator_requests()[-1]) == "-5 degrees outside"
    assert shell.run('%imagen "a quoted prompt"').error is None
    assert _prompt(emulator_requests()[-1]) == "a quoted prompt"


def test_gemini_model_goes_through_generate_content(shell: Shell) -> None:
    cell = shell.run("img = %imagen -m nano-banana -a 3:2 --seed 3 a teapot")
    assert cell.error is None, cell.shown
    request = emulator_requests("generateContent")[-1]
    assert request.path.endswith("gemini-nano-banana-2.1:generateContent")
    assert request.body["contents"][0]["parts"][0]["text"] == "a teapot"
    assert request.body["generationConfig"]["imageConfig"]["aspectRatio"] == "3:2"
    assert shell.ns["img"][0].model == "gemini-nano-banana-2.1"


def test_help_lists_every_option() -> None:
    doc = VertexImageMagics.imagen.__doc__ or ""
    for option in ("--model", "--count", "--aspect-ratio", "--size", "--negative", "--seed", "--enhance",
                   "--no-enhance", "--person", "--safety", "--format", "--quality", "--out", "--debug"):  # fmt: skip
        assert option in doc
    gemini_doc = VertexImageMagics.gemini_image.__doc__ or ""
    for option in ("--session", "--new", "--image", "--text", "--search", "--temperature", "--no-interpolate",
                   "history", "undo", "branch", "show N"):  # fmt: skip
        assert option in gemini_doc


def test_dash_h_prints_help_and_sends_nothing(shell: Shell) -> None:
    cell = shell.run("%imagen -h")
    assert cell.error is None and cell.result is None
    assert "--aspect-ratio" in cell.out
    assert "--session" in shell.run("%%gemini_image --help\nignored").out
    assert emulator_requests_or_none() == []


def test_missing_credentials_fail_with_one_line_and_the_doctor_explains(shell: Shell) -> None:
    shell.run("%vertex_image use vertex")
    cell = shell.run("%imagen a red fox")
    assert isinstance(cell.error, vi.ConfigError), cell.shown
    assert "gcloud auth application-default login" in str(cell.error)  # all of it for Python callers
    assert cell.shown.strip() == (
        "ConfigError: No Google Cloud credentials found for Vertex AI. (%vertex_image doctor explains how to fix it)"
    )
    doctor = shell.run("%vertex_image doctor").result.text
    assert "gcloud auth application-default login" in doctor and "GOOGLE_API_KEY (or GEMINI_API_KEY)" in doctor
    assert shell.run("%imagen --debug a red fox").shown.count("\n") > 3  # --debug: the traceback


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("%imagen --bogus a fox", "no option --bogus"),
        ("%imagen -n many a fox", "invalid int value"),
        ("%imagen -a 7:3 a fox", "7:3"),
        ("%imagen -s 512 a fox", "for 512 use gemini-3.1-flash-image"),
        ("%imagen --thinking max a fox", "--thinking"),
        ("%imagen -m nano-banana-pro --thinking high a fox", "always thinks"),
        ("%imagen --safety lax a fox", "--safety"),
        ("%imagen -m nano-banana --enhance a fox", "enhance_prompt"),
        ("%imagen -o 1bad a fox", "variable name"),
        ("%imagen", "No prompt"),
        ("%imagen -n 9 a fox", "9"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors_and_send_nothing(shell: Shell, line: str, words: str) -> None:
    cell = shell.run(line)
    assert cell.error is not None
    assert type(cell.error).__name__ == "UsageError"
    assert words in cell.shown
    assert "Traceback" not in cell.shown
    assert len(cell.err.strip().splitlines()) == 1
    assert emulator_requests_or_none() == []


def emulator_requests_or_none() -> list[object]:
    emulator = registry.state()._emulator
    return [] if emulator is None else list(emulator.requests)


def test_service_error_fails_the_cell_with_one_line(shell: Shell) -> None:
    cell = shell.run("imgs = %imagen a blockme fox")
    assert isinstance(cell.error, vi.ImageBlocked)
    assert "imgs" not in shell.ns
    lines = [line for line in cell.shown.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ImageBlocked: "), cell.shown
    assert "Traceback" not in cell.shown
    rejected = shell.run("%imagen a promptblock fox")
    assert isinstance(rejected.error, vi.ImageBlocked) and "PROMPT_BLOCKED" in str(rejected.error)
    assert "Traceback" not in rejected.shown and str(rejected.error) in rejected.shown


def test_debug_shows_the_traceback(shell: Shell) -> None:
    cell = shell.run("%imagen --debug a blockme fox")
    assert isinstance(cell.error, vi.ImageBlocked)
    assert "Traceback" in cell.shown or "raise_for_block" in cell.shown


def test_some_images_filtered_returns_the_others(shell: Shell) -> None:
    cell = shell.run("imgs = %imagen -n 4 a blockme fox")  # a filter on every image of four requests
    assert cell.error is not None
    cell = shell.run("imgs = %imagen -n 4 a fox")
    assert cell.error is None, cell.shown
    assert len(shell.ns["imgs"]) == 4


def test_progress_updates_one_handle_and_ends_with_what_ran(shell: Shell) -> None:
    shell.ip.run_line_magic("config", "VertexImageMagics.show_progress = 'always'")
    cell = shell.run("%imagen a red fox")
    assert cell.error is None
    progress = [d for d in cell.displays if (d["transient"] or {}).get("display_id", "").startswith("vertex-image-progress")]
    assert progress, cell.displays
    ids = {d["transient"]["display_id"] for d in progress}
    assert len(ids) == 1
    assert progress[0]["update"] is False and progress[0]["data"] == {"text/plain": ""}
    assert any("gemini-nano-banana-2.1" in d["data"].get("text/plain", "") for d in progress[1:])
    # no cell code known here (not a kernel): the handle keeps one line of what ran, never an empty output
    assert progress[-1]["update"] is True
    assert progress[-1]["data"]["text/plain"].startswith("gemini-nano-banana-2.1 · request ended after ")
    assert all(d["update"] for d in progress[1:])


def test_progress_is_quiet_without_a_frontend(shell: Shell) -> None:
    cell = shell.run("%imagen a red fox")
    assert cell.error is None
    assert not [d for d in cell.displays if d.get("transient")]


def test_retry_wait_is_shown_in_progress(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with emulator_shell(capsys, tmp_path, fault="503;retry-after=1") as (sh, em):
        vi.configure(max_attempts=2)
        sh.ip.run_line_magic("config", "VertexImageMagics.show_progress = 'always'")
        cell = sh.run("%imagen a red fox")
        assert isinstance(cell.error, vi.ServiceError)
        assert "Traceback" not in cell.shown
        texts = [d["data"].get("text/plain", "") for d in cell.displays]
        assert any("retry 1" in text and "503" in text for text in texts), texts
        assert " · request ended after " in cell.displays[-1]["data"]["text/plain"]  # not an empty output
        assert len(em.requests) == 2


def _sigint_main_thread() -> None:
    import signal
    import threading

    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


@pytest.mark.parametrize("interrupt", ["interrupt_main", "sigint"])
def test_interrupt_cancels_the_request(capsys: pytest.CaptureFixture[str], tmp_path: Path, interrupt: str) -> None:
    import _thread
    import threading

    # interrupt_main is what ipykernel does on Windows; "Interrupt kernel" sends SIGINT elsewhere
    send = _thread.interrupt_main if interrupt == "interrupt_main" else _sigint_main_thread
    with emulator_shell(capsys, tmp_path, latency_s=3.0) as (sh, _):
        timer = threading.Timer(0.4, send)
        timer.start()
        cell = sh.run("imgs = %imagen a slow fox")  # answered after 3 s: Cancelled shows the interrupt came first
        timer.join()
        assert isinstance(cell.error, vi.Cancelled), cell.shown
        assert "cancelled" in cell.shown.lower()
        assert "Traceback" not in cell.shown
        assert "imgs" not in sh.ns
        assert list(Path(tmp_path).glob("**/*.png")) == []


# %vertex_image --------------------------------------------------------------------------------
def test_status_and_doctor_show_the_setup_and_never_a_key(shell: Shell) -> None:
    canary = "AIzaCANARY-key-0123456789"
    vi.configure(api_key=canary)
    for command in ("status", "doctor", "config"):
        cell = shell.run(f"%vertex_image {command}")
        assert cell.error is None, cell.shown
        bundle, _ = cell.result._repr_mimebundle_()
        everything = cell.shown + bundle["text/plain"] + bundle["text/html"]
        assert canary not in everything
        assert "emulator" in bundle["text/plain"]
    status = shell.run("%vertex_image status").result.text
    for fact in ("backend", "project", "imagen: ", "gemini: ", "%imagen: ", "sessions: ", "credentials", "quota project",
                 "store folder", "gemini-nano-banana-2.1"):  # fmt: skip
        assert fact in status
    doctor = shell.run("%vertex_image doctor").result.text
    assert "answers (HTTP" in doctor


def test_doctor_without_credentials_says_what_to_do(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIzaCANARY-env-key-987654")
    shell.run("%vertex_image use gemini-api")
    cell = shell.run("%vertex_image doctor")
    assert cell.error is None
    text = cell.result.text
    assert "API key" in text and "AIzaCANARY" not in text + cell.result.html


def test_use_switches_backend(shell: Shell) -> None:
    cell = shell.run("%vertex_image use vertex")
    assert cell.error is None
    assert vi.settings().backend == "vertex"
    assert cell.out.strip() == ("Backend: vertex — requests go to Vertex AI at https://us-central1-aiplatform"
                                ".googleapis.com (Imagen), https://aiplatform.googleapis.com (Gemini).")  # fmt: skip
    assert shell.run("%vertex_image use gemini-api").out.strip() == (
        "Backend: gemini-api — requests go to the Gemini API at https://generativelanguage.googleapis.com.")
    assert shell.run("%vertex_image use emulator").error is None
    assert vi.settings().backend == "emulator"
    bad = shell.run("%vertex_image use mars")
    assert type(bad.error).__name__ == "UsageError"
    assert vi.settings().backend == "emulator"


def test_use_vertex_after_an_emulator_url_sends_nothing_to_the_emulator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with emulator_shell(capsys, tmp_path) as (sh, em):
        assert sh.run("%imagen a red fox").error is None
        sent = len(em.requests)

        cell = sh.run("%vertex_image use vertex")
        vi.configure(project="my-real-project")

        assert "requests go to Vertex AI at https://us-central1-aiplatform.googleapis.com" in cell.out
        status = sh.run("%vertex_image status").result.text
        assert "https://us-central1-aiplatform.googleapis.com (Imagen)" in status and em.base_url not in status
        failed = sh.run("%imagen a blue fox")  # no ADC here: it stops before sending anything
        assert isinstance(failed.error, vi.ConfigError)
        assert len(em.requests) == sent
        assert [image.backend for image in vi.gallery()] == ["emulator"]  # the emulator's drawing, honestly


def test_use_emulator_after_a_proxy_url_uses_the_in_process_emulator(shell: Shell) -> None:
    with Emulator() as proxy:  # stands in for a proxy in front of Vertex AI: it must receive nothing
        vi.configure(backend="vertex", project="p", base_url=proxy.base_url)
        cell = shell.run("%vertex_image use emulator")

        assert cell.out.strip() == ("Backend: emulator — requests go to the offline emulator (deterministic images, "
                                    "no cost), started in this kernel on the first request.")  # fmt: skip
        imgs = shell.run("%imagen a red fox").result
        assert proxy.requests == []
    assert imgs[0].backend == "emulator" and sidecar(imgs[0])["backend"] == "emulator"
    url = registry.state().emulator_url
    assert url and f"{url} (in-process emulator)" in shell.run("%vertex_image use emulator").out
    assert f"endpoint        {url} (in-process emulator)" in shell.run("%vertex_image status").result.text


def test_status_on_the_emulator_starts_nothing_and_imports_nothing_heavy(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys, threading
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "vertex_image")
        ip.run_line_magic("vertex_image", "use emulator")
        ip.run_line_magic("config", "VertexImageMagics.output_dir = {str(tmp_path)!r}")
        view = ip.run_line_magic("vertex_image", "status")
        print(view.text)
        print("THREADS", *[t.name for t in threading.enumerate()])
        print("MODULES", *sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    loaded = set(out.split("MODULES", 1)[1].split())
    assert [m for m in HEAVY if m in loaded] == []
    assert "vertex_image.emulator" not in loaded and "vertex_image.client.http" not in loaded
    assert "vertex-image-emulator" not in out.split("THREADS", 1)[1].split("MODULES")[0]
    assert "endpoint        in-process emulator, started on the first request" in out
    assert "credentials     emulator (fake token): found" in out


def test_storage_failure_is_one_line_and_names_the_folder(shell: Shell, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    vi.configure(output_dir=str(blocked / "sub"))
    blocked.write_text("a file where the folder should be")

    cell = shell.run("imgs = %imagen a fox")

    assert isinstance(cell.error, vi.VertexImageError) and type(cell.error).__name__ == "StorageError"
    assert cell.shown.strip() == (
        f"StorageError: Cannot save images in {blocked / 'sub'}: {blocked} is a file, not a folder; nothing was "
        "sent. Choose another "
        "folder: vi.configure(output_dir=...) or %config VertexImageMagics.output_dir = '...'."
    )
    assert "imgs" not in shell.ns
    assert "Traceback" in shell.run("%imagen --debug a fox").shown


def test_configure_refuses_an_output_dir_that_is_a_file(shell: Shell, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    before = vi.settings().output_dir
    with pytest.raises(vi.InvalidRequest, match="is a file, not a folder"):
        vi.configure(output_dir=str(tmp_path / "afile" / "sub"))
    shell.run(f"%config VertexImageMagics.output_dir = {str(tmp_path / 'afile')!r}")
    assert vi.settings().output_dir == before
    assert shell.ip.magics_manager.registry["VertexImageMagics"].output_dir != str(tmp_path / "afile")


def test_session_file_errors_are_one_line(shell: Shell, tmp_path: Path) -> None:
    assert shell.run("%%gemini_image\na cat").error is None
    (tmp_path / "afile").write_text("")

    save = shell.run(f"%gemini_image save {tmp_path / 'afile' / 'x.json'}")

    assert type(save.error).__name__ == "StorageError"
    assert save.shown.strip() == (
        f"StorageError: Cannot write the session file {tmp_path / 'afile' / 'x.json'}: {tmp_path / 'afile'} is a "
        "file, not a folder. Choose another path: %gemini_image save PATH."
    )
    assert (tmp_path / "afile").read_text() == ""


def test_a_turn_whose_session_cannot_be_saved_is_shown_with_one_line_saying_so(shell: Shell, tmp_path: Path) -> None:
    import shutil

    assert shell.run("%%gemini_image\na cat").error is None
    shutil.rmtree(tmp_path / "sessions")
    (tmp_path / "sessions").write_text("in the way")

    cell = shell.run("%%gemini_image\nnow a dog")

    assert cell.error is None and cell.result.images, cell.shown  # paid for: shown, kept in memory
    (notice,) = cell.result.notices
    assert notice.startswith("Cannot save session ") and "the turn is kept in memory only" in notice
    assert f"{tmp_path / 'sessions'} is a file, not a folder" in notice and "%gemini_image save PATH" in notice


def test_an_undefined_or_non_text_reference_is_refused_with_the_names_and_sends_nothing(shell: Shell) -> None:
    assert shell.run("sk = %imagen -n 2 a sketch").error is None
    sent = len(emulator_requests())
    cell = shell.run("%imagen a {colour} fox in {sk}, {sk.prompt}")
    assert type(cell.error).__name__ == "UsageError"
    assert cell.shown.strip() == (
        "UsageError: Cannot fill the prompt: no variable for {colour}; {sk} is an ImageSet, not text. Define the "
        "variable, write {{ and }} for literal braces, or add --no-interpolate to send the braces as written "
        "(images go in with -i NAME in %%gemini_image)."
    )
    assert len(emulator_requests()) == sent
    assert shell.run("%imagen --no-interpolate a {colour} fox").error is None
    assert _prompt(emulator_requests()[-1]) == "a {colour} fox"


def test_default_gemini_model_refuses_an_imagen_model(shell: Shell) -> None:
    with pytest.raises(vi.InvalidRequest, match="imagen-4.0-generate-001 is an Imagen model; default_gemini_model"):
        vi.configure(default_gemini_model="imagen4")
    shell.run("%config VertexImageMagics.default_gemini_model = 'imagen4'")
    assert vi.settings().default_gemini_model == "gemini-nano-banana-2.1"
    shell.run("%config VertexImageMagics.default_model = 'nano-banana'")  # %imagen takes any image model
    assert vi.settings().default_imagen_model == "nano-banana"


def test_models_table_lists_capabilities(shell: Shell) -> None:
    view = shell.run("%vertex_image models").result
    rows = {line.split()[0]: line for line in view.text.splitlines()[2:] if line.strip()}
    assert list(rows)[0] == "gemini-nano-banana-2.1"  # live models first, Google's recommended one at the top
    assert "16:9 1376x768" in rows["gemini-nano-banana-2.1"] and "4K $0.113" in rows["gemini-nano-banana-2.1"]
    assert "shut down 2026-08-17" in rows["imagen-4.0-generate-001"]
    assert "→ gemini-nano-banana-2.1" in rows["imagen-4.0-generate-001"]
    assert "deprecated since 2026-10-06" in rows["gemini-3.1-flash-image"]
    assert "<table>" in view.html and "21:9" in view.html


def test_models_live_asks_the_service_and_marks_what_it_lists(shell: Shell) -> None:
    view = shell.run("%vertex_image models --live").result
    rows = {line.split()[0]: line for line in view.text.splitlines()[2:] if line.strip()}
    assert "live · listed" in rows["gemini-nano-banana-2.1"]
    assert "not listed here" in rows["imagen-4.0-generate-001"]
    assert [r.path for r in emulator_requests()][0].startswith("/v1beta1/publishers/google/models")


def test_preview_size_setting_reaches_the_display(shell: Shell) -> None:
    from vertex_image.results import images

    shell.ip.run_line_magic("config", "VertexImageMagics.preview_size = 256")
    assert images.get_preview_size() == 256
    vi.configure(preview_size=300)
    assert images.get_preview_size() == 300
    shell.run("imgs = %imagen a red fox")
    _, metadata = shell.ns["imgs"]._repr_mimebundle_()
    assert max(metadata["vertex_image"]["preview_width"], metadata["vertex_image"]["preview_height"]) <= 300
    vi.configure(preview_size=None)
    assert images.get_preview_size() == images.DEFAULT_PREVIEW_SIZE


def test_config_shows_sources(shell: Shell) -> None:
    text = shell.run("%vertex_image config").result.text
    assert any(line.startswith("backend") and "configure" in line for line in text.splitlines())
    assert any(line.startswith("preview_size") and "default" in line for line in text.splitlines())


def test_gallery_shows_recent_images(shell: Shell) -> None:
    shell.run("%imagen -n 2 a red fox")
    shell.run("%imagen a blue fox")
    gallery = shell.run("%vertex_image gallery 2").result
    assert isinstance(gallery, vi.ImageSet) and len(gallery) == 2
    assert gallery[0].prompt == "a blue fox"
    assert type(shell.run("%vertex_image gallery 0").error).__name__ == "UsageError"


def test_panel_and_unknown_subcommand(shell: Shell) -> None:
    import importlib.util

    if importlib.util.find_spec("vertex_image.notebook.panel.widget") is None:
        assert "not available" in shell.run("%vertex_image panel").out
    else:
        cell = shell.run("%vertex_image panel -S sketch -m nano-banana")
        assert cell.error is None, cell.shown
        assert type(cell.result).__name__ == "ImagePanel"
    unknown = shell.run("%vertex_image frobnicate")
    assert type(unknown.error).__name__ == "UsageError" and "status" in unknown.shown


# helpers --------------------------------------------------------------------------------------
def test_plain_shell_instance_works_too(tmp_path: Path) -> None:
    registry.reset()
    ip = InteractiveShell.instance()
    try:
        ip.run_line_magic("load_ext", "vertex_image")
        ip.run_line_magic("vertex_image", "use emulator")
        vi.configure(output_dir=str(tmp_path))
        assert len(ip.run_line_magic("imagen", "-n 2 a fox")) == 2
    finally:
        ip.run_line_magic("unload_ext", "vertex_image")
        registry.reset()
