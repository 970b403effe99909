"""The `raft` recipe: RAFT examples (finetune.raft) in the RAG prompt the arm is asked with — the question among
`top_k` retrieved chunks, the oracle chunk present with probability P."""

from __future__ import annotations

from typing import Callable

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.finetune.data import Example, encode_chat
from rag_vs_ft.finetune.raft import RaftExample, raft_examples
from rag_vs_ft.finetune.recipes.registry import Recipe, RecipeInputs, register
from rag_vs_ft.finetune.recipes.selection import Item, TrainingSet, group, round_robin_within, select
from rag_vs_ft.index.retriever import Hit
from rag_vs_ft.models.prompts import rag_messages

RAFT_MAX_LENGTH = 4096  # a RAFT prompt is never cut: the answer comes after the documents
SEARCH_DEPTH = 4  # RAFT looks this many times top_k deep for the oracle and the hard negatives


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
    tset = select("raft", train, dev, None, cfg.dev_max_tokens)
    tset.available, tset.available_tokens = len(sized), sum(len(it[3].input_ids) for it in sized)
    return tset


def build(tok, inp: RecipeInputs, cfg: FinetuneConfig, budget: int | None, seed: int) -> TrainingSet:
    return raft_set(tok, inp.train_qa, inp.dev_qa, inp.search, inp.top_k, cfg, budget, seed, inp.withheld)


register(Recipe("raft", "a RAFT adapter trained in its RAG prompt (the oracle chunk among retrieved distractors)",
                build, needs_retriever=True))
