"""The package's layout: layers import downwards only, no import cycles, small modules with a job each.

Checked from the source with ``ast`` (module-level imports and imports inside functions alike,
except those under ``if TYPE_CHECKING:``), so it needs no import of the package and catches a
lazy import that climbs a layer as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"
MAX_LINES = 420

# a layer may import only from layers listed after it (lower layers); the base is shared by all
LAYERS = [
    ("cli", {"sim.cli", "sim.__main__", "sim.startup", "sim.figure_process"}),
    ("presentation", {"sim.ui", "sim.report", "sim.client", "sim.plots"}),
    ("analysis", {"sim.validation", "sim.calibration"}),
    ("narration", {"sim.narrate"}),
    ("experiments", {"sim.experiments"}),
    ("model", {"sim.model"}),
    ("base", {"sim.config", "sim.strategy", "sim.schema", "sim.safeyaml", "sim.limits", "sim.atomic", "sim.errors",
              "sim.arguments"}),
]
# deliberate exceptions: (importer prefix, imported prefix, why)
ALLOWED = {
    ("sim.experiments.__main__", "sim.plots", "the standalone command names the figure writer as a string"),
    ("sim.plots.sweeps", "sim.experiments", "sweep figures read sweep tables"),
    ("sim.plots", "sim.narrate", "figure captions come from the narration"),
    ("sim.validation", "sim.plots", "validation figures use the one style"),
    ("sim.calibration", "sim.plots", "calibration figures use the one style"),
    ("sim.narrate", "sim.model.runner", "interval helpers of the replicate summaries"),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(SIM.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str) -> set[str]:
    """Project modules imported by module ``name`` (resolved relative imports)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sim"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("sim"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


def layer_of(name: str) -> int | None:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return i
    return None


def test_every_module_belongs_to_a_layer() -> None:
    missing = [m for m in MODULES if m != "sim" and layer_of(m) is None]
    assert not missing, f"modules outside every layer: {missing}"


def test_layers_import_downwards_only() -> None:
    wrong = []
    for name in MODULES:
        here = layer_of(name)
        if here is None:
            continue
        for target in imports_of(name):
            there = layer_of(target)
            if there is None or there > here or there == here:
                continue
            if any(name.startswith(a) and target.startswith(b) for a, b, _ in ALLOWED):
                continue
            wrong.append(f"{name} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})")
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def test_no_import_cycles() -> None:
    graph = {m: imports_of(m) for m in MODULES}
    # a package's __init__ re-exporting its own submodules is not a cycle of ideas
    for m in graph:
        graph[m] = {t for t in graph[m] if not (MODULES[m].name == "__init__.py" and t.startswith(m + "."))}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_module_is_small_and_says_what_it_owns(name: str) -> None:
    path = MODULES[name]
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(SIM.parent)} has {lines} lines (limit about 400)"
    doc = ast.get_docstring(ast.parse(text))
    assert doc, f"{name} has no module docstring"
