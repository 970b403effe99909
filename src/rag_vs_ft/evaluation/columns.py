"""Every metric the report shows, in one list: its summary name, its label, the row field it averages, which rows
it is averaged over, the report table it sits in and whether it is plotted. The harness summarises these
columns, the report's tables and the metric bar chart read them, and nothing else names a metric.

A new metric is one module: it defines `score(question, answer) -> float | None` for one question and ends with
`register(Column(..., score=score))`. The harness then writes its value into every results row and the report
shows it. Modules named in RAG_VS_FT_METRICS (comma-separated) are imported too, for metrics kept outside the
package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from rag_vs_ft.answer import Answer
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.correctness import HEADLINE
from rag_vs_ft.plugins import Registry

Rows = Literal["all", "answerable", "unanswerable"]
Table = Literal["quality", "grounding", "judge"]


@dataclass(frozen=True)
class Column:
    name: str  # key in an arm's summary
    label: str  # column header in the report
    table: Table
    field: str | None = None  # the row field averaged (default: the name)
    rows: Rows = "all"
    plotted: bool = False  # a bar in the metric chart
    score: Callable[[QAItem, Answer], float | None] | None = None  # a plug-in's per-question value, else built in

    @property
    def row_field(self) -> str:
        return self.field or self.name


_BUILT_IN = [
    Column(HEADLINE, "correct (headline)", "quality", plotted=True),
    Column("correct", "correct (raw)", "quality", plotted=True),
    Column("answer_score", "answer score", "quality", plotted=True),
    Column("exact_match", "EM", "quality", plotted=True),
    Column("token_f1", "F1", "quality", plotted=True),
    Column("rouge_l", "ROUGE-L", "quality", plotted=True),
    Column("string_similarity", "string sim.", "quality"),
    Column("semantic_similarity", "semantic sim.", "quality", plotted=True),
    Column("refusal_rate_unanswerable", "refusal (unans.)", "grounding", "refused", "unanswerable"),
    Column("wrong_refusal_rate", "wrong refusal", "grounding", "refused", "answerable", plotted=True),
    Column("fabrication_rate", "fabrication", "grounding", "fabricated", plotted=True),
    Column("fabrication_rate_unanswerable", "fabrication (unans.)", "grounding", "fabricated", "unanswerable"),
    Column("context_recall", "ctx recall", "grounding", rows="answerable"),
    Column("context_precision", "ctx precision", "grounding", rows="answerable"),
    Column("citation_rate", "cites a doc", "grounding", "cites"),
    Column("citation_precision", "citation precision", "grounding"),
    Column("judge_faithfulness", "faithfulness", "judge"),  # present only when an LLM judge was configured
    Column("judge_factual_correctness", "factual correctness", "judge"),
]
_METRICS: Registry[Column] = Registry("metric", None, "RAG_VS_FT_METRICS")
for _column in _BUILT_IN:
    _METRICS.register(_column.name, _column)


def register(column: Column) -> Column:
    return _METRICS.register(column.name, column)


def columns(table: Table | None = None) -> list[Column]:
    """The registered columns (built-in first, then plug-ins in the order they registered), of one table or all."""
    return [c for c in _METRICS.items().values() if table is None or c.table == table]


def plug_in_scores(question: QAItem, answer: Answer) -> dict[str, float | None]:
    """The row fields of the registered plug-in metrics for one answered question."""
    return {c.row_field: c.score(question, answer) for c in columns() if c.score is not None}
