"""Forgetting: what general ability did the fine-tune cost? The same general-knowledge questions
(evals/general_qa.jsonl) go to the base model and to each fine-tuned model with the same neutral prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag_vs_ft.evaluation.metrics import normalize_answer
from rag_vs_ft.evaluation.statistics import bootstrap_ci, paired_bootstrap

GENERAL_QA = Path(__file__).resolve().parents[3] / "evals" / "general_qa.jsonl"
SYSTEM = "Answer the question in a few words."
MAX_NEW_TOKENS = 16  # the answers are one to three words


@dataclass(frozen=True)
class GeneralItem:
    id: str
    question: str
    answer: str
    aliases: tuple[str, ...] = ()


def load_general_qa(path: Path = GENERAL_QA) -> list[GeneralItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append(GeneralItem(row["id"], row["question"], row["answer"], tuple(row.get("aliases", ()))))
    return items


def messages(item: GeneralItem) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": item.question}]


def contains_answer(prediction: str, item: GeneralItem) -> float:
    """1 when the answer or an alias occurs in the prediction as whole words (after normalisation)."""
    pred = f" {normalize_answer(prediction)} "
    return float(any(f" {normalize_answer(a)} " in pred for a in (item.answer, *item.aliases) if normalize_answer(a)))


def forgetting_summary(items: list[GeneralItem], answers: dict[str, list[str]], base: str = "base",
                       resamples: int = 2000, seed: int = 0) -> dict:
    """Accuracy of each model with its interval, and each fine-tuned model's change against the base model
    on the same questions (paired bootstrap)."""
    correct = {m: [contains_answer(a, it) for a, it in zip(ans, items, strict=True)] for m, ans in answers.items()}
    out: dict = {"n": len(items), "models": {}, "examples": []}
    for m, xs in correct.items():
        ci = bootstrap_ci(xs, resamples, seed)
        out["models"][m] = {"accuracy": ci.mean, "ci": [ci.low, ci.high]}
        if m != base and base in correct:
            d = paired_bootstrap(xs, correct[base], resamples, seed)
            out["models"][m].update(change=d.mean_diff, change_ci=[d.low, d.high], significant=d.significant)
    for i, it in enumerate(items[:3]):
        out["examples"].append({"question": it.question, "reference": it.answer,
                                "answers": {m: ans[i] for m, ans in answers.items()}})
    return out
