"""The records every synthesis stage shares (a chunk, a candidate pair) and the quality gates for pairs.

Generated pairs are cheap and noisy; a bad pair in the test set silently blames the arms for the generator's
mistakes. So a pair is kept only if its question is a whole interrogative sentence and its answer a whole
sentence (`wellformed`), its answer is backed by the chunk it came from, its question does not
restate the chunk word for word (that tests string matching, not knowledge), its answer says something the
question does not (small models write "How to X?" -> "X."), it is not a near-repeat of a kept question
(repeats would leak across the train/test split) and both sides have a sane length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rag_vs_ft.corpus.schema import Document
from rag_vs_ft.text import SUPPORT_THRESHOLD, content_words
from rag_vs_ft.synth.wellformed import answer_problem, heading_tail, question_problem

REASONS = ("length", "fragment", "incomplete", "copied", "unsupported", "echo", "duplicate")  # checked in order; the first failure counts
COPY_RUN = 12  # a question sharing this many consecutive tokens with the chunk's statements is a copy
DUP_JACCARD = 0.8  # token-set Jaccard at or above which two questions are the same question
Q_WORDS, A_WORDS = (3, 40), (1, 40)
_TOKEN = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")


@dataclass(frozen=True)
class Pair:
    """One candidate question with its answer and where it came from; `evidence` is the source chunk's text
    (used by the filters, never written out)."""

    question: str
    answer: str
    kind: str
    doc_id: str | None = None
    chunk_id: str | None = None
    evidence: str = ""
    answerable: bool = True


@dataclass(frozen=True)
class SourceChunk:
    chunk_id: str  # "<doc id>#<index of the chunk within its document>"
    doc_id: str
    title: str
    text: str
    ends_doc: bool = True  # False: the splitter may have cut the chunk's last sentence short


def chunk_corpus(documents: list[Document], chunk_size: int, chunk_overlap: int) -> list[SourceChunk]:
    """The retriever's own chunks (same splitter, same settings), so a pair's chunk is what RAG would fetch."""
    from rag_vs_ft.index.retriever import split_documents

    seen: dict[str, int] = {}
    out = []
    chunks = split_documents(documents, chunk_size, chunk_overlap)
    for n, c in enumerate(chunks):
        i = seen[c.doc_id] = seen.get(c.doc_id, -1) + 1
        last = n + 1 == len(chunks) or chunks[n + 1].doc_id != c.doc_id
        out.append(SourceChunk(f"{c.doc_id}#{i}", c.doc_id, c.title, c.text, last))
    return out


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def sane_length(question: str, answer: str) -> bool:
    nq, na = len(question.split()), len(answer.split())
    return (Q_WORDS[0] <= nq <= Q_WORDS[1] and question.rstrip().endswith("?")
            and A_WORDS[0] <= na <= A_WORDS[1])


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def supported_by(answer: str, chunk: str) -> bool:
    """At least SUPPORT_THRESHOLD of the answer's content words occur in the chunk and every number does.
    Unlike grounding.supported, words echoed from the question are not excused (a generator can invent the
    question too), and an answer with no content word ("Yes.") cannot be checked, so it is not supported."""
    words = content_words(answer)
    if not words or not _numbers(answer) <= _numbers(chunk):
        return False
    vocab = set(tokens(chunk))
    return sum(w in vocab for w in words) / len(words) >= SUPPORT_THRESHOLD


def _statements(chunk: str) -> list[list[str]]:
    """The chunk's token runs with its own questions removed: restating an FAQ heading is a fine question,
    restating a statement is not."""
    pieces = re.split(r"(?<=[.!?:;])\s+|\n+", chunk)
    return [tokens(p) for p in pieces if p.strip() and not p.rstrip().endswith("?")]


def longest_common_run(a: list[str], b: list[str]) -> int:
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def copied_from(question: str, chunk: str) -> bool:
    q = tokens(question)
    if not q or q == tokens(chunk):
        return True
    return any(longest_common_run(q, s) >= COPY_RUN for s in _statements(chunk))


def echoes(question: str, answer: str) -> bool:
    """The answer adds no content word to the question: it answers nothing."""
    return set(content_words(answer)) <= set(content_words(question))


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def duplicate_of(question: str, earlier: list[list[str]]) -> bool:
    q = tokens(question)
    return any(q == e or jaccard(q, e) >= DUP_JACCARD for e in earlier)


def rejection(pair: Pair, earlier: list[list[str]]) -> str | None:
    """The first reason (in REASONS order) to drop the pair, or None to keep it. Unanswerable pairs have no
    chunk, so only length and duplication apply to them."""
    if not sane_length(pair.question, pair.answer):
        return "length"
    if question_problem(pair.question) or (pair.answerable and heading_tail(pair.question, pair.evidence)):
        return "fragment"
    if answer_problem(pair.answer):
        return "incomplete"
    if pair.answerable and copied_from(pair.question, pair.evidence):
        return "copied"
    if pair.answerable and not supported_by(pair.answer, pair.evidence):
        return "unsupported"
    if pair.answerable and echoes(pair.question, pair.answer):
        return "echo"
    if duplicate_of(pair.question, earlier):
        return "duplicate"
    return None


def filter_pairs(pairs: Iterable[Pair], seen: Iterable[str] = ()) -> tuple[list[Pair], dict[str, int]]:
    """Keep pairs in order; `seen` are questions already kept elsewhere (duplicates of them are dropped too).
    Returns the kept pairs and a count per reason (every reason present, zero included)."""
    earlier = [tokens(q) for q in seen]
    kept, counts = [], dict.fromkeys(REASONS, 0)
    for pair in pairs:
        reason = rejection(pair, earlier)
        if reason:
            counts[reason] += 1
            continue
        kept.append(pair)
        earlier.append(tokens(pair.question))
    return kept, counts


def contained(rows: list[tuple[str, str]]) -> list[int]:
    """Indices of (question, answer) rows whose question occurs, as whole words, in another row's question or
    answer. Whichever split such a question lands in, the other row may land in train: `run` would refuse it as
    contamination, so synth never writes it."""
    norm = [(" " + " ".join(tokens(q)) + " ", " " + " ".join(tokens(a)) + " ") for q, a in rows]
    haystack = "\n".join(q + "\n" + a for q, a in norm)
    return [i for i, (q, a) in enumerate(norm) if haystack.count(q) > 1 + a.count(q)]
