"""The README's main command, on a small slice of the real legal corpus with the real embedded model."""

import json
import re
import subprocess
import sys

import pytest

from conftest import REPO
from rag_vs_ft.evaluation.harness import summarize

SLICE = ["eval.limit=6", "finetune.max_steps=2", "finetune.eval_every=1", "model.max_new_tokens=24"]


def readme_run_command() -> list[str]:
    """The `rag-vs-ft run ...` line the README tells users to run."""
    text = (REPO / "README.md").read_text()
    m = re.search(r"^rag-vs-ft run domain=legal[^\n`]*$", text, re.M)
    assert m, "README must show `rag-vs-ft run domain=legal`"
    return m.group(0).split()[1:]


def test_readme_commands_match_ci():
    text = (REPO / "README.md").read_text()
    ci = (REPO / ".ci/run").read_text()
    assert "make run" in text and "make test" in text
    assert "make test" in ci
    makefile = (REPO / "Makefile").read_text()
    assert "rag-vs-ft run domain=legal" in makefile and "pytest" in makefile


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    args = readme_run_command() + SLICE + [f"output_dir={out}", "run_id=e2e"]
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Recommendation: deploy" in proc.stdout
    return out / "legal" / "e2e", args


def test_report_has_all_arms_and_metrics(run_dir):
    path, _ = run_dir
    rows = [json.loads(line) for line in (path / "results.jsonl").read_text().splitlines()]
    assert {r["arm"] for r in rows} == {"prompt", "rag", "finetune", "finetune_rag"}
    assert len(rows) == 4 * 6
    kinds = {r["kind"] for r in rows}
    assert {"article", "license", "unanswerable"} <= kinds  # the slice spans every kind
    for r in rows:
        for key in ("question", "reference", "answer", "exact_match", "token_f1", "rouge_l", "string_similarity",
                    "semantic_similarity", "refused", "latency_s", "prompt_tokens", "generated_tokens", "retrieved_ids"):
            assert key in r, key
        assert r["latency_s"] > 0 and r["prompt_tokens"] > 0
        if r["arm"] in ("rag", "finetune_rag"):
            assert r["retrieved_ids"]
            if r["answerable"]:
                assert r["context_recall"] is not None
        else:
            assert r["retrieved_ids"] == []

    report = (path / "report.md").read_text()
    head = "\n".join(report.splitlines()[:12])
    assert "Recommendation: deploy" in head and "SmolLM2-135M-Instruct" in head and "cores" in head
    summaries = summarize(rows)
    for arm, s in summaries.items():  # the report's numbers are results.jsonl's numbers
        line = next(ln for ln in report.splitlines() if ln.startswith(f"| {arm} | ") and "EM" not in ln)
        assert f"| {s['exact_match']:.3f} | {s['token_f1']:.3f} | {s['rouge_l']:.3f} |" in line
    for fig in ("metrics.png", "quality_vs_latency.png", "loss_curve.png"):
        assert (path / fig).stat().st_size > 1000
    html = (path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3  # self-contained: figures inline, nothing fetched
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)

    meta = json.loads((path / "run.json").read_text())
    assert meta["finetune"]["method"] in ("qlora-nf4", "lora") and meta["finetune"]["steps"] == 2
    assert meta["corpus"]["documents"] == 451 and len(meta["corpus"]["hash"]) == 16
    assert meta["packages"]["transformers"] != "not installed"
    assert {"model", "index", "finetune", "answer:rag"} <= set(meta["timings_s"])
    assert not list(path.glob(".*.tmp"))  # no half-written files left behind


def test_report_command_rerenders_the_same_report(run_dir):
    path, _ = run_dir
    before = (path / "report.md").read_text()
    (path / "report.md").unlink()
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "report", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (path / "report.md").read_text() == before


def test_rerun_reuses_everything(run_dir):
    path, args = run_dir
    proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("reusing 6 cached answers") == 4
    meta = json.loads((path / "run.json").read_text())
    assert meta["finetune"]["cached"] is True and meta["index"]["cached"] is True
