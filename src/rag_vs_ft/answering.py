"""Answering: every registered arm answers the test questions once per configuration, through one cache.

An arm's answers are cached under a key of everything they depend on (`answers_key`); decoding is greedy, so an
equal key means equal answers. Each new batch is appended to a partial file at once, so Ctrl-C or a crash loses
at most one batch and the re-run generates only what is missing. Scoring is cheap and redone on every run.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from rag_vs_ft.arms.base import ArmAnswer
from rag_vs_ft.arms.registry import ArmInputs, ArmSpec
from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.schema import QAItem
from rag_vs_ft.evaluation.grounding import Evidence
from rag_vs_ft.evaluation.harness import percentile, score_answers
from rag_vs_ft.measure import peak_memory_mb, release_freed_memory, reset_peak_memory
from rag_vs_ft.models.generator import open_generator
from rag_vs_ft.models.prompts import PROMPT_VERSION
from rag_vs_ft.run_setup import RunSetup
from rag_vs_ft.store import atomic_write_json, atomic_write_text, read_jsonl, stable_hash
from rag_vs_ft.ui import UI


class PipelineError(RuntimeError):
    """A run cannot go on; the message is one line for the user."""


@dataclass(frozen=True)
class AnswerSources:
    """What every arm's answers depend on besides the arm, its adapter and the questions."""

    model: dict  # the model's name and content id
    device: str
    dtype: str
    corpus_hash: str
    index_key: str
    fresh_docs: list[str]
    retrieval: dict  # the chosen retrieval settings


INDEX_KNOBS = {"index", "hnsw_m", "ef_search", "ivf_nprobe", "ivf_lists"}


def answers_key(arm: str, cfg: RunConfig, sources: AnswerSources, adapter_key: str | None, few_shot: list[QAItem],
                questions: list) -> str:
    """Everything an arm's answers depend on. Decoding is greedy, so equal keys mean equal answers."""
    settings = cfg.model_dump(include={"seed", "model", "retrieval"})
    settings["model"] = cfg.model.answer_settings()
    # the index's kind and parameters are in sources.index_key whenever they make it approximate
    settings["retrieval"] = {k: v for k, v in settings["retrieval"].items() if k not in INDEX_KNOBS}
    return stable_hash({"arm": arm, "prompts": PROMPT_VERSION, "settings": settings, "model": sources.model,
                        "device": sources.device, "dtype": sources.dtype, "corpus": sources.corpus_hash,
                        "index": sources.index_key, "fresh_docs": sources.fresh_docs,
                        "retrieval": {k: sources.retrieval.get(k) for k in ("mode", "chunk_size", "top_k")},
                        "adapter": adapter_key, "few_shot": [(q.id, q.question, q.answer) for q in few_shot],
                        "questions": [(q.id, q.question) for q in questions]})


def cached_answers(path: Path, expected: list[str]) -> list[ArmAnswer] | None:
    """Raw answers only: scoring is cheap and always redone, so a metric change never needs re-generation."""
    try:
        answers = [ArmAnswer(**r) for r in read_jsonl(path)]
    except (TypeError, ValueError):  # written by another version: regenerate
        return None
    return answers if [a.question_id for a in answers] == expected else None


def saved_partial(path: Path, expected: set[str]) -> dict[str, ArmAnswer]:
    """Answers an interrupted run appended to `path`, batch by batch (a line torn by a crash is dropped)."""
    out: dict[str, ArmAnswer] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                a = ArmAnswer(**json.loads(line))
            except (ValueError, TypeError):
                continue
            if a.question_id in expected:
                out[a.question_id] = a
    return out


# produce(done, save) -> (answers, facts to keep beside them, e.g. per-request latencies)
Produce = Callable[[dict[str, ArmAnswer], Callable[[list[ArmAnswer]], None]], tuple[list[ArmAnswer], dict]]


def answers_once(path: Path, expected: list[str], label: str, produce: Produce, ui: UI,
                 device: str) -> tuple[list[ArmAnswer], dict]:
    """Reuse the cached answers at `path`, or produce and cache them; returns them with what producing cost
    (wall time and peak memory, kept beside the answers so a cached run still reports them).

    `produce(done, save)` gets the answers an interrupted run already saved and must hand every new batch to
    `save`, which appends it to `<path>.partial.jsonl` at once: Ctrl-C or a crash loses at most one batch, and the
    re-run generates only what is missing."""
    answers = cached_answers(path, expected)
    info_path = path.with_suffix(".cost.json")
    if answers is not None:
        ui.info(f"  {label}: reusing {len(answers)} cached answers")
        ui.timings[f"answer:{label}"] = 0.0
        info = json.loads(info_path.read_text()) if info_path.exists() else {}
        return answers, {**info, "cached": True}
    partial = path.with_suffix(".partial.jsonl")
    done = saved_partial(partial, set(expected))
    if done:
        ui.info(f"  {label}: resuming: {len(done)} of {len(expected)} answers were saved by an interrupted run")
    path.parent.mkdir(parents=True, exist_ok=True)
    with ui.stage(f"answer:{label}"), open(partial, "a", encoding="utf-8") as log:
        reset_peak_memory(device)
        t0 = time.perf_counter()

        def save(batch: list[ArmAnswer]) -> None:
            log.write("".join(json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in batch))
            log.flush()
            os.fsync(log.fileno())

        answers, facts = produce(done, save)
        info = {"seconds": round(time.perf_counter() - t0, 2), "peak_memory_mb": round(peak_memory_mb(device), 1),
                "resumed_with": len(done), **facts}
        atomic_write_text(path, "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in answers))
        atomic_write_json(info_path, info)
    partial.unlink(missing_ok=True)
    release_freed_memory()  # the arm's model is gone: its pages go back to the OS before the next loads
    return answers, {**info, "cached": False}


def latency_sample(test: list[QAItem], n: int) -> list[QAItem]:
    """Up to n test questions spread over the split (kinds are interleaved in it), for per-request timing."""
    step = max(1, len(test) // n) if n else 1
    return test[::step][:n]


def request_latencies(arm, sample: list[QAItem]) -> list[float]:
    """Wall time of each question answered on its own (batch 1, retrieval included): what one user waits."""
    out = []
    for q in sample:
        t0 = time.perf_counter()
        arm.answer([q])
        out.append(round(time.perf_counter() - t0, 4))
    return out


def load_levels(arm, sample: list[QAItem], levels: list[int]) -> list[dict]:
    """Throughput and per-request p50/p95 with `c` single-question requests in flight, for each level `c`: a
    served deployment is judged at the load it will carry. Each level sends at least `c` requests (the sample,
    cycled), so every slot is busy."""
    from concurrent.futures import ThreadPoolExecutor

    out = []
    for c in levels:
        questions = [sample[i % len(sample)] for i in range(max(len(sample), c))]

        def timed(q: QAItem) -> float:
            t0 = time.perf_counter()
            arm.answer([q])
            return time.perf_counter() - t0

        t0 = time.perf_counter()
        with ThreadPoolExecutor(c) as pool:
            waits = list(pool.map(timed, questions))
        wall = time.perf_counter() - t0
        out.append({"concurrency": c, "requests": len(questions), "wall_s": round(wall, 3),
                    "answers_per_s": round(len(questions) / wall, 4) if wall > 0 else None,
                    "p50_s": round(percentile(waits, 50), 4), "p95_s": round(percentile(waits, 95), 4)})
    return out


def answer_with(spec: ArmSpec, cfg: RunConfig, base_path: str, dtype, device: str, adapter_dir: str | None,
                inputs: dict, test: list[QAItem], advance, done: dict[str, ArmAnswer] | None = None,
                save: Callable[[list[ArmAnswer]], None] | None = None) -> tuple[list[ArmAnswer], dict]:
    """Build the registered arm (loading the base model, with the adapter merged when the arm is tuned, only if
    it uses a model), answer the questions, free the model. A resumable arm skips what `done` holds and hands
    each new batch to `save`; any other arm (floors, plug-ins) just answers. A model-backed candidate then
    answers `eval.latency_sample` questions one at a time: batched answers hide what a single request costs."""
    if spec.tuned != (adapter_dir is not None):
        raise PipelineError(f"arm {spec.name!r}: adapter {'missing' if adapter_dir is None else 'unexpected'}")
    gen = None
    if spec.uses_model:
        gen = open_generator(base_path, dtype, device, cfg.model.max_new_tokens, cfg.model.batch_size,
                             cfg.model.trust_remote_code, adapter_dir, cfg.model.backend, cfg.model)
    arm = spec.make(ArmInputs(generator=gen, **inputs))
    if getattr(arm, "resumable", False):
        answers = arm.answer(test, on_batch=advance, done=done, on_answers=save)
    else:
        answers = arm.answer(test, on_batch=advance)
    facts = {}
    if spec.uses_model and spec.role == "candidate" and cfg.eval.latency_sample:
        sample = latency_sample(test, cfg.eval.latency_sample)
        facts["request_latency_s"] = request_latencies(arm, sample)
        if getattr(gen, "served", False):
            facts["load"] = load_levels(arm, sample, cfg.model.concurrency)
    return answers, facts  # model freed on return


@dataclass
class Answered:
    rows: list[dict]  # one scored row per (arm, seed, question)
    contexts: dict[tuple[str, str], list[str]]  # (arm, question id) -> the passages it read, for a judge
    costs: dict[str, dict]  # per arm label: wall time, peak memory, per-request latencies


def answer_arms(run: RunSetup, base_path: str, sources: AnswerSources, test: list[QAItem], fresh_ids: set[str],
                inputs: dict, adapters: dict, semantic, evidence: Evidence) -> Answered:
    """Every arm answers the test questions (a tuned arm once per seed, with that seed's adapter from
    `adapters[(recipe, seed)]`); each answer is scored by the shared harness as it comes."""
    cfg, ui, out = run.cfg, run.ui, Answered([], {}, {})
    expected = [q.id for q in test]
    for arm_name, spec in run.specs.items():
        for seed in (run.seeds if spec.tuned else [None]):
            adapter = adapters[(spec.recipe, seed)] if seed is not None else None
            label = arm_name if seed in (None, run.seeds[0]) else f"{arm_name}@seed{seed}"
            key = answers_key(arm_name, cfg, sources, adapter and adapter.key, inputs["few_shot"], test)
            answers, out.costs[label] = answers_once(
                cfg.cache_dir / "answers" / f"{arm_name}-{key}.jsonl", expected, label,
                lambda done, save, sp=spec, ad=adapter, lb=label: answer_with(
                    sp, cfg, base_path, run.dtype, run.device, ad and ad.adapter_dir, inputs, test,
                    ui.bar(f"{lb}: answering", len(test)), done, save), ui, run.device)
            rows = score_answers(arm_name, spec.uses_retrieval, test, answers, semantic, evidence)
            for r, a in zip(rows, answers):
                r["fresh"] = float(r["question_id"] in fresh_ids)
                if seed is not None:
                    r["seed"] = seed
                if label == arm_name:
                    out.contexts[(arm_name, a.question_id)] = a.contexts
            out.rows += rows
    return out
