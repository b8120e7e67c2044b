"""The architecture holds: the package's real imports, read with ``ast``, follow the map of folders.

The map (ext/vertex_image/README.md): each folder may import the folders listed in ``MAY_IMPORT`` and
itself; ``emulator/`` imports nothing of the package and only the code that starts it imports it;
``vertex_image/__init__.py`` may re-export anything. The checks:

- no import cycle between modules (imports inside functions count: they run too; imports under
  ``if TYPE_CHECKING:`` do not, as they never run);
- no arrow the map forbids (``TYPE_CHECKING`` imports count: a type names its module);
- no private name (``_x``) imported from another module, and no private module imported from outside
  its folder;
- every import inside a function says why it is there (a ``# lazy: ...`` comment on its line or the line
  above), as only a heavy dependency kept out of ``import vertex_image`` / ``%load_ext`` justifies one.

The checker is tested on a small synthetic package first, so each check is known to be able to fail.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import vertex_image

PACKAGE_DIR = Path(vertex_image.__file__).resolve().parent

# folder -> the folders its modules may import besides their own ("" is the package's own folder)
MAY_IMPORT: dict[str, frozenset[str]] = {
    "base": frozenset(),
    "wire": frozenset({"base"}),
    "results": frozenset({"base"}),
    "client": frozenset({"base", "wire"}),
    "core": frozenset({"base", "wire", "results", "client"}),
    "notebook": frozenset({"base", "wire", "results", "client", "core"}),
    "": frozenset({"base", "wire", "results", "client", "core", "notebook"}),  # __init__: lazy re-exports
}
EMULATOR = "emulator"
EMULATOR_STARTERS = frozenset({"core.registry"})  # the only module that may import the emulator
LEAVES = frozenset({"_version"})  # importable from anywhere (a constant, imports nothing)
LAZY_MARK = "# lazy:"


@dataclass(frozen=True)
class Import:
    """One import of a module of the package: who imports what, where, and how."""

    source: str  # the importing module, relative to the package ("core.api"; "" for __init__)
    target: str  # the imported module, relative to the package
    name: str | None  # the name taken from ``target`` (``from target import name``), if not a module
    path: str  # the importing file, relative to the package folder
    line: int
    in_function: bool
    type_only: bool  # under ``if TYPE_CHECKING:``


@dataclass
class Findings:
    """What the checker found; empty lists mean the map holds."""

    cycles: list[str] = field(default_factory=list)
    arrows: list[str] = field(default_factory=list)
    privates: list[str] = field(default_factory=list)
    unexplained_lazy: list[str] = field(default_factory=list)
    function_imports: int = 0  # every import statement inside a function (the package's own or not)


# reading the imports ------------------------------------------------------------------------------
def module_files(package_dir: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name relative to the package ("" for ``__init__``)."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterable[tuple[ast.stmt, bool, bool]]:
    """Every import statement with (in a function, under TYPE_CHECKING)."""

    def walk(node: ast.AST, in_function: bool, type_only: bool) -> Iterable[tuple[ast.stmt, bool, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function, type_only
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for inner in child.body:
                    yield from walk(ast.Module(body=[inner], type_ignores=[]), in_function, True)
                for inner in child.orelse:
                    yield from walk(ast.Module(body=[inner], type_ignores=[]), in_function, type_only)
            else:
                inner_function = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                yield from walk(child, inner_function, type_only)

    yield from walk(tree, False, False)


def read_imports(package_dir: Path, package: str) -> tuple[list[Import], int, list[str]]:
    """The imports of the package's own modules, the number of function-level imports outside the
    emulator, and those that carry no ``# lazy:`` comment (as ``path:line: statement``)."""
    modules = module_files(package_dir)
    found: list[Import] = []
    function_imports = 0
    unexplained: list[str] = []
    for source, path in modules.items():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        relative = path.relative_to(package_dir).as_posix()
        is_package = path.name == "__init__.py"
        for node, in_function, type_only in _statements(ast.parse(text, filename=str(path))):
            if in_function and folder_of(source) != EMULATOR:  # the emulator is stdlib + Pillow, on its own
                function_imports += 1
                nearby = lines[node.lineno - 1] + (lines[node.lineno - 2] if node.lineno > 1 else "")
                if LAZY_MARK not in nearby:
                    unexplained.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
            for target, name in _targets(node, source, is_package, package, modules):
                found.append(Import(source, target, name, relative, node.lineno, in_function, type_only))
    return found, function_imports, unexplained


def _targets(
    node: ast.stmt, source: str, is_package: bool, package: str, modules: Mapping[str, Path]
) -> Iterable[tuple[str, str | None]]:
    """(module, name) pairs of the package that ``node`` imports; ``from . import x`` names module x."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == package or alias.name.startswith(package + "."):
                yield alias.name[len(package) + 1 :], None
        return
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        here = source.split(".") if source else []
        if not is_package:
            here = here[:-1]
        if node.level - 1 > len(here):
            return
        base = here[: len(here) - (node.level - 1)]
        target = ".".join([*base, *(node.module.split(".") if node.module else [])])
    elif node.module and (node.module == package or node.module.startswith(package + ".")):
        target = node.module[len(package) + 1 :]
    else:
        return
    for alias in node.names:
        submodule = f"{target}.{alias.name}" if target else alias.name
        if submodule in modules:
            yield submodule, None
        else:
            yield target, alias.name


# the checks -------------------------------------------------------------------------------------
def folder_of(module: str) -> str:
    """``core`` for ``core.api``, ``notebook`` for ``notebook.panel.widget``, "" for the package's own modules."""
    top = module.split(".")[0]
    return top if top in MAY_IMPORT or top == EMULATOR else ""


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def forbidden(edge: Import) -> str | None:
    """Why the map forbids this import, or None when it may be."""
    source, target = edge.source, edge.target
    source_folder, target_folder = folder_of(source), folder_of(target)
    if target in LEAVES or source_folder == target_folder and source_folder != EMULATOR:
        return None
    if source_folder == EMULATOR:
        return None if target_folder == EMULATOR else "emulator/ imports nothing of the package"
    if target_folder == EMULATOR:
        return (
            None if source in EMULATOR_STARTERS else f"only {', '.join(sorted(EMULATOR_STARTERS))} starts the emulator"
        )
    allowed = MAY_IMPORT.get(source_folder, frozenset())
    if target_folder not in allowed:
        may = ", ".join(f"{folder}/" for folder in sorted(allowed)) or "nothing outside itself"
        return f"{source_folder or 'the package'}/ may import {may}"
    return None


def private_use(edge: Import) -> str | None:
    """Why this import reaches into another module's privacy, or None."""
    if edge.name is not None and edge.target != edge.source and _private(edge.name):
        return f"private name {edge.name} of {edge.target or '__init__'}"
    last = edge.target.rsplit(".", 1)[-1]
    if _private(last) and edge.target not in LEAVES:
        home = edge.target.rsplit(".", 1)[0] if "." in edge.target else ""
        if not (edge.source == home or edge.source.startswith(home + ".") or home == ""):
            return f"private module {edge.target} used outside {home}/"
    return None


def cycles(edges: Iterable[Import]) -> list[str]:
    """Each strongly connected group of modules as one concrete cycle with the lines that close it."""
    graph: dict[str, dict[str, Import]] = {}
    for edge in edges:
        if not edge.type_only and edge.target != edge.source and edge.target:
            graph.setdefault(edge.source, {}).setdefault(edge.target, edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan; the package is small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, {}):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    reports = []
    for group in groups:
        members = set(group)
        path = _cycle_through(group[0], graph, members)
        steps = [f"{a} -> {b} ({graph[a][b].path}:{graph[a][b].line})" for a, b in zip(path, path[1:])]
        reports.append(f"cycle among {{{', '.join(group)}}}: " + "; ".join(steps))
    return reports


def _cycle_through(start: str, graph: Mapping[str, Mapping[str, Import]], members: set[str]) -> list[str]:
    """The shortest path start -> ... -> start inside the group (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph.get(node, {})):
                if successor not in members:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    return [start]


def check(package_dir: Path, package: str) -> Findings:
    """Run every check on the package in ``package_dir`` (named ``package``)."""
    edges, function_imports, unexplained = read_imports(package_dir, package)
    findings = Findings(cycles=cycles(edges), function_imports=function_imports, unexplained_lazy=unexplained)
    for edge in edges:
        why = forbidden(edge)
        if why is not None:
            findings.arrows.append(f"{edge.path}:{edge.line}: {edge.source or '__init__'} -> {edge.target}: {why}")
        why = private_use(edge)
        if why is not None:
            findings.privates.append(f"{edge.path}:{edge.line}: {edge.source or '__init__'} imports {why}")
    return findings


# the real package ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def findings() -> Findings:
    return check(PACKAGE_DIR, "vertex_image")


def test_no_import_cycle(findings: Findings) -> None:
    assert not findings.cycles, "import cycles:\n" + "\n".join(findings.cycles)


def test_no_forbidden_arrow(findings: Findings) -> None:
    assert not findings.arrows, "imports the map forbids:\n" + "\n".join(findings.arrows)


def test_no_private_name_across_modules(findings: Findings) -> None:
    assert not findings.privates, "private names imported from another module:\n" + "\n".join(findings.privates)


def test_every_function_level_import_says_why(findings: Findings) -> None:
    assert not findings.unexplained_lazy, (
        f"imports inside functions without a '{LAZY_MARK} <why>' comment (move them to the top):\n"
        + "\n".join(findings.unexplained_lazy)
    )


def test_every_module_has_a_test_file_of_its_own_in_the_mirrored_folder() -> None:
    tests = Path(__file__).resolve().parent
    missing = []
    for module, path in module_files(PACKAGE_DIR).items():
        if path.name == "__init__.py" or folder_of(module) == EMULATOR:
            continue
        *folders, name = module.split(".")
        expected = tests.joinpath(*folders, f"test_{name.lstrip('_')}.py")
        if not expected.is_file():
            missing.append(f"{path.relative_to(PACKAGE_DIR)} -> {expected.relative_to(tests.parent)}")
    assert not missing, "modules without a test file of their own:\n" + "\n".join(missing)


def test_every_folder_is_on_the_map() -> None:
    folders = {folder_of(module) for module in module_files(PACKAGE_DIR)}
    assert folders <= {*MAY_IMPORT, EMULATOR}


# the checker on a synthetic package --------------------------------------------------------------
def _write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    """A package obeying the map: core -> results -> base, a lazy import with its reason."""
    return _write(
        tmp_path / "toy",
        {
            "__init__.py": "",
            "_version.py": "__version__ = '0'\n",
            "base/__init__.py": "",
            "base/errors.py": "class Oops(Exception):\n    pass\n\n\ndef _helper():\n    pass\n",
            "results/__init__.py": "",
            "results/images.py": "from ..base.errors import Oops\nfrom .._version import __version__\n",
            "core/__init__.py": "",
            "core/registry.py": """\
                from ..results import images

                def start():
                    from ..emulator import app  # lazy: the emulator starts on demand
                """,
            "emulator/__init__.py": "",
            "emulator/app.py": "import json\n",
            "wire/__init__.py": "",
            "wire/_shared.py": "def helper():\n    pass\n",
            "wire/gemini.py": "from ._shared import helper\n",
        },
    )


def test_checker_passes_a_package_that_follows_the_map(toy: Path) -> None:
    found = check(toy, "toy")
    assert (found.cycles, found.arrows, found.privates, found.unexplained_lazy) == ([], [], [], [])
    assert found.function_imports == 1


def test_checker_reports_a_forbidden_arrow_with_file_and_line(toy: Path) -> None:
    _write(toy, {"base/config.py": "import os\n\nfrom ..results.images import Oops\n"})
    found = check(toy, "toy")
    assert found.arrows == ["base/config.py:3: base.config -> results.images: base/ may import nothing outside itself"]


def test_checker_reports_an_arrow_forbidden_only_by_type_checking(toy: Path) -> None:
    _write(
        toy,
        {"wire/imagen.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..core import registry\n"},
    )
    found = check(toy, "toy")
    assert found.arrows == ["wire/imagen.py:3: wire.imagen -> core.registry: wire/ may import base/"]
    assert found.cycles == []


def test_checker_reports_an_emulator_import_outside_its_starter(toy: Path) -> None:
    _write(toy, {"results/store.py": "def f():\n    import toy.emulator.app  # lazy: no\n"})
    found = check(toy, "toy")
    assert found.arrows == ["results/store.py:2: results.store -> emulator.app: only core.registry starts the emulator"]


def test_checker_reports_a_cycle_through_a_function_level_import(toy: Path) -> None:
    _write(
        toy,
        {
            "results/store.py": "from . import images\n",
            "results/images.py": "def save():\n    from .store import x  # lazy: to dodge the cycle\n",
        },
    )
    found = check(toy, "toy")
    assert found.cycles == [
        "cycle among {results.images, results.store}: "
        "results.images -> results.store (results/images.py:2); results.store -> results.images (results/store.py:1)"
    ]


def test_checker_ignores_a_cycle_of_type_checking_imports(toy: Path) -> None:
    _write(
        toy,
        {
            "core/session.py": "from .registry import start\n",
            "core/registry.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .session import S\n",
        },
    )
    assert check(toy, "toy").cycles == []


def test_checker_reports_a_private_name_and_a_private_module(toy: Path) -> None:
    _write(
        toy,
        {
            "results/display.py": "from ..base.errors import Oops, _helper\n",
            "core/api.py": "from ..wire._shared import helper\n",
        },
    )
    found = check(toy, "toy")
    assert found.privates == [
        "core/api.py:1: core.api imports private module wire._shared used outside wire/",
        "results/display.py:1: results.display imports private name _helper of base.errors",
    ]
    assert found.arrows == []


def test_checker_reports_a_function_level_import_without_its_reason(toy: Path) -> None:
    _write(toy, {"results/store.py": "def f():\n    import json\n    return json\n"})
    found = check(toy, "toy")
    assert found.unexplained_lazy == ["results/store.py:2: import json"]
    assert found.function_imports == 2


# the public surface ---------------------------------------------------------------------------------
PUBLIC_NAMES = [
    "APIError",
    "AuthError",
    "BadRequest",
    "BudgetExceeded",  # added by issue 13: a call whose estimate would cross the budget or its max_cost
    "Cancelled",
    "ConfigError",
    "GeneratedImage",
    "ImageBlocked",
    "ImageSession",
    "ImageSet",
    "ImageStore",
    "InvalidRequest",
    "ModelRetired",  # added by issue 11: a shut-down model, answered before sending
    "NoImageReturned",
    "NotFound",
    "NotRecorded",  # added by issue 18: replay="only" and the request was never recorded
    "QuotaExceeded",
    "ResponseFormatError",
    "ServiceError",
    "StorageError",
    "TransportError",
    "VertexImageError",
    "__version__",
    "aedit_image",
    "agenerate_images",
    "batches",  # added by issue 14: the batch jobs saved in the image folder (after a restart too)
    "chat",
    "compare",
    "configure",
    "cost",  # added by issue 13: this kernel's spend by model, session and day, and the store's all-time total
    "edit_image",
    "export",  # added by issue 18: a notebook with exactly the images and recorded answers it used
    "gallery",
    "generate_images",
    "generate_many",  # added by issue 14: many prompts (rows, files, sweeps) now or as a batch job
    "list_models",  # added by issue 11: the lineup today, and (live=True) what the service lists
    "load",
    "load_ipython_extension",
    "panel",
    "settings",
    "unload_ipython_extension",
    "upscale_image",
]


def test_public_surface_is_unchanged() -> None:
    assert vertex_image.__all__ == PUBLIC_NAMES
    assert dir(vertex_image) == PUBLIC_NAMES


def test_every_public_name_resolves() -> None:
    for name in PUBLIC_NAMES:
        value = getattr(vertex_image, name)
        assert value is not None, name
        if name != "__version__":
            assert callable(value), name
