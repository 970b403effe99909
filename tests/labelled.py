"""The hand-labelled answers of tests/data/correctness_labels.jsonl, with their questions, references and answers
rebuilt from the installed corpora (no corpus text is stored in this repository).

Legal rows carry the project's own question and reference; rows of synthesized corpora point to their question
by id (the extractive generator is deterministic) with a checksum, and answers that are corpus sentences (the
extractive floor) point to their span. Run as a script it prints the leave-one-corpus-out table of evals/README.md:

    python tests/labelled.py
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "data" / "correctness_labels.jsonl"
CORPORA = ("legal", "support", "tutorial")


def checksum(question: str, reference: str) -> str:
    return hashlib.sha256(f"{question}\n{reference}".encode()).hexdigest()[:12]


def _tutorial(workdir: Path, cache_dir: Path):
    """The corpus suite's prose shape (the Python tutorial as plain prose), through `domain init` and `synth`."""
    sys.path.insert(0, str(REPO / "tests"))
    from corpus_shapes import prose_corpus

    from rag_vs_ft.synth.domain import load_domain

    src, corpora = prose_corpus(workdir / "tutorial-src"), workdir / "corpora"
    for args in (["init", "tutorial", "--from", str(src)], ["synth", "tutorial"]):
        subprocess.run([sys.executable, "-m", "rag_vs_ft.cli", "domain", *args, "--corpora-dir", str(corpora)],
                       check=True, capture_output=True, cwd=workdir)
    return load_domain("tutorial", corpora, cache_dir)


def domains(cache_dir: Path, workdir: Path) -> dict:
    from rag_vs_ft.synth.domain import load_domain

    return {"legal": load_domain("legal", REPO / "corpora", cache_dir),
            "support": load_domain("support", REPO / "corpora", cache_dir),
            "tutorial": _tutorial(workdir, cache_dir)}


def labelled(cache_dir: Path, workdir: Path) -> dict[str, list]:
    """corpus -> [Labelled], every row of the label file rebuilt and checked."""
    from rag_vs_ft.evaluation.calibration import Labelled
    from rag_vs_ft.evaluation.refusal import is_refusal

    built = domains(cache_dir, workdir)
    out: dict[str, list] = {c: [] for c in CORPORA}
    for line in LABELS.read_text().splitlines():
        r = json.loads(line)
        dom = built[r["corpus"]]
        docs = dom.by_id()
        if "question" not in r:
            q = {x.id: x for x in dom.questions}[r["question_id"]]
            assert checksum(q.question, q.answer) == r["check"], f"item {r['item']}: question {q.id} changed"
            r = {**r, "question": q.question, "reference": q.answer}
        src = r.get("answer_source")
        answer = docs[src["doc_id"]].text[src["start"]:src["end"]] if src else r["answer"]
        out[r["corpus"]].append(Labelled(r["corpus"], r["question"], r["reference"], answer, r["answerable"],
                                         is_refusal(answer), bool(r["label"])))
    return out


def main() -> None:
    from rag_vs_ft.config import RunConfig
    from rag_vs_ft.evaluation.calibration import fit, kappa, leave_one_corpus_out

    with tempfile.TemporaryDirectory() as tmp:
        by_corpus = labelled(RunConfig().cache_dir, Path(tmp))
    for h in leave_one_corpus_out(by_corpus):
        print(f"{h.corpus:<10} n={h.n:<4} correct={h.correct:<4} kappa={h.kappa:.3f} "
              f"[{h.interval[0]:.3f}, {h.interval[1]:.3f}] balanced accuracy={h.balanced_accuracy:.3f}  "
              f"fitted on the others: {h.rule}")
    rule = fit(by_corpus)
    print(f"fitted on all corpora: {rule}; kappa per corpus: "
          + ", ".join(f"{c} {kappa(v, rule):.3f}" for c, v in by_corpus.items()))


if __name__ == "__main__":
    main()
