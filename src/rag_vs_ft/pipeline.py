"""`rag-vs-ft run`: the run as a list of stages — corpus, model, index, fine-tune, few-shot, answer, forgetting,
judge, report — each a function from typed inputs to a typed output; `run` reads top to bottom.

Every expensive product is cached by content hash: the converted model, the index, each adapter, and each
finished arm's generated answers (scoring is cheap and redone on every run). An interrupted run loses at most
the stage in flight, and re-running the same command picks up where it stopped.

Knowledge-update test: the evidence documents of a share of the test questions are withheld from the
fine-tune and from the first index, then added to the index only, as when a corpus changes after training.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers.utils import logging as hf_logging

from rag_vs_ft.answering import AnswerSources, Answered, PipelineError, answer_arms, answers_once
from rag_vs_ft.arms.base import ArmAnswer
from rag_vs_ft.arms.registry import arm_names, registered
from rag_vs_ft.config import RunConfig
from rag_vs_ft.corpus.schema import Document, Domain, QAItem
from rag_vs_ft.corpus.splits import cites_any, contaminated, interleave_kinds
from rag_vs_ft.evaluation.cost import memory_estimate, reference_shape, shape_of
from rag_vs_ft.evaluation.forgetting import MAX_NEW_TOKENS, SYSTEM, forgetting_summary, load_general_qa, messages
from rag_vs_ft.evaluation.grounding import Evidence
from rag_vs_ft.evaluation.judge import JudgeSample, judge_samples, same_family
from rag_vs_ft.evaluation.metrics import semantic_similarity_metric
from rag_vs_ft.finetune.data import coverage
from rag_vs_ft.finetune.qlora import TrainResult
from rag_vs_ft.finetune.recipes.registry import RecipeInputs, recipe
from rag_vs_ft.finetune.stage import search_stage, train_all
from rag_vs_ft.index.select import Choice
from rag_vs_ft.index.stage import build_retrieval
from rag_vs_ft.measure import machine_info, package_versions, release_freed_memory
from rag_vs_ft.models.backends.registry import backend_named
from rag_vs_ft.models.generator import open_generator, pick_device, pick_dtype
from rag_vs_ft.models.resolve import content_id, embedder_path, generator_path
from rag_vs_ft.paths import writable_dir
from rag_vs_ft.preflight import QuestionPlan, check_questions
from rag_vs_ft.report.profiles import load_profile
from rag_vs_ft.report.record import CorpusFacts, FreshnessFacts, JudgeFacts, RunRecord
from rag_vs_ft.report.render import write_report
from rag_vs_ft.run_setup import RunSetup
from rag_vs_ft.store import stable_hash
from rag_vs_ft.synth.domain import load_domain
from rag_vs_ft.tuning import few_shot_stage
from rag_vs_ft.ui import UI

__all__ = ["PipelineError", "prepare_domain", "run"]


def run(cfg: RunConfig, ui: UI | None = None) -> Path:
    """Run the whole comparison; returns the run directory holding the report."""
    setup, started = check_before_compute(cfg, ui or UI()), dt.datetime.now().isoformat(timespec="seconds")
    corpus = corpus_stage(setup)  # bad input fails here, before anything is written
    config_hash = stable_hash(cfg.model_dump(exclude={"run_id", "output_dir", "cache_dir"}))
    run_dir = run_dir_for(cfg, config_hash)
    setup.ui.info(f"run directory: {run_dir}")
    with setup.ui.live():
        model = model_stage(setup)
        index = index_stage(setup, corpus)
        tuned = finetune_stage(setup, corpus, model, index)
        few_shot, few_shot_facts = choose_few_shot(setup, corpus, model)
        answered = answer_stage(setup, corpus, model, index, tuned, few_shot)
        forgetting = forgetting_stage(setup, model, tuned)
        judge = judge_stage(setup, answered)
    record = RunRecord(
        config=json.loads(cfg.model_dump_json()), config_hash=config_hash, device=setup.device,
        dtype=setup.dtype_name, machine=machine_info(), packages=package_versions(), started=started,
        finished=dt.datetime.now().isoformat(timespec="seconds"), primary_seed=setup.seeds[0],
        seeds=setup.seeds if tuned.adapters else [], arms={n: s.describe() for n, s in setup.specs.items()},
        recipes={r: recipe(r).summary for r in setup.tuned_recipes}, corpus=corpus.facts, model=model.info,
        memory_estimate=model.memory_estimate, index=index.facts, retrieval=index.choice.to_dict(),
        freshness=index.freshness, adapters=tuned.records, finetune_search=tuned.search, few_shot=few_shot_facts,
        answering=answered.costs, forgetting=forgetting, judge=judge, timings_s=setup.ui.timings,
        few_shot_ids=[q.id for q in few_shot])
    write_report(run_dir, answered.rows, record)
    return run_dir


def check_before_compute(cfg: RunConfig, ui: UI) -> RunSetup:
    """Everything that can fail on settings alone fails now, not after an hour of compute; then where the model
    runs, the seeds and the arms are fixed for every stage."""
    hf_logging.disable_progress_bar()  # our progress display replaces the libraries' own bars
    hf_logging.set_verbosity_error()
    torch.manual_seed(cfg.seed)
    specs = {name: registered()[name] for name in arm_names(cfg.eval)}
    backend_named(cfg.model.backend)
    load_profile(cfg.eval.profile)
    for where, what in ((cfg.output_dir, "output_dir"), (cfg.cache_dir, "cache_dir")):
        writable_dir(where, what)
    device = pick_device()
    return RunSetup(cfg, ui, device, pick_dtype(cfg.model.dtype, device), cfg.finetune.seed_list(device), specs)


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


@dataclass
class CorpusStage:
    domain: Domain
    plan: QuestionPlan
    test: list[QAItem]  # the evaluated test questions, kinds interleaved (so eval.limit keeps the mix)
    fresh_ids: set[str]  # test questions about withheld documents
    train_docs: list[Document]  # every document but the withheld ones
    facts: CorpusFacts


def corpus_stage(run: RunSetup) -> CorpusStage:
    t0, cfg = time.perf_counter(), run.cfg
    domain, plan = prepare_domain(cfg, run.ui)
    splits, withheld = plan.splits, plan.withheld
    ordered = interleave_kinds(splits["test"], group=lambda q: q.kind + ("+fresh" * cites_any(q, withheld)))
    test = ordered[: cfg.eval.limit] if cfg.eval.limit else ordered
    facts = CorpusFacts(
        documents=len(domain.documents), characters=sum(len(d.text) for d in domain.documents),
        questions={s: len(v) for s, v in splits.items()}, evaluated=len(test),
        test_questions_in_documents=len(contaminated(test, [d.text for d in domain.documents])),
        hash=stable_hash([(d.id, d.text) for d in domain.documents]), sources=domain.provenance,
        description=domain.description)
    run.ui.timings["corpus"] = round(time.perf_counter() - t0, 2)
    return CorpusStage(domain, plan, test, {q.id for q in test if cites_any(q, withheld)},
                       [d for d in domain.documents if d.id not in withheld], facts)


@dataclass
class ModelStage:
    base_path: str  # a local directory transformers loads
    info: dict  # its name and content id (every cache key includes it)
    memory_estimate: list[dict]  # to fine-tune it (and a 7B reference) fully, with LoRA and with QLoRA


def model_stage(run: RunSetup) -> ModelStage:
    cfg, ft = run.cfg, run.cfg.finetune
    with run.ui.stage("model"):
        base_path, info = generator_path(cfg.model.name, cfg.cache_dir, cfg.model.trust_remote_code)
        shape = shape_of(base_path, cfg.model.name, ft.lora_r, ft.target_modules, cfg.model.trust_remote_code)
        bill = [*memory_estimate(shape, ft.batch_size, ft.max_length),
                *memory_estimate(reference_shape(ft.lora_r, ft.target_modules), ft.batch_size, ft.max_length)]
    return ModelStage(base_path, info, bill)


@dataclass
class IndexStage:
    retriever: object  # what the retrieval arms search, fresh documents included
    dense: object  # the dense index (its embedder scores semantic similarity too)
    choice: Choice  # the retrieval settings, chosen on dev questions
    facts: dict
    freshness: FreshnessFacts


def index_stage(run: RunSetup, corpus: CorpusStage) -> IndexStage:
    cfg, ui, rc = run.cfg, run.ui, run.cfg.retrieval
    with ui.stage("index"):
        # settings chosen on dev questions only (their evidence ids); no test question reaches the choice
        emb_path = embedder_path(rc.embedder)
        emb_id = rc.embedder if emb_path != rc.embedder else \
            f"{rc.embedder}@{content_id(emb_path, cfg.cache_dir)}"  # an HF id or path: by content
        retriever, dense, facts, choice = build_retrieval(
            rc, corpus.train_docs, corpus.plan.dev_evidence(), emb_path, cfg.cache_dir, run.device,
            lambda desc, total: ui.bar(desc, total), cfg.model.trust_remote_code, emb_id)
        ui.info(f"retrieval: {choice.mode}, chunk {choice.chunk_size}, top_k {choice.top_k} ({choice.reason})")
    release_freed_memory()  # the grid's other chunk sizes and the embedding batches are gone
    withheld, splits = corpus.plan.withheld, corpus.plan.splits
    fresh = FreshnessFacts(share=cfg.freshness.share, documents=sorted(withheld), questions=len(corpus.fresh_ids),
                           train_questions_dropped=len(splits["train"]) - len(corpus.plan.train_qa))
    if withheld:
        with ui.stage("index update"):  # the documents that arrived after training: index only
            t1, before = time.perf_counter(), len(retriever.chunks)
            retriever.add([d for d in corpus.domain.documents if d.id in withheld], choice.chunk_size,
                          rc.chunk_overlap)
            fresh.index_update_s = round(time.perf_counter() - t1, 2)
            fresh.chunks_added = len(retriever.chunks) - before
    return IndexStage(retriever, dense, choice, facts, fresh)


@dataclass
class FinetuneStage:
    adapters: dict[tuple[str, int], TrainResult]  # (recipe, seed) -> the trained adapter
    records: list[dict]  # each adapter's training, coverage and memory against the estimate
    search: dict | None  # the hyper-parameter search on dev, when finetune.search


def finetune_stage(run: RunSetup, corpus: CorpusStage, model: ModelStage, index: IndexStage) -> FinetuneStage:
    """Train every adapter the arms need (one per recipe and seed)."""
    cfg, ui, recipes = run.cfg, run.ui, run.tuned_recipes
    if not recipes:
        return FinetuneStage({}, [], None)
    inp = RecipeInputs(model.base_path, model.info, corpus.train_docs, corpus.plan.train_qa, corpus.plan.dev_qa,
                       run.device, run.dtype, cfg.cache_dir, cfg.model.trust_remote_code, index.retriever.search,
                       index.choice.top_k, corpus.plan.withheld)
    ft_cfg, searched = cfg.finetune, None
    if ft_cfg.search:
        with ui.stage("finetune:search"):  # train + dev only: no test question reaches a trial
            ft_cfg, searched = search_stage(inp, ft_cfg, recipes[0], run.seeds[0])

    def on_start(recipe: str, seed: int, total: int):
        advance = ui.bar(f"fine-tuning {recipe} seed {seed} (steps)", total)
        return lambda step, loss: advance(1, f"loss {loss:.3f}")

    done = train_all(inp, ft_cfg, recipes, run.seeds, on_start, ui.stage)
    shape = shape_of(inp.base_path, cfg.model.name, ft_cfg.lora_r, ft_cfg.target_modules, cfg.model.trust_remote_code)
    records = []
    for (name, seed), (res, tset) in done.items():
        covered, answerable = coverage(corpus.test, tset.documents)  # measured after training: no test data flows in
        estimate = next(m for m in memory_estimate(shape, res.rows_per_pass or res.rows_per_step, res.row_tokens)
                        if m["method"] == ("QLoRA (NF4)" if res.method == "qlora-nf4" else "LoRA"))
        records.append({**asdict(res), "seed": seed, "coverage": {"covered": covered, "answerable": answerable},
                        "memory_estimate_mb": round(estimate["total_gib"] * 1024, 1)})
    return FinetuneStage({key: res for key, (res, _) in done.items()}, records, searched)


def choose_few_shot(run: RunSetup, corpus: CorpusStage, model: ModelStage) -> tuple[list[QAItem], dict | None]:
    """The few-shot arm's examples; their count is chosen on dev questions, before any test question is answered."""
    arm = next((s for s in run.specs.values() if s.uses_few_shot), None)
    if not arm:
        return corpus.plan.few_shot, None
    with run.ui.stage("few-shot"):
        chosen = few_shot_stage(run.cfg, arm, model.base_path, run.dtype, run.device, corpus.plan.train_qa,
                                corpus.plan.dev_qa, model.info, run.cfg.cache_dir)
    release_freed_memory()  # its model is gone
    return chosen


def answer_stage(run: RunSetup, corpus: CorpusStage, model: ModelStage, index: IndexStage, tuned: FinetuneStage,
                 few_shot: list[QAItem]) -> Answered:
    """Every arm answers the test questions through the answer cache; the shared harness scores each answer."""
    sources = AnswerSources(model.info, run.device, run.dtype_name, corpus.facts.hash, index.facts["key"],
                            index.freshness.documents, index.choice.to_dict())
    inputs = {"retriever": index.retriever, "top_k": index.choice.top_k, "few_shot": few_shot,
              "train": corpus.plan.train_qa, "documents": {d.id: d for d in corpus.domain.documents}}
    return answer_arms(run, model.base_path, sources, corpus.test, corpus.fresh_ids, inputs, tuned.adapters,
                       semantic_similarity_metric(index.dense.embedder),
                       Evidence({d.id: d.text for d in corpus.domain.documents}))


def forgetting_stage(run: RunSetup, model: ModelStage, tuned: FinetuneStage) -> dict | None:
    """Answer the general-knowledge set with the base model and every fine-tuned model; summarise the change.
    Each adapter is labelled by the first arm that answers with it."""
    cfg, ui = run.cfg, run.ui
    if not (cfg.eval.forgetting and tuned.adapters):
        return None
    items = load_general_qa()
    first_arm = {sp.recipe: n for n, sp in reversed(run.specs.items()) if sp.tuned}
    answers: dict[str, list[str]] = {}
    with ui.stage("forgetting"):
        for label, adapter in [("base", None)] + [(f"{first_arm[r]} seed {seed}", t.adapter_dir)
                                                  for (r, seed), t in tuned.adapters.items()]:
            key = stable_hash({"general": [(i.id, i.question) for i in items], "model": model.info,
                               "adapter": adapter and Path(adapter).name, "dtype": run.dtype_name,
                               "device": run.device, "prompt": [SYSTEM, MAX_NEW_TOKENS]})
            got, _ = answers_once(cfg.cache_dir / "answers" / f"general-{key}.jsonl", [i.id for i in items],
                                  f"general QA ({label})", general_answerer(run, model, items, adapter, label), ui,
                                  run.device)
            answers[label] = [a.answer for a in got]
    return forgetting_summary(items, answers, resamples=cfg.eval.bootstrap_resamples, seed=cfg.seed)


def general_answerer(run: RunSetup, model: ModelStage, items: list, adapter: str | None, label: str):
    """`produce(done, save)` for answers_once: the general-knowledge questions, answered by the base model with
    `adapter` merged (None: the base model itself)."""
    def produce(done, save) -> tuple[list[ArmAnswer], dict]:
        gen = open_generator(model.base_path, run.dtype, run.device, MAX_NEW_TOKENS, run.cfg.model.batch_size,
                             run.cfg.model.trust_remote_code, adapter, run.cfg.model.backend, run.cfg.model)

        def make(item, g) -> ArmAnswer:
            return ArmAnswer(item.id, g.text, g.latency_s, g.prompt_tokens, g.generated_tokens)

        outs = gen.generate([messages(i) for i in items], run.ui.bar(f"general QA: {label}", len(items)),
                            {n for n, i in enumerate(items) if i.id in done},
                            lambda idx, gens: save([make(items[n], g) for n, g in zip(idx, gens)]))
        return [done[i.id] if i.id in done else make(i, g) for i, g in zip(items, outs)], {}

    return produce


def judge_stage(run: RunSetup, answered: Answered) -> JudgeFacts | None:
    """Score the primary rows with the configured LLM judge; its metrics join the rows as judge_*."""
    cfg, ui = run.cfg, run.ui
    if not cfg.judge.enabled:
        return None
    with ui.stage("judge"):
        rows = [r for r in answered.rows if r.get("seed") in (None, run.seeds[0])]
        samples = [JudgeSample(r["question"], r["answer"], r["reference"],
                               answered.contexts.get((r["arm"], r["question_id"]), [])) for r in rows]
        scores = judge_samples(samples, cfg.judge, progress=ui.bar(f"judge ({cfg.judge.model})", len(samples)))
        for r, s in zip(rows, scores):
            r.update({f"judge_{metric}": value for metric, value in s.items()})
    family = same_family(cfg.judge.model, cfg.model.name)
    if family:
        ui.info(f"[yellow]warning: the judge {cfg.judge.model!r} is of the same model family as the candidate "
                f"{cfg.model.name!r}; judges tend to favour their own family[/yellow]")
    return JudgeFacts(model=cfg.judge.model, base_url=cfg.judge.base_url, metrics=list(cfg.judge.metrics),
                      failures=scores.failures, samples=len(samples), same_family=family)
