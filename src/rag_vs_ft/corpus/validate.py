"""`rag-vs-ft domain validate`: what a user needs to know about a domain before spending compute on it.

Errors make the domain unusable (exit code != 0); warnings are worth reading but a run can go ahead.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.domain import DomainError, domain_dir, load_documents, parse_qa, question_file, read_spec
from rag_vs_ft.corpus.splits import contaminated, normalize_question, split_questions
from rag_vs_ft.evaluation.grounding import SUPPORT_THRESHOLD, content_words


@dataclass
class Validation:
    domain: str
    facts: dict = field(default_factory=dict)  # counts to print
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def unsupported_answers(questions, docs_by_id: dict[str, str]) -> list[tuple[str, float]]:
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


def validate_domain(name: str, cfg: RunConfig) -> Validation:
    from rag_vs_ft.index.retriever import split_documents

    v = Validation(name)
    try:
        path = domain_dir(name, cfg.corpora_dir)
        spec = read_spec(path)
        docs, _ = load_documents(spec, path, cfg.cache_dir)
    except DomainError as exc:
        v.errors.append(str(exc))
        return v
    chunks = split_documents(docs, cfg.retrieval.chunk_size, cfg.retrieval.chunk_overlap)
    v.facts.update(documents=len(docs), characters=sum(len(d.text) for d in docs), chunks=len(chunks),
                   chunk_size=cfg.retrieval.chunk_size)
    small = [d.id for d in docs if len(d.text) < 200]
    if small:
        v.warnings.append(f"{len(small)} document(s) under 200 characters: {', '.join(small[:5])}")
    try:
        qa_path = question_file(spec, path, docs, cfg.cache_dir)
    except DomainError as exc:
        v.errors.append(str(exc))
        return v
    if not Path(qa_path).exists():
        v.errors.append(f"{qa_path}: no question file — write one or run `rag-vs-ft domain synth {name}`")
        return v
    try:
        questions = parse_qa(qa_path, {d.id for d in docs})
    except DomainError as exc:
        v.errors.append(str(exc))
        return v
    items = split_questions(questions, cfg.split.train, cfg.split.dev, cfg.seed)
    by_kind_split: dict[str, Counter] = {}
    for q in items:
        by_kind_split.setdefault(q.kind, Counter())[q.split] += 1
    v.facts["questions"] = len(questions)
    v.facts["by_kind"] = {k: dict(c) for k, c in sorted(by_kind_split.items())}
    v.facts["by_origin"] = dict(Counter(q.origin for q in questions))
    unanswerable = sum(not q.answerable for q in questions)
    v.facts["unanswerable_share"] = round(unanswerable / len(questions), 3)
    if not unanswerable:
        v.warnings.append("no unanswerable questions: refusal and fabrication on them cannot be measured")
    test = [q for q in items if q.split == "test"]
    if not test:
        v.errors.append("no test questions after splitting: add questions or change split.test")
    if len(test) < 30:
        v.warnings.append(f"only {len(test)} test questions: differences between arms will rarely be significant")
    docs_by_id = {d.id: d.text for d in docs}
    bad = unsupported_answers(questions, docs_by_id)
    v.facts["unsupported_answers"] = len(bad)
    if bad:
        v.warnings.append(f"{len(bad)} answer(s) not supported by their cited documents (share of content words "
                          f"found): {', '.join(f'{i} ({s})' for i, s in bad[:8])}")
    counts = Counter(normalize_question(q.question) for q in questions)
    dups = [q.id for q in questions if counts[normalize_question(q.question)] > 1]
    v.facts["duplicate_questions"] = len(dups)
    if dups:
        v.warnings.append(f"{len(dups)} questions share their text with another: {', '.join(dups[:8])}")
    leaked = contaminated(test, [q.question for q in items if q.split in ("train", "dev")])
    v.facts["contaminated_test_questions"] = len(leaked)
    if leaked:
        v.errors.append(f"{len(leaked)} test question(s) also appear among training questions: {', '.join(leaked[:5])}")
    in_docs = contaminated(test, [d.text for d in docs])
    if in_docs:
        v.warnings.append(f"{len(in_docs)} test question(s) occur verbatim in the documents (normal for FAQ-style "
                          "corpora; the fine-tune and the index both read the documents)")
    return v
