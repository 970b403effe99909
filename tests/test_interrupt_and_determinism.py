"""Ctrl-C loses nothing and changes nothing: a run sent SIGINT mid fine-tune and again mid answering, then re-run,
ends with the same results.jsonl (timings aside) as a run never interrupted — which is also two runs of one
config and seed giving identical results. Real model, real corpus slice, real signals."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO

ARGS = ["run", "domain=legal", "eval.limit=6", "eval.arms=[finetune]", "eval.references=[always-refuse]",
        "eval.forgetting=false", "eval.bootstrap_resamples=200", "model.batch_size=1", "model.max_new_tokens=16",
        "finetune.max_tokens=1500", "finetune.batch_size=1", "finetune.checkpoint_every=2",
        "finetune.dev_max_tokens=800", "run_id=r"]
TIMING = ("latency", "seconds", "_s")


def fresh_cache(root: Path, shared: Path) -> Path:
    """Adapters and answers start empty; the converted model, wheels and index are shared (slow to rebuild)."""
    root.mkdir()
    for name in ("models", "wheels", "index"):
        (shared / name).mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(shared / name)
    return root


def start(cache: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag_vs_ft.cli", *ARGS, f"cache_dir={cache}", f"output_dir={out}"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal


def interrupt_when(proc: subprocess.Popen, ready, timeout: float = 900) -> tuple[int, str]:
    """Send SIGINT once `ready()` holds; the exit code and stderr."""
    deadline = time.time() + timeout
    while not ready():
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()[1][-2000:]}"
        assert time.time() < deadline, "never reached the point to interrupt"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=600)
    return proc.returncode, err


def finish(proc: subprocess.Popen) -> str:
    _, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, err[-3000:]
    return err


def rows_without_timings(run: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if not any(t in k for t in TIMING)} for r in rows]


def test_sigint_mid_fine_tune_and_mid_answering_then_rerun_equals_an_uninterrupted_run(tmp_path, cache_dir):
    whole_cache = fresh_cache(tmp_path / "cache-whole", cache_dir)
    finish(start(whole_cache, tmp_path / "whole"))

    cut_cache = fresh_cache(tmp_path / "cache-cut", cache_dir)
    code, err = interrupt_when(start(cut_cache, tmp_path / "cut"),
                               lambda: any((cut_cache / "adapters").glob("*.partial/state.pt")))
    assert code == 130 and "interrupted" in err, err[-2000:]
    state = next((cut_cache / "adapters").glob("*.partial/state.pt"))
    assert state.exists() and not list((cut_cache / "adapters").glob("*/training.json"))

    def answered_a_batch() -> bool:
        return any(p.stat().st_size > 0 for p in (cut_cache / "answers").glob("finetune-*.partial.jsonl"))

    code, err = interrupt_when(start(cut_cache, tmp_path / "cut"), answered_a_batch)
    assert code == 130, err[-2000:]
    saved = next((cut_cache / "answers").glob("finetune-*.partial.jsonl")).read_text().splitlines()
    assert 1 <= len(saved) < 6  # some answers kept, not all

    err = finish(start(cut_cache, tmp_path / "cut"))
    assert f"{len(saved)} of 6 answers were saved by an interrupted run" in err
    whole_rows = rows_without_timings(tmp_path / "whole" / "legal" / "r")
    assert whole_rows and rows_without_timings(tmp_path / "cut" / "legal" / "r") == whole_rows
    assert not list((cut_cache / "answers").glob("*.partial.jsonl"))  # finished: nothing half-done left
