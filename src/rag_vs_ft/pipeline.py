"""`rag-vs-ft run`: corpus → index → fine-tune (one adapter per seed) → the four arms → one harness → report.

Every expensive product is cached by content hash: the converted model, the index, each adapter, and each
finished arm's generated answers (scoring is cheap and redone on every run). An interrupted run loses at most
the stage in flight, and re-running the same command picks up where it stopped.

Knowledge-update test: the evidence documents of a share of the test questions are withheld from the
fine-tune and from the first index, then added to the index only, as when a corpus changes after training.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from rag_vs_ft.arms.base import ArmAnswer
from rag_vs_ft.config import RunConfig
from rag_vs_ft.synth.domain import load_domain
from rag_vs_ft.corpus.schema import Domain, QAItem
from rag_vs_ft.corpus.splits import cites_any, contaminated, interleave_kinds
from rag_vs_ft.preflight import QuestionPlan, check_questions
from rag_vs_ft.paths import writable_dir
from rag_vs_ft.measure import machine_info, package_versions, peak_memory_mb, reset_peak_memory
from rag_vs_ft.store import atomic_write_json, atomic_write_text, read_jsonl, stable_hash
from rag_vs_ft.ui import UI


class PipelineError(RuntimeError):
    """A run cannot go on; the message is one line for the user."""


def prepare_domain(cfg: RunConfig, ui: UI | None = None) -> tuple[Domain, QuestionPlan]:
    """Load the domain and plan its splits; refuse exactly when `rag-vs-ft domain validate` reports an error."""
    domain = load_domain(cfg.domain, cfg.corpora_dir, cfg.cache_dir)
    plan, checked = check_questions(domain.questions, domain.documents, cfg)
    if checked.errors:
        more = f" (and {len(checked.errors) - 1} more error(s): `rag-vs-ft domain validate {cfg.domain}`)" \
            if len(checked.errors) > 1 else ""
        raise PipelineError(checked.errors[0] + more)
    for w in checked.warnings if ui else ():
        ui.info(f"[yellow]warning:[/yellow] {w}")
    return domain, plan


def run_dir_for(cfg: RunConfig, config_hash: str) -> Path:
    run_id = cfg.run_id or f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{config_hash[:6]}"
    return cfg.output_dir / cfg.domain / run_id


def answers_key(arm: str, cfg: RunConfig, meta: dict, adapter_key: str | None, few_shot: list[QAItem],
                questions: list) -> str:
    """Everything an arm's answers depend on. Decoding is greedy, so equal keys mean equal answers."""
    from rag_vs_ft.models.prompts import PROMPT_VERSION

    settings = cfg.model_dump(include={"seed", "model", "retrieval"})
    return stable_hash({"arm": arm, "prompts": PROMPT_VERSION, "settings": settings, "model": meta["model"],
                        "device": meta["device"], "dtype": meta["dtype"], "corpus": meta["corpus"]["hash"],
                        "index": meta["index"]["key"], "fresh_docs": meta["freshness"]["documents"],
                        "retrieval": {k: meta.get("retrieval", {}).get(k) for k in ("mode", "chunk_size", "top_k")},
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
    gc.collect()
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


def answer_with(spec, cfg: RunConfig, base_path: str, dtype, device: str, adapter_dir: str | None,
                inputs: dict, test: list[QAItem], advance, done: dict[str, ArmAnswer] | None = None,
                save: Callable[[list[ArmAnswer]], None] | None = None) -> tuple[list[ArmAnswer], dict]:
    """Build the registered arm (loading the base model, with the adapter merged when the arm is tuned, only if
    it uses a model), answer the questions, free the model. A resumable arm skips what `done` holds and hands
    each new batch to `save`; any other arm (floors, plug-ins) just answers. A model-backed candidate then
    answers `eval.latency_sample` questions one at a time: batched answers hide what a single request costs."""
    from rag_vs_ft.arms.registry import ArmInputs
    from rag_vs_ft.models.generator import open_generator

    if spec.tuned != (adapter_dir is not None):
        raise PipelineError(f"arm {spec.name!r}: adapter {'missing' if adapter_dir is None else 'unexpected'}")
    gen = None
    if spec.uses_model:
        gen = open_generator(base_path, dtype, device, cfg.model.max_new_tokens, cfg.model.batch_size,
                             cfg.model.trust_remote_code, adapter_dir)
    arm = spec.make(ArmInputs(generator=gen, **inputs))
    if getattr(arm, "resumable", False):
        answers = arm.answer(test, on_batch=advance, done=done, on_answers=save)
    else:
        answers = arm.answer(test, on_batch=advance)
    facts = {}
    if spec.uses_model and spec.role == "candidate" and cfg.eval.latency_sample:
        facts["request_latency_s"] = request_latencies(arm, latency_sample(test, cfg.eval.latency_sample))
    return answers, facts  # model freed on return


def memory_bill(base_path: str, cfg: RunConfig) -> list[dict]:
    """Estimated memory to fine-tune the configured model (and a 7B reference) fully, with LoRA and QLoRA."""
    from rag_vs_ft.evaluation.cost import memory_estimate, reference_shape, shape_of

    ft = cfg.finetune
    shape = shape_of(base_path, cfg.model.name, ft.lora_r, ft.target_modules, cfg.model.trust_remote_code)
    return [*memory_estimate(shape, ft.batch_size, ft.max_length),
            *memory_estimate(reference_shape(ft.lora_r, ft.target_modules), ft.batch_size, ft.max_length)]


def forgetting_stage(cfg: RunConfig, base_path: str, dtype, device: str, trainings: dict, meta: dict, ui: UI) -> dict:
    """Answer the general-knowledge set with the base model and every fine-tuned model; summarise the change."""
    from rag_vs_ft.evaluation.forgetting import MAX_NEW_TOKENS, SYSTEM, forgetting_summary, load_general_qa, messages
    from rag_vs_ft.models.generator import open_generator

    items = load_general_qa()
    answers: dict[str, list[str]] = {}
    tuned = [(f"{arm} seed {seed}", t.adapter_dir) for (arm, seed), t in trainings.items()]
    for label, adapter in [("base", None)] + tuned:
        key = stable_hash({"general": [(i.id, i.question) for i in items], "model": meta["model"],
                           "adapter": adapter and Path(adapter).name, "dtype": meta["dtype"],
                           "device": meta["device"], "prompt": [SYSTEM, MAX_NEW_TOKENS]})

        def produce(done, save, adapter=adapter, label=label) -> tuple[list[ArmAnswer], dict]:
            gen = open_generator(base_path, dtype, device, MAX_NEW_TOKENS, cfg.model.batch_size,
                                 cfg.model.trust_remote_code, adapter)

            def make(item, g) -> ArmAnswer:
                return ArmAnswer(item.id, g.text, g.latency_s, g.prompt_tokens, g.generated_tokens)

            outs = gen.generate([messages(i) for i in items], ui.bar(f"general QA: {label}", len(items)),
                                {n for n, i in enumerate(items) if i.id in done},
                                lambda idx, gens: save([make(items[n], g) for n, g in zip(idx, gens)]))
            return [done[i.id] if i.id in done else make(i, g) for i, g in zip(items, outs)], {}

        got, _ = answers_once(cfg.cache_dir / "answers" / f"general-{key}.jsonl", [i.id for i in items],
                              f"general QA ({label})", produce, ui, device)
        answers[label] = [a.answer for a in got]
    return forgetting_summary(items, answers, resamples=cfg.eval.bootstrap_resamples, seed=cfg.seed)


def judge_stage(cfg: RunConfig, rows: list[dict], contexts: dict[tuple[str, str], list[str]], ui: UI) -> dict:
    """Score the primary rows with the configured LLM judge; its metrics join the rows as judge_*."""
    from rag_vs_ft.evaluation.judge import JudgeSample, judge_samples, same_family

    samples = [JudgeSample(r["question"], r["answer"], r["reference"], contexts.get((r["arm"], r["question_id"]), []))
               for r in rows]
    advance = ui.bar(f"judge ({cfg.judge.model})", len(samples))
    scores = judge_samples(samples, cfg.judge, progress=advance)
    for r, s in zip(rows, scores):
        for metric, value in s.items():
            r[f"judge_{metric}"] = value
    family = same_family(cfg.judge.model, cfg.model.name)
    if family:
        ui.info(f"[yellow]warning: the judge {cfg.judge.model!r} is of the same model family as the candidate "
                f"{cfg.model.name!r}; judges tend to favour their own family[/yellow]")
    return {"model": cfg.judge.model, "base_url": cfg.judge.base_url, "metrics": list(cfg.judge.metrics),
            "failures": scores.failures, "samples": len(samples), "same_family": family}


def finetune_stage(cfg: RunConfig, recipes: list[str], seeds: list[int], inp, test: list[QAItem], meta: dict,
                   ui: UI) -> dict:
    """Train every adapter the arms need; record each one's training, coverage and memory against the estimate."""
    from rag_vs_ft.evaluation.cost import memory_estimate, shape_of
    from rag_vs_ft.finetune.data import coverage
    from rag_vs_ft.finetune.stage import search_stage, train_all

    ft_cfg = cfg.finetune
    if ft_cfg.search:
        with ui.stage("finetune:search"):  # train + dev only: no test question reaches a trial
            ft_cfg, meta["finetune_search"] = search_stage(inp, ft_cfg, seeds[0])

    def on_start(recipe: str, seed: int, total: int):
        advance = ui.bar(f"fine-tuning {recipe} seed {seed} (steps)", total)
        return lambda step, loss: advance(1, f"loss {loss:.3f}")

    done = train_all(inp, ft_cfg, recipes, seeds, on_start, ui.stage)
    shape = shape_of(inp.base_path, cfg.model.name, ft_cfg.lora_r, ft_cfg.target_modules, cfg.model.trust_remote_code)
    meta["adapters"] = []
    for (recipe, seed), (res, tset) in done.items():
        covered, answerable = coverage(test, tset.documents)  # measured after training: no test data flows in
        estimate = next(m for m in memory_estimate(shape, res.rows_per_step, res.row_tokens)
                        if m["method"] == ("QLoRA (NF4)" if res.method == "qlora-nf4" else "LoRA"))
        meta["adapters"].append({**asdict(res), "seed": seed, "coverage": {"covered": covered,
                                 "answerable": answerable}, "memory_estimate_mb": round(estimate["total_gib"] * 1024, 1)})
    meta["seeds"] = seeds
    return {key: res for key, (res, _) in done.items()}


def run(cfg: RunConfig, ui: UI | None = None) -> Path:
    """Run the whole comparison; returns the run directory holding the report."""
    import torch

    from rag_vs_ft.arms.registry import arm_names, registered
    from rag_vs_ft.evaluation.grounding import Evidence
    from rag_vs_ft.evaluation.harness import score_answers
    from rag_vs_ft.evaluation.metrics import semantic_similarity_metric
    from rag_vs_ft.finetune.stage import FinetuneInputs
    from rag_vs_ft.index.stage import build_retrieval
    from rag_vs_ft.models.generator import pick_device, pick_dtype
    from rag_vs_ft.models.resolve import content_id, embedder_path, generator_path
    from rag_vs_ft.report.profiles import load_profile
    from rag_vs_ft.report.render import write_report
    from rag_vs_ft.tuning import few_shot_stage

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our progress display replaces the libraries' own bars
    hf_logging.set_verbosity_error()
    ui = ui or UI()
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    load_profile(cfg.eval.profile)  # a bad profile fails now, not after an hour of compute
    for where, what in ((cfg.output_dir, "output_dir"), (cfg.cache_dir, "cache_dir")):
        writable_dir(where, what)  # an unwritable report or cache folder fails now too
    domain, plan = prepare_domain(cfg, ui)  # bad input fails here, before anything is written
    splits, withheld, train_qa, dev_qa, few_shot = plan.splits, plan.withheld, plan.train_qa, plan.dev_qa, plan.few_shot
    train_docs = [d for d in domain.documents if d.id not in withheld]
    ordered = interleave_kinds(splits["test"], group=lambda q: q.kind + ("+fresh" * cites_any(q, withheld)))
    test = ordered[: cfg.eval.limit] if cfg.eval.limit else ordered
    fresh_ids = {q.id for q in test if cites_any(q, withheld)}
    ui.timings["corpus"] = round(time.perf_counter() - t0, 2)
    config_hash = stable_hash(cfg.model_dump(exclude={"run_id", "output_dir", "cache_dir"}))
    run_dir = run_dir_for(cfg, config_hash)
    device = pick_device()
    dtype = pick_dtype(cfg.model.dtype, device)
    seeds = cfg.finetune.seed_list(device)
    specs = {name: registered()[name] for name in arm_names(cfg.eval)}
    meta: dict = {"config": json.loads(cfg.model_dump_json()), "config_hash": config_hash, "device": device,
                  "dtype": str(dtype).replace("torch.", ""), "machine": machine_info(), "packages": package_versions(),
                  "started": dt.datetime.now().isoformat(timespec="seconds"), "primary_seed": seeds[0],
                  "arms": {name: spec.describe() for name, spec in specs.items()}}
    ui.info(f"run directory: {run_dir}")

    with ui.live():
        meta["corpus"] = {"documents": len(domain.documents), "characters": sum(len(d.text) for d in domain.documents),
                          "questions": {s: len(v) for s, v in splits.items()}, "evaluated": len(test),
                          "test_questions_in_documents": len(contaminated(test, [d.text for d in domain.documents])),
                          "hash": stable_hash([(d.id, d.text) for d in domain.documents]),
                          "sources": domain.provenance, "description": domain.description}
        with ui.stage("model"):
            base_path, meta["model"] = generator_path(cfg.model.name, cfg.cache_dir, cfg.model.trust_remote_code)
            meta["memory_estimate"] = memory_bill(base_path, cfg)
        with ui.stage("index"):
            # settings chosen on dev questions only (their evidence ids); no test question reaches the choice
            emb_path = embedder_path(cfg.retrieval.embedder)
            emb_id = cfg.retrieval.embedder if emb_path != cfg.retrieval.embedder else \
                f"{cfg.retrieval.embedder}@{content_id(emb_path, cfg.cache_dir)}"  # an HF id or path: by content
            retriever, dense, meta["index"], choice = build_retrieval(
                cfg.retrieval, train_docs, plan.dev_evidence(), emb_path, cfg.cache_dir, device,
                lambda desc, total: ui.bar(desc, total), cfg.model.trust_remote_code, emb_id)
            meta["retrieval"] = choice.to_dict()
            ui.info(f"retrieval: {choice.mode}, chunk {choice.chunk_size}, top_k {choice.top_k} ({choice.reason})")
        meta["freshness"] = {"share": cfg.freshness.share, "documents": sorted(withheld), "questions": len(fresh_ids),
                             "train_questions_dropped": len(splits["train"]) - len(train_qa),
                             "index_update_s": 0.0, "chunks_added": 0}
        if withheld:
            with ui.stage("index update"):  # the documents that arrived after training: index only
                t1, before = time.perf_counter(), len(retriever.chunks)
                retriever.add([d for d in domain.documents if d.id in withheld], choice.chunk_size,
                              cfg.retrieval.chunk_overlap)
                meta["freshness"].update(index_update_s=round(time.perf_counter() - t1, 2),
                                         chunks_added=len(retriever.chunks) - before)
        trainings = {}  # (recipe, seed) -> TrainResult
        recipes = list(dict.fromkeys(s.recipe for s in specs.values() if s.tuned))
        if recipes:
            trainings = finetune_stage(cfg, recipes, seeds, FinetuneInputs(
                base_path, meta["model"], train_docs, train_qa, dev_qa, device, dtype, cfg.cache_dir,
                cfg.model.trust_remote_code, retriever.search, choice.top_k, withheld), test, meta, ui)
        few_shot_arm = next((s for s in specs.values() if s.uses_few_shot), None)
        if few_shot_arm:  # its example count is chosen on dev questions, before any test question is answered
            with ui.stage("few-shot"):
                few_shot, meta["few_shot"] = few_shot_stage(cfg, few_shot_arm, base_path, dtype, device, train_qa,
                                                            dev_qa, meta["model"], cfg.cache_dir)
        semantic = semantic_similarity_metric(dense.embedder)
        evidence = Evidence({d.id: d.text for d in domain.documents})
        expected = [q.id for q in test]
        rows: list[dict] = []
        contexts: dict[tuple[str, str], list[str]] = {}
        meta["answering"] = {}
        inputs = {"retriever": retriever, "top_k": choice.top_k, "few_shot": few_shot, "train": train_qa,
                  "documents": {d.id: d for d in domain.documents}}
        for arm_name, spec in specs.items():
            for seed in (seeds if spec.tuned else [None]):
                adapter = trainings[(spec.recipe, seed)] if seed is not None else None
                label = arm_name if seed in (None, seeds[0]) else f"{arm_name}@seed{seed}"
                key = answers_key(arm_name, cfg, meta, adapter and adapter.key, few_shot, test)
                answers, meta["answering"][label] = answers_once(
                    cfg.cache_dir / "answers" / f"{arm_name}-{key}.jsonl", expected, label,
                    lambda done, save, sp=spec, ad=adapter, lb=label: answer_with(
                        sp, cfg, base_path, dtype, device, ad and ad.adapter_dir, inputs, test,
                        ui.bar(f"{lb}: answering", len(test)), done, save), ui, device)
                arm_rows = score_answers(arm_name, spec.uses_retrieval, test, answers, semantic, evidence)
                for r, a in zip(arm_rows, answers):
                    r["fresh"] = float(r["question_id"] in fresh_ids)
                    if seed is not None:
                        r["seed"] = seed
                    if label == arm_name:
                        contexts[(arm_name, a.question_id)] = a.contexts
                rows += arm_rows
        if cfg.eval.forgetting and trainings:
            with ui.stage("forgetting"):  # every adapter, labelled by the first arm that answers with it
                by_arm = {(next(n for n, sp in specs.items() if sp.tuned and sp.recipe == r), s): t
                          for (r, s), t in trainings.items()}
                meta["forgetting"] = forgetting_stage(cfg, base_path, dtype, device, by_arm, meta, ui)
        meta["judge"] = None
        if cfg.judge.enabled:
            with ui.stage("judge"):
                primary = [r for r in rows if r.get("seed") in (None, seeds[0])]
                meta["judge"] = judge_stage(cfg, primary, contexts, ui)
    meta["timings_s"] = ui.timings
    meta["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    write_report(run_dir, rows, meta, few_shot=[q.id for q in few_shot])
    return run_dir
