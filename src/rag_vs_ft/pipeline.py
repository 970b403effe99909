"""`rag-vs-ft run`: corpus → index → fine-tune → the four arms → one harness → report.

Every expensive product is cached by content hash: the converted model, the index, the adapter, and each
finished arm's generated answers (scoring is cheap and redone on every run). An interrupted run loses at most the stage in flight, and re-running the same
command picks up where it stopped.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

from rag_vs_ft.arms.base import ArmAnswer
from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.domain import load_domain
from rag_vs_ft.corpus.schema import Domain, QAItem
from rag_vs_ft.corpus.splits import contaminated, interleave_kinds, split_questions
from rag_vs_ft.store import atomic_write_text, read_jsonl, stable_hash
from rag_vs_ft.ui import UI


class PipelineError(RuntimeError):
    """A run cannot go on; the message is one line for the user."""


def prepare_domain(cfg: RunConfig) -> tuple[Domain, dict[str, list[QAItem]]]:
    domain = load_domain(cfg.domain, cfg.corpora_dir, cfg.cache_dir)
    items = split_questions(domain.questions, cfg.split.train, cfg.split.dev, cfg.seed)
    splits = {s: [q for q in items if q.split == s] for s in ("train", "dev", "test")}
    if not splits["test"]:
        raise PipelineError(f"domain {cfg.domain!r} has no test questions after splitting")
    return domain, splits


def check_contamination(splits: dict[str, list[QAItem]], few_shot: list[QAItem], training_texts: list[str]) -> None:
    seen = [q.question + "\n" + q.answer for q in splits["train"] + splits["dev"] + few_shot] + training_texts
    bad = contaminated(splits["test"], seen)
    if bad:
        raise PipelineError(f"{len(bad)} test question(s) appear in training data or examples: {', '.join(bad[:5])}")


def run_dir_for(cfg: RunConfig, config_hash: str) -> Path:
    run_id = cfg.run_id or f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{config_hash[:6]}"
    return cfg.output_dir / cfg.domain / run_id


def machine_info() -> dict:
    import torch

    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        info["memory_gb"] = round(mem / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        model_name = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        info["cpu_model"] = model_name
    except (OSError, StopIteration):
        pass
    return info


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("rag-vs-ft", "torch", "transformers", "peft", "bitsandbytes", "sentence-transformers", "faiss-cpu",
                 "langchain-text-splitters", "ragas", "typer"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def answers_key(arm: str, cfg: RunConfig, meta: dict, few_shot: list[QAItem], test: list[QAItem]) -> str:
    """Everything an arm's answers depend on. Decoding is greedy, so equal keys mean equal answers."""
    settings = cfg.model_dump(include={"seed", "model", "retrieval", "finetune", "eval"})
    settings["eval"].pop("limit"), settings["eval"].pop("arms")
    return stable_hash({"arm": arm, "settings": settings, "model": meta["model"], "index": meta["index"]["key"],
                        "adapter": meta.get("finetune", {}).get("key"), "few_shot": [q.id for q in few_shot],
                        "questions": [(q.id, q.question, q.answer) for q in test]})


def cached_answers(path: Path, expected: list[str]) -> list[ArmAnswer] | None:
    """Raw answers only: scoring is cheap and always redone, so a metric change never needs re-generation."""
    try:
        answers = [ArmAnswer(**r) for r in read_jsonl(path)]
    except (TypeError, ValueError):  # written by another version: regenerate
        return None
    return answers if [a.question_id for a in answers] == expected else None


RETRIEVAL_ARMS = ("rag", "finetune_rag")
TUNED_ARMS = ("finetune", "finetune_rag")


def answer_with(arm_name: str, cfg: RunConfig, base_path: str, dtype, device: str, training, few_shot: list[QAItem],
                retriever, test: list[QAItem], advance) -> list[ArmAnswer]:
    """Load the arm's generator (base, or base + merged adapter), answer the questions, free the model."""
    from rag_vs_ft.arms.finetune import FinetuneArm
    from rag_vs_ft.arms.finetune_rag import FinetuneRagArm
    from rag_vs_ft.arms.prompt import PromptArm
    from rag_vs_ft.arms.rag import RagArm
    from rag_vs_ft.models.generator import ChatGenerator, load_generator

    tuned = arm_name in TUNED_ARMS
    if tuned and training is None:
        raise PipelineError(f"arm {arm_name!r} needs a fine-tuned adapter, and none was trained")
    model, tok = load_generator(base_path, dtype, device, cfg.model.trust_remote_code,
                                training.adapter_dir if tuned else None)
    gen = ChatGenerator(model, tok, cfg.model.max_new_tokens, cfg.model.batch_size)
    k = cfg.retrieval.top_k
    if arm_name == "prompt":
        arm = PromptArm(gen, few_shot)
    elif arm_name == "rag":
        arm = RagArm(gen, retriever, k)
    elif arm_name == "finetune":
        arm = FinetuneArm(gen)
    else:
        arm = FinetuneRagArm(gen, retriever, k)
    return arm.answer(test, on_batch=advance)  # the model is freed when this frame ends


def run(cfg: RunConfig, ui: UI | None = None) -> Path:
    """Run the whole comparison; returns the run directory holding the report."""
    import torch

    from rag_vs_ft.arms.prompts import pick_few_shot
    from rag_vs_ft.evaluation.harness import score_answers
    from rag_vs_ft.evaluation.metrics import semantic_similarity_metric
    from rag_vs_ft.finetune.data import document_pieces
    from rag_vs_ft.finetune.qlora import train_adapter
    from rag_vs_ft.index.retriever import build_or_load
    from rag_vs_ft.models.generator import pick_device, pick_dtype
    from rag_vs_ft.models.resolve import embedder_path, generator_path
    from rag_vs_ft.report.render import write_report

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our progress display replaces the libraries' own bars
    hf_logging.set_verbosity_error()
    ui = ui or UI()
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    domain, splits = prepare_domain(cfg)  # bad input fails here, before anything is written
    few_shot = pick_few_shot(splits["train"], cfg.eval.few_shot)
    check_contamination(splits, few_shot, document_pieces(domain.documents, cfg.finetune.doc_chunk_chars))
    test = interleave_kinds(splits["test"])[: cfg.eval.limit] if cfg.eval.limit else splits["test"]
    ui.timings["corpus"] = round(time.perf_counter() - t0, 2)
    config_hash = stable_hash(cfg.model_dump(exclude={"run_id", "output_dir"}))
    run_dir = run_dir_for(cfg, config_hash)
    device = pick_device()
    dtype = pick_dtype(cfg.model.dtype, device)
    meta: dict = {"config": json.loads(cfg.model_dump_json()), "config_hash": config_hash, "device": device,
                  "dtype": str(dtype).replace("torch.", ""), "machine": machine_info(), "packages": package_versions(),
                  "started": dt.datetime.now().isoformat(timespec="seconds")}
    ui.info(f"run directory: {run_dir}")

    with ui.live():
        meta["corpus"] = {"documents": len(domain.documents), "characters": sum(len(d.text) for d in domain.documents),
                          "questions": {s: len(v) for s, v in splits.items()}, "evaluated": len(test),
                          "hash": stable_hash([(d.id, d.text) for d in domain.documents]),
                          "sources": domain.provenance, "description": domain.description}
        with ui.stage("model"):
            base_path, meta["model"] = generator_path(cfg.model.name, cfg.cache_dir)
        with ui.stage("index"):
            retriever, meta["index"] = build_or_load(
                domain.documents, cfg.retrieval.chunk_size, cfg.retrieval.chunk_overlap, cfg.retrieval.embedder,
                embedder_path(cfg.retrieval.embedder), cfg.cache_dir, device,
                progress=lambda desc, total: ui.bar(desc, total))
        training = None
        if set(TUNED_ARMS) & set(cfg.eval.arms):
            with ui.stage("finetune"):
                def on_start(total: int):
                    advance = ui.bar("fine-tuning (steps)", total)
                    return lambda step, loss: advance(1, f"loss {loss:.3f}")

                training = train_adapter(base_path, meta["model"], domain.documents, splits["train"], splits["dev"],
                                         cfg.finetune, cfg.seed, device, dtype, cfg.cache_dir,
                                         cfg.model.trust_remote_code, on_start)
                meta["finetune"] = asdict(training)
                gc.collect()  # the 4-bit training model must not linger beside the answering models
        semantic = semantic_similarity_metric(retriever.embedder)
        expected = [q.id for q in test]
        rows: list[dict] = []
        for arm_name in cfg.eval.arms:
            path = cfg.cache_dir / "answers" / f"{arm_name}-{answers_key(arm_name, cfg, meta, few_shot, test)}.jsonl"
            answers = cached_answers(path, expected)
            if answers is not None:
                ui.info(f"  {arm_name}: reusing {len(answers)} cached answers")
            else:
                with ui.stage(f"answer:{arm_name}"):
                    answers = answer_with(arm_name, cfg, base_path, dtype, device, training, few_shot, retriever,
                                          test, ui.bar(f"{arm_name}: answering", len(test)))
                    atomic_write_text(path, "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in answers))
                    gc.collect()
            rows += score_answers(arm_name, arm_name in RETRIEVAL_ARMS, test, answers, semantic)
    meta["timings_s"] = ui.timings
    meta["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    write_report(run_dir, rows, meta, few_shot=[q.id for q in few_shot])
    return run_dir

