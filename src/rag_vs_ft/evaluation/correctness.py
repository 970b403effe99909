"""Is an answer correct? A per-answer yes/no decision, and the headline built on it: the share of correct
answers, chance-corrected on yes/no questions and macro-averaged over the kinds of answerable questions (pure
functions).

Why not EM/F1: a correct one-sentence answer to a short reference scores about 0.26 token F1, so their mean
squeezes the scale and lets guessing and refusing win. The decision here asks the question a reader asks: does
the answer state what the reference states? The reference's *key content* is what it adds to the question: its
content words that the question does not already contain (stemmed, so "notify" meets "notification"), and
every number. An answer is correct when it is not a refusal, states every key number, and contains at least
KEY_SHARE of the key words. Agreement with hand labels is tested on tests/data/correctness_labels.jsonl and
stated in evals/README.md.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from rag_vs_ft.evaluation.grounding import content_words
from rag_vs_ft.evaluation.metrics import yes_no, yes_no_verdict

HEADLINE = "headline"  # the results-row field of the weighted credit, whose mean over questions is the headline
KEY_SHARE = 0.5  # share of the reference's key words an answer must contain (calibrated on the labels)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
# "one" is left out: far more often an article-like word ("one of the", "one supervisory authority") than a fact.
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split()) if i >= 2}
_CITATION = re.compile(r"\[[^\]]*\]")


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.porter import PorterStemmer  # importing nltk takes ~2 s: only when an answer is judged

    return PorterStemmer()


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


def _numbers(text: str) -> set[str]:
    """Numbers stated as digits or as words from two to twelve ("eight weeks" states 8)."""
    words = re.findall(r"[a-z]+", text.lower())
    return ({n.replace(",", ".").split(".")[0] for n in _NUMBER.findall(text)}
            | {_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS})


def _stems(text: str) -> set[str]:
    """Stemmed content words; numbers (digits or words) are left to `_numbers`."""
    return {_stem(w) for w in content_words(text) if not w.isdigit() and w not in _NUMBER_WORDS}


def key_content(question: str, reference: str) -> tuple[set[str], set[str]]:
    """What the reference adds to the question: (stemmed key words, numbers)."""
    return _stems(reference) - _stems(question), _numbers(reference) - _numbers(question)


def is_correct(answer: str, question: str, reference: str, answerable: bool, refused: bool) -> bool:
    """The per-answer decision. Unanswerable: correct iff refused. Yes/no reference: the answer's verdict.
    Otherwise: no refusal, every key number, and at least KEY_SHARE of the key words."""
    if not answerable:
        return refused
    if refused:
        return False
    verdict = yes_no(reference)
    if verdict is not None:
        return yes_no_verdict(answer) == verdict
    text = _CITATION.sub(" ", answer)
    words, numbers = key_content(question, reference)
    if not numbers <= _numbers(text):
        return False
    if not words:  # the reference only restates the question: it must be (almost) contained whole
        words = _stems(reference)
    return not words or len(words & _stems(text)) / len(words) >= KEY_SHARE


def credit(correct: bool, refused: bool, reference: str, answerable: bool) -> float:
    """Chance-corrected credit of one answer. On a yes/no question a coin flip expects as many right as wrong
    verdicts, so a right one earns 1, a wrong one -1 and a refusal 0: guessing and refusing both average 0.
    Anywhere else a correct answer earns 1 and any other 0."""
    if answerable and yes_no(reference) is not None and not refused:
        return 1.0 if correct else -1.0
    return float(correct)


def headline_weights(kinds: Sequence[str], answerable: Sequence[bool]) -> list[float]:
    """Per-question weights whose weighted mean of credits is the mean over question kinds of each kind's mean
    credit on its answerable questions (a macro average: 28 yes/no questions cannot outvote 50 article
    questions by number). Unanswerable questions weigh 0 here; the refusal criterion judges them, because an
    unanswerable "kind" in the average would hand a refuse-everything answerer 1/K of the scale."""
    counts: dict[str, int] = {}
    for k, a in zip(kinds, answerable, strict=True):
        if a:
            counts[k] = counts.get(k, 0) + 1
    return [len(kinds) / (len(counts) * counts[k]) if a else 0.0 for k, a in zip(kinds, answerable)]


def add_correctness(rows: list[dict]) -> list[dict]:
    """`correct`, `credit` and HEADLINE (the credit weighted for the macro average) for every row of one arm's
    answers to one question set. A row holds what the harness writes: question, reference, answer, answerable,
    refused, kind. The one place these three fields are computed: the harness, the few-shot choice on dev and the
    re-rendering of old runs all come here."""
    weights = headline_weights([r["kind"] for r in rows], [r["answerable"] for r in rows])
    out = []
    for r, w in zip(rows, weights, strict=True):
        refused = bool(r["refused"])
        correct = is_correct(r["answer"], r["question"], r["reference"], r["answerable"], refused)
        c = credit(correct, refused, r["reference"], r["answerable"])
        out.append({**r, "correct": float(correct), "credit": c, HEADLINE: c * w})
    return out


def headline_score(answers: Sequence[str], questions: Sequence) -> float:
    """The headline of a list of answers to QAItems, as the report computes it."""
    from rag_vs_ft.evaluation.refusal import is_refusal

    rows = add_correctness([{"question": q.question, "reference": q.answer, "answer": text, "kind": q.kind,
                             "answerable": q.answerable, "refused": is_refusal(text)}
                            for text, q in zip(answers, questions, strict=True)])
    return sum(r[HEADLINE] for r in rows) / max(1, len(rows))


def agreement(pairs: Sequence[tuple[bool, bool]]) -> dict | None:
    """Balanced accuracy and Cohen's kappa of (decision, label) pairs; None when either class is missing."""
    n = len(pairs)
    pos = sum(bool(lab) for _, lab in pairs)
    if not n or pos in (0, n):
        return None
    tp = sum(bool(d) and bool(lab) for d, lab in pairs)
    tn = sum(not d and not lab for d, lab in pairs)
    observed = (tp + tn) / n
    p_dec, p_lab = sum(bool(d) for d, _ in pairs) / n, pos / n
    chance = p_dec * p_lab + (1 - p_dec) * (1 - p_lab)
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    return {"n": n, "correct": pos, "balanced_accuracy": (tp / pos + tn / (n - pos)) / 2, "kappa": kappa}
