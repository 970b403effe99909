"""Pre-flight data checks, in one place: `rag-vs-ft run` refuses on their errors and `rag-vs-ft domain validate`
prints them, so "ok" from validate means run will not refuse for data reasons (and the reverse).

`plan_questions` makes every split-dependent choice a run makes (splits, withheld documents for the freshness
test, the training questions left after withholding, the few-shot examples); `check_questions` judges that
plan. Both callers go through `plan_questions`, so a check can never look at another split than the run uses.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pathlib import Path

from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.domain import DomainError, domain_dir, load_documents, parse_qa, read_spec
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.corpus.splits import (cites_any, contamination_sources, few_shot_examples, normalize_question,
                                     split_questions, withheld_documents)
from rag_vs_ft.evaluation.headline import PRIOR_PAIRED_SD
from rag_vs_ft.evaluation.statistics import TARGET_DIFFERENCE, power_sentence, required_questions
from rag_vs_ft.synth.domain import question_file
from rag_vs_ft.text import SUPPORT_THRESHOLD, content_words
MIN_TEST_QUESTIONS = 30


@dataclass
class QuestionPlan:
    """The splits exactly as a run uses them."""

    splits: dict[str, list[QAItem]]
    withheld: set[str]
    train_qa: list[QAItem]  # train questions whose evidence is not withheld (they would leak it)
    dev_qa: list[QAItem]
    few_shot: list[QAItem]

    def dev_evidence(self) -> list[tuple[str, set[str]]]:
        """(question, evidence ids) of the answerable dev questions: all that tuning choices may look at."""
        return [(q.question, set(q.doc_ids)) for q in self.dev_qa if q.answerable]


@dataclass
class Checked:
    """Errors stop a run; warnings are worth reading but a run goes ahead. Facts are counts to print."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def plan_questions(questions: list[QAItem], cfg: RunConfig) -> QuestionPlan:
    items = split_questions(questions, cfg.split.train, cfg.split.dev, cfg.seed)
    splits = {s: [q for q in items if q.split == s] for s in ("train", "dev", "test")}
    withheld = withheld_documents(splits["test"], cfg.freshness.share, cfg.seed)
    train_qa = [q for q in splits["train"] if not cites_any(q, withheld)]
    dev_qa = [q for q in splits["dev"] if not cites_any(q, withheld)]
    # with the count chosen on dev later, check the most examples it can choose (smaller counts are prefixes)
    most = cfg.eval.few_shot if cfg.eval.few_shot is not None else max(cfg.eval.few_shot_grid)
    return QuestionPlan(splits, withheld, train_qa, dev_qa, few_shot_examples(train_qa, most))


def unsupported_answers(questions: list[QAItem], docs_by_id: dict[str, str]) -> list[tuple[str, float]]:
    """Answerable questions whose answer's content words mostly do not occur in the documents they cite."""
    out = []
    for q in questions:
        if not q.answerable:
            continue
        vocab = set()
        for d in q.doc_ids:
            vocab |= set(re.findall(r"[a-z0-9]+", docs_by_id.get(d, "").lower()))
        words = content_words(q.answer)
        share = sum(w in vocab for w in words) / max(1, len(words))
        if not words or share < SUPPORT_THRESHOLD:
            out.append((q.id, round(share, 2)))
    return out


def size_note(n_test: int, sd: float = PRIOR_PAIRED_SD, target: float = TARGET_DIFFERENCE) -> str | None:
    """A sentence saying the test split is too small to separate arms by `target`, and what it would take."""
    if n_test >= required_questions(sd, target):
        return None
    return "small test split: " + power_sentence(n_test, sd, "expected before any answer", target)


def _contamination(plan: QuestionPlan, domain: str) -> tuple[int, list[str]]:
    """How many test questions occur in a training row or few-shot example, and the error naming them."""
    seen = [q for q in plan.splits["train"] + plan.splits["dev"] + plan.few_shot]
    texts = [t for q in seen for t in (q.question, q.answer)]
    owners = [q for q in seen for _ in (0, 1)]
    found = contamination_sources(plan.splits["test"], texts)
    if not found:
        return 0, []
    shown = "; ".join(f"test {t.id} {t.question!r} occurs in {owners[i].split} {owners[i].id}"
                      for t, i in found[:5])
    return len(found), [f"{len(found)} test question(s) appear in training data or examples: {shown}"
                        f"{' …' if len(found) > 5 else ''}. Fix: drop or reword those rows in qa.jsonl (or "
                        f"regenerate synthetic ones with `rag-vs-ft domain synth {domain} --replace`)"]


def check_questions(questions: list[QAItem], documents: list[Document], cfg: RunConfig,
                    plan: QuestionPlan | None = None) -> tuple[QuestionPlan, Checked]:
    """Judge a question set as a run with `cfg` would use it."""
    plan = plan or plan_questions(questions, cfg)
    c = Checked()
    by_kind_split: dict[str, Counter] = {}
    for s, qs in plan.splits.items():
        for q in qs:
            by_kind_split.setdefault(q.kind, Counter())[s] += 1
    unanswerable = sum(not q.answerable for q in questions)
    test = plan.splits["test"]
    c.facts.update(questions=len(questions), by_kind={k: dict(v) for k, v in sorted(by_kind_split.items())},
                   by_origin=dict(Counter(q.origin for q in questions)),
                   unanswerable_share=round(unanswerable / max(1, len(questions)), 3), test_questions=len(test))
    if not test:
        c.errors.append(f"no test questions after splitting {len(questions)} questions: add questions or raise "
                        "split.test")
    elif note := size_note(len(test)):
        c.warnings.append(note)
    if not unanswerable:
        c.warnings.append("no unanswerable questions: refusal and fabrication on them cannot be measured")
    bad = unsupported_answers(questions, {d.id: d.text for d in documents})
    c.facts["unsupported_answers"] = len(bad)
    if bad:
        c.warnings.append(f"{len(bad)} answer(s) not supported by their cited documents (share of content words "
                          f"found): {', '.join(f'{i} ({s})' for i, s in bad[:8])}")
    counts = Counter(normalize_question(q.question) for q in questions)
    dups = [q.id for q in questions if counts[normalize_question(q.question)] > 1]
    c.facts["duplicate_questions"] = len(dups)
    if dups:  # the split keeps identical questions together, so they cannot leak: a warning only
        c.warnings.append(f"{len(dups)} questions share their text with another: {', '.join(dups[:8])}")
    c.facts["contaminated_test_questions"], leaks = _contamination(plan, cfg.domain)
    c.errors += leaks
    in_docs = contamination_sources(test, [d.text for d in documents])
    if in_docs:
        c.warnings.append(f"{len(in_docs)} test question(s) occur verbatim in the documents (normal for FAQ-style "
                          "corpora; the fine-tune and the index both read the documents)")
    return plan, c


@dataclass
class Validation:
    """What `rag-vs-ft domain validate` prints: the domain's documents and the checks of its questions."""

    domain: str
    facts: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_domain(name: str, cfg: RunConfig) -> Validation:
    """Load the domain the way a run does and apply the run's checks; never raises for bad data."""
    from rag_vs_ft.index.retriever import split_documents

    v = Validation(name)
    try:
        path = domain_dir(name, cfg.corpora_dir)
        spec = read_spec(path)
        docs, _ = load_documents(spec, path, cfg.cache_dir)
        chunks = split_documents(docs, cfg.retrieval.chunk_size, cfg.retrieval.chunk_overlap)
        v.facts.update(documents=len(docs), characters=sum(len(d.text) for d in docs), chunks=len(chunks),
                       chunk_size=cfg.retrieval.chunk_size)
        small = [d.id for d in docs if len(d.text) < 200]
        if small:
            v.warnings.append(f"{len(small)} document(s) under 200 characters: {', '.join(small[:5])}")
        qa_path = question_file(spec, path, docs, cfg.cache_dir)
        if not Path(qa_path).exists():
            v.errors.append(f"{qa_path}: no question file — write one or run `rag-vs-ft domain synth {name}`")
            return v
        questions = parse_qa(qa_path, {d.id for d in docs})
    except DomainError as exc:
        v.errors.append(str(exc))
        return v
    _, checked = check_questions(questions, docs, cfg)
    v.facts.update(checked.facts)
    v.errors += checked.errors
    v.warnings += checked.warnings
    return v
