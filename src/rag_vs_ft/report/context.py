"""Everything the report shows, computed from a run's saved rows and run.json alone (so `report` can re-render)."""

from __future__ import annotations

from rag_vs_ft.evaluation.cost import usd
from rag_vs_ft.evaluation.correctness import agreement
from rag_vs_ft.evaluation.diagnosis import diagnose
from rag_vs_ft.evaluation.harness import HEADLINE, percentile, summarize, with_correctness
from rag_vs_ft.evaluation.statistics import bootstrap_ci, spread
from rag_vs_ft.report.profiles import load_profile
from rag_vs_ft.report.dominance import SMALL_N
from rag_vs_ft.report.kinds import best_per_kind, kind_versus
from rag_vs_ft.report.recommend import power_line, recommend

QUALITY_COLUMNS = [(HEADLINE, "correct (headline)"), ("correct", "correct (raw)"), ("answer_score", "answer score"), ("exact_match", "EM"), ("token_f1", "F1"),
                   ("rouge_l", "ROUGE-L"), ("string_similarity", "string sim."),
                   ("semantic_similarity", "semantic sim.")]
GROUNDING_COLUMNS = [("refusal_rate_unanswerable", "refusal (unans.)"), ("wrong_refusal_rate", "wrong refusal"),
                     ("fabrication_rate", "fabrication"), ("fabrication_rate_unanswerable", "fabrication (unans.)"),
                     ("context_recall", "ctx recall"), ("context_precision", "ctx precision"),
                     ("citation_rate", "cites a doc"), ("citation_precision", "citation precision")]
JUDGE_COLUMNS = [("judge_faithfulness", "faithfulness"), ("judge_factual_correctness", "factual correctness")]
CRITERIA_COLUMNS = ("quality", "groundedness", "refusal", "freshness", "latency", "cost")


def _num(v: float, digits: int) -> str:
    return f"{v:.{digits}f}" if abs(v) >= 10 ** -(digits + 3) else f"{0.0:.{digits}f}"  # no "-0.000" for chance


def fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return _num(v, digits) if isinstance(v, float) else str(v)


def fmt_ci(summary: dict, key: str, digits: int = 3) -> str:
    """'0.255 [0.201, 0.310]': a mean with its 95 % bootstrap interval over questions."""
    v, ci = summary.get(key), summary.get("ci", {}).get(key)
    if v is None:
        return "–"
    return f"{_num(v, digits)} [{_num(ci[0], digits)}, {_num(ci[1], digits)}]" if ci else fmt(v, digits)


def primary_rows(rows: list[dict], primary_seed) -> tuple[list[dict], list[dict]]:
    """Rows of the arms as compared (fine-tuned arms at the primary seed), and the other seeds' rows."""
    main = [r for r in rows if r.get("seed") in (None, primary_seed)]
    return main, [r for r in rows if r.get("seed") not in (None, primary_seed)]


def adapter_runs(meta: dict) -> list[dict]:
    """Every trained adapter with its seed and recipe; a run saved before recipes existed had one closed-book
    adapter per seed under `finetune_runs`."""
    if "adapters" in meta:
        return meta["adapters"]
    return [{**r, "seed": int(s), "recipe": "closed_book"} for s, r in meta.get("finetune_runs", {}).items()]


def recipe_of(spec: dict) -> str | None:
    return (spec.get("recipe") or "closed_book") if spec.get("tuned") else None


def undertrained_arms(runs: list[dict], spec: dict[str, dict]) -> list[str]:
    """Candidates whose own adapter (any seed) saw less than one epoch: they cannot be judged from the run."""
    short = {r["recipe"] for r in runs if r.get("epochs_done", 0.0) < 1.0}
    return [a for a, s in spec.items() if s["role"] == "candidate" and recipe_of(s) in short]


def setup_seconds(meta: dict, arms: list[str], spec: dict[str, dict]) -> dict[str, float]:
    """One-off work before an arm can answer: building the index, training its adapter (mean over seeds)."""
    index_s = (meta.get("index", {}).get("build_s") or 0.0) + meta.get("freshness", {}).get("index_update_s", 0.0)
    runs = adapter_runs(meta)

    def train_s(arm: str) -> float:
        own = [r["seconds"] for r in runs if r["recipe"] == recipe_of(spec[arm])]
        return sum(own) / len(own) if own else 0.0

    return {a: (index_s if spec[a]["uses_retrieval"] else 0.0) + train_s(a) for a in arms}


def seed_table(rows: list[dict], seeds: list[int], resamples: int, seed: int, tuned: list[str]) -> list[dict]:
    out = []
    for arm in tuned:
        per_seed = {s: [r for r in rows if r["arm"] == arm and r.get("seed") == s] for s in seeds}
        if len([s for s, rs in per_seed.items() if rs]) < 2:
            continue
        summaries = {s: summarize([{**r, "arm": arm} for r in rs], resamples, seed)[arm]
                     for s, rs in per_seed.items() if rs}
        scores = [s[HEADLINE] for s in summaries.values()]
        first = next(iter(summaries.values()))
        out.append({"arm": arm, "seeds": summaries, "spread": spread(scores),
                    "question_ci_halfwidth": (first["ci"][HEADLINE][1] - first["ci"][HEADLINE][0]) / 2})
    return out


def freshness_table(rows: list[dict], arms: list[str], resamples: int = 2000) -> list[dict]:
    """Per arm: mean credit on the questions about updated documents and on the other answerable ones, each with
    its 95 % bootstrap interval (`fresh_ci`, `other_ci`: (low, high) or None)."""
    out = []
    for a in arms:
        fresh = [r["credit"] for r in rows if r["arm"] == a and r.get("fresh")]
        other = [r["credit"] for r in rows if r["arm"] == a and not r.get("fresh") and r["answerable"]]
        f, o = bootstrap_ci(fresh, resamples), bootstrap_ci(other, resamples)
        out.append({"arm": a, "fresh": f and f.mean, "fresh_ci": f and (f.low, f.high), "n_fresh": len(fresh),
                    "other": o and o.mean, "other_ci": o and (o.low, o.high), "n_other": len(other)})
    return out


def build_context(rows: list[dict], meta: dict) -> dict:
    cfg = meta.get("config", {})
    resamples = cfg.get("eval", {}).get("bootstrap_resamples", 2000)
    seed = cfg.get("seed", 0)
    rows = with_correctness(rows)
    main, extra = primary_rows(rows, meta.get("primary_seed"))
    summaries = summarize(main, resamples, seed)
    spec = meta["arms"]  # registry order: candidates, then floors, then the ceiling
    arms = [a for a in spec if a in summaries] + [a for a in summaries if a not in spec]
    spec = {**{a: {"role": "candidate", "uses_retrieval": False, "tuned": False, "complexity": 9} for a in arms},
            **spec}
    summaries = {a: summaries[a] for a in arms}
    for a in arms:  # per-request latency (batch 1) where it was measured: what a deployed arm's user waits
        measured = meta.get("answering", {}).get(a, {}).get("request_latency_s")
        if measured:
            summaries[a]["request_p50_s"], summaries[a]["request_p95_s"] = (percentile(measured, 50),
                                                                            percentile(measured, 95))
            summaries[a]["request_n"] = len(measured)
    price = cfg.get("cost", {}).get("usd_per_hour", 0.0)
    setup_s = setup_seconds(meta, arms, spec)
    setup_usd = {a: usd(s, price) for a, s in setup_s.items()}
    per_answer_usd = {a: usd(1 / summaries[a]["answers_per_s"], price) if summaries[a]["answers_per_s"] else 0.0
                      for a in arms}
    profile = load_profile(cfg.get("eval", {}).get("profile", "default"))
    runs = adapter_runs(meta)
    undertrained = undertrained_arms(runs, {a: spec[a] for a in arms})
    rec = recommend(main, summaries, profile, setup_usd, per_answer_usd, seed=seed, resamples=resamples, arms=spec,
                    undertrained=undertrained)
    cands = [a for a in arms if spec[a]["role"] == "candidate"]
    baseline = min(cands, key=lambda a: spec[a].get("complexity", 0), default=None)  # the simplest candidate
    others = [a for a in cands if a != baseline]
    arm_of = {recipe_of(spec[a]): a for a in reversed(arms) if recipe_of(spec[a])}
    for r in runs:
        r["arm"] = arm_of.get(r["recipe"], r["recipe"])
    training = runs[0] if runs else None
    notes = [f"Fine-tuning fallback ({r['arm']}): {r['note']}." for r in runs if r.get("note")]
    for r in runs:
        if r["epochs_done"] < 1:
            notes.append(f"The {r['arm']} adapter (seed {r['seed']}) saw {r['examples_seen']} of its "
                         f"{r['examples_total']} training examples ({r['epochs_done']:.0%} of one epoch) in "
                         f"{r['steps']} steps: raise finetune.max_steps (or set it to null) for a full epoch.")
    for r in runs:  # a tuned arm that answers almost nothing measures its tiny training set, not its approach
        rate = summaries.get(r["arm"], {}).get("wrong_refusal_rate")
        if r["seed"] == meta.get("primary_seed") and rate is not None and rate > 0.5:
            ts = r.get("training_set") or {}
            notes.append(f"{r['arm']} refused {rate:.0%} of the answerable questions: its adapter learned to refuse "
                         f"from {ts.get('examples', r['examples_total'])} training examples"
                         f"{' of ' + str(ts['available']) if ts.get('available') else ''}"
                         f"{', ' + str(ts['sources'].get('RAFT refusal')) + ' of them refusals' if ts.get('sources', {}).get('RAFT refusal') else ''}"
                         ". Read its scores as those of this budget, not of the approach: a larger "
                         "`finetune.max_tokens` (a GPU trains every example) gives it more to learn from.")
    if not meta.get("judge"):
        notes.append("No LLM judge was configured, so every metric here is computed offline without an LLM "
                     "(a tiny local model is not a usable judge); set judge.base_url and judge.model to add "
                     "faithfulness and factual correctness from a judge.")
    machine = meta.get("machine", {})
    machine_line = (f"{machine.get('cpu_model', machine.get('processor', '?'))}, {machine.get('cpu_count')} cores, "
                    f"{machine.get('memory_gb', '?')} GiB RAM, GPU: {machine.get('cuda') or 'none'}")
    by_q: dict[str, dict[str, dict]] = {}
    for r in main:
        by_q.setdefault(r["question_id"], {})[r["arm"]] = r
    examples = [{"question": next(iter(v.values()))["question"], "reference": next(iter(v.values()))["reference"],
                 "answers": [(a, v[a]["answer"]) for a in arms if a in v]} for v in list(by_q.values())[:4]]
    kinds = sorted({k for s in summaries.values() for k in s["by_kind"]})
    seeds = sorted({r["seed"] for r in runs})
    cost_rows = [{"arm": a, "setup_s": setup_s[a], "setup_usd": setup_usd[a], "usd_per_1k": per_answer_usd[a] * 1000,
                  "peak_memory_mb": meta.get("answering", {}).get(a, {}).get("peak_memory_mb")} for a in arms]
    judge_cols = [c for c in JUDGE_COLUMNS if any(summaries[a].get(c[0]) is not None for a in arms)]
    judged = [(r["correct"] > 0, r["judge_factual_correctness"] >= 0.5) for r in main
              if r.get("judge_factual_correctness") is not None]
    judge_agreement = agreement(judged)
    return {"meta": meta, "summaries": summaries, "arms": arms, "rec": rec, "notes": notes, "training": training,
            "machine_line": machine_line, "examples": examples, "kinds": kinds, "n_rows": len(rows),
            "quality_columns": QUALITY_COLUMNS, "grounding_columns": GROUNDING_COLUMNS, "judge_columns": judge_cols,
            "criteria_columns": CRITERIA_COLUMNS, "fmt": fmt, "fmt_ci": fmt_ci, "best_per_kind": best_per_kind([r for r in main if spec[r["arm"]]["role"] == "candidate"],
                                           {a: v["complexity"] for a, v in spec.items()}),
            "roles": {a: spec[a]["role"] for a in arms}, "arm_specs": spec,
            "seed_table": seed_table(rows, seeds, resamples, seed, [a for a in arms if spec[a]["tuned"]]), "seeds": seeds, "extra_rows": len(extra),
            "freshness": freshness_table(main, arms, resamples), "cost_rows": cost_rows, "price": price,
            "runs": runs, "forgetting": meta.get("forgetting"),
            "memory": meta.get("memory_estimate", []), "diagnosis": diagnose(main, spec),
            "judge_agreement": judge_agreement, "power_line": power_line(rec.pairwise, rec.n),
            "kind_baseline": baseline, "small_n": SMALL_N, "kind_versus": kind_versus(main, baseline, others, resamples, seed)}
