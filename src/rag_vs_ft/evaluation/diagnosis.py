"""Where each arm loses its points (pure functions over results rows).

Retrieval arms: every answerable question is correct, a *retrieval miss* (no evidence document among the
retrieved ones) or a *reading miss* (the evidence was retrieved, the answer is still wrong). Closed-book arms:
every wrong answer to an answerable question is a refusal, a fabrication (backed by no evidence), or otherwise
wrong. The bottleneck sentence compares the main RAG arm's losses with the ceiling: the same prompt with the
gold evidence shows what the reading model can do when retrieval is perfect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetrievalDiagnosis:
    arm: str
    n: int              # answerable questions
    correct: float      # shares of n
    retrieval_miss: float
    reading_miss: float
    evidence_found: float  # share with at least one evidence document retrieved


@dataclass(frozen=True)
class ClosedBookDiagnosis:
    arm: str
    n: int          # answerable questions
    correct: float  # shares of n
    refused: float
    fabricated: float
    other_wrong: float


def _answerable(rows: list[dict], arm: str) -> list[dict]:
    return [r for r in rows if r["arm"] == arm and r["answerable"]]


def retrieval_diagnosis(rows: list[dict], arm: str) -> RetrievalDiagnosis | None:
    rs = _answerable(rows, arm)
    if not rs:
        return None
    found = [bool(r.get("context_recall")) for r in rs]
    correct = [bool(r["correct"]) for r in rs]
    n = len(rs)
    return RetrievalDiagnosis(
        arm, n, sum(correct) / n,
        retrieval_miss=sum(not f and not c for f, c in zip(found, correct)) / n,
        reading_miss=sum(f and not c for f, c in zip(found, correct)) / n,
        evidence_found=sum(found) / n)


def closed_book_diagnosis(rows: list[dict], arm: str) -> ClosedBookDiagnosis | None:
    rs = _answerable(rows, arm)
    if not rs:
        return None
    n = len(rs)
    wrong = [r for r in rs if not r["correct"]]
    refused = sum(bool(r["refused"]) for r in wrong)
    fabricated = sum(bool(r.get("fabricated")) and not r["refused"] for r in wrong)
    return ClosedBookDiagnosis(arm, n, (n - len(wrong)) / n, refused / n, fabricated / n,
                               (len(wrong) - refused - fabricated) / n)


ROW_CLASSES = ("correct", "retrieval miss", "reading miss", "refused", "fabricated", "other wrong",
               "answered unanswerable")


def row_class(row: dict, uses_retrieval: bool) -> str:
    """One answer's diagnosis, by the rules the shares above are computed with: a retrieval arm's wrong answer to
    an answerable question is a retrieval or a reading miss; a closed-book arm's is a refusal, a fabrication or
    otherwise wrong; a wrong answer to an unanswerable question answered what it should have refused."""
    if row["correct"]:
        return "correct"
    if not row["answerable"]:
        return "answered unanswerable"
    if uses_retrieval:
        return "reading miss" if row.get("context_recall") else "retrieval miss"
    if row["refused"]:
        return "refused"
    return "fabricated" if row.get("fabricated") else "other wrong"


READING_LIMITS = 0.5  # below this share correct with gold evidence, the reading model is the limit


def bottleneck(rag: RetrievalDiagnosis, ceiling_correct: float | None) -> str:
    """One sentence: which of retrieval and reading costs the RAG arm more, with the numbers, and what to try."""
    head = (f"Retrieval found the evidence for {rag.evidence_found:.0%} of answerable questions and {rag.arm} "
            f"answered {rag.correct:.0%} correctly (lost to retrieval misses {rag.retrieval_miss:.0%}, to reading "
            f"misses {rag.reading_miss:.0%})")
    if ceiling_correct is not None:
        head += f"; given the gold evidence the model answers {ceiling_correct:.0%} correctly"
    reading_limits = rag.reading_miss >= rag.retrieval_miss
    if ceiling_correct is not None and ceiling_correct < READING_LIMITS:
        reading_limits = True
    if reading_limits:
        return (head + ": the reading model limits RAG on this corpus, so a larger (or fine-tuned) reader is the "
                "first thing to try.")
    return (head + ": retrieval limits RAG on this corpus, so better retrieval (chunking, hybrid search, a "
            "reranker, more top_k) is the first thing to try.")


def diagnose(rows: list[dict], specs: dict[str, dict]) -> dict:
    """Per-arm diagnoses and the bottleneck sentence. `specs`: run.json's description of every arm."""
    cands = [a for a, s in specs.items() if s.get("role") == "candidate" and _answerable(rows, a)]
    retrieval = [d for a in cands if specs[a].get("uses_retrieval") and (d := retrieval_diagnosis(rows, a))]
    closed = [d for a in cands if not specs[a].get("uses_retrieval") and (d := closed_book_diagnosis(rows, a))]
    ceiling = next((a for a, s in specs.items() if s.get("role") == "ceiling" and _answerable(rows, a)), None)
    ceiling_correct = retrieval_diagnosis(rows, ceiling).correct if ceiling else None
    main = min(retrieval, key=lambda d: (specs[d.arm].get("complexity", 0), d.arm), default=None)
    return {"retrieval": retrieval, "closed_book": closed, "ceiling": ceiling, "ceiling_correct": ceiling_correct,
            "bottleneck": bottleneck(main, ceiling_correct) if main else None}
