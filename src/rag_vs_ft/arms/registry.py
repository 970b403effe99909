"""Every arm and reference row, registered in one place: the pipeline answers with what is registered, the
harness scores it and the report shows it, by the spec's flags alone.

An arm module ends with `register(ArmSpec(...))`; `registered()` imports every module of this package first (and
the modules named in RAG_VS_FT_ARMS, comma-separated, for arms kept outside it), so a new approach — HyDE, a RAFT
arm, a floor — is one module and its test, with no edit anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

from rag_vs_ft.arms.base import Arm
from rag_vs_ft.config import ConfigError, EvalConfig
from rag_vs_ft.corpus.schema import Document, QAItem
from rag_vs_ft.plugins import Registry

Role = Literal["candidate", "floor", "ceiling"]


@dataclass
class ArmInputs:
    """What an arm may be built from. `generator` is None for arms that load no model."""

    generator: object | None
    retriever: object | None
    top_k: int
    few_shot: list[QAItem] = field(default_factory=list)
    train: list[QAItem] = field(default_factory=list)  # train questions (a floor may learn a majority from them)
    documents: dict[str, Document] = field(default_factory=dict)


@dataclass(frozen=True)
class ArmSpec:
    name: str
    role: Role  # candidate: could be deployed; floor: a trivial answerer to beat; ceiling: what is reachable
    summary: str  # one line for the report
    make: Callable[[ArmInputs], Arm]
    uses_retrieval: bool = False  # needs the index; scored on retrieval metrics
    tuned: bool = False  # answers with a fine-tuned adapter (one run per seed)
    recipe: str | None = None  # when tuned: the registered fine-tuning recipe its adapter is trained with
    uses_model: bool = True  # loads the LLM
    uses_few_shot: bool = False  # shows train examples in its prompt: their count is chosen on dev
    complexity: int = 0  # operating complexity: among candidates the data cannot separate, the simplest wins

    def describe(self) -> dict:
        """What the report needs to know about the arm, stored in run.json (a report re-renders without code)."""
        return {"role": self.role, "summary": self.summary, "uses_retrieval": self.uses_retrieval,
                "tuned": self.tuned, "recipe": self.recipe if self.tuned else None, "uses_model": self.uses_model, "uses_few_shot": self.uses_few_shot,
                "complexity": self.complexity}


_ARMS: Registry[ArmSpec] = Registry("arm", "rag_vs_ft.arms", "RAG_VS_FT_ARMS")


def register(spec: ArmSpec) -> ArmSpec:
    return _ARMS.register(spec.name, spec)


def registered() -> dict[str, ArmSpec]:
    """Every registered arm, candidates first (by complexity), then floors, then ceilings."""
    order = {"candidate": 0, "floor": 1, "ceiling": 2}
    return dict(sorted(_ARMS.items().items(), key=lambda kv: (order[kv[1].role], kv[1].complexity, kv[0])))


def candidates() -> list[str]:
    return [n for n, s in registered().items() if s.role == "candidate"]


def references() -> list[str]:
    return [n for n, s in registered().items() if s.role != "candidate"]


def arm_names(eval_cfg: EvalConfig) -> list[str]:
    """The configured candidates, then the reference rows, in registry order (default: every registered one).
    The names are checked here, not in config: settings sit below the arms and do not know which exist."""
    chosen = {"arms": (eval_cfg.arms, candidates()), "references": (eval_cfg.references, references())}
    for key, (names, known) in chosen.items():
        bad = [a for a in names or [] if a not in known]
        if bad or (key == "arms" and names == []):
            raise ConfigError(f"eval.{key}: unknown {key[:-1]}(s) {bad}; choose from {known}")
    return [name for names, known in chosen.values() for name in (names if names is not None else known)]
