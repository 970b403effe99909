"""Run configuration: validated pydantic models plus BERGEN-style `key=value` overrides."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

EMBEDDED_LLM = "embedded:smollm2-135m-instruct"
EMBEDDED_EMBEDDER = "embedded:all-minilm-l6-v2"
# Training tokens per adapter and epoch on CPU, so that the default run's adapters finish their epochs inside
# ~25 min cold. Measured on 2-core AMD EPYCs: without native bf16 (fp32) QLoRA trained ~94 tokens/s and two
# adapters x two epochs of 12k tokens took 11.5 min; with AVX512-BF16 (bf16) the same took 4.2 min (~190 tokens/s),
# so such a CPU gets a larger set. A GPU trains the whole set.
CPU_TRAIN_TOKENS = {"float32": 12000, "bfloat16": 30000}


class ConfigError(ValueError):
    """A bad override or config value; the message is one line meant for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Strict):
    name: str = Field(EMBEDDED_LLM, description="generator: the embedded default, an HF model id or a local path")
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    trust_remote_code: bool = False
    max_new_tokens: int = Field(40, ge=1, le=2048)
    batch_size: int = Field(16, ge=1, le=256, description="questions generated together (CPU: 16 beats 8 by ~20%)")
    prefix_cache: bool = Field(True, description="backend=hf: prefill the prompt prefix a batch shares once "
                               "and reuse its key/value cache for every row (same tokens, less compute)")
    backend: str = Field("hf", description="generator backend the arms answer with: a module in "
                         "models/backends/ (hf: transformers in this process; openai: an OpenAI-compatible "
                         "server at model.base_url; llamacpp: llama.cpp's server started by the run)")
    base_url: str | None = Field(None, description="backend=openai: the server's OpenAI-compatible base URL "
                                 "(vLLM, llama.cpp, TGI, Ollama), e.g. http://127.0.0.1:8080/v1")
    served_name: str | None = Field(None, description="backend=openai: the base model's name on the server "
                                    "(default: the first model it lists)")
    lora: Literal["auto", "vllm", "llamacpp"] = Field(
        "auto", description="backend=openai: how a tuned arm's adapter is chosen per request (vllm: by model "
        "name; llamacpp: by adapter id; auto: llamacpp when the server lists /lora-adapters)")
    api_key_env: str = Field("RAG_VS_FT_MODEL_API_KEY", description="environment variable holding the served "
                             "model's key (local servers need none)")
    timeout_s: float = Field(300.0, gt=0, description="served backends: seconds one answer may take")
    concurrency: list[int] = Field([1, 4, 16], min_length=1, description="served backends: the loads (requests "
                                   "in flight) at which each candidate's throughput and p50/p95 are measured")

    def answer_settings(self) -> dict[str, Any]:
        """The settings an answer can depend on, for cache keys: how answers are fetched and timed stays out,
        and so do a served backend's addresses when another backend answers (a new such setting never throws
        cached answers away)."""
        unused = {"concurrency", "timeout_s", "api_key_env"}
        if self.backend == "hf":
            unused |= {"base_url", "served_name", "lora"}
        else:
            unused |= {"prefix_cache"}
        return {k: v for k, v in self.model_dump().items() if k not in unused}

    @field_validator("concurrency")
    @classmethod
    def _loads_positive(cls, v: list[int]) -> list[int]:
        if any(not 1 <= c <= 256 for c in v):
            raise ValueError("concurrency levels must be between 1 and 256")
        return sorted(set(v))


RETRIEVAL_MODES = ("dense", "bm25", "hybrid")


class RetrievalConfig(_Strict):
    embedder: str = EMBEDDED_EMBEDDER
    embedder_backend: Literal["auto", "torch", "onnx-int8"] = Field(
        "torch", description="auto: on a CPU, the embedder as an int8 ONNX Runtime model (~1.9x faster) where "
        "the dev check finds recall@k and MRR at the grid's pick at most 0.01 below PyTorch's, else PyTorch; "
        "PyTorch on a GPU (opt-in until the whole suite has run with it)")
    mode: Literal["auto", "dense", "bm25", "hybrid"] = Field(
        "auto", description="auto: pick mode, top_k and chunk size from the grid on the dev questions")
    chunk_size: int = Field(500, ge=50, le=20000, description="characters per chunk (mode != auto)")
    chunk_overlap: int = Field(50, ge=0, le=5000)
    top_k: int = Field(3, ge=1, le=50, description="chunks in the prompt (mode != auto)")
    grid_modes: list[Literal["dense", "bm25", "hybrid"]] = Field(list(RETRIEVAL_MODES), min_length=1)
    grid_top_k: list[int] = Field([3, 5, 8], min_length=1)
    grid_chunk_size: list[int] = Field([500, 1000], min_length=1)
    reranker: str | None = Field(None, description="cross-encoder (HF id or local path) reranking the top 20")
    index: Literal["auto", "flat", "hnsw", "ivf"] = Field(
        "auto", description="dense faiss index; auto: exact flat below index.ann.AUTO_APPROX_CHUNKS chunks, "
        "hnsw above (approximate, but much faster per query at that size)")
    hnsw_m: int = Field(32, ge=4, le=256, description="hnsw: neighbours per node (memory and recall grow with it)")
    ef_search: int = Field(256, ge=1, le=4096, description="hnsw: candidate list per query (recall vs "
                           "speed; at 1 M embedding-like vectors 256 measured recall@10 0.94 in 3.2 ms a query)")
    ivf_nprobe: int = Field(16, ge=1, le=65536, description="ivf: inverted lists scanned per query "
                            "(recall vs speed; capped at the number of lists)")

    @model_validator(mode="after")
    def _grid_sane(self) -> "RetrievalConfig":
        if any(not 1 <= k <= 50 for k in self.grid_top_k):
            raise ValueError("grid_top_k values must be between 1 and 50")
        if any(not self.chunk_overlap < c <= 20000 for c in self.grid_chunk_size):
            raise ValueError(f"grid_chunk_size values must be larger than chunk_overlap ({self.chunk_overlap}) "
                             "and at most 20000")
        return self

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_smaller_than_chunk(cls, v: int, info) -> int:
        size = info.data.get("chunk_size", 500)
        if v >= size:
            raise ValueError(f"chunk_overlap ({v}) must be smaller than chunk_size ({size})")
        return v


class FinetuneConfig(_Strict):
    method: Literal["qlora", "lora"] = "qlora"
    lora_r: int = Field(16, ge=1, le=512)
    lora_alpha: int = Field(32, ge=1)
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0)
    learning_rate: float = Field(2e-4, gt=0.0, le=1e-2)
    epochs: float = Field(2.0, gt=0.0, le=100.0, description="passes over each adapter's training set (early "
                          "stopping may end it after the first)")
    max_steps: int | None = Field(None, ge=1, description="cap on optimizer steps per adapter (null: run all "
                                  "epochs; a cap that ends training before one epoch marks the adapter undertrained)")
    batch_size: int = Field(4, ge=1, le=256)
    max_length: int = Field(256, ge=16, le=8192, description="tokens per training row (a longer RAFT example gets "
                            "a row of its own length)")
    max_grad_norm: float = Field(1.0, gt=0.0)
    micro_batch_tokens: int | Literal["auto"] | None = Field(
        "auto", description="tokens per forward/backward pass: a step's rows are split into passes this long and "
        "their gradients summed, weighted by answer tokens (the same step, less memory); a longer single row is "
        "checkpointed (auto: 256 on a CPU training in fp32, 512 in bf16 — a 4 x 256-token step peaked at 2.3 and "
        "2.5 GB in benchmarks/training_memory.py; one pass on a GPU; null: one pass)")
    eval_every: int | None = Field(None, ge=1, description="steps between dev-loss evaluations (null: every half "
                                   "epoch)")
    checkpoint_every: int = Field(10, ge=1, description="optimizer steps between checkpoints of the whole "
                                  "training state (Ctrl-C also saves one at the end of the step in flight)")
    patience: int = Field(2, ge=1, description="dev evaluations without improvement before stopping (never "
                          "before one full epoch)")
    max_tokens: int | Literal["auto"] | None = Field(
        "auto", description="training tokens per adapter and epoch, examples taken round-robin over documents so "
        "the cap cuts depth, not breadth (auto: 12000 on a CPU training in fp32, 30000 on one with native bf16; "
        "no cap on a GPU; null: no cap)")
    dev_max_tokens: int = Field(6000, ge=100, description="dev tokens per dev-loss evaluation at most")
    generated_qa: bool = Field(True, description="add question-answer pairs generated from every training "
                               "document (the extractive generator of `domain synth`) to the closed-book set")
    documents: bool = Field(False, description="add raw document pieces to the closed-book set (the legal corpus "
                            "is ~327k tokens: about an hour per epoch on a 2-core CPU)")
    doc_chunk_chars: int = Field(900, ge=100, description="documents are cut into pieces this long")
    raft_p_oracle: float = Field(0.8, ge=0.0, le=1.0, description="share of RAFT examples that hold the oracle "
                                 "document (the rest teach refusal among distractors)")
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    packing: bool = Field(True, description="several examples per training row, no padding (positions restart "
                          "per example, so none attends to another)")
    search: bool = Field(False, description="choose learning rate and LoRA rank on dev loss first (a short trial "
                         "per grid point, then the best refit); off by default on CPU, where a trial costs minutes")
    search_learning_rates: list[float] = Field([1e-4, 2e-4, 5e-4], min_length=1)
    search_ranks: list[int] = Field([8, 16], min_length=1)
    search_steps: int = Field(20, ge=2, description="optimizer steps per search trial")
    processes: int = Field(1, ge=1, le=64, description="data-parallel training processes per adapter, started "
                           "with torchrun (DDP: gloo on CPU, nccl with one GPU each); the same global batches, so "
                           "the adapter matches one process's within float rounding")
    seeds: list[int] | None = Field(None, min_length=1, description="one adapter per seed; the report shows the "
                                    "spread (default: [0] on CPU, where a seed costs minutes; [0, 1, 2] on a GPU)")

    def seed_list(self, device: str) -> list[int]:
        return list(dict.fromkeys(self.seeds)) if self.seeds else ([0, 1, 2] if device == "cuda" else [0])

    def pass_tokens(self, device: str, dtype: str = "float32") -> int | None:
        """Tokens per forward/backward pass; measured (benchmarks/training_memory.py, fp32, 4 rows x 256): one
        pass peaked at 4.7 GB, passes of 512 at 3.6 GB, of 256 at 2.3 GB, at 0.76x the step speed."""
        if self.micro_batch_tokens == "auto":
            return None if device == "cuda" else (256 if dtype == "float32" else 512)
        return self.micro_batch_tokens

    def token_budget(self, device: str, dtype: str = "float32") -> int | None:
        """`dtype` is the training dtype's name (torch's, without the prefix)."""
        if self.max_tokens == "auto":
            return None if device == "cuda" else CPU_TRAIN_TOKENS.get(dtype, CPU_TRAIN_TOKENS["float32"])
        return self.max_tokens


class SplitConfig(_Strict):
    train: float = Field(0.7, gt=0.0, lt=1.0)
    dev: float = Field(0.1, ge=0.0, lt=1.0)
    test: float = Field(0.2, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _fractions_sum_to_one(self) -> "SplitConfig":
        if abs(self.train + self.dev + self.test - 1.0) > 1e-6:
            raise ValueError(f"train + dev + test must be 1, got {self.train + self.dev + self.test:g}")
        return self


class EvalConfig(_Strict):
    limit: int | None = Field(None, ge=1, description="score only N test questions, taken evenly across kinds")
    arms: list[str] | None = Field(None, description="candidate arms to compare (default: every registered one)")
    references: list[str] | None = Field(None, description="floors and ceiling shown beside them (default: all; "
                                         "[] for none)")
    few_shot: int | None = Field(None, ge=0, le=20, description="examples in the prompt arm (default: chosen "
                                 "from few_shot_grid on the dev questions)")
    few_shot_grid: list[int] = Field([0, 3, 6], min_length=1)
    few_shot_dev: int = Field(40, ge=1, description="dev questions the few-shot choice is scored on at most")
    profile: str = Field("default", description="decision profile: a name in evals/profiles/ or a YAML path")
    bootstrap_resamples: int = Field(2000, ge=100, le=100000)
    latency_sample: int = Field(8, ge=0, le=200, description="test questions each model-backed candidate also "
                                "answers one request at a time, for the per-request latency a user would see (0: off)")
    forgetting: bool = Field(True, description="answer evals/general_qa.jsonl with the base and fine-tuned model")

    @field_validator("few_shot_grid")
    @classmethod
    def _grid_in_range(cls, v: list[int]) -> list[int]:
        if any(not 0 <= n <= 20 for n in v):
            raise ValueError("few_shot_grid values must be between 0 and 20")
        return sorted(set(v))


class FreshnessConfig(_Strict):
    share: float = Field(0.1, ge=0.0, le=0.5, description="share of answerable test questions whose documents are "
                         "withheld from fine-tuning and the first index, then added to the index only (0: off)")


class JudgeConfig(_Strict):
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint of an LLM judge (off when unset)")
    model: str | None = None
    api_key_env: str = Field("RAG_VS_FT_JUDGE_API_KEY", description="environment variable holding the judge's key")
    metrics: list[Literal["faithfulness", "factual_correctness"]] = ["faithfulness", "factual_correctness"]
    timeout_s: float = Field(120.0, gt=0)
    max_concurrency: int = Field(4, ge=1, le=64)

    @model_validator(mode="after")
    def _url_and_model_together(self) -> "JudgeConfig":
        if bool(self.base_url) != bool(self.model):
            raise ValueError("set judge.base_url and judge.model together")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)


class CostConfig(_Strict):
    usd_per_hour: float = Field(0.10, ge=0.0, description="price of one hour of the machine the run is on")


def _default_cache() -> Path:
    return Path(os.environ.get("RAG_VS_FT_CACHE", Path.home() / ".cache" / "rag-vs-ft"))


class RunConfig(_Strict):
    domain: str = "legal"
    seed: int = 0
    corpora_dir: Path = Path("corpora")
    output_dir: Path = Path("reports")
    cache_dir: Path = Field(default_factory=_default_cache)
    run_id: str | None = None
    model: ModelConfig = ModelConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    finetune: FinetuneConfig = FinetuneConfig()
    split: SplitConfig = SplitConfig()
    eval: EvalConfig = EvalConfig()
    freshness: FreshnessConfig = FreshnessConfig()
    judge: JudgeConfig = JudgeConfig()
    cost: CostConfig = CostConfig()

    @field_validator("domain")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", v):
            raise ValueError(f"domain must be a plain name (letters, digits, '-', '_'), not {v!r}")
        return v

    @field_validator("run_id")
    @classmethod
    def _run_id_stays_inside(cls, v: str | None) -> str | None:
        from rag_vs_ft.paths import plain_name  # the run directory is output_dir/domain/run_id: one component

        return v if v is None else plain_name(v, "run_id")


def valid_keys(model: type[BaseModel] = RunConfig, prefix: str = "") -> list[str]:
    """Every dotted key an override may set."""
    keys = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys += valid_keys(ann, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def parse_overrides(items: list[str], model: type[BaseModel] = RunConfig) -> dict[str, Any]:
    """Turn ["a.b=1", "c=x"] into a nested dict of `model`'s keys; values are read as YAML scalars/lists
    (unreadable YAML: the raw text)."""
    known = set(valid_keys(model))
    nested: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not key=value")
        key, raw = item.split("=", 1)
        key = key.strip()
        if key not in known:
            raise ConfigError(f"unknown config key {key!r}; valid keys: {', '.join(sorted(known))}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = nested
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return nested


def load_config(overrides: list[str] | None = None) -> RunConfig:
    """Defaults + overrides, validated; errors become one-line ConfigError."""
    data = parse_overrides(overrides or [])
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"bad value for {where}: {err['msg']}") from None
