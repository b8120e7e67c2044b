"""Issue 12 in real kernels: notebooks run by nbclient, one fresh kernel each, against the emulator.

Each test is one finding of the issue, typed as a user would; with the old behaviour each fails (the
old result is noted at each test), with the new one it passes. The kernels import the package from
this process's path and save into a folder of the test's own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

SETUP = "%load_ext vertex_image"


def run(folder: Path, *cells: str) -> list[dict[str, Any]]:
    """Run ``cells`` (after loading the extension) in a fresh kernel in ``folder``; each cell's outputs."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP)] +
                                        [nbformat.v4.new_code_cell(source) for source in cells])  # fmt: skip
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()  # fmt: skip
    return [{"outputs": cell.outputs, "text": _text(cell.outputs)} for cell in notebook.cells[1:]]


def _text(outputs: list[Any]) -> str:
    parts = []
    for output in outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        else:
            parts.append(output.get("data", {}).get("text/plain", ""))
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(parts))


def _errors(cell: dict[str, Any]) -> list[str]:
    return [output.ename for output in cell["outputs"] if output.output_type == "error"]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The notebooks' folder; images and sessions go to ``folder/images``; the emulator is the backend."""
    monkeypatch.setenv("VERTEX_IMAGE_BACKEND", "emulator")
    monkeypatch.setenv("VERTEX_IMAGE_OUTPUT_DIR", str(tmp_path / "images"))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)  # a batch run: no notebook open in a frontend
    return tmp_path


def test_1_a_new_notebook_never_resumes_another_notebooks_conversation_unasked(folder: Path) -> None:
    # old: the cat came back as turn 4 of the paper-boat conversation, and nothing said so
    run(folder, *[f"%%gemini_image\n{prompt};" for prompt in ("a paper boat", "make it red", "add a sail")])

    later = run(
        folder,
        "%%gemini_image -o cat\na cat on a sofa",
        "print(cat[0].parameters['session'], cat[0].parameters['turn'])",
        "%%gemini_image -S default\nadd a hat;",
    )

    assert _errors(later[0]) == []
    assert "this notebook's session is 'default-2': 'default' is an earlier one, left as it is" in later[0]["text"]
    assert later[1]["text"].split() == ["default-2", "1"]  # a new conversation, not turn 4 of another one
    assert _errors(later[2]) == []
    resumed = folder / "images" / "sessions" / "default.json"
    assert later[2]["text"].strip() == f"resuming 'default' from {resumed}: 3 turns"  # naming it resumes, saying so


def test_2_and_11_options_after_the_prompt_and_misspelt_options_are_refused_with_the_fix(folder: Path) -> None:
    # old: one image of "a red fox -n 4"; the seed ignored; argparse's "expected one argument"
    cells = run(folder, "%imagen a red fox -n 4", "%imagen a fox --seed 3", "%imagen --asp 16:9 a fox",
                "%imagen -aspect-ratio 16:9 a fox", 'x = %imagen "a fox -n 4"\nprint(len(x), x.prompt)')  # fmt: skip

    assert cells[0]["text"].strip() == (
        "UsageError: '-n 4' comes after the prompt, where it would be drawn as words: put options before the "
        "prompt, or quote the prompt (%imagen -n 4 a red fox)."
    )
    assert "(%imagen --seed 3 a fox)" in cells[1]["text"]
    assert cells[2]["text"].strip() == "UsageError: no option --asp; did you mean --aspect-ratio?"
    assert cells[3]["text"].strip() == "UsageError: -aspect-ratio has one dash: write --aspect-ratio"
    assert cells[4]["text"].strip() == "1 a fox -n 4"  # quoted: the words are the prompt


def test_3_s_is_the_size_in_every_magic_and_the_old_session_spelling_is_refused(folder: Path) -> None:
    # old: `%%gemini_image -s 2K` made a session named "2K" at the default size
    cells = run(folder, "%%gemini_image -s 2K -o x\na kite", "print(x[0].width, x[0].parameters['session'])",
                "%%gemini_image -s fox\na kite", "%gemini_image history -s fox")  # fmt: skip

    assert _errors(cells[0]) == [] and cells[1]["text"].split() == ["2048", "default"]
    assert cells[2]["text"].strip() == (
        "UsageError: -s is the size now; use -S/--session NAME ('fox' is not an image size such as 1K, 2K or 4K)."
    )
    assert cells[3]["text"].strip() == "UsageError: -s is the size now; use -S/--session NAME."


def test_4_nothing_paid_for_is_lost_when_the_folder_cannot_be_written(folder: Path) -> None:
    # old: the request went out, came back with 200, then StorageError and the images were gone; status said nothing
    if os.geteuid() == 0:  # root writes through chmod: a folder under /sys cannot be made even by root
        blocked = Path("/sys/vertex-image-test/images")
    else:
        (folder / "ro").mkdir()
        (folder / "ro").chmod(0o555)
        blocked = folder / "ro" / "images"
    cells = run(
        folder,
        f"%config VertexImageMagics.output_dir = {str(blocked)!r}",
        "%vertex_image status",
        "%imagen a fox",
        "from vertex_image.core import registry\nem = registry.state()._emulator\n"
        "print(0 if em is None else len(em.requests))",
        # the folder is fine when the request leaves, and the disk fills up while the answer comes
        f"%config VertexImageMagics.output_dir = {str(folder / 'images')!r}",
        "import errno\nfrom vertex_image.results import store\n"
        "def disk_full(files, *a, **k): raise OSError(errno.ENOSPC, 'No space left on device', 'images')\n"
        "store.atomic_write_all = disk_full",
        "x = %imagen -n 2 a lighthouse\nx",
        f"print(sorted(p.name for p in x.save({str(folder / 'rescued')!r})))",
    )

    status = cells[1]["text"]
    assert re.search(r"can save\s+no: ", status) and "Problems: store folder" in status
    assert cells[2]["text"].startswith(f"StorageError: Cannot save images in {blocked}")
    assert "nothing was sent" in cells[2]["text"] and len(cells[2]["text"].strip().splitlines()) == 1
    assert cells[3]["text"].strip() == "0"  # refused before anything was sent
    shown = cells[6]
    assert _errors(shown) == [] and "kept in memory only" in shown["text"] and "x.save(" in shown["text"]
    assert sum("image/jpeg" in str(output.get("data", {})) or "image/png" in str(output.get("data", {}))
               for output in shown["outputs"]) >= 1  # fmt: skip  # displayed, from memory
    assert len(re.findall(r"a-lighthouse-[0-9a-f]{8}\.(?:jpg|png)", cells[7]["text"])) == 2


def test_5_interpolation_refuses_what_it_cannot_fill_instead_of_sending_it(folder: Path) -> None:
    # old: "{colour}" was sent as written; "{sk}" became "ImageSet(2 images, ..." in the prompt
    cells = run(folder, "sk = %imagen -n 2 a sketch", "%imagen a {colour} fox in the style of {sk}",
                "colour = 'red'\nx = %imagen a {colour} fox\nprint(x.prompt)")  # fmt: skip

    assert cells[1]["text"].strip().startswith(
        "UsageError: Cannot fill the prompt: no variable for {colour}; {sk} is an ImageSet, not text."
    )
    assert "--no-interpolate" in cells[1]["text"]
    assert cells[2]["text"].strip() == "a red fox"


def test_8_saving_does_what_the_name_says(folder: Path) -> None:
    # old: PNG bytes in fox.jpg; a raw FileNotFoundError for a missing folder; files named by hash only
    cells = run(
        folder,
        "x = %imagen -n 2 a red fox",
        "from PIL import Image\np = x[0].save('fox.jpg')\nprint(Image.open(p).format, p)",
        "print(x[0].save('out/deeper/fox.png'))",
        "x[0].save('fox.jpg')",
        "print(sorted(p.name for p in x.save('picked')))",
        "from pathlib import Path\nprint(Path(x[0].path).name)",
    )

    assert cells[1]["text"].strip() == "JPEG fox.jpg"
    assert cells[2]["text"].strip() == "out/deeper/fox.png" and (folder / "out" / "deeper" / "fox.png").is_file()
    assert cells[3]["text"].strip() == "TargetExists: fox.jpg exists; pass overwrite=True to replace it, or choose another name."
    assert len(re.findall(r"a-red-fox-[0-9a-f]{8}\.\w+", cells[4]["text"])) == 2
    assert re.fullmatch(r"a-red-fox-[0-9a-f]{8}\.\w+", cells[5]["text"].strip())  # the store's name too


def test_12_a_batch_run_leaves_no_empty_output_and_the_words_are_right(folder: Path) -> None:
    # old: every magic left an empty display_data (the emptied progress handle); "1 turns"
    cells = run(folder, "%imagen a fox", "%%gemini_image -S kite -m nano-banana\na kite",
                "%%gemini_image -S kite\nmake it red", "import vertex_image as vi\nvi.chat(name='solo')")  # fmt: skip

    for cell in cells:
        assert not [o for o in cell["outputs"] if o.output_type == "display_data" and not o.get("data", {}).get(
            "text/plain", "").strip() and set(o.get("data", {})) <= {"text/plain"}], cell["outputs"]  # fmt: skip
    assert cells[3]["text"].strip() == "ImageSession('solo', gemini-nano-banana-2.1, 0 turns)"
    one = run(folder, "import vertex_image as vi\ns = vi.chat(name='kite')\ns")
    assert re.fullmatch(r"ImageSession\('kite', gemini-nano-banana-2\.1, 2 turns, \$0\.\d{4}\)", one[0]["text"].splitlines()[-1])


def test_16_a_kernel_shut_down_as_jupyter_does_leaves_every_sidecar_on_disk(folder: Path) -> None:
    """Sidecars are written by a background pass ~0.5 s after a save; a kernel shut down (or restarted) by its
    frontend exits normally, and the pass runs at exit: the last call's sidecar is there, nothing left due."""
    import json
    import sqlite3

    cells = run(folder, "x = %imagen a red fox at the very end\nprint(x[0].path)")
    path = Path(cells[0]["text"].strip())
    assert path.is_file() and json.loads(Path(f"{path}.json").read_text())["prompt"] == "a red fox at the very end"
    with sqlite3.connect(path.parent / "index.sqlite") as index:
        assert index.execute("SELECT COUNT(*) FROM sidecars_due").fetchone()[0] == 0
