"""A run's hand labels on disk: `labels.jsonl` in the run directory, one line per keypress (the last label of an
answer wins, so going back and relabelling is an append), and `labels.sample.json`, the answers to label, kept so
a second `rag-vs-ft label` resumes the same sample. The report reads them at every rendering."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rag_vs_ft.store import atomic_write_json

LABELS = "labels.jsonl"
SAMPLE = "labels.sample.json"

Key = tuple[str, str]  # (arm, question id)


def read_labels(run_dir: Path) -> dict[Key, bool]:
    """Every labelled answer's latest label; a line torn by a crash is skipped."""
    out: dict[Key, bool] = {}
    path = run_dir / LABELS
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
                out[(r["arm"], r["question_id"])] = bool(r["label"])
            except (ValueError, KeyError, TypeError):
                continue
    return out


def append_label(run_dir: Path, key: Key, label: bool) -> None:
    """One label, on disk before the next key is read: quitting or a crash loses nothing."""
    with open(run_dir / LABELS, "a", encoding="utf-8") as f:
        f.write(json.dumps({"arm": key[0], "question_id": key[1], "label": label}) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_sample(run_dir: Path) -> list[Key] | None:
    path = run_dir / SAMPLE
    if not path.exists():
        return None
    return [(a, q) for a, q in json.loads(path.read_text())["answers"]]


def write_sample(run_dir: Path, keys: list[Key], seed: int) -> None:
    atomic_write_json(run_dir / SAMPLE, {"seed": seed, "answers": [list(k) for k in keys]})
