"""run.json: the typed record of a run that the report is rendered from — what was run, on what, and what each
stage measured. The pipeline fills it stage by stage; `rag-vs-ft report` validates it before re-rendering an old
run, so a renamed or missing field is a one-line error instead of a silently wrong report.

Sections the report reads field by field are typed; the ones it shows as they come (machine, packages, the
retrieval grid, adapters' training records, …) stay plain mappings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Facts = dict[str, Any]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorpusFacts(_Record):
    documents: int
    characters: int
    questions: dict[str, int]  # per split
    evaluated: int  # test questions answered (eval.limit may cut the split)
    test_questions_in_documents: int  # test questions whose text appears verbatim in a document
    hash: str
    sources: list[Facts]  # one per source: package, version, sha256
    description: str | None = None


class FreshnessFacts(_Record):
    share: float
    documents: list[str]  # withheld from fine-tuning and the first index, added to the index after training
    questions: int  # evaluated questions about them
    train_questions_dropped: int
    index_update_s: float = 0.0
    chunks_added: int = 0


class ArmFacts(_Record):
    role: Literal["candidate", "floor", "ceiling"]
    summary: str
    uses_retrieval: bool = False
    tuned: bool = False
    recipe: str | None = None
    uses_model: bool = True
    uses_few_shot: bool = False
    complexity: int = 0


class JudgeFacts(_Record):
    model: str
    base_url: str | None
    metrics: list[str]
    failures: int
    samples: int
    same_family: bool


class RunRecord(_Record):
    config: Facts  # the validated RunConfig, dumped
    config_hash: str
    device: str
    dtype: str
    machine: Facts
    packages: dict[str, str]
    started: str
    finished: str
    primary_seed: int  # the fine-tuned arms' seed the tables compare; other seeds measure the spread
    seeds: list[int] = []
    arms: dict[str, ArmFacts]  # registry order: candidates, then floors, then the ceiling
    recipes: dict[str, str] = {}  # fine-tuning recipe -> its one-line summary
    corpus: CorpusFacts
    model: Facts
    memory_estimate: list[Facts]
    index: Facts
    retrieval: Facts  # the retrieval settings and how they were chosen (the dev grid)
    freshness: FreshnessFacts
    adapters: list[Facts] = []  # one per (recipe, seed): its training record, coverage and memory
    finetune_search: Facts | None = None
    few_shot: Facts | None = None
    answering: dict[str, Facts]  # per arm label: time, memory, request latencies
    forgetting: Facts | None = None
    judge: JudgeFacts | None = None
    timings_s: dict[str, float]
    few_shot_ids: list[str] = []
