"""Issue 18 end to end in real kernels (nbclient + ipykernel): a notebook recorded against the emulator, run
again with replay auto (0 requests, same bytes, $0.00), exported, and re-run elsewhere with replay only, with
no credentials, no emulator and no network."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from apihelpers import recorded_emulator, recorder
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from vertex_image.results.store import strip_metadata

EXT = str(Path(__file__).resolve().parents[2] / "ext")

CELLS = [
    (
        "import os\nimport vertex_image as vi\n%load_ext vertex_image\n"
        "if os.environ.get('TEST_EMULATOR_URL'):\n"
        "    vi.configure(backend='emulator', base_url=os.environ['TEST_EMULATOR_URL'], emulator_mode='gemini-api')"
    ),
    "%vertex_image replay on",
    "%imagen --seed 7 a red fox in the snow",
    "vi.generate_images('a lighthouse at dusk', seed=11, n=2)",
    (
        "walk = vi.chat(name='walk', new=True)\n"
        "for prompt in ['a watercolor cat', 'make the sky purple', 'add a small moon']:\n"
        "    walk.send(prompt, seed=5)\n"
        "walk.send('add falling snow', seed=5)"
    ),
]


def _notebook(path: Path, cells: list[str]) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def _run(path: Path, env: dict[str, str]) -> Any:
    """Execute the notebook in a fresh kernel whose working folder is the notebook's; write its outputs back."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        nbformat.write(notebook, path)
    return notebook


def _kernel_env(**extra: str) -> dict[str, str]:
    """The kernel's environment: no Google credentials or settings of the developer, only what is given."""
    keep = {name: value for name, value in os.environ.items()
            if not name.startswith(("GOOGLE_", "GEMINI_", "VERTEX_IMAGE_", "LITELLM_", "OPENAI_"))}  # fmt: skip
    keep.update(PYTHONPATH=EXT, CLOUDSDK_CONFIG="/nonexistent/vertex-image-tests-gcloud", NO_GCE_CHECK="True")
    keep.update(extra)
    return keep


def _pictures(notebook: Any, store: Path) -> list[bytes]:
    """The bytes as received of every image the outputs show, in order (from the ids in the output metadata;
    a replayed result shows as a grid with its notice, a fresh single image inline, so the previews differ)."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("vertex_image", {})
            refs = [meta["id"]] if "id" in meta else [Path(ref).name for ref in meta.get("images", [])]
            for ref in refs:
                path = store / ref if (store / ref).is_file() else next(store.glob(f"*{ref[:8]}*.jpg"))
                data = strip_metadata(path.read_bytes())
                digest = hashlib.sha256(data).hexdigest()  # the id is the hash of those bytes
                assert digest.startswith(ref) or digest[:8] in Path(ref).stem
                found.append(data)
    return found


def _text(notebook: Any) -> str:
    return "\n".join(str(output.get("data", {}).get("text/plain", "")) + str(output.get("text", ""))
                     for cell in notebook.cells for output in cell.get("outputs", []))  # fmt: skip


@pytest.fixture(scope="module")
def kernel_available() -> None:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        KernelSpecManager().get_kernel_spec("python3")
    except Exception as exc:  # noqa: BLE001 - printed: the reason of the skip
        print(f"no python3 kernel: {exc}", file=sys.stderr)
        pytest.skip(f"no python3 kernel to run notebooks: {exc}")


def test_record_replay_export_and_run_offline_in_fresh_kernels(kernel_available: None, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = _notebook(work / "fox.ipynb", CELLS)
    with recorded_emulator() as emulator:
        log = recorder(emulator)
        env = _kernel_env(TEST_EMULATOR_URL=emulator.base_url)
        first = _run(path, env)
        recorded = len(emulator.requests)
        assert len(log.sent("generateContent")) == recorded == 1 + 2 + 4
        second = _run(path, env)
        assert len(emulator.requests) == recorded  # the second run sent nothing
    pictures = _pictures(first, work / "vertex_images")
    assert len(pictures) == 4 and _pictures(second, work / "vertex_images") == pictures  # fox, two lighthouses, the last turn
    replayed = _text(second)
    assert replayed.count("replayed: saved") == 3 and "$0.0000" in replayed and "$0.03" not in replayed
    assert "replayed" not in _text(first)

    # export from the recording kernel's folder, copy to a fresh place, run with no emulator and no credentials
    bundle = _notebook(work / "export.ipynb", [
        f"import vertex_image as vi\nprint(vi.export({str(path)!r}, {str(tmp_path / 'bundle')!r}))",
    ])  # fmt: skip
    _run(bundle, _kernel_env())
    fresh = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "bundle", fresh)
    assert sorted(p.name for p in fresh.iterdir()) == ["fox.ipynb", "vertex_images"]
    offline = _run(fresh / "fox.ipynb", _kernel_env(VERTEX_IMAGE_REPLAY="only", VERTEX_IMAGE_BACKEND="gemini-api"))
    assert _pictures(offline, fresh / "vertex_images") == pictures
    shown = _text(offline)
    assert shown.count("replayed: saved") == 3 and "$0.03" not in shown
    assert "replay only:" in shown and "VERTEX_IMAGE_REPLAY=only" in shown  # `replay on` cannot lift the environment's

    # a cell never recorded fails, in one line naming it
    notebook = nbformat.read(fresh / "fox.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("%imagen --seed 99 a cell nobody recorded"))
    nbformat.write(notebook, fresh / "fox.ipynb")
    with pytest.raises(CellExecutionError) as caught:
        _run(fresh / "fox.ipynb", _kernel_env(VERTEX_IMAGE_REPLAY="only", VERTEX_IMAGE_BACKEND="gemini-api"))
    failed = nbformat.read(fresh / "fox.ipynb", as_version=4).cells[-1].outputs
    errors = [output for output in failed if output.get("output_type") == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "NotRecorded", caught.value
    shown = "\n".join(errors[0]["traceback"])
    assert '"a cell nobody recorded"' in shown and "seed 99" in shown and len(errors[0]["traceback"]) == 1
