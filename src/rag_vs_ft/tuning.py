"""Choices made on the dev split before any test question is answered: the prompt arm's few-shot count.

Each count in `eval.few_shot_grid` answers the same dev questions (kinds interleaved, at most
`eval.few_shot_dev`) with the prompt arm; the count with the best headline (share of correct answers, as the
report computes it) wins, a tie going to fewer examples (a shorter prompt). The examples are always the same round-robin prefix of the train split, so a count
is all that is chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.corpus.splits import few_shot_examples, interleave_kinds
from rag_vs_ft.evaluation.correctness import headline_score
from rag_vs_ft.store import atomic_write_json, stable_hash

TIE = 0.005  # headlines this close count as equal


def dev_slice(dev: list[QAItem], limit: int) -> list[QAItem]:
    return interleave_kinds(sorted(dev, key=lambda q: q.id))[:limit]


def choose_few_shot(grid: list[int], train: list[QAItem], dev: list[QAItem],
                    answer: Callable[[list[QAItem], list[QAItem]], list[str]]) -> tuple[int, list[dict]]:
    """(chosen count, one row per count with its dev headline). `answer(examples, questions)` returns the
    prompt arm's answers; only dev questions are ever passed to it."""
    rows = []
    for n in grid:
        texts = answer(few_shot_examples(train, n), dev)
        rows.append({"few_shot": n, "dev_headline": round(headline_score(texts, dev), 4), "n": len(dev)})
    best = max(r["dev_headline"] for r in rows)
    chosen = min(r["few_shot"] for r in rows if r["dev_headline"] >= best - TIE)
    return chosen, rows


def few_shot_stage(cfg: RunConfig, spec, base_path: str, dtype, device: str, train: list[QAItem],
                   dev_qa: list[QAItem], model_meta: dict, cache_dir: Path) -> tuple[list[QAItem], dict]:
    """The examples the few-shot arm `spec` answers the test questions with, and what the report says of the
    choice. Cached by everything the dev answers depend on (greedy decoding: equal keys, equal answers)."""
    import json

    from rag_vs_ft.models.prompts import PROMPT_VERSION
    from rag_vs_ft.arms.registry import ArmInputs

    if cfg.eval.few_shot is not None:
        n = cfg.eval.few_shot
        return few_shot_examples(train, n), {"chosen": n, "selected": False, "reason": "set by eval.few_shot"}
    dev = dev_slice(dev_qa, cfg.eval.few_shot_dev)
    grid = cfg.eval.few_shot_grid
    if not dev:
        n = max(grid)
        return few_shot_examples(train, n), {"chosen": n, "selected": False, "reason": "no dev questions"}
    key = stable_hash({"metric": "headline", "model": model_meta, "dtype": str(dtype), "device": device, "prompts": PROMPT_VERSION,
                       "settings": {"model": cfg.model.answer_settings()}, "grid": grid,
                       "dev": [(q.id, q.question, q.answer) for q in dev],
                       "examples": [(q.id, q.question, q.answer) for q in few_shot_examples(train, max(grid))]})
    path = cache_dir / "tuning" / f"few-shot-{key}.json"
    if path.exists():
        info = json.loads(path.read_text())
    else:
        from rag_vs_ft.models.generator import open_generator

        gen = open_generator(base_path, dtype, device, cfg.model.max_new_tokens, cfg.model.batch_size,
                             cfg.model.trust_remote_code, backend=cfg.model.backend,
                             settings=cfg.model)

        def answer(examples: list[QAItem], questions: list[QAItem]) -> list[str]:
            arm = spec.make(ArmInputs(generator=gen, retriever=None, top_k=0, few_shot=examples, train=train))
            return [a.answer for a in arm.answer(questions)]

        n, rows = choose_few_shot(grid, train, dev, answer)
        info = {"chosen": n, "selected": True, "grid": rows, "n_dev": len(dev),
                "reason": f"best headline (correct answers) on {len(dev)} dev questions (ties within {TIE}: fewer examples)"}
        atomic_write_json(path, info)
    return few_shot_examples(train, info["chosen"]), info
