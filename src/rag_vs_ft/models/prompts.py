"""Prompt templates shared by the arms and by fine-tuning (a fine-tuned model is asked the way it was trained)."""

from __future__ import annotations

import re

from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.index.retriever import Hit
from rag_vs_ft.models.generator import Messages
from rag_vs_ft.store import stable_hash

REFUSAL = "The provided documents do not cover this."

# Domain-neutral on purpose: the same prompts serve every domain, so arms differ only in what they know.
CLOSED_BOOK_SYSTEM = (
    "You are a careful assistant. Answer the question in one short sentence. "
    f"If you do not know the answer, reply exactly: {REFUSAL}"
)

RAG_SYSTEM = (
    "You are a careful assistant. Answer the question in one short sentence using only the documents given. "
    "Cite the id of the document you used in square brackets, as written in each document's tag; "
    "a citation alone is not an answer, so always state the answer in words. "
    f"If the documents do not contain the answer, reply exactly: {REFUSAL}"
)
PROMPT_VERSION = stable_hash([CLOSED_BOOK_SYSTEM, RAG_SYSTEM])  # part of every cached answer's key


def closed_book_messages(question: QAItem, examples: list[QAItem] = ()) -> Messages:
    msgs: Messages = [{"role": "system", "content": CLOSED_BOOK_SYSTEM}]
    for ex in examples:
        msgs += [{"role": "user", "content": ex.question}, {"role": "assistant", "content": ex.answer}]
    msgs.append({"role": "user", "content": question.question})
    return msgs


# A document's own text may contain anything, including what looks like our delimiters: those are defused, so a
# document cannot close itself, open a document with another id, or forge a citation header.
_DELIMITER = re.compile(r"<\s*(/?)\s*document\b", re.IGNORECASE)


def defuse(text: str) -> str:
    return _DELIMITER.sub(lambda m: f"‹{m.group(1)}document", text)


def rag_messages(question: QAItem, hits: list[Hit]) -> Messages:
    """The question with its documents, each between delimiters carrying its id; instructions stay in the system
    turn, documents in the user turn."""
    context = "\n".join(f'<document id="{defuse(h.doc_id).replace(chr(34), "")}">\n{defuse(h.title)}\n'
                        f"{defuse(h.text)}\n</document>" for h in hits)
    user = f"Documents:\n{context}\n\nQuestion: {defuse(question.question)}"
    return [{"role": "system", "content": RAG_SYSTEM}, {"role": "user", "content": user}]
