"""Per-answer metrics as pure functions. ROUGE-L, string and semantic similarity come from ragas' non-LLM
metrics; exact match, token F1 and the retrieval metrics are defined here because ragas has no offline
equivalent with these semantics (yes/no matching, refusal as the right answer; the retrieval metrics equal
ragas' ID-based ones, tested). Refusal detection is in refusal.py, fabrication and citations in grounding.py."""

from __future__ import annotations

import os
import re
import string
from collections import Counter
from functools import lru_cache
from typing import Sequence

from rag_vs_ft.corpus.schema import yes_no
from rag_vs_ft.evaluation.refusal import is_refusal

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # ragas posts usage analytics unless told not to

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.\-]*)\]")


def normalize_answer(text: str) -> str:
    """SQuAD-style: lower case, no punctuation, no articles, single spaces; citations dropped."""
    text = _CITATION.sub(" ", text).lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    return " ".join(_ARTICLES.sub(" ", text).split())


_NEGATION = re.compile(r"\b(no|not|never|neither|nor|none|without)\b|n't\b", re.IGNORECASE)


def yes_no_verdict(text: str) -> str | None:
    """What a free-form answer says to a yes/no question: its leading yes/no if it has one; otherwise a
    negation in its first sentence means "no" ("The MIT License does not require ..."), none means "yes";
    a refusal says neither."""
    explicit = yes_no(text)
    if explicit or is_refusal(text):
        return explicit
    first_sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return "no" if _NEGATION.search(first_sentence) else "yes"


def exact_match(prediction: str, reference: str) -> float:
    ref_yn = yes_no(reference)
    if ref_yn is not None:  # a yes/no question is judged on its yes/no alone
        return float(yes_no_verdict(prediction) == ref_yn)
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def cited_ids(text: str) -> list[str]:
    return list(dict.fromkeys(_CITATION.findall(text)))


def context_recall(retrieved: Sequence[str], gold: Sequence[str]) -> float | None:
    """Share of the evidence documents that were retrieved (None when there is no evidence to find)."""
    if not gold:
        return None
    return sum(g in set(retrieved) for g in gold) / len(gold)


def context_precision(retrieved: Sequence[str], gold: Sequence[str]) -> float | None:
    """Share of retrieved documents that are evidence documents."""
    if not gold or not retrieved:
        return None if not gold else 0.0
    return sum(r in set(gold) for r in retrieved) / len(retrieved)


@lru_cache(maxsize=1)
def _ragas_string_metrics():
    from ragas.metrics.collections import NonLLMStringSimilarity, RougeScore

    return RougeScore(rouge_type="rougeL", mode="fmeasure"), NonLLMStringSimilarity()


def rouge_l(prediction: str, reference: str) -> float:
    return float(_ragas_string_metrics()[0].score(reference=reference, response=prediction).value)


def string_similarity(prediction: str, reference: str) -> float:
    """1 - normalised Levenshtein distance (ragas NonLLMStringSimilarity)."""
    return float(_ragas_string_metrics()[1].score(reference=reference, response=prediction).value)


def semantic_similarity_metric(st_model):
    """ragas SemanticSimilarity on an already-loaded sentence-transformers model (no second model load).
    `metric.embeddings.warm(texts)` embeds many texts in one batch first: one by one is ~20x slower on CPU."""
    from ragas.embeddings.base import BaseRagasEmbedding
    from ragas.metrics.collections import SemanticSimilarity

    class _LoadedModel(BaseRagasEmbedding):
        def __init__(self):
            super().__init__()
            self.memo: dict[str, list[float]] = {}

        def warm(self, texts: list[str]) -> None:
            todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
            if todo:
                vecs = st_model.encode(todo, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
                self.memo.update(zip(todo, (v.tolist() for v in vecs)))

        def embed_text(self, text: str, **kwargs) -> list[float]:
            self.warm([text])
            return self.memo[text]

        async def aembed_text(self, text: str, **kwargs) -> list[float]:
            return self.embed_text(text)

    return SemanticSimilarity(embeddings=_LoadedModel())


def answer_metrics(prediction: str, reference: str, answerable: bool, semantic=None) -> dict[str, float]:
    """Quality metrics of one answer. On an unanswerable question the right answer is a refusal, so exact
    match and F1 score the refusal itself; text-overlap metrics still compare against the reference text."""
    refused = is_refusal(prediction)
    out = {
        "refused": float(refused),
        "rouge_l": rouge_l(prediction, reference),
        "string_similarity": string_similarity(prediction, reference),
    }
    if answerable:
        out["exact_match"] = exact_match(prediction, reference)
        out["token_f1"] = token_f1(prediction, reference)
    else:
        out["exact_match"] = out["token_f1"] = float(refused)
    if semantic is not None:
        out["semantic_similarity"] = float(semantic.score(reference=reference, response=prediction or " ").value)
    return out
