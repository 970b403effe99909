"""A finished run built without a model: questions about widgets, seven arms whose answers are right at set
rates and whose retrieval finds the evidence 70 % of the time, scored by the real harness and rendered by the real
report. For the tests of the report's pages (explorer, labels, compare), at any size."""

import random

from run_records import minimal_record
from rag_vs_ft.answer import Answer
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.harness import score_answers
from rag_vs_ft.models.prompts import REFUSAL
from rag_vs_ft.report.record import RunRecord
from rag_vs_ft.report.render import write_report

COLOURS = ["red", "blue", "green", "black", "white", "amber", "violet", "silver"]
ARMS = {  # arm -> (role, uses retrieval, share correct)
    "prompt": ("candidate", False, 0.2), "rag": ("candidate", True, 0.6), "finetune": ("candidate", False, 0.3),
    "finetune_rag": ("candidate", True, 0.55), "always-refuse": ("floor", False, 0.0),
    "extractive": ("floor", True, 0.25), "oracle": ("ceiling", True, 0.8)}


def questions(n: int) -> list[QAItem]:
    return [QAItem(f"q{i}", f"What colour is widget {i}?", f"Widget {i} is painted {COLOURS[i % 8]}.", (f"d{i}",),
                   i % 10 != 9, ["colour", "finish", "origin"][i % 3]) for i in range(n)]


def answers(arm: str, qs: list[QAItem], rng: random.Random) -> list[Answer]:
    role, retrieval, share = ARMS[arm]
    out = []
    for i, q in enumerate(qs):
        if arm == "always-refuse" or not q.answerable:
            text = REFUSAL
        elif rng.random() < share:
            text = q.answer
        else:
            text = f"Widget {i} is painted {COLOURS[(i + 3) % 8]}."
        found = arm == "oracle" or rng.random() < 0.7
        ids = [f"d{i}" if found else f"d{i + 1}", f"d{i + 2}"] if retrieval else []
        out.append(Answer(q.id, text, 0.5, 100, 10, retrieved_ids=ids, contexts=[f"chunk of {d}" for d in ids],
                          context_ids=ids))
    return out


def synthetic_run(tmp_path, n: int, seed: int = 0):
    rng = random.Random(seed)
    qs = questions(n)
    rows = [r for arm, (_, retrieval, _) in ARMS.items() for r in score_answers(arm, retrieval, qs,
                                                                              answers(arm, qs, rng))]
    record = minimal_record()
    record["config"]["eval"]["bootstrap_resamples"] = 200
    record["arms"] = {a: {"role": role, "summary": a, "uses_retrieval": retrieval, "uses_model": a != "always-refuse"}
                      for a, (role, retrieval, _) in ARMS.items()}
    record["corpus"]["evaluated"] = n
    record["memory_estimate"] = []
    record["corpus"]["sources"][0]["documents"] = n
    record["index"].update(embedder="none (synthetic answers)", key="synthetic")
    record["retrieval"].update(selected=False, chunk_size=500, reason="fixed by the test", grid=[])
    write_report(tmp_path, rows, RunRecord.model_validate(record))
    return tmp_path, rows


