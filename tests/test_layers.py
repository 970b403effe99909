"""The package's layers, lowest first, and a check that no module imports a higher layer — at the top of a file or
inside a function. The folders show the pipeline; this list is the one place its order is written."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rag_vs_ft"

LAYERS = [
    {"__init__", "config", "store", "paths", "measure", "ui", "text", "answer", "plugins"},  # settings and utilities
    {"corpus"},
    {"index"},
    {"models"},   # generator backends and the prompt templates every user of a model shares
    {"synth"},
    {"finetune"},
    {"arms"},
    {"evaluation"},
    {"report"},
    {"preflight", "tuning", "run_setup", "answering", "pipeline"},
    {"cli", "cli_domain"},
]
# Upward imports still to be taken apart (issue 19). Each is (importer, imported layer); none may be added.
KNOWN: set[tuple[str, str]] = set()


def layer_of(part: str) -> int:
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    raise AssertionError(f"{part!r} belongs to no layer: add it to LAYERS in {Path(__file__).name}")


def imports(path: Path) -> list[str]:
    """Every rag_vs_ft module a file imports, wherever the import statement stands."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag_vs_ft"):
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("rag_vs_ft")]
    return out


def top(module_path: Path) -> str:
    rel = module_path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def upward_imports() -> set[tuple[str, str, str]]:
    found = set()
    for path in SRC.rglob("*.py"):
        here = top(path)
        for module in imports(path):
            parts = module.split(".")
            there = parts[1] if len(parts) > 1 else "__init__"
            if layer_of(there) > layer_of(here):
                found.add((str(path.relative_to(SRC)), here, there))
    return found


def test_no_module_imports_a_higher_layer():
    new = sorted(f"{f} imports {there}" for f, here, there in upward_imports() if (here, there) not in KNOWN)
    assert not new, "upward imports:\n" + "\n".join(new)


def test_the_known_upward_imports_are_still_there_or_get_struck_off():
    still = {(here, there) for _, here, there in upward_imports()}
    assert KNOWN <= still, f"taken apart, so strike off KNOWN: {sorted(KNOWN - still)}"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def g():\n    from rag_vs_ft.report.render import render\n")
    assert imports(f) == ["rag_vs_ft.report.render"]
