"""What every recipe's training set is made of, and how a set is cut to the token budget of an epoch.

On CPU a full epoch must fit the run, so each set is capped at a token budget per epoch. Examples are taken
round-robin over documents (the i-th example of every document before any (i+1)-th), so the cap cuts depth, not
the number of documents the adapter learns about. Dev examples are capped too: a dev-loss evaluation of RAFT
prompts costs as much as answering them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.finetune.data import Example


@dataclass
class TrainingSet:
    recipe: str
    examples: list[Example]
    dev: list[Example]
    documents: set[str]  # documents the kept examples teach (for coverage)
    available: int  # examples before the budget
    available_tokens: int
    sources: dict[str, int] = field(default_factory=dict)  # kept examples by source

    def summary(self) -> dict:
        return {"recipe": self.recipe, "examples": len(self.examples), "available": self.available,
                "tokens": sum(len(e.input_ids) for e in self.examples), "available_tokens": self.available_tokens,
                "dev_examples": len(self.dev), "sources": self.sources, "documents": len(self.documents)}


def round_robin_within(groups: list[str], sizes: list[int], budget: int | None, seed: int = 0) -> list[int]:
    """Indices of the items kept under `budget` (total size), the i-th item of every group before any (i+1)-th
    (groups in a seeded random order, so no source of examples goes first); an item that does not fit is skipped
    and smaller ones after it may still fit. Kept in input order."""
    if budget is None:
        return list(range(len(sizes)))
    rng = random.Random(seed)
    rank: dict[str, int] = {}
    order = []
    for i, g in enumerate(groups):
        rank[g] = rank.get(g, -1) + 1
        order.append((rank[g], rng.random(), i))
    kept, used = [], 0
    for _, _, i in sorted(order):
        if used + sizes[i] <= budget:
            kept.append(i)
            used += sizes[i]
    return sorted(kept)


def capped(examples: list[Example], budget: int) -> list[Example]:
    """The first examples whose tokens fit the budget (at least one)."""
    out, used = [], 0
    for e in examples:
        if out and used + len(e.input_ids) > budget:
            break
        out.append(e)
        used += len(e.input_ids)
    return out


Item = tuple[str, str, tuple[str, ...], Example]  # (source, round-robin group, documents taught, example)


def group(q: QAItem) -> str:
    """Round-robin group: the evidence documents; an unanswerable question is a group of its own (lumped
    together, refusals would get one example in a capped set)."""
    return "|".join(q.doc_ids) or f"question:{q.id}"


def select(recipe: str, items: list[Item], dev: list[Example], budget: int | None, dev_budget: int) -> TrainingSet:
    items = [it for it in items if any(label != -100 for label in it[3].labels)]  # a cut prompt has no answer
    keep = round_robin_within([g for _, g, _, _ in items], [len(it[3].input_ids) for it in items], budget)
    sources: dict[str, int] = {}
    for i in keep:
        sources[items[i][0]] = sources.get(items[i][0], 0) + 1
    return TrainingSet(recipe, [items[i][3] for i in keep], capped(dev, dev_budget),
                       {d for i in keep for d in items[i][2]}, len(items),
                       sum(len(it[3].input_ids) for it in items), sources)


