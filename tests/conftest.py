import os

# Tests run offline: nothing may come from a model hub, and ragas must not post analytics.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["RAGAS_DO_NOT_TRACK"] = "true"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rag_vs_ft.config import RunConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def cli(*args, cwd=REPO, timeout=1200):
    """`rag-vs-ft ARGS` in a fresh process, as a user runs it: (exit code, stdout, stderr)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    """The user cache: wheels, converted model and index are reused across tests and runs."""
    return RunConfig().cache_dir


@pytest.fixture(scope="session")
def legal(cache_dir):
    from rag_vs_ft.synth.domain import load_domain

    return load_domain("legal", REPO / "corpora", cache_dir)


@pytest.fixture(scope="session")
def base_model_path(cache_dir) -> str:
    from rag_vs_ft.config import EMBEDDED_LLM
    from rag_vs_ft.models.resolve import generator_path

    return generator_path(EMBEDDED_LLM, cache_dir)[0]


@pytest.fixture(scope="session")
def embedder():
    from rag_vs_ft.config import EMBEDDED_EMBEDDER
    from rag_vs_ft.index.retriever import load_embedder
    from rag_vs_ft.models.resolve import embedder_path

    return load_embedder(embedder_path(EMBEDDED_EMBEDDER), "cpu")
