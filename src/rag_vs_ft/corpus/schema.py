"""The two record types every stage shares: a document and a question."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

# Citations first are skipped, and so is a hedge before the verdict ("In general, no. There are ...").
_LEADING_YES_NO = re.compile(r"^\W*(?:\[[^\]]*\]\W*)*(?:(?:in\s+general|generally|usually|normally|typically|mostly"
                             r"|in\s+short|short\s+answer)\W+)?(yes|no)\b", re.IGNORECASE)


def yes_no(answer: str) -> str | None:
    """The explicit leading "yes" / "no" of an answer (lower case), else None: how a yes/no reference is told
    apart from a free-form one."""
    m = _LEADING_YES_NO.match(answer)
    return m.group(1).lower() if m else None


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    source: str = ""  # where it came from, e.g. "pychoosealicense==2026.5.19:_licenses/mit.txt"


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answer: str
    doc_ids: tuple[str, ...]
    answerable: bool
    kind: str
    split: str = ""  # filled by corpus.splits
    origin: str = "hand-written"  # or "synthetic" (rag-vs-ft domain synth); the report keeps them apart

    def to_dict(self) -> dict:
        d = asdict(self)
        d["doc_ids"] = list(self.doc_ids)
        return d


@dataclass
class Domain:
    name: str
    description: str
    documents: list[Document]
    questions: list[QAItem]
    provenance: list[dict] = field(default_factory=list)  # one entry per source: package, version, sha256

    def doc(self, doc_id: str) -> Document:
        return self.by_id()[doc_id]

    def by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}
