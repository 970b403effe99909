"""How many test questions the headline spends on noise: the paired SD of the headline between every pair of
candidate arms of a saved run, for today's headline (headline.py: chance correction on the mix of kinds, resamples
within strata) against the headline before it (±1 credit per yes/no answer, macro weights, plain resamples), and
what each trivial answerer scores under both.

    python benchmarks/headline_power.py reports/legal/<run-id>

The answers are the run's own; only the scoring differs, so every difference printed is the estimator's.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np

from rag_vs_ft.corpus.schema import yes_no
from rag_vs_ft.evaluation.correctness import HEADLINE, add_correctness, committed_verdict
from rag_vs_ft.evaluation.statistics import detectable_difference, paired_sd

CANDIDATES = ("prompt", "rag", "finetune", "finetune_rag")


def previous_headline(rows: list[dict]) -> list[float]:
    """The headline column as it was computed before: ±1/0 credit on yes/no, macro weights N / (K * n_k)."""
    counts = Counter(r["kind"] for r in rows if r["answerable"])
    out = []
    for r in rows:
        if not r["answerable"]:
            out.append(0.0)
            continue
        w = len(rows) / (len(counts) * counts[r["kind"]])
        if yes_no(r["reference"]) is not None:
            given = not r["refused"] and committed_verdict(r["answer"], r["question"]) is not None
            out.append(w * ((1.0 if r["correct"] else -1.0) if given else 0.0))
        else:
            out.append(w * float(r["correct"]))
    return out


def columns(rows: list[dict]) -> dict[str, dict[str, np.ndarray]]:
    by_arm: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("seed") in (None, 0):
            by_arm.setdefault(r["arm"], []).append(r)
    out = {}
    for arm, rs in by_arm.items():
        rs = add_correctness(sorted(rs, key=lambda r: r["question_id"]))
        out[arm] = {"new": np.array([r[HEADLINE] for r in rs]), "old": np.array(previous_headline(rs)),
                    "stratum": np.array([r["stratum"] for r in rs]), "correct": np.array([r["correct"] for r in rs])}
    return out


def trivial(rows: list[dict]) -> dict[str, tuple[float, float]]:
    """Always yes / always no / always refuse under both headlines, on this run's questions."""
    qs = {r["question_id"]: r for r in rows}.values()
    out = {}
    for name, text in (("always-yes", "Yes."), ("always-no", "No."), ("always-refuse", "I don't know.")):
        rs = add_correctness([{**q, "answer": text, "refused": text.startswith("I don't")} for q in
                              sorted(qs, key=lambda r: r["question_id"])])
        out[name] = (float(np.mean([r[HEADLINE] for r in rs])), float(np.mean(previous_headline(rs))))
    return out


def main(run_dir: Path) -> None:
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    cols = columns(rows)
    n = len(next(iter(cols.values()))["new"])
    arms = [a for a in CANDIDATES if a in cols]
    print(f"{run_dir}: {n} test questions, candidate pairs of {', '.join(arms)}")
    print(f"{'pair':<26}{'old SD':>8}{'new SD':>8}{'correct SD':>11}{'old diff':>10}{'new diff':>10}")
    old_sd, new_sd = [], []
    for a, b in combinations(arms, 2):
        x, y = cols[a], cols[b]
        o = float(np.std(x["old"] - y["old"], ddof=1))
        s = paired_sd(x["new"] - y["new"], x["stratum"])
        c = float(np.std(x["correct"] - y["correct"], ddof=1))
        old_sd.append(o)
        new_sd.append(s)
        print(f"{a + ' - ' + b:<26}{o:8.2f}{s:8.2f}{c:11.2f}{(x['old'] - y['old']).mean():+10.3f}"
              f"{(x['new'] - y['new']).mean():+10.3f}")
    mo, mn = float(np.median(old_sd)), float(np.median(new_sd))
    print(f"median paired SD: old {mo:.2f}, new {mn:.2f} (ratio {mo / mn:.2f}: the old headline needs "
          f"{(mo / mn) ** 2:.1f}x the questions); detectable difference at n={n}: old "
          f"{detectable_difference(mo, n):.3f}, new {detectable_difference(mn, n):.3f}")
    for arm in ("always-refuse", "majority", "extractive", "oracle", *arms):
        if arm in cols:
            print(f"  {arm:<14} headline new {cols[arm]['new'].mean():+.3f}  old {cols[arm]['old'].mean():+.3f}")
    for name, (new, old) in trivial(rows).items():
        print(f"  {name:<14} headline new {new:+.3f}  old {old:+.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
