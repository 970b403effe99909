"""`rag-vs-ft label RUN_DIR`: the user labels a stratified sample of a run's answers in the terminal, one keypress
each, and the report is re-rendered with the decision's agreement with those labels.

The arm and the automatic decision are not shown while labelling, so neither can lean on the label. Every
keypress is on disk before the next answer is shown (`report/user_labels.py`): quitting, Ctrl-C or a crash loses
nothing, and a second call resumes with the first answer not yet labelled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from rag_vs_ft.evaluation.harness import with_correctness
from rag_vs_ft.evaluation.labels import label_sample
from rag_vs_ft.report.context import primary_rows
from rag_vs_ft.report.render import ReportError, rerender
from rag_vs_ft.report.user_labels import append_label, read_labels, read_sample, write_sample
from rag_vs_ft.store import read_jsonl

KEYS = "y/c correct · n/i incorrect · s skip · b back · q quit"
EVIDENCE_CHARS = 1200  # enough of a chunk to check a fact, not a wall of text


def run_rows(run_dir: Path) -> tuple[list[dict], dict]:
    """The compared answers of a finished run (fine-tuned arms at their primary seed), judged by today's rules,
    and its run.json."""
    if not (run_dir / "results.jsonl").exists() or not (run_dir / "run.json").exists():
        raise ReportError(f"{run_dir} is not a run directory (needs results.jsonl and run.json)")
    meta = json.loads((run_dir / "run.json").read_text())
    rows, _ = primary_rows(with_correctness(read_jsonl(run_dir / "results.jsonl")), meta.get("primary_seed"))
    if not rows:
        raise ReportError(f"{run_dir / 'results.jsonl'} holds no results")
    return rows, meta


def evidence_of(rows: list[dict], row: dict, ceiling: str | None) -> list[str]:
    """What the answer can be checked against: the chunks of the gold documents the answering arm or the ceiling
    read (the ceiling reads the gold evidence), else nothing."""
    def gold_chunks(r: dict) -> list[str]:
        ids = r.get("context_ids") or []
        return [t for t, d in zip(r.get("contexts") or [], ids) if d in r.get("doc_ids", [])]

    ceiling = [r for r in rows if r["question_id"] == row["question_id"] and r["arm"] == ceiling]
    return gold_chunks(row) or (gold_chunks(ceiling[0]) if ceiling else [])


def show(console: Console, row: dict, evidence: list[str], position: str) -> None:
    """One answer to judge. Data goes in as Text, never parsed as markup: an answer may hold `[bold]` or `[/]`."""
    console.rule(Text(f"answer {position}"))
    console.print(Panel(Text(row["question"]), title="question", title_align="left"))
    kind = "" if row["answerable"] else "  (unanswerable from the corpus: refusing is the right answer)"
    console.print(Panel(Text(row["reference"] + kind), title="reference", title_align="left"))
    for text in evidence[:2]:
        console.print(Panel(Text(text[:EVIDENCE_CHARS]), title="evidence", title_align="left", style="dim"))
    console.print(Panel(Text(row["answer"] or "(empty answer)"), title="answer to judge", title_align="left",
                        border_style="bold"))
    console.print(KEYS, markup=False, highlight=False)


def label_run(run_dir: Path, n: int, seed: int, console: Console, getchar: Callable[[], str]) -> dict:
    """Label the run's sample until it is done or the user quits; returns {labelled, remaining, total}."""
    rows, meta = run_rows(run_dir)
    ceiling = next((a for a, spec in meta.get("arms", {}).items() if spec.get("role") == "ceiling"), None)
    by_key = {(r["arm"], r["question_id"]): r for r in rows}
    sample = read_sample(run_dir)
    if sample is None or any(k not in by_key for k in sample):
        sample = label_sample(rows, n, seed)
        write_sample(run_dir, sample, seed)
    labels = read_labels(run_dir)
    todo = [k for k in sample if k not in labels]
    i = 0
    while i < len(todo):
        key = todo[i]
        show(console, by_key[key], evidence_of(rows, by_key[key], ceiling), f"{len(sample) - len(todo) + i + 1}/{len(sample)}")
        ch = getchar().lower()
        if ch in ("y", "c", "n", "i"):
            append_label(run_dir, key, ch in ("y", "c"))
            i += 1
        elif ch == "s":
            i += 1
        elif ch == "b" and i > 0:
            i -= 1  # the label shown again is replaced by the next keypress (the last label wins)
        elif ch in ("q", "\x03", "\x04"):
            break
    labels = read_labels(run_dir)
    rerender(run_dir)
    return {"labelled": sum(k in labels for k in sample), "total": len(sample),
            "remaining": sum(k not in labels for k in sample)}
