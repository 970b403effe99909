"""The two adapters' training sets, built from the train split and the training documents only.

- `closed_book` (the `finetune` arm): knowledge in question-answer form — the train-split questions plus the
  questions the project's extractive generator (`rag-vs-ft domain synth`) writes from every training document.
  Ovadia et al. (2024) found facts stick through many paraphrased QA pairs, not through raw text; raw document
  pieces can be added (`finetune.documents`), at ~327k tokens for the legal corpus, an hour per epoch on CPU.
- `raft` (the `finetune_rag` arm): RAFT examples (finetune.raft) in the RAG prompt the arm is asked with — the
  question among `top_k` retrieved chunks, the oracle chunk present with probability P.

On CPU a full epoch must fit the run, so each set is capped at a token budget per epoch. Examples are taken
round-robin over documents (the i-th example of every document before any (i+1)-th), so the cap cuts depth, not
the number of documents the adapter learns about. Dev examples are capped too: a dev-loss evaluation of RAFT
prompts costs as much as answering them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from rag_vs_ft.models.prompts import rag_messages
from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.finetune.data import Example, document_pieces, encode_chat, encode_document, encode_qa
from rag_vs_ft.finetune.raft import RaftExample, raft_examples
from rag_vs_ft.index.retriever import Hit

RECIPES = ("closed_book", "raft")
RAFT_MAX_LENGTH = 4096  # a RAFT prompt is never cut: the answer comes after the documents
SEARCH_DEPTH = 4  # RAFT looks this many times top_k deep for the oracle and the hard negatives


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


def generated_qa(docs: list[Document], chunk_size: int = 500, chunk_overlap: int = 50) -> list[QAItem]:
    """Questions the extractive generator writes from the documents, through `domain synth`'s filters."""
    from rag_vs_ft.synth.filters import chunk_corpus, filter_pairs
    from rag_vs_ft.synth.run import extractive_candidates

    kept, _ = filter_pairs(extractive_candidates(chunk_corpus(docs, chunk_size, chunk_overlap)))
    return [QAItem(f"gen-{i:05d}", p.question, p.answer, (p.doc_id,), True, p.kind, "train", "synthetic")
            for i, p in enumerate(kept)]


Item = tuple[str, str, tuple[str, ...], Example]  # (source, round-robin group, documents taught, example)


def group(q: QAItem) -> str:
    """Round-robin group: the evidence documents; an unanswerable question is a group of its own (lumped
    together, refusals would get one example in a capped set)."""
    return "|".join(q.doc_ids) or f"question:{q.id}"


def _select(recipe: str, items: list[Item], dev: list[Example], budget: int | None, dev_budget: int) -> TrainingSet:
    items = [it for it in items if any(label != -100 for label in it[3].labels)]  # a cut prompt has no answer
    keep = round_robin_within([g for _, g, _, _ in items], [len(it[3].input_ids) for it in items], budget)
    sources: dict[str, int] = {}
    for i in keep:
        sources[items[i][0]] = sources.get(items[i][0], 0) + 1
    return TrainingSet(recipe, [items[i][3] for i in keep], capped(dev, dev_budget),
                       {d for i in keep for d in items[i][2]}, len(items),
                       sum(len(it[3].input_ids) for it in items), sources)


def closed_book_set(tok, docs: list[Document], train_qa: list[QAItem], dev_qa: list[QAItem], cfg: FinetuneConfig,
                    budget: int | None) -> TrainingSet:
    items: list[Item] = [("train QA", group(q), q.doc_ids, encode_qa(tok, q, cfg.max_length)) for q in train_qa]
    if cfg.generated_qa:
        items += [("generated QA", q.doc_ids[0], q.doc_ids, encode_qa(tok, q, cfg.max_length))
                  for q in generated_qa(docs)]
    if cfg.documents:
        for d in docs:
            items += [("document piece", d.id, (d.id,), encode_document(tok, text, cfg.max_length))
                      for text in document_pieces([d], cfg.doc_chunk_chars)]
    return _select("closed_book", items, [encode_qa(tok, q, cfg.max_length) for q in dev_qa], budget,
                   cfg.dev_max_tokens)


def encode_raft(tok, ex: RaftExample) -> Example:
    return encode_chat(tok, rag_messages(ex.question, ex.documents), ex.target, RAFT_MAX_LENGTH)


def raft_set(tok, train_qa: list[QAItem], dev_qa: list[QAItem], search: Callable[[list[str], int], list[list[Hit]]],
             top_k: int, cfg: FinetuneConfig, budget: int | None, seed: int, exclude: set[str] = frozenset()
             ) -> TrainingSet:
    """`search` is the run's retriever (the one the arm answers with); hits from `exclude` (documents withheld
    from training) never reach an example."""
    def ranked(questions: list[str]) -> list[list[Hit]]:
        return [[h for h in hits if h.doc_id not in exclude] for hits in search(questions, SEARCH_DEPTH * top_k)]

    def item(e: RaftExample) -> Item:
        return ("RAFT with oracle" if e.oracle else "RAFT refusal", group(e.question),
                tuple(dict.fromkeys(h.doc_id for h in e.documents)), encode_raft(tok, e))

    # sized on every train question, then rebuilt on the questions the budget kept, so that the oracle share
    # holds exactly in the set that is trained on
    sized = [item(e) for e in raft_examples(train_qa, ranked, top_k, cfg.raft_p_oracle, seed)]
    keep = round_robin_within([g for _, g, _, _ in sized], [len(it[3].input_ids) for it in sized], budget, seed)
    kept_qa = [train_qa[i] for i in keep]
    train = [item(e) for e in raft_examples(kept_qa, ranked, top_k, cfg.raft_p_oracle, seed)]
    dev = [encode_raft(tok, e) for e in raft_examples(dev_qa, ranked, top_k, cfg.raft_p_oracle, seed + 1)]
    tset = _select("raft", train, dev, None, cfg.dev_max_tokens)
    tset.available, tset.available_tokens = len(sized), sum(len(it[3].input_ids) for it in sized)
    return tset
