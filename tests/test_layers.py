"""The package's layers, lowest first, and a check that no module imports a higher layer — at the top of a file or
inside a function. The folders show the pipeline; this list is the one place its order is written."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
    {"preflight", "tuning", "run_setup", "answering", "pipeline", "serving", "labelling"},
    {"cli", "cli_domain"},
]


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


def top(module_path: Path, root: Path = SRC) -> str:
    rel = module_path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def upward_imports(root: Path = SRC) -> set[tuple[str, str, str]]:
    found = set()
    for path in root.rglob("*.py"):
        here = top(path, root)
        for module in imports(path):
            parts = module.split(".")
            there = parts[1] if len(parts) > 1 else "__init__"
            if layer_of(there) > layer_of(here):
                found.add((str(path.relative_to(root)), here, there))
    return found


def test_no_module_imports_a_higher_layer():
    found = sorted(f"{f} imports {there}" for f, here, there in upward_imports())
    assert not found, "upward imports:\n" + "\n".join(found)


# The upward arrows issue 19 found in the code at 06b9f50, each as (file, the import it held).
EIGHT = [("config.py", "from rag_vs_ft.arms.registry import candidates"),
         ("corpus/domain.py", "from rag_vs_ft.synth.run import sources_hash"),
         ("synth/extractive.py", "from rag_vs_ft.evaluation.grounding import content_words"),
         ("synth/filters.py", "from rag_vs_ft.evaluation.grounding import STOPWORDS"),
         ("synth/run.py", "from rag_vs_ft.evaluation.grounding import content_words"),
         ("finetune/data.py", "from rag_vs_ft.arms.prompts import closed_book_messages"),
         ("finetune/raft.py", "from rag_vs_ft.arms.prompts import REFUSAL"),
         ("finetune/recipes.py", "from rag_vs_ft.arms.prompts import rag_messages")]


@pytest.mark.parametrize("where, line", EIGHT)
def test_each_upward_arrow_the_issue_found_would_fail_the_check(tmp_path, where, line):
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"def f():\n    {line}\n")  # inside a function, where some of them hid
    assert [f for f, _, _ in upward_imports(tmp_path)] == [where]


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def g():\n    from rag_vs_ft.report.render import render\n")
    assert imports(f) == ["rag_vs_ft.report.render"]
