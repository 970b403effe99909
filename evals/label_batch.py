"""Draw answers from a run for hand labelling, blind to the correctness decision (evals/labelling_guide.md), and
assemble the labels into tests/data/correctness_labels.jsonl.

    python evals/label_batch.py draw RUN_DIR --corpus NAME --per-arm 22 --out batch.jsonl [--corpora-dir DIR]
    python evals/label_batch.py assemble batch.jsonl.keys labels-1.jsonl labels-2.jsonl [--adjudicated adj.jsonl]

Each line of the batch holds what a labeller needs and nothing of the decision: item, question, reference, the
evidence passage (around the reference in its gold document, or the document's start) and the answer. A sidecar
`batch.jsonl.keys` maps each item back to (corpus, arm, question_id, answer or its source span) for assembling
tests/data/correctness_labels.jsonl. Answers are drawn per arm, spread over questions, with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ARMS = ("prompt", "rag", "finetune", "finetune_rag", "oracle", "extractive")
WINDOW = 1500  # characters of evidence on each side of the reference


def evidence(doc_text: str, reference: str, question: str) -> str:
    """The passage around the reference (found whatever the line wrapping), else the document's start."""
    m = None
    for text in (reference, question):  # markup may sit between the words: allow a little of anything
        words = re.findall(r"\w+", text)[:6]
        m = m or (re.search(r".{1,24}?".join(map(re.escape, words)), doc_text, re.DOTALL) if words else None)
    if not m:
        return doc_text[:2 * WINDOW]
    return doc_text[max(0, m.start() - WINDOW):m.start() + len(reference) + WINDOW]


def span_of(answer: str, docs: dict[str, str], doc_ids: list[str]) -> dict | None:
    """Where an extractive answer (a corpus sentence) sits, so no corpus text need be stored."""
    for d in list(doc_ids) + [k for k in docs if k not in doc_ids]:
        at = docs[d].find(answer)
        if answer and at >= 0:
            return {"doc_id": d, "start": at, "end": at + len(answer)}
    return None


def assemble(keys: Path, labels: list[Path], adjudicated: Path | None, out: Path) -> None:
    """Append one row per labelled item: the label all its labellers gave, or the adjudicator's where two
    disagreed (items labelled twice say so in `labellers`)."""
    from labelled import checksum  # tests/labelled.py: how rows are read back

    given: dict[int, list[dict]] = {}
    for path in labels:
        for line in path.read_text().splitlines():
            r = json.loads(line)
            given.setdefault(int(r["item"]), []).append(r)
    adj = {int(r["item"]): r for r in map(json.loads, adjudicated.read_text().splitlines())} if adjudicated else {}
    rows, open_items = [], []
    for line in keys.read_text().splitlines():
        k = json.loads(line)
        got = given.get(k["item"], [])
        if not got:
            continue
        if len({int(r["label"]) for r in got}) > 1:
            if k["item"] not in adj:
                open_items.append(k["item"])
                continue
            final = adj[k["item"]]
        else:
            final = got[0]
        check = checksum(k.pop("question"), k.pop("reference"))
        rows.append({**k, "check": check, "label": int(final["label"]), "why": final["why"],
                     "labellers": len(got) + (k["item"] in adj)})
    with out.open("a") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    print(f"appended {len(rows)} rows to {out}; disagreements without adjudication: {open_items}")


def main() -> None:
    if sys.argv[1:2] == ["assemble"]:
        ap = argparse.ArgumentParser()
        ap.add_argument("keys", type=Path)
        ap.add_argument("labels", type=Path, nargs="+")
        ap.add_argument("--adjudicated", type=Path)
        ap.add_argument("--out", type=Path, default=Path("tests/data/correctness_labels.jsonl"))
        a = ap.parse_args(sys.argv[2:])
        return assemble(a.keys, a.labels, a.adjudicated, a.out)
    if sys.argv[1:2] == ["draw"]:
        sys.argv.pop(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--corpora-dir", type=Path, default=Path("corpora"))
    ap.add_argument("--per-arm", type=int, default=22)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="first item number")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()

    from rag_vs_ft.synth.domain import load_domain
    from rag_vs_ft.config import _default_cache as default_cache_dir

    docs = {d.id: d.text for d in load_domain(a.corpus, a.corpora_dir, default_cache_dir()).documents}
    rows = [json.loads(line) for line in (a.run_dir / "results.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["arm"] in ARMS and r.get("seed") in (None, 0)]
    rng = random.Random(a.seed)
    picked = []
    for arm in ARMS:
        mine = sorted((r for r in rows if r["arm"] == arm), key=lambda r: r["question_id"])
        picked += rng.sample(mine, min(a.per_arm, len(mine)))
    rng.shuffle(picked)
    with a.out.open("w") as batch, Path(f"{a.out}.keys").open("w") as keys:
        for i, r in enumerate(picked, start=a.start):
            gold = r["doc_ids"][0] if r["doc_ids"] else None
            ev = evidence(docs[gold], r["reference"], r["question"]) if gold else "(none: the question is meant to be unanswerable)"
            batch.write(json.dumps({"item": i, "question": r["question"], "reference": r["reference"],
                                    "evidence": ev, "answer": r["answer"]}) + "\n")
            key = {"item": i, "corpus": a.corpus, "arm": r["arm"], "question_id": r["question_id"],
                   "kind": r["kind"], "answerable": r["answerable"], "question": r["question"],
                   "reference": r["reference"]}
            span = span_of(r["answer"], docs, r["doc_ids"]) if r["arm"] == "extractive" else None
            key.update({"answer_source": span} if span else {"answer": r["answer"]})
            keys.write(json.dumps(key) + "\n")
    print(f"wrote {len(picked)} items to {a.out}")


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

if __name__ == "__main__":
    main()
