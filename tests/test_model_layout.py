"""The model layer's layout: no import cycles, short modules, each saying what it owns and must not do."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sim

MODEL = Path(sim.__file__).parent / "model"
MODULES = sorted(MODEL.rglob("*.py"))
MAX_LINES = 400


def _name(path: Path) -> str:
    parts = path.relative_to(MODEL.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of sim.model this module imports when it is imported (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
    visit(tree.body)
    known = {_name(p) for p in MODULES}
    me = _name(path)
    out = set()
    for target in found:   # importing a.b.c imports packages a and a.b too (except our own, already loading)
        parts = target.split(".")
        out.update(m for m in (".".join(parts[:i]) for i in range(1, len(parts) + 1))
                   if m in known and not me.startswith(m + "."))
    return out - {me}


def test_no_import_cycles_in_the_model() -> None:
    graph = {_name(p): _imports(p) for p in MODULES}

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return seen

    for module in graph:
        cycle = {m for m in reach(module) if m != module and module in reach(m)}
        assert not cycle, f"{module} is in an import cycle with {sorted(cycle)}"


def test_the_model_does_not_import_layers_above_it() -> None:
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        for layer in ("experiments", "plots", "ui", "validation", "cli"):
            assert f"sim.{layer}" not in _imports(path) and f"from ...{layer}" not in text, (path.name, layer)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(MODEL)))
def test_each_module_is_short_and_says_what_it_owns_and_must_not_do(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: over {MAX_LINES} lines"
    doc = ast.get_docstring(ast.parse(text))
    assert doc and "must not" in doc.lower(), f"{path.name}: the top docstring should say what it must not do"
