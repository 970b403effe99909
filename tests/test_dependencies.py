"""pyproject declares exactly what the code imports: nothing imported goes undeclared, nothing declared goes unused."""

import ast
import importlib.metadata as md
import re
import sys
from pathlib import Path

import pytest

from conftest import REPO

tomllib = pytest.importorskip("tomllib")

# Declared but never imported: a library we call needs it at run time without declaring it. Each is kept only
# while the code still holds the use named here, so a dependency whose use is gone fails this test.
RUNTIME_ONLY = {
    "bitsandbytes": "BitsAndBytesConfig",  # transformers' 4-bit loading
    "accelerate": "device_map=",  # transformers places a quantized model through accelerate
    "gguf": "gguf_file=",  # transformers reads the embedded GGUF through it
    "lxml": '"lxml"',  # the parser bs4 is given
    "rouge-score": "RougeScore",  # ragas' ROUGE metric imports rouge_score lazily
    "rapidfuzz": "NonLLMStringSimilarity",  # ragas' string similarity imports rapidfuzz lazily
    "onnx": "quantize_dynamic",  # onnxruntime's quantiser reads the graph with onnx and does not declare it
}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    return norm(re.match(r"[A-Za-z0-9_.\-]+", req).group(0))


def imported_distributions(folder: Path, local: set[str]) -> dict[str, set[str]]:
    """{distribution: files importing it} for every third-party top-level import under `folder`."""
    owners = md.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in local:
                    continue
                assert top in owners, f"{path}: imports {top!r}, which no installed distribution provides"
                for dist in owners[top]:
                    found.setdefault(norm(dist), set()).add(path.name)
    return found


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_runtime_code_imports_exactly_what_is_declared():
    declared = {requirement_name(r) for r in project()["dependencies"]}
    imported = imported_distributions(REPO / "src", {"rag_vs_ft"})
    undeclared = {d: sorted(files)[:3] for d, files in imported.items() if d not in declared}
    assert not undeclared, f"imported but not in pyproject dependencies: {undeclared}"
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "src").rglob("*.py"))
    unused = sorted(d for d in declared - set(imported)
                    if d not in RUNTIME_ONLY or RUNTIME_ONLY[d] not in source)
    assert not unused, f"declared in pyproject but never imported nor needed at run time: {unused}"


def test_tests_import_only_declared_packages():
    declared = {requirement_name(r) for r in project()["dependencies"] + project()["optional-dependencies"]["test"]}
    local = {"rag_vs_ft", "conftest"} | {p.stem for p in (REPO / "tests").glob("*.py")}
    imported = imported_distributions(REPO / "tests", local)
    undeclared = {d: sorted(files)[:3] for d, files in imported.items() if d not in declared}
    assert not undeclared, f"tests import packages no extra declares: {undeclared}"


def test_the_check_can_fail(tmp_path):
    (tmp_path / "m.py").write_text("import yaml\nfrom rich.console import Console\nimport os\n")
    assert set(imported_distributions(tmp_path, set())) == {"pyyaml", "rich"}
