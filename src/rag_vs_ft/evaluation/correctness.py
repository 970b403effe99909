"""Is an answer correct? A per-answer yes/no decision (pure functions); headline.py builds the headline on it.

Why not EM/F1: a correct one-sentence answer to a short reference scores about 0.26 token F1, so their mean
squeezes the scale and lets guessing and refusing win. The decision here asks the question a reader asks: does
the answer state the fact the question asks for? That fact is the reference's *core clause* (its qualifiers —
"…, after consulting the Board", "…; it may be renewed" — are not asked for), and its *key content* is what the
core adds to the question: content words (stemmed, so "notify" meets "notification"), code names and numbers.
On a yes/no question the answer must commit to the right verdict; an echo or a non-answer commits to none. The
rule's parameters are chosen leave-one-corpus-out on hand labels from three corpora
(tests/data/correctness_labels.jsonl; figures in evals/README.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from rag_vs_ft.evaluation.headline import headline_column, stratum
from rag_vs_ft.evaluation.metrics import yes_no, yes_no_verdict
from rag_vs_ft.text import content_words

HEADLINE = "headline"  # the results-row field whose mean over the test questions is the headline (headline.py)
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
    """What the reference adds to the question: (stemmed key words and code names, numbers)."""
    return ((_stems(reference) | _code(reference)) - _stems(question) - _code(question),
            _numbers(reference) - _numbers(question))


# A code name in the reference (`reversed()`, `copy.deepcopy`, `sys.stdout`): the fact itself in technical
# answers, and its stem often collides with the question's words ("in reverse" / `reversed()`).
_CODE = re.compile(r"`([^`\n]{1,60})`|\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_]\w*\([^()\s]{0,20}\))")


def _code(text: str) -> set[str]:
    names = (re.sub(r"\(.*", "", (a or b).strip()).lower() for a, b in _CODE.findall(text))
    return {"`" + n for n in names if re.search(r"[a-z]", n)}  # `{}` names nothing a word could state


def _states(answer: str, key: str, answer_stems: set[str]) -> bool:
    if not key.startswith("`"):
        return key in answer_stems
    name = re.escape(key[1:].strip("_"))  # `path` meets `__path__`: markup often eats dunder underscores
    if re.fullmatch(r"[a-z]+", key[1:]):  # `in`, `try`, `sorted`: ordinary words too, so only as code
        return bool(re.search(rf"`_*{name}_*(?:\(\w*\))?`|\b{name}\(", answer, re.IGNORECASE))
    if re.search(rf"(?<![\w.])_*{name}_*(?![\w])", answer, re.IGNORECASE):
        return True
    head = re.escape(key[1:].split(".")[0])  # `copy` (the module) for `copy.deepcopy`: the same pointer, coarser
    return "." in key and bool(re.search(rf"`{head}(?:\(\))?`", answer, re.IGNORECASE))


# Where a reference stops stating the fact asked and starts qualifying it: a semicolon, a parenthesis, or a comma
# followed by a conditional, relative or contrastive word ("Within 3 months, after consulting the Board";
# "Up to eight weeks, which may be extended by six weeks"; "Five years; it may be renewed").
_QUALIFIER = re.compile(r"\s*;\s*|\s+\(|,\s+(?=(?:unless|except|provided|where|whereas|when|whenever|after|before|"
                        r"even|including|which|who|whose|if|subject|regarding|but|however|although|though|otherwise|"
                        r"save|notwithstanding|as\s+long|so\s+that|in|it|they|this|these|there|\w+ing|\w+ed|"
                        r"and\s+(?:it|they|this|may|must|shall|can))\b)", re.IGNORECASE)
_ASIDE = re.compile(r",\s+(?:where|when|if|as)\s+\w+(?:\s+\w+)?,", re.IGNORECASE)  # ", where feasible," inside


def core_and_qualifiers(reference: str) -> tuple[str, str]:
    """The reference's core clause (the fact asked) and what qualifies it."""
    text = _ASIDE.sub(" ", reference)
    m = _QUALIFIER.search(text)
    return (text[:m.start()], text[m.end():]) if m and m.start() > 0 else (text, "")


@dataclass(frozen=True)
class Rule:
    """The parameters of the free-form decision, chosen by leave-one-corpus-out on the hand labels
    (evals/README.md)."""

    core_share: float = 0.5        # share of the core clause's key content an answer must state
    number_share: float = 0.25     # the same share when the core states numbers and the answer states them all
    qualifier_weight: float = 0.0  # how much a qualifier's key word counts against a core one


# Fitted on the hand labels of all three corpora (tests/evaluation/test_correctness_labels.py checks it is still their choice).
RULE = Rule(core_share=0.6, number_share=0.15, qualifier_weight=0.0)


def states_reference(answer: str, question: str, reference: str, rule: Rule = RULE) -> bool:
    """A free-form answer states the reference's fact: every number of the core clause, and the rule's share of
    its key content (qualifiers weighing `qualifier_weight`)."""
    text = _CITATION.sub(" ", answer)
    core, rest = core_and_qualifiers(reference)
    words, numbers = key_content(question, core)
    if not words and not numbers:  # the core only restates the question: judge the whole reference
        rest = ""
        words, numbers = key_content(question, reference)
        words = words or _stems(reference)
    if not numbers <= _numbers(text):
        return False
    # Numbers and code names pin the fact down: when the answer states every number and one of the code names,
    # fewer of the words around them need repeating ("5 years" for "a maximum period of five years").
    stems = _stems(text)  # once per answer, not once per key word
    names = {k for k in words if k.startswith("`")}
    if names and not any(_states(text, k, stems) for k in names):
        return False
    extra = key_content(question, rest)[0] - words if rest else set()
    total = len(words) + rule.qualifier_weight * len(extra)
    if not total:
        return True
    got = (sum(_states(text, k, stems) for k in words)
           + rule.qualifier_weight * sum(_states(text, k, stems) for k in extra))
    return got / total >= (rule.number_share if numbers or names else rule.core_share)


_AUX = re.compile(r"\b(do|does|did|is|are|was|were|can|could|may|might|must|shall|should|will|would|has|have|had)"
                  r"\s+([\w'-]+)\s+([\w'-]+)", re.IGNORECASE)
COMMIT_SHARE = 0.5  # share of the question's content words a verdict-less first sentence must restate to commit


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", _CITATION.sub(" ", text).strip(), maxsplit=1)[0]


def echoes_question(answer: str, question: str) -> bool:
    """The answer repeats the question's inverted word order ("... may entities outside its scope may submit"):
    an echo, which states no verdict."""
    m = _AUX.search(question)
    if not m:
        return False
    inverted = r"\b" + r"\s+".join(map(re.escape, m.groups())) + r"\b"
    return bool(re.search(inverted, _first_sentence(answer), re.IGNORECASE))


def committed_verdict(answer: str, question: str) -> str | None:
    """The verdict an answer commits to on a yes/no question, or None. An explicit leading yes/no counts. Without
    one, the first sentence must restate the point asked (COMMIT_SHARE of the question's content words, not as an
    echo of the question) and then a negation means "no", none "yes". A refusal, a hedge that talks about
    something else, and an echo commit to nothing."""
    said = yes_no_verdict(answer)
    if said is None or yes_no(answer):
        return said
    first = _first_sentence(answer)
    asked = _stems(question)
    if echoes_question(answer, question) or (asked and len(asked & _stems(first)) / len(asked) < COMMIT_SHARE):
        return None
    return said


def is_correct(answer: str, question: str, reference: str, answerable: bool, refused: bool,
               rule: Rule = RULE) -> bool:
    """The per-answer decision. Unanswerable: correct iff refused. Yes/no reference: the verdict the answer commits
    to. Otherwise: no refusal, and the answer states the core clause's fact (`states_reference`)."""
    if not answerable:
        return refused
    if refused:
        return False
    verdict = yes_no(reference)
    if verdict is not None:
        return committed_verdict(answer, question) == verdict
    return states_reference(answer, question, reference, rule)


def credit(correct: bool, verdict_given: bool, reference: str, answerable: bool) -> float:
    """Chance-corrected credit of one answer, shown per kind: on a yes/no question a right verdict earns 1, a wrong
    one -1 and none (a refusal, a hedge, an echo) 0, so guessing and refusing both average 0; anywhere else a
    correct answer earns 1 and any other 0."""
    if answerable and yes_no(reference) is not None:
        return (1.0 if correct else -1.0) if verdict_given else 0.0
    return float(correct)


def add_correctness(rows: list[dict]) -> list[dict]:
    """`correct`, `credit`, `stratum` and HEADLINE (the per-question value whose mean is the headline, see
    headline.py) for every row of one arm's answers to one question set. A row holds what the harness writes:
    question, reference, answer, answerable, refused, kind. The one place these fields are computed: the harness,
    the few-shot choice on dev and the re-rendering of old runs all come here."""
    judged = []
    for r in rows:
        refused = bool(r["refused"])
        correct = is_correct(r["answer"], r["question"], r["reference"], r["answerable"], refused)
        asks_verdict = r["answerable"] and yes_no(r["reference"]) is not None
        given = asks_verdict and not refused and committed_verdict(r["answer"], r["question"]) is not None
        judged.append({**r, "correct": float(correct), "stratum": stratum(r["kind"], r["reference"], r["answerable"]),
                       "credit": credit(correct, given, r["reference"], r["answerable"])})
    return [{**r, HEADLINE: v} for r, v in zip(judged, headline_column(judged), strict=True)]


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
