"""The `closed_book` recipe: knowledge in question-answer form — the train-split questions plus the questions the
project's extractive generator (`rag-vs-ft domain synth`) writes from every training document.

Ovadia et al. (2024) found facts stick through many paraphrased QA pairs, not through raw text; raw document
pieces can be added (`finetune.documents`), at ~327k tokens for the legal corpus, an hour per epoch on CPU.
"""

from __future__ import annotations

from rag_vs_ft.config import FinetuneConfig
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.finetune.data import document_pieces, encode_document, encode_qa
from rag_vs_ft.finetune.recipes.registry import Recipe, RecipeInputs, register
from rag_vs_ft.finetune.recipes.selection import Item, TrainingSet, group, select


def generated_qa(docs: list[Document], chunk_size: int = 500, chunk_overlap: int = 50) -> list[QAItem]:
    """Questions the extractive generator writes from the documents, through `domain synth`'s filters."""
    from rag_vs_ft.synth.filters import chunk_corpus, filter_pairs
    from rag_vs_ft.synth.run import extractive_candidates

    kept, _ = filter_pairs(extractive_candidates(chunk_corpus(docs, chunk_size, chunk_overlap)))
    return [QAItem(f"gen-{i:05d}", p.question, p.answer, (p.doc_id,), True, p.kind, "train", "synthetic")
            for i, p in enumerate(kept)]


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
    return select("closed_book", items, [encode_qa(tok, q, cfg.max_length) for q in dev_qa], budget,
                   cfg.dev_max_tokens)



def build(tok, inp: RecipeInputs, cfg: FinetuneConfig, budget: int | None, seed: int) -> TrainingSet:
    return closed_book_set(tok, inp.docs, inp.train_qa, inp.dev_qa, cfg, budget)


register(Recipe("closed_book", "a closed-book adapter: knowledge as question-answer pairs", build))
