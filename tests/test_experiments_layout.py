"""The experiments layer's shape: small modules with a stated job, no cycles, no upward imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sim" / "experiments"
MODULES = sorted(p for p in PACKAGE.glob("*.py"))
UPPER_LAYERS = ("sim.plots", "sim.ui", "sim.validation", "sim.cli")
MAX_LINES = 400


def imports_of(path: Path) -> set[str]:
    """Absolute names of the sim modules a file imports (at any depth, lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = ["sim", "experiments"][: 3 - node.level] if node.level <= 2 else []
                base = ".".join(parts + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return {n for n in names if n == "sim" or n.startswith("sim.")}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_small_and_says_what_it_owns(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.name}: no module docstring"
    if path.name not in ("__init__.py", "__main__.py"):
        assert "must not" in doc.lower(), f"{path.name}: the docstring does not say what the module must not do"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "__main__.py"], ids=lambda p: p.name)
def test_no_import_of_upper_layers(path: Path) -> None:
    """Experiments sit on the model: no import of plots, ui, validation or the top-level CLI."""
    bad = sorted(n for n in imports_of(path) if n.startswith(UPPER_LAYERS))
    assert not bad, f"{path.name} imports {bad}"


def test_no_import_cycles_between_modules() -> None:
    """Module-level imports between the experiments modules form no cycle."""
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        if path.name in ("__init__.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps = set()
        for node in tree.body:   # module level only: a lazy import inside a function cannot form a cycle
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                deps.add(node.module.split(".")[0])
        graph[path.stem] = deps

    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        assert state.get(name) != 1, f"import cycle: {' -> '.join([*trail, name])}"
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            visit(dep, [*trail, name])
        state[name] = 2

    for name in sorted(graph):
        visit(name, [])


def test_analysis_does_not_load_the_plots() -> None:
    """Importing the experiments layer and analysing tables pulls in neither sim.plots nor matplotlib."""
    code = ("import sys, sim.experiments, sim.experiments.cli; "
            "bad = [m for m in ('sim.plots', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
