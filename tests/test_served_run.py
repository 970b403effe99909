"""The whole comparison answered through llama.cpp's server (`model.backend=llamacpp`: the real xllamacpp wheel,
started by the run, the tuned arms' adapters converted to GGUF LoRA and chosen per request), on a small slice
of the legal domain, against the same slice answered in process. States the share of identical answers: the
served base is the Q4_1 GGUF itself, the in-process one its dequantized weights, so some answers differ."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytest.importorskip("xllamacpp", reason="llama.cpp's server wheel (xllamacpp) is not installed")

SLICE = ["domain=legal", "eval.limit=6", "finetune.max_steps=2", "finetune.eval_every=1",
         "finetune.dev_max_tokens=1500", "model.max_new_tokens=24", "eval.bootstrap_resamples=200",
         "eval.few_shot=2", "eval.forgetting=false", "eval.latency_sample=2", "model.concurrency=[1,2]",
         "model.dtype=fp32"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, cache_dir):
    out, run_cache = tmp_path_factory.mktemp("reports"), tmp_path_factory.mktemp("cache")
    for shared in ("models", "wheels", "index"):
        (cache_dir / shared).mkdir(parents=True, exist_ok=True)
        (run_cache / shared).symlink_to(cache_dir / shared)
    dirs = {}
    for backend in ("hf", "llamacpp"):  # the second run reuses the first one's adapters: the same training
        args = SLICE + [f"model.backend={backend}", f"output_dir={out}", f"run_id={backend}", f"cache_dir={run_cache}"]
        proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "run", *args], capture_output=True,
                              text=True, cwd=REPO, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        dirs[backend] = out / "legal" / backend
    dirs["cache"], dirs["out"] = run_cache, out
    return dirs


def answers(run_dir) -> dict[tuple[str, str], str]:
    rows = [json.loads(line) for line in open(run_dir / "results.jsonl", encoding="utf-8")]
    return {(r["arm"], r["question_id"]): r["answer"] for r in rows}


@pytest.mark.slow
def test_every_arm_answers_through_the_server_with_its_adapter(runs):
    served = json.loads((runs["llamacpp"] / "run.json").read_text())
    assert served["config"]["model"]["backend"] == "llamacpp"
    hf, ll = answers(runs["hf"]), answers(runs["llamacpp"])
    assert hf.keys() == ll.keys() and {a for a, _ in ll} >= {"prompt", "rag", "finetune", "finetune_rag", "oracle"}
    model_arms = sorted({a for a, _ in ll if served["arms"][a]["uses_model"]})
    same = {a: sum(hf[k] == ll[k] for k in hf if k[0] == a) / sum(k[0] == a for k in hf) for a in model_arms}
    print("identical answers, llama.cpp server vs in process (greedy):",
          {a: round(s, 2) for a, s in same.items()})
    # floors use no model: identical by construction; model arms: close, not equal (Q4_1 vs dequantized)
    assert all(hf[k] == ll[k] for k in hf if not served["arms"][k[0]]["uses_model"])
    assert sum(same.values()) / len(same) > 0.2
    # the adapters were served, not merged: the run converted each recipe's adapter for the server
    assert {r["recipe"] for r in served["adapters"]} == {"closed_book", "raft"}
    assert all((Path(r["adapter_dir"]) / "adapter.gguf").exists() for r in served["adapters"])


@pytest.mark.slow
def test_the_report_shows_each_candidate_under_load(runs):
    served = json.loads((runs["llamacpp"] / "run.json").read_text())
    loads = served["answering"]["rag"]["load"]
    assert [lv["concurrency"] for lv in loads] == [1, 2] and all(lv["answers_per_s"] > 0 for lv in loads)
    report = (runs["llamacpp"] / "report.md").read_text()
    assert "### Under load (served backend)" in report and "| rag | 2 |" in report
    assert "### Under load" not in (runs["hf"] / "report.md").read_text()  # in process: no load levels


@pytest.mark.slow
def test_serve_then_run_through_it_with_the_openai_backend(runs):
    """The two documented commands: `rag-vs-ft serve` (the run's adapters, cached by the runs above) and
    `rag-vs-ft run ... model.backend=openai model.base_url=URL` against it."""
    import signal
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    common = SLICE + [f"cache_dir={runs['cache']}", f"output_dir={runs['out']}"]
    server = subprocess.Popen([sys.executable, "-m", "rag_vs_ft.cli", "serve", *common, "--port", str(port), "--slots", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
    try:
        lines = []
        for line in server.stdout:  # the adapters, then the server's URL and the command to use
            lines.append(line)
            if line.strip().startswith("rag-vs-ft run"):
                break
        command = lines[-1].split()
        assert f"model.base_url=http://127.0.0.1:{port}/v1" in command and "model.backend=openai" in command
        assert sum(line.startswith("adapter ") for line in lines) == 2
        proc = subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", *command[1:], "run_id=openai"],
                              capture_output=True, text=True, cwd=REPO, timeout=1200)
        assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        server.send_signal(signal.SIGINT)
        # on a loaded machine llama.cpp's slot threads took over 60 s to stop (seen once in CI); alone, seconds
        server.wait(timeout=300)
    served = answers(runs["out"] / "legal" / "openai")
    managed = answers(runs["llamacpp"])
    assert served.keys() == managed.keys()
    same = sum(served[k] == managed[k] for k in served) / len(served)
    print(f"identical answers, serve + openai backend vs the run-managed server: {same:.2f}")
    # one engine and GGUF, greedy; llama.cpp's results still move with how requests share a batch across its
    # slots (the managed run's share against hf varied 0.17-0.50 for the oracle between two runs)
    assert same >= 0.5
